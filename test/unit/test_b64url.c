/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_b64url.c: base64url encoding vectors, round trips and strict decoding.
 * err.c and log.c (same owner, no suite of their own in tests.h) are tested
 * here too, in the "err" and "log" test cases. */
#include <string.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"

/* RFC 4648 section 10 vectors (no padding) plus both url-safe characters. */
static const struct {
    const char *plain;
    apr_size_t len;
    const char *enc;
} vectors[] = {
    { "", 0, "" },
    { "f", 1, "Zg" },
    { "fo", 2, "Zm8" },
    { "foo", 3, "Zm9v" },
    { "foob", 4, "Zm9vYg" },
    { "fooba", 5, "Zm9vYmE" },
    { "foobar", 6, "Zm9vYmFy" },
    { "\xfb\xff", 2, "-_8" },
    { "\xfb\xff\xbf", 3, "-_-_" },
    { "\x00\x00\x00", 3, "AAAA" },
    { "\xff", 1, "_w" },
};

START_TEST(test_vectors)
{
    apr_pool_t *p = tu_pool();
    size_t i;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        unsigned char *out = NULL;
        apr_size_t outlen = 99;
        char *enc = itsme_b64url_encode(p, (const unsigned char *)vectors[i].plain,
                                        vectors[i].len);
        ck_assert_str_eq(enc, vectors[i].enc);
        ck_assert_int_eq(itsme_b64url_decode(p, vectors[i].enc, (apr_size_t)-1, &out,
                                             &outlen), APR_SUCCESS);
        ck_assert_uint_eq(outlen, vectors[i].len);
        ck_assert_mem_eq(out, vectors[i].plain, vectors[i].len);
        ck_assert_int_eq(out[outlen], 0);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_encode_null_data)
{
    apr_pool_t *p = tu_pool();

    ck_assert_str_eq(itsme_b64url_encode(p, NULL, 5), "");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_round_trip)
{
    apr_pool_t *p = tu_pool();
    unsigned char buf[64];
    unsigned int seed = 12345;
    apr_size_t len, i;

    for (len = 0; len <= sizeof(buf); len++) {
        unsigned char *out = NULL;
        apr_size_t outlen = 0;
        char *enc;

        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (unsigned char)(seed >> 16);
        }
        enc = itsme_b64url_encode(p, buf, len);
        ck_assert_uint_eq(strlen(enc), (len * 4 + 2) / 3);
        ck_assert_ptr_null(strpbrk(enc, "+/="));
        ck_assert_int_eq(itsme_b64url_decode(p, enc, strlen(enc), &out, &outlen),
                         APR_SUCCESS);
        ck_assert_uint_eq(outlen, len);
        ck_assert_int_eq(memcmp(out, buf, len), 0);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_explicit_length)
{
    apr_pool_t *p = tu_pool();
    unsigned char *out = NULL;
    apr_size_t outlen = 0;

    /* only the first 4 characters are decoded */
    ck_assert_int_eq(itsme_b64url_decode(p, "Zm9vYmFy", 4, &out, &outlen), APR_SUCCESS);
    ck_assert_uint_eq(outlen, 3);
    ck_assert_str_eq((const char *)out, "foo");
    /* outlen is optional */
    ck_assert_int_eq(itsme_b64url_decode(p, "Zm8", 3, &out, NULL), APR_SUCCESS);
    ck_assert_str_eq((const char *)out, "fo");
    apr_pool_destroy(p);
}
END_TEST

static const char *const rejected[] = {
    "Zg==",      /* padding */
    "Zm8=",      /* padding */
    "Zg=",       /* padding, length 3 */
    "Zm9v\n",    /* whitespace */
    " Zm9v",     /* whitespace */
    "Zm 9v",     /* whitespace inside */
    "Zm9v+w",    /* standard base64 alphabet */
    "Zm9v/w",    /* standard base64 alphabet */
    "Z",         /* len % 4 == 1 */
    "Zm9vY",     /* len % 4 == 1 */
    "Zh",        /* non-zero trailing bits (1 byte) */
    "Zm-",       /* non-zero trailing bits (2 bytes) */
    "_x",        /* non-zero trailing bits */
    "Zm9v\xc3\xa9", /* non-ASCII */
    "Zm.v",      /* '.' not in the alphabet */
};

START_TEST(test_rejects)
{
    apr_pool_t *p = tu_pool();
    size_t i;

    for (i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        unsigned char *out = (unsigned char *)"unchanged";
        apr_size_t outlen = 77;
        ck_assert_msg(itsme_b64url_decode(p, rejected[i], (apr_size_t)-1, &out, &outlen)
                          == APR_EINVAL, "accepted \"%s\"", rejected[i]);
        ck_assert_str_eq((const char *)out, "unchanged");
        ck_assert_uint_eq(outlen, 77);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Every byte value in each position of a full quad and of a 2- and
 * 3-character tail: accepted exactly when in the alphabet, with the value of
 * its place in the alphabet. */
START_TEST(test_every_byte)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    apr_pool_t *p = tu_pool();
    for (int c = 0; c < 256; c++) {
        const char *hit = c ? memchr(alpha, c, 64) : NULL;
        int v = hit ? (int)(hit - alpha) : -1;
        for (int pos = 0; pos < 4; pos++) {
            char in[5] = "AAAA";
            unsigned char *out = NULL;
            apr_size_t len = 0;
            in[pos] = (char)c;
            apr_status_t rv = itsme_b64url_decode(p, in, 4, &out, &len);
            ck_assert_msg((rv == APR_SUCCESS) == (v >= 0), "byte %d at %d", c, pos);
            if (v >= 0) {
                unsigned long bits = ((unsigned long)out[0] << 16) | (out[1] << 8) | out[2];
                ck_assert_uint_eq(len, 3);
                ck_assert_uint_eq((bits >> (18 - 6 * pos)) & 0x3f, (unsigned long)v);
                ck_assert_uint_eq(bits & ~(0x3fUL << (18 - 6 * pos)), 0);
            }
        }
        /* tails: the last character must leave no bits over */
        char t2[3] = { (char)c, 'A', 0 }, l2[3] = { 'A', (char)c, 0 };
        char l3[4] = { 'A', 'A', (char)c, 0 };
        unsigned char *out = NULL;
        ck_assert_int_eq(itsme_b64url_decode(p, t2, 2, &out, NULL) == APR_SUCCESS, v >= 0);
        ck_assert_int_eq(itsme_b64url_decode(p, l2, 2, &out, NULL) == APR_SUCCESS,
                         v >= 0 && !(v & 0x0f));
        ck_assert_int_eq(itsme_b64url_decode(p, l3, 3, &out, NULL) == APR_SUCCESS,
                         v >= 0 && !(v & 0x03));
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_rejects_nul_and_null)
{
    apr_pool_t *p = tu_pool();
    unsigned char *out = NULL;
    apr_size_t outlen = 0;

    ck_assert_int_eq(itsme_b64url_decode(p, "Zm\0v", 4, &out, &outlen), APR_EINVAL);
    ck_assert_int_eq(itsme_b64url_decode(p, NULL, 4, &out, &outlen), APR_EINVAL);
    ck_assert_int_eq(itsme_b64url_decode(p, "Zm9v", 4, NULL, &outlen), APR_EINVAL);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_rejects_too_long)
{
    apr_pool_t *p = tu_pool();
    apr_size_t big = 16u * 1024u * 1024u;
    char *in = apr_palloc(p, big + 5);
    unsigned char *out = NULL;
    apr_size_t outlen = 0;

    memset(in, 'A', big + 4);
    in[big + 4] = '\0';
    /* exactly 16 MiB is accepted, one more group is not */
    ck_assert_int_eq(itsme_b64url_decode(p, in, big, &out, &outlen), APR_SUCCESS);
    ck_assert_uint_eq(outlen, big / 4 * 3);
    ck_assert_int_eq(itsme_b64url_decode(p, in, big + 4, &out, &outlen), APR_EINVAL);
    ck_assert_int_eq(itsme_b64url_decode(p, in, (apr_size_t)-1, &out, &outlen),
                     APR_EINVAL);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_err_make_wrap)
{
    apr_pool_t *p = tu_pool();
    itsme_err_t *e1 = NULL, *e2 = NULL, *e3 = NULL;

    ck_assert_int_eq(itsme_err_make(p, &e1, ITSME_E_NETWORK, APR_SUCCESS, "connect %s:%d",
                                    "op", 443), APR_EGENERAL);
    ck_assert_int_eq(e1->kind, ITSME_E_NETWORK);
    ck_assert_int_eq(e1->status, APR_EGENERAL);
    ck_assert_str_eq(e1->msg, "connect op:443");
    ck_assert_ptr_null(e1->cause);
    ck_assert_int_eq(itsme_err_make(p, NULL, ITSME_E_INPUT, APR_EINVAL, "x"), APR_EINVAL);
    ck_assert_int_eq(itsme_err_wrap(p, &e2, ITSME_E_INTERNAL, e1, "metadata"), APR_EGENERAL);
    ck_assert_ptr_eq(e2->cause, e1);
    ck_assert_int_eq(itsme_err_make(p, &e3, ITSME_E_INPUT, APR_EINVAL, "inner"), APR_EINVAL);
    ck_assert_int_eq(itsme_err_wrap(p, &e3, ITSME_E_OP, e3, "outer"), APR_EINVAL);
    ck_assert_int_eq(e3->status, APR_EINVAL);  /* status of the cause kept */
    ck_assert_int_eq(itsme_err_wrap(p, &e1, ITSME_E_TOKEN, NULL, "alone"), APR_EGENERAL);
    ck_assert_ptr_null(e1->cause);
    ck_assert_str_eq(itsme_err_str(p, e2), "metadata: connect op:443");
    ck_assert_str_eq(itsme_err_str(p, e1), "alone");
    ck_assert_str_eq(itsme_err_str(p, NULL), "unknown error");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_err_chain_bounded_and_root_kind)
{
    apr_pool_t *p = tu_pool();
    itsme_err_t *e = NULL;
    int i;

    itsme_err_make(p, &e, ITSME_E_INTERNAL, APR_EINVAL, "e0");
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_INTERNAL);
    itsme_err_wrap(p, &e, ITSME_E_TOKEN, e, "e1");
    itsme_err_wrap(p, &e, ITSME_E_INTERNAL, e, "e2");
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_TOKEN);
    itsme_err_wrap(p, &e, ITSME_E_CRYPTO, e, "e3");
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_TOKEN);
    for (i = 4; i < 12; i++) {
        itsme_err_wrap(p, &e, ITSME_E_INTERNAL, e, "e%d", i);
    }
    /* 12 records: 8 shown, then an ellipsis */
    ck_assert_str_eq(itsme_err_str(p, e), "e11: e10: e9: e8: e7: e6: e5: e4: ...");
    ck_assert_int_eq(itsme_err_root_kind(NULL), ITSME_E_INTERNAL);
    apr_pool_destroy(p);
}
END_TEST

typedef struct {
    int calls;
    itsme_log_level_e level;
    char tag[16];
    char msg[1024];
} log_capture_t;

static void log_capture(void *baton, itsme_log_level_e level, const char *tag,
                        const char *msg)
{
    log_capture_t *c = baton;

    c->calls++;
    c->level = level;
    apr_cpystrn(c->tag, tag, sizeof(c->tag));
    apr_cpystrn(c->msg, msg, sizeof(c->msg));
}

START_TEST(test_log)
{
    apr_pool_t *p = tu_pool();
    log_capture_t cap;
    itsme_logger_t l = { log_capture, &cap, p };
    char long_arg[700];

    memset(&cap, 0, sizeof(cap));
    itsme_log(&l, ITSME_LOG_WARN, "ITSME00100", "n=%d s=%s", 5, "x");
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.level, ITSME_LOG_WARN);
    ck_assert_str_eq(cap.tag, "ITSME00100");
    ck_assert_str_eq(cap.msg, "n=5 s=x");
    memset(long_arg, 'a', sizeof(long_arg) - 1);
    long_arg[sizeof(long_arg) - 1] = '\0';
    itsme_log(&l, ITSME_LOG_INFO, "ITSME00101", "%s", long_arg);
    ck_assert_uint_eq(strlen(cap.msg), sizeof(long_arg) - 1);
    /* no pool: bounded stack buffer, truncated */
    l.pool = NULL;
    itsme_log(&l, ITSME_LOG_DEBUG, "ITSME00102", "%s", long_arg);
    ck_assert_int_eq(cap.calls, 3);
    ck_assert_uint_eq(strlen(cap.msg), 511);
    /* NULL logger or NULL fn discards */
    itsme_log(NULL, ITSME_LOG_ERR, "ITSME00103", "x");
    l.fn = NULL;
    itsme_log(&l, ITSME_LOG_ERR, "ITSME00104", "x");
    ck_assert_int_eq(cap.calls, 3);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_mask)
{
    apr_pool_t *p = tu_pool();

    ck_assert_str_eq(itsme_mask(p, "81041512345"), "8104*******");
    ck_assert_str_eq(itsme_mask(p, "abcde"), "abcd*");
    ck_assert_str_eq(itsme_mask(p, "abcd"), "****");
    ck_assert_str_eq(itsme_mask(p, "ab"), "**");
    ck_assert_str_eq(itsme_mask(p, ""), "");
    ck_assert_str_eq(itsme_mask(p, NULL), "(null)");
    ck_assert_str_eq(itsme_mask(p, "0123456789012345678901234567890123456789"),
                     "0123****************");
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_b64url(void)
{
    Suite *s = suite_create("b64url");
    TCase *tc = tcase_create("core");
    TCase *te = tcase_create("err");
    TCase *tl = tcase_create("log");

    tcase_add_test(tc, test_vectors);
    tcase_add_test(tc, test_encode_null_data);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_explicit_length);
    tcase_add_test(tc, test_rejects);
    tcase_add_test(tc, test_every_byte);
    tcase_add_test(tc, test_rejects_nul_and_null);
    tcase_add_test(tc, test_rejects_too_long);
    suite_add_tcase(s, tc);
    tcase_add_test(te, test_err_make_wrap);
    tcase_add_test(te, test_err_chain_bounded_and_root_kind);
    suite_add_tcase(s, te);
    tcase_add_test(tl, test_log);
    tcase_add_test(tl, test_mask);
    suite_add_tcase(s, tl);
    return s;
}
