/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_request_object.c: the itsme request object (signed, then encrypted
 * to the OP) taken apart again with the keys' other halves, every payload
 * and header member checked; refusals; and the choice of the OP's
 * encryption key from a cached JWKS (no network: a closed loopback port). */
#include <string.h>
#include <stddef.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include "tests.h"
#include "testutil.h"
#include "core/b64url.h"
#include "core/cache.h"
#include "core/jose.h"
#include "core/json.h"
#include "core/proto/jwks.h"
#include "core/proto/request_object.h"

#define ISS "https://idp.e2e.example/v2"
#define CLIENT "my-client"
#define JWKS_URL "http://127.0.0.1:9/jwks"
#define CLAIMS "{\"id_token\":{\"http://itsme.services/v2/claim/BENationalNumber\":null}}"
#define NOW_SEC 1767225600

static const itsme_http_opts_t fast = { 2000, 0, NULL, NULL, NULL };

/* ---- helpers ---- */

static itsme_authz_req_t full_params(void)
{
    itsme_authz_req_t r = {
        .authorization_endpoint = ISS "/authorization", .client_id = CLIENT,
        .redirect_uri = "https://rp.example/cb", .scope = "openid service:SVC profile",
        .state = "st-123", .nonce = "no-456", .code_challenge = "cc-789",
        .acr_values = "http://itsme.services/v2/claim/acr_advanced", .claims = CLAIMS,
        .prompt = "login", .ui_locales = "fr", .request = "ignored"
    };
    return r;
}

/* A copy of k's public JSON with use/alg set (NULL: left as in k). */
static itsme_json_t *pub_json(apr_pool_t *p, const itsme_jwk_t *k, const char *use,
                              const char *alg)
{
    itsme_json_t *o = itsme_jwk_public_json(p, k);
    ck_assert_ptr_nonnull(o);
    if (use)
        ck_assert_int_eq(itsme_json_set_string(o, "use", use), APR_SUCCESS);
    if (alg)
        ck_assert_int_eq(itsme_json_set_string(o, "alg", alg), APR_SUCCESS);
    return o;
}

static itsme_jwk_t *jwk_of_json(apr_pool_t *p, const itsme_json_t *o)
{
    itsme_jwk_t *out = NULL;
    const char *s = itsme_json_dump(p, o);
    ck_assert_int_eq(itsme_jwk_parse(p, s, strlen(s), &out, NULL), APR_SUCCESS);
    return out;
}

/* The public half of k as its own JWK. */
static itsme_jwk_t *pub_of(apr_pool_t *p, const itsme_jwk_t *k, const char *alg)
{
    itsme_jwk_t *out = jwk_of_json(p, pub_json(p, k, NULL, alg));
    ck_assert_int_eq(itsme_jwk_is_private(out), 0);
    return out;
}

static void set_bn(apr_pool_t *p, itsme_json_t *o, const char *member, EVP_PKEY *pk,
                   const char *param)
{
    BIGNUM *bn = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
    int n = BN_num_bytes(bn);
    unsigned char *buf = apr_palloc(p, (apr_size_t)n);
    BN_bn2bin(bn, buf);
    BN_clear_free(bn);
    ck_assert_int_eq(itsme_json_set_string(o, member,
                                           itsme_b64url_encode(p, buf, (apr_size_t)n)),
                     APR_SUCCESS);
}

/* An RSA JWK object from pk, with the private members when priv. */
static itsme_json_t *rsa_json(apr_pool_t *p, EVP_PKEY *pk, const char *kid, const char *use,
                              int priv)
{
    static const char *const names[][2] = {
        {"n", OSSL_PKEY_PARAM_RSA_N}, {"e", OSSL_PKEY_PARAM_RSA_E},
        {"d", OSSL_PKEY_PARAM_RSA_D}, {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2}, {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    itsme_json_t *o = itsme_json_object_new(p);
    itsme_json_set_string(o, "kty", "RSA");
    itsme_json_set_string(o, "kid", kid);
    itsme_json_set_string(o, "use", use);
    for (int i = 0; i < (priv ? 8 : 2); i++)
        set_bn(p, o, names[i][0], pk, names[i][1]);
    return o;
}

static EVP_PKEY *pkey_of_pem(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    ck_assert_ptr_nonnull(pk);
    return pk;
}

/* The private RSA test key kid (use sig) with its alg set. */
static const itsme_jwk_t *private_with_alg(apr_pool_t *p, const char *kid, const char *alg)
{
    EVP_PKEY *pk = pkey_of_pem(tu_rsa_pem(p, kid));
    itsme_json_t *o = rsa_json(p, pk, kid, "sig", 1);
    EVP_PKEY_free(pk);
    ck_assert_int_eq(itsme_json_set_string(o, "alg", alg), APR_SUCCESS);
    itsme_jwk_t *k = jwk_of_json(p, o);
    ck_assert(itsme_jwk_is_private(k));
    return k;
}

/* A JWKS document of the given key objects (NULL-terminated). */
static const char *jwks_doc(apr_pool_t *p, itsme_json_t *const *keys)
{
    itsme_json_t *doc = itsme_json_object_new(p), *arr = itsme_json_array_new(p);
    for (int i = 0; keys[i]; i++)
        ck_assert_int_eq(itsme_json_array_append(arr, keys[i]), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_set(doc, "keys", arr), APR_SUCCESS);
    return itsme_json_dump(p, doc);
}

static itsme_jwks_source_t cached_source(apr_pool_t *p, const char *doc)
{
    itsme_cache_t *c = NULL;
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    ck_assert_int_eq(itsme_cache_put(c, JWKS_URL, doc, strlen(doc), TU_NOW), APR_SUCCESS);
    itsme_jwks_source_t src = { c, &fast, JWKS_URL, TU_NOW + apr_time_from_sec(5), 0, 0 };
    return src;
}

static void expect_kind(apr_status_t rv, itsme_err_t *const *ep, itsme_err_kind_e kind)
{
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_ptr_nonnull(*ep);
    ck_assert_int_eq((*ep)->kind, kind);
}

static int err_has(apr_pool_t *p, const itsme_err_t *e, const char *needle)
{
    return e && strstr(itsme_err_str(p, e), needle) != NULL;
}

/* Verifies the compact JWS with key and returns its payload object. */
static itsme_json_t *verified_payload(apr_pool_t *p, const char *jws, const itsme_jwk_t *key,
                                      const char *alg, const char *kid)
{
    itsme_jws_t *j = NULL;
    itsme_json_t *o = NULL;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jose_compact_parts(jws), 3);
    ck_assert_int_eq(itsme_jws_parse(p, jws, &j, &e), APR_SUCCESS);
    ck_assert_str_eq(j->alg, alg);
    ck_assert_str_eq(j->kid, kid);
    ck_assert_str_eq(j->typ, "JWT");
    ck_assert_ptr_null(j->cty);
    ck_assert_int_eq(itsme_json_object_size(j->header), 3);
    ck_assert_int_eq(itsme_jws_verify(p, j, key, NULL, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_json_parse_object(p, j->payload, j->payload_len, &o, &e),
                     APR_SUCCESS);
    return o;
}

/* Decrypts jwe with dec (private) and checks the JWE header. */
static const char *decrypted(apr_pool_t *p, const char *jwe, const itsme_jwk_t *dec,
                             const char *alg, const char *enc)
{
    itsme_jwe_header_t *h = NULL;
    itsme_err_t *e = NULL;
    char *pt = NULL;
    apr_size_t len = 0;
    apr_array_header_t *keys = apr_array_make(p, 1, sizeof(const itsme_jwk_t *));
    APR_ARRAY_PUSH(keys, const itsme_jwk_t *) = dec;
    ck_assert_int_eq(itsme_jose_compact_parts(jwe), 5);
    ck_assert_int_eq(itsme_jwe_header(p, jwe, &h, &e), APR_SUCCESS);
    ck_assert_str_eq(h->alg, alg);
    ck_assert_str_eq(h->enc, enc);
    ck_assert_str_eq(h->kid, itsme_jwk_kid(dec));
    ck_assert_str_eq(h->cty, "JWT");
    ck_assert_int_eq(itsme_json_object_size(h->header), 4);
    ck_assert_int_eq(itsme_jwe_decrypt(p, jwe, keys, &pt, &len, &e), APR_SUCCESS);
    ck_assert_uint_eq(strlen(pt), len);
    return pt;
}

static void check_str(const itsme_json_t *o, const char *name, const char *want)
{
    const char *v = itsme_json_get_string(o, name);
    ck_assert_msg(v != NULL, "payload lacks %s", name);
    ck_assert_str_eq(v, want);
}

static void check_int(const itsme_json_t *o, const char *name, apr_int64_t want)
{
    apr_int64_t v = -1;
    ck_assert_msg(itsme_json_get_int(o, name, &v), "payload lacks integer %s", name);
    ck_assert_int_eq(v, want);
}

/* Every member of a payload built from full_params(). */
static void check_full_payload(const itsme_json_t *o)
{
    check_str(o, "iss", CLIENT);
    check_str(o, "aud", ISS);
    check_str(o, "response_type", "code");
    check_str(o, "client_id", CLIENT);
    check_str(o, "redirect_uri", "https://rp.example/cb");
    check_str(o, "scope", "openid service:SVC profile");
    check_str(o, "state", "st-123");
    check_str(o, "nonce", "no-456");
    check_str(o, "code_challenge", "cc-789");
    check_str(o, "code_challenge_method", "S256");
    check_str(o, "acr_values", "http://itsme.services/v2/claim/acr_advanced");
    check_str(o, "prompt", "login");
    check_str(o, "ui_locales", "fr");
    const itsme_json_t *cl = itsme_json_get(o, "claims");
    ck_assert(itsme_json_is_object(cl));
    const itsme_json_t *idt = itsme_json_get(cl, "id_token");
    ck_assert(itsme_json_is_object(idt));
    ck_assert(itsme_json_is_null(
        itsme_json_get(idt, "http://itsme.services/v2/claim/BENationalNumber")));
    check_int(o, "iat", NOW_SEC);
    check_int(o, "nbf", NOW_SEC);
    check_int(o, "exp", NOW_SEC + 300);
    const char *jti = itsme_json_get_string(o, "jti");
    ck_assert_ptr_nonnull(jti);
    ck_assert_uint_eq(strlen(jti), 43);
    ck_assert_ptr_null(itsme_json_get(o, "request"));
    ck_assert_int_eq(itsme_json_object_size(o), 18);
}

/* ---- build: nested, signed only, algorithms ---- */

START_TEST(build_nested_default)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *sig = tu_rsa_key(p, "rp-sig", "sig");
    const itsme_jwk_t *enc = tu_rsa_key(p, "op-enc", "enc");
    itsme_authz_req_t r = full_params();
    itsme_reqobj_t ro = { &r, ISS, sig, pub_of(p, enc, NULL), NULL, NULL, TU_NOW };
    const char *jwt = NULL, *jwt2 = NULL;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt, &e), APR_SUCCESS);
    const char *inner = decrypted(p, jwt, enc, "RSA-OAEP-256", "A128CBC-HS256");
    itsme_json_t *o = verified_payload(p, inner, pub_of(p, sig, NULL), "RS256", "rp-sig");
    check_full_payload(o);

    /* a second build: fresh jti, different ciphertext */
    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt2, &e), APR_SUCCESS);
    ck_assert_str_ne(jwt, jwt2);
    itsme_json_t *o2 = verified_payload(p, decrypted(p, jwt2, enc, "RSA-OAEP-256",
                                                     "A128CBC-HS256"),
                                        pub_of(p, sig, NULL), "RS256", "rp-sig");
    ck_assert_str_ne(itsme_json_get_string(o, "jti"), itsme_json_get_string(o2, "jti"));

    /* the inner JWS does not verify with another key */
    itsme_jws_t *j = NULL;
    ck_assert_int_eq(itsme_jws_parse(p, inner, &j, &e), APR_SUCCESS);
    e = NULL;
    expect_kind(itsme_jws_verify(p, j, pub_of(p, tu_rsa_key(p, "other", "sig"), NULL), NULL, &e),
                &e, ITSME_E_TOKEN);
    /* ...and the JWE does not open with another private key */
    apr_array_header_t *ks = apr_array_make(p, 1, sizeof(const itsme_jwk_t *));
    APR_ARRAY_PUSH(ks, const itsme_jwk_t *) = tu_rsa_key(p, "other", NULL);
    char *pt = NULL;
    apr_size_t len = 0;
    ck_assert_int_ne(itsme_jwe_decrypt(p, jwt, ks, &pt, &len, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(build_signed_only)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *sig = tu_rsa_key(p, "rp-sig", NULL);
    itsme_authz_req_t r = full_params();
    r.acr_values = NULL;
    r.claims = "";
    r.prompt = NULL;
    r.ui_locales = "";
    itsme_reqobj_t ro = { &r, ISS, sig, NULL, "RSA-OAEP", "A256GCM", TU_NOW };
    const char *jwt = NULL;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_jose_compact_parts(jwt), 3);
    itsme_json_t *o = verified_payload(p, jwt, pub_of(p, sig, NULL), "RS256", "rp-sig");
    check_str(o, "iss", CLIENT);
    check_str(o, "state", "st-123");
    check_int(o, "exp", NOW_SEC + 300);
    ck_assert_ptr_null(itsme_json_get(o, "acr_values"));
    ck_assert_ptr_null(itsme_json_get(o, "claims"));
    ck_assert_ptr_null(itsme_json_get(o, "prompt"));
    ck_assert_ptr_null(itsme_json_get(o, "ui_locales"));
    ck_assert_int_eq(itsme_json_object_size(o), 14);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(build_es256_a256gcm_oaep)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *sig = tu_ec_key(p, "rp-ec");
    const itsme_jwk_t *enc = tu_rsa_key(p, "op-enc", "enc");
    itsme_authz_req_t r = full_params();
    itsme_reqobj_t ro = { &r, ISS, sig, pub_of(p, enc, NULL), "RSA-OAEP", "A256GCM", TU_NOW };
    const char *jwt = NULL;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt, &e), APR_SUCCESS);
    const char *inner = decrypted(p, jwt, enc, "RSA-OAEP", "A256GCM");
    check_full_payload(verified_payload(p, inner, pub_of(p, sig, NULL), "ES256", "rp-ec"));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(build_key_alg)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *sig = tu_rsa_key(p, "rp-sig", "sig");
    const itsme_jwk_t *enc = tu_rsa_key(p, "op-enc", "enc");
    itsme_authz_req_t r = full_params();
    itsme_reqobj_t ro = { &r, ISS, sig, pub_of(p, enc, "RSA-OAEP"), NULL, NULL, TU_NOW };
    const char *jwt = NULL;
    itsme_err_t *e = NULL;

    /* enc_alg NULL follows the OP key's own alg */
    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt, &e), APR_SUCCESS);
    decrypted(p, jwt, enc, "RSA-OAEP", "A128CBC-HS256");
    /* an explicit alg that contradicts the key's */
    ro.enc_alg = "RSA-OAEP-256";
    jwt = NULL;
    expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
    ck_assert_ptr_null(jwt);
    ck_assert(err_has(p, e, "RSA-OAEP"));
    apr_pool_destroy(p);
}
END_TEST

/* ---- refusals ---- */

START_TEST(refuse_keys)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *sig = tu_rsa_key(p, "rp-sig", "sig");
    const itsme_jwk_t *enc = tu_rsa_key(p, "op-enc", "enc");
    itsme_authz_req_t r = full_params();
    itsme_reqobj_t ok = { &r, ISS, sig, pub_of(p, enc, NULL), NULL, NULL, TU_NOW };
    const itsme_jwk_t *bad_sign[] = {
        NULL,                                   /* no key */
        pub_of(p, sig, NULL),                   /* public only */
        tu_rsa_key(p, "rp-sig2", "enc"),        /* meant for encryption */
        private_with_alg(p, "rp-sig", "PS256") }; /* its alg is not RS256 */
    const itsme_jwk_t *bad_enc[] = {
        enc,                                    /* private: not the OP's key */
        pub_of(p, tu_rsa_key(p, "op-sig", "sig"), NULL), /* use sig */
        pub_of(p, tu_ec_key(p, "op-ec"), NULL), /* not RSA */
        jwk_of_json(p, pub_json(p, enc, NULL, "RSA1_5")) };
    const char *jwt = NULL;
    itsme_err_t *e = NULL;

    for (int i = 0; i < 4; i++) {
        itsme_reqobj_t ro = ok;
        ro.sign_key = bad_sign[i];
        e = NULL;
        expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
        ck_assert_msg(err_has(p, e, "sign"), "case %d: %s", i, itsme_err_str(p, e));
    }
    for (int i = 0; i < 4; i++) {
        itsme_reqobj_t ro = ok;
        ro.enc_key = bad_enc[i];
        e = NULL;
        expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
    }
    ck_assert_ptr_null(jwt);
    /* algorithms itsme_jwe_encrypt does not do */
    itsme_reqobj_t ro = ok;
    ro.enc_alg = "RSA1_5";
    expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
    ro.enc_alg = NULL;
    ro.enc_enc = "A128GCM";
    expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
    ck_assert_ptr_null(jwt);
    /* the good one does build */
    ck_assert_int_eq(itsme_request_object_build(p, &ok, &jwt, &e), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(refuse_params)
{
    static const size_t required[] = {
        offsetof(itsme_authz_req_t, client_id), offsetof(itsme_authz_req_t, redirect_uri),
        offsetof(itsme_authz_req_t, scope), offsetof(itsme_authz_req_t, state),
        offsetof(itsme_authz_req_t, nonce), offsetof(itsme_authz_req_t, code_challenge)};
    static const char *const names[] = {"client_id", "redirect_uri", "scope",
                                        "state", "nonce", "code_challenge"};
    apr_pool_t *p = tu_pool();
    itsme_authz_req_t good = full_params();
    itsme_reqobj_t ro = { &good, ISS, tu_rsa_key(p, "rp-sig", "sig"), NULL, NULL, NULL, TU_NOW };
    const char *jwt = NULL;
    itsme_err_t *e = NULL;

    for (int i = 0; i < 6; i++) {
        for (int empty = 0; empty < 2; empty++) {
            itsme_authz_req_t r = full_params();
            *(const char **)((char *)&r + required[i]) = empty ? "" : NULL;
            ro.params = &r;
            e = NULL;
            expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
            ck_assert_msg(err_has(p, e, names[i]), "%s: %s", names[i], itsme_err_str(p, e));
        }
    }
    ro.params = &good;
    ro.aud = "";
    expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
    ck_assert(err_has(p, e, "aud is missing"));
    ro.aud = ISS;
    ro.params = NULL;
    ck_assert_int_ne(itsme_request_object_build(p, &ro, &jwt, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_request_object_build(p, NULL, &jwt, NULL), APR_SUCCESS);
    ck_assert_ptr_null(jwt);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(refuse_claims)
{
    static const char *const bad[] = {"{\"id_token\":", "[1,2]", "\"id_token\"", "null",
                                      "{\"a\":1} x", "{\"a\":1}{}"};
    apr_pool_t *p = tu_pool();
    itsme_authz_req_t r = full_params();
    itsme_reqobj_t ro = { &r, ISS, tu_rsa_key(p, "rp-sig", "sig"), NULL, NULL, NULL, TU_NOW };
    const char *jwt = NULL;
    itsme_err_t *e = NULL;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.claims = bad[i];
        e = NULL;
        expect_kind(itsme_request_object_build(p, &ro, &jwt, &e), &e, ITSME_E_CONFIG);
        ck_assert_msg(err_has(p, e, "claims"), "%s", bad[i]);
    }
    ck_assert_ptr_null(jwt);
    r.claims = "{}";
    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt, &e), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

/* ---- the OP's encryption key ---- */

START_TEST(enc_key_pick)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *keys[] = {
        pub_json(p, tu_rsa_key(p, "s1", "sig"), NULL, NULL),
        pub_json(p, tu_ec_key(p, "ec1"), "enc", NULL),
        pub_json(p, tu_rsa_key(p, "e-oaep", NULL), "enc", "RSA-OAEP"),
        pub_json(p, tu_rsa_key(p, "e-256", NULL), "enc", "RSA-OAEP-256"),
        pub_json(p, tu_rsa_key(p, "e-any", NULL), NULL, NULL), NULL};
    itsme_jwks_source_t src = cached_source(p, jwks_doc(p, keys));
    const itsme_jwk_t *k = NULL;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_jwks_enc_key(&src, p, NULL, &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "e-oaep");
    ck_assert_int_eq(itsme_jwks_enc_key(&src, p, "RSA-OAEP-256", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "e-256");
    ck_assert_str_eq(itsme_jwk_use(k), "enc");
    ck_assert(!itsme_jwk_is_private(k));
    ck_assert_int_eq(itsme_jwks_enc_key(&src, p, "RSA-OAEP", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "e-oaep");
    e = NULL;
    expect_kind(itsme_jwks_enc_key(&src, p, "RSA1_5", &k, &e), &e, ITSME_E_CONFIG);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(enc_key_unmarked_and_used)
{
    apr_pool_t *p = tu_pool();
    itsme_json_t *keys[] = {
        pub_json(p, tu_rsa_key(p, "s1", "sig"), NULL, NULL),
        pub_json(p, tu_ec_key(p, "ec1"), NULL, NULL),
        pub_json(p, tu_rsa_key(p, "e-any", NULL), NULL, NULL), NULL};
    itsme_jwks_source_t src = cached_source(p, jwks_doc(p, keys));
    const itsme_jwk_t *k = NULL;
    itsme_err_t *e = NULL;
    itsme_authz_req_t r = full_params();
    const char *jwt = NULL;

    /* a key with neither use nor alg fits, and the request object opens
     * with its private half */
    ck_assert_int_eq(itsme_jwks_enc_key(&src, p, "RSA-OAEP-256", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "e-any");
    ck_assert_ptr_null(itsme_jwk_use(k));
    itsme_reqobj_t ro = { &r, ISS, tu_rsa_key(p, "rp-sig", "sig"), k, NULL, NULL, TU_NOW };
    ck_assert_int_eq(itsme_request_object_build(p, &ro, &jwt, &e), APR_SUCCESS);
    const char *inner = decrypted(p, jwt, tu_rsa_key(p, "e-any", NULL), "RSA-OAEP-256",
                                  "A128CBC-HS256");
    check_full_payload(verified_payload(p, inner, pub_of(p, tu_rsa_key(p, "rp-sig", "sig"),
                                                         NULL), "RS256", "rp-sig"));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(enc_key_none)
{
    apr_pool_t *p = tu_pool();
    EVP_PKEY *small = EVP_RSA_gen(1024);
    EVP_PKEY *priv = pkey_of_pem(tu_rsa_pem(p, "op-priv"));
    ck_assert_ptr_nonnull(small);
    itsme_json_t *keys[] = {
        pub_json(p, tu_rsa_key(p, "s1", "sig"), NULL, NULL),
        pub_json(p, tu_ec_key(p, "ec1"), "enc", NULL),
        pub_json(p, tu_rsa_key(p, "e-15", NULL), "enc", "RSA1_5"),
        rsa_json(p, small, "small", "enc", 0), /* under 2048 bits */
        rsa_json(p, priv, "priv", "enc", 1),   /* carries private material */
        NULL};
    itsme_jwks_source_t src = cached_source(p, jwks_doc(p, keys));
    const itsme_jwk_t *k = NULL;
    itsme_err_t *e = NULL;
    EVP_PKEY_free(small);
    EVP_PKEY_free(priv);

    expect_kind(itsme_jwks_enc_key(&src, p, NULL, &k, &e), &e, ITSME_E_OP);
    ck_assert_ptr_null(k);
    e = NULL;
    expect_kind(itsme_jwks_enc_key(&src, p, "RSA-OAEP-256", &k, &e), &e, ITSME_E_OP);
    /* after min_refetch, one refetch is tried (the closed port answers) */
    src.now = TU_NOW + ITSME_JWKS_MIN_REFETCH;
    e = NULL;
    ck_assert_int_ne(itsme_jwks_enc_key(&src, p, NULL, &k, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert_ptr_null(k);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(enc_key_bad_source)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *k = NULL;
    itsme_err_t *e = NULL;
    itsme_jwks_source_t src = cached_source(p, "{\"keys\":[]}");

    src.jwks_uri = "http://op.example/jwks"; /* plain http off loopback */
    expect_kind(itsme_jwks_enc_key(&src, p, NULL, &k, &e), &e, ITSME_E_CONFIG);
    e = NULL;
    expect_kind(itsme_jwks_enc_key(NULL, p, NULL, &k, &e), &e, ITSME_E_CONFIG);
    /* an empty set: none */
    src.jwks_uri = JWKS_URL;
    e = NULL;
    expect_kind(itsme_jwks_enc_key(&src, p, NULL, &k, &e), &e, ITSME_E_OP);
    ck_assert_ptr_null(k);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_request_object(void)
{
    Suite *s = suite_create("request_object");
    TCase *tc = tcase_create("build");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, build_nested_default);
    tcase_add_test(tc, build_signed_only);
    tcase_add_test(tc, build_es256_a256gcm_oaep);
    tcase_add_test(tc, build_key_alg);
    tcase_add_test(tc, refuse_keys);
    tcase_add_test(tc, refuse_params);
    tcase_add_test(tc, refuse_claims);
    suite_add_tcase(s, tc);
    tc = tcase_create("enc_key");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, enc_key_pick);
    tcase_add_test(tc, enc_key_unmarked_and_used);
    tcase_add_test(tc, enc_key_none);
    tcase_add_test(tc, enc_key_bad_source);
    suite_add_tcase(s, tc);
    return s;
}
