/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * b64url.c: base64url (RFC 4648 section 5) without padding. Decoding is
 * strict: alphabet only, no '=', no whitespace, no impossible lengths and no
 * non-zero bits left over in the last character.
 */
#include <string.h>
#include "core/b64url.h"

/* Largest encoded input the decoder accepts (bounds allocation). */
#define ITSME_B64URL_MAX_IN (16u * 1024u * 1024u)

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *itsme_b64url_encode(apr_pool_t *p, const unsigned char *data, apr_size_t len)
{
    apr_size_t i, o = 0;
    char *out;

    if (data == NULL) {
        len = 0;
    }
    out = apr_palloc(p, (len / 3) * 4 + 4 + 1);
    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = ((unsigned long)data[i] << 16) |
                          ((unsigned long)data[i + 1] << 8) | data[i + 2];
        out[o++] = b64url_alphabet[(v >> 18) & 0x3f];
        out[o++] = b64url_alphabet[(v >> 12) & 0x3f];
        out[o++] = b64url_alphabet[(v >> 6) & 0x3f];
        out[o++] = b64url_alphabet[v & 0x3f];
    }
    if (len - i == 1) {
        out[o++] = b64url_alphabet[data[i] >> 2];
        out[o++] = b64url_alphabet[(data[i] & 0x03) << 4];
    }
    else if (len - i == 2) {
        unsigned long v = ((unsigned long)data[i] << 8) | data[i + 1];
        out[o++] = b64url_alphabet[(v >> 10) & 0x3f];
        out[o++] = b64url_alphabet[(v >> 4) & 0x3f];
        out[o++] = b64url_alphabet[(v << 2) & 0x3f];
    }
    out[o] = '\0';
    return out;
}

/* Value of each byte in the base64url alphabet, or -1 (a table: the decoder
 * looks up every input byte, and a chain of range tests cost ~4x more). */
static const signed char b64url_values[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, /* '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1, /* 0-9 */
    -1, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63, /* P-Z '_' */
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1, /* p-z */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int b64url_value(unsigned char c)
{
    return b64url_values[c];
}

/* Decodes the final 2 or 3 characters; rejects non-zero leftover bits. */
static apr_status_t b64url_tail(const unsigned char *in, apr_size_t rem,
                                unsigned char *out, apr_size_t *o)
{
    int a, b, c = 0;

    a = b64url_value(in[0]);
    b = b64url_value(in[1]);
    if (rem == 3) {
        c = b64url_value(in[2]);
    }
    if (a < 0 || b < 0 || c < 0) {
        return APR_EINVAL;
    }
    if (rem == 2) {
        if (b & 0x0f) {
            return APR_EINVAL;
        }
        out[(*o)++] = (unsigned char)((a << 2) | (b >> 4));
        return APR_SUCCESS;
    }
    if (c & 0x03) {
        return APR_EINVAL;
    }
    out[(*o)++] = (unsigned char)((a << 2) | (b >> 4));
    out[(*o)++] = (unsigned char)(((b & 0x0f) << 4) | (c >> 2));
    return APR_SUCCESS;
}

apr_status_t itsme_b64url_decode(apr_pool_t *p, const char *in, apr_size_t inlen,
                                 unsigned char **out, apr_size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *buf;
    apr_size_t i, o = 0, full, rem;

    if (in == NULL || out == NULL) {
        return APR_EINVAL;
    }
    if (inlen == (apr_size_t)-1) {
        inlen = strnlen(in, (apr_size_t)ITSME_B64URL_MAX_IN + 1);
    }
    rem = inlen % 4;
    if (inlen > ITSME_B64URL_MAX_IN || rem == 1) {
        return APR_EINVAL;
    }
    full = inlen - rem;
    buf = apr_palloc(p, (inlen / 4) * 3 + 2 + 1);
    for (i = 0; i < full; i += 4) {
        int a = b64url_value(s[i]), b = b64url_value(s[i + 1]);
        int c = b64url_value(s[i + 2]), d = b64url_value(s[i + 3]);
        if ((a | b | c | d) < 0) {
            return APR_EINVAL;
        }
        buf[o++] = (unsigned char)((a << 2) | (b >> 4));
        buf[o++] = (unsigned char)(((b & 0x0f) << 4) | (c >> 2));
        buf[o++] = (unsigned char)(((c & 0x03) << 6) | d);
    }
    if (rem != 0 && b64url_tail(s + full, rem, buf, &o) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    buf[o] = '\0';
    *out = buf;
    if (outlen != NULL) {
        *outlen = o;
    }
    return APR_SUCCESS;
}
