/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_codec.c: AEAD cookie sealing: round trip, tampering, aad binding,
 * key rotation, junk input, size limits, passphrase policy, and a
 * known-answer vector made with an independent implementation. */
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include "tests.h"
#include "testutil.h"
#include "core/b64url.h"
#include "core/session/codec.h"

/* as `openssl rand -base64 32` makes them (44 characters) */
#define PASS_A "MOXKzyYwYhm/BFDpD5BOs5iccltGe63oPPKSBLXAbDc="
#define PASS_B "C0fSME1KXTKD4/PKdabOZeyMGRRZ1CajQ57iQfMvtlU="
#define PASS_C "GpCgHSn4sgggA0Te7t/uP7ZY8drj9LxDzWisfqHISzQ="
#define AAD "itsme_session"

/* Sealed by Python's `cryptography` (HKDF + AESGCM) with PASS_A, IV 00..0b,
 * aad "itsme_session", plaintext KAT_PT. */
#define KAT_SEALED "AZevV18AAQIDBAUGBwgJCgsi05AhVOEeGMg3FNpUArWiGTq--UwMeKcGCfnObItCAg9HokKCdQjwrv4FIA"
#define KAT_PT "{\"v\":1,\"sub\":\"known-answer\"}"

static const itsme_crypto_t *mk(apr_pool_t *p, const char *a, const char *b)
{
    apr_array_header_t *arr = apr_array_make(p, 2, sizeof(const char *));
    itsme_crypto_t *c = NULL;
    itsme_err_t *err = NULL;
    APR_ARRAY_PUSH(arr, const char *) = a;
    if (b) {
        APR_ARRAY_PUSH(arr, const char *) = b;
    }
    ck_assert_int_eq(itsme_crypto_create(p, arr, &c, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(c);
    return c;
}

static const char *seal_str(apr_pool_t *p, const itsme_crypto_t *c, const char *aad,
                            const char *pt)
{
    const char *sealed = NULL;
    ck_assert_int_eq(itsme_seal(p, c, aad, (const unsigned char *)pt, strlen(pt), &sealed,
                                NULL), APR_SUCCESS);
    ck_assert_ptr_nonnull(sealed);
    return sealed;
}

/* Opens and expects ITSME_E_CRYPTO with nothing returned. */
static void expect_refused(apr_pool_t *p, const itsme_crypto_t *c, const char *aad,
                           const char *sealed, apr_size_t len)
{
    unsigned char *pt = (unsigned char *)"x";
    apr_size_t ptlen = 7;
    itsme_err_t *err = NULL;
    ck_assert_int_ne(itsme_open(p, c, aad, sealed, len, &pt, &ptlen, NULL, &err),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->kind, ITSME_E_CRYPTO);
    ck_assert_ptr_null(pt);
    ck_assert_uint_eq(ptlen, 0);
}

START_TEST(round_trip)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    const char *msg = "{\"v\":1,\"sub\":\"abc\"}";
    const char *sealed = seal_str(p, c, AAD, msg);
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    int idx = -1;

    /* version + kid + iv + tag = 33 bytes around the ciphertext */
    ck_assert_uint_eq(strlen(sealed), ((33 + strlen(msg)) * 4 + 2) / 3);
    ck_assert_int_eq(itsme_open(p, c, AAD, sealed, strlen(sealed), &pt, &len, &idx, NULL),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(msg));
    ck_assert_str_eq((const char *)pt, msg);
    ck_assert_int_eq(idx, 0);

    /* empty plaintext works both ways */
    ck_assert_int_eq(itsme_seal(p, c, AAD, NULL, 0, &sealed, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_open(p, c, AAD, sealed, strlen(sealed), &pt, &len, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq((const char *)pt, "");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(known_answer)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    unsigned char *pt = NULL, *raw = NULL;
    apr_size_t len = 0, rawlen = 0;
    static const unsigned char kid[4] = { 0x97, 0xaf, 0x57, 0x5f };

    ck_assert_int_eq(itsme_open(p, c, AAD, KAT_SEALED, strlen(KAT_SEALED), &pt, &len, NULL,
                                NULL), APR_SUCCESS);
    ck_assert_str_eq((const char *)pt, KAT_PT);
    /* our own seal carries the same version byte and key id */
    const char *mine = seal_str(p, c, AAD, KAT_PT);
    ck_assert_int_eq(itsme_b64url_decode(p, mine, strlen(mine), &raw, &rawlen), APR_SUCCESS);
    ck_assert_int_eq(raw[0], 0x01);
    ck_assert_mem_eq(raw + 1, kid, 4);
    apr_pool_destroy(p);
}
END_TEST

/* Flips one byte of the decoded envelope at `off` (negative: from the end). */
static const char *flip(apr_pool_t *p, const char *sealed, long off)
{
    unsigned char *raw = NULL;
    apr_size_t len = 0;
    ck_assert_int_eq(itsme_b64url_decode(p, sealed, strlen(sealed), &raw, &len), APR_SUCCESS);
    raw[off < 0 ? (long)len + off : off] ^= 0x01;
    return itsme_b64url_encode(p, raw, len);
}

START_TEST(tamper_each_region)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    const char *sealed = seal_str(p, c, AAD, "a session worth stealing");
    static const long offsets[] = { 0, 1, 4, 5, 16, 17, 30, -17, -16, -1 };
    apr_size_t i;

    for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        const char *bad = flip(p, sealed, offsets[i]);
        expect_refused(p, c, AAD, bad, strlen(bad));
    }
    /* truncated tag, dropped ciphertext byte */
    unsigned char *raw = NULL;
    apr_size_t len = 0;
    itsme_b64url_decode(p, sealed, strlen(sealed), &raw, &len);
    const char *cut = itsme_b64url_encode(p, raw, len - 1);
    expect_refused(p, c, AAD, cut, strlen(cut));
    memmove(raw + 17, raw + 18, len - 18);
    cut = itsme_b64url_encode(p, raw, len - 1);
    expect_refused(p, c, AAD, cut, strlen(cut));
    /* the untouched value still opens */
    unsigned char *pt = NULL;
    ck_assert_int_eq(itsme_open(p, c, AAD, sealed, strlen(sealed), &pt, &len, NULL, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(wrong_aad)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    const char *sealed = seal_str(p, c, AAD, "payload");

    expect_refused(p, c, "itsme_state", sealed, strlen(sealed));
    expect_refused(p, c, "itsme_session_", sealed, strlen(sealed));
    expect_refused(p, c, NULL, sealed, strlen(sealed));
    sealed = seal_str(p, c, NULL, "payload");
    expect_refused(p, c, AAD, sealed, strlen(sealed));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(rotation)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *old_only = mk(p, PASS_A, NULL);
    const itsme_crypto_t *new_only = mk(p, PASS_B, NULL);
    const itsme_crypto_t *both = mk(p, PASS_B, PASS_A);
    const itsme_crypto_t *foreign = mk(p, PASS_C, NULL);
    const char *s_old = seal_str(p, old_only, AAD, "old");
    const char *s_new = seal_str(p, new_only, AAD, "new");
    const char *s_both = seal_str(p, both, AAD, "both");
    const char *s_foreign = seal_str(p, foreign, AAD, "foreign");
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    int idx = -1;

    ck_assert_int_eq(itsme_open(p, both, AAD, s_old, strlen(s_old), &pt, &len, &idx, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(idx, 1);
    ck_assert_str_eq((const char *)pt, "old");
    ck_assert_int_eq(itsme_open(p, both, AAD, s_new, strlen(s_new), &pt, &len, &idx, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(idx, 0);
    ck_assert_str_eq((const char *)pt, "new");
    /* the list's first key seals */
    ck_assert_int_eq(itsme_open(p, new_only, AAD, s_both, strlen(s_both), &pt, &len, &idx,
                                NULL), APR_SUCCESS);
    ck_assert_int_eq(idx, 0);
    expect_refused(p, old_only, AAD, s_both, strlen(s_both));
    expect_refused(p, both, AAD, s_foreign, strlen(s_foreign));
    expect_refused(p, old_only, AAD, s_new, strlen(s_new));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(seals_differ)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    const char *a = seal_str(p, c, AAD, "same plaintext");
    const char *b = seal_str(p, c, AAD, "same plaintext");
    unsigned char *ra = NULL, *rb = NULL;
    apr_size_t la = 0, lb = 0;

    ck_assert_str_ne(a, b);
    itsme_b64url_decode(p, a, strlen(a), &ra, &la);
    itsme_b64url_decode(p, b, strlen(b), &rb, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(ra, rb, 5);                 /* same version and key id */
    ck_assert_int_ne(memcmp(ra + 5, rb + 5, 12), 0); /* fresh IV */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(junk_input)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    static const char *const junk[] = {
        "", "A", "AA", "AAA", "AAAA", "!!!!", "====", "a b c d", "AZr4U8w=",
        "AZr4U8wAAQIDBAUGBwgJCgs2ipOBntbWVXmTCZ6O4Hl5reTgy2jpeI0lpWMn+Cl7U1hPUS21rsnpC20yVQ",
        "AZr4U8wAAQIDBAUGBwgJCgs2ipOBntbWVXmTCZ6O4Hl5reTgy2jpeI0lpWMn-Cl7U1hPUS21rsnpC20yV",
    };
    unsigned char raw[40];
    apr_size_t i;

    for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        expect_refused(p, c, AAD, junk[i], strlen(junk[i]));
    }
    expect_refused(p, c, AAD, NULL, 0);
    expect_refused(p, c, AAD, "AAAA", 0);
    /* an envelope of the right size but an unknown version, and one short by a byte */
    memset(raw, 0, sizeof(raw));
    raw[0] = 0x02;
    const char *v2 = itsme_b64url_encode(p, raw, sizeof(raw));
    expect_refused(p, c, AAD, v2, strlen(v2));
    raw[0] = 0x01;
    const char *shortv = itsme_b64url_encode(p, raw, 32);
    expect_refused(p, c, AAD, shortv, strlen(shortv));
    /* the KAT value cut at every length never opens and never crashes */
    for (i = 0; i < strlen(KAT_SEALED); i++) {
        unsigned char *pt = NULL;
        apr_size_t len = 0;
        ck_assert_int_ne(itsme_open(p, c, AAD, KAT_SEALED, i, &pt, &len, NULL, NULL),
                         APR_SUCCESS);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(size_limits)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = mk(p, PASS_A, NULL);
    apr_size_t n = ITSME_SEAL_MAX_PLAINTEXT;
    unsigned char *big = apr_palloc(p, n + 1), *pt = NULL;
    const char *sealed = NULL;
    itsme_err_t *err = NULL;
    apr_size_t len = 0;

    memset(big, 'x', n + 1);
    ck_assert_int_eq(itsme_seal(p, c, AAD, big, n, &sealed, NULL), APR_SUCCESS);
    ck_assert_uint_eq(strlen(sealed), ITSME_SEAL_MAX_SEALED);
    ck_assert_int_eq(itsme_open(p, c, AAD, sealed, strlen(sealed), &pt, &len, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, n);
    sealed = NULL;
    ck_assert_int_ne(itsme_seal(p, c, AAD, big, n + 1, &sealed, &err), APR_SUCCESS);
    ck_assert_ptr_null(sealed);
    ck_assert_ptr_nonnull(err);

    char *huge = apr_palloc(p, ITSME_SEAL_MAX_SEALED + 2);
    memset(huge, 'A', ITSME_SEAL_MAX_SEALED + 1);
    huge[ITSME_SEAL_MAX_SEALED + 1] = '\0';
    expect_refused(p, c, AAD, huge, strlen(huge));
    err = NULL;
    itsme_open(p, c, AAD, huge, strlen(huge), &pt, &len, NULL, &err);
    ck_assert_ptr_nonnull(strstr(err->msg, "exceeds"));
    apr_pool_destroy(p);
}
END_TEST

typedef struct {
    const itsme_crypto_t *c;
    int ok;
} share_t;

static void *APR_THREAD_FUNC seal_open_loop(apr_thread_t *t, void *data)
{
    share_t *sh = data;
    apr_pool_t *p = NULL;
    (void)t;
    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS)
        return NULL;
    for (int i = 0; i < 200; i++) {
        const char *msg = apr_psprintf(p, "{\"n\":%d}", i), *sealed = NULL;
        unsigned char *pt = NULL;
        apr_size_t len = 0;
        if (itsme_seal(p, sh->c, AAD, (const unsigned char *)msg, strlen(msg), &sealed, NULL)
                != APR_SUCCESS
            || itsme_open(p, sh->c, AAD, sealed, strlen(sealed), &pt, &len, NULL, NULL)
                   != APR_SUCCESS
            || strcmp((const char *)pt, msg) != 0)
            break;
        sh->ok++;
    }
    apr_pool_destroy(p);
    return NULL;
}

/* One crypto object (its cipher fetched once) used by threads at once. */
START_TEST(shared_across_threads)
{
    apr_pool_t *p = tu_pool();
    share_t sh[4];
    apr_thread_t *t[4];
    const itsme_crypto_t *c = mk(p, PASS_A, PASS_B);
    for (int i = 0; i < 4; i++) {
        sh[i].c = c;
        sh[i].ok = 0;
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, seal_open_loop, &sh[i], p),
                         APR_SUCCESS);
    }
    for (int i = 0; i < 4; i++) {
        apr_status_t trv;
        ck_assert_int_eq(apr_thread_join(&trv, t[i]), APR_SUCCESS);
        ck_assert_int_eq(sh[i].ok, 200);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(passphrase_policy)
{
    apr_pool_t *p = tu_pool();
    apr_array_header_t *arr = apr_array_make(p, 2, sizeof(const char *));
    itsme_crypto_t *c = (itsme_crypto_t *)1;
    itsme_err_t *err = NULL;

    ck_assert_int_ne(itsme_crypto_create(p, arr, &c, &err), APR_SUCCESS);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(err->kind, ITSME_E_CONFIG);

    ck_assert_int_eq(ITSME_CRYPTO_MIN_PASSPHRASE, 32);
    APR_ARRAY_PUSH(arr, const char *) = PASS_A;
    /* 31 bytes: a human phrase this long is still weak, but this is the floor */
    APR_ARRAY_PUSH(arr, const char *) = "correct horse battery staple 31";
    err = NULL;
    ck_assert_int_ne(itsme_crypto_create(p, arr, &c, &err), APR_SUCCESS);
    ck_assert_int_eq(err->kind, ITSME_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err->msg, "#2 is shorter than the minimum of 32 bytes"));
    ck_assert_ptr_nonnull(strstr(err->msg, "random"));
    ck_assert_ptr_nonnull(strstr(err->msg, "openssl rand -base64 32"));
    ck_assert_ptr_null(strstr(err->msg, "horse")); /* never echo the secret */

    APR_ARRAY_IDX(arr, 1, const char *) = NULL;
    err = NULL;
    ck_assert_int_ne(itsme_crypto_create(p, arr, &c, &err), APR_SUCCESS);
    ck_assert_int_eq(err->kind, ITSME_E_CONFIG);

    APR_ARRAY_IDX(arr, 1, const char *) = "0123456789abcdef0123456789abcdef"; /* 32 */
    ck_assert_int_eq(itsme_crypto_create(p, arr, &c, NULL), APR_SUCCESS);
    ck_assert_ptr_nonnull(c);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_codec(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, known_answer);
    tcase_add_test(tc, tamper_each_region);
    tcase_add_test(tc, wrong_aad);
    tcase_add_test(tc, rotation);
    tcase_add_test(tc, seals_differ);
    tcase_add_test(tc, junk_input);
    tcase_add_test(tc, size_limits);
    tcase_add_test(tc, shared_across_threads);
    tcase_add_test(tc, passphrase_policy);
    suite_add_tcase(s, tc);
    return s;
}
