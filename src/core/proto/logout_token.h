/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * logout_token.h: OpenID Connect Back-Channel Logout 1.0 logout tokens
 * (§2.4 contents, §2.6 validation), clock injected; and the keys under
 * which a relying party remembers what OP-initiated logouts ended.
 */
#ifndef ITSME_LOGOUT_TOKEN_H
#define ITSME_LOGOUT_TOKEN_H

#include <apr_pools.h>
#include <apr_time.h>
#include "core/err.h"
#include "core/json.h"
#include "core/proto/id_token.h"

#define ITSME_LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"
/* A logout token is refused unread beyond this many characters. */
#define ITSME_LOGOUT_TOKEN_MAX 8192
#define ITSME_LOGOUT_TOKEN_MAX_AGE apr_time_from_sec(600)

typedef struct {
    const char *issuer;              /* exact match */
    const char *client_id;           /* in aud (azp as for ID tokens) */
    apr_time_t now;
    apr_interval_time_t skew;        /* 0: ITSME_IDT_DEFAULT_SKEW */
    const char *const *allowed_algs; /* NULL: the default list */
    const char *const *trusted_audiences; /* as for ID tokens (ItsmeTrustedAudiences) */
    itsme_key_lookup_fn *relookup;   /* as for ID tokens; may be NULL */
} itsme_lt_check_t;

typedef struct {
    const char *sub;                 /* may be NULL when sid is set */
    const char *sid;                 /* may be NULL when sub is set */
    const char *jti;
    apr_time_t iat;
    apr_time_t until;                /* while a replay of jti must be refused */
} itsme_logout_token_t;

/*
 * Validates a logout token: a JWS (a JWE is refused), alg allowed, key by
 * kid, signature, iss exact, aud/azp, iat present and within [now - 600 s -
 * skew, now + skew], exp (if present) not past, the events claim holding
 * ITSME_LOGOUT_EVENT with an object value, sub and/or sid non-empty
 * strings, jti present, no nonce. Failures: ITSME_E_TOKEN (ITSME_E_EXPIRED
 * for a stale token), messages naming the check, never the token.
 */
apr_status_t itsme_logout_token_validate(apr_pool_t *p, const char *compact,
                                         const itsme_lt_check_t *chk,
                                         itsme_key_lookup_fn *lookup, void *baton,
                                         itsme_logout_token_t **out, itsme_err_t **err);

/* RP-Initiated Logout: 1 when an ID token with these claims may travel as
 * id_token_hint in a logout URL (browser history, access logs): it holds
 * only protocol claims (iss, sub, aud, exp, iat, sid, acr...), no personal
 * data such as a name, a birth date or a national number. */
int itsme_logout_hint_safe(const itsme_json_t *claims);

/* A store key for what an OP logout concerns: base64url(SHA-256(scope "\n"
 * what "\n" value)) ":" kind what. The hash comes first (stores such as
 * shmcb pick a partition by the first byte), is of fixed length whatever
 * the OP sends, and holds no OP text; scope binds the relying party. */
const char *itsme_logout_key(apr_pool_t *p, const char *kind, const char *what,
                             const char *scope, const char *value);

#endif
