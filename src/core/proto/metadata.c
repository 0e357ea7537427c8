/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * metadata.c: OpenID Provider discovery (OIDC Discovery 1.0). Parses the
 * document strictly, checks the issuer and that every endpoint is https (http
 * only to loopback, and only when the discovery URL is itself a loopback URL:
 * a local test OP), and caches the validated document with its raw body by
 * URL, so it is parsed once per fetch.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/proto/metadata.h"
#include "core/json.h"
#include "core/url.h"

#define METADATA_MIN_INTERVAL apr_time_from_sec(10)
#define METADATA_SHOWN_MAX 256

/* Reads an endpoint member: absent -> *out NULL (error when required);
 * present -> a string holding an endpoint allowed for this discovery URL. */
static apr_status_t get_endpoint(apr_pool_t *p, const itsme_json_t *doc, const char *disco,
                                 const char *name, int required, const char **out,
                                 itsme_err_t **err)
{
    *out = NULL;
    itsme_json_t *v = itsme_json_get(doc, name);
    if (!v || itsme_json_is_null(v)) {
        if (required)
            return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                                  "discovery: missing %s", name);
        return APR_SUCCESS;
    }
    const char *s = itsme_json_string_value(v);
    if (!s || !*s)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "discovery: %s is not a non-empty string", name);
    if (!itsme_url_is_op_endpoint(s, disco))
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "discovery: %s must be https%s: %s", name,
                              itsme_url_is_loopback(disco)
                                  ? " (or http to loopback)"
                                  : " (the discovery URL is not a loopback URL)",
                              itsme_err_printable(p, s, METADATA_SHOWN_MAX));
    *out = s;
    return APR_SUCCESS;
}

/* Reads an array-of-strings member (a lone string counts as one element). */
static apr_status_t get_list(apr_pool_t *p, const itsme_json_t *doc, const char *name,
                             apr_array_header_t **out, itsme_err_t **err)
{
    itsme_json_t *v = itsme_json_get(doc, name);
    if (v && !itsme_json_is_array(v) && !itsme_json_is_string(v) && !itsme_json_is_null(v))
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "discovery: %s is not an array", name);
    *out = itsme_json_string_list(p, v);
    if (!*out)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "discovery: %s", name);
    return APR_SUCCESS;
}

static apr_status_t check_issuer(apr_pool_t *p, const char *issuer, const char *expected,
                                 itsme_err_t **err)
{
    if (expected && strcmp(issuer, expected) != 0)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "discovery: issuer mismatch: expected %s got %s", expected,
                              itsme_err_printable(p, issuer, METADATA_SHOWN_MAX));
    return APR_SUCCESS;
}

/* An optional boolean member (absent or null: 0). */
static apr_status_t get_flag(apr_pool_t *p, const itsme_json_t *doc, const char *name, int *out,
                             itsme_err_t **err)
{
    itsme_json_t *v = itsme_json_get(doc, name);

    if (v && !itsme_json_is_bool(v) && !itsme_json_is_null(v))
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL, "discovery: %s is not a boolean",
                              name);
    *out = itsme_json_bool_value(v) ? 1 : 0;
    return APR_SUCCESS;
}

static apr_status_t read_endpoints(apr_pool_t *p, const itsme_json_t *doc, const char *disco,
                                   itsme_metadata_t *md, itsme_err_t **err)
{
    apr_status_t rv;
    if ((rv = get_endpoint(p, doc, disco, "issuer", 1, &md->issuer, err)) != APR_SUCCESS
        || (rv = get_endpoint(p, doc, disco, "authorization_endpoint", 1,
                              &md->authorization_endpoint, err)) != APR_SUCCESS
        || (rv = get_endpoint(p, doc, disco, "token_endpoint", 1, &md->token_endpoint, err))
               != APR_SUCCESS
        || (rv = get_endpoint(p, doc, disco, "jwks_uri", 1, &md->jwks_uri, err))
               != APR_SUCCESS
        || (rv = get_endpoint(p, doc, disco, "userinfo_endpoint", 0, &md->userinfo_endpoint,
                              err)) != APR_SUCCESS
        || (rv = get_endpoint(p, doc, disco, "end_session_endpoint", 0,
                              &md->end_session_endpoint, err)) != APR_SUCCESS)
        return rv;
    return APR_SUCCESS;
}

static apr_status_t read_lists(apr_pool_t *p, const itsme_json_t *doc, itsme_metadata_t *md,
                               itsme_err_t **err)
{
    apr_status_t rv;
    if ((rv = get_list(p, doc, "token_endpoint_auth_methods_supported",
                       &md->token_endpoint_auth_methods, err)) != APR_SUCCESS
        || (rv = get_list(p, doc, "id_token_signing_alg_values_supported",
                          &md->id_token_signing_algs, err)) != APR_SUCCESS
        || (rv = get_list(p, doc, "code_challenge_methods_supported",
                          &md->code_challenge_methods, err)) != APR_SUCCESS
        || (rv = get_list(p, doc, "scopes_supported", &md->scopes_supported, err))
               != APR_SUCCESS
        || (rv = get_list(p, doc, "request_object_encryption_alg_values_supported",
                          &md->request_object_encryption_algs, err)) != APR_SUCCESS
        || (rv = get_list(p, doc, "request_object_encryption_enc_values_supported",
                          &md->request_object_encryption_encs, err)) != APR_SUCCESS)
        return rv;
    return APR_SUCCESS;
}

/* Parses and validates everything but the issuer's expected value. */
static apr_status_t md_parse(apr_pool_t *p, const char *json, apr_size_t len,
                             const char *disco, itsme_metadata_t **out, itsme_err_t **err)
{
    itsme_json_t *doc = NULL;
    itsme_err_t *cause = NULL;
    if (!json || itsme_json_parse_object(p, json, len, &doc, &cause) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_OP, cause,
                              "discovery document is not a JSON object");

    itsme_metadata_t *md = apr_pcalloc(p, sizeof(*md));
    apr_status_t rv = read_endpoints(p, doc, disco, md, err);
    if (rv == APR_SUCCESS)
        rv = read_lists(p, doc, md, err);
    if (rv != APR_SUCCESS)
        return rv;

    if ((rv = get_flag(p, doc, "require_signed_request_object",
                       &md->require_signed_request_object, err)) != APR_SUCCESS
        || (rv = get_flag(p, doc, "backchannel_logout_supported",
                          &md->backchannel_logout_supported, err)) != APR_SUCCESS
        || (rv = get_flag(p, doc, "frontchannel_logout_supported",
                          &md->frontchannel_logout_supported, err)) != APR_SUCCESS)
        return rv;
    *out = md;
    return APR_SUCCESS;
}

apr_status_t itsme_metadata_parse(apr_pool_t *p, const char *json, apr_size_t len,
                                  const char *expected_issuer, const char *discovery_url,
                                  itsme_metadata_t **out, itsme_err_t **err)
{
    itsme_metadata_t *md = NULL;
    apr_status_t rv = md_parse(p, json, len, discovery_url, &md, err);
    if (rv == APR_SUCCESS)
        rv = check_issuer(p, md->issuer, expected_issuer, err);
    if (rv == APR_SUCCESS)
        *out = md;
    return rv;
}

static apr_array_header_t *list_copy(apr_pool_t *p, const apr_array_header_t *src)
{
    int n = src ? src->nelts : 0;
    apr_array_header_t *a = apr_array_make(p, n > 0 ? n : 1, sizeof(const char *));
    for (int i = 0; i < n; i++)
        APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(p, APR_ARRAY_IDX(src, i, const char *));
    return a;
}

itsme_metadata_t *itsme_metadata_copy(apr_pool_t *p, const itsme_metadata_t *src)
{
    itsme_metadata_t *md = apr_pmemdup(p, src, sizeof(*md));
    md->issuer = apr_pstrdup(p, src->issuer);
    md->authorization_endpoint = apr_pstrdup(p, src->authorization_endpoint);
    md->token_endpoint = apr_pstrdup(p, src->token_endpoint);
    md->userinfo_endpoint = apr_pstrdup(p, src->userinfo_endpoint);
    md->jwks_uri = apr_pstrdup(p, src->jwks_uri);
    md->end_session_endpoint = apr_pstrdup(p, src->end_session_endpoint);
    md->token_endpoint_auth_methods = list_copy(p, src->token_endpoint_auth_methods);
    md->id_token_signing_algs = list_copy(p, src->id_token_signing_algs);
    md->code_challenge_methods = list_copy(p, src->code_challenge_methods);
    md->scopes_supported = list_copy(p, src->scopes_supported);
    md->request_object_encryption_algs = list_copy(p, src->request_object_encryption_algs);
    md->request_object_encryption_encs = list_copy(p, src->request_object_encryption_encs);
    return md;
}

/* The cache's deriver: the validated document, parsed once per fetched body
 * (the JSON tree stays in the caller's pool; the cache keeps a compact copy). */
static apr_status_t md_build(apr_pool_t *keep, apr_pool_t *p, const char *url,
                             const char *body, apr_size_t len, void **value,
                             itsme_err_t **err)
{
    itsme_metadata_t *md = NULL;
    apr_status_t rv = md_parse(p, body, len, url, &md, err);
    if (rv == APR_SUCCESS)
        *value = itsme_metadata_copy(keep, md);
    return rv;
}

static void *md_copy(apr_pool_t *p, const void *value)
{
    return itsme_metadata_copy(p, value);
}

apr_status_t itsme_metadata_get(itsme_cache_t *cache, apr_pool_t *p,
                                const itsme_http_opts_t *o, const char *discovery_url,
                                const char *expected_issuer, apr_interval_time_t max_age,
                                apr_time_t now, itsme_metadata_t **out, itsme_err_t **err)
{
    static const itsme_cache_deriver_t deriver = { md_build, md_copy };
    itsme_cache_policy_t pol = { max_age > 0 ? max_age : 0, METADATA_MIN_INTERVAL, 0 };
    itsme_err_t *cause = NULL;
    void *v = NULL;

    if (!discovery_url || !itsme_url_is_secure_endpoint(discovery_url))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "discovery URL must be https (or http to loopback): %s",
                              discovery_url ? itsme_err_printable(p, discovery_url,
                                                                  METADATA_SHOWN_MAX)
                                            : "(none)");
    apr_status_t rv = itsme_cache_fetch_derived(cache, p, o, discovery_url, &pol, now,
                                                &deriver, &v, NULL, &cause);
    if (rv != APR_SUCCESS)
        return itsme_err_wrap(p, err, cause ? cause->kind : ITSME_E_NETWORK, cause,
                              "discovery from %s", discovery_url);
    itsme_metadata_t *md = v;
    rv = check_issuer(p, md->issuer, expected_issuer, err);
    if (rv != APR_SUCCESS) {
        itsme_cache_invalidate(cache, discovery_url);
        return rv;
    }
    *out = md;
    return APR_SUCCESS;
}

int itsme_metadata_has(const apr_array_header_t *list, const char *s)
{
    if (!list || !s)
        return 0;
    for (int i = 0; i < list->nelts; i++) {
        const char *v = APR_ARRAY_IDX(list, i, const char *);
        if (v && strcmp(v, s) == 0)
            return 1;
    }
    return 0;
}
