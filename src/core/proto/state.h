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
    apr_time_t created;
} itsme_state_t;

/* Cryptographically random base64url text of nbytes bytes (OpenSSL RAND). */
apr_status_t itsme_random_b64url(apr_pool_t *p, apr_size_t nbytes, const char **out,
                                 itsme_err_t **err);

/* New state/nonce/verifier, created = now. */
apr_status_t itsme_state_new(apr_pool_t *p, const char *return_url, apr_time_t now,
                             itsme_state_t **out, itsme_err_t **err);

/* BASE64URL(SHA256(verifier)) */
const char *itsme_pkce_s256(apr_pool_t *p, const char *verifier);

char *itsme_state_serialize(apr_pool_t *p, const itsme_state_t *s);
/* Parses and checks shape (all of state/nonce/verifier/return_url present,
 * verifier 43..128 unreserved chars) and age: created in (now - max_age, now + 60s]
 * else ITSME_E_EXPIRED. */
apr_status_t itsme_state_parse(apr_pool_t *p, const char *json, apr_size_t len,
                               apr_time_t now, apr_interval_time_t max_age,
                               itsme_state_t **out, itsme_err_t **err);

#endif
