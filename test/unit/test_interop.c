/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_interop.c: our JOSE against cjose, an independent implementation.
 * JWS both ways (RS256, PS256, ES256), JWE both ways (RSA-OAEP with A256GCM
 * and A128CBC-HS256), and the algorithm gate: an HS256 token keyed with the
 * RSA public key's PEM, which cjose accepts, is refused by us.
 *
 * Debian 12's cjose (0.6.2.1) has no RSA-OAEP-256, so our RSA-OAEP-256 JWE
 * cannot be cross-checked here; enc_oaep256_when_cjose_can does so only when
 * the installed cjose knows the algorithm (RFC 7516 A.1 in test_jose.c covers
 * it with a known-answer vector meanwhile).
 *
 * Every cjose object is released by a cleanup on the test's pool. */
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <cjose/cjose.h>
#include "tests.h"
#include "testutil.h"
#include "core/jose.h"
#include "core/json.h"

#define PAYLOAD "{\"iss\":\"https://op.example\",\"sub\":\"u-1\",\"n\":\"\\u00e9t\\u00e9\"}"

/* ---- cjose objects tied to a pool ---- */

static apr_status_t jwk_release(void *d)
{
    cjose_jwk_release(d);
    return APR_SUCCESS;
}

static apr_status_t jws_release(void *d)
{
    cjose_jws_release(d);
    return APR_SUCCESS;
}

static apr_status_t jwe_release(void *d)
{
    cjose_jwe_release(d);
    return APR_SUCCESS;
}

static apr_status_t hdr_release(void *d)
{
    cjose_header_release(d);
    return APR_SUCCESS;
}

static apr_status_t cj_free(void *d)
{
    cjose_get_dealloc()(d);
    return APR_SUCCESS;
}

static apr_status_t pkey_free(void *d)
{
    EVP_PKEY_free(d);
    return APR_SUCCESS;
}

static void *owned(apr_pool_t *p, void *obj, apr_status_t (*fn)(void *))
{
    if (obj)
        apr_pool_cleanup_register(p, obj, fn, apr_pool_cleanup_null);
    return obj;
}

static cjose_header_t *cj_header(apr_pool_t *p, const char *alg, const char *enc,
                                 const char *kid)
{
    cjose_header_t *h = owned(p, cjose_header_new(NULL), hdr_release);
    ck_assert_ptr_nonnull(h);
    ck_assert(cjose_header_set(h, CJOSE_HDR_ALG, alg, NULL));
    if (enc)
        ck_assert(cjose_header_set(h, CJOSE_HDR_ENC, enc, NULL));
    if (kid)
        ck_assert(cjose_header_set(h, CJOSE_HDR_KID, kid, NULL));
    return h;
}

/* Our public JWK, imported by cjose from its JSON. */
static cjose_jwk_t *cj_public(apr_pool_t *p, const itsme_jwk_t *k)
{
    const char *json = itsme_json_dump(p, itsme_jwk_public_json(p, k));
    cjose_err cerr;
    ck_assert_ptr_nonnull(json);
    cjose_jwk_t *c = owned(p, cjose_jwk_import(json, strlen(json), &cerr), jwk_release);
    ck_assert_msg(c != NULL, "cjose_jwk_import: %s", cerr.message);
    return c;
}

/* A big-endian parameter of pk; pad > 0 fixes the length. */
static uint8_t *bn_bytes(apr_pool_t *p, EVP_PKEY *pk, const char *name, int pad, size_t *len)
{
    BIGNUM *bn = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, name, &bn), 1);
    int n = pad > 0 ? pad : BN_num_bytes(bn);
    uint8_t *buf = apr_palloc(p, (apr_size_t)n);
    ck_assert_int_eq(BN_bn2binpad(bn, buf, n), n);
    BN_clear_free(bn);
    *len = (size_t)n;
    return buf;
}

/* The same private key in cjose, built from OpenSSL's parameters. */
static cjose_jwk_t *cj_private(apr_pool_t *p, EVP_PKEY *pk)
{
    cjose_jwk_t *c;
    cjose_err cerr;
    if (EVP_PKEY_is_a(pk, "RSA")) {
        cjose_jwk_rsa_keyspec s;
        s.n = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_N, 0, &s.nlen);
        s.e = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_E, 0, &s.elen);
        s.d = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_D, 0, &s.dlen);
        s.p = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, &s.plen);
        s.q = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, &s.qlen);
        s.dp = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, &s.dplen);
        s.dq = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, &s.dqlen);
        s.qi = bn_bytes(p, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, &s.qilen);
        c = cjose_jwk_create_RSA_spec(&s, &cerr);
    }
    else {
        cjose_jwk_ec_keyspec s;
        s.crv = CJOSE_JWK_EC_P_256;
        s.d = bn_bytes(p, pk, OSSL_PKEY_PARAM_PRIV_KEY, 32, &s.dlen);
        s.x = bn_bytes(p, pk, OSSL_PKEY_PARAM_EC_PUB_X, 32, &s.xlen);
        s.y = bn_bytes(p, pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32, &s.ylen);
        c = cjose_jwk_create_EC_spec(&s, &cerr);
    }
    ck_assert_msg(c != NULL, "cjose key from spec: %s", cerr.message);
    return owned(p, c, jwk_release);
}

/* One key pair as OpenSSL, our JWK (private) and cjose (private) see it. */
typedef struct {
    EVP_PKEY *pkey;
    const itsme_jwk_t *ours;
    cjose_jwk_t *cj;
} pair_t;

static pair_t pair_from_pem(apr_pool_t *p, const char *pem, const char *kid)
{
    pair_t k;
    itsme_jwk_t *ours = NULL;
    BIO *b = BIO_new_mem_buf(pem, -1);
    k.pkey = owned(p, PEM_read_bio_PrivateKey(b, NULL, NULL, NULL), pkey_free);
    BIO_free(b);
    ck_assert_ptr_nonnull(k.pkey);
    ck_assert_int_eq(itsme_jwk_from_pem(p, pem, strlen(pem), kid, NULL, &ours, NULL),
                     APR_SUCCESS);
    k.ours = ours;
    k.cj = cj_private(p, k.pkey);
    return k;
}

static const char *pem_of(apr_pool_t *p, EVP_PKEY *pk, int pub)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    ck_assert(pub ? PEM_write_bio_PUBKEY(b, pk)
                  : PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL));
    long n = BIO_get_mem_data(b, &data);
    const char *s = apr_pstrmemdup(p, data, (apr_size_t)n);
    BIO_free(b);
    return s;
}

/* alg's key pair: the cached RSA test key, or a fresh EC P-256 key. */
static pair_t pair_for(apr_pool_t *p, const char *alg)
{
    if (strcmp(alg, "ES256"))
        return pair_from_pem(p, tu_rsa_pem(p, "interop-rsa"), "interop-rsa");
    EVP_PKEY *ec = owned(p, EVP_EC_gen("P-256"), pkey_free);
    ck_assert_ptr_nonnull(ec);
    return pair_from_pem(p, pem_of(p, ec, 0), "interop-ec");
}

static itsme_jwk_t *our_public(apr_pool_t *p, const itsme_jwk_t *k)
{
    itsme_jwk_t *out = NULL;
    const char *json = itsme_json_dump(p, itsme_jwk_public_json(p, k));
    ck_assert_int_eq(itsme_jwk_parse(p, json, strlen(json), &out, NULL), APR_SUCCESS);
    return out;
}

/* Changes one character in the middle of the last part. */
static char *flip_last(apr_pool_t *p, const char *compact)
{
    char *s = apr_pstrdup(p, compact), *last = strrchr(s, '.') + 1;
    apr_size_t at = strlen(last) / 2;
    last[at] = last[at] == 'A' ? 'B' : 'A';
    return s;
}

static const char *const sig_algs[] = {"RS256", "PS256", "ES256"};

/* ---- (a) we sign, cjose verifies ---- */

START_TEST(jws_ours_to_cjose)
{
    apr_pool_t *p = tu_pool();
    const char *alg = sig_algs[_i];
    pair_t k = pair_for(p, alg);
    const char *compact = NULL;
    itsme_err_t *e = NULL;
    uint8_t *pt = NULL;
    size_t ptlen = 0;
    cjose_err cerr;

    ck_assert_int_eq(itsme_jws_sign(p, k.ours, alg, "JWT", PAYLOAD, strlen(PAYLOAD), &compact,
                                    &e), APR_SUCCESS);
    cjose_jwk_t *pub = cj_public(p, k.ours);
    cjose_jws_t *jws = owned(p, cjose_jws_import(compact, strlen(compact), &cerr), jws_release);
    ck_assert_ptr_nonnull(jws);
    ck_assert_msg(cjose_jws_verify(jws, pub, &cerr), "%s: cjose says %s", alg, cerr.message);
    ck_assert(cjose_jws_get_plaintext(jws, &pt, &ptlen, &cerr));
    ck_assert_uint_eq(ptlen, strlen(PAYLOAD));
    ck_assert(memcmp(pt, PAYLOAD, ptlen) == 0);
    cjose_header_t *h = cjose_jws_get_protected(jws);
    ck_assert_str_eq(cjose_header_get(h, CJOSE_HDR_ALG, NULL), alg);
    ck_assert_str_eq(cjose_header_get(h, CJOSE_HDR_KID, NULL), itsme_jwk_kid(k.ours));
    ck_assert_str_eq(cjose_header_get(h, "typ", NULL), "JWT");

    /* a changed signature does not verify with cjose either */
    const char *bad = flip_last(p, compact);
    cjose_jws_t *jws2 = owned(p, cjose_jws_import(bad, strlen(bad), &cerr), jws_release);
    ck_assert_ptr_nonnull(jws2);
    ck_assert(!cjose_jws_verify(jws2, pub, &cerr));
    apr_pool_destroy(p);
}
END_TEST

/* ---- (b) cjose signs, we verify ---- */

START_TEST(jws_cjose_to_ours)
{
    apr_pool_t *p = tu_pool();
    const char *alg = sig_algs[_i];
    pair_t k = pair_for(p, alg);
    const char *compact = NULL;
    itsme_jws_t *j = NULL;
    itsme_err_t *e = NULL;
    cjose_err cerr;

    cjose_header_t *h = cj_header(p, alg, NULL, itsme_jwk_kid(k.ours));
    cjose_jws_t *jws = owned(p, cjose_jws_sign(k.cj, h, (const uint8_t *)PAYLOAD,
                                               strlen(PAYLOAD), &cerr), jws_release);
    ck_assert_msg(jws != NULL, "%s: cjose_jws_sign: %s", alg, cerr.message);
    ck_assert(cjose_jws_export(jws, &compact, &cerr));

    ck_assert_int_eq(itsme_jws_parse(p, compact, &j, &e), APR_SUCCESS);
    ck_assert_str_eq(j->alg, alg);
    ck_assert_str_eq(j->kid, itsme_jwk_kid(k.ours));
    ck_assert_int_eq(itsme_jws_verify(p, j, our_public(p, k.ours), NULL, &e), APR_SUCCESS);
    ck_assert_uint_eq(j->payload_len, strlen(PAYLOAD));
    ck_assert_str_eq(j->payload, PAYLOAD);

    /* and we refuse it with a changed signature or another key */
    ck_assert_int_eq(itsme_jws_parse(p, flip_last(p, compact), &j, &e), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, j, our_public(p, k.ours), NULL, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jws_parse(p, compact, &j, &e), APR_SUCCESS);
    const itsme_jwk_t *other = strcmp(alg, "ES256") ? tu_rsa_key(p, "interop-other", NULL)
                                                    : tu_ec_key(p, "interop-other-ec");
    ck_assert_int_ne(itsme_jws_verify(p, j, our_public(p, other), NULL, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

/* ---- (c) cjose encrypts, we decrypt ---- */

static const char *const cj_encs[] = {"A256GCM", "A128CBC-HS256"};

START_TEST(jwe_cjose_to_ours)
{
    apr_pool_t *p = tu_pool();
    const char *enc = cj_encs[_i];
    pair_t k = pair_for(p, "RS256");
    apr_array_header_t *keys = apr_array_make(p, 1, sizeof(const itsme_jwk_t *));
    itsme_jwe_header_t *hd = NULL;
    itsme_err_t *e = NULL;
    char *pt = NULL;
    apr_size_t ptlen = 0;
    cjose_err cerr;

    APR_ARRAY_PUSH(keys, const itsme_jwk_t *) = k.ours;
    cjose_header_t *h = cj_header(p, "RSA-OAEP", enc, itsme_jwk_kid(k.ours));
    ck_assert(cjose_header_set(h, CJOSE_HDR_CTY, "JWT", NULL));
    cjose_jwe_t *jwe = owned(p, cjose_jwe_encrypt(cj_public(p, k.ours), h,
                                                  (const uint8_t *)PAYLOAD, strlen(PAYLOAD),
                                                  &cerr), jwe_release);
    ck_assert_msg(jwe != NULL, "cjose_jwe_encrypt %s: %s", enc, cerr.message);
    const char *compact = owned(p, cjose_jwe_export(jwe, &cerr), cj_free);
    ck_assert_ptr_nonnull(compact);

    ck_assert_int_eq(itsme_jwe_header(p, compact, &hd, &e), APR_SUCCESS);
    ck_assert_str_eq(hd->alg, "RSA-OAEP");
    ck_assert_str_eq(hd->enc, enc);
    ck_assert_str_eq(hd->cty, "JWT");
    ck_assert_int_eq(itsme_jwe_decrypt(p, compact, keys, &pt, &ptlen, &e), APR_SUCCESS);
    ck_assert_uint_eq(ptlen, strlen(PAYLOAD));
    ck_assert_str_eq(pt, PAYLOAD);

    /* a changed tag is one generic crypto failure */
    e = NULL;
    ck_assert_int_ne(itsme_jwe_decrypt(p, flip_last(p, compact), keys, &pt, &ptlen, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CRYPTO);
    apr_pool_destroy(p);
}
END_TEST

/* ---- (d) we encrypt, cjose decrypts ---- */

/* cjose's plaintext of compact with k (NULL when cjose cannot decrypt it;
 * when it cannot even import it, that is a failure unless may_refuse). */
static const char *cj_decrypt(apr_pool_t *p, const char *compact, cjose_jwk_t *k,
                              int may_refuse)
{
    size_t len = 0;
    cjose_err cerr;
    cjose_jwe_t *jwe = owned(p, cjose_jwe_import(compact, strlen(compact), &cerr), jwe_release);
    if (!jwe && may_refuse)
        return NULL;
    ck_assert_msg(jwe != NULL, "cjose_jwe_import: %s", cerr.message);
    uint8_t *pt = owned(p, cjose_jwe_decrypt(jwe, k, &len, &cerr), cj_free);
    return pt ? apr_pstrmemdup(p, (const char *)pt, len) : NULL;
}

START_TEST(jwe_ours_to_cjose)
{
    apr_pool_t *p = tu_pool();
    const char *enc = cj_encs[_i];
    pair_t k = pair_for(p, "RS256");
    const char *compact = NULL, *pt;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_jwe_encrypt(p, our_public(p, k.ours), "RSA-OAEP", enc, "JWT",
                                       PAYLOAD, strlen(PAYLOAD), &compact, &e), APR_SUCCESS);
    pt = cj_decrypt(p, compact, k.cj, 0);
    ck_assert_msg(pt != NULL, "cjose could not decrypt our RSA-OAEP/%s", enc);
    ck_assert_str_eq(pt, PAYLOAD);
    /* cjose, too, refuses it once the tag is changed */
    ck_assert_ptr_null(cj_decrypt(p, flip_last(p, compact), k.cj, 0));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(enc_oaep256_when_cjose_can)
{
    apr_pool_t *p = tu_pool();
    pair_t k = pair_for(p, "RS256");
    const char *compact = NULL, *pt;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_jwe_encrypt(p, our_public(p, k.ours), "RSA-OAEP-256", "A256GCM",
                                       "JWT", PAYLOAD, strlen(PAYLOAD), &compact, &e),
                     APR_SUCCESS);
    /* NULL with cjose 0.6.2.1: it does not even import an RSA-OAEP-256 JWE */
    pt = cj_decrypt(p, compact, k.cj, 1);
    if (pt)
        ck_assert_str_eq(pt, PAYLOAD);
    apr_pool_destroy(p);
}
END_TEST

/* ---- (e) the algorithm gate: HS256 keyed with the public key ---- */

START_TEST(hs256_confusion_refused)
{
    static const char *const with_hs[] = {"RS256", "HS256", NULL};
    apr_pool_t *p = tu_pool();
    pair_t k = pair_for(p, "RS256");
    const char *pub_pem = pem_of(p, k.pkey, 1), *compact = NULL;
    itsme_jwk_t *pub = our_public(p, k.ours);
    itsme_jws_t *j = NULL;
    itsme_err_t *e = NULL;
    cjose_err cerr;

    /* what an attacker holds: the RSA public key, as an HMAC secret */
    cjose_jwk_t *oct = owned(p, cjose_jwk_create_oct_spec((const uint8_t *)pub_pem,
                                                          strlen(pub_pem), &cerr), jwk_release);
    ck_assert_ptr_nonnull(oct);
    cjose_header_t *h = cj_header(p, "HS256", NULL, itsme_jwk_kid(k.ours));
    cjose_jws_t *jws = owned(p, cjose_jws_sign(oct, h, (const uint8_t *)PAYLOAD,
                                               strlen(PAYLOAD), &cerr), jws_release);
    ck_assert_ptr_nonnull(jws);
    ck_assert(cjose_jws_export(jws, &compact, &cerr));
    ck_assert(cjose_jws_verify(jws, oct, &cerr)); /* cjose: fine */

    ck_assert_int_eq(itsme_jws_parse(p, compact, &j, &e), APR_SUCCESS);
    ck_assert_str_eq(j->alg, "HS256");
    e = NULL;
    ck_assert_int_ne(itsme_jws_verify(p, j, pub, NULL, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    /* even when a caller lists HS256 as allowed */
    e = NULL;
    ck_assert_int_ne(itsme_jws_verify(p, j, pub, with_hs, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    /* and with the private key, too */
    ck_assert_int_ne(itsme_jws_verify(p, j, k.ours, with_hs, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_interop(void)
{
    Suite *s = suite_create("interop");
    TCase *tc = tcase_create("jws");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, jws_ours_to_cjose, 0, 3);
    tcase_add_loop_test(tc, jws_cjose_to_ours, 0, 3);
    tcase_add_test(tc, hs256_confusion_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("jwe");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, jwe_cjose_to_ours, 0, 2);
    tcase_add_loop_test(tc, jwe_ours_to_cjose, 0, 2);
    tcase_add_test(tc, enc_oaep256_when_cjose_can);
    suite_add_tcase(s, tc);
    return s;
}
