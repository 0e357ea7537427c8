/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* testutil.h: shared helpers for the unit tests. */
#ifndef ITSME_TESTUTIL_H
#define ITSME_TESTUTIL_H

#include <apr_pools.h>
#include <apr_time.h>
#include "core/jose.h"

/* A fresh pool (root); destroy it with apr_pool_destroy at the end of a test. */
apr_pool_t *tu_pool(void);

/* A new RSA-2048 private key as a JWK (kid given, use may be NULL).
 * Generated keys are cached per kid for the life of the process so tests
 * stay fast; the JWK itself is allocated from p. */
const itsme_jwk_t *tu_rsa_key(apr_pool_t *p, const char *kid, const char *use);
/* A new EC P-256 private key as a JWK. */
const itsme_jwk_t *tu_ec_key(apr_pool_t *p, const char *kid);
/* PEM text of the private key behind tu_rsa_key(kid) (same cache). */
const char *tu_rsa_pem(apr_pool_t *p, const char *kid);

/* A JWKS document with the public halves of the given keys (NULL-terminated). */
const char *tu_jwks_json(apr_pool_t *p, const itsme_jwk_t *const *keys);

/* 2026-01-01T00:00:00Z: a fixed "now" for clock-dependent tests. */
#define TU_NOW apr_time_from_sec(1767225600)

/* ---- shared JOSE helpers (test_jose.c, test_jwe.c); they ck_assert on failure ---- */

/* The RSA private key of RFC 7516 A.1 as a JWK. */
extern const char tu_rfc7516_a1_jwk[];

/* s (a C string) base64url-encoded. */
const char *tu_b64s(apr_pool_t *p, const char *s);
/* The public half of k as its own JWK (through the public JSON). */
itsme_jwk_t *tu_pub_of(apr_pool_t *p, const itsme_jwk_t *k);
/* An array of const itsme_jwk_t * holding a and b (either may be NULL). */
apr_array_header_t *tu_keys_of(apr_pool_t *p, const itsme_jwk_t *a, const itsme_jwk_t *b);
/* Part i of a compact serialization (a copy). */
char *tu_part_of(apr_pool_t *p, const char *compact, int i);
/* Replaces part i of a compact serialization. */
char *tu_with_part(apr_pool_t *p, const char *compact, int i, const char *repl);
/* Changes one character in the middle of part i (stays valid base64url). */
char *tu_flip(apr_pool_t *p, const char *compact, int i);
/* rv is a failure and *ep (read after the call that fills it) has this kind. */
void tu_expect_kind(apr_status_t rv, itsme_err_t *const *ep, itsme_err_kind_e kind);

#endif
