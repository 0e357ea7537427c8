/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_logout_token.c: Back-Channel Logout 1.0 logout tokens with a fixed
 * clock: a table of claim variations each against its exact error, then
 * the signature attacks (alg none, HS256, a foreign key, tampering, a JWE),
 * and the store keys of what an OP-initiated logout ends. */
#include <string.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/b64url.h"
#include "core/proto/jwks.h"
#include "core/proto/logout_token.h"

#define ISS "https://op.example"
#define CLIENT "my-client"
#define NOW 1767225600
#define EVENTS "{\"" ITSME_LOGOUT_EVENT "\":{}}"

typedef struct {
    apr_pool_t *p;
    const itsme_jwk_t *sig;
    itsme_jwks_t *set;
    itsme_lt_check_t chk;
} lfx_t;

static apr_status_t lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                           const itsme_jwk_t **key, itsme_err_t **err)
{
    lfx_t *f = baton;

    *key = itsme_jwks_find_verify_key(f->set, kid, alg);
    return *key ? APR_SUCCESS : itsme_err_make(p, err, ITSME_E_TOKEN, APR_ENOENT, "no key");
}

static void lfx_init(lfx_t *f)
{
    const itsme_jwk_t *pub[2];
    const char *doc;

    memset(f, 0, sizeof(*f));
    f->p = tu_pool();
    f->sig = tu_rsa_key(f->p, "op-sig", "sig");
    pub[0] = f->sig;
    pub[1] = NULL;
    doc = tu_jwks_json(f->p, pub);
    ck_assert_int_eq(itsme_jwks_parse(f->p, doc, strlen(doc), &f->set, NULL), APR_SUCCESS);
    f->chk.issuer = ISS;
    f->chk.client_id = CLIENT;
    f->chk.now = TU_NOW;
}

/* A valid payload with `extra` members added (JSON text ending in a comma,
 * or ""); sid "s-1" unless extra names sub or sid. */
static const char *payload(apr_pool_t *p, const char *extra)
{
    return apr_psprintf(p, "{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":%d,"
                        "\"jti\":\"j-1\",%s%s\"events\":" EVENTS "}", NOW,
                        strstr(extra, "\"sub\"") || strstr(extra, "\"sid\"") ? ""
                                                                             : "\"sid\":\"s-1\",",
                        extra);
}

static const char *sign(lfx_t *f, const char *alg, const char *pl)
{
    const char *c = NULL;

    ck_assert_int_eq(itsme_jws_sign(f->p, f->sig, alg, "logout+jwt", pl, strlen(pl), &c, NULL),
                     APR_SUCCESS);
    return c;
}

static itsme_logout_token_t *run(lfx_t *f, const char *tok, const char *want_err)
{
    itsme_logout_token_t *t = NULL;
    itsme_err_t *e = NULL;
    apr_status_t rv = itsme_logout_token_validate(f->p, tok, &f->chk, lookup, f, &t, &e);

    if (!want_err) {
        ck_assert_msg(rv == APR_SUCCESS, "expected success, got %s", itsme_err_str(f->p, e));
        return t;
    }
    ck_assert_msg(rv != APR_SUCCESS && e && strstr(itsme_err_str(f->p, e), want_err),
                  "expected \"%s\", got \"%s\"", want_err, e ? itsme_err_str(f->p, e) : "ok");
    return NULL;
}

typedef struct {
    const char *extra;   /* members added to the valid payload */
    const char *error;   /* NULL: accepted */
} lt_case_t;

static const lt_case_t cases[] = {
    {"", NULL},
    {"\"sub\":\"user-1\",", NULL},                              /* sub alone */
    {"\"sub\":\"user-1\",\"sid\":\"s-2\",", NULL},
    {"\"exp\":1767225900,", NULL},
    {"\"nonce\":\"n\",", "a nonce is not allowed"},
    {"\"sub\":\"\",", "sub or sid malformed"},
    {"\"sid\":5,", "sub or sid malformed"},
    {"\"exp\":1767225500,", "expired"},
};

START_TEST(claim_table)
{
    lfx_t f;
    size_t i;

    lfx_init(&f);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run(&f, sign(&f, "RS256", payload(f.p, cases[i].extra)), cases[i].error);
    apr_pool_destroy(f.p);
}
END_TEST

/* Whole payloads, each missing or spoiling one required part. */
START_TEST(required_parts)
{
    lfx_t f;
    static const char *const bad[][2] = {
        {"{\"iss\":\"https://evil\",\"aud\":\"" CLIENT "\",\"iat\":1767225600,\"jti\":\"j\","
         "\"sid\":\"s\",\"events\":" EVENTS "}", "issuer mismatch"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"other\",\"iat\":1767225600,\"jti\":\"j\",\"sid\":\"s\","
         "\"events\":" EVENTS "}", "audience does not contain the client_id"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"jti\":\"j\",\"sid\":\"s\",\"events\":"
         EVENTS "}", "iat missing"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":1767224939,\"jti\":\"j\","
         "\"sid\":\"s\",\"events\":" EVENTS "}", "too old"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":1767225661,\"jti\":\"j\","
         "\"sid\":\"s\",\"events\":" EVENTS "}", "iat in the future"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":1767225600,\"jti\":\"j\","
         "\"sid\":\"s\"}", "no back-channel logout event"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":1767225600,\"jti\":\"j\","
         "\"sid\":\"s\",\"events\":{\"" ITSME_LOGOUT_EVENT "\":true}}",
         "no back-channel logout event"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":1767225600,\"jti\":\"j\","
         "\"events\":" EVENTS "}", "neither sub nor sid"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"iat\":1767225600,\"sid\":\"s\","
         "\"events\":" EVENTS "}", "jti missing"},
    };
    size_t i;

    lfx_init(&f);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        run(&f, sign(&f, "RS256", bad[i][0]), bad[i][1]);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(fields_and_replay_window)
{
    lfx_t f;
    itsme_logout_token_t *t;

    lfx_init(&f);
    t = run(&f, sign(&f, "PS256", payload(f.p, "\"sub\":\"user-1\",")), NULL);
    ck_assert_str_eq(t->sub, "user-1");
    ck_assert_ptr_null(t->sid);
    ck_assert_str_eq(t->jti, "j-1");
    ck_assert(t->iat == TU_NOW);
    ck_assert(t->until >= TU_NOW + ITSME_LOGOUT_TOKEN_MAX_AGE);  /* replay refused that long */
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(signature_attacks)
{
    lfx_t f;
    const char *good, *none, *hs, *foreign = NULL, *pl;
    char *tampered;

    lfx_init(&f);
    pl = payload(f.p, "");
    good = sign(&f, "RS256", pl);
    none = apr_pstrcat(f.p, tu_b64s(f.p, "{\"alg\":\"none\"}"), ".", tu_b64s(f.p, pl), ".", NULL);
    run(&f, none, "signature algorithm not allowed");
    hs = apr_pstrcat(f.p, tu_b64s(f.p, "{\"alg\":\"HS256\",\"kid\":\"op-sig\"}"), ".",
                     tu_b64s(f.p, pl), ".AAAA", NULL);
    run(&f, hs, "signature algorithm not allowed");
    ck_assert_int_eq(itsme_jws_sign(f.p, tu_rsa_key(f.p, "op-sig-other", "sig"), "RS256", NULL,
                                    pl, strlen(pl), &foreign, NULL), APR_SUCCESS);
    run(&f, foreign, "no verification key");
    tampered = apr_pstrdup(f.p, good);
    tampered[strlen(tampered) - 5] = tampered[strlen(tampered) - 5] == 'A' ? 'B' : 'A';
    run(&f, tampered, "bad signature");
    run(&f, "a.b.c.d.e", "encrypted logout tokens are not accepted");
    run(&f, "", "missing");
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(store_keys)
{
    apr_pool_t *p = tu_pool();
    const char *a = itsme_logout_key(p, "x", "sid", ISS, "s-1");

    ck_assert_uint_eq(strlen(a), 43 + strlen(":xsid"));
    ck_assert_str_eq(a + 43, ":xsid");                                        /* hash first */
    ck_assert_str_eq(a, itsme_logout_key(p, "x", "sid", ISS, "s-1"));
    ck_assert_int_ne(strncmp(a, itsme_logout_key(p, "x", "sid", ISS "/", "s-1"), 43), 0);
    ck_assert_int_ne(strncmp(a, itsme_logout_key(p, "x", "sid", ISS, "s-2"), 43), 0);
    ck_assert_int_ne(strncmp(a, itsme_logout_key(p, "x", "sub", ISS, "s-1"), 43), 0);
    ck_assert_ptr_null(strstr(a, "s-1"));                                     /* no OP text */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(hint_only_without_personal_data)
{
    apr_pool_t *p = tu_pool();
    static const char *const hints[][2] = {
        {"{\"iss\":\"" ISS "\",\"sub\":\"u\",\"aud\":\"c\",\"exp\":1,\"iat\":1,"
         "\"nonce\":\"n\",\"sid\":\"s\",\"at_hash\":\"h\",\"acr\":\"a\",\"amr\":[\"pwd\"],"
         "\"auth_time\":1,\"azp\":\"c\"}", "1"},
        {"{\"iss\":\"" ISS "\",\"sub\":\"u\",\"nin\":\"81042419835\"}", "0"},
        {"{\"iss\":\"" ISS "\",\"sub\":\"u\",\"given_name\":\"Jan\"}", "0"},
        {"{\"iss\":\"" ISS "\",\"http://itsme.services/v2/claim/BENationalNumber\":\"x\"}",
         "0"},
    };
    size_t i;

    for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        itsme_json_t *c = NULL;

        ck_assert_int_eq(itsme_json_parse_object(p, hints[i][0], strlen(hints[i][0]), &c, NULL),
                         APR_SUCCESS);
        ck_assert_int_eq(itsme_logout_hint_safe(c), hints[i][1][0] == '1');
    }
    ck_assert(!itsme_logout_hint_safe(NULL));
    apr_pool_destroy(p);
}
END_TEST

/* The OP replaced the key under kid "op-sig": the cache still has the old
 * one; relookup finds the new one. */
static const itsme_jwk_t *replaced_old;
static apr_status_t stale_lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                                 const itsme_jwk_t **key, itsme_err_t **err)
{
    (void)baton;
    (void)p;
    (void)kid;
    (void)alg;
    (void)err;
    *key = replaced_old;
    return APR_SUCCESS;
}

static apr_status_t fresh_relookup(void *baton, apr_pool_t *p, const char *kid,
                                   const char *alg, const itsme_jwk_t **key, itsme_err_t **err)
{
    lfx_t *f = baton;

    ck_assert_ptr_eq(*key, replaced_old);                /* told which key failed */
    return lookup(f, p, kid, alg, key, err);
}

START_TEST(second_key_after_replacement)
{
    lfx_t f;
    itsme_logout_token_t *t = NULL;
    itsme_err_t *e = NULL;
    const char *tok;
    const itsme_jwk_t *pub[2];
    const char *doc;
    itsme_jwks_t *old_set = NULL;

    lfx_init(&f);
    pub[0] = tu_rsa_key(f.p, "op-sig-old", "sig");
    pub[1] = NULL;
    doc = tu_jwks_json(f.p, pub);
    ck_assert_int_eq(itsme_jwks_parse(f.p, doc, strlen(doc), &old_set, NULL), APR_SUCCESS);
    replaced_old = itsme_jwks_find_verify_key(old_set, "op-sig-old", "RS256");
    ck_assert_ptr_nonnull(replaced_old);
    tok = sign(&f, "RS256", payload(f.p, ""));
    ck_assert_int_ne(itsme_logout_token_validate(f.p, tok, &f.chk, stale_lookup, &f, &t, &e),
                     APR_SUCCESS);                       /* no second look: refused */
    ck_assert_ptr_nonnull(strstr(itsme_err_str(f.p, e), "bad signature"));
    f.chk.relookup = fresh_relookup;
    ck_assert_int_eq(itsme_logout_token_validate(f.p, tok, &f.chk, stale_lookup, &f, &t, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(f.p);
}
END_TEST

Suite *itsme_suite_logout_token(void)
{
    Suite *s = suite_create("logout_token");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, claim_table);
    tcase_add_test(tc, required_parts);
    tcase_add_test(tc, fields_and_replay_window);
    tcase_add_test(tc, signature_attacks);
    tcase_add_test(tc, store_keys);
    tcase_add_test(tc, hint_only_without_personal_data);
    tcase_add_test(tc, second_key_after_replacement);
    suite_add_tcase(s, tc);
    return s;
}
