/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_jwe.c: JWE: RFC vectors (RFC 7518 B.1 content decryption, RFC 7516 A.1),
 * round trips with test-made keys, and every refusal. */
#include <string.h>
#include <stdio.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/jose.h"

/* ---- helpers ---- */

static unsigned char *unhex(apr_pool_t *p, const char *hex, apr_size_t *len)
{
    unsigned char *out = apr_palloc(p, strlen(hex) / 2 + 1);
    apr_size_t n = 0;
    unsigned v;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
        out[n++] = (unsigned char)v;
        hex += 2;
    }
    *len = n;
    return out;
}

/* ---- RFC vectors ---- */

START_TEST(test_rfc7518_b1_cbc_hs256)
{
    apr_pool_t *p = tu_pool();
    apr_size_t klen, ivlen, ctlen, taglen, ptlen = 0;
    unsigned char *k = unhex(p, "000102030405060708090a0b0c0d0e0f"
                                "101112131415161718191a1b1c1d1e1f", &klen);
    unsigned char *iv = unhex(p, "1af38c2dc2b96ffdd86694092341bc04", &ivlen);
    unsigned char *ct = unhex(p,
        "c8 0e df a3 2d df 39 d5 ef 00 c0 b4 68 83 42 79 a2 e4 6a 1b 80 49 f7 92"
        "f7 6b fe 54 b9 03 a9 c9 a9 4a c9 b4 7a d2 65 5c 5f 10 f9 ae f7 14 27 e2"
        "fc 6f 9b 3f 39 9a 22 14 89 f1 63 62 c7 03 23 36 09 d4 5a c6 98 64 e3 32"
        "1c f8 29 35 ac 40 96 c8 6e 13 33 14 c5 40 19 e8 ca 79 80 df a4 b9 cf 1b"
        "38 4c 48 6f 3a 54 c5 10 78 15 8e e5 d7 9d e5 9f bd 34 d8 48 b3 d6 95 50"
        "a6 76 46 34 44 27 ad e5 4b 88 51 ff b5 98 f7 f8 00 74 b9 47 3c 82 e2 db", &ctlen);
    unsigned char *tag = unhex(p, "65 2c 3f a3 6b 0a 7c 5b 32 19 fa b3 a3 0b c1 c4", &taglen);
    const char *aad = "The second principle of Auguste Kerckhoffs";
    const char *plain = "A cipher system must not be required to be secret, and it must be able "
                        "to fall into the hands of the enemy without inconvenience";
    unsigned char *pt = NULL;
    itsme_err_t *e = NULL;
    apr_status_t rv;

    ck_assert_uint_eq(ctlen, 144);
    rv = itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                                   (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                                   &pt, &ptlen, &e);
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_uint_eq(ptlen, strlen(plain));
    ck_assert_str_eq((const char *)pt, plain);

    /* flipped tag byte */
    tag[15] ^= 0x01;
    rv = itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                                   (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                                   &pt, &ptlen, &e);
    tu_expect_kind(rv, &e, ITSME_E_CRYPTO);
    tag[15] ^= 0x01;
    /* flipped ciphertext byte, flipped AAD length, wrong MAC key half */
    ct[3] ^= 0x80;
    e = NULL;
    rv = itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                                   (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                                   &pt, &ptlen, &e);
    tu_expect_kind(rv, &e, ITSME_E_CRYPTO);
    ct[3] ^= 0x80;
    rv = itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                                   (const unsigned char *)aad, strlen(aad) - 1, ct, ctlen, tag,
                                   taglen, &pt, &ptlen, NULL);
    ck_assert_int_ne(rv, APR_SUCCESS);
    k[0] ^= 1;
    rv = itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                                   (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                                   &pt, &ptlen, NULL);
    ck_assert_int_ne(rv, APR_SUCCESS);
    k[0] ^= 1;
    /* wrong lengths: CEK, IV, tag, ciphertext not a block multiple; unknown enc */
    ck_assert_int_ne(itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, 16, iv, ivlen,
                         (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                         &pt, &ptlen, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, 12,
                         (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                         &pt, &ptlen, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                         (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, 15,
                         &pt, &ptlen, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_content_decrypt(p, "A128CBC-HS256", k, klen, iv, ivlen,
                         (const unsigned char *)aad, strlen(aad), ct, ctlen - 1, tag, taglen,
                         &pt, &ptlen, NULL), APR_SUCCESS);
    e = NULL;
    rv = itsme_jwe_content_decrypt(p, "A192CBC-HS384", k, klen, iv, ivlen,
                                   (const unsigned char *)aad, strlen(aad), ct, ctlen, tag, taglen,
                                   &pt, &ptlen, &e);
    tu_expect_kind(rv, &e, ITSME_E_TOKEN);
    apr_pool_destroy(p);
}
END_TEST

static const char rfc7516_a1_jwe[] =
    "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ."
    "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4"
    "q"
    "KAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76Fd"
    "I"
    "KLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh"
    "9Q"
    "cfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg."
    "48V1_ALb6US04U3b."
    "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A."
    "XFBoMYUZodetZdvTiFvSkQ";

START_TEST(test_rfc7516_a1_decrypt)
{
    apr_pool_t *p = tu_pool();
    itsme_jwk_t *k = NULL;
    itsme_jwe_header_t *h = NULL;
    char *pt = NULL;
    apr_size_t len = 0;
    itsme_err_t *e = NULL;

    ck_assert_int_eq(itsme_jwk_parse(p, tu_rfc7516_a1_jwk, strlen(tu_rfc7516_a1_jwk), &k, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(itsme_jwk_is_private(k), 1);
    ck_assert_str_eq(itsme_jwk_kty(k), "RSA");
    ck_assert_int_eq(itsme_jwe_header(p, rfc7516_a1_jwe, &h, &e), APR_SUCCESS);
    ck_assert_str_eq(h->alg, "RSA-OAEP");
    ck_assert_str_eq(h->enc, "A256GCM");
    ck_assert_ptr_null(h->kid);
    ck_assert_int_eq(itsme_jwe_decrypt(p, rfc7516_a1_jwe, tu_keys_of(p, k, NULL), &pt, &len, &e),
                     APR_SUCCESS);
    ck_assert_str_eq(pt, "The true sign of intelligence is not knowledge but imagination.");
    ck_assert_uint_eq(len, strlen(pt));

    /* the same token with its GCM tag or ciphertext changed is refused */
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, tu_flip(p, rfc7516_a1_jwe, 4), tu_keys_of(p, k, NULL),
                                     &pt, &len, &e), &e, ITSME_E_CRYPTO);
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, tu_flip(p, rfc7516_a1_jwe, 3), tu_keys_of(p, k, NULL),
                                     &pt, &len, &e), &e, ITSME_E_CRYPTO);
    /* a changed encrypted key gives the same generic error */
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, tu_flip(p, rfc7516_a1_jwe, 1), tu_keys_of(p, k, NULL),
                                     &pt, &len, &e), &e, ITSME_E_CRYPTO);
    ck_assert_str_eq(e->msg, "JWE could not be decrypted");
    apr_pool_destroy(p);
}
END_TEST

/* ---- JWE ---- */

START_TEST(test_jwe_round_trips)
{
    apr_pool_t *p = tu_pool();
    const char *algs[] = {"RSA-OAEP", "RSA-OAEP-256"}, *encs[] = {"A128CBC-HS256", "A256GCM"};
    const itsme_jwk_t *k = tu_rsa_key(p, "e1", "enc"), *other = tu_rsa_key(p, "e2", "enc");
    const itsme_jwk_t *pub = tu_pub_of(p, k);
    const char *msg[] = {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "", "0123456789abcdef"};
    for (int a = 0; a < 2; a++)
        for (int c = 0; c < 2; c++)
            for (int m = 0; m < 3; m++) {
                const char *jwe = NULL;
                itsme_jwe_header_t *h = NULL;
                char *pt = NULL;
                apr_size_t len = 99;
                itsme_err_t *e = NULL;
                ck_assert_int_eq(itsme_jwe_encrypt(p, pub, algs[a], encs[c], m ? NULL : "JWT",
                                                   msg[m], strlen(msg[m]), &jwe, &e), APR_SUCCESS);
                ck_assert_int_eq(itsme_jose_compact_parts(jwe), 5);
                ck_assert_int_eq(itsme_jwe_header(p, jwe, &h, &e), APR_SUCCESS);
                ck_assert_str_eq(h->alg, algs[a]);
                ck_assert_str_eq(h->enc, encs[c]);
                ck_assert_str_eq(h->kid, "e1");
                if (m)
                    ck_assert_ptr_null(h->cty);
                else
                    ck_assert_str_eq(h->cty, "JWT");
                ck_assert_int_eq(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, other, k), &pt, &len, &e),
                                 APR_SUCCESS);
                ck_assert_uint_eq(len, strlen(msg[m]));
                ck_assert_str_eq(pt, msg[m]);
            }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jwe_without_kid)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *k = tu_rsa_key(p, "nk", NULL), *other = tu_rsa_key(p, "nk2", "enc");
    const itsme_json_t *pj = itsme_jwk_public_json(p, k);
    const char *json = apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}",
                                    itsme_json_get_string(pj, "n"),
                                    itsme_json_get_string(pj, "e"));
    itsme_jwk_t *nokid = NULL, *as_sig = NULL;
    const char *jwe = NULL, *pem = tu_rsa_pem(p, "nk");
    itsme_jwe_header_t *h = NULL;
    char *pt = NULL;
    apr_size_t len = 0;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jwk_parse(p, json, strlen(json), &nokid, NULL), APR_SUCCESS);
    ck_assert_ptr_null(itsme_jwk_kid(nokid));
    ck_assert_int_eq(itsme_jwe_encrypt(p, nokid, "RSA-OAEP-256", "A128CBC-HS256", NULL, "hi", 2,
                                       &jwe, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwe_header(p, jwe, &h, NULL), APR_SUCCESS);
    ck_assert_ptr_null(h->kid);
    /* every non-sig key is tried, in order */
    ck_assert_int_eq(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, other, k), &pt, &len, &e),
                     APR_SUCCESS);
    ck_assert_str_eq(pt, "hi");
    /* the right key marked use=sig is not used; only the wrong key left */
    ck_assert_int_eq(itsme_jwk_from_pem(p, pem, strlen(pem), "nk", "sig", &as_sig, NULL),
                     APR_SUCCESS);
    tu_expect_kind(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, as_sig, other), &pt, &len, &e), &e,
                   ITSME_E_CRYPTO);
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, as_sig, NULL), &pt, &len, &e), &e,
                   ITSME_E_TOKEN);
    /* public keys cannot decrypt; no keys at all */
    ck_assert_int_ne(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, nokid, NULL), &pt, &len, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_decrypt(p, jwe, NULL, &pt, &len, NULL), APR_SUCCESS);
    /* encrypting to a signing key is refused */
    ck_assert_int_ne(itsme_jwe_encrypt(p, as_sig, "RSA-OAEP", "A256GCM", NULL, "x", 1, &jwe,
                                       NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_encrypt(p, tu_ec_key(p, "nk-ec"), "RSA-OAEP", "A256GCM", NULL, "x",
                                       1, &jwe, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_encrypt(p, k, "RSA1_5", "A256GCM", NULL, "x", 1, &jwe, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_encrypt(p, k, "RSA-OAEP", "A128GCM", NULL, "x", 1, &jwe, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_jwe_refusals)
{
    apr_pool_t *p = tu_pool();
    const itsme_jwk_t *k = tu_rsa_key(p, "r1", "enc"), *k2 = tu_rsa_key(p, "r2", "enc");
    const char *jwe = NULL, *pem2 = tu_rsa_pem(p, "r2");
    itsme_jwk_t *impostor = NULL;
    apr_array_header_t *keys = tu_keys_of(p, k, NULL);
    char *pt = NULL;
    apr_size_t len = 0;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jwe_encrypt(p, k, "RSA-OAEP-256", "A256GCM", "JWT", "secret claims",
                                       13, &jwe, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwe_decrypt(p, jwe, keys, &pt, &len, NULL), APR_SUCCESS);
    /* header policy: RSA1_5, dir, zip, crit, unknown enc, missing enc */
    const char *hdrs[] = {
        "{\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\",\"kid\":\"r1\"}",
        "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"r1\"}",
        "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"kid\":\"r1\",\"zip\":\"DEF\"}",
        "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"kid\":\"r1\",\"crit\":[\"x\"],\"x\":1}",
        "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A192GCM\",\"kid\":\"r1\"}",
        "{\"alg\":\"RSA-OAEP-256\",\"kid\":\"r1\"}",
        "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"kid\":\"nobody\"}",
        "[\"alg\"]",
    };
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        e = NULL;
        tu_expect_kind(itsme_jwe_decrypt(p, tu_with_part(p, jwe, 0, tu_b64s(p, hdrs[i])), keys,
                                         &pt, &len, &e), &e, ITSME_E_TOKEN);
    }
    /* an extra header member changes the AAD */
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, tu_with_part(p, jwe, 0,
                                                     tu_b64s(p, "{\"alg\":\"RSA-OAEP-256\","
                                                             "\"enc\":\"A256GCM\",\"kid\":\"r1\","
                                                             "\"cty\":\"JWT\",\"x\":1}")),
                                     keys, &pt, &len, &e), &e, ITSME_E_CRYPTO);
    /* tampered ciphertext, tag, encrypted key, IV */
    for (int i = 1; i <= 4; i++) {
        e = NULL;
        tu_expect_kind(itsme_jwe_decrypt(p, tu_flip(p, jwe, i), keys, &pt, &len, &e), &e,
                       ITSME_E_CRYPTO);
        ck_assert_str_eq(e->msg, "JWE could not be decrypted");
    }
    /* wrong key: another key under the same kid; a key set without r1 */
    ck_assert_int_eq(itsme_jwk_from_pem(p, pem2, strlen(pem2), "r1", "enc", &impostor, NULL),
                     APR_SUCCESS);
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, impostor, NULL), &pt, &len, &e), &e,
                   ITSME_E_CRYPTO);
    e = NULL;
    tu_expect_kind(itsme_jwe_decrypt(p, jwe, tu_keys_of(p, k2, NULL), &pt, &len, &e), &e,
                   ITSME_E_TOKEN);
    /* shape: 4 and 6 parts, JWS, bad base64, IV and tag sizes, empty key */
    const char *shapes[] = {
        apr_pstrndup(p, jwe, (apr_size_t)(strrchr(jwe, '.') - jwe)),
        apr_pstrcat(p, jwe, ".AA", NULL),
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        tu_with_part(p, jwe, 3, "AAAA="),
        tu_with_part(p, jwe, 2, "AAAAAAAAAAAAAAAAAAAAAA"),
        tu_with_part(p, jwe, 4, "AAAAAAAAAAAAAAAAAAAA"),
        tu_with_part(p, jwe, 1, ""),
        NULL,
    };
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        e = NULL;
        ck_assert_msg(itsme_jwe_decrypt(p, shapes[i], keys, &pt, &len, &e) != APR_SUCCESS,
                      "shape %zu", i);
        ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    }
    itsme_jwe_header_t *h = NULL;
    ck_assert_int_ne(itsme_jwe_header(p, shapes[0], &h, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_jwe_header(p, tu_with_part(p, jwe, 0, tu_b64s(p, hdrs[2])), &h, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_jwe(void)
{
    Suite *s = suite_create("jwe");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rfc7518_b1_cbc_hs256);
    tcase_add_test(tc, test_rfc7516_a1_decrypt);
    suite_add_tcase(s, tc);
    tc = tcase_create("jwe");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_jwe_round_trips);
    tcase_add_test(tc, test_jwe_without_kid);
    tcase_add_test(tc, test_jwe_refusals);
    suite_add_tcase(s, tc);
    return s;
}
