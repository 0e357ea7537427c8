/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_id_token.c: ID Token validation with a fixed clock (TU_NOW). A table
 * of claim variations (iss, aud/azp, exp/iat/nbf with skew, nonce, sub, acr)
 * each against its exact error, then the shape and signature attacks: alg
 * none, HS256 keyed with the public key, a foreign key, unknown kid,
 * tampering, allow-list, and the JWE (nested JWT) rules; then the same for
 * the UserInfo answer (plain JSON, JWS, JWE-wrapped JWS, sub binding). */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/b64url.h"
#include "core/proto/id_token.h"
#include "core/proto/userinfo.h"

#define ISS "https://idp.e2e.itsme.services/v2"
#define CLIENT "my-client"
#define NONCE "n-0S6_WzA2Mj"
#define NOW 1767225600
#define ACR_ADV "http://itsme.services/v2/claim/acr_advanced"

/* ---- fixture ---- */

typedef struct {
    apr_pool_t *p;
    const itsme_jwk_t *sig, *ec, *enc;
    itsme_jwks_t *set; /* the OP's published keys: sig and ec */
    int lookups;
    const char *name; /* of the case, for failure messages */
    itsme_idt_check_t chk;
    apr_array_header_t *dkeys;
} fx_t;

static apr_status_t lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                           const itsme_jwk_t **key, itsme_err_t **err)
{
    fx_t *f = baton;
    f->lookups++;
    *key = itsme_jwks_find_verify_key(f->set, kid, alg);
    if (*key == NULL)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_ENOENT, "no key for this kid");
    return APR_SUCCESS;
}

static void fx_init(fx_t *f)
{
    memset(f, 0, sizeof(*f));
    f->p = tu_pool();
    f->name = "";
    f->sig = tu_rsa_key(f->p, "op-sig", "sig");
    f->ec = tu_ec_key(f->p, "op-ec");
    f->enc = tu_rsa_key(f->p, "rp-enc", "enc");
    ck_assert_ptr_nonnull(f->sig);
    ck_assert_ptr_nonnull(f->ec);
    ck_assert_ptr_nonnull(f->enc);
    const itsme_jwk_t *pub[] = {f->sig, f->ec, NULL};
    const char *doc = tu_jwks_json(f->p, pub);
    ck_assert_int_eq(itsme_jwks_parse(f->p, doc, strlen(doc), &f->set, NULL), APR_SUCCESS);
    f->chk.issuer = ISS;
    f->chk.client_id = CLIENT;
    f->chk.nonce = NONCE;
    f->chk.now = TU_NOW;
    f->dkeys = apr_array_make(f->p, 1, sizeof(const itsme_jwk_t *));
    APR_ARRAY_PUSH(f->dkeys, const itsme_jwk_t *) = f->enc;
}

typedef struct {
    itsme_json_t *out;
    const itsme_json_t *skip;
} merge_t;

static int copy_member(void *baton, const char *key, const itsme_json_t *v)
{
    merge_t *m = baton;
    if ((m->skip == NULL || itsme_json_get(m->skip, key) == NULL) && !itsme_json_is_null(v))
        itsme_json_set(m->out, key, (itsme_json_t *)v);
    return 0;
}

/* The base claims with `overrides` merged in (a null value removes). */
static const char *payload(apr_pool_t *p, const char *overrides)
{
    const char *base = apr_psprintf(p,
        "{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\",\"sub\":\"user-123\",\"nonce\":\"" NONCE
        "\",\"iat\":%d,\"exp\":%d,\"given_name\":\"Maxence\"}", NOW, NOW + 300);
    itsme_json_t *b = NULL, *o = NULL;
    ck_assert_int_eq(itsme_json_parse_object(p, base, strlen(base), &b, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_parse_object(p, overrides, strlen(overrides), &o, NULL),
                     APR_SUCCESS);
    merge_t m = {itsme_json_object_new(p), o};
    itsme_json_object_foreach(b, copy_member, &m);
    m.skip = NULL;
    itsme_json_object_foreach(o, copy_member, &m);
    return itsme_json_dump(p, m.out);
}

static const char *sign(apr_pool_t *p, const itsme_jwk_t *k, const char *alg, const char *pl)
{
    const char *c = NULL;
    ck_assert_int_eq(itsme_jws_sign(p, k, alg, "JWT", pl, strlen(pl), &c, NULL), APR_SUCCESS);
    return c;
}

static const char *encrypt(apr_pool_t *p, const itsme_jwk_t *k, const char *alg,
                           const char *enc, const char *plain)
{
    const char *c = NULL;
    ck_assert_int_eq(itsme_jwe_encrypt(p, k, alg, enc, "JWT", plain, strlen(plain), &c, NULL),
                     APR_SUCCESS);
    return c;
}

/* Runs validation; on failure checks kind and message. */
static itsme_id_token_t *run(fx_t *f, const char *tok, int ok, itsme_err_kind_e kind,
                             const char *msg)
{
    itsme_id_token_t *out = NULL;
    itsme_err_t *e = NULL;
    apr_status_t rv = itsme_id_token_validate(f->p, tok, &f->chk, lookup, f, &out, &e);
    if (ok) {
        ck_assert_msg(rv == APR_SUCCESS && out != NULL, "%s: expected success, got: %s",
                      f->name, itsme_err_str(f->p, e));
        return out;
    }
    ck_assert_msg(rv != APR_SUCCESS && e != NULL, "%s: expected failure", f->name);
    ck_assert_msg(e->kind == kind && strcmp(e->msg, msg) == 0,
                  "%s: expected kind %d \"%s\", got kind %d \"%s\"", f->name, (int)kind, msg,
                  (int)e->kind, itsme_err_str(f->p, e));
    return NULL;
}

/* ---- the claims table ---- */

static const char *const acr_adv[] = {ACR_ADV, NULL};

typedef struct {
    const char *name;
    const char *overrides;
    const char *const *acr_allowed;
    int ok;
    itsme_err_kind_e kind;
    const char *msg;
} idt_case_t;

#define T ITSME_E_TOKEN
#define X ITSME_E_EXPIRED
static const idt_case_t cases[] = {
    {"valid", "{}", NULL, 1, 0, NULL},
    {"wrong iss", "{\"iss\":\"https://evil.example\"}", NULL, 0, T, "id_token: issuer mismatch"},
    {"iss trailing slash", "{\"iss\":\"" ISS "/\"}", NULL, 0, T, "id_token: issuer mismatch"},
    {"no iss", "{\"iss\":null}", NULL, 0, T, "id_token: issuer mismatch"},
    {"aud other", "{\"aud\":\"someone\"}", NULL, 0, T,
     "id_token: audience does not contain the client_id"},
    {"aud array missing client", "{\"aud\":[\"a\",\"b\"],\"azp\":\"a\"}", NULL, 0, T,
     "id_token: audience does not contain the client_id"},
    {"aud array without azp", "{\"aud\":[\"" CLIENT "\",\"other\"]}", NULL, 0, T,
     "id_token: azp missing with several audiences"},
    {"aud array with azp", "{\"aud\":[\"other\",\"" CLIENT "\"],\"azp\":\"" CLIENT "\"}", NULL,
     1, 0, NULL},
    {"aud one-element array", "{\"aud\":[\"" CLIENT "\"]}", NULL, 1, 0, NULL},
    {"azp mismatch", "{\"azp\":\"other\"}", NULL, 0, T, "id_token: azp mismatch"},
    {"azp mismatch in array", "{\"aud\":[\"" CLIENT "\",\"o\"],\"azp\":\"o\"}", NULL, 0, T,
     "id_token: azp mismatch"},
    {"aud non-string", "{\"aud\":[\"" CLIENT "\",5]}", NULL, 0, T, "id_token: audience malformed"},
    {"aud empty array", "{\"aud\":[]}", NULL, 0, T, "id_token: audience missing or malformed"},
    {"no aud", "{\"aud\":null}", NULL, 0, T, "id_token: audience missing or malformed"},
    {"expired", "{\"exp\":1767225539,\"iat\":1767225300}", NULL, 0, X, "id_token: expired"},
    {"expired within skew", "{\"exp\":1767225540,\"iat\":1767225300}", NULL, 1, 0, NULL},
    {"no exp", "{\"exp\":null}", NULL, 0, T, "id_token: exp missing"},
    {"exp string", "{\"exp\":\"1767225900\"}", NULL, 0, T, "id_token: exp malformed"},
    {"exp real", "{\"exp\":1767225900.0}", NULL, 1, 0, NULL},
    /* RFC 7519 §2: a NumericDate may be fractional (was refused as malformed) */
    {"exp fraction", "{\"exp\":1767225900.5}", NULL, 1, 0, NULL},
    {"exp huge", "{\"exp\":9223372036854775807}", NULL, 0, T, "id_token: exp malformed"},
    {"iat future", "{\"iat\":1767225661}", NULL, 0, T, "id_token: iat in the future"},
    {"iat future within skew", "{\"iat\":1767225660}", NULL, 1, 0, NULL},
    {"iat too old", "{\"iat\":1767224939}", NULL, 0, X, "id_token: iat too old"},
    {"iat old within skew", "{\"iat\":1767224940}", NULL, 1, 0, NULL},
    {"no iat", "{\"iat\":null}", NULL, 0, T, "id_token: iat missing"},
    {"iat negative", "{\"iat\":-5}", NULL, 0, T, "id_token: iat malformed"},
    {"nbf future", "{\"nbf\":1767225661}", NULL, 0, T, "id_token: not yet valid (nbf)"},
    {"nbf within skew", "{\"nbf\":1767225660}", NULL, 1, 0, NULL},
    {"nbf past", "{\"nbf\":1767225000}", NULL, 1, 0, NULL},
    {"nbf malformed", "{\"nbf\":\"now\"}", NULL, 0, T, "id_token: nbf malformed"},
    {"nonce mismatch", "{\"nonce\":\"n-0S6_WzA2MJ\"}", NULL, 0, T, "id_token: nonce mismatch"},
    {"nonce longer", "{\"nonce\":\"" NONCE "x\"}", NULL, 0, T, "id_token: nonce mismatch"},
    {"nonce shorter", "{\"nonce\":\"n-0S6\"}", NULL, 0, T, "id_token: nonce mismatch"},
    {"no nonce", "{\"nonce\":null}", NULL, 0, T, "id_token: nonce missing"},
    {"nonce number", "{\"nonce\":12}", NULL, 0, T, "id_token: nonce missing"},
    {"no sub", "{\"sub\":null}", NULL, 0, T, "id_token: sub missing or empty"},
    {"empty sub", "{\"sub\":\"\"}", NULL, 0, T, "id_token: sub missing or empty"},
    {"sub number", "{\"sub\":42}", NULL, 0, T, "id_token: sub missing or empty"},
    {"acr case-insensitive", "{\"acr\":\"http://itsme.services/V2/claim/acr_advanced\"}",
     acr_adv, 1, 0, NULL},
    {"acr mismatch", "{\"acr\":\"http://itsme.services/v2/claim/acr_basic\"}", acr_adv, 0, T,
     "id_token: acr not allowed"},
    {"acr malformed", "{\"acr\":[\"" ACR_ADV "\"]}", acr_adv, 0, T, "id_token: acr malformed"},
    {"acr absent", "{}", acr_adv, 1, 0, NULL},
    {"acr unchecked", "{\"acr\":\"anything\"}", NULL, 1, 0, NULL},
    /* issue 8 (1): aud may list the client and trusted parties only (the
     * table runs with "other" and "o" trusted) */
    {"aud untrusted party with azp",
     "{\"aud\":[\"" CLIENT "\",\"stranger\"],\"azp\":\"" CLIENT "\"}", NULL, 0, T,
     "id_token: audience lists a party that is not trusted"},
    {"aud trusted and untrusted", "{\"aud\":[\"other\",\"" CLIENT "\",\"x\"],\"azp\":\"" CLIENT
     "\"}", NULL, 0, T, "id_token: audience lists a party that is not trusted"},
    /* issue 8 (2): fractional NumericDates, each rounded the safe way */
    {"exp fraction past skew", "{\"exp\":1767225539.9,\"iat\":1767225300}", NULL, 0, X,
     "id_token: expired"},
    {"exp fraction within skew", "{\"exp\":1767225540.2,\"iat\":1767225300}", NULL, 1, 0, NULL},
    {"iat fraction", "{\"iat\":1767225599.25}", NULL, 1, 0, NULL},
    {"iat fraction future", "{\"iat\":1767225660.1}", NULL, 0, T, "id_token: iat in the future"},
    {"iat fraction too old", "{\"iat\":1767224939.9}", NULL, 0, X, "id_token: iat too old"},
    {"iat fraction old within skew", "{\"iat\":1767224940.0}", NULL, 1, 0, NULL},
    {"iat fraction negative", "{\"iat\":-0.5}", NULL, 0, T, "id_token: iat malformed"},
    {"nbf fraction", "{\"nbf\":1767225500.75}", NULL, 1, 0, NULL},
    {"nbf fraction future", "{\"nbf\":1767225660.01}", NULL, 0, T,
     "id_token: not yet valid (nbf)"},
    {"auth_time", "{\"auth_time\":1767225500}", NULL, 1, 0, NULL},
    {"auth_time fraction", "{\"auth_time\":1767225500.5}", NULL, 1, 0, NULL},
    {"auth_time fraction future", "{\"auth_time\":1767225660.5}", NULL, 0, T,
     "id_token: auth_time in the future"},
    {"auth_time malformed", "{\"auth_time\":\"yesterday\"}", NULL, 0, T,
     "id_token: auth_time malformed"},
    /* issue 8 (4): a sub that would reach r->user, env and logs */
    {"sub CRLF", "{\"sub\":\"user-123\\r\\nX-Injected: 1\"}", NULL, 0, T,
     "id_token: sub contains control characters"},
    {"sub LF", "{\"sub\":\"user\\n123\"}", NULL, 0, T,
     "id_token: sub contains control characters"},
    {"sub TAB", "{\"sub\":\"user\\t123\"}", NULL, 0, T,
     "id_token: sub contains control characters"},
    {"sub DEL", "{\"sub\":\"user\\u007f123\"}", NULL, 0, T,
     "id_token: sub contains control characters"},
    {"sub C1 NEL", "{\"sub\":\"user\\u0085123\"}", NULL, 0, T,
     "id_token: sub contains control characters"},
    {"sub ESC", "{\"sub\":\"\\u001b[31muser\"}", NULL, 0, T,
     "id_token: sub contains control characters"},
};
static const char *const trusted_table[] = {"other", "o", NULL};
#undef T
#undef X

START_TEST(test_claims_table)
{
    fx_t f;
    fx_init(&f);
    const idt_case_t *c = &cases[_i];
    f.name = c->name;
    f.chk.acr_allowed = c->acr_allowed;
    f.chk.trusted_audiences = trusted_table;
    const char *tok = sign(f.p, f.sig, "RS256", payload(f.p, c->overrides));
    itsme_id_token_t *out = run(&f, tok, c->ok, c->kind, c->msg);
    if (out != NULL) {
        ck_assert_str_eq(out->sub, "user-123");
        ck_assert_str_eq(out->raw, tok);
    }
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_valid_output)
{
    fx_t f;
    fx_init(&f);
    const char *tok = sign(f.p, f.sig, "RS256", payload(f.p, "{\"acr\":\"" ACR_ADV "\"}"));
    itsme_id_token_t *out = run(&f, tok, 1, 0, NULL);

    ck_assert_str_eq(out->sub, "user-123");
    ck_assert_str_eq(out->raw, tok);
    ck_assert_str_eq(out->acr, ACR_ADV);
    ck_assert_str_eq(itsme_json_get_string(out->claims, "given_name"), "Maxence");
    ck_assert(out->iat == apr_time_from_sec(NOW));
    ck_assert(out->exp == apr_time_from_sec(NOW + 300));
    ck_assert_int_eq(f.lookups, 1);

    /* ES256 with the OP's EC key, and a sub of 255 chars */
    char sub[257];
    memset(sub, 's', 256);
    sub[255] = '\0';
    tok = sign(f.p, f.ec, "ES256", payload(f.p, apr_psprintf(f.p, "{\"sub\":\"%s\"}", sub)));
    out = run(&f, tok, 1, 0, NULL);
    ck_assert_uint_eq(strlen(out->sub), 255);
    sub[255] = 's';
    sub[256] = '\0';
    tok = sign(f.p, f.ec, "ES256", payload(f.p, apr_psprintf(f.p, "{\"sub\":\"%s\"}", sub)));
    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: sub too long");

    /* custom skew and max age */
    f.chk.skew = apr_time_from_sec(5);
    f.chk.max_iat_age = apr_time_from_sec(100);
    tok = sign(f.p, f.sig, "RS256", payload(f.p, "{\"iat\":1767225494}"));
    run(&f, tok, 0, ITSME_E_EXPIRED, "id_token: iat too old");
    tok = sign(f.p, f.sig, "RS256", payload(f.p, "{\"iat\":1767225606}"));
    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: iat in the future");
    tok = sign(f.p, f.sig, "RS256", payload(f.p, "{\"iat\":1767225495}"));
    run(&f, tok, 1, 0, NULL);
    apr_pool_destroy(f.p);
}
END_TEST

/* ---- signature and algorithm attacks ---- */

static const char *b64(apr_pool_t *p, const char *s)
{
    return itsme_b64url_encode(p, (const unsigned char *)s, strlen(s));
}

START_TEST(test_alg_none)
{
    fx_t f;
    fx_init(&f);
    const char *body = b64(f.p, payload(f.p, "{}"));
    const char *tok = apr_pstrcat(f.p, b64(f.p, "{\"alg\":\"none\"}"), ".", body, ".", NULL);
    itsme_err_t *e = NULL;
    itsme_id_token_t *out = NULL;

    ck_assert_int_ne(itsme_id_token_validate(f.p, tok, &f.chk, lookup, &f, &out, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert_int_eq(f.lookups, 0);
    /* with a (bogus) signature part it reaches the allow-list */
    tok = apr_pstrcat(f.p, b64(f.p, "{\"alg\":\"none\"}"), ".", body, ".AAAA", NULL);
    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: signature algorithm not allowed");
    ck_assert_int_eq(f.lookups, 0);
    ck_assert_ptr_null(out);
    apr_pool_destroy(f.p);
}
END_TEST

/* HS256 with the OP's public key (PEM) as the HMAC secret: the classic
 * key-confusion forgery. Refused even when the caller lists HS256. */
START_TEST(test_hs256_public_key)
{
    fx_t f;
    fx_init(&f);
    const char *pem = tu_rsa_pem(f.p, "op-sig");
    BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    char *pub = NULL;
    ck_assert_ptr_nonnull(pk);
    PEM_write_bio_PUBKEY(out, pk);
    long publen = BIO_get_mem_data(out, &pub);
    const char *input = apr_pstrcat(f.p, b64(f.p, "{\"alg\":\"HS256\",\"kid\":\"op-sig\"}"), ".",
                                    b64(f.p, payload(f.p, "{}")), NULL);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), pub, (int)publen, (const unsigned char *)input,
                               strlen(input), mac, &maclen));
    const char *tok = apr_pstrcat(f.p, input, ".", itsme_b64url_encode(f.p, mac, maclen), NULL);
    EVP_PKEY_free(pk);
    BIO_free(in);
    BIO_free(out);

    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: signature algorithm not allowed");
    static const char *const with_hs[] = {"RS256", "HS256", NULL};
    f.chk.allowed_algs = with_hs;
    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: signature algorithm not allowed");
    ck_assert_int_eq(f.lookups, 0);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_foreign_key_same_kid)
{
    fx_t f;
    fx_init(&f);
    const char *pem = tu_rsa_pem(f.p, "attacker");
    itsme_jwk_t *evil = NULL;
    ck_assert_int_eq(itsme_jwk_from_pem(f.p, pem, strlen(pem), "op-sig", "sig", &evil, NULL),
                     APR_SUCCESS);
    const char *tok = sign(f.p, evil, "RS256", payload(f.p, "{}"));
    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: bad signature");
    ck_assert_int_eq(f.lookups, 1);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_unknown_kid)
{
    fx_t f;
    fx_init(&f);
    const itsme_jwk_t *other = tu_rsa_key(f.p, "unknown-kid", "sig");
    const char *tok = sign(f.p, other, "RS256", payload(f.p, "{}"));
    itsme_err_t *e = NULL;
    itsme_id_token_t *out = NULL;

    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: no verification key");
    /* the lookup's own error is kept as the cause */
    itsme_id_token_validate(f.p, tok, &f.chk, lookup, &f, &out, &e);
    ck_assert_ptr_nonnull(e->cause);
    ck_assert_str_eq(e->cause->msg, "no key for this kid");
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_tampered)
{
    fx_t f;
    fx_init(&f);
    const char *tok = sign(f.p, f.sig, "RS256", payload(f.p, "{}"));
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    const char *forged = apr_pstrcat(f.p, apr_pstrmemdup(f.p, tok, (apr_size_t)(d1 - tok)), ".",
                                     b64(f.p, payload(f.p, "{\"sub\":\"admin\"}")), d2, NULL);
    run(&f, forged, 0, ITSME_E_TOKEN, "id_token: bad signature");

    /* a flipped signature byte */
    char *bad = apr_pstrdup(f.p, tok);
    apr_size_t n = strlen(bad);
    bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
    run(&f, bad, 0, ITSME_E_TOKEN, "id_token: bad signature");
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_alg_allow_list)
{
    fx_t f;
    fx_init(&f);
    static const char *const ps_only[] = {"PS256", NULL};
    f.chk.allowed_algs = ps_only;
    run(&f, sign(f.p, f.sig, "RS256", payload(f.p, "{}")), 0, ITSME_E_TOKEN,
        "id_token: signature algorithm not allowed");
    ck_assert_int_eq(f.lookups, 0); /* refused before any key lookup */
    run(&f, sign(f.p, f.sig, "PS256", payload(f.p, "{}")), 1, 0, NULL);
    ck_assert_int_eq(f.lookups, 1);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_shape)
{
    fx_t f;
    fx_init(&f);
    itsme_err_t *e = NULL;
    itsme_id_token_t *out = NULL;

    run(&f, "", 0, ITSME_E_TOKEN, "id_token: missing");
    run(&f, NULL, 0, ITSME_E_TOKEN, "id_token: missing");
    run(&f, "abc", 0, ITSME_E_TOKEN, "id_token: malformed token");
    run(&f, "a.b.c.d", 0, ITSME_E_TOKEN, "id_token: malformed token");
    char *big = apr_palloc(f.p, 300 * 1024);
    memset(big, 'A', 300 * 1024 - 1);
    big[300 * 1024 - 1] = '\0';
    run(&f, big, 0, ITSME_E_TOKEN, "id_token: too large");
    /* a payload that is not an object */
    run(&f, sign(f.p, f.sig, "RS256", "[1,2]"), 0, ITSME_E_TOKEN,
        "id_token: payload is not a JSON object");
    /* incomplete parameters */
    f.chk.nonce = NULL;
    ck_assert_int_ne(itsme_id_token_validate(f.p, "a.b.c", &f.chk, lookup, &f, &out, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_INTERNAL);
    f.chk.nonce = NONCE;
    ck_assert_int_ne(itsme_id_token_validate(f.p, "a.b.c", &f.chk, NULL, &f, &out, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(f.p);
}
END_TEST

/* ---- JWE (itsme nested JWT) ---- */

START_TEST(test_jwe_valid)
{
    fx_t f;
    fx_init(&f);
    const char *jws = sign(f.p, f.sig, "RS256", payload(f.p, "{}"));
    f.chk.decrypt_keys = f.dkeys;

    itsme_id_token_t *out =
        run(&f, encrypt(f.p, f.enc, "RSA-OAEP-256", "A128CBC-HS256", jws), 1, 0, NULL);
    ck_assert_str_eq(out->sub, "user-123");
    ck_assert_str_eq(out->raw, jws); /* the inner JWS */
    out = run(&f, encrypt(f.p, f.enc, "RSA-OAEP", "A256GCM", jws), 1, 0, NULL);
    ck_assert_str_eq(out->raw, jws);
    /* the inner token is still fully checked */
    jws = sign(f.p, f.sig, "RS256", payload(f.p, "{\"nonce\":\"x\"}"));
    run(&f, encrypt(f.p, f.enc, "RSA-OAEP-256", "A128CBC-HS256", jws), 0, ITSME_E_TOKEN,
        "id_token: nonce mismatch");
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_jwe_required_or_not)
{
    fx_t f;
    fx_init(&f);
    const char *jws = sign(f.p, f.sig, "RS256", payload(f.p, "{}"));
    const char *jwe = encrypt(f.p, f.enc, "RSA-OAEP-256", "A128CBC-HS256", jws);

    /* JWE given but not expected */
    run(&f, jwe, 0, ITSME_E_TOKEN, "id_token: encrypted token not expected");
    /* JWE required but JWS given */
    f.chk.decrypt_keys = f.dkeys;
    run(&f, jws, 0, ITSME_E_TOKEN, "id_token: encrypted token (JWE) required");
    run(&f, "a.b.c.d", 0, ITSME_E_TOKEN, "id_token: encrypted token (JWE) required");
    ck_assert_int_eq(f.lookups, 0);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(test_jwe_bad_content)
{
    fx_t f;
    fx_init(&f);
    f.chk.decrypt_keys = f.dkeys;

    /* anyone can encrypt to the RP: an unsigned payload must not pass */
    run(&f, encrypt(f.p, f.enc, "RSA-OAEP-256", "A128CBC-HS256", payload(f.p, "{}")), 0,
        ITSME_E_TOKEN, "id_token: JWE does not wrap a signed JWT");
    /* nor an alg=none JWS inside */
    const char *none = apr_pstrcat(f.p, b64(f.p, "{\"alg\":\"none\"}"), ".",
                                   b64(f.p, payload(f.p, "{}")), ".AAAA", NULL);
    run(&f, encrypt(f.p, f.enc, "RSA-OAEP-256", "A128CBC-HS256", none), 0, ITSME_E_TOKEN,
        "id_token: signature algorithm not allowed");
    /* nor a JWS signed by someone else */
    const itsme_jwk_t *other = tu_rsa_key(f.p, "unknown-kid", "sig");
    const char *jws = sign(f.p, other, "RS256", payload(f.p, "{}"));
    run(&f, encrypt(f.p, f.enc, "RSA-OAEP-256", "A128CBC-HS256", jws), 0, ITSME_E_TOKEN,
        "id_token: no verification key");
    /* encrypted to a key we do not hold */
    const itsme_jwk_t *stranger = tu_rsa_key(f.p, "stranger-enc", "enc");
    jws = sign(f.p, f.sig, "RS256", payload(f.p, "{}"));
    run(&f, encrypt(f.p, stranger, "RSA-OAEP-256", "A128CBC-HS256", jws), 0, ITSME_E_TOKEN,
        "id_token: decryption failed");
    apr_pool_destroy(f.p);
}
END_TEST

/* ---- userinfo: the same rules for the OP's UserInfo answer ---- */

#define UI_DEAD "http://127.0.0.1:9/" /* a closed port: shows a fetch was tried */
static const itsme_http_opts_t ui_fast = { 2000, 0, NULL, NULL, NULL };

static int err_has(const itsme_err_t *e, apr_pool_t *p, const char *needle)
{
    return e && strstr(itsme_err_str(p, e), needle) != NULL;
}

typedef struct {
    itsme_jwks_t *set;
    int calls;
} lookup_t;

static apr_status_t test_lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                                const itsme_jwk_t **key, itsme_err_t **err)
{
    lookup_t *l = baton;
    l->calls++;
    *key = itsme_jwks_find_verify_key(l->set, kid, alg);
    if (!*key)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_NOTFOUND, "test: no key");
    return APR_SUCCESS;
}

typedef struct {
    apr_pool_t *p;
    lookup_t lk;
    itsme_userinfo_req_t req;
    const itsme_jwk_t *sig;  /* the OP's signing key (private) */
    const itsme_jwk_t *enc;  /* our encryption key (private) */
} ui_fix_t;

static void ui_setup(ui_fix_t *f)
{
    memset(f, 0, sizeof(*f));
    f->p = tu_pool();
    f->sig = tu_rsa_key(f->p, "op-sig", "sig");
    f->enc = tu_rsa_key(f->p, "rp-enc", "enc");
    ck_assert_ptr_nonnull(f->sig);
    ck_assert_ptr_nonnull(f->enc);
    const itsme_jwk_t *pub[] = { f->sig, NULL };
    const char *doc = tu_jwks_json(f->p, pub);
    ck_assert_int_eq(itsme_jwks_parse(f->p, doc, strlen(doc), &f->lk.set, NULL), APR_SUCCESS);
    apr_array_header_t *dk = apr_array_make(f->p, 1, sizeof(const itsme_jwk_t *));
    APR_ARRAY_PUSH(dk, const itsme_jwk_t *) = f->enc;
    f->req.expected_sub = "user-1";
    f->req.issuer = ISS;
    f->req.client_id = CLIENT;
    f->req.lookup = test_lookup;
    f->req.lookup_baton = &f->lk;
    f->req.decrypt_keys = dk;
}

static const char *ui_sign(ui_fix_t *f, const itsme_jwk_t *k, const char *payload)
{
    const char *jws = NULL;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jws_sign(f->p, k, "RS256", "JWT", payload, strlen(payload), &jws,
                                    &e), APR_SUCCESS);
    return jws;
}

static const char *ui_encrypt(ui_fix_t *f, const char *plain)
{
    const char *jwe = NULL;
    ck_assert_int_eq(itsme_jwe_encrypt(f->p, f->enc, "RSA-OAEP-256", "A128CBC-HS256", "JWT",
                                       plain, strlen(plain), &jwe, NULL), APR_SUCCESS);
    return jwe;
}

static apr_status_t ui_parse(ui_fix_t *f, const char *body, itsme_json_t **c, itsme_err_t **e)
{
    *c = NULL;
    *e = NULL;
    return itsme_userinfo_parse(f->p, body, strlen(body), &f->req, c, e);
}

START_TEST(ui_json)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    ck_assert_int_eq(ui_parse(&f, " \n{\"sub\":\"user-1\",\"name\":\"Jan\"}\r\n", &c, &e),
                     APR_SUCCESS);
    ck_assert_str_eq(itsme_json_get_string(c, "name"), "Jan");
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-2\"}", &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(err_has(e, f.p, "userinfo sub mismatch"));
    ck_assert_ptr_null(c);
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-1 \"}", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "{\"name\":\"Jan\"}", &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "no sub"));
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":7}", &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "userinfo sub is not a string"));
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-1\"", &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_OP);
    ck_assert_int_ne(ui_parse(&f, "[{\"sub\":\"user-1\"}]", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "  ", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "a.b", &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "neither JSON nor a JWT"));
    /* the itsme profile requires encryption */
    f.req.require_encrypted = 1;
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-1\"}", &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(err_has(e, f.p, "encryption is required"));
    ck_assert_int_eq(f.lk.calls, 0);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_jws)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    const char *ok = ui_sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"" ISS "\",\"aud\":[\"x\",\""
                                     CLIENT "\"],\"nin\":\"81042419835\"}");
    ck_assert_int_eq(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_json_get_string(c, "nin"), "81042419835");
    ck_assert_int_eq(f.lk.calls, 1);
    /* no iss/aud at all is fine */
    ck_assert_int_eq(ui_parse(&f, ui_sign(&f, f.sig, "{\"sub\":\"user-1\"}"), &c, &e),
                     APR_SUCCESS);

    /* signed by another key carrying the same kid */
    itsme_jwk_t *evil = NULL;
    const char *pem = tu_rsa_pem(f.p, "evil");
    ck_assert_int_eq(itsme_jwk_from_pem(f.p, pem, strlen(pem), "op-sig", "sig", &evil, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, evil, "{\"sub\":\"user-1\"}"), &c, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert_ptr_null(c);
    /* signed by an unknown kid */
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, tu_rsa_key(f.p, "evil", "sig"),
                                       "{\"sub\":\"user-1\"}"), &c, &e), APR_SUCCESS);
    /* tampered payload */
    char *t = apr_pstrdup(f.p, ok);
    char *dot = strchr(t, '.') + 1;
    *dot = *dot == 'e' ? 'f' : 'e';
    ck_assert_int_ne(ui_parse(&f, t, &c, &e), APR_SUCCESS);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_jws_claims)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    const char *ok = ui_sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"" ISS "\"}");
    /* wrong iss, wrong aud, sub mismatch, payload not an object */
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"https://x\"}"),
                              &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "iss mismatch"));
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, f.sig, "{\"sub\":\"user-1\",\"aud\":\"other\"}"),
                              &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "aud"));
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, f.sig, "{\"sub\":\"user-1\",\"aud\":5}"), &c, &e),
                     APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, f.sig, "{\"sub\":\"user-9\"}"), &c, &e),
                     APR_SUCCESS);
    ck_assert(err_has(e, f.p, "userinfo sub mismatch"));
    ck_assert_int_ne(ui_parse(&f, ui_sign(&f, f.sig, "[1]"), &c, &e), APR_SUCCESS);
    ck_assert_int_eq(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    /* alg outside the allow-list: refused before any key lookup */
    static const char *const ps_only[] = { "PS256", NULL };
    int calls = f.lk.calls;
    f.req.allowed_algs = ps_only;
    ck_assert_int_ne(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    ck_assert_int_eq(f.lk.calls, calls);
    f.req.allowed_algs = NULL;
    /* encryption required: a bare JWS is refused */
    f.req.require_encrypted = 1;
    ck_assert_int_ne(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "not encrypted"));
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_jwe)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    f.req.require_encrypted = 1;
    const char *jws = ui_sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"" ISS "\",\"aud\":\""
                                      CLIENT "\",\"birthdate\":\"1981-04-24\"}");
    ck_assert_int_eq(ui_parse(&f, ui_encrypt(&f, jws), &c, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_json_get_string(c, "birthdate"), "1981-04-24");
    /* A JWE wrapping plain JSON: anyone can encrypt to our key */
    ck_assert_int_ne(ui_parse(&f, ui_encrypt(&f, "{\"sub\":\"user-1\"}"), &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(err_has(e, f.p, "does not wrap a signed JWT"));
    /* a JWE wrapping a JWS from a stranger */
    const char *forged = ui_sign(&f, tu_rsa_key(f.p, "evil", "sig"), "{\"sub\":\"user-1\"}");
    ck_assert_int_ne(ui_parse(&f, ui_encrypt(&f, forged), &c, &e), APR_SUCCESS);
    /* a JWE wrapping a valid JWS for another user */
    ck_assert_int_ne(ui_parse(&f, ui_encrypt(&f, ui_sign(&f, f.sig, "{\"sub\":\"user-2\"}")), &c,
                              &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "userinfo sub mismatch"));
    /* tampered ciphertext */
    char *t = apr_pstrdup(f.p, ui_encrypt(&f, jws));
    char *last = strrchr(t, '.') - 2;
    *last = *last == 'A' ? 'B' : 'A';
    ck_assert_int_ne(ui_parse(&f, t, &c, &e), APR_SUCCESS);
    /* no decryption key configured */
    f.req.decrypt_keys = NULL;
    ck_assert_int_ne(ui_parse(&f, ui_encrypt(&f, jws), &c, &e), APR_SUCCESS);
    ck_assert(err_has(e, f.p, "no decryption key"));
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_fetch_refusals)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    f.req.endpoint = "http://op.example/userinfo";
    f.req.access_token = "at-secret";
    ck_assert_int_ne(itsme_userinfo_fetch(f.p, &ui_fast, &f.req, &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    f.req.endpoint = UI_DEAD "userinfo";
    e = NULL;
    ck_assert_int_ne(itsme_userinfo_fetch(f.p, &ui_fast, &f.req, &c, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert(!err_has(e, f.p, "at-secret"));
    f.req.access_token = NULL;
    ck_assert_int_ne(itsme_userinfo_fetch(f.p, &ui_fast, &f.req, &c, &e), APR_SUCCESS);
    ck_assert_ptr_null(c);
    apr_pool_destroy(f.p);
}
END_TEST

/* Generates every key once in the parent process (testutil caches them per
 * kid), so forked tests do not each pay for RSA key generation. */
static void warm_keys(void)
{
    apr_pool_t *p = tu_pool();
    const char *rsa[] = {"op-sig", "rp-enc", "attacker", "unknown-kid", "stranger-enc", "evil",
                         NULL};
    for (int i = 0; rsa[i]; i++)
        tu_rsa_key(p, rsa[i], NULL);
    tu_ec_key(p, "op-ec");
    apr_pool_destroy(p);
}

/* ---- issue 8: audiences, NumericDates, subjects ---- */

/* Without ItsmeTrustedAudiences a second audience is refused even with azp
 * naming the client (OIDC Core 3.1.3.7 (3)); listed, it is accepted. The
 * shared check (logout tokens) is as strict. */
START_TEST(test_aud_trusted_list)
{
    fx_t f;
    fx_init(&f);
    static const char *const trusted[] = {"partner-api", NULL};
    const char *pl = payload(f.p, "{\"aud\":[\"" CLIENT "\",\"partner-api\"],\"azp\":\"" CLIENT
                                  "\"}");
    const char *tok = sign(f.p, f.sig, "RS256", pl);
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;

    f.name = "no trusted audiences";
    run(&f, tok, 0, ITSME_E_TOKEN, "id_token: audience lists a party that is not trusted");
    f.name = "partner-api trusted";
    f.chk.trusted_audiences = trusted;
    ck_assert_str_eq(run(&f, tok, 1, 0, NULL)->sub, "user-123");
    ck_assert_int_eq(itsme_json_parse_object(f.p, pl, strlen(pl), &c, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_id_token_check_aud(f.p, "logout_token", c, CLIENT, &e), APR_SUCCESS);
    ck_assert_str_eq(e->msg, "logout_token: audience lists a party that is not trusted");
    ck_assert_int_eq(itsme_id_token_check_aud_trusted(f.p, "logout_token", c, CLIENT, trusted,
                                                      NULL), APR_SUCCESS);
    apr_pool_destroy(f.p);
}
END_TEST

/* Fractional times: the reported exp is rounded down, iat down. */
START_TEST(test_numeric_date_fraction)
{
    fx_t f;
    fx_init(&f);
    apr_int64_t lo = 0, hi = 0;
    itsme_json_t *c = NULL;
    const char *doc = "{\"a\":1733400000.5,\"b\":1733400000,\"c\":1e300,\"d\":\"1\","
                      "\"e\":0.25,\"f\":-1}";
    const char *tok = sign(f.p, f.sig, "RS256",
                           payload(f.p, "{\"iat\":1767225599.5,\"exp\":1767225900.999}"));
    itsme_id_token_t *out = run(&f, tok, 1, 0, NULL);

    ck_assert(out->exp == apr_time_from_sec(NOW + 300));
    ck_assert(out->iat == apr_time_from_sec(NOW - 1));
    ck_assert_int_eq(itsme_json_parse_object(f.p, doc, strlen(doc), &c, NULL), APR_SUCCESS);
    ck_assert(itsme_id_token_numeric_date(c, "a", &lo, &hi) && lo == 1733400000
              && hi == 1733400001);
    ck_assert(itsme_id_token_numeric_date(c, "b", &lo, &hi) && lo == 1733400000
              && hi == 1733400000);
    ck_assert(itsme_id_token_numeric_date(c, "e", &lo, &hi) && lo == 0 && hi == 1);
    ck_assert(!itsme_id_token_numeric_date(c, "c", &lo, &hi));
    ck_assert(!itsme_id_token_numeric_date(c, "d", &lo, &hi));
    ck_assert(!itsme_id_token_numeric_date(c, "f", &lo, &hi));
    ck_assert(!itsme_id_token_numeric_date(c, "absent", &lo, &hi));
    apr_pool_destroy(f.p);
}
END_TEST

/* Printable non-ASCII subjects stay accepted (U+00E9, U+00A0); C1
 * controls (U+0080..U+009F) are refused like C0 ones. */
START_TEST(test_sub_unicode)
{
    fx_t f;
    fx_init(&f);
    const char *ok = sign(f.p, f.sig, "RS256", payload(f.p, "{\"sub\":\"Jos\\u00e9\\u00a0X\"}"));
    const char *c1 = sign(f.p, f.sig, "RS256", payload(f.p, "{\"sub\":\"a\\u009bb\"}"));

    ck_assert_str_eq(run(&f, ok, 1, 0, NULL)->sub, "Jos\xc3\xa9\xc2\xa0X");
    run(&f, c1, 0, ITSME_E_TOKEN, "id_token: sub contains control characters");
    apr_pool_destroy(f.p);
}
END_TEST

Suite *itsme_suite_id_token(void)
{
    Suite *s = suite_create("id_token");
    TCase *tc = tcase_create("id_token");
    tcase_add_unchecked_fixture(tc, warm_keys, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_claims_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_valid_output);
    tcase_add_test(tc, test_alg_none);
    tcase_add_test(tc, test_hs256_public_key);
    tcase_add_test(tc, test_foreign_key_same_kid);
    tcase_add_test(tc, test_unknown_kid);
    tcase_add_test(tc, test_tampered);
    tcase_add_test(tc, test_alg_allow_list);
    tcase_add_test(tc, test_shape);
    tcase_add_test(tc, test_jwe_valid);
    tcase_add_test(tc, test_jwe_required_or_not);
    tcase_add_test(tc, test_jwe_bad_content);
    tcase_add_test(tc, test_aud_trusted_list);
    tcase_add_test(tc, test_numeric_date_fraction);
    tcase_add_test(tc, test_sub_unicode);
    suite_add_tcase(s, tc);

    TCase *ui = tcase_create("userinfo");
    tcase_add_unchecked_fixture(ui, warm_keys, NULL);
    tcase_set_timeout(ui, 30);
    tcase_add_test(ui, ui_json);
    tcase_add_test(ui, ui_jws);
    tcase_add_test(ui, ui_jws_claims);
    tcase_add_test(ui, ui_jwe);
    tcase_add_test(ui, ui_fetch_refusals);
    suite_add_tcase(s, ui);
    return s;
}
