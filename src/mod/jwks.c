/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jwks.c: publishing the RP's JWK Set at ItsmeJWKSURI (itsme direct
 * profile). The public halves of every ItsmeClientKey and of every
 * published ItsmeDecryptionKey (keys.c loads them) make one document,
 * checked at check_config, built once at post_config and served by the
 * quick handler, so a request for it costs no key work.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "core/jose.h"
#include "core/json.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define JWKS_CACHE "public, max-age=3600"
#define JWKS_SIG_ALG "RS256"
#define JWKS_ENC_ALG "RSA-OAEP-256"

/* ---- the document ---- */

/* How many keys the JWK Set of c holds. */
static int published_count(const itsme_srv_cfg_t *c)
{
    int i, n = c->sig_keys ? c->sig_keys->nelts : 0;

    for (i = 0; c->dec_keys && i < c->dec_keys->nelts; i++)
        if (APR_ARRAY_IDX(c->dec_keys, i, itsme_rp_key_t).published)
            n++;
    return n;
}

static apr_status_t add_public(apr_pool_t *p, itsme_json_t *arr, const itsme_jwk_t *k,
                               const char *alg)
{
    itsme_json_t *o = itsme_jwk_public_json(p, k);

    if (!o || itsme_json_set_string(o, "alg", alg) != APR_SUCCESS
        || itsme_json_array_append(arr, o) != APR_SUCCESS)
        return APR_ENOMEM;
    return APR_SUCCESS;
}

/* {"keys":[every ItsmeClientKey (sig, RS256), every published
 * ItsmeDecryptionKey (enc, RSA-OAEP-256)]}. */
static const char *jwks_document(apr_pool_t *p, const itsme_srv_cfg_t *c)
{
    itsme_json_t *doc = itsme_json_object_new(p), *arr = itsme_json_array_new(p);
    apr_status_t rv = doc && arr ? APR_SUCCESS : APR_ENOMEM;
    int i;

    for (i = 0; rv == APR_SUCCESS && c->sig_keys && i < c->sig_keys->nelts; i++)
        rv = add_public(p, arr, APR_ARRAY_IDX(c->sig_keys, i, const itsme_jwk_t *),
                        JWKS_SIG_ALG);
    for (i = 0; rv == APR_SUCCESS && c->dec_keys && i < c->dec_keys->nelts; i++) {
        const itsme_rp_key_t *rk = &APR_ARRAY_IDX(c->dec_keys, i, itsme_rp_key_t);

        if (rk->published)
            rv = add_public(p, arr, rk->jwk, JWKS_ENC_ALG);
    }
    if (rv != APR_SUCCESS || itsme_json_set(doc, "keys", arr) != APR_SUCCESS)
        return NULL;
    return itsme_json_dump(p, doc);
}

static const char *uri_path(apr_pool_t *p, const char *uri)
{
    apr_uri_t u;

    if (uri[0] == '/')
        return uri;
    if (apr_uri_parse(p, uri, &u) == APR_SUCCESS && u.path)
        return u.path;
    return "/";
}

/* ---- check_config and post_config ---- */

const char *itsme_jwks_publish_check(apr_pool_t *p, const itsme_srv_cfg_t *c)
{
    const char *redirect_path = itsme_cfg_redirect_path(p, c);

    if (!c->jwks_uri)
        return NULL;
    if (redirect_path && !strcmp(uri_path(p, c->jwks_uri), redirect_path))
        return "ItsmeJWKSURI has the same path as ItsmeRedirectURI";
    if (published_count(c) == 0)
        return "ItsmeJWKSURI is set, but there is no ItsmeClientKey or published "
               "ItsmeDecryptionKey to publish";
    return NULL;
}

const char *itsme_jwks_publish_build(apr_pool_t *p, itsme_srv_cfg_t *c)
{
    c->jwks_path = NULL;
    c->jwks_json = NULL;
    if (!c->jwks_uri)
        return NULL;
    c->jwks_path = uri_path(p, c->jwks_uri);
    c->jwks_json = jwks_document(p, c);
    if (!c->jwks_json)
        return "cannot build the JWK Set document";
    c->jwks_len = strlen(c->jwks_json);
    return NULL;
}

/* ---- the JWK Set at ItsmeJWKSURI ---- */

int itsme_jwks_publish_matches(request_rec *r, const itsme_srv_cfg_t *sc)
{
    return sc->ready && sc->jwks_json && r->parsed_uri.path
           && strcmp(r->parsed_uri.path, sc->jwks_path) == 0;
}

int itsme_jwks_publish_serve(request_rec *r, const itsme_srv_cfg_t *sc)
{
    if (r->method_number != M_GET) { /* HEAD is M_GET with header_only */
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return itsme_page_send(r, HTTP_METHOD_NOT_ALLOWED, ITSME_PAGE_METHOD, NULL);
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", JWKS_CACHE);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, (apr_off_t)sc->jwks_len);
    if (!r->header_only)
        ap_rwrite(sc->jwks_json, (int)sc->jwks_len, r);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ITSME02003: served the RP's JWK Set");
    return OK;
}
