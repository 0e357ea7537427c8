/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * authorize.c: builds the authorization request URL (authorization code flow
 * with PKCE S256). Every value is percent-encoded by itsme_url_add_query; an
 * existing query on the endpoint is kept.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "core/url.h"
#include "core/proto/authorize.h"

/* 1 when the space-separated scope list holds the exact token "openid". */
static int scope_has_openid(const char *scope)
{
    const char *s = scope;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if (e - s == 6 && strncmp(s, "openid", 6) == 0)
            return 1;
        s = e;
    }
    return 0;
}

static int missing(const char *v)
{
    return v == NULL || *v == '\0';
}

const char *itsme_authorize_missing_param(const itsme_authz_req_t *r)
{
    if (missing(r->client_id))
        return "client_id";
    if (missing(r->redirect_uri))
        return "redirect_uri";
    if (missing(r->scope))
        return "scope";
    if (missing(r->state))
        return "state";
    if (missing(r->nonce))
        return "nonce";
    if (missing(r->code_challenge))
        return "code_challenge";
    return NULL;
}

static void add_opt(apr_table_t *t, const char *name, const char *val)
{
    if (!missing(val))
        apr_table_setn(t, name, val);
}

apr_status_t itsme_authorize_url(apr_pool_t *p, const itsme_authz_req_t *r, const char **url,
                                 itsme_err_t **err)
{
    const char *m;

    if (r == NULL || url == NULL)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "authorize: no request given");
    m = missing(r->authorization_endpoint) ? "authorization_endpoint"
                                           : itsme_authorize_missing_param(r);
    if (m != NULL)
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "authorize: %s is missing", m);
    if (!scope_has_openid(r->scope))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "authorize: scope lacks openid");
    if (strchr(r->authorization_endpoint, '#') != NULL)
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "authorize: authorization_endpoint has a fragment");

    apr_table_t *q = apr_table_make(p, 14);
    apr_table_setn(q, "response_type", "code");
    apr_table_setn(q, "client_id", r->client_id);
    apr_table_setn(q, "redirect_uri", r->redirect_uri);
    apr_table_setn(q, "scope", r->scope);
    apr_table_setn(q, "state", r->state);
    apr_table_setn(q, "nonce", r->nonce);
    apr_table_setn(q, "code_challenge", r->code_challenge);
    apr_table_setn(q, "code_challenge_method", "S256");
    add_opt(q, "acr_values", r->acr_values);
    add_opt(q, "claims", r->claims);
    add_opt(q, "prompt", r->prompt);
    add_opt(q, "ui_locales", r->ui_locales);
    add_opt(q, "request", r->request);

    *url = itsme_url_add_query(p, r->authorization_endpoint, q);
    if (*url == NULL)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM,
                              "authorize: could not build the URL");
    return APR_SUCCESS;
}
