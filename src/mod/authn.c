/*
 * authn.c: check_authn for AuthType itsme. A valid session cookie makes the
 * request authenticated (claims exported); anything else (absent, tampered,
 * expired, foreign) ends in the configured unauth action: start a login at
 * the OP, answer 401, or pass on anonymously. Also the helpers the callback
 * shares: metadata, redirect URI, sealing the session and state cookies.
 */
#include <stdlib.h>

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
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define ITSME_MAX_STATE_COOKIES 5
/* ITSME_ACR_BASIC / ITSME_ACR_ADVANCED: mod.h (shared with the callback) */

/* ---- helpers shared with the callback ---- */

/* public origin: a trusted proxy's forwarded headers count (forwarded.c) */
const char *itsme_request_origin(request_rec *r)
{
    return itsme_public_origin(r);
}

const char *itsme_redirect_uri(request_rec *r, const itsme_srv_cfg_t *sc)
{
    if (sc->redirect_uri[0] == '/')
        return itsme_public_url(r, sc->redirect_uri);
    return sc->redirect_uri;
}

apr_status_t itsme_metadata_for(request_rec *r, const itsme_srv_cfg_t *sc, apr_time_t now,
                                itsme_metadata_t **md, itsme_err_t **err)
{
    apr_status_t rv;

    rv = itsme_metadata_get(sc->cache, r->pool, &sc->http, sc->discovery_url,
                            itsme_cfg_expected_issuer(sc), ITSME_DISCOVERY_TTL, now, md, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (!itsme_cfg_issuer_fits(sc, (*md)->issuer))
        return itsme_err_make(r->pool, err, ITSME_E_OP, APR_EINVAL,
                              "discovery issuer does not fit the discovery URL %s "
                              "(set ItsmeIssuer to pin it)", sc->discovery_url);
    return APR_SUCCESS;
}

apr_status_t itsme_session_store(request_rec *r, const itsme_srv_cfg_t *sc,
                                 const itsme_session_t *s, itsme_err_t **err)
{
    const char *name = itsme_cfg_cookie_name(sc);
    const char *json = itsme_session_serialize(r->pool, s), *sealed = NULL;
    apr_int64_t left;
    apr_status_t rv;

    if (!json)
        return itsme_err_make(r->pool, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "cannot serialise the session");
    rv = itsme_seal(r->pool, sc->crypto, name, (const unsigned char *)json, strlen(json),
                    &sealed, err);
    if (rv != APR_SUCCESS)
        return rv;
    left = apr_time_sec(s->expires - apr_time_now());
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME01109: session sealed: %" APR_SIZE_T_FMT " bytes of JSON (ID token %"
                  APR_SIZE_T_FMT "), %" APR_SIZE_T_FMT " in the cookie",
                  strlen(json), s->id_token ? strlen(s->id_token) : 0, strlen(sealed));
    itsme_cookie_set(r, name, name, sealed, left);
    return APR_SUCCESS;
}

apr_status_t itsme_state_cookie_open(request_rec *r, const itsme_srv_cfg_t *sc,
                                     const char *name, itsme_state_t **st, itsme_err_t **err)
{
    const char *base = itsme_cfg_cookie_name(sc);
    const char *v = itsme_cookie_get(r, base, name);
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if (!v)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_ENOENT, "no state cookie");
    rv = itsme_open(r->pool, sc->crypto, name, v, strlen(v), &pt, &len, NULL, err);
    if (rv == APR_SUCCESS)
        rv = itsme_state_parse(r->pool, (const char *)pt, len, apr_time_now(),
                               ITSME_STATE_MAX_AGE, st, err);
    return rv;
}

/* ---- the session cookie ---- */

static const char *check_status(itsme_session_status_e st)
{
    switch (st) {
    case ITSME_SESSION_OK:
        return NULL;
    case ITSME_SESSION_EXPIRED:
        return "session expired";
    case ITSME_SESSION_IDLE:
        return "session idle for too long";
    default:
        return "session created in the future";
    }
}

/* NULL and *out on success, else why not (safe to log). */
static const char *load_session(request_rec *r, const itsme_srv_cfg_t *sc, apr_time_t now,
                                itsme_session_t **out, int *key_index)
{
    const char *name = itsme_cfg_cookie_name(sc);
    const char *v = itsme_cookie_get(r, name, name);
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    itsme_err_t *err = NULL;
    itsme_session_t *s = NULL;

    if (!v)
        return "no session cookie";
    if (itsme_open(r->pool, sc->crypto, name, v, strlen(v), &pt, &len, key_index, &err)
        != APR_SUCCESS)
        return apr_pstrcat(r->pool, "session cookie does not open: ",
                           itsme_err_str(r->pool, err), NULL);
    if (itsme_session_parse(r->pool, (const char *)pt, len, &s, &err) != APR_SUCCESS)
        return apr_pstrcat(r->pool, "session does not parse: ", itsme_err_str(r->pool, err),
                           NULL);
    if (!s->sub || !*s->sub)
        return "session without subject";
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

/* Re-seals under the current key, or to record activity. */
static void refresh_session(request_rec *r, const itsme_srv_cfg_t *sc,
                            const itsme_session_t *s, int key_index, apr_time_t now)
{
    itsme_session_t *n;
    itsme_err_t *err = NULL;

    if (r->main || (key_index <= 0 && !itsme_session_touch_due(s, now, itsme_cfg_inactivity(sc))))
        return;
    n = apr_pmemdup(r->pool, s, sizeof(*s));
    n->last_seen = now;
    if (itsme_session_store(r, sc, n, &err) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME01100: cannot refresh the session cookie: %s",
                      itsme_err_str(r->pool, err));
    else
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME01102: session cookie re-sealed (%s)",
                      key_index > 0 ? "older passphrase" : "activity");
}

/* ---- unauthenticated callers ---- */

static int deny_401(request_rec *r)
{
    itsme_www_authenticate(r, NULL);
    itsme_no_store(r);
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

/* ItsmeACRValues, with the itsme shorthands basic/advanced expanded. */
static const char *acr_values(request_rec *r, const itsme_srv_cfg_t *sc,
                              const itsme_dir_cfg_t *dc)
{
    char *copy, *last = NULL, *tok;
    const char *out = NULL;

    if (!dc->acr_values || sc->profile != ITSME_PROFILE_ITSME)
        return dc->acr_values;
    copy = apr_pstrdup(r->pool, dc->acr_values);
    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
        const char *v = tok;

        if (!strcasecmp(tok, "basic"))
            v = ITSME_ACR_BASIC;
        else if (!strcasecmp(tok, "advanced"))
            v = ITSME_ACR_ADVANCED;
        out = out ? apr_pstrcat(r->pool, out, " ", v, NULL) : v;
    }
    return out;
}

typedef struct {
    const char *name;
    apr_time_t created;  /* 0 when it did not open */
} state_cookie_t;

static int newest_first(const void *a, const void *b)
{
    const state_cookie_t *x = a, *y = b;

    return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

/* Keeps at most ITSME_MAX_STATE_COOKIES - 1 older flows alive. */
static void bound_state_cookies(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *base = itsme_cfg_cookie_name(sc);
    apr_array_header_t *names = itsme_cookie_state_names(r, base);
    state_cookie_t *all;
    int i;

    if (names->nelts < ITSME_MAX_STATE_COOKIES)
        return;
    all = apr_pcalloc(r->pool, sizeof(*all) * (apr_size_t)names->nelts);
    for (i = 0; i < names->nelts; i++) {
        itsme_state_t *st = NULL;

        all[i].name = APR_ARRAY_IDX(names, i, const char *);
        if (itsme_state_cookie_open(r, sc, all[i].name, &st, NULL) == APR_SUCCESS)
            all[i].created = st->created;
    }
    qsort(all, (size_t)names->nelts, sizeof(*all), newest_first);
    for (i = ITSME_MAX_STATE_COOKIES - 1; i < names->nelts; i++)
        itsme_cookie_clear(r, base, all[i].name);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME01103: %d pending login state cookie(s), expired %d",
                  names->nelts, names->nelts - (ITSME_MAX_STATE_COOKIES - 1));
}

static apr_status_t set_state_cookie(request_rec *r, const itsme_srv_cfg_t *sc,
                                     const itsme_state_t *st, itsme_err_t **err)
{
    const char *base = itsme_cfg_cookie_name(sc);
    const char *name = itsme_cookie_state_name(r->pool, base, st->state);
    const char *json = itsme_state_serialize(r->pool, st), *sealed = NULL;
    apr_status_t rv;

    if (!json)
        return itsme_err_make(r->pool, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "cannot serialise the login state");
    rv = itsme_seal(r->pool, sc->crypto, name, (const unsigned char *)json, strlen(json),
                    &sealed, err);
    if (rv != APR_SUCCESS)
        return rv;
    bound_state_cookies(r, sc);
    itsme_cookie_set(r, base, name, sealed, apr_time_sec(ITSME_STATE_MAX_AGE));
    return APR_SUCCESS;
}

static const char *return_url(request_rec *r)
{
    const char *u = r->unparsed_uri;

    if (!u || u[0] != '/' || !itsme_url_is_same_origin(u, itsme_request_origin(r)))
        return "/";
    return u;
}

static apr_status_t authz_url(request_rec *r, const itsme_srv_cfg_t *sc,
                              const itsme_dir_cfg_t *dc, const itsme_metadata_t *md,
                              itsme_state_t *st, const char **url, itsme_err_t **err)
{
    apr_array_header_t *wanted = dc->claims;
    itsme_authz_req_t az;
    apr_status_t rv;

    if (!wanted)
        wanted = apr_array_make(r->pool, 1, sizeof(const char *));
    memset(&az, 0, sizeof(az));
    rv = itsme_claims_request(r->pool, sc->profile, wanted, dc->scope, sc->service_code,
                              &az.scope, &az.claims, err);
    if (rv != APR_SUCCESS)
        return rv;
    st->wanted_claims = wanted->nelts ? apr_array_pstrcat(r->pool, wanted, ' ') : NULL;
    st->acr = acr_values(r, sc, dc);
    az.authorization_endpoint = md->authorization_endpoint;
    az.client_id = sc->client_id;
    az.redirect_uri = itsme_redirect_uri(r, sc);
    az.state = st->state;
    az.nonce = st->nonce;
    az.code_challenge = itsme_pkce_s256(r->pool, st->code_verifier);
    az.acr_values = st->acr;
    /* itsme direct profile: the request object (keys.c) */
    if ((rv = itsme_keys_request_object(r, sc, md, &az, err)) != APR_SUCCESS)
        return rv;
    return itsme_authorize_url(r->pool, &az, url, err);
}

static int login_failed(request_rec *r, int status, const char *what, const itsme_err_t *err)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ITSME01104: cannot start the login: %s: %s",
                  what, itsme_err_str(r->pool, err));
    if (status == HTTP_BAD_GATEWAY)
        return itsme_page_send(r, status, "Login unavailable",
                               "The identity provider cannot be reached right now. "
                               "Please try again later.");
    return itsme_page_send(r, status, "Login unavailable",
                           "The login could not be started because of a server problem.");
}

static int login_start(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc)
{
    apr_time_t now = apr_time_now();
    itsme_metadata_t *md = NULL;
    itsme_state_t *st = NULL;
    itsme_err_t *err = NULL;
    const char *url = NULL;

    if (itsme_metadata_for(r, sc, now, &md, &err) != APR_SUCCESS)
        return login_failed(r, HTTP_BAD_GATEWAY, "provider metadata", err);
    if (itsme_state_new(r->pool, return_url(r), now, &st, &err) != APR_SUCCESS)
        return login_failed(r, HTTP_INTERNAL_SERVER_ERROR, "state", err);
    if (authz_url(r, sc, dc, md, st, &url, &err) != APR_SUCCESS)
        return login_failed(r, HTTP_INTERNAL_SERVER_ERROR, "authorization request", err);
    if (set_state_cookie(r, sc, st, &err) != APR_SUCCESS)
        return login_failed(r, HTTP_INTERNAL_SERVER_ERROR, "state cookie", err);
    apr_table_setn(r->err_headers_out, "Location", url);
    itsme_no_store(r);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME01105: redirecting to the OP for login (state %s...)",
                  apr_pstrndup(r->pool, st->state, 6));
    return HTTP_MOVED_TEMPORARILY;
}

static int unauthenticated(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc)
{
    switch (itsme_cfg_unauth(dc)) {
    case ITSME_UNAUTH_PASS:
        r->user = apr_pstrdup(r->pool, "");
        r->ap_auth_type = "itsme";
        return OK;
    case ITSME_UNAUTH_401:
        return deny_401(r);
    default:
        if (r->prev && ap_is_HTTP_ERROR(r->prev->status)) {
            /* an ErrorDocument inside a protected area: no login detour */
            return deny_401(r);
        }
        if (cannot_follow(r)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "ITSME01106: caller cannot follow a redirect: 401");
            return deny_401(r);
        }
        return login_start(r, sc, dc);
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
    return itsme_page_send(r, HTTP_INTERNAL_SERVER_ERROR, "Login not configured",
                           "This location requires a login that is not configured on "
                           "this server.");
}

int itsme_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *why, *name;
    const itsme_srv_cfg_t *sc;
    itsme_req_t *q;
    itsme_session_t *s = NULL;
    apr_time_t now = apr_time_now();
    int key_index = 0, had_cookie;

    if (!type || strcasecmp(type, "itsme") != 0)
        return DECLINED;
    sc = itsme_srv_cfg(r->server);
    if (!sc->ready)
        return not_ready(r, sc);
    q = itsme_req(r);
    if (q->session)
        return accept_session(r, q->session);
    why = load_session(r, sc, now, &s, &key_index);
    if (!why) {
        q->session = s;
        refresh_session(r, sc, s, key_index, now);
        return accept_session(r, s);
    }
    name = itsme_cfg_cookie_name(sc);
    had_cookie = apr_table_get(itsme_cookie_jar(r, name), name) != NULL;
    ap_log_rerror(APLOG_MARK, had_cookie ? APLOG_INFO : APLOG_DEBUG, 0, r,
                  "ITSME01108: not authenticated: %s", why);
    if (had_cookie && !r->main)
        itsme_cookie_clear(r, name, name);
    return unauthenticated(r, sc, itsme_dir_cfg(r));
}
