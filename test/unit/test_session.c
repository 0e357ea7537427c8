/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_session.c: session JSON (round trip, strict parsing) and the time
 * rules of itsme_session_check / itsme_session_touch_due. */
#include <string.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/session/session.h"

#define SEC(n) apr_time_from_sec(n)

static itsme_session_t *sample(apr_pool_t *p)
{
    itsme_session_t *s = apr_pcalloc(p, sizeof(*s));
    s->sub = "user-123";
    s->issuer = "https://idp.e2e.itsme.services/v2";
    s->created = TU_NOW;
    s->expires = TU_NOW + SEC(3600);
    s->last_seen = TU_NOW + SEC(10);
    s->claims = apr_table_make(p, 4);
    apr_table_set(s->claims, "given_name", "Jan \"J\" \xc3\xa9");
    apr_table_set(s->claims, "birthdate", "1981-04-01");
    s->id_token = "eyJhbGciOi.x.y";
    s->acr = "http://itsme.services/V2/claim/acr_advanced";
    s->sid = "op-session-1";
    s->not_given = "nin email";
    return s;
}

static itsme_err_t *parse_fails(apr_pool_t *p, const char *json)
{
    itsme_session_t *s = (itsme_session_t *)1;
    itsme_err_t *err = NULL;
    ck_assert_int_ne(itsme_session_parse(p, json, strlen(json), &s, &err), APR_SUCCESS);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->kind, ITSME_E_INPUT);
    return err;
}

START_TEST(round_trip)
{
    apr_pool_t *p = tu_pool();
    itsme_session_t *in = sample(p), *out = NULL;
    char *json = itsme_session_serialize(p, in);

    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_nonnull(strstr(json, "\"v\":1"));
    ck_assert_ptr_nonnull(strstr(json, "\"c\":1767225600"));
    ck_assert_int_eq(itsme_session_parse(p, json, strlen(json), &out, NULL), APR_SUCCESS);
    ck_assert_str_eq(out->sub, in->sub);
    ck_assert_str_eq(out->issuer, in->issuer);
    ck_assert(out->created == in->created);
    ck_assert(out->expires == in->expires);
    ck_assert(out->last_seen == in->last_seen);
    ck_assert_str_eq(out->id_token, in->id_token);
    ck_assert_str_eq(out->acr, in->acr);
    ck_assert_str_eq(out->sid, in->sid);
    ck_assert_str_eq(out->not_given, "nin email");
    ck_assert_int_eq(apr_table_elts(out->claims)->nelts, 2);
    ck_assert_str_eq(apr_table_get(out->claims, "given_name"), "Jan \"J\" \xc3\xa9");
    ck_assert_str_eq(apr_table_get(out->claims, "birthdate"), "1981-04-01");

    /* optional parts absent; sub-second times truncate to seconds */
    in->issuer = in->id_token = in->acr = in->sid = in->not_given = NULL;
    in->claims = NULL;
    in->created = TU_NOW + 999999;
    json = itsme_session_serialize(p, in);
    ck_assert_int_eq(itsme_session_parse(p, json, strlen(json), &out, NULL), APR_SUCCESS);
    ck_assert_ptr_null(out->issuer);
    ck_assert_ptr_null(out->id_token);
    ck_assert_ptr_null(out->acr);
    ck_assert_ptr_null(out->not_given);
    ck_assert_ptr_nonnull(out->claims);
    ck_assert_int_eq(apr_table_elts(out->claims)->nelts, 0);
    ck_assert(out->created == TU_NOW);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(serialize_refuses)
{
    apr_pool_t *p = tu_pool();
    itsme_session_t *s = sample(p);
    int i;

    ck_assert_ptr_null(itsme_session_serialize(p, NULL));
    s->sub = "";
    ck_assert_ptr_null(itsme_session_serialize(p, s));
    s->sub = NULL;
    ck_assert_ptr_null(itsme_session_serialize(p, s));
    s = sample(p);
    for (i = 0; i < ITSME_SESSION_MAX_CLAIMS; i++) {
        apr_table_set(s->claims, apr_psprintf(p, "c%d", i), "v");
    }
    ck_assert_ptr_null(itsme_session_serialize(p, s)); /* 258 claims */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(parse_rejects)
{
    apr_pool_t *p = tu_pool();
    static const char *const bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1", /* truncated */
        "{\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1}",          /* no v */
        "{\"v\":2,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1}",
        "{\"v\":\"1\",\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1}",
        "{\"v\":1,\"c\":1,\"e\":2,\"l\":1}",                /* no sub */
        "{\"v\":1,\"sub\":\"\",\"c\":1,\"e\":2,\"l\":1}",
        "{\"v\":1,\"sub\":42,\"c\":1,\"e\":2,\"l\":1}",
        "{\"v\":1,\"sub\":\"u\",\"e\":2,\"l\":1}",          /* no c */
        "{\"v\":1,\"sub\":\"u\",\"c\":\"1\",\"e\":2,\"l\":1}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1.5,\"e\":2,\"l\":1}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":-2,\"l\":1}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2}",           /* no l */
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":99999999999999,\"l\":1}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":{\"age\":18}}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":{\"a\":null}}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":{\"a\":{\"b\":\"c\"}}}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":{\"\":\"x\"}}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":[\"x\"]}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"it\":5}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"iss\":true}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"acr\":[]}",
        "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"admin\":true}",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        parse_fails(p, bad[i]);
    }
    /* the same document, well formed, parses: the rejections above are specific */
    itsme_session_t *s = NULL;
    const char *good = "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":{\"a\":\"b\"}}";
    ck_assert_int_eq(itsme_session_parse(p, good, strlen(good), &s, NULL), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(s->claims, "a"), "b");
    ck_assert_int_ne(itsme_session_parse(p, NULL, 0, &s, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

/* A claims object of n entries, as JSON text. */
static const char *with_claims(apr_pool_t *p, int n)
{
    const char *cl = "";
    int i;
    for (i = 0; i < n; i++) {
        cl = apr_psprintf(p, "%s%s\"k%d\":\"v\"", cl, i ? "," : "", i);
    }
    return apr_psprintf(p, "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,\"cl\":{%s}}", cl);
}

START_TEST(claim_count_limit)
{
    apr_pool_t *p = tu_pool();
    itsme_session_t *s = NULL;
    const char *ok = with_claims(p, ITSME_SESSION_MAX_CLAIMS);

    ck_assert_int_eq(itsme_session_parse(p, ok, strlen(ok), &s, NULL), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(s->claims)->nelts, ITSME_SESSION_MAX_CLAIMS);
    ck_assert_ptr_nonnull(strstr(parse_fails(p, with_claims(p, ITSME_SESSION_MAX_CLAIMS + 1))
                                     ->msg, "too many"));
    apr_pool_destroy(p);
}
END_TEST

/* ---- the fast path and the general parser agree ---- */

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        ck_assert_ptr_eq(a, b);
    else
        ck_assert_str_eq(a, b);
}

static void same_session(const itsme_session_t *a, const itsme_session_t *b)
{
    const apr_array_header_t *x = apr_table_elts(a->claims), *y = apr_table_elts(b->claims);
    const apr_table_entry_t *ex = (const apr_table_entry_t *)x->elts;
    const apr_table_entry_t *ey = (const apr_table_entry_t *)y->elts;
    same_str(a->sub, b->sub);
    same_str(a->issuer, b->issuer);
    same_str(a->id_token, b->id_token);
    same_str(a->acr, b->acr);
    same_str(a->sid, b->sid);
    same_str(a->not_given, b->not_given);
    ck_assert(a->created == b->created && a->expires == b->expires);
    ck_assert(a->last_seen == b->last_seen);
    ck_assert_int_eq(x->nelts, y->nelts);
    for (int i = 0; i < x->nelts; i++) {
        ck_assert_str_eq(ex[i].key, ey[i].key);
        ck_assert_str_eq(ex[i].val, ey[i].val);
    }
}

/* 1 when the fast path took json; then the general parser must agree. */
static int fast_vs_general(apr_pool_t *p, const char *json, apr_size_t len)
{
    itsme_session_t *f = (itsme_session_t *)1, *g = NULL;
    int fast = itsme_session_parse_fast(p, json, len, &f);
    apr_status_t rv = itsme_session_parse_general(p, json, len, &g, NULL);
    if (!fast) {
        ck_assert_ptr_null(f);
        return 0;
    }
    ck_assert_msg(rv == APR_SUCCESS, "fast path took what the parser refuses: %.*s", (int)len,
                  json);
    same_session(f, g);
    return 1;
}

START_TEST(fast_path_taken)
{
    apr_pool_t *p = tu_pool();
    itsme_session_t *s = sample(p);
    /* escapes, 2- 3- and 4-byte UTF-8, '/', a value that is JSON text itself */
    apr_table_set(s->claims, "address_formatted", "Rue \\ 1\n1000 Brussel\t/\r\b\f");
    apr_table_set(s->claims, "family_name", "L\xc3\xa9on \xe2\x82\xac \xf0\x9f\x98\x80");
    apr_table_set(s->claims, "json", "{\"a\":[1,\"}\"]}");
    apr_table_set(s->claims, "empty", "");
    const char *json = itsme_session_serialize(p, s);
    ck_assert_int_eq(fast_vs_general(p, json, strlen(json)), 1);
    ck_assert_int_eq(fast_vs_general(p, json, strlen(json) - 1), 0);
    /* the smallest session; and the upper bounds */
    const char *min = "{\"v\":1,\"sub\":\"u\",\"c\":0,\"e\":9223372036854,\"l\":1}";
    ck_assert_int_eq(fast_vs_general(p, min, strlen(min)), 1);
    const char *big = with_claims(p, ITSME_SESSION_MAX_CLAIMS);
    ck_assert_int_eq(fast_vs_general(p, big, strlen(big)), 1);
    /* a control character is written as \u0001: the general parser's work */
    apr_table_set(s->claims, "given_name", "a\x01");
    json = itsme_session_serialize(p, s);
    ck_assert_int_eq(fast_vs_general(p, json, strlen(json)), 0);
    itsme_session_t *out = NULL;
    ck_assert_int_eq(itsme_session_parse(p, json, strlen(json), &out, NULL), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(out->claims, "given_name"), "a\x01");
    apr_pool_destroy(p);
}
END_TEST

#define SESS(rest) "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1" rest "}"

/* Documents at the edges of what the fast path takes; want: 1 taken, 0 not. */
static const struct {
    const char *json;
    int want;
} edges[] = {
    { SESS(",\"cl\":{\"n\":\"\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
           "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}"), 1 }, /* the edges of each length */
    { SESS(",\"cl\":{\"n\":\"\xc0\x80\"}"), 0 },      /* overlong */
    { SESS(",\"cl\":{\"n\":\"\xc1\xbf\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"\xe0\x9f\xbf\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"\xed\xa0\x80\"}"), 0 },  /* surrogate */
    { SESS(",\"cl\":{\"n\":\"\xf0\x8f\xbf\xbf\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"\xf4\x90\x80\x80\"}"), 0 }, /* above U+10FFFF */
    { SESS(",\"cl\":{\"n\":\"\xf5\x80\x80\x80\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"\x80\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"\xe2\x82\"}"), 0 },      /* cut short */
    { SESS(",\"cl\":{\"n\":\"\xe2\x82\x41\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"a\x7f\"}"), 1 },
    { SESS(",\"cl\":{\"n\":\"\\u0041\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"\\x\"}"), 0 },
    { SESS(",\"cl\":{\"n\":\"a\",\"n\":\"b\"}"), 0 },  /* refused by both */
    { SESS(",\"cl\":{\"Nin\":\"a\",\"nin\":\"b\"}"), 0 }, /* table: same name */
    { SESS(",\"cl\":{}"), 1 },
    { SESS(",\"sub\":\"w\""), 0 },
    { SESS(",\"it\":\"x\",\"acr\":\"y\",\"iss\":\"z\""), 1 },
    { SESS(",\"it\":null"), 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":01,\"e\":2,\"l\":1}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":9223372036855,\"l\":1}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":1234567890123456789,\"l\":1}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":9999999999999999999,\"l\":1}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":18446744073709551617,\"l\":1}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2e3,\"l\":1}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":-0,\"e\":2,\"l\":1}", 0 },
    { "{\"v\":1, \"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1}", 0 },
    { SESS("") " ", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2}", 0 },
    { "{\"v\":1,\"sub\":\"u\",\"c\":1,\"e\":2,\"l\":1,}", 0 },
};

START_TEST(fast_path_edges)
{
    apr_pool_t *p = tu_pool();
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        ck_assert_msg(fast_vs_general(p, edges[i].json, strlen(edges[i].json)) == edges[i].want,
                      "edge %d", (int)i);
    /* a NUL inside the given length */
    ck_assert_int_eq(fast_vs_general(p, SESS("") "\0", sizeof(SESS(""))), 0);
    apr_pool_destroy(p);
}
END_TEST

/* Every byte of a real session replaced by each of a set of bytes, and every
 * prefix: wherever the fast path says yes, the general parser agrees. */
START_TEST(fast_path_mutations)
{
    static const char repl[] = "\"\\{}[],:0159-.eE ntu\x01\x7f\x80\xc3\xa9\xed\xf4";
    apr_pool_t *p = tu_pool(), *it = NULL;
    itsme_session_t *s = sample(p);
    apr_table_set(s->claims, "address_formatted", "a\nb");
    const char *json = itsme_session_serialize(p, s);
    apr_size_t len = strlen(json);
    char *buf = apr_pstrdup(p, json);
    int taken = 0, tried = 0;
    ck_assert_int_eq(apr_pool_create(&it, p), APR_SUCCESS);
    for (apr_size_t i = 0; i < len; i++) {
        for (size_t r = 0; r < sizeof(repl) - 1; r++, tried++) {
            buf[i] = repl[r];
            taken += fast_vs_general(it, buf, len);
            apr_pool_clear(it);
        }
        buf[i] = json[i];
        taken += fast_vs_general(it, buf, i);
    }
    /* a real share goes each way (digits, letters inside strings...) */
    ck_assert_int_gt(taken, tried / 10);
    ck_assert_int_lt(taken, tried / 2);
    apr_pool_destroy(p);
}
END_TEST

static const struct {
    long created, expires, last_seen, now, inactivity;
    itsme_session_status_e want;
} check_table[] = {
    { 0, 3600, 0, 10, 0, ITSME_SESSION_OK },
    { 0, 3600, 0, 3599, 0, ITSME_SESSION_OK },
    { 0, 3600, 0, 3600, 0, ITSME_SESSION_EXPIRED },     /* at expires */
    { 0, 3600, 0, 9000, 0, ITSME_SESSION_EXPIRED },
    { 0, 3600, 0, 899, 900, ITSME_SESSION_OK },
    { 0, 3600, 0, 900, 900, ITSME_SESSION_IDLE },       /* inactivity reached */
    { 0, 3600, 800, 1600, 900, ITSME_SESSION_OK },      /* touched in between */
    { 0, 3600, 800, 4000, 900, ITSME_SESSION_EXPIRED }, /* expiry before idle */
    { 1000, 3600, 1000, 940, 0, ITSME_SESSION_OK },     /* within 60 s skew */
    { 1000, 3600, 1000, 939, 0, ITSME_SESSION_FUTURE },
    { 0, 3600, 2000, 1000, 900, ITSME_SESSION_FUTURE }, /* last_seen ahead */
    { 5000, 3600, 5000, 100, 0, ITSME_SESSION_FUTURE }, /* future wins over expiry */
};

START_TEST(check_rules)
{
    itsme_session_t s;
    apr_size_t i;

    memset(&s, 0, sizeof(s));
    s.sub = "u";
    for (i = 0; i < sizeof(check_table) / sizeof(check_table[0]); i++) {
        s.created = TU_NOW + SEC(check_table[i].created);
        s.expires = TU_NOW + SEC(check_table[i].expires);
        s.last_seen = TU_NOW + SEC(check_table[i].last_seen);
        ck_assert_msg(itsme_session_check(&s, TU_NOW + SEC(check_table[i].now),
                                          SEC(check_table[i].inactivity))
                          == check_table[i].want,
                      "row %u", (unsigned)i);
    }
}
END_TEST

static const struct {
    long last_seen, now, inactivity;
    int want;
} touch_table[] = {
    { 0, 100000, 0, 0 },    /* inactivity off: never */
    { 0, 59, 300, 0 },      /* floor of 60 s */
    { 0, 60, 300, 1 },
    { 0, 359, 3600, 0 },    /* a tenth of 3600 s */
    { 0, 360, 3600, 1 },
    { 100, 50, 300, 0 },    /* last_seen ahead of now */
    { 0, 0, 300, 0 },
    { 0, 29, 60, 0 },       /* short timeouts: half of it, not 60 s */
    { 0, 30, 60, 1 },
    { 0, 4, 10, 0 },
    { 0, 5, 10, 1 },
    { 0, 1, 1, 1 },
};

START_TEST(touch_rules)
{
    itsme_session_t s;
    apr_size_t i;

    memset(&s, 0, sizeof(s));
    s.sub = "u";
    s.created = TU_NOW;
    s.expires = TU_NOW + SEC(86400);
    for (i = 0; i < sizeof(touch_table) / sizeof(touch_table[0]); i++) {
        s.last_seen = TU_NOW + SEC(touch_table[i].last_seen);
        ck_assert_msg(itsme_session_touch_due(&s, TU_NOW + SEC(touch_table[i].now),
                                              SEC(touch_table[i].inactivity))
                          == touch_table[i].want,
                      "row %u", (unsigned)i);
    }
}
END_TEST

Suite *itsme_suite_session(void)
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, serialize_refuses);
    tcase_add_test(tc, parse_rejects);
    tcase_add_test(tc, claim_count_limit);
    tcase_add_test(tc, fast_path_taken);
    tcase_add_test(tc, fast_path_edges);
    tcase_add_test(tc, fast_path_mutations);
    tcase_add_test(tc, check_rules);
    tcase_add_test(tc, touch_rules);
    suite_add_tcase(s, tc);
    return s;
}
