/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_jose.c: JWK/JWKS and JWS: RFC 7638 §3.1 thumbprint vector, round trips
 * with test-made keys, and every refusal. JWE lives in test_jwe.c. */
#include <string.h>
#include <stdio.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include "tests.h"
#include "testutil.h"
#include "core/jose.h"
#include "core/b64url.h"

/* ---- helpers ---- */

static const char *bn_b64(apr_pool_t *p, EVP_PKEY *pk, const char *name)
{
    BIGNUM *bn = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, name, &bn), 1);
    int n = BN_num_bytes(bn);
    unsigned char *buf = apr_palloc(p, (apr_size_t)n);
    BN_bn2bin(bn, buf);
    BN_free(bn);
    return itsme_b64url_encode(p, buf, (apr_size_t)n);
}

static EVP_PKEY *pkey_of_pem(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    ck_assert_ptr_nonnull(pk);
    return pk;
}

/* ---- RFC vectors ---- */

static const char rfc7638_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1R"
    "K7aP"
    "FFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v"
    "-"
    "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFT"
    "W"
    "hAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","
    "\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";

START_TEST(test_rfc7638_thumbprint)
{
    apr_pool_t *p = tu_pool();
    itsme_jwk_t *k = NULL, *pem = NULL;
    const char *pemtext = tu_rsa_pem(p, "tp");

    ck_assert_int_eq(itsme_jwk_parse(p, rfc7638_jwk, strlen(rfc7638_jwk), &k, NULL), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_thumbprint(p, k), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    ck_assert_str_eq(itsme_jwk_kid(k), "2011-04-29");
    ck_assert_str_eq(itsme_jwk_alg(k), "RS256");
    ck_assert_ptr_null(itsme_jwk_use(k));
    /* kid NULL -> the thumbprint; same for the public half */
    ck_assert_int_eq(itsme_jwk_from_pem(p, pemtext, strlen(pemtext), NULL, "enc", &pem, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(pem), itsme_jwk_thumbprint(p, pem));
    ck_assert_uint_eq(strlen(itsme_jwk_kid(pem)), 43);
    ck_assert_str_eq(itsme_jwk_thumbprint(p, tu_pub_of(p, pem)), itsme_jwk_kid(pem));
    ck_assert_uint_eq(strlen(itsme_jwk_thumbprint(p, tu_ec_key(p, "tpec"))), 43);
    apr_pool_destroy(p);
}
END_TEST

/* ---- keys ---- */

START_TEST(test_public_json_has_no_private_members)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *keys[] = {tu_rsa_key(p, "pj-rsa", "sig"), tu_ec_key(p, "pj-ec"), NULL};
    itsme_jwk_t *rfc = NULL;
    static const char *const banned[] = {"\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""};

    ck_assert_int_eq(itsme_jwk_parse(p, tu_rfc7516_a1_jwk, strlen(tu_rfc7516_a1_jwk), &rfc, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < 3; i++) {
        const itsme_jwk_t *k = i < 2 ? keys[i] : rfc;
        const char *json = itsme_json_dump(p, itsme_jwk_public_json(p, k));
        ck_assert_ptr_nonnull(json);
        ck_assert_int_eq(itsme_jwk_is_private(k), 1);
        for (size_t b = 0; b < sizeof(banned) / sizeof(banned[0]); b++)
            ck_assert_msg(!strstr(json, banned[b]), "%s in %s", banned[b], json);
        ck_assert_ptr_nonnull(strstr(json, i == 1 ? "\"crv\":\"P-256\"" : "\"e\":\"AQAB\""));
    }
    ck_assert_ptr_nonnull(strstr(itsme_json_dump(p, itsme_jwk_public_json(p, keys[0])),
                                 "\"kid\":\"pj-rsa\""));
    ck_assert_ptr_nonnull(strstr(itsme_json_dump(p, itsme_jwk_public_json(p, keys[0])),
                                 "\"use\":\"sig\""));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jwk_parse_refusals)
{
    apr_pool_t *p = tu_pool();
    itsme_jwk_t *k = NULL;
    itsme_err_t *e = NULL;
    const itsme_json_t *ec = itsme_jwk_public_json(p, tu_ec_key(p, "bad-ec"));
    const char *x = itsme_json_get_string(ec, "x"), *y = itsme_json_get_string(ec, "y");
    static const char *const bad[] = {
        "{\"kty\":\"oct\",\"k\":\"AAECAwQFBgcICQoLDA0ODw\"}",
        "{\"kty\":\"RSA\",\"e\":\"AQAB\"}",
        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQ==\"}",
        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\",\"p\":\"AQAB\"}",
        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":7}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAB\"}",
        "[1,2]",
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AQAB\",\"y\":\"AQAB\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e = NULL;
        tu_expect_kind(itsme_jwk_parse(p, bad[i], strlen(bad[i]), &k, &e), &e, ITSME_E_INPUT);
    }
    /* EC: wrong coordinate length, and a point that is not on the curve */
    const char *shortx = apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\","
                                      "\"x\":\"%.40s\",\"y\":\"%s\"}", x, y);
    ck_assert_int_ne(itsme_jwk_parse(p, shortx, strlen(shortx), &k, NULL), APR_SUCCESS);
    char *offx = apr_pstrdup(p, x);
    offx[5] = offx[5] == 'A' ? 'B' : 'A';
    const char *off = apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\","
                                   "\"x\":\"%s\",\"y\":\"%s\"}", offx, y);
    ck_assert_int_ne(itsme_jwk_parse(p, off, strlen(off), &k, NULL), APR_SUCCESS);
    const char *good = apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\","
                                    "\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    ck_assert_int_eq(itsme_jwk_parse(p, good, strlen(good), &k, NULL), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kty(k), "EC");
    /* PEM: garbage, bad use, EC on another curve */
    e = NULL;
    tu_expect_kind(itsme_jwk_from_pem(p, "not a pem", 9, NULL, NULL, &k, &e), &e, ITSME_E_CONFIG);
    const char *pem = tu_rsa_pem(p, "bad-pem");
    ck_assert_int_ne(itsme_jwk_from_pem(p, pem, strlen(pem), "x", "both", &k, NULL), APR_SUCCESS);
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    PEM_write_bio_PrivateKey(b, p384, NULL, NULL, 0, NULL, NULL);
    long n = BIO_get_mem_data(b, &data);
    ck_assert_int_ne(itsme_jwk_from_pem(p, data, (apr_size_t)n, "x", NULL, &k, NULL), APR_SUCCESS);
    BIO_free(b);
    EVP_PKEY_free(p384);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jwks_parse_and_find)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *s1 = tu_rsa_key(p, "s1", "sig"), *e1 = tu_rsa_key(p, "e1", "enc");
    const itsme_jwk_t *ec = tu_ec_key(p, "ec1"), *s2 = tu_rsa_key(p, "s2", NULL);
    const char *ks[] = {itsme_json_dump(p, itsme_jwk_public_json(p, s1)),
                        itsme_json_dump(p, itsme_jwk_public_json(p, e1)),
                        itsme_json_dump(p, itsme_jwk_public_json(p, ec)),
                        itsme_json_dump(p, itsme_jwk_public_json(p, s2))};
    const char *doc = apr_pstrcat(p, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\","
                                  "\"kid\":\"s1\"},",
                                  ks[0], ",", ks[1], ",", ks[2],
                                  ",{\"kty\":\"RSA\",\"kid\":\"broken\",\"n\":\"!!\","
                                  "\"e\":\"AQAB\"}"
                                  ",\"not a key\",{\"kty\":\"OKP\",\"crv\":\"X25519\","
                                  "\"x\":\"AA\"}]}",
                                  NULL);
    itsme_jwks_t *set = NULL;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_jwks_parse(p, doc, strlen(doc), &set, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwks_count(set), 3);
    ck_assert_str_eq(itsme_jwk_kid(itsme_jwks_get(set, 0)), "s1");
    ck_assert_ptr_null(itsme_jwks_get(set, 3));
    ck_assert_ptr_null(itsme_jwks_get(set, -1));
    /* by kid: the oct key named s1 was skipped, the RSA one is found */
    ck_assert_ptr_eq(itsme_jwks_find_verify_key(set, "s1", "RS256"), itsme_jwks_get(set, 0));
    ck_assert_ptr_eq(itsme_jwks_find_verify_key(set, "s1", "PS256"), itsme_jwks_get(set, 0));
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "e1", "RS256")); /* use enc */
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "s1", "ES256")); /* kty */
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "ec1", "RS256"));
    ck_assert_ptr_eq(itsme_jwks_find_verify_key(set, "ec1", "ES256"), itsme_jwks_get(set, 2));
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "nope", "RS256"));
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "s1", "HS256"));
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "s1", "none"));
    /* no kid: exactly one RSA signing key fits (the enc key does not count) */
    ck_assert_ptr_eq(itsme_jwks_find_verify_key(set, NULL, "RS256"), itsme_jwks_get(set, 0));
    ck_assert_ptr_eq(itsme_jwks_find_verify_key(set, NULL, "ES256"), itsme_jwks_get(set, 2));

    /* ambiguous without kid; fine with kid; a key's own alg is respected */
    doc = apr_pstrcat(p, "{\"keys\":[", ks[0], ",", ks[3], "]}", NULL);
    ck_assert_int_eq(itsme_jwks_parse(p, doc, strlen(doc), &set, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwks_count(set), 2);
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, NULL, "RS256"));
    ck_assert_ptr_eq(itsme_jwks_find_verify_key(set, "s2", "RS256"), itsme_jwks_get(set, 1));
    doc = apr_pstrcat(p, "{\"keys\":[",
                      apr_pstrcat(p, apr_pstrndup(p, ks[3], strlen(ks[3]) - 1),
                                  ",\"alg\":\"PS256\"}", NULL), "]}", NULL);
    ck_assert_int_eq(itsme_jwks_parse(p, doc, strlen(doc), &set, NULL), APR_SUCCESS);
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, "s2", "RS256"));
    ck_assert_ptr_nonnull(itsme_jwks_find_verify_key(set, "s2", "PS256"));

    /* not a JWKS */
    e = NULL;
    tu_expect_kind(itsme_jwks_parse(p, "[]", 2, &set, &e), &e, ITSME_E_OP);
    e = NULL;
    tu_expect_kind(itsme_jwks_parse(p, "{\"keys\":{}}", 11, &set, &e), &e, ITSME_E_OP);
    ck_assert_int_ne(itsme_jwks_parse(p, "{\"keys\":[]", 10, &set, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwks_parse(p, "{\"keys\":[]}", 11, &set, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwks_count(set), 0);
    ck_assert_ptr_null(itsme_jwks_find_verify_key(set, NULL, "RS256"));

    /* at most 64 keys kept */
    const char *many = "{\"keys\":[";
    for (int i = 0; i < 70; i++)
        many = apr_pstrcat(p, many, i ? "," : "", ks[2], NULL);
    many = apr_pstrcat(p, many, "]}", NULL);
    ck_assert_int_eq(itsme_jwks_parse(p, many, strlen(many), &set, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwks_count(set), 64);
    apr_pool_destroy(p);
}
END_TEST

/* ---- JWS ---- */

START_TEST(test_jws_round_trips)
{
    apr_pool_t *p = tu_pool();
    const char *algs[] = {"RS256", "PS256", "ES256"};
    const char *payload = "{\"iss\":\"https://op.example\",\"sub\":\"abc\"}";
    for (int i = 0; i < 3; i++) {
        const itsme_jwk_t *k = i < 2 ? tu_rsa_key(p, "rt-sig", "sig") : tu_ec_key(p, "rt-ec");
        const itsme_jwk_t *pub = tu_pub_of(p, k);
        const char *compact = NULL;
        itsme_jws_t *jws = NULL;
        itsme_err_t *e = NULL;
        ck_assert_int_eq(itsme_jws_sign(p, k, algs[i], "JWT", payload, strlen(payload), &compact,
                                        &e), APR_SUCCESS);
        ck_assert_int_eq(itsme_jose_compact_parts(compact), 3);
        ck_assert_int_eq(itsme_jws_parse(p, compact, &jws, &e), APR_SUCCESS);
        ck_assert_str_eq(jws->alg, algs[i]);
        ck_assert_str_eq(jws->kid, i < 2 ? "rt-sig" : "rt-ec");
        ck_assert_str_eq(jws->typ, "JWT");
        ck_assert_ptr_null(jws->cty);
        ck_assert_str_eq(jws->payload, payload);
        ck_assert_uint_eq(jws->payload_len, strlen(payload));
        ck_assert_int_eq(itsme_jws_verify(p, jws, pub, NULL, &e), APR_SUCCESS);
        ck_assert_int_eq(itsme_jws_verify(p, jws, k, NULL, &e), APR_SUCCESS);
        if (i == 2)
            ck_assert_uint_eq(strlen(tu_part_of(p, compact, 2)), 86); /* raw 64-byte r||s */
    }
    /* RS256 and PS256 are not interchangeable */
    {
        const itsme_jwk_t *k = tu_rsa_key(p, "rt-sig", "sig");
        const char *c = NULL;
        itsme_jws_t *jws = NULL;
        ck_assert_int_eq(itsme_jws_sign(p, k, "RS256", NULL, "x", 1, &c, NULL), APR_SUCCESS);
        c = tu_with_part(p, c, 0, tu_b64s(p, "{\"alg\":\"PS256\",\"kid\":\"rt-sig\"}"));
        ck_assert_int_eq(itsme_jws_parse(p, c, &jws, NULL), APR_SUCCESS);
        ck_assert_ptr_null(jws->typ);
        ck_assert_int_ne(itsme_jws_verify(p, jws, k, NULL, NULL), APR_SUCCESS);
    }
    apr_pool_destroy(p);
}
END_TEST

static itsme_jws_t *parsed(apr_pool_t *p, const char *compact)
{
    itsme_jws_t *jws = NULL;
    ck_assert_int_eq(itsme_jws_parse(p, compact, &jws, NULL), APR_SUCCESS);
    return jws;
}

static void hs256_forgery(apr_pool_t *p, const itsme_jwk_t *rsa, const unsigned char *secret,
                          apr_size_t slen)
{
    static const char *const with_hs[] = {"HS256", "RS256", NULL};
    const char *input = apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), ".",
                                    tu_b64s(p, "{\"sub\":\"admin\"}"), NULL);
    unsigned char mac[32];
    unsigned int maclen = 0;
    itsme_err_t *e = NULL;
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), secret, (int)slen, (const unsigned char *)input,
                               strlen(input), mac, &maclen));
    const char *forged = apr_pstrcat(p, input, ".", itsme_b64url_encode(p, mac, maclen), NULL);
    itsme_jws_t *jws = parsed(p, forged);
    tu_expect_kind(itsme_jws_verify(p, jws, rsa, NULL, &e), &e, ITSME_E_TOKEN);
    e = NULL; /* even when a caller lists HS256 */
    tu_expect_kind(itsme_jws_verify(p, jws, rsa, with_hs, &e), &e, ITSME_E_TOKEN);
    ck_assert_ptr_nonnull(strstr(e->msg, "refused"));
}

START_TEST(test_jws_refuses_none_and_hmac)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *k = tu_rsa_key(p, "conf", "sig");
    static const char *const with_none[] = {"none", "RS256", NULL};
    itsme_err_t *e = NULL;
    const char *none = apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"none\"}"), ".",
                                   tu_b64s(p, "{\"sub\":\"admin\"}"), ".", NULL);
    itsme_jws_t *jws = parsed(p, none);
    ck_assert_str_eq(jws->alg, "none");
    tu_expect_kind(itsme_jws_verify(p, jws, k, NULL, &e), &e, ITSME_E_TOKEN);
    e = NULL;
    tu_expect_kind(itsme_jws_verify(p, jws, k, with_none, &e), &e, ITSME_E_TOKEN);
    ck_assert_ptr_nonnull(strstr(e->msg, "refused"));
    /* key confusion: HMAC keyed with the RSA public key PEM, or with n */
    EVP_PKEY *pk = pkey_of_pem(tu_rsa_pem(p, "conf"));
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL;
    PEM_write_bio_PUBKEY(b, pk);
    long n = BIO_get_mem_data(b, &pem);
    hs256_forgery(p, k, (const unsigned char *)pem, (apr_size_t)n);
    BIO_free(b);
    BIGNUM *bn = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
    unsigned char nbuf[512];
    int nlen = BN_bn2bin(bn, nbuf);
    hs256_forgery(p, k, nbuf, (apr_size_t)nlen);
    BN_free(bn);
    EVP_PKEY_free(pk);
    /* signing refuses them too */
    const char *c = NULL;
    ck_assert_int_ne(itsme_jws_sign(p, k, "HS256", NULL, "x", 1, &c, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_sign(p, k, "none", NULL, "x", 1, &c, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_sign(p, k, "RS512", NULL, "x", 1, &c, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jws_key_alg_mismatch)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *rsa = tu_rsa_key(p, "mm-rsa", "sig"), *ec = tu_ec_key(p, "mm-ec");
    static const char *const only_ps[] = {"PS256", NULL};
    static const char *const only_rs[] = {"RS256", NULL};
    const char *rs = NULL, *es = NULL;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jws_sign(p, rsa, "RS256", NULL, "hello", 5, &rs, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jws_sign(p, ec, "ES256", NULL, "hello", 5, &es, NULL), APR_SUCCESS);
    /* RS256 header with an EC key, ES256 with an RSA key */
    tu_expect_kind(itsme_jws_verify(p, parsed(p, rs), ec, NULL, &e), &e, ITSME_E_TOKEN);
    ck_assert_ptr_nonnull(strstr(e->msg, "does not fit"));
    e = NULL;
    tu_expect_kind(itsme_jws_verify(p, parsed(p, es), rsa, NULL, &e), &e, ITSME_E_TOKEN);
    ck_assert_int_ne(itsme_jws_sign(p, ec, "RS256", NULL, "x", 1, &rs, NULL), APR_SUCCESS);
    /* explicit allow-list */
    ck_assert_int_eq(itsme_jws_verify(p, parsed(p, rs), rsa, only_rs, NULL), APR_SUCCESS);
    e = NULL;
    tu_expect_kind(itsme_jws_verify(p, parsed(p, rs), rsa, only_ps, &e), &e, ITSME_E_TOKEN);
    ck_assert_ptr_nonnull(strstr(e->msg, "not allowed"));
    /* a key meant for encryption does not verify */
    itsme_jwk_t *enc = NULL;
    const char *pem = tu_rsa_pem(p, "mm-rsa");
    ck_assert_int_eq(itsme_jwk_from_pem(p, pem, strlen(pem), "mm-rsa", "enc", &enc, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, rs), enc, NULL, NULL), APR_SUCCESS);
    /* public keys cannot sign */
    ck_assert_int_ne(itsme_jws_sign(p, tu_pub_of(p, rsa), "RS256", NULL, "x", 1, &rs, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jws_tamper_and_wrong_key)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *k = tu_rsa_key(p, "tw", "sig"), *other = tu_rsa_key(p, "tw2", "sig");
    const itsme_jwk_t *ec = tu_ec_key(p, "tw-ec"), *ec2 = tu_ec_key(p, "tw-ec2");
    const char *c = NULL, *ce = NULL;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jws_sign(p, k, "PS256", NULL, "{\"a\":1}", 7, &c, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jws_sign(p, ec, "ES256", NULL, "{\"a\":1}", 7, &ce, NULL), APR_SUCCESS);
    tu_expect_kind(itsme_jws_verify(p, parsed(p, tu_with_part(p, c, 1, tu_b64s(p, "{\"a\":2}"))),
                                    k, NULL, &e), &e, ITSME_E_TOKEN);
    ck_assert_str_eq(e->msg, "JWS signature is invalid");
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, tu_flip(p, c, 2)), k, NULL, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, c), other, NULL, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, ce), ec2, NULL, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, tu_flip(p, ce, 1)), ec, NULL, NULL),
                     APR_SUCCESS);
    /* ES256 signature of the wrong size (DER instead of r||s, truncated) */
    const char *sig = tu_part_of(p, ce, 2);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, tu_with_part(p, ce, 2,
                                                                apr_pstrndup(p, sig, 84))),
                                      ec, NULL, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, tu_with_part(p, c, 2, "")), k, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, NULL, k, NULL, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jws_verify(p, parsed(p, c), NULL, NULL, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jws_parse_refusals)
{
    apr_pool_t *p = tu_pool();
    const char *pl = tu_b64s(p, "{}"), *sg = "c2ln";
    itsme_jws_t *jws = NULL;
    itsme_err_t *e = NULL;
    const char *bad[] = {
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}"), ".", pl,
                    ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\"}"), ".", pl, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\"}"), ".", pl, ".", sg, ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\"}"), ".", pl, ".", "c2ln=", NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\"}"), ".", pl, ".", "c2+n", NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\"}"), ".e30=.", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "[\"alg\",\"RS256\"]"), ".", pl, ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"typ\":\"JWT\"}"), ".", pl, ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"\"}"), ".", pl, ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":256}"), ".", pl, ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\",\"kid\":5}"), ".", pl, ".", sg, NULL),
        apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\"} x"), ".", pl, ".", sg, NULL),
        apr_pstrcat(p, ".", pl, ".", sg, NULL),
        "eyJhbGciOiJSUzI1NiJ9",
        "",
        NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e = NULL;
        ck_assert_msg(itsme_jws_parse(p, bad[i], &jws, &e) != APR_SUCCESS, "case %zu", i);
        ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    }
    /* over 64 KiB */
    char *big = apr_palloc(p, ITSME_JOSE_MAX_JWS + 64);
    memset(big, 'A', ITSME_JOSE_MAX_JWS + 63);
    big[ITSME_JOSE_MAX_JWS + 63] = '\0';
    memcpy(big, "eyJhbGciOiJSUzI1NiJ9.", 21);
    big[100] = '.';
    ck_assert_int_ne(itsme_jws_parse(p, big, &jws, NULL), APR_SUCCESS);
    /* a valid shape still parses (positive control) */
    ck_assert_int_eq(itsme_jws_parse(p, apr_pstrcat(p, tu_b64s(p, "{\"alg\":\"RS256\","
                                                                  "\"cty\":\"JWT\"}"),
                                                    ".", pl, ".", sg, NULL), &jws, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(jws->cty, "JWT");
    ck_assert_int_eq(itsme_jose_compact_parts(NULL), 0);
    ck_assert_int_eq(itsme_jose_compact_parts(""), 1);
    ck_assert_int_eq(itsme_jose_compact_parts("a.b.c.d.e"), 5);
    apr_pool_destroy(p);
}
END_TEST

/* A 1024-bit key as a private JWK (n, e, d). */
static itsme_jwk_t *weak_jwk(apr_pool_t *p, const char **pem_out)
{
    EVP_PKEY *pk = EVP_RSA_gen(1024);
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    itsme_jwk_t *k = NULL;
    ck_assert_ptr_nonnull(pk);
    PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
    long n = BIO_get_mem_data(b, &data);
    *pem_out = apr_pstrmemdup(p, data, (apr_size_t)n);
    BIO_free(b);
    const char *json = apr_psprintf(p, "{\"kty\":\"RSA\",\"kid\":\"weak\",\"n\":\"%s\","
                                    "\"e\":\"%s\",\"d\":\"%s\"}",
                                    bn_b64(p, pk, OSSL_PKEY_PARAM_RSA_N),
                                    bn_b64(p, pk, OSSL_PKEY_PARAM_RSA_E),
                                    bn_b64(p, pk, OSSL_PKEY_PARAM_RSA_D));
    EVP_PKEY_free(pk);
    ck_assert_int_eq(itsme_jwk_parse(p, json, strlen(json), &k, NULL), APR_SUCCESS);
    return k;
}

START_TEST(test_rsa_1024_refused)
{
    apr_pool_t *p = tu_pool();
    const char *pem = NULL, *c = NULL, *jwe = NULL;
    itsme_jwk_t *weak = weak_jwk(p, &pem), *k = NULL;
    itsme_err_t *e = NULL;
    char *pt;
    apr_size_t len;
    tu_expect_kind(itsme_jwk_from_pem(p, pem, strlen(pem), "w", NULL, &k, &e), &e, ITSME_E_CONFIG);
    e = NULL;
    tu_expect_kind(itsme_jws_sign(p, weak, "RS256", NULL, "x", 1, &c, &e), &e, ITSME_E_TOKEN);
    ck_assert_ptr_nonnull(strstr(e->msg, "too small"));
    /* a token signed by a sound key does not verify against the weak one either */
    ck_assert_int_eq(itsme_jws_sign(p, tu_rsa_key(p, "weak", "sig"), "RS256", NULL, "x", 1, &c,
                                    NULL), APR_SUCCESS);
    e = NULL;
    tu_expect_kind(itsme_jws_verify(p, parsed(p, c), weak, NULL, &e), &e, ITSME_E_TOKEN);
    ck_assert_ptr_nonnull(strstr(e->msg, "too small"));
    /* nor for JWE */
    ck_assert_int_ne(itsme_jwe_encrypt(p, weak, "RSA-OAEP", "A256GCM", NULL, "x", 1, &jwe, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(itsme_jwe_encrypt(p, tu_rsa_key(p, "weak", NULL), "RSA-OAEP", "A256GCM", NULL,
                                       "x", 1, &jwe, NULL), APR_SUCCESS);
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, weak, NULL), &pt, &len, &e), &e,
                   ITSME_E_TOKEN);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_jose(void)
{
    Suite *s = suite_create("jose");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rfc7638_thumbprint);
    suite_add_tcase(s, tc);
    tc = tcase_create("jwk");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_public_json_has_no_private_members);
    tcase_add_test(tc, test_jwk_parse_refusals);
    tcase_add_test(tc, test_jwks_parse_and_find);
    suite_add_tcase(s, tc);
    tc = tcase_create("jws");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_jws_round_trips);
    tcase_add_test(tc, test_jws_refuses_none_and_hmac);
    tcase_add_test(tc, test_jws_key_alg_mismatch);
    tcase_add_test(tc, test_jws_tamper_and_wrong_key);
    tcase_add_test(tc, test_jws_parse_refusals);
    tcase_add_test(tc, test_rsa_1024_refused);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tc);
    return s;
}
