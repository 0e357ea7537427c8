/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * config.c: creating and merging the configuration records, the getters
 * that apply defaults, the check_config checks, the runtime objects, and
 * the request-scope record.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "core/err.h"
#include "core/url.h"
#include "mod/config.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

#define PICK(f) (add->f ? add->f : base->f)
#define PICK_INT(f) (add->f != ITSME_UNSET ? add->f : base->f)

static int has_name(const apr_array_header_t *a, const char *name)
{
    int i;

    for (i = 0; a && i < a->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), name))
            return 1;
    return 0;
}

/* The names of a, then those of b not in a (a or b itself when that is all). */
static apr_array_header_t *union_of(apr_pool_t *p, apr_array_header_t *a, apr_array_header_t *b)
{
    apr_array_header_t *out = a;
    int i;

    if (!a || !b)
        return a ? a : b;
    for (i = 0; i < b->nelts; i++) {
        const char *name = APR_ARRAY_IDX(b, i, const char *);

        if (has_name(out, name))
            continue;
        if (out == a)
            out = apr_array_copy(p, a);
        APR_ARRAY_PUSH(out, const char *) = name;
    }
    return out;
}

void *itsme_create_srv_cfg(apr_pool_t *p, server_rec *s)
{
    itsme_srv_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->session_max_age = ITSME_UNSET;
    c->session_inactivity = ITSME_UNSET;
    c->http_timeout = ITSME_UNSET;
    c->cookie_persistent = ITSME_UNSET;
    c->fwd_headers = ITSME_UNSET;
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
    c->trusted_audiences = PICK(trusted_audiences);
    c->client_id = PICK(client_id);
    c->client_secret = PICK(client_secret);
    itsme_keys_merge(c, base, add); /* itsme direct profile: client_key, keys... */
    c->redirect_uri = PICK(redirect_uri);
    c->passphrases = PICK(passphrases);
    c->cookie_name = PICK(cookie_name);
    c->store_spec = PICK(store_spec);
    c->store = add->store_spec ? add->store : base->store;
    c->cookie_persistent = PICK_INT(cookie_persistent);
    c->kept_claims = union_of(p, base->kept_claims, add->kept_claims);
    c->session_max_age = PICK_INT(session_max_age);
    c->session_inactivity = PICK_INT(session_inactivity);
    c->http_timeout = PICK_INT(http_timeout);
    c->ca_bundle = PICK(ca_bundle);
    c->header_prefix = PICK(header_prefix);
    c->scrub_prefixes = union_of(p, base->scrub_prefixes, add->scrub_prefixes);
    /* proxies and logout */
    c->trusted_proxies = PICK(trusted_proxies);
    c->fwd_headers = PICK_INT(fwd_headers);
    c->logout_uri = PICK(logout_uri);
    c->post_logout_redirect = PICK(post_logout_redirect);
    c->logout_allow = PICK(logout_allow);
    c->bcl_uri = PICK(bcl_uri);
    c->fcl_uri = PICK(fcl_uri);
    c->default_language = PICK(default_language);
    c->ui_locales = PICK(ui_locales);
    return c;
}

void *itsme_create_dir_cfg(apr_pool_t *p, char *dir)
{
    itsme_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    (void)dir;
    d->pass_as = ITSME_UNSET;
    d->unauth_action = ITSME_UNSET;
    d->export_bits = itsme_claims_exported(0); /* sub: what a login asking nothing gets */
    return d;
}

void *itsme_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv)
{
    const itsme_dir_cfg_t *base = basev, *add = addv;
    itsme_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    /* ItsmeClaims of the innermost section that has it, plus the claims of
     * every Require itsme-claim rule around (asking one too many is
     * harmless; one too few denies) */
    d->claims_set = PICK(claims_set);
    d->rule_claims = union_of(p, base->rule_claims, add->rule_claims);
    d->claims = union_of(p, d->claims_set, d->rule_claims);
    d->claims_set_bits = add->claims_set ? add->claims_set_bits : base->claims_set_bits;
    d->rule_bits = base->rule_bits | add->rule_bits;
    d->claims_bits = d->claims_set_bits | d->rule_bits;
    d->export_bits = itsme_claims_exported(d->claims_bits);
    d->scope = PICK(scope);
    d->acr_values = PICK(acr_values);
    d->service_code = PICK(service_code);
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

#define WELL_KNOWN "/.well-known/openid-configuration"

int itsme_cfg_issuer_fits(const itsme_srv_cfg_t *c, const char *iss)
{
    const char *expected = itsme_cfg_expected_issuer(c);
    apr_size_t n, k = sizeof(WELL_KNOWN) - 1;

    if (!iss || !*iss)
        return 0;
    if (expected)
        return strcmp(expected, iss) == 0;
    /* OIDC Discovery: the document lives at <issuer>/.well-known/..., the
     * issuer's terminating '/' removed; anything else needs ItsmeIssuer */
    n = c->discovery_url ? strlen(c->discovery_url) : 0;
    if (n <= k || strcmp(c->discovery_url + n - k, WELL_KNOWN) != 0)
        return 0;
    n -= k;
    if (strncmp(c->discovery_url, iss, n) != 0)
        return 0;
    return iss[n] == '\0' || (iss[n] == '/' && iss[n + 1] == '\0');
}

const char *const *itsme_cfg_trusted_audiences(const itsme_srv_cfg_t *c)
{
    if (!c->trusted_audiences || c->trusted_audiences->nelts < 2)
        return NULL;
    return (const char *const *)c->trusted_audiences->elts;
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

static void add_name(apr_pool_t *p, apr_array_header_t **list, const char *name)
{
    if (!*list)
        *list = apr_array_make(p, 4, sizeof(const char *));
    if (!has_name(*list, name))
        APR_ARRAY_PUSH(*list, const char *) = name;
}

void itsme_cfg_want_claim(cmd_parms *cmd, itsme_dir_cfg_t *d, const char *claim, int from_rule)
{
    apr_pool_t *p = cmd->pool;
    apr_array_header_t **list = from_rule ? &d->rule_claims : &d->claims_set;

    /* the server configuration, not an .htaccess file read at request time */
    if (cmd->override & (ACCESS_CONF | RSRC_CONF)) {
        itsme_srv_cfg_t *sc = itsme_srv_cfg(cmd->server);

        add_name(p, &sc->kept_claims, claim);
        if (!strcmp(claim, "age"))
            add_name(p, &sc->kept_claims, "birthdate");
    }

    add_name(p, list, claim);
    add_name(p, &d->claims, claim);
    *(from_rule ? &d->rule_bits : &d->claims_set_bits) |= itsme_claim_bit(claim);
    d->claims_bits |= itsme_claim_bit(claim);
    d->export_bits = itsme_claims_exported(d->claims_bits);
}

/* 1 when the space-separated list has name (or age, for birthdate). */
static int listed(const char *list, const char *name)
{
    apr_size_t n = strlen(name);
    const char *at;

    for (at = list; at && (at = strstr(at, name)) != NULL; at += n)
        if ((at == list || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0'))
            return 1;
    return list && !strcmp(name, "birthdate") && listed(list, "age");
}

int itsme_cfg_keeps_claim(const itsme_srv_cfg_t *c, const char *wanted, const char *claim)
{
    /* the type and issuing country of a national number qualify it */
    if (!strcmp(claim, "nin_type") || !strcmp(claim, "nin_issuing_country"))
        if (itsme_cfg_keeps_claim(c, wanted, "nin"))
            return 1;
    return has_name(c->kept_claims, claim) || listed(wanted, claim);
}

int itsme_cfg_cookie_persistent(const itsme_srv_cfg_t *c)
{
    return c->cookie_persistent == 1;
}

const char *itsme_cfg_redirect_path(apr_pool_t *p, const itsme_srv_cfg_t *c)
{
    apr_uri_t uri;

    if (!c->redirect_uri)
        return NULL;
    if (c->redirect_uri[0] == '/')
        return c->redirect_uri;
    if (apr_uri_parse(p, c->redirect_uri, &uri) == APR_SUCCESS && uri.path)
        return uri.path;
    return "/";
}

/* ---- check_config: "httpd -t" runs it, so a config test catches these ---- */

static const char *where(apr_pool_t *p, const server_rec *s)
{
    if (!s->defn_name)
        return "the main server configuration";
    return apr_psprintf(p, "the virtual host defined at %s:%u", s->defn_name,
                        s->defn_line_number);
}

static const char *server_name(const server_rec *s)
{
    return s->server_hostname ? s->server_hostname : "(unnamed)";
}

/* The virtual host a <VirtualHost> node of the configuration tree made. */
server_rec *itsme_cfg_vhost_of(server_rec *main_s, const ap_directive_t *d)
{
    server_rec *s;

    for (s = main_s->next; s; s = s->next)
        if (s->defn_name && d->filename && !strcmp(s->defn_name, d->filename)
            && s->defn_line_number == (unsigned)d->line_num)
            return s;
    return NULL;
}

static int is_authtype_itsme(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args;

    if (strcasecmp(d->directive, "AuthType") != 0 || !args)
        return 0;
    return strcasecmp(ap_getword_conf(p, &args), "itsme") == 0;
}

/* Records in `seen` (server_rec* -> "file:line") the first AuthType itsme
 * of the tree at d that applies to each server: sections outside
 * <VirtualHost> belong to the main server (whose sections every virtual
 * host inherits, as it inherits its Itsme* directives), those inside to
 * that virtual host. (Server records cannot hold the mark: a virtual host
 * without Itsme* directives shares the main server's.) .htaccess files are
 * not in the tree: there the request-time check stays (ITSME01107). */
static void find_authtype(apr_pool_t *p, apr_hash_t *seen, server_rec *main_s,
                          server_rec *owner, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        server_rec *s = owner;

        if (!strcasecmp(d->directive, "<VirtualHost")) {
            s = itsme_cfg_vhost_of(main_s, d);
            if (!s) {
                ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, main_s,
                             "ITSME04100: no virtual host for <VirtualHost> at %s:%d",
                             d->filename, d->line_num);
                continue;
            }
        }
        else if (is_authtype_itsme(p, d) && !apr_hash_get(seen, &owner, sizeof(owner))) {
            server_rec **key = apr_pmemdup(p, &owner, sizeof(owner));

            apr_hash_set(seen, key, sizeof(*key),
                         apr_psprintf(p, "%s:%d", d->filename, d->line_num));
        }
        if (d->first_child)
            find_authtype(p, seen, main_s, s, d->first_child);
    }
}

/* A virtual host with a complete configuration of its own. */
static int any_vhost_complete(const server_rec *main_s)
{
    const server_rec *s;

    for (s = main_s->next; s; s = s->next)
        if (itsme_srv_cfg(s)->configured && !itsme_cfg_missing(itsme_srv_cfg(s)))
            return 1;
    return 0;
}

/* lenient: an AuthType itsme outside <VirtualHost> while virtual hosts
 * carry the configuration (a global <Location> for per-vhost setups): the
 * main server, often never serving a request, only gets a warning. */
static int check_required(apr_pool_t *p, server_rec *s, const itsme_srv_cfg_t *c,
                          const char *authtype_at, int lenient)
{
    const char *missing = itsme_cfg_missing(c);

    if (!missing)
        return OK;
    if (c->configured) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME01021: mod_auth_itsme directives are used for server %s in %s, "
                     "but %s is missing",
                     server_name(s), where(p, s), missing);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (lenient) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "ITSME04102: AuthType itsme at %s applies to every server, but the main "
                     "server %s (and each virtual host without mod_auth_itsme directives) "
                     "lacks %s: requests it serves there answer 500",
                     authtype_at, server_name(s), missing);
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "ITSME04101: AuthType itsme at %s applies to server %s (%s), but %s "
                 "is missing: configure mod_auth_itsme for that server",
                 authtype_at, server_name(s), where(p, s), missing);
    return HTTP_INTERNAL_SERVER_ERROR;
}

int itsme_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *authtype = apr_hash_make(ptemp);
    server_rec *cur;

    (void)pconf;
    (void)plog;
    if (ap_conftree)
        find_authtype(ptemp, authtype, s, s, ap_conftree);
    for (cur = s; cur; cur = cur->next) {
        const itsme_srv_cfg_t *c = itsme_srv_cfg(cur);
        const char *at = apr_hash_get(authtype, &cur, sizeof(cur));

        if ((c->configured || at)
            && check_required(ptemp, cur, c, at, cur == s && any_vhost_complete(s)) != OK)
            return HTTP_INTERNAL_SERVER_ERROR;
        if (itsme_logout_check(ptemp, cur, c) != OK)
            return HTTP_INTERNAL_SERVER_ERROR;
        if (itsme_oplogout_check(ptemp, cur, itsme_srv_cfg(cur)) != OK
            || itsme_store_check(ptemp, cur, c, c->store) != OK
            || itsme_store_check(ptemp, cur, c, c->revocations) != OK)
            return HTTP_INTERNAL_SERVER_ERROR;
        /* the servers itsme_config_post makes ready */
        if (c->configured && !itsme_cfg_missing(c) && itsme_keys_check(ptemp, cur, c) != OK)
            return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* itsme: every AuthType itsme section has a service code (service.c) */
    return itsme_service_check(ptemp, s);
}

/* ---- post_config: the runtime ---- */

static apr_status_t build_runtime(apr_pool_t *p, server_rec *s, itsme_srv_cfg_t *c,
                                  itsme_cache_t *cache)
{
    itsme_err_t *err = NULL;
    apr_status_t rv;

    c->redirect_path = itsme_cfg_redirect_path(p, c);
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
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "ITSME01022: server %s: provider %s, discovery %s, redirect path %s",
                 server_name(s), c->provider_name, c->discovery_url, c->redirect_path);
    return APR_SUCCESS;
}

int itsme_config_post(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    itsme_cache_t *cache = NULL;
    apr_status_t rv;
    server_rec *cur;

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
        /* itsme_config_check refused an incomplete server already */
        if (!c->configured || itsme_cfg_missing(c))
            continue;
        if (build_runtime(pconf, cur, c, cache) != APR_SUCCESS)
            return HTTP_INTERNAL_SERVER_ERROR;
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
