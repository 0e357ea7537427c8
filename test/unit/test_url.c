/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_url.c: percent-encoding, form bodies, query parsing and the origin
 * checks that guard redirects and OP endpoints. */
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "tests.h"
#include "testutil.h"
#include "core/url.h"

START_TEST(test_encode)
{
    apr_pool_t *p = tu_pool();

    ck_assert_str_eq(itsme_url_encode(p, "AZaz09-._~"), "AZaz09-._~");
    ck_assert_str_eq(itsme_url_encode(p, "a b&c=d/e?f#g+h%"),
                     "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25");
    ck_assert_str_eq(itsme_url_encode(p, "\xc3\xa9\x01\x7f"), "%C3%A9%01%7F");
    ck_assert_str_eq(itsme_url_encode(p, ""), "");
    ck_assert_str_eq(itsme_url_encode(p, NULL), "");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_form_encode)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *t = apr_table_make(p, 4);

    ck_assert_str_eq(itsme_url_form_encode(p, t), "");
    ck_assert_str_eq(itsme_url_form_encode(p, NULL), "");
    apr_table_add(t, "grant_type", "authorization_code");
    apr_table_add(t, "redirect_uri", "https://rp.example/cb?x=1");
    apr_table_add(t, "scope", "openid profile");
    apr_table_add(t, "empty", "");
    ck_assert_str_eq(itsme_url_form_encode(p, t),
                     "grant_type=authorization_code"
                     "&redirect_uri=https%3A%2F%2Frp.example%2Fcb%3Fx%3D1"
                     "&scope=openid%20profile&empty=");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_add_query)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *t = apr_table_make(p, 2), *none = apr_table_make(p, 1);

    apr_table_add(t, "state", "a b");
    apr_table_add(t, "x", "1");
    ck_assert_str_eq(itsme_url_add_query(p, "https://op/auth", t),
                     "https://op/auth?state=a%20b&x=1");
    ck_assert_str_eq(itsme_url_add_query(p, "https://op/auth?v=2", t),
                     "https://op/auth?v=2&state=a%20b&x=1");
    ck_assert_str_eq(itsme_url_add_query(p, "https://op/auth?", t),
                     "https://op/auth?state=a%20b&x=1");
    ck_assert_str_eq(itsme_url_add_query(p, "https://op/auth?v=2&", t),
                     "https://op/auth?v=2&state=a%20b&x=1");
    ck_assert_str_eq(itsme_url_add_query(p, "/app#frag?no", t),
                     "/app?state=a%20b&x=1#frag?no");
    ck_assert_str_eq(itsme_url_add_query(p, "https://op/auth", none), "https://op/auth");
    ck_assert_str_eq(itsme_url_add_query(p, "https://op/auth", NULL), "https://op/auth");
    apr_pool_destroy(p);
}
END_TEST

static int count_key(const apr_table_t *t, const char *key)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i, n = 0;

    for (i = 0; i < arr->nelts; i++) {
        n += strcmp(e[i].key, key) == 0;
    }
    return n;
}

START_TEST(test_parse_query)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *t = apr_table_make(p, 8);
    itsme_err_t *err = NULL;

    ck_assert_int_eq(itsme_url_parse_query(p, "code=ab%2Fc+d&state=%41%42&flag&e=&&"
                                              "st%61te=2&x=a=b", 10, t, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 6);
    ck_assert_str_eq(apr_table_get(t, "code"), "ab/c d");
    ck_assert_str_eq(apr_table_get(t, "state"), "AB");   /* first of the two */
    ck_assert_int_eq(count_key(t, "state"), 2);          /* duplicate kept */
    ck_assert_str_eq(apr_table_get(t, "flag"), "");
    ck_assert_str_eq(apr_table_get(t, "e"), "");
    ck_assert_str_eq(apr_table_get(t, "x"), "a=b");
    apr_table_clear(t);
    ck_assert_int_eq(itsme_url_parse_query(p, NULL, 10, t, &err), APR_SUCCESS);
    ck_assert_int_eq(itsme_url_parse_query(p, "", 10, t, &err), APR_SUCCESS);
    ck_assert_int_eq(itsme_url_parse_query(p, "&&&", 1, t, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_parse_query_rejects)
{
    static const char *const bad[] = {
        "a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "a=%%41", "%=1", "a=%00",
        "%00=x", "ok=1&b=x%0", "a=%+1",
    };
    apr_pool_t *p = tu_pool();
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        apr_table_t *t = apr_table_make(p, 4);
        itsme_err_t *err = NULL;
        ck_assert_msg(itsme_url_parse_query(p, bad[i], 10, t, &err) == APR_EINVAL,
                      "accepted %s", bad[i]);
        ck_assert_ptr_nonnull(err);
        ck_assert_int_eq(err->kind, ITSME_E_INPUT);
    }
    ck_assert_int_eq(itsme_url_parse_query(p, "a=1", 10, NULL, NULL), APR_EINVAL);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_parse_query_limits)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *t = apr_table_make(p, 4);
    itsme_err_t *err = NULL;
    char *q = "p0=0";
    int i;

    ck_assert_int_eq(itsme_url_parse_query(p, "a=1&b=2&c=3", 3, t, &err), APR_SUCCESS);
    apr_table_clear(t);
    ck_assert_int_eq(itsme_url_parse_query(p, "a=1&b=2&c=3", 2, t, &err), APR_EINVAL);
    ck_assert_int_eq(err->kind, ITSME_E_INPUT);
    /* max_params <= 0: the default */
    for (i = 1; i < ITSME_URL_DEFAULT_MAX_PARAMS; i++) {
        q = apr_psprintf(p, "%s&p%d=%d", q, i, i);
    }
    apr_table_clear(t);
    ck_assert_int_eq(itsme_url_parse_query(p, q, 0, t, NULL), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, ITSME_URL_DEFAULT_MAX_PARAMS);
    q = apr_pstrcat(p, q, "&one=more", NULL);
    ck_assert_int_eq(itsme_url_parse_query(p, q, 0, apr_table_make(p, 4), NULL),
                     APR_EINVAL);
    ck_assert_int_eq(itsme_url_parse_query(p, q, -1, apr_table_make(p, 4), NULL),
                     APR_EINVAL);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_is_absolute)
{
    ck_assert(itsme_url_is_absolute("https://rp.example/cb"));
    ck_assert(itsme_url_is_absolute("HTTP://rp.example"));
    ck_assert(itsme_url_is_absolute("https://rp.example:8443?x"));
    ck_assert(itsme_url_is_absolute("https://[2001:db8::1]:443/"));
    ck_assert(!itsme_url_is_absolute("/itsme/callback"));
    ck_assert(!itsme_url_is_absolute("ftp://rp.example/"));
    ck_assert(!itsme_url_is_absolute("https:/rp.example/"));
    ck_assert(!itsme_url_is_absolute("https://"));
    ck_assert(!itsme_url_is_absolute("https:///path"));
    ck_assert(!itsme_url_is_absolute("https://u@rp.example/"));
    ck_assert(!itsme_url_is_absolute("https://rp.example:/"));
    ck_assert(!itsme_url_is_absolute("https://rp example/"));
    ck_assert(!itsme_url_is_absolute("https://[::1/"));
    ck_assert(!itsme_url_is_absolute(""));
    ck_assert(!itsme_url_is_absolute(NULL));
}
END_TEST

/* Whitespace or a control character anywhere, not only in the host. */
static const char *const ctl_urls[] = {
    "https://op.example/a b", "https://op.example/a\tb", "https://op.example/?q=\r\nX:1",
    "https://op.example/x#\x01", "https://op.example/\x7f", "https://op.example/ ",
    " https://op.example/", "https://op.example\n/", "http://127.0.0.1/a\x1f" "b",
    "http://localhost:9400/\v", NULL
};

START_TEST(test_whitespace_anywhere)
{
    for (int i = 0; ctl_urls[i]; i++) {
        ck_assert_msg(!itsme_url_is_absolute(ctl_urls[i]), "%d", i);
        ck_assert_msg(!itsme_url_is_secure_endpoint(ctl_urls[i]), "%d", i);
        ck_assert_msg(!itsme_url_is_https(ctl_urls[i]), "%d", i);
        ck_assert_msg(!itsme_url_is_loopback(ctl_urls[i]), "%d", i);
        ck_assert_msg(!itsme_url_is_loopback_http(ctl_urls[i]), "%d", i);
        ck_assert_msg(!itsme_url_is_op_endpoint(ctl_urls[i], "http://127.0.0.1/"), "%d", i);
    }
    /* the same URLs, percent-encoded, are fine */
    ck_assert(itsme_url_is_secure_endpoint("https://op.example/a%20b?q=%0D%0A"));
    ck_assert(itsme_url_is_absolute("http://localhost:9400/%0B"));
}
END_TEST

START_TEST(test_op_endpoint)
{
    static const char *const remote[] = { "https://op.example/.well-known/x",
                                          "https://127.0.0.1.nip.example/", NULL, "",
                                          "http://op.example/" };
    static const char *const local[] = { "http://127.0.0.1:9400/.well-known/x",
                                         "https://localhost:8443/", "http://[::1]/",
                                         "HTTPS://127.9.9.9" };
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        const char *d = remote[i];
        ck_assert(itsme_url_is_op_endpoint("https://op.example/token", d));
        ck_assert(itsme_url_is_op_endpoint("https://127.0.0.1/token", d));
        ck_assert(!itsme_url_is_op_endpoint("http://127.0.0.1:6379/", d));
        ck_assert(!itsme_url_is_op_endpoint("http://localhost/token", d));
        ck_assert(!itsme_url_is_op_endpoint("http://[::1]:9400/", d));
        ck_assert(!itsme_url_is_op_endpoint("http://op.example/token", d));
    }
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        const char *d = local[i];
        ck_assert(itsme_url_is_loopback(d));
        ck_assert(itsme_url_is_op_endpoint("https://op.example/token", d));
        ck_assert(itsme_url_is_op_endpoint("http://127.0.0.1:6379/", d));
        ck_assert(itsme_url_is_op_endpoint("http://localhost/token", d));
        ck_assert(itsme_url_is_op_endpoint("http://[::1]:9400/", d));
        ck_assert(!itsme_url_is_op_endpoint("http://op.example/token", d));
        ck_assert(!itsme_url_is_op_endpoint("ftp://127.0.0.1/", d));
        ck_assert(!itsme_url_is_op_endpoint(NULL, d));
    }
    ck_assert(itsme_url_is_https("HTTPS://op.example"));
    ck_assert(!itsme_url_is_https("http://op.example/"));
    ck_assert(!itsme_url_is_loopback("https://op.example/"));
    ck_assert(!itsme_url_is_loopback("ftp://127.0.0.1/"));
}
END_TEST

START_TEST(test_loopback_http)
{
    ck_assert(itsme_url_is_loopback_http("http://127.0.0.1:9400/.well-known/x"));
    ck_assert(itsme_url_is_loopback_http("http://127.1.2.3"));
    ck_assert(itsme_url_is_loopback_http("http://localhost/"));
    ck_assert(itsme_url_is_loopback_http("HTTP://LOCALHOST:8080/"));
    ck_assert(itsme_url_is_loopback_http("http://[::1]:9400/"));
    ck_assert(!itsme_url_is_loopback_http("https://127.0.0.1/"));   /* http only */
    ck_assert(!itsme_url_is_loopback_http("http://127.0.0.1.evil.com/"));
    ck_assert(!itsme_url_is_loopback_http("http://127.0.0.256/"));
    ck_assert(!itsme_url_is_loopback_http("http://127.0.0/"));
    ck_assert(!itsme_url_is_loopback_http("http://127.0.0.1.1/"));
    ck_assert(!itsme_url_is_loopback_http("http://127..0.1/"));
    ck_assert(!itsme_url_is_loopback_http("http://1270.0.0.1/"));
    ck_assert(!itsme_url_is_loopback_http("http://localhost.evil.com/"));
    ck_assert(!itsme_url_is_loopback_http("http://evil.com/localhost"));
    ck_assert(!itsme_url_is_loopback_http("http://127.0.0.1@evil.com/"));
    ck_assert(!itsme_url_is_loopback_http("http://evil.com@127.0.0.1/"));
    ck_assert(!itsme_url_is_loopback_http("http://10.0.0.1/"));
    ck_assert(!itsme_url_is_loopback_http("http://[::2]/"));
    ck_assert(!itsme_url_is_loopback_http("http://[::1]x/"));
    ck_assert(!itsme_url_is_loopback_http(NULL));
}
END_TEST

START_TEST(test_secure_endpoint)
{
    ck_assert(itsme_url_is_secure_endpoint("https://idp.e2e.itsme.services/v2/token"));
    ck_assert(itsme_url_is_secure_endpoint("https://op.example:443"));
    ck_assert(itsme_url_is_secure_endpoint("HTTPS://op.example:8443/x"));
    ck_assert(itsme_url_is_secure_endpoint("http://127.0.0.1:9400/token"));
    ck_assert(itsme_url_is_secure_endpoint("http://localhost:9400/token"));
    ck_assert(!itsme_url_is_secure_endpoint("http://op.example/token"));
    ck_assert(!itsme_url_is_secure_endpoint("ftp://op.example/"));
    ck_assert(!itsme_url_is_secure_endpoint("https://"));
    ck_assert(!itsme_url_is_secure_endpoint("https://user:pw@op.example/"));
    ck_assert(!itsme_url_is_secure_endpoint("https://op.example:0/"));
    ck_assert(!itsme_url_is_secure_endpoint("https://op.example:65536/"));
    ck_assert(!itsme_url_is_secure_endpoint("https://op.example:44a/"));
    ck_assert(!itsme_url_is_secure_endpoint("//op.example/"));
    ck_assert(!itsme_url_is_secure_endpoint("/token"));
    ck_assert(!itsme_url_is_secure_endpoint(NULL));
}
END_TEST

static const struct {
    const char *target;
    int ok;
} same_origin_cases[] = {
    { "/", 1 },
    { "/app", 1 },
    { "/app/page?x=1&y=%2F#frag", 1 },
    { "/%2F%2Fevil.com", 1 },          /* a path, not an authority */
    { "/a//b", 1 },
    { "https://app.example.com", 1 },
    { "https://app.example.com/", 1 },
    { "https://APP.Example.COM/x?y", 1 },
    { "HTTPS://app.example.com:443/x", 1 },
    { "https://app.example.com#f", 1 },
    { "//evil.com", 0 },
    { "///evil.com", 0 },
    { "/\\evil.com", 0 },
    { "\\\\evil.com", 0 },
    { "\\/evil.com", 0 },
    { "/app\\..\\x", 0 },              /* backslash anywhere */
    { "/\t/evil.com", 0 },             /* browsers drop tabs: "//evil" */
    { "/\n/evil.com", 0 },
    { "/\r/evil.com", 0 },
    { " /app", 0 },
    { "/a b", 0 },
    { "/a\x7f", 0 },
    { "javascript:alert(1)", 0 },
    { "JavaScript:alert(1)", 0 },
    { "data:text/html,x", 0 },
    { "https:evil.com", 0 },
    { "https:/evil.com", 0 },
    { "https:\\\\evil.com", 0 },
    { "https://evil.com", 0 },
    { "https://evil.com/app", 0 },
    { "https://app.example.com@evil.com/", 0 },
    { "https://app.example.com:x@evil.com/", 0 },
    { "https://user@app.example.com/", 0 },
    { "https://app.example.com.evil.com/", 0 },
    { "https://app.example.com./", 0 },
    { "https://evil.com?https://app.example.com", 0 },
    { "https://app.example.com:8443/", 0 },
    { "http://app.example.com/", 0 },
    { "https://app%2eexample.com/", 0 },
    { "app/page", 0 },
    { "?x=1", 0 },
    { "#frag", 0 },
    { "", 0 },
};

START_TEST(test_same_origin_table)
{
    const char *origin = "https://app.example.com";
    size_t i;

    for (i = 0; i < sizeof(same_origin_cases) / sizeof(same_origin_cases[0]); i++) {
        ck_assert_msg(itsme_url_is_same_origin(same_origin_cases[i].target, origin)
                          == same_origin_cases[i].ok,
                      "case %u: expected %d", (unsigned)i, same_origin_cases[i].ok);
    }
}
END_TEST

START_TEST(test_same_origin_ports_and_origins)
{
    /* default ports normalised on both sides */
    ck_assert(itsme_url_is_same_origin("https://a.example/x", "https://a.example:443"));
    ck_assert(itsme_url_is_same_origin("http://a.example:80/x", "http://a.example"));
    ck_assert(itsme_url_is_same_origin("http://a.example:8080/x", "http://a.example:8080"));
    ck_assert(itsme_url_is_same_origin("http://a.example:8080/x", "http://a.example:8080/"));
    ck_assert(!itsme_url_is_same_origin("http://a.example/x", "http://a.example:8080"));
    ck_assert(!itsme_url_is_same_origin("https://a.example:80/x", "https://a.example"));
    ck_assert(itsme_url_is_same_origin("http://[::1]:8080/x", "http://[::1]:8080"));
    ck_assert(!itsme_url_is_same_origin("http://[::1]:8080/x", "http://[::2]:8080"));
    /* an origin that is not an origin matches no absolute URL */
    ck_assert(!itsme_url_is_same_origin("https://a.example/x", "https://a.example/app"));
    ck_assert(!itsme_url_is_same_origin("https://a.example/x", NULL));
    ck_assert(!itsme_url_is_same_origin("https://a.example/x", "a.example"));
    /* paths need no origin */
    ck_assert(itsme_url_is_same_origin("/x", NULL));
    ck_assert(!itsme_url_is_same_origin(NULL, "https://a.example"));
}
END_TEST

Suite *itsme_suite_url(void)
{
    Suite *s = suite_create("url");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_form_encode);
    tcase_add_test(tc, test_add_query);
    tcase_add_test(tc, test_parse_query);
    tcase_add_test(tc, test_parse_query_rejects);
    tcase_add_test(tc, test_parse_query_limits);
    tcase_add_test(tc, test_is_absolute);
    tcase_add_test(tc, test_whitespace_anywhere);
    tcase_add_test(tc, test_op_endpoint);
    tcase_add_test(tc, test_loopback_http);
    tcase_add_test(tc, test_secure_endpoint);
    tcase_add_test(tc, test_same_origin_table);
    tcase_add_test(tc, test_same_origin_ports_and_origins);
    suite_add_tcase(s, tc);
    return s;
}
