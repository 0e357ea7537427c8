/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * state.h: what one authorization round trip must remember (state, nonce,
 * PKCE verifier, where to return), carried in a short-lived sealed cookie.
 */
#ifndef ITSME_STATE_H
#define ITSME_STATE_H

#include <apr_pools.h>
#include <apr_time.h>
#include "core/err.h"

#define ITSME_STATE_MAX_AGE apr_time_from_sec(600)

typedef struct {
    const char *state;          /* 43 chars base64url of 32 random bytes */
    const char *nonce;          /* idem */
    const char *code_verifier;  /* 43 chars base64url of 32 random bytes (RFC 7636) */
    const char *return_url;     /* local path+query, or same-origin absolute URL */
    const char *wanted_claims;  /* space separated canonical names asked for (may be NULL) */
    const char *acr;            /* acr_values sent (may be NULL) */
    const char *step_up;        /* a step-up of the browser's session: the claims
                                   it lacked, space separated ("" for acr only);
                                   NULL for a first login */
    const char *service;        /* the itsme service code asked (may be NULL) */
    apr_time_t created;
} itsme_state_t;

/* Cryptographically random base64url text of nbytes bytes (OpenSSL RAND);
 * nbytes must be 16..64 (else ITSME_E_INTERNAL, APR_EINVAL). */
apr_status_t itsme_random_b64url(apr_pool_t *p, apr_size_t nbytes, const char **out,
                                 itsme_err_t **err);

/* New state/nonce/verifier, created = now. return_url must pass the same
 * shape check as in itsme_state_parse (else ITSME_E_INPUT). */
apr_status_t itsme_state_new(apr_pool_t *p, const char *return_url, apr_time_t now,
                             itsme_state_t **out, itsme_err_t **err);

/* BASE64URL(SHA256(verifier)); NULL for a NULL verifier. */
const char *itsme_pkce_s256(apr_pool_t *p, const char *verifier);

char *itsme_state_serialize(apr_pool_t *p, const itsme_state_t *s);
/* Parses and checks shape (all of state/nonce/verifier/return_url present,
 * state/nonce 22..128 base64url chars, verifier 43..128 unreserved chars,
 * return_url a local path "/..." (not "//" or "/\\") or an http(s) URL, no
 * control chars; wanted_claims/acr/step_up/service strings when present; no unknown
 * fields:
 * ITSME_E_INPUT) and age: created must lie in (now - max_age, now + 60s];
 * older -> ITSME_E_EXPIRED, further in the future -> ITSME_E_INPUT.
 * max_age <= 0 means ITSME_STATE_MAX_AGE. */
apr_status_t itsme_state_parse(apr_pool_t *p, const char *json, apr_size_t len,
                               apr_time_t now, apr_interval_time_t max_age,
                               itsme_state_t **out, itsme_err_t **err);

#endif
