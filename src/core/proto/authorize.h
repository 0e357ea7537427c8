/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* authorize.h: the authorization request URL. */
#ifndef ITSME_AUTHORIZE_H
#define ITSME_AUTHORIZE_H

#include <apr_pools.h>
#include "core/err.h"

typedef struct {
    const char *authorization_endpoint;
    const char *client_id;
    const char *redirect_uri;
    const char *scope;           /* must contain openid */
    const char *state;
    const char *nonce;
    const char *code_challenge;  /* S256; required */
    const char *acr_values;      /* optional */
    const char *claims;          /* optional JSON text */
    const char *prompt;          /* optional */
    const char *ui_locales;      /* optional */
    const char *request;         /* optional signed(/encrypted) request object */
} itsme_authz_req_t;

/* The first required authorization parameter (client_id, redirect_uri, scope,
 * state, nonce, code_challenge) that is NULL or empty, or NULL when all are
 * there. Shared with the request object, which carries the same ones. */
const char *itsme_authorize_missing_param(const itsme_authz_req_t *r);

/* response_type=code, code_challenge_method=S256; every value encoded;
 * absent optional values omitted; keeps an existing query on the endpoint. */
apr_status_t itsme_authorize_url(apr_pool_t *p, const itsme_authz_req_t *r, const char **url,
                                 itsme_err_t **err);

#endif
