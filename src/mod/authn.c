/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * authn.c: check_authn for AuthType itsme, the decision only. A valid
 * session (session.c: the cookie, or the record its cookie names) makes
 * the request authenticated (claims exported); anything else (absent,
 * tampered, expired, foreign, logged out) ends in the configured unauth
 * action: start a login at the OP (flow.c), answer 401, or pass on
 * anonymously. A valid session that falls short of the location (its acr,
 * or claims it asks for) steps up: one new login for both (stepup.c). A
 * session store that cannot be reached answers 503.
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "core/url.h"
#include "core/proto/authorize.h"
#include "core/proto/metadata.h"
#include "core/proto/state.h"
#include "core/session/codec.h"
#include "core/session/session.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/counters.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

/* ---- the session cookie ---- */

static const char *check_status(itsme_session_status_e st)
{
    switch (st) {
    case ITSME_SESSION_OK:
        return NULL;
    case ITSME_SESSION_EXPIRED:
        itsme_counter_inc(ITSME_CTR_SESSION_EXPIRED);
        return "session expired";
    case ITSME_SESSION_IDLE:
        itsme_counter_inc(ITSME_CTR_SESSION_EXPIRED);
        return "session idle for too long";
    default:
        return "session created in the future";
    }
}

/* The login refuses a sub with control characters (core/proto/id_token.c);
 * a session sealed before that rule must not bring one to r->user. */
static int printable_sub(const char *sub)
{
    for (; *sub; sub++)
        if ((unsigned char)*sub < 0x20 || *sub == 0x7f)
            return 0;
    return 1;
}

/* NULL and *out on success, else why not (safe to log); *err set when the
 * session store could not be reached. */
static const char *load_session(request_rec *r, const itsme_srv_cfg_t *sc, apr_time_t now,
                                itsme_session_t **out, int *key_index, itsme_err_t **err)
{
    itsme_session_t *s = NULL;
    itsme_err_t *e = NULL;

    if (itsme_session_load(r, sc, &s, key_index, &e) != APR_SUCCESS) {
        if (itsme_err_root_kind(e) == ITSME_E_UNAVAILABLE)
            *err = e;
        return itsme_err_str(r->pool, e);
    }
    if (!s->sub || !*s->sub)
        return "session without subject";
    if (!printable_sub(s->sub))
        return "session subject with control characters";
    if (!itsme_cfg_issuer_fits(sc, s->issuer))
        return "session from another issuer";
    *out = s;
    return check_status(itsme_session_check(s, now, itsme_cfg_inactivity(sc)));
}

static int accept_session(request_rec *r, const itsme_session_t *s)
{
    r->user = apr_pstrdup(r->pool, s->sub);
    r->ap_auth_type = "itsme";
    itsme_export_claims(r, s);
    return OK;
}

/* Re-seals under the current key, or to record activity (a store rewrites
 * the record; its cookie only changes with the passphrase). */
static void refresh_session(request_rec *r, const itsme_srv_cfg_t *sc,
                            const itsme_session_t *s, int key_index, apr_time_t now)
{
    itsme_session_t *n;
    itsme_err_t *err = NULL;

    if (r->main || (key_index <= 0 && !itsme_session_touch_due(s, now, itsme_cfg_inactivity(sc))))
        return;
    n = apr_pmemdup(r->pool, s, sizeof(*s));
    n->last_seen = now;
    if (itsme_session_save(r, sc, n, 0, &err) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME01100: cannot refresh the session: %s",
                      itsme_err_str(r->pool, err));
    else {
        itsme_cookie_no_shared_cache(r); /* on the application's answer */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME01102: session re-sealed (%s)",
                      key_index > 0 ? "older passphrase" : "activity");
    }
}

/* ---- unauthenticated callers ---- */

/* error: the WWW-Authenticate error code, or NULL */
static int deny_401(request_rec *r, const char *error)
{
    itsme_www_authenticate(r, error);
    itsme_no_store(r);
    itsme_page_note(r, ITSME_PAGE_LOGIN_REQUIRED);
    if (!itsme_page_error_document(r, HTTP_UNAUTHORIZED))
        itsme_page_error_body(r, HTTP_UNAUTHORIZED, ITSME_PAGE_LOGIN_REQUIRED);
    return HTTP_UNAUTHORIZED;
}

/* XHR / fetch / API callers cannot follow a redirect to the OP. */
static int cannot_follow(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    const char *xrw = apr_table_get(r->headers_in, "X-Requested-With");
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");

    if (accept && ap_strcasestr(accept, "application/json") && !ap_strcasestr(accept, "text/html"))
        return 1;
    if (xrw && !strcasecmp(xrw, "XMLHttpRequest"))
        return 1;
    return mode && !strcasecmp(mode, "cors");
}

/* error: for a 401, the WWW-Authenticate error code (or NULL); held: the
 * valid session a login would step up (NULL: none), lacking its claims. */
static int unauthenticated(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                           const char *error, const itsme_session_t *held, const char *lacking)
{
    switch (itsme_cfg_unauth(dc)) {
    case ITSME_UNAUTH_PASS:
        r->user = apr_pstrdup(r->pool, "");
        r->ap_auth_type = "itsme";
        return OK;
    case ITSME_UNAUTH_401:
        return deny_401(r, error);
    default:
        if (r->prev && ap_is_HTTP_ERROR(r->prev->status)) {
            /* an ErrorDocument inside a protected area: no login detour */
            return deny_401(r, error);
        }
        if (cannot_follow(r)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "ITSME01106: caller cannot follow a redirect: 401");
            return deny_401(r, error);
        }
        if (held)
            return itsme_flow_step_up(r, sc, dc, held, lacking);
        return itsme_flow_start(r, sc, dc);
    }
}

/* ---- the hook ---- */

static int not_ready(request_rec *r, const itsme_srv_cfg_t *sc)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "ITSME01107: AuthType itsme for %s, but server %s has no complete "
                  "mod_auth_itsme configuration (%s missing)",
                  ap_escape_logitem(r->pool, r->uri),
                  r->server->server_hostname ? r->server->server_hostname : "(unnamed)",
                  itsme_cfg_missing(sc) ? itsme_cfg_missing(sc) : "runtime");
    return itsme_page_send(r, HTTP_INTERNAL_SERVER_ERROR, ITSME_PAGE_NOT_CONFIGURED, NULL);
}

/* No valid session: log why, expire a bad cookie, then the unauth action. */
static int no_session(request_rec *r, const itsme_srv_cfg_t *sc, const char *why)
{
    const char *name = itsme_cfg_cookie_name(sc);
    int had_cookie = apr_table_get(itsme_cookie_jar(r, name), name) != NULL;

    ap_log_rerror(APLOG_MARK, had_cookie ? APLOG_INFO : APLOG_DEBUG, 0, r,
                  "ITSME01108: not authenticated: %s", why);
    if (had_cookie && !r->main) {
        itsme_cookie_clear(r, name, name);
        itsme_cookie_no_shared_cache(r); /* the application's answer, with pass */
    }
    return unauthenticated(r, sc, itsme_dir_cfg(r), NULL, NULL, NULL);
}

/* A valid session whose acr falls short of this location's ItsmeACRValues
 * (asked; NULL when it does not), or that lacks claims the location asks
 * for: not authenticated here. The cookie stays (the user is still logged
 * in for other locations); one new login asks for both, and the callback
 * merges it into the same person's session (stepup.c). */
static int step_up(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                   const itsme_session_t *s, const char *asked, const char *lacking)
{
    itsme_counter_inc(ITSME_CTR_STEPUP);
    if (asked)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME04003: the session's acr (%s) does not satisfy %s here: "
                      "not authenticated for this location",
                      s->acr ? ap_escape_logitem(r->pool, apr_pstrndup(r->pool, s->acr, 128))
                             : "none",
                      ap_escape_logitem(r->pool, asked));
    if (lacking)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME07104: the session lacks %s, which this location asks for: "
                      "step-up", ap_escape_logitem(r->pool, lacking));
    return unauthenticated(r, sc, dc,
                           asked ? "insufficient_user_authentication" : "insufficient_claims",
                           s, lacking);
}

int itsme_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *why, *asked, *lacking = NULL;
    const itsme_srv_cfg_t *sc;
    const itsme_dir_cfg_t *dc;
    itsme_req_t *q;
    itsme_session_t *s = NULL;
    itsme_err_t *err = NULL;
    apr_time_t now = apr_time_now();
    int key_index = 0, loaded = 0;

    if (!type || strcasecmp(type, "itsme") != 0)
        return DECLINED;
    sc = itsme_srv_cfg(r->server);
    if (!sc->ready)
        return not_ready(r, sc);
    q = itsme_req(r);
    if (!q->session) {
        if ((why = load_session(r, sc, now, &s, &key_index, &err)) != NULL)
            return err ? itsme_session_unavailable(r, 0, err) : no_session(r, sc, why);
        q->session = s;
        loaded = 1;
    }
    dc = itsme_dir_cfg(r);
    asked = itsme_acr_values(r, sc, dc);
    if (itsme_acr_satisfies(r->pool, sc, asked, q->session->acr))
        asked = NULL;
    /* claims: not for a subrequest, nor where anonymous callers pass (the
     * session is accepted as it is there) */
    if (!r->main && itsme_cfg_unauth(dc) != ITSME_UNAUTH_PASS)
        lacking = itsme_stepup_lacking(r, sc, dc, q->session);
    if (asked || lacking)
        return step_up(r, sc, dc, q->session, asked, lacking);
    if (loaded)
        refresh_session(r, sc, q->session, key_index, now);
    return accept_session(r, q->session);
}
