/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_state.c: flow state (random values, PKCE S256 against RFC 7636
 * Appendix B, serialization round trip, shape and age checks). */
#include <string.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/proto/state.h"

#define SEC(n) apr_time_from_sec(n)
#define S43 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"

static int all_b64url(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
           == strlen(s);
}

START_TEST(random_values)
{
    apr_pool_t *p = tu_pool();
    const char *a = NULL, *b = NULL;
    itsme_err_t *err = NULL;

    ck_assert_int_eq(itsme_random_b64url(p, 16, &a, NULL), APR_SUCCESS);
    ck_assert_uint_eq(strlen(a), 22);
    ck_assert_int_eq(itsme_random_b64url(p, 64, &a, NULL), APR_SUCCESS);
    ck_assert_uint_eq(strlen(a), 86);
    ck_assert(all_b64url(a));
    ck_assert_int_eq(itsme_random_b64url(p, 64, &b, NULL), APR_SUCCESS);
    ck_assert_str_ne(a, b);
    ck_assert_int_ne(itsme_random_b64url(p, 15, &a, &err), APR_SUCCESS);
    ck_assert_ptr_null(a);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_ne(itsme_random_b64url(p, 65, &a, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_random_b64url(p, 0, &a, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(new_state)
{
    apr_pool_t *p = tu_pool();
    itsme_state_t *s = NULL, *t = NULL;
    itsme_err_t *err = NULL;

    ck_assert_int_eq(itsme_state_new(p, "/app?x=1", TU_NOW, &s, NULL), APR_SUCCESS);
    ck_assert_uint_eq(strlen(s->state), 43);
    ck_assert_uint_eq(strlen(s->nonce), 43);
    ck_assert_uint_eq(strlen(s->code_verifier), 43);
    ck_assert(all_b64url(s->state) && all_b64url(s->nonce) && all_b64url(s->code_verifier));
    ck_assert_str_ne(s->state, s->nonce);
    ck_assert_str_ne(s->nonce, s->code_verifier);
    ck_assert_str_eq(s->return_url, "/app?x=1");
    ck_assert_ptr_null(s->wanted_claims);
    ck_assert(s->created == TU_NOW);
    ck_assert_int_eq(itsme_state_new(p, "/app?x=1", TU_NOW, &t, NULL), APR_SUCCESS);
    ck_assert_str_ne(s->state, t->state);
    ck_assert_int_eq(itsme_state_new(p, "https://rp.example/a", TU_NOW, &t, NULL),
                     APR_SUCCESS);

    ck_assert_int_ne(itsme_state_new(p, "", TU_NOW, &t, &err), APR_SUCCESS);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(err->kind, ITSME_E_INPUT);
    ck_assert_int_ne(itsme_state_new(p, NULL, TU_NOW, &t, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_state_new(p, "//evil.example/", TU_NOW, &t, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_state_new(p, "javascript:alert(1)", TU_NOW, &t, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(pkce_vector)
{
    apr_pool_t *p = tu_pool();
    /* RFC 7636 Appendix B */
    ck_assert_str_eq(itsme_pkce_s256(p, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /* SHA-256("") */
    ck_assert_str_eq(itsme_pkce_s256(p, ""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    ck_assert_ptr_null(itsme_pkce_s256(p, NULL));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(round_trip)
{
    apr_pool_t *p = tu_pool();
    itsme_state_t *s = NULL, *out = NULL;
    char *json;

    ck_assert_int_eq(itsme_state_new(p, "/app/page?q=\"x\"&r=1", TU_NOW, &s, NULL),
                     APR_SUCCESS);
    s->wanted_claims = "sub nin birthdate";
    s->acr = "http://itsme.services/V2/claim/acr_basic";
    s->step_up = "nin";
    s->service = "ONBOARDING_ID";
    json = itsme_state_serialize(p, s);
    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(itsme_state_parse(p, json, strlen(json), TU_NOW + SEC(30),
                                       ITSME_STATE_MAX_AGE, &out, NULL), APR_SUCCESS);
    ck_assert_str_eq(out->state, s->state);
    ck_assert_str_eq(out->nonce, s->nonce);
    ck_assert_str_eq(out->code_verifier, s->code_verifier);
    ck_assert_str_eq(out->return_url, s->return_url);
    ck_assert_str_eq(out->wanted_claims, "sub nin birthdate");
    ck_assert_str_eq(out->acr, s->acr);
    ck_assert_str_eq(out->step_up, "nin");
    ck_assert_str_eq(out->service, "ONBOARDING_ID");
    ck_assert(out->created == TU_NOW);

    s->wanted_claims = s->acr = s->step_up = s->service = NULL;
    json = itsme_state_serialize(p, s);
    ck_assert_int_eq(itsme_state_parse(p, json, strlen(json), TU_NOW, 0, &out, NULL),
                     APR_SUCCESS);
    ck_assert_ptr_null(out->wanted_claims);
    ck_assert_ptr_null(out->acr);
    ck_assert_ptr_null(out->step_up);
    ck_assert_ptr_null(out->service);

    s->nonce = NULL;
    ck_assert_ptr_null(itsme_state_serialize(p, s));
    ck_assert_ptr_null(itsme_state_serialize(p, NULL));
    apr_pool_destroy(p);
}
END_TEST

static itsme_err_kind_e parse_kind(apr_pool_t *p, const char *json, apr_time_t now,
                                   apr_interval_time_t max_age)
{
    itsme_state_t *s = (itsme_state_t *)1;
    itsme_err_t *err = NULL;
    ck_assert_int_ne(itsme_state_parse(p, json, strlen(json), now, max_age, &s, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(err);
    return err->kind;
}

static const char *doc(apr_pool_t *p, apr_time_t created)
{
    return apr_psprintf(p, "{\"v\":1,\"s\":\"" S43 "\",\"n\":\"" S43 "\",\"cv\":\"" S43
                           "\",\"r\":\"/\",\"c\":%" APR_INT64_T_FMT "}",
                        (apr_int64_t)apr_time_sec(created));
}

START_TEST(age_rules)
{
    apr_pool_t *p = tu_pool();
    itsme_state_t *s = NULL;
    const char *j = doc(p, TU_NOW);

    ck_assert_int_eq(itsme_state_parse(p, j, strlen(j), TU_NOW + SEC(599), SEC(600), &s, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(parse_kind(p, j, TU_NOW + SEC(600), SEC(600)), ITSME_E_EXPIRED);
    ck_assert_int_eq(parse_kind(p, j, TU_NOW + SEC(5000), SEC(600)), ITSME_E_EXPIRED);
    ck_assert_int_eq(parse_kind(p, j, TU_NOW + SEC(61), SEC(60)), ITSME_E_EXPIRED);
    ck_assert_int_eq(parse_kind(p, j, TU_NOW + SEC(600), 0), ITSME_E_EXPIRED); /* default */
    /* created ahead of now: 60 s tolerated, more is refused as bad input */
    ck_assert_int_eq(itsme_state_parse(p, j, strlen(j), TU_NOW - SEC(60), SEC(600), &s, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(parse_kind(p, j, TU_NOW - SEC(61), SEC(600)), ITSME_E_INPUT);
    ck_assert_int_eq(parse_kind(p, j, TU_NOW - SEC(86400), SEC(600)), ITSME_E_INPUT);
    apr_pool_destroy(p);
}
END_TEST

/* One field replaced, everything else valid. */
static const char *with(apr_pool_t *p, const char *s, const char *n, const char *cv,
                        const char *r, const char *extra)
{
    return apr_psprintf(p, "{\"v\":1,\"s\":%s,\"n\":%s,\"cv\":%s,\"r\":%s,\"c\":1767225600%s}",
                        s, n, cv, r, extra);
}

START_TEST(malformed)
{
    apr_pool_t *p = tu_pool();
    const char *ok = "\"" S43 "\"";
    const char *const bad[] = {
        "", "{}", "[]", "nonsense", "{\"v\":1",
        "{\"v\":2,\"s\":\"" S43 "\",\"n\":\"" S43 "\",\"cv\":\"" S43 "\",\"r\":\"/\",\"c\":1}",
        "{\"s\":\"" S43 "\",\"n\":\"" S43 "\",\"cv\":\"" S43 "\",\"r\":\"/\",\"c\":1767225600}",
        "{\"v\":1,\"s\":\"" S43 "\",\"n\":\"" S43 "\",\"cv\":\"" S43 "\",\"r\":\"/\"}",
        "{\"v\":1,\"s\":\"" S43 "\",\"n\":\"" S43 "\",\"cv\":\"" S43 "\",\"r\":\"/\",\"c\":\"x\"}",
        with(p, "\"short\"", ok, ok, "\"/\"", ""),                          /* state < 22 */
        with(p, "\"abcdefghijklmnopqrstu\"", ok, ok, "\"/\"", ""),          /* 21 chars */
        with(p, "\"abcdefghijklmnopqrstuv+\"", ok, ok, "\"/\"", ""),        /* '+' */
        with(p, apr_psprintf(p, "\"%0129d\"", 0), ok, ok, "\"/\"", ""),     /* 129 chars */
        with(p, "42", ok, ok, "\"/\"", ""),
        with(p, ok, "\"abc def ghi jkl mno pqr\"", ok, "\"/\"", ""),
        with(p, ok, "null", ok, "\"/\"", ""),
        with(p, ok, ok, "\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP\"", "\"/\"", ""), /* 42 */
        with(p, ok, ok, "\"" S43 "!\"", "\"/\"", ""),
        with(p, ok, ok, apr_psprintf(p, "\"%0129d\"", 0), "\"/\"", ""),
        with(p, ok, ok, ok, "\"\"", ""),
        with(p, ok, ok, ok, "\"app\"", ""),
        with(p, ok, ok, ok, "\"//evil.example\"", ""),
        with(p, ok, ok, ok, "\"/\\\\evil.example\"", ""),
        with(p, ok, ok, ok, "\"ftp://x\"", ""),
        with(p, ok, ok, ok, "\"httpx\"", ""),
        with(p, ok, ok, ok, "\"/a\\r\\nSet-Cookie: x\"", ""),
        with(p, ok, ok, ok, "[\"/\"]", ""),
        with(p, ok, ok, ok, "\"/\"", ",\"wc\":5"),
        with(p, ok, ok, ok, "\"/\"", ",\"acr\":{}"),
        with(p, ok, ok, ok, "\"/\"", ",\"extra\":\"x\""),
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse_kind(p, bad[i], TU_NOW, SEC(600)) == ITSME_E_INPUT, "case %u",
                      (unsigned)i);
    }
    apr_pool_destroy(p);
}
END_TEST

/* The template of `malformed` is valid; so are the edges of each range. */
START_TEST(edges_accepted)
{
    apr_pool_t *p = tu_pool();
    const char *ok = "\"" S43 "\"";
    itsme_state_t *s = NULL;
    apr_size_t i;
    const char *good[] = {
        with(p, ok, ok, ok, "\"/\"", ""),
        with(p, "\"abcdefghijklmnopqrstuv\"", ok, ok, "\"http://rp/x\"", ",\"wc\":\"sub\""),
        with(p, apr_psprintf(p, "\"%0128d\"", 0), ok, "\"" S43 ".~\"", "\"/a\"", ""),
        with(p, ok, ok, apr_psprintf(p, "\"%0128d\"", 0), "\"https://rp/\"", ",\"acr\":\"a\""),
    };
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(itsme_state_parse(p, good[i], strlen(good[i]), TU_NOW, SEC(600), &s,
                                        NULL) == APR_SUCCESS, "good %u", (unsigned)i);
    }
    ck_assert_int_ne(itsme_state_parse(p, NULL, 0, TU_NOW, SEC(600), &s, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_state(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, random_values);
    tcase_add_test(tc, new_state);
    tcase_add_test(tc, pkce_vector);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, age_rules);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, edges_accepted);
    suite_add_tcase(s, tc);
    return s;
}
