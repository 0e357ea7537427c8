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
/* all state cookies' values together (they share one Cookie header) */
#define ITSME_STATE_COOKIES_BUDGET 4096
/* the longest return URL a state remembers (a longer one: its path) */
#define ITSME_RETURN_URL_MAX 2048
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

/*
 * The associated data of every sealed session and login state cookie, and
 * the only place it is made: "<cookie name>|<client id>". A value cut from
 * another cookie, or sealed by another relying party that shares the
 * passphrase (another virtual host or instance, another client id), does
 * not open.
 */
static const char *seal_aad(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *name)
{
    return apr_pstrcat(p, name, "|", sc->client_id, NULL);
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
    rv = itsme_seal(r->pool, sc->crypto, seal_aad(r->pool, sc, name),
                    (const unsigned char *)json, strlen(json), &sealed, err);
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

apr_status_t itsme_session_read(request_rec *r, const itsme_srv_cfg_t *sc,
                                itsme_session_t **s, int *key_index, itsme_err_t **err)
{
    const char *name = itsme_cfg_cookie_name(sc);
    const char *v = itsme_cookie_get(r, name, name);
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    itsme_err_t *e = NULL;

    if (!v)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_ENOENT, "no session cookie");
    if (itsme_open(r->pool, sc->crypto, seal_aad(r->pool, sc, name), v, strlen(v), &pt, &len,
                   key_index, &e) != APR_SUCCESS)
        return itsme_err_wrap(r->pool, err, ITSME_E_CRYPTO, e, "session cookie does not open");
    if (itsme_session_parse(r->pool, (const char *)pt, len, s, &e) != APR_SUCCESS)
        return itsme_err_wrap(r->pool, err, ITSME_E_INPUT, e, "session does not parse");
    return APR_SUCCESS;
}

apr_status_t itsme_state_cookie_open(request_rec *r, const itsme_srv_cfg_t *sc,
                                     const char *name, itsme_state_t **st, itsme_err_t **err)
{
    /* a state cookie is one cookie: never joined from chunks */
    const char *v = apr_table_get(itsme_cookie_jar(r, itsme_cfg_cookie_name(sc)), name);
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if (!v)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_ENOENT, "no state cookie");
    rv = itsme_open(r->pool, sc->crypto, seal_aad(r->pool, sc, name), v, strlen(v), &pt, &len,
                    NULL, err);
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
    itsme_err_t *err = NULL;
    itsme_session_t *s = NULL;

    if (itsme_session_read(r, sc, &s, key_index, &err) != APR_SUCCESS)
        return itsme_err_str(r->pool, err);
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
    else {
        itsme_cookie_no_shared_cache(r); /* on the application's answer */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME01102: session cookie re-sealed (%s)",
                      key_index > 0 ? "older passphrase" : "activity");
    }
}

/* ---- unauthenticated callers ---- */

/* error: the WWW-Authenticate error code, or NULL */
static int deny_401(request_rec *r, const char *error)
{
    itsme_www_authenticate(r, error);
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

/* The acr values a session may carry to satisfy `asked` (NULL-terminated):
 * for itsme keys.c's ordering (asking basic admits advanced), otherwise the
 * values asked. NULL when nothing is asked. */
static const char *const *acr_accepted(apr_pool_t *p, const itsme_srv_cfg_t *sc,
                                       const char *asked)
{
    const char *const *ok = itsme_keys_acr_allowed(p, sc, asked);
    apr_array_header_t *a;
    char *copy, *last = NULL, *t;

    if (ok || !asked || !*asked)
        return ok;
    a = apr_array_make(p, 4, sizeof(const char *));
    copy = apr_pstrdup(p, asked);
    for (t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last))
        APR_ARRAY_PUSH(a, const char *) = t;
    APR_ARRAY_PUSH(a, const char *) = NULL;
    return (const char *const *)a->elts;
}

static int acr_listed(const char *const *ok, const char *v)
{
    for (; *ok; ok++)
        if (!strcasecmp(*ok, v))
            return 1;
    return 0;
}

/* 1 when a session made with `have` satisfies `asked`: nothing asked, or
 * every value of have accepted (several when a login asked several and the
 * ID token named none: the weakest of them may have been applied). */
static int acr_satisfies(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *asked,
                         const char *have)
{
    const char *const *ok = acr_accepted(p, sc, asked);
    char *copy, *last = NULL, *t;
    int n = 0;

    if (!ok)
        return 1;
    if (!have)
        return 0;
    copy = apr_pstrdup(p, have);
    for (t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last), n++)
        if (!acr_listed(ok, t))
            return 0;
    return n > 0;
}

const char *itsme_session_acr(request_rec *r, const itsme_srv_cfg_t *sc, const char *asked,
                              const char *token_acr)
{
    if (token_acr && *token_acr && acr_satisfies(r->pool, sc, asked, token_acr))
        return token_acr;
    if (token_acr && *token_acr)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME04000: the ID token's acr %s is not one asked (%s): the session "
                      "records the values asked",
                      ap_escape_logitem(r->pool, apr_pstrndup(r->pool, token_acr, 128)),
                      ap_escape_logitem(r->pool, asked));
    return asked;
}

typedef struct {
    const char *name;
    apr_size_t len;      /* of the value */
    apr_time_t created;  /* 0 when it did not open */
} state_cookie_t;

static int newest_first(const void *a, const void *b)
{
    const state_cookie_t *x = a, *y = b;

    return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

/* The state cookies the request carried, newest first; *total: the length
 * of their values. */
static state_cookie_t *pending_states(request_rec *r, const itsme_srv_cfg_t *sc,
                                      const apr_array_header_t *names, apr_size_t *total)
{
    apr_table_t *jar = itsme_cookie_jar(r, itsme_cfg_cookie_name(sc));
    state_cookie_t *all = apr_pcalloc(r->pool, sizeof(*all) * (apr_size_t)names->nelts);
    int i;

    for (i = 0; i < names->nelts; i++) {
        itsme_state_t *st = NULL;

        all[i].name = APR_ARRAY_IDX(names, i, const char *);
        all[i].len = strlen(apr_table_get(jar, all[i].name));
        *total += all[i].len;
        if (itsme_state_cookie_open(r, sc, all[i].name, &st, NULL) == APR_SUCCESS)
            all[i].created = st->created;
    }
    qsort(all, (size_t)names->nelts, sizeof(*all), newest_first);
    return all;
}

/* Keeps, newest first, at most ITSME_MAX_STATE_COOKIES - 1 older flows whose
 * values fit ITSME_STATE_COOKIES_BUDGET together with the new one (new_len):
 * a browser sends them all in one Cookie header, which httpd limits
 * (LimitRequestFieldSize); over it every request of the site would fail. */
static void bound_state_cookies(request_rec *r, const itsme_srv_cfg_t *sc, apr_size_t new_len)
{
    const char *base = itsme_cfg_cookie_name(sc);
    apr_array_header_t *names = itsme_cookie_state_names(r, base);
    apr_size_t total = new_len;
    state_cookie_t *all;
    int i, expired = 0;

    if (names->nelts == 0)
        return;
    all = pending_states(r, sc, names, &total);
    if (names->nelts < ITSME_MAX_STATE_COOKIES && total <= ITSME_STATE_COOKIES_BUDGET)
        return;
    total = new_len;
    for (i = 0; i < names->nelts; i++) {
        if (i - expired < ITSME_MAX_STATE_COOKIES - 1
            && total + all[i].len <= ITSME_STATE_COOKIES_BUDGET) {
            total += all[i].len;
            continue;
        }
        itsme_cookie_clear(r, base, all[i].name);
        expired++;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME01103: %d pending login state cookie(s), expired %d",
                  names->nelts, expired);
}

static apr_status_t seal_state(request_rec *r, const itsme_srv_cfg_t *sc, const char *name,
                               const itsme_state_t *st, const char **sealed, itsme_err_t **err)
{
    const char *json = itsme_state_serialize(r->pool, st);

    if (!json)
        return itsme_err_make(r->pool, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "cannot serialise the login state");
    return itsme_seal(r->pool, sc->crypto, seal_aad(r->pool, sc, name),
                      (const unsigned char *)json, strlen(json), sealed, err);
}

/* One cookie, never chunked; when too large, without the return URL. */
static apr_status_t set_state_cookie(request_rec *r, const itsme_srv_cfg_t *sc,
                                     itsme_state_t *st, itsme_err_t **err)
{
    const char *base = itsme_cfg_cookie_name(sc);
    const char *name = itsme_cookie_state_name(r->pool, base, st->state), *sealed = NULL;
    apr_status_t rv;

    if ((rv = seal_state(r, sc, name, st, &sealed, err)) != APR_SUCCESS)
        return rv;
    if (strlen(sealed) > ITSME_COOKIE_SINGLE_MAX && strcmp(st->return_url, "/") != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME04001: login state of %" APR_SIZE_T_FMT " bytes is too large "
                      "for one cookie: the login returns to /", strlen(sealed));
        st->return_url = "/";
        if ((rv = seal_state(r, sc, name, st, &sealed, err)) != APR_SUCCESS)
            return rv;
    }
    if (strlen(sealed) > ITSME_COOKIE_SINGLE_MAX)
        return itsme_err_make(r->pool, err, ITSME_E_CONFIG, APR_ENOSPC,
                              "the login state (%" APR_SIZE_T_FMT " bytes sealed) does not "
                              "fit one cookie (ItsmeClaims, ItsmeACRValues too long?)",
                              strlen(sealed));
    bound_state_cookies(r, sc, strlen(sealed));
    return itsme_cookie_set_one(r, name, sealed, apr_time_sec(ITSME_STATE_MAX_AGE));
}

/* Where the login returns: this request's URL, when it is local and at
 * most ITSME_RETURN_URL_MAX long; else its path alone; else "/". */
static const char *return_url(request_rec *r)
{
    const char *u = r->unparsed_uri, *origin = itsme_request_origin(r);
    const char *path = r->parsed_uri.path;

    if (!u || u[0] != '/' || !itsme_url_is_same_origin(u, origin))
        return "/";
    if (strlen(u) <= ITSME_RETURN_URL_MAX)
        return u;
    if (!path || strlen(path) > ITSME_RETURN_URL_MAX || !itsme_url_is_same_origin(path, origin))
        path = "/";
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME04002: the URL of this request (%" APR_SIZE_T_FMT " bytes) is too long "
                  "to return to after the login: returning to %s", strlen(u),
                  path[1] ? "its path" : "/");
    return path;
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

/* error: for a 401, the WWW-Authenticate error code (or NULL) */
static int unauthenticated(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                           const char *error)
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
    return unauthenticated(r, sc, itsme_dir_cfg(r), NULL);
}

/* A valid session whose acr falls short of this location's ItsmeACRValues:
 * not authenticated here. The cookie stays (the user is still logged in for
 * other locations); the new login replaces it. */
static int step_up(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                   const itsme_session_t *s, const char *asked)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME04003: the session's acr (%s) does not satisfy %s here: "
                  "not authenticated for this location",
                  s->acr ? ap_escape_logitem(r->pool, apr_pstrndup(r->pool, s->acr, 128)) : "none",
                  ap_escape_logitem(r->pool, asked));
    return unauthenticated(r, sc, dc, "insufficient_user_authentication");
}

int itsme_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *why, *asked;
    const itsme_srv_cfg_t *sc;
    const itsme_dir_cfg_t *dc;
    itsme_req_t *q;
    itsme_session_t *s = NULL;
    apr_time_t now = apr_time_now();
    int key_index = 0, loaded = 0;

    if (!type || strcasecmp(type, "itsme") != 0)
        return DECLINED;
    sc = itsme_srv_cfg(r->server);
    if (!sc->ready)
        return not_ready(r, sc);
    q = itsme_req(r);
    if (!q->session) {
        if ((why = load_session(r, sc, now, &s, &key_index)) != NULL)
            return no_session(r, sc, why);
        q->session = s;
        loaded = 1;
    }
    dc = itsme_dir_cfg(r);
    asked = acr_values(r, sc, dc);
    if (!acr_satisfies(r->pool, sc, asked, q->session->acr))
        return step_up(r, sc, dc, q->session, asked);
    if (loaded)
        refresh_session(r, sc, q->session, key_index, now);
    return accept_session(r, q->session);
}
