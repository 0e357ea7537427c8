/*
 * config.c: creating and merging the configuration records, the getters
 * that apply defaults, the post_config check and the runtime objects, and
 * the request-scope record.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "core/err.h"
#include "core/url.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define PICK(f) (add->f ? add->f : base->f)
#define PICK_INT(f) (add->f != ITSME_UNSET ? add->f : base->f)

void *itsme_create_srv_cfg(apr_pool_t *p, server_rec *s)
{
    itsme_srv_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->session_max_age = ITSME_UNSET;
    c->session_inactivity = ITSME_UNSET;
    c->http_timeout = ITSME_UNSET;
    /* itsme direct profile (keys.c) */
    c->expect_encryption = ITSME_UNSET;
    c->request_object = ITSME_UNSET;
    return c;
}

void *itsme_merge_srv_cfg(apr_pool_t *p, void *basev, void *addv)
{
    const itsme_srv_cfg_t *base = basev, *add = addv;
    itsme_srv_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->configured = base->configured || add->configured;
    if (add->provider_name) {
        c->provider_name = add->provider_name;
        c->profile = add->profile;
        c->discovery_url = add->discovery_url;
        c->preset_issuer = add->preset_issuer;
    }
    else {
        c->provider_name = base->provider_name;
        c->profile = base->profile;
        c->discovery_url = base->discovery_url;
        c->preset_issuer = base->preset_issuer;
    }
    c->issuer = PICK(issuer);
    c->client_id = PICK(client_id);
    c->client_secret = PICK(client_secret);
    itsme_keys_merge(c, base, add); /* itsme direct profile: client_key, keys... */
    c->redirect_uri = PICK(redirect_uri);
    c->passphrases = PICK(passphrases);
    c->cookie_name = PICK(cookie_name);
    c->session_max_age = PICK_INT(session_max_age);
    c->session_inactivity = PICK_INT(session_inactivity);
    c->http_timeout = PICK_INT(http_timeout);
    c->ca_bundle = PICK(ca_bundle);
    c->header_prefix = PICK(header_prefix);
    /* proxies and logout (issue 4) */
    c->trusted_proxies = PICK(trusted_proxies);
    c->logout_uri = PICK(logout_uri);
    c->post_logout_redirect = PICK(post_logout_redirect);
    c->logout_allow = PICK(logout_allow);
    return c;
}

void *itsme_create_dir_cfg(apr_pool_t *p, char *dir)
{
    itsme_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    (void)dir;
    d->pass_as = ITSME_UNSET;
    d->unauth_action = ITSME_UNSET;
    return d;
}

void *itsme_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv)
{
    const itsme_dir_cfg_t *base = basev, *add = addv;
    itsme_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    d->claims = PICK(claims);
    d->scope = PICK(scope);
    d->acr_values = PICK(acr_values);
    d->pass_as = PICK_INT(pass_as);
    d->header_prefix = PICK(header_prefix);
    d->env_prefix = PICK(env_prefix);
    d->unauth_action = PICK_INT(unauth_action);
    return d;
}

itsme_srv_cfg_t *itsme_srv_cfg(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &auth_itsme_module);
}

itsme_dir_cfg_t *itsme_dir_cfg(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &auth_itsme_module);
}

/* ---- getters ---- */

const char *itsme_cfg_cookie_name(const itsme_srv_cfg_t *c)
{
    return c->cookie_name ? c->cookie_name : ITSME_DEFAULT_COOKIE;
}

apr_interval_time_t itsme_cfg_session_max_age(const itsme_srv_cfg_t *c)
{
    int v = c->session_max_age != ITSME_UNSET ? c->session_max_age : ITSME_DEFAULT_MAX_AGE;
    return apr_time_from_sec(v);
}

apr_interval_time_t itsme_cfg_inactivity(const itsme_srv_cfg_t *c)
{
    return c->session_inactivity > 0 ? apr_time_from_sec(c->session_inactivity) : 0;
}

itsme_pass_e itsme_cfg_pass_as(const itsme_dir_cfg_t *d)
{
    return d->pass_as != ITSME_UNSET ? (itsme_pass_e)d->pass_as : ITSME_PASS_HEADERS;
}

const char *itsme_cfg_header_prefix(const itsme_dir_cfg_t *d, const itsme_srv_cfg_t *c)
{
    if (d && d->header_prefix)
        return d->header_prefix;
    if (c && c->header_prefix)
        return c->header_prefix;
    return ITSME_DEFAULT_HEADER_PREFIX;
}

const char *itsme_cfg_env_prefix(const itsme_dir_cfg_t *d)
{
    return d->env_prefix ? d->env_prefix : ITSME_DEFAULT_ENV_PREFIX;
}

itsme_unauth_e itsme_cfg_unauth(const itsme_dir_cfg_t *d)
{
    return d->unauth_action != ITSME_UNSET ? (itsme_unauth_e)d->unauth_action
                                           : ITSME_UNAUTH_AUTH;
}

const char *itsme_cfg_expected_issuer(const itsme_srv_cfg_t *c)
{
    return c->issuer ? c->issuer : c->preset_issuer;
}

int itsme_cfg_issuer_fits(const itsme_srv_cfg_t *c, const char *iss)
{
    const char *expected = itsme_cfg_expected_issuer(c);
    apr_size_t n;

    if (!iss || !*iss)
        return 0;
    if (expected)
        return strcmp(expected, iss) == 0;
    /* OIDC Discovery: the document lives at <issuer>/.well-known/... */
    n = strlen(iss);
    if (!c->discovery_url || strncmp(c->discovery_url, iss, n) != 0)
        return 0;
    return iss[n - 1] == '/' || c->discovery_url[n] == '/';
}

const char *itsme_cfg_missing(const itsme_srv_cfg_t *c)
{
    if (!c->provider_name)
        return "ItsmeProvider";
    if (!c->client_id)
        return "ItsmeClientID";
    if (!c->redirect_uri)
        return "ItsmeRedirectURI";
    if (!c->passphrases || c->passphrases->nelts == 0)
        return "ItsmeCryptoPassphrase";
    /* Client authentication (secret or key) and the itsme profile's keys
     * and service code: keys.c */
    return itsme_keys_missing(c);
}

/* ---- post_config ---- */

static const char *where(apr_pool_t *p, const server_rec *s)
{
    if (!s->defn_name)
        return "the main server configuration";
    return apr_psprintf(p, "the virtual host defined at %s:%u", s->defn_name,
                        s->defn_line_number);
}

static apr_status_t build_runtime(apr_pool_t *p, server_rec *s, itsme_srv_cfg_t *c,
                                  itsme_cache_t *cache)
{
    itsme_err_t *err = NULL;
    apr_uri_t uri;
    apr_status_t rv;

    if (c->redirect_uri[0] == '/') {
        c->redirect_path = c->redirect_uri;
    }
    else if (apr_uri_parse(p, c->redirect_uri, &uri) == APR_SUCCESS && uri.path) {
        c->redirect_path = uri.path;
    }
    else {
        c->redirect_path = "/";
    }
    rv = itsme_crypto_create(p, c->passphrases, &c->crypto, &err);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "ITSME01020: %s: cannot set up session encryption: %s", where(p, s),
                     itsme_err_str(p, err));
        return rv;
    }
    c->cache = cache;
    c->http.timeout_ms =
        1000L * (c->http_timeout != ITSME_UNSET ? c->http_timeout : ITSME_DEFAULT_HTTP_TIMEOUT);
    c->http.ca_bundle = c->ca_bundle;
    c->http.max_response = 0;
    c->http.user_agent = NULL;
    c->ready = 1;
    return APR_SUCCESS;
}

static int check_server(apr_pool_t *pconf, server_rec *s, itsme_srv_cfg_t *c,
                        itsme_cache_t *cache)
{
    const char *missing = itsme_cfg_missing(c);

    if (missing) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME01021: mod_auth_itsme directives are used for server %s in %s, "
                     "but %s is missing",
                     s->server_hostname ? s->server_hostname : "(unnamed)", where(pconf, s),
                     missing);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (build_runtime(pconf, s, c, cache) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "ITSME01022: server %s: provider %s, discovery %s, redirect path %s",
                 s->server_hostname ? s->server_hostname : "(unnamed)", c->provider_name,
                 c->discovery_url, c->redirect_path);
    return OK;
}

int itsme_config_post(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    itsme_cache_t *cache = NULL;
    apr_status_t rv;
    server_rec *cur;
    int rc;

    (void)plog;
    (void)ptemp;
    rv = itsme_http_global_init();
    if (rv == APR_SUCCESS)
        rv = itsme_cache_create(pconf, &cache);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "ITSME01023: cannot initialise the HTTP client or the cache");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (cur = s; cur; cur = cur->next) {
        itsme_srv_cfg_t *c = itsme_srv_cfg(cur);

        c->ready = 0;
        if (!c->configured)
            continue;
        rc = check_server(pconf, cur, c, cache);
        if (rc != OK)
            return rc;
    }
    return OK;
}

/* ---- request scope ---- */

request_rec *itsme_initial_request(request_rec *r)
{
    for (;;) {
        if (r->main)
            r = r->main;
        else if (r->prev)
            r = r->prev;
        else
            return r;
    }
}

itsme_req_t *itsme_req(request_rec *r)
{
    request_rec *ir = itsme_initial_request(r);
    itsme_req_t *q = ap_get_module_config(ir->request_config, &auth_itsme_module);

    if (!q) {
        q = apr_pcalloc(ir->pool, sizeof(*q));
        ap_set_module_config(ir->request_config, &auth_itsme_module, q);
    }
    return q;
}
