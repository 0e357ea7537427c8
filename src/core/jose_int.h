/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jose_int.h: internals shared by jose.c and jose_jwe.c. Not an interface for
 * other units.
 */
#ifndef ITSME_JOSE_INT_H
#define ITSME_JOSE_INT_H

#include <openssl/evp.h>
#include "core/jose.h"

#define MIN_RSA_BITS 2048
#define RSA_MAX_BYTES 1024 /* 8192-bit modulus */

struct itsme_jwk {
    EVP_PKEY *pkey;
    const char *kty, *kid, *use, *alg;
    int priv, bits;
};

/* Error shorthands; both expect `p` and `err` in scope. */
#define FAIL(kind, st, ...) itsme_err_make(p, err, (kind), (st), __VA_ARGS__)
#define TOKEN_FAIL(...) itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL, __VA_ARGS__)

/* Splits s at '.' into exactly n parts (1) or fails (0). */
int itsme_jose_split(const char *s, int n, const char **part, apr_size_t *len);
/* Strict base64url of one part; an empty part decodes to "" (length 0). */
apr_status_t itsme_jose_b64_part(apr_pool_t *p, const char *s, apr_size_t len,
                                 unsigned char **out, apr_size_t *outlen);
/* Decodes a protected header: base64url, a JSON object, no "crit". */
apr_status_t itsme_jose_header_decode(apr_pool_t *p, const char *b64, apr_size_t len,
                                      itsme_json_t **hdr, itsme_err_t **err);
/* Header string members (NULL-terminated names); the first `required` must be
 * present. Non-strings and empty strings are refused. */
apr_status_t itsme_jose_hdr_strings(apr_pool_t *p, const itsme_json_t *hdr,
                                    const char *const *names, const char **out[], int required,
                                    itsme_err_t **err);

#endif
