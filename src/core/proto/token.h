/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* token.h: the authorization code exchange and client authentication. */
#ifndef ITSME_TOKEN_H
#define ITSME_TOKEN_H

#include <apr_pools.h>
#include "core/err.h"
#include "core/http_client.h"
#include "core/jose.h"
#include "core/proto/metadata.h"

typedef enum {
    ITSME_AUTH_NONE = 0,
    ITSME_AUTH_CLIENT_SECRET_BASIC,
    ITSME_AUTH_CLIENT_SECRET_POST,
    ITSME_AUTH_PRIVATE_KEY_JWT
} itsme_client_auth_e;

/* Picks the method: private_key_jwt when a key is configured and the OP
 * offers it (or lists nothing); else client_secret_basic when a secret is set
 * and offered (an OP that lists nothing implies basic); else
 * client_secret_post when offered. ITSME_AUTH_NONE when nothing fits. */
itsme_client_auth_e itsme_token_choose_auth(const itsme_metadata_t *md, int have_secret,
                                            int have_key);
const char *itsme_client_auth_name(itsme_client_auth_e m);

typedef struct {
    const char *token_endpoint;
    const char *client_id;
    itsme_client_auth_e auth;
    const char *client_secret;       /* secret methods */
    const itsme_jwk_t *client_key;   /* private_key_jwt */
    const char *code;
    const char *redirect_uri;
    const char *code_verifier;
    apr_time_t now;
} itsme_token_req_t;

typedef struct {
    const char *access_token;
    const char *token_type;
    const char *id_token;
    apr_int64_t expires_in;          /* -1 when absent */
} itsme_token_resp_t;

/* POSTs the grant; a non-200 answer becomes an ITSME_E_OP error carrying the
 * OP's "error" and its "error_description" or "detail" (both bounded and
 * printable-only in the message). A 200 without id_token fails too. */
apr_status_t itsme_token_exchange(apr_pool_t *p, const itsme_http_opts_t *o,
                                  const itsme_token_req_t *req, itsme_token_resp_t **out,
                                  itsme_err_t **err);

#endif
