/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* id_token.h: ID Token validation (OIDC Core §3.1.3.7), clock injected. */
#ifndef ITSME_ID_TOKEN_H
#define ITSME_ID_TOKEN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "core/err.h"
#include "core/json.h"
#include "core/jose.h"

/* Finds the verification key for (kid, alg); kid may be NULL. */
typedef apr_status_t itsme_key_lookup_fn(void *baton, apr_pool_t *p, const char *kid,
                                         const char *alg, const itsme_jwk_t **key,
                                         itsme_err_t **err);

#define ITSME_IDT_DEFAULT_SKEW apr_time_from_sec(60)
#define ITSME_IDT_DEFAULT_MAX_IAT_AGE apr_time_from_sec(600)

typedef struct {
    const char *issuer;              /* exact match */
    const char *client_id;           /* aud must contain it; azp == it when aud has several */
    const char *const *trusted_audiences; /* NULL-terminated, may be NULL: the only other
                                        parties aud may list (OIDC Core 3.1.3.7 (3)) */
    const char *nonce;               /* exact match; required */
    apr_time_t now;
    apr_interval_time_t skew;        /* 0 -> default */
    apr_interval_time_t max_iat_age; /* 0 -> default */
    itsme_key_lookup_fn *relookup;   /* may be NULL: a second key for a kid whose key
                                        did not verify (same baton as the lookup) */
    const char *const *allowed_algs; /* NULL -> itsme_jose_sig_algs_default */
    const char *const *acr_allowed;  /* NULL -> not checked; else acr, when present,
                                        must equal one (case-insensitive) */
    /* JWE (itsme profile): when decrypt_keys is non-NULL the token must be a
     * 5-part JWE wrapping the JWS; a plain JWS is then refused. */
    const apr_array_header_t *decrypt_keys; /* const itsme_jwk_t * */
} itsme_idt_check_t;

typedef struct {
    const char *sub;
    const char *raw;                 /* the compact JWS (inner one, if it was a JWE) */
    itsme_json_t *claims;            /* all payload claims */
    apr_time_t iat, exp;
    const char *acr;                 /* may be NULL */
} itsme_id_token_t;

/*
 * Full validation, in this order: shape (JWE when required, then JWS),
 * alg allow-list, key lookup by kid, signature, iss, aud/azp, exp (with
 * skew), iat (not in the future beyond skew, not older than max_iat_age),
 * nbf and auth_time if present (not in the future beyond skew), nonce, sub
 * present, non-empty and free of control characters, acr if asked. Times
 * may be fractional NumericDates (RFC 7519 §2), rounded per check in the
 * direction that refuses sooner.
 * Every failure: ITSME_E_TOKEN (or ITSME_E_EXPIRED for time), with a message
 * that names the check but never the token.
 */
apr_status_t itsme_id_token_validate(apr_pool_t *p, const char *compact,
                                     const itsme_idt_check_t *chk,
                                     itsme_key_lookup_fn *lookup, void *baton,
                                     itsme_id_token_t **out, itsme_err_t **err);

/* Shared with other JWTs of the OP (logout tokens); label names the token
 * in messages. Parses the compact JWS, checks its alg against allowed_algs
 * (NULL: the default list; never none or HMAC), finds the key by kid and
 * verifies the signature; when that fails and relookup (may be NULL, same
 * baton) finds another key for the kid, verifies once more with it. */
apr_status_t itsme_id_token_verify_jws(apr_pool_t *p, const char *label, const char *text,
                                       const char *const *allowed_algs,
                                       itsme_key_lookup_fn *lookup,
                                       itsme_key_lookup_fn *relookup, void *baton,
                                       itsme_jws_t **jws, itsme_err_t **err);
/* aud (a string or non-empty array of strings) must contain client_id and
 * list no other party than those of `trusted` (NULL-terminated, may be
 * NULL: none); azp is required with several audiences and must equal
 * client_id if present. */
apr_status_t itsme_id_token_check_aud_trusted(apr_pool_t *p, const char *label,
                                              const itsme_json_t *c, const char *client_id,
                                              const char *const *trusted, itsme_err_t **err);
/* The same with no trusted audience: aud may list the client only. */
apr_status_t itsme_id_token_check_aud(apr_pool_t *p, const char *label, const itsme_json_t *c,
                                      const char *client_id, itsme_err_t **err);
/* A NumericDate claim (RFC 7519 §2: integer or not) in [0, 9999-12-31]:
 * 1 with *lo its floor and *hi its ceiling in seconds; 0 when absent or
 * malformed. */
int itsme_id_token_numeric_date(const itsme_json_t *c, const char *name, apr_int64_t *lo,
                                apr_int64_t *hi);

#endif
