/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * logout.c: ItsmeLogoutURI, answered from the quick handler like the
 * redirect URI. GET or POST ends the local session (with a session store
 * its record is deleted, so a copy of the cookie no longer opens it on any
 * node; the session cookie, any chunks of older versions and every pending
 * login state cookie are expired), then sends the
 * browser on: to the OP's end_session_endpoint (RP-initiated logout, with
 * post_logout_redirect_uri, client_id and, when the session kept an ID
 * token without personal data, id_token_hint) when there was a session,
 * else straight to the target. itsme itself has no
 * end_session_endpoint: there the logout is local only.
 *
 * The target is ItsmePostLogoutRedirect (default "/"; when absolute, its
 * origin must be in ItsmeLogoutRedirectAllow, checked at startup), or a
 * "return" query parameter that must be on the public origin of the request
 * or on an origin listed in ItsmeLogoutRedirectAllow. Anything else is
 * refused with a 400 page (the local session still ends): never an open
 * redirect.
 *
 * Cross-site requests: a logout only ends the local session, and a link to
 * it is a legitimate way to log out, so top-level navigations are accepted
 * from anywhere. A cross-site request that is not a navigation (an image,
 * a script's fetch) has no business here and gets 403 (Sec-Fetch-Site /
 * Sec-Fetch-Mode); with SameSite=Lax cookies such a request could not clear
 * them anyway.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/url.h"
#include "core/session/codec.h"
#include "core/session/session.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define LOGOUT_MAX_PARAMS 16
#define LOGOUT_SHOWN_MAX 200

/* ---- directives ---- */

static int clean_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '\\')
            return 0;
    return 1;
}

const char *itsme_cmd_local_path(cmd_parms *cmd, const char *arg)
{
    if (arg[0] != '/' || arg[1] == '/' || !clean_text(arg) || strpbrk(arg, "?#"))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' must be a path starting with a single '/', without "
                            "query, fragment, spaces or backslashes",
                            cmd->cmd->name, arg);
    return NULL;
}

const char *itsme_cmd_logout_uri(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *why = itsme_cmd_local_path(cmd, arg);

    (void)dc;
    if (!why)
        itsme_srv_cfg(cmd->server)->logout_uri = arg;
    return why;
}

const char *itsme_cmd_post_logout_redirect(cmd_parms *cmd, void *dc, const char *arg)
{
    int ok = arg[0] == '/' ? itsme_url_is_same_origin(arg, NULL)
                           : itsme_url_is_absolute(arg) && clean_text(arg);

    (void)dc;
    if (!ok)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' must be a local path (a single leading '/') or an "
                            "absolute http(s) URL, without spaces or backslashes",
                            cmd->cmd->name, arg);
    itsme_srv_cfg(cmd->server)->post_logout_redirect = arg;
    return NULL;
}

const char *itsme_cmd_logout_allow(cmd_parms *cmd, void *dc, const char *arg)
{
    itsme_srv_cfg_t *c = itsme_srv_cfg(cmd->server);
    const char *auth = strstr(arg, "://");
    apr_size_t n = auth ? strcspn(auth + 3, "/?#") : 0;
    char *origin;

    (void)dc;
    if (!auth || !itsme_url_is_absolute(arg) || !clean_text(arg)
        || memchr(auth + 3, '@', n) || (auth[3 + n] && strcmp(auth + 3 + n, "/") != 0))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an origin (http(s)://host[:port], no path, "
                            "query or user info)",
                            cmd->cmd->name, arg);
    origin = apr_pstrmemdup(cmd->pool, arg, (apr_size_t)(auth - arg) + 3 + n);
    ap_str_tolower(origin);
    if (!c->logout_allow)
        c->logout_allow = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(c->logout_allow, const char *) = origin;
    return NULL;
}

/* url is absolute and on an origin of ItsmeLogoutRedirectAllow. */
static int on_allow_list(const itsme_srv_cfg_t *c, const char *url)
{
    int i;

    if (!itsme_url_is_absolute(url))
        return 0;
    for (i = 0; c->logout_allow && i < c->logout_allow->nelts; i++)
        if (itsme_url_is_same_origin(url, APR_ARRAY_IDX(c->logout_allow, i, const char *)))
            return 1;
    return 0;
}

/* An absolute ItsmePostLogoutRedirect on an origin of the allow-list. The
 * public origin of the server is not known before a request, so even a URL
 * on it has to be listed (or written as a path). */
static int post_logout_allowed(const itsme_srv_cfg_t *c)
{
    if (!c->post_logout_redirect || c->post_logout_redirect[0] == '/')
        return 1;
    return on_allow_list(c, c->post_logout_redirect);
}

int itsme_logout_check(apr_pool_t *p, server_rec *s, const itsme_srv_cfg_t *c)
{
    const char *name = s->server_hostname ? s->server_hostname : "(unnamed)";
    const char *redirect_path = itsme_cfg_redirect_path(p, c);

    if (c->logout_uri && redirect_path && !strcmp(c->logout_uri, redirect_path)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME03050: server %s: ItsmeLogoutURI %s is also the path of "
                     "ItsmeRedirectURI; give the logout its own path", name, c->logout_uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!post_logout_allowed(c)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME04130: server %s: ItsmePostLogoutRedirect %s is not on an origin "
                     "listed in ItsmeLogoutRedirectAllow; add its origin there (or use a "
                     "local path)", name,
                     apr_pstrndup(p, c->post_logout_redirect, LOGOUT_SHOWN_MAX));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* ---- the request ---- */

int itsme_logout_matches(request_rec *r, const itsme_srv_cfg_t *sc)
{
    return sc->ready && sc->logout_uri && r->parsed_uri.path
           && strcmp(r->parsed_uri.path, sc->logout_uri) == 0;
}

/* The request's session (NULL when none opens), whatever its expiry: an
 * expired session may still be open at the OP. */
static const itsme_session_t *session_of(request_rec *r, const itsme_srv_cfg_t *sc)
{
    itsme_session_t *s = NULL;

    if (itsme_session_load(r, sc, &s, NULL, NULL) != APR_SUCCESS
        || !itsme_cfg_issuer_fits(sc, s->issuer))
        return NULL;
    return s;
}

static void end_local_session(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *base = itsme_cfg_cookie_name(sc);
    apr_array_header_t *states = itsme_cookie_state_names(r, base);
    int i;

    itsme_session_end(r, sc); /* with a store, the record is deleted */
    for (i = 0; i < states->nelts; i++)
        itsme_cookie_clear(r, base, APR_ARRAY_IDX(states, i, const char *));
}

/* The absolute URL to continue to, or NULL when `wanted` is refused. */
static const char *logout_target(request_rec *r, const itsme_srv_cfg_t *sc, const char *wanted)
{
    if (!wanted)
        wanted = sc->post_logout_redirect ? sc->post_logout_redirect : "/";
    else if (!itsme_url_is_same_origin(wanted, itsme_public_origin(r)))
        return on_allow_list(sc, wanted) ? wanted : NULL;
    return wanted[0] == '/' ? itsme_public_url(r, wanted) : wanted;
}

/* RP-initiated logout at the OP for session s, or NULL for a local-only
 * logout (no session, or an OP without end_session_endpoint). The session's
 * ID token goes as id_token_hint when it kept one (only tokens without
 * personal data are kept, see callback.c); else client_id alone names the
 * relying party (RP-Initiated Logout 1.0 §2), and the OP may ask the
 * person to confirm. */
static const char *op_logout_url(request_rec *r, const itsme_srv_cfg_t *sc,
                                 const itsme_session_t *s, const char *target)
{
    itsme_metadata_t *md = NULL;
    itsme_err_t *err = NULL;
    apr_table_t *params;

    if (!s)
        return NULL;
    if (itsme_metadata_for(r, sc, apr_time_now(), &md, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME03051: logout at the OP skipped, provider metadata "
                      "unavailable: %s", itsme_err_str(r->pool, err));
        return NULL;
    }
    if (!md->end_session_endpoint)
        return NULL;
    params = apr_table_make(r->pool, 3);
    if (s->id_token)
        apr_table_setn(params, "id_token_hint", s->id_token);
    apr_table_setn(params, "post_logout_redirect_uri", target);
    apr_table_setn(params, "client_id", sc->client_id);
    return itsme_url_add_query(r->pool, md->end_session_endpoint, params);
}

static int cross_site_subresource(request_rec *r)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");

    return site && !strcasecmp(site, "cross-site") && (!mode || strcasecmp(mode, "navigate"));
}

/* 0 and *wanted (NULL when absent), or -1 for a malformed query. */
static int return_param(request_rec *r, const char **wanted)
{
    apr_table_t *q = apr_table_make(r->pool, 4);
    const apr_array_header_t *all;
    int i, n = 0;

    *wanted = NULL;
    if (!r->args)
        return 0;
    if (itsme_url_parse_query(r->pool, r->args, LOGOUT_MAX_PARAMS, q, NULL) != APR_SUCCESS)
        return -1;
    all = apr_table_elts(q);
    for (i = 0; i < all->nelts; i++)
        if (!strcmp(((const apr_table_entry_t *)all->elts)[i].key, "return"))
            n++;
    *wanted = apr_table_get(q, "return");
    return n > 1 ? -1 : 0;
}

static int refused(request_rec *r, const itsme_srv_cfg_t *sc, const char *why)
{
    end_local_session(r, sc);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME03052: logout: local session ended; %s", why);
    return itsme_page_send(r, HTTP_BAD_REQUEST, ITSME_PAGE_SIGNED_OUT,
                           sc->post_logout_redirect ? sc->post_logout_redirect : "/");
}

int itsme_logout_handle(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *wanted = NULL, *target, *op;
    const itsme_session_t *s;

    itsme_no_store(r);
    if (r->method_number != M_GET && r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, POST");
        return itsme_page_send(r, HTTP_METHOD_NOT_ALLOWED, ITSME_PAGE_METHOD, NULL);
    }
    if (cross_site_subresource(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME03053: logout refused: cross-site request that is not a "
                      "navigation");
        return itsme_page_send(r, HTTP_FORBIDDEN, ITSME_PAGE_LOGOUT_REFUSED, NULL);
    }
    if (return_param(r, &wanted) != 0)
        return refused(r, sc, "malformed query (or more than one 'return')");
    target = logout_target(r, sc, wanted);
    if (!target)
        return refused(r, sc, apr_pstrcat(r->pool, "return target refused (not this origin "
                                          "nor in ItsmeLogoutRedirectAllow): ",
                                          ap_escape_logitem(r->pool, apr_pstrndup(
                                              r->pool, wanted, LOGOUT_SHOWN_MAX)), NULL));
    s = session_of(r, sc);
    end_local_session(r, sc);
    op = op_logout_url(r, sc, s, target);
    apr_table_setn(r->err_headers_out, "Location", op ? op : target);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME03054: logout: local session ended%s, continuing to %s",
                  !s ? " (there was none)" : s->id_token ? "" : " (no id_token_hint)",
                  op ? "the OP's end_session_endpoint"
                     : ap_escape_logitem(r->pool, apr_pstrndup(r->pool, target,
                                                                LOGOUT_SHOWN_MAX)));
    return r->method_number == M_POST ? HTTP_SEE_OTHER : HTTP_MOVED_TEMPORARILY;
}
