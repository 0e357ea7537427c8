/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_json.c: the jansson wrapper: strict parsing, getters, builders, dump,
 * iteration and pool-bound lifetimes. A few tests include jansson directly to
 * build values our API cannot (a string with a NUL) and to read refcounts. */
#include <string.h>
#include <jansson.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/json.h"

static itsme_json_t *parse_ok(apr_pool_t *p, const char *s)
{
    itsme_json_t *v = NULL;
    itsme_err_t *err = NULL;

    ck_assert_int_eq(itsme_json_parse(p, s, strlen(s), &v, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(v);
    return v;
}

static void parse_bad(apr_pool_t *p, const char *s, apr_size_t len)
{
    itsme_json_t *v = NULL;
    itsme_err_t *err = NULL;

    ck_assert_msg(itsme_json_parse(p, s, len, &v, &err) == APR_EINVAL,
                  "accepted %.40s", s);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->kind, ITSME_E_INPUT);
}

START_TEST(test_parse_object)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *v = NULL, *sub;
    itsme_err_t *err = NULL;
    const char *doc = "{\"iss\":\"https://op\",\"exp\":1767225600,\"sub\":{\"x\":[1,2]},"
                      "\"ok\":true,\"n\":null,\"f\":1.5}";
    apr_int64_t i = 0;

    ck_assert_int_eq(itsme_json_parse_object(p, doc, strlen(doc), &v, &err), APR_SUCCESS);
    ck_assert(itsme_json_is_object(v));
    ck_assert_uint_eq(itsme_json_object_size(v), 6);
    ck_assert_str_eq(itsme_json_get_string(v, "iss"), "https://op");
    ck_assert(itsme_json_get_int(v, "exp", &i));
    ck_assert_int_eq(i, 1767225600);
    sub = itsme_json_get(itsme_json_get(v, "sub"), "x");
    ck_assert(itsme_json_is_array(sub));
    ck_assert_uint_eq(itsme_json_array_size(sub), 2);
    ck_assert_int_eq(itsme_json_integer_value(itsme_json_array_get(sub, 1)), 2);
    ck_assert_ptr_null(itsme_json_array_get(sub, 2));
    ck_assert(itsme_json_bool_value(itsme_json_get(v, "ok")));
    ck_assert(itsme_json_is_null(itsme_json_get(v, "n")));
    ck_assert(itsme_json_is_number(itsme_json_get(v, "f")));
    ck_assert(!itsme_json_is_integer(itsme_json_get(v, "f")));
    ck_assert(itsme_json_number_value(itsme_json_get(v, "f")) == 1.5);
    ck_assert_ptr_null(itsme_json_get(v, "absent"));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_parse_scalars_and_object_only)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *v = NULL;
    itsme_err_t *err = NULL;

    v = parse_ok(p, "42");
    ck_assert(itsme_json_is_integer(v));
    ck_assert_int_eq(itsme_json_integer_value(v), 42);
    ck_assert_str_eq(itsme_json_string_value(parse_ok(p, "\"h\\u00e9\"")), "h\xc3\xa9");
    v = NULL;
    ck_assert_int_eq(itsme_json_parse_object(p, "[1]", 3, &v, &err), APR_EINVAL);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(err->kind, ITSME_E_INPUT);
    ck_assert_int_eq(itsme_json_parse_object(p, "\"s\"", 3, &v, NULL), APR_EINVAL);
    ck_assert_int_eq(itsme_json_parse_object(p, "{", 1, &v, NULL), APR_EINVAL);
    ck_assert_ptr_null(v);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_parse_rejects)
{
    apr_pool_t *p = tu_pool();

    parse_bad(p, "{\"a\":1,\"a\":2}", 13);         /* duplicate key */
    parse_bad(p, "{\"a\":{\"b\":1,\"b\":1}}", 19); /* nested duplicate */
    parse_bad(p, "{\"a\":1} x", 9);               /* trailing garbage */
    parse_bad(p, "{\"a\":1}{}", 9);               /* two values */
    parse_bad(p, "{\"a\":1}\0", 8);               /* NUL after the value */
    parse_bad(p, "{\"a\":\"x\0y\"}", 11);         /* raw NUL inside */
    parse_bad(p, "{\"a\":\"x\\u0000y\"}", 16);    /* escaped NUL */
    parse_bad(p, "{\"a\":1,}", 8);                /* trailing comma */
    parse_bad(p, "{'a':1}", 7);                   /* single quotes */
    parse_bad(p, "\"\xff\"", 3);                  /* invalid UTF-8 */
    parse_bad(p, "", 0);                          /* empty */
    parse_bad(p, "NaN", 3);
    parse_bad(p, NULL, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_parse_exact_length_and_limit)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *v = NULL;
    apr_size_t max = ITSME_JSON_MAX_INPUT;
    char *big = apr_palloc(p, max + 2);

    /* only len bytes are read: the garbage after them is not seen */
    ck_assert_int_eq(itsme_json_parse(p, "{\"a\":1}xyz", 7, &v, NULL), APR_SUCCESS);
    ck_assert_uint_eq(itsme_json_object_size(v), 1);
    /* a document of exactly the limit is accepted, one byte more is not */
    memset(big, ' ', max + 1);
    big[0] = '[';
    big[max - 1] = ']';
    big[max + 1] = '\0';
    ck_assert_int_eq(itsme_json_parse(p, big, max, &v, NULL), APR_SUCCESS);
    ck_assert(itsme_json_is_array(v));
    parse_bad(p, big, max + 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_parse_error_hides_input)
{
    apr_pool_t *p = tu_pool();
    itsme_err_t *err = NULL;
    itsme_json_t *v = NULL;
    const char *doc = "{\"access_token\": s3cr3tT0ken}";

    ck_assert_int_eq(itsme_json_parse(p, doc, strlen(doc), &v, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_null(strstr(itsme_err_str(p, err), "s3cr3t"));
    ck_assert_ptr_nonnull(strstr(err->msg, "JSON"));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_getters_wrong_types)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *v = parse_ok(p, "{\"s\":\"x\",\"i\":7,\"b\":false,\"a\":[\"q\"],"
                                  "\"f\":3.0,\"g\":3.5,\"h\":1e300,\"m\":-1e19}");
    itsme_json_t *arr = itsme_json_get(v, "a");
    apr_int64_t i = 99;

    ck_assert_ptr_null(itsme_json_get_string(v, "i"));
    ck_assert_ptr_null(itsme_json_get_string(v, "a"));
    ck_assert_ptr_null(itsme_json_get_string(v, "absent"));
    ck_assert(!itsme_json_get_int(v, "s", &i));
    ck_assert(!itsme_json_get_int(v, "b", &i));
    ck_assert(!itsme_json_get_int(v, "g", &i));  /* fraction */
    ck_assert(!itsme_json_get_int(v, "h", &i));  /* out of range */
    ck_assert(!itsme_json_get_int(v, "m", &i));  /* out of range */
    ck_assert(!itsme_json_get_int(v, "absent", &i));
    ck_assert_int_eq(i, 99);
    ck_assert(itsme_json_get_int(v, "f", &i));   /* real without fraction */
    ck_assert_int_eq(i, 3);
    ck_assert_ptr_null(itsme_json_get(arr, "q"));   /* not an object */
    ck_assert_ptr_null(itsme_json_get(v, NULL));
    ck_assert_ptr_null(itsme_json_array_get(v, 0)); /* not an array */
    ck_assert_uint_eq(itsme_json_array_size(v), 0);
    ck_assert_uint_eq(itsme_json_object_size(arr), 0);
    ck_assert_int_eq(itsme_json_integer_value(itsme_json_get(v, "s")), 0);
    ck_assert(itsme_json_number_value(itsme_json_get(v, "s")) == 0.0);
    ck_assert_int_eq(itsme_json_bool_value(itsme_json_get(v, "i")), 0);
    ck_assert_ptr_null(itsme_json_string_value(itsme_json_get(v, "i")));
    ck_assert(!itsme_json_is_object(NULL) && !itsme_json_is_array(NULL));
    ck_assert(!itsme_json_is_string(NULL) && !itsme_json_is_integer(NULL));
    ck_assert(!itsme_json_is_number(NULL) && !itsme_json_is_bool(NULL));
    ck_assert(!itsme_json_is_null(NULL));
    ck_assert(itsme_json_is_bool(itsme_json_get(v, "b")));
    ck_assert(!itsme_json_bool_value(itsme_json_get(v, "b")));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_string_with_nul_refused)
{
    apr_pool_t *p = tu_pool();
    json_t *raw = json_stringn("ab\0cd", 5);
    json_t *obj = json_object();
    itsme_json_t *list_src;
    apr_array_header_t *list;

    json_object_set(obj, "k", raw);
    ck_assert_ptr_null(itsme_json_string_value((itsme_json_t *)raw));
    ck_assert_ptr_null(itsme_json_get_string((itsme_json_t *)obj, "k"));
    ck_assert_ptr_null(itsme_json_scalar_text(p, (itsme_json_t *)raw));
    list_src = itsme_json_array_new(p);
    ck_assert_int_eq(itsme_json_array_append(list_src, (itsme_json_t *)raw), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_array_append_string(list_src, "ok"), APR_SUCCESS);
    list = itsme_json_string_list(p, list_src);
    ck_assert_int_eq(list->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(list, 0, const char *), "ok");
    json_decref(raw);
    json_decref(obj);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_builders_and_dump)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *o = itsme_json_object_new(p), *a = itsme_json_array_new(p), *back;
    const char *expect = "{\"s\":\"x\\\"y\",\"i\":-5,\"b\":true,\"arr\":[\"a\",\"b\"],"
                         "\"big\":9223372036854775807}";
    char *d;

    ck_assert_int_eq(itsme_json_set_string(o, "s", "x\"y"), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_set_int(o, "i", -5), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_set_bool(o, "b", 7), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_array_append_string(a, "a"), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_array_append(a, itsme_json_string_new(p, "b")), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_set(o, "arr", a), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_set_int(o, "big", APR_INT64_MAX), APR_SUCCESS);
    d = itsme_json_dump(p, o);
    ck_assert_str_eq(d, expect);
    back = parse_ok(p, d);
    ck_assert_str_eq(itsme_json_dump(p, back), expect);
    ck_assert_str_eq(itsme_json_dump(p, parse_ok(p, "\"x\"")), "\"x\"");
    ck_assert_ptr_null(itsme_json_dump(p, NULL));
    /* replacing a key keeps its position */
    ck_assert_int_eq(itsme_json_set_int(o, "s", 1), APR_SUCCESS);
    ck_assert_str_eq(itsme_json_dump(p, o), "{\"s\":1,\"i\":-5,\"b\":true,\"arr\":[\"a\",\"b\"],"
                                            "\"big\":9223372036854775807}");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_builders_reject)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *o = itsme_json_object_new(p), *a = itsme_json_array_new(p);

    ck_assert_int_eq(itsme_json_set_string(o, "s", "\xff"), APR_EINVAL); /* bad UTF-8 */
    ck_assert_int_eq(itsme_json_set_string(o, "\xff", "v"), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set_string(o, "s", NULL), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set_string(o, NULL, "v"), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set_string(a, "s", "v"), APR_EINVAL);  /* not object */
    ck_assert_int_eq(itsme_json_set_int(a, "i", 1), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set_bool(NULL, "b", 1), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set(o, "self", o), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set(o, "null", NULL), APR_EINVAL);
    ck_assert_int_eq(itsme_json_set(a, "x", o), APR_EINVAL);
    ck_assert_int_eq(itsme_json_array_append(o, a), APR_EINVAL);
    ck_assert_int_eq(itsme_json_array_append(a, a), APR_EINVAL);
    ck_assert_int_eq(itsme_json_array_append(a, NULL), APR_EINVAL);
    ck_assert_int_eq(itsme_json_array_append_string(a, "\xc3"), APR_EINVAL);
    ck_assert_int_eq(itsme_json_array_append_string(o, "x"), APR_EINVAL);
    ck_assert_ptr_null(itsme_json_string_new(p, "\xff"));
    ck_assert_ptr_null(itsme_json_string_new(p, NULL));
    ck_assert_uint_eq(itsme_json_object_size(o), 0);
    ck_assert_uint_eq(itsme_json_array_size(a), 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_string_list)
{
    apr_pool_t *p = tu_pool();
    apr_array_header_t *l;

    l = itsme_json_string_list(p, parse_ok(p, "[\"a\",1,\"b\",null,{},\"c\"]"));
    ck_assert_int_eq(l->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(l, 0, const char *), "a");
    ck_assert_str_eq(APR_ARRAY_IDX(l, 1, const char *), "b");
    ck_assert_str_eq(APR_ARRAY_IDX(l, 2, const char *), "c");
    l = itsme_json_string_list(p, parse_ok(p, "\"only\""));
    ck_assert_int_eq(l->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(l, 0, const char *), "only");
    ck_assert_int_eq(itsme_json_string_list(p, NULL)->nelts, 0);
    ck_assert_int_eq(itsme_json_string_list(p, parse_ok(p, "[]"))->nelts, 0);
    ck_assert_int_eq(itsme_json_string_list(p, parse_ok(p, "{\"a\":\"b\"}"))->nelts, 0);
    ck_assert_int_eq(itsme_json_string_list(p, parse_ok(p, "12"))->nelts, 0);
    apr_pool_destroy(p);
}
END_TEST

typedef struct {
    int seen;
    char keys[64];
    int stop_at;
} iter_t;

static int iter_fn(void *baton, const char *key, const itsme_json_t *val)
{
    iter_t *it = baton;

    ck_assert_ptr_nonnull(val);
    strncat(it->keys, key, sizeof(it->keys) - strlen(it->keys) - 1);
    it->seen++;
    return it->seen == it->stop_at ? 42 : 0;
}

START_TEST(test_foreach)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *v = parse_ok(p, "{\"z\":1,\"a\":2,\"m\":3,\"b\":4}");
    iter_t it = { 0, "", 0 };

    ck_assert_int_eq(itsme_json_object_foreach(v, iter_fn, &it), 0);
    ck_assert_int_eq(it.seen, 4);
    ck_assert_str_eq(it.keys, "zamb");
    memset(&it, 0, sizeof(it));
    it.stop_at = 2;
    ck_assert_int_eq(itsme_json_object_foreach(v, iter_fn, &it), 42);
    ck_assert_int_eq(it.seen, 2);
    ck_assert_str_eq(it.keys, "za");
    memset(&it, 0, sizeof(it));
    ck_assert_int_eq(itsme_json_object_foreach(parse_ok(p, "[1]"), iter_fn, &it), 0);
    ck_assert_int_eq(itsme_json_object_foreach(NULL, iter_fn, &it), 0);
    ck_assert_int_eq(itsme_json_object_foreach(v, NULL, &it), 0);
    ck_assert_int_eq(it.seen, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_scalar_text)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *v = parse_ok(p, "{\"s\":\"t\",\"i\":-9223372036854775808,\"r\":0.1,"
                                  "\"r2\":2.5,\"r3\":1e21,\"r4\":3.0,\"t\":true,"
                                  "\"f\":false,\"n\":null,\"o\":{},\"a\":[]}");

    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "s")), "t");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "i")),
                     "-9223372036854775808");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "r")), "0.1");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "r2")), "2.5");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "r3")), "1e+21");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "r4")), "3");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "t")), "true");
    ck_assert_str_eq(itsme_json_scalar_text(p, itsme_json_get(v, "f")), "false");
    ck_assert_ptr_null(itsme_json_scalar_text(p, itsme_json_get(v, "n")));
    ck_assert_ptr_null(itsme_json_scalar_text(p, itsme_json_get(v, "o")));
    ck_assert_ptr_null(itsme_json_scalar_text(p, itsme_json_get(v, "a")));
    ck_assert_ptr_null(itsme_json_scalar_text(p, NULL));
    apr_pool_destroy(p);
}
END_TEST

/* Values are released by their pool; itsme_json_set keeps its own reference
 * so a child value outlives the pool it was made in. Under ASan with
 * CK_FORK=no, LeakSanitizer proves nothing is left behind. */
START_TEST(test_pool_lifetimes)
{
    apr_pool_t *p = tu_pool(), *child = NULL;
    itsme_json_t *o = itsme_json_object_new(p), *s;
    int i;

    apr_pool_create(&child, p);
    s = itsme_json_string_new(child, "kept");
    ck_assert_uint_eq(((json_t *)s)->refcount, 1);
    ck_assert_int_eq(itsme_json_set(o, "k", s), APR_SUCCESS);
    ck_assert_uint_eq(((json_t *)s)->refcount, 2);
    apr_pool_destroy(child);
    ck_assert_uint_eq(((json_t *)itsme_json_get(o, "k"))->refcount, 1);
    ck_assert_str_eq(itsme_json_get_string(o, "k"), "kept");
    ck_assert_str_eq(itsme_json_dump(p, o), "{\"k\":\"kept\"}");
    for (i = 0; i < 50; i++) {
        parse_ok(p, "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\"}");
        itsme_json_array_new(p);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_json(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_parse_object);
    tcase_add_test(tc, test_parse_scalars_and_object_only);
    tcase_add_test(tc, test_parse_rejects);
    tcase_add_test(tc, test_parse_exact_length_and_limit);
    tcase_add_test(tc, test_parse_error_hides_input);
    tcase_add_test(tc, test_getters_wrong_types);
    tcase_add_test(tc, test_string_with_nul_refused);
    tcase_add_test(tc, test_builders_and_dump);
    tcase_add_test(tc, test_builders_reject);
    tcase_add_test(tc, test_string_list);
    tcase_add_test(tc, test_foreach);
    tcase_add_test(tc, test_scalar_text);
    tcase_add_test(tc, test_pool_lifetimes);
    suite_add_tcase(s, tc);
    return s;
}
