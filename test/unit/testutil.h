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

#endif
