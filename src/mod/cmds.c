/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * cmds.c: the Itsme* directives. Every setter validates its argument and
 * answers with a message that names the directive and what is wrong.
 * Secrets are never echoed in a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_file_io.h"
#include "apr_uri.h"

#include "core/claims.h"
#include "core/url.h"
#include "core/session/codec.h"
#include "mod/config.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

#define ITSME_MAX_SECRET_FILE (64 * 1024)
#define ITSME_MAX_COOKIE_NAME 64

#define ITSME_PRD_DISCOVERY "https://idp.prd.itsme.services/v2/.well-known/openid-configuration"
#define ITSME_PRD_ISSUER "https://idp.prd.itsme.services/v2"
#define ITSME_E2E_DISCOVERY "https://idp.e2e.itsme.services/v2/.well-known/openid-configuration"
#define ITSME_E2E_ISSUER "https://idp.e2e.itsme.services/v2"

itsme_srv_cfg_t *itsme_cmd_srv(cmd_parms *cmd)
{
    itsme_srv_cfg_t *c = itsme_srv_cfg(cmd->server);

    c->configured = 1;
    return c;
}

const char *itsme_cmd_fail(cmd_parms *cmd, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(cmd->temp_pool, fmt, ap);
    va_end(ap);
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", msg, NULL);
}

static char *trim(char *s)
{
    char *e;

    while (*s && apr_isspace(*s))
        s++;
    e = s + strlen(s);
    while (e > s && apr_isspace(e[-1]))
        *--e = '\0';
    return s;
}

static const char *read_file(cmd_parms *cmd, const char *name, const char **out)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, name);
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    apr_size_t got = 0;
    char *buf;

    if (!path || apr_stat(&fi, path, APR_FINFO_SIZE, cmd->temp_pool) != APR_SUCCESS
        || apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, cmd->temp_pool)
               != APR_SUCCESS)
        return itsme_cmd_fail(cmd, "cannot read file %s", name);
    if (fi.size > ITSME_MAX_SECRET_FILE) {
        apr_file_close(f);
        return itsme_cmd_fail(cmd, "file %s is too large", name);
    }
    buf = apr_palloc(cmd->pool, (apr_size_t)fi.size + 1);
    if (fi.size > 0
        && apr_file_read_full(f, buf, (apr_size_t)fi.size, &got) != APR_SUCCESS) {
        apr_file_close(f);
        return itsme_cmd_fail(cmd, "cannot read file %s", name);
    }
    apr_file_close(f);
    buf[got] = '\0';
    if (strlen(buf) != got)
        return itsme_cmd_fail(cmd, "file %s contains a NUL byte", name);
    *out = trim(buf);
    return NULL;
}

/* value | file:/path | env:NAME */
static const char *read_secret(cmd_parms *cmd, const char *arg, const char **out)
{
    const char *err = NULL;

    if (strncmp(arg, "file:", 5) == 0) {
        err = read_file(cmd, arg + 5, out);
    }
    else if (strncmp(arg, "env:", 4) == 0) {
        const char *v = getenv(arg + 4);

        if (!v)
            return itsme_cmd_fail(cmd, "environment variable %s is not set", arg + 4);
        *out = trim(apr_pstrdup(cmd->pool, v));
    }
    else {
        *out = arg;
    }
    if (!err && !**out)
        err = itsme_cmd_fail(cmd, "the value is empty");
    return err;
}

static const char *parse_seconds(cmd_parms *cmd, const char *arg, int min, int max,
                                 int zero_ok, int *out)
{
    char *end = NULL;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || !end || *end || end == arg || ((v < min || v > max) && !(zero_ok && v == 0)))
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds in %s%d..%d",
                            cmd->cmd->name, arg, zero_ok ? "0 or " : "", min, max);
    *out = (int)v;
    return NULL;
}

static int is_tchar(int c)
{
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* printable ASCII 0x21-0x7e without '"' and '\' (RFC 6749 scope-token) */
static int is_scope_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

/* ---- server scope ---- */

static const char *set_provider(cmd_parms *cmd, void *dc, const char *name, const char *url)
{
    itsme_srv_cfg_t *c = itsme_cmd_srv(cmd);

    (void)dc;
    c->preset_issuer = NULL;
    if (!strcasecmp(name, "itsme") || !strcasecmp(name, "itsme-e2e")) {
        int prd = !strcasecmp(name, "itsme");

        c->profile = ITSME_PROFILE_ITSME;
        c->discovery_url = prd ? ITSME_PRD_DISCOVERY : ITSME_E2E_DISCOVERY;
        if (!url)
            c->preset_issuer = prd ? ITSME_PRD_ISSUER : ITSME_E2E_ISSUER;
    }
    else if (!strcasecmp(name, "broker") || !strcasecmp(name, "generic")) {
        c->profile = !strcasecmp(name, "broker") ? ITSME_PROFILE_BROKER : ITSME_PROFILE_GENERIC;
        if (!url)
            return itsme_cmd_fail(cmd, "provider '%s' needs its discovery URL as second "
                                  "argument", name);
    }
    else {
        return itsme_cmd_fail(cmd,
                              "unknown provider '%s' (itsme, itsme-e2e, broker or generic)", name);
    }
    if (url) {
        if (!itsme_url_is_secure_endpoint(url))
            return itsme_cmd_fail(cmd,
                                  "discovery URL '%s' must be https (http only to a "
                                  "loopback host)", url);
        c->discovery_url = url;
    }
    c->provider_name = apr_pstrdup(cmd->pool, name);
    ap_str_tolower((char *)c->provider_name);
    return NULL;
}

static const char *set_issuer(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    if (!itsme_url_is_secure_endpoint(arg))
        return itsme_cmd_fail(cmd,
                              "issuer '%s' must be an https URL (http only to a loopback host)",
                              arg);
    itsme_cmd_srv(cmd)->issuer = arg;
    return NULL;
}

/* Why arg (`what`) is not a non-empty text without control characters, or
 * NULL. */
static const char *plain_text(cmd_parms *cmd, const char *arg, const char *what)
{
    const char *s;

    for (s = arg; *s; s++)
        if (*s < 0x20 || *s == 0x7f)
            return itsme_cmd_fail(cmd, "%s contains a control character", what);
    return *arg ? NULL : itsme_cmd_fail(cmd, "%s is empty", what);
}

/* One party per argument, kept NULL-terminated (for itsme_idt_check_t). */
static const char *add_trusted_audience(cmd_parms *cmd, void *dc, const char *arg)
{
    itsme_srv_cfg_t *c = itsme_cmd_srv(cmd);
    const char *why = plain_text(cmd, arg, "an audience");

    (void)dc;
    if (why)
        return why;
    if (!c->trusted_audiences) {
        c->trusted_audiences = apr_array_make(cmd->pool, 4, sizeof(const char *));
        APR_ARRAY_PUSH(c->trusted_audiences, const char *) = NULL;
    }
    APR_ARRAY_IDX(c->trusted_audiences, c->trusted_audiences->nelts - 1, const char *) = arg;
    APR_ARRAY_PUSH(c->trusted_audiences, const char *) = NULL;
    return NULL;
}

static const char *set_client_id(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *why = plain_text(cmd, arg, "the client id");

    (void)dc;
    if (!why)
        itsme_cmd_srv(cmd)->client_id = arg;
    return why;
}

static const char *set_client_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return read_secret(cmd, arg, &itsme_cmd_srv(cmd)->client_secret);
}

static const char *set_redirect_uri(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_uri_t uri;

    (void)dc;
    if (strchr(arg, '#'))
        return itsme_cmd_fail(cmd, "'%s' must not have a fragment", arg);
    if (arg[0] == '/') {
        if (arg[1] == '/')
            return itsme_cmd_fail(cmd, "'%s' is not a path (starts with //)", arg);
    }
    else if (!itsme_url_is_absolute(arg)) {
        return itsme_cmd_fail(cmd, "'%s' must be a path starting with '/' or an absolute URL",
                              arg);
    }
    else if (!itsme_url_is_secure_endpoint(arg)) {
        return itsme_cmd_fail(cmd, "'%s' must be https (http only to a loopback host)", arg);
    }
    else if (apr_uri_parse(cmd->temp_pool, arg, &uri) != APR_SUCCESS || !uri.path
             || uri.path[0] != '/') {
        return itsme_cmd_fail(cmd, "'%s' has no path", arg);
    }
    itsme_cmd_srv(cmd)->redirect_uri = arg;
    return NULL;
}

static const char *add_passphrase(cmd_parms *cmd, void *dc, const char *arg)
{
    itsme_srv_cfg_t *c = itsme_cmd_srv(cmd);
    const char *v = NULL, *err;

    (void)dc;
    err = read_secret(cmd, arg, &v);
    if (err)
        return err;
    if (strlen(v) < ITSME_CRYPTO_MIN_PASSPHRASE)
        return apr_psprintf(cmd->pool, "%s: a passphrase must have at least %d bytes and be "
                            "random, e.g. openssl rand -base64 32 > /etc/apache2/itsme/"
                            "session.key, then file:/etc/apache2/itsme/session.key",
                            cmd->cmd->name, ITSME_CRYPTO_MIN_PASSPHRASE);
    if (!c->passphrases)
        c->passphrases = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(c->passphrases, const char *) = v;
    return NULL;
}

static const char *set_cookie_name(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    if (!is_token(arg) || strlen(arg) > ITSME_MAX_COOKIE_NAME)
        return itsme_cmd_fail(cmd,
                              "'%s' is not a valid cookie name (RFC 6265 token, at most 64 chars)",
                    arg);
    itsme_cmd_srv(cmd)->cookie_name = arg;
    return NULL;
}

static const char *set_max_age(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    /* 10 s minimum: short lifetimes are safe, and testable */
    return parse_seconds(cmd, arg, 10, 604800, 0, &itsme_cmd_srv(cmd)->session_max_age);
}

static const char *set_inactivity(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return parse_seconds(cmd, arg, 10, 604800, 1, &itsme_cmd_srv(cmd)->session_inactivity);
}

static const char *set_http_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return parse_seconds(cmd, arg, 1, 60, 0, &itsme_cmd_srv(cmd)->http_timeout);
}

static const char *set_cookie_persistent(cmd_parms *cmd, void *dc, int on)
{
    (void)dc;
    itsme_cmd_srv(cmd)->cookie_persistent = on ? 1 : 0;
    return NULL;
}

static const char *set_ca_bundle(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *f = NULL;

    (void)dc;
    if (!path || apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, cmd->temp_pool)
                     != APR_SUCCESS)
        return itsme_cmd_fail(cmd, "cannot read CA bundle %s", arg);
    apr_file_close(f);
    itsme_cmd_srv(cmd)->ca_bundle = path;
    return NULL;
}

/* ---- directory scope, defaults at server scope (ItsmeHeaderPrefix: not .htaccess) ---- */

static const char *add_claim(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;

    if (!itsme_claim_is_canonical(arg))
        return itsme_cmd_fail(cmd, "'%s' is not a canonical claim name (see the claim list)", arg);
    itsme_cfg_want_claim(cmd, d, arg, 0);
    return NULL;
}

static const char *add_scope(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;

    if (!is_scope_token(arg))
        return itsme_cmd_fail(cmd, "'%s' is not a valid scope token", arg);
    d->scope = d->scope ? apr_pstrcat(cmd->pool, d->scope, " ", arg, NULL) : arg;
    return NULL;
}

static const char *add_acr(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;

    if (!is_scope_token(arg))
        return itsme_cmd_fail(cmd,
                              "'%s' is not a valid ACR value (printable, no spaces or quotes)",
                              arg);
    d->acr_values = d->acr_values ? apr_pstrcat(cmd->pool, d->acr_values, " ", arg, NULL) : arg;
    return NULL;
}

static const char *set_pass_as(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;

    if (!strcasecmp(arg, "headers"))
        d->pass_as = ITSME_PASS_HEADERS;
    else if (!strcasecmp(arg, "environment"))
        d->pass_as = ITSME_PASS_ENV;
    else if (!strcasecmp(arg, "both"))
        d->pass_as = ITSME_PASS_BOTH;
    else if (!strcasecmp(arg, "none"))
        d->pass_as = ITSME_PASS_NONE;
    else
        return itsme_cmd_fail(cmd, "'%s': use headers, environment, both or none", arg);
    return NULL;
}

static const char *set_header_prefix(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;
    itsme_srv_cfg_t *sc = itsme_srv_cfg(cmd->server); /* not "configured" by this */
    apr_size_t n = strlen(arg);
    int i;

    if (!is_token(arg) || arg[n - 1] != '-' || n > 64)
        return itsme_cmd_fail(cmd, "'%s' must be a header-name token ending in '-'", arg);
    if (cmd->path)
        d->header_prefix = arg;
    else
        sc->header_prefix = arg;
    /* every prefix of the server is scrubbed on every request (export.c) */
    if (!sc->scrub_prefixes)
        sc->scrub_prefixes = apr_array_make(cmd->pool, 2, sizeof(const char *));
    for (i = 0; i < sc->scrub_prefixes->nelts; i++)
        if (!strcasecmp(APR_ARRAY_IDX(sc->scrub_prefixes, i, const char *), arg))
            return NULL;
    APR_ARRAY_PUSH(sc->scrub_prefixes, const char *) = arg;
    return NULL;
}

static const char *set_env_prefix(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;
    const char *s;

    if (!apr_isalpha(arg[0]) && arg[0] != '_')
        return itsme_cmd_fail(cmd, "'%s' must match [A-Za-z_][A-Za-z0-9_]*", arg);
    for (s = arg; *s; s++)
        if (!apr_isalnum(*s) && *s != '_')
            return itsme_cmd_fail(cmd, "'%s' must match [A-Za-z_][A-Za-z0-9_]*", arg);
    d->env_prefix = arg;
    return NULL;
}

static const char *set_unauth(cmd_parms *cmd, void *dcv, const char *arg)
{
    itsme_dir_cfg_t *d = dcv;

    if (!strcasecmp(arg, "auth"))
        d->unauth_action = ITSME_UNAUTH_AUTH;
    else if (!strcmp(arg, "401"))
        d->unauth_action = ITSME_UNAUTH_401;
    else if (!strcasecmp(arg, "pass"))
        d->unauth_action = ITSME_UNAUTH_PASS;
    else
        return itsme_cmd_fail(cmd, "'%s': use auth, 401 or pass", arg);
    return NULL;
}

/* A location's directives: also accepted in the main server and in a
 * <VirtualHost>, where they set the default of every section of that
 * server (httpd hands the setter the server's own directory record, which
 * every section's record is merged onto). */
#define DIR_SCOPE (RSRC_CONF | ACCESS_CONF | OR_AUTHCFG)

const command_rec itsme_cmds[] = {
    AP_INIT_TAKE12("ItsmeProvider", set_provider, NULL, RSRC_CONF,
                   "itsme|itsme-e2e|broker|generic [discovery-url]"),
    AP_INIT_TAKE1("ItsmeIssuer", set_issuer, NULL, RSRC_CONF,
                  "the issuer the OP must present (optional)"),
    AP_INIT_ITERATE("ItsmeTrustedAudiences", add_trusted_audience, NULL, RSRC_CONF,
                    "other parties an ID token's aud may list besides the client id"),
    AP_INIT_TAKE1("ItsmeClientID", set_client_id, NULL, RSRC_CONF, "the client id at the OP"),
    AP_INIT_TAKE1("ItsmeClientSecret", set_client_secret, NULL, RSRC_CONF,
                  "the client secret: value, file:/path or env:NAME"),
    /* itsme direct profile: setters in keys.c */
    AP_INIT_TAKE12("ItsmeClientKey", itsme_keys_set_client_key, NULL, RSRC_CONF,
                   "RSA private key (PEM file) for private_key_jwt and request objects [kid]"),
    AP_INIT_TAKE123("ItsmeDecryptionKey", itsme_keys_add_decryption_key, NULL, RSRC_CONF,
                    "RSA private key (PEM file) for encrypted tokens [kid] [retired]"),
    AP_INIT_TAKE1("ItsmeServiceCode", itsme_cmd_service_code, NULL, RSRC_CONF | ACCESS_CONF,
                  "the itsme service code (adds the scope service:<code>); per server or "
                  "<Location>"),
    AP_INIT_FLAG("ItsmeExpectEncryption", itsme_keys_set_expect_encryption, NULL, RSRC_CONF,
                 "on: ID token and userinfo must be encrypted (default on for itsme)"),
    AP_INIT_FLAG("ItsmeRequestObject", itsme_keys_set_request_object, NULL, RSRC_CONF,
                 "send the authorization parameters as a signed request object"),
    AP_INIT_TAKE1("ItsmeJWKSURI", itsme_keys_set_jwks_uri, NULL, RSRC_CONF,
                  "where the module publishes the RP's public keys (path or URL)"),
    /* end itsme direct profile */
    AP_INIT_TAKE1("ItsmeRedirectURI", set_redirect_uri, NULL, RSRC_CONF,
                  "the redirect URI (path or absolute URL) handled by the module"),
    AP_INIT_ITERATE("ItsmeCryptoPassphrase", add_passphrase, NULL, RSRC_CONF,
                    "passphrases (value, file:/path or env:NAME); the first seals"),
    AP_INIT_TAKE1("ItsmeCookieName", set_cookie_name, NULL, RSRC_CONF,
                  "session cookie name (default itsme_session)"),
    AP_INIT_TAKE1("ItsmeSessionStore", itsme_cmd_session_store, NULL, RSRC_CONF,
                  "cookie | socache:<provider>[:<args>]: where sessions are kept"),
    AP_INIT_FLAG("ItsmeCookiePersistent", set_cookie_persistent, NULL, RSRC_CONF,
                 "on: the session cookie outlives the browser session (Max-Age)"),
    AP_INIT_TAKE1("ItsmeSessionMaxAge", set_max_age, NULL, RSRC_CONF,
                  "session lifetime in seconds (10..604800, default 28800)"),
    AP_INIT_TAKE1("ItsmeSessionInactivityTimeout", set_inactivity, NULL, RSRC_CONF,
                  "idle timeout in seconds (0 = off, or 10..604800)"),
    AP_INIT_TAKE1("ItsmeHTTPTimeout", set_http_timeout, NULL, RSRC_CONF,
                  "timeout of calls to the OP in seconds (1..60, default 5)"),
    AP_INIT_TAKE1("ItsmeCABundle", set_ca_bundle, NULL, RSRC_CONF,
                  "CA certificates (PEM file) to verify the OP"),
    AP_INIT_ITERATE("ItsmeClaims", add_claim, NULL, DIR_SCOPE,
                    "canonical claims to ask for"),
    AP_INIT_ITERATE("ItsmeScope", add_scope, NULL, DIR_SCOPE, "extra scopes to ask for"),
    AP_INIT_ITERATE("ItsmeACRValues", add_acr, NULL, DIR_SCOPE,
                    "acr_values (itsme: basic, advanced)"),
    AP_INIT_TAKE1("ItsmePassClaimsAs", set_pass_as, NULL, DIR_SCOPE,
                  "headers|environment|both|none"),
    /* not in .htaccess: every prefix must be known at startup to be scrubbed */
    AP_INIT_TAKE1("ItsmeHeaderPrefix", set_header_prefix, NULL, RSRC_CONF | ACCESS_CONF,
                  "prefix of claim headers (default X-Itsme-)"),
    AP_INIT_TAKE1("ItsmeEnvPrefix", set_env_prefix, NULL, DIR_SCOPE,
                  "prefix of claim environment variables (default ITSME_)"),
    AP_INIT_TAKE1("ItsmeUnauthAction", set_unauth, NULL, DIR_SCOPE, "auth|401|pass"),
    /* proxies and logout: setters in forwarded.c, logout.c */
    AP_INIT_ITERATE("ItsmeTrustForwardedHeaders", itsme_cmd_trust_forwarded, NULL, RSRC_CONF,
                    "proxies (IP or CIDR) whose X-Forwarded-* / Forwarded headers count"),
    AP_INIT_ITERATE("ItsmeForwardedHeaders", itsme_cmd_forwarded_headers, NULL, RSRC_CONF,
                    "which of a trusted proxy's headers count: proto host port forwarded"),
    AP_INIT_TAKE1("ItsmeLogoutURI", itsme_cmd_logout_uri, NULL, RSRC_CONF,
                  "the logout path handled by the module"),
    AP_INIT_TAKE1("ItsmePostLogoutRedirect", itsme_cmd_post_logout_redirect, NULL, RSRC_CONF,
                  "where to go after logout (path or absolute URL, default /)"),
    AP_INIT_TAKE1("ItsmeBackChannelLogoutURI", itsme_cmd_oplogout_uri,
                  (void *)APR_OFFSETOF(itsme_srv_cfg_t, bcl_uri), RSRC_CONF,
                  "path where the OP posts logout tokens (Back-Channel Logout)"),
    AP_INIT_TAKE1("ItsmeFrontChannelLogoutURI", itsme_cmd_oplogout_uri,
                  (void *)APR_OFFSETOF(itsme_srv_cfg_t, fcl_uri), RSRC_CONF,
                  "path the OP's logout page loads with iss and sid (Front-Channel Logout)"),
    AP_INIT_ITERATE("ItsmeLogoutRedirectAllow", itsme_cmd_logout_allow, NULL, RSRC_CONF,
                    "other origins a logout ?return= target may point to"),
    /* end proxies and logout */
    /* languages: setters in lang.c */
    AP_INIT_TAKE1("ItsmeDefaultLanguage", itsme_cmd_default_language, NULL, RSRC_CONF,
                  "language of the module's pages when the browser asks for none of "
                  "nl, fr, de, en (default en)"),
    AP_INIT_RAW_ARGS("ItsmeUILocales", itsme_cmd_ui_locales, NULL, RSRC_CONF,
                     "auto | off | language tags: ui_locales sent to the OP (default auto)"),
    {NULL}
};
