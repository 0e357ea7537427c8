/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * request_object.h: the itsme request object (OIDC Core §6.1): the
 * authorization parameters as a JWT signed by the RP (RS256, kid) and then,
 * when the OP publishes an encryption key, encrypted to it (nested JWT,
 * cty "JWT"), sent as `request` next to response_type, client_id and scope
 * in the query (itsme-profile.md §3).
 */
#ifndef ITSME_REQUEST_OBJECT_H
#define ITSME_REQUEST_OBJECT_H

#include <apr_pools.h>
#include <apr_time.h>
#include "core/err.h"
#include "core/jose.h"
#include "core/proto/authorize.h"
#include "core/proto/jwks.h"

#define ITSME_REQOBJ_DEFAULT_ALG "RSA-OAEP-256"
#define ITSME_REQOBJ_DEFAULT_ENC "A128CBC-HS256"
#define ITSME_REQOBJ_LIFETIME apr_time_from_sec(300)

typedef struct {
    const itsme_authz_req_t *params; /* what goes inside (params->request ignored) */
    const char *aud;                 /* the OP's issuer (itsme: SHOULD be the issuer) */
    const itsme_jwk_t *sign_key;     /* RP private key; RS256 (ES256 for EC keys) */
    const itsme_jwk_t *enc_key;      /* OP public key with use "enc"; NULL: signed only */
    const char *enc_alg;             /* NULL -> enc_key's alg, else ITSME_REQOBJ_DEFAULT_ALG */
    const char *enc_enc;             /* NULL -> ITSME_REQOBJ_DEFAULT_ENC */
    apr_time_t now;                  /* 0 -> apr_time_now() */
} itsme_reqobj_t;

/*
 * Payload: iss = client_id, aud, iat, nbf = iat, exp = iat + lifetime, jti
 * (random), response_type "code", client_id, redirect_uri, scope, state,
 * nonce, code_challenge, code_challenge_method "S256", and when set
 * acr_values, prompt, ui_locales and claims (as a JSON object, not a string).
 * Signed with typ "JWT"; encrypted with cty "JWT" and the OP key's kid.
 * Refusals (ITSME_E_CONFIG): no sign_key, or one that is not a private RSA /
 * EC P-256 key fit for signing (use "sig" or unset, alg unset or the one
 * used); aud or a required parameter (client_id, redirect_uri, scope, state,
 * nonce, code_challenge) missing; claims that is not a JSON object; an
 * enc_key that is not a public RSA key with use "enc" (or unset), whose alg
 * differs from enc_alg, or an alg/enc not supported by itsme_jwe_encrypt.
 */
apr_status_t itsme_request_object_build(apr_pool_t *p, const itsme_reqobj_t *ro,
                                        const char **jwt, itsme_err_t **err);

/*
 * The OP's encryption key from its JWKS (through the cache of `src`): a
 * public RSA key with use "enc" (or no use), whose alg, if set, is the wanted
 * one (alg NULL -> any of RSA-OAEP-256 / RSA-OAEP). When several fit, the
 * first is taken; keys carrying private material or under 2048 bits are
 * skipped. When the cached set has none, one refetch is tried (rate-limited
 * by min_refetch, as in itsme_jwks_lookup). ITSME_E_OP when there is none;
 * an alg other than the two above is ITSME_E_CONFIG; a failed fetch keeps
 * its own kind (ITSME_E_NETWORK...). *key lives as long as p.
 */
apr_status_t itsme_jwks_enc_key(const itsme_jwks_source_t *src, apr_pool_t *p,
                                const char *alg, const itsme_jwk_t **key, itsme_err_t **err);

#endif
