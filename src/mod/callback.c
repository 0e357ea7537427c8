/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * callback.c: the redirect URI. Served from the quick handler (before any
 * access control runs): checks the answer against the sealed state cookie,
 * exchanges the code, validates the ID token, gathers the claims, keeps the
 * session (session.c: in its cookie, or in the session store) and sends the
 * browser back where it started. With a store, an answer already used is
 * refused before its code is exchanged.
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "core/json.h"
#include "core/url.h"
#include "core/proto/id_token.h"
#include "core/proto/jwks.h"
#include "core/proto/logout_token.h"
#include "core/proto/metadata.h"
#include "core/proto/token.h"
#include "core/proto/userinfo.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/counters.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define ITSME_CALLBACK_MAX_PARAMS 32
#define ITSME_SHOWN_ERROR_MAX 64

typedef struct {
    request_rec *r;
    const itsme_srv_cfg_t *sc;
    apr_time_t now;
    itsme_metadata_t *md;
    const char *issuer;
    itsme_jwks_source_t keys;
    itsme_logger_t log;
} login_t;

int itsme_callback_matches(request_rec *r, const itsme_srv_cfg_t *sc)
{
    return sc->ready && sc->redirect_path && r->parsed_uri.path
           && strcmp(r->parsed_uri.path, sc->redirect_path) == 0;
}

static int state_syntax_ok(const char *s)
{
    apr_size_t n = 0;

    for (; s && *s; s++, n++)
        if (!apr_isalnum(*s) && *s != '-' && *s != '_')
            return 0;
    return n >= 16 && n <= 128;
}

static int count_key(void *baton, const char *key, const char *val)
{
    (void)key;
    (void)val;
    ++*(int *)baton;
    return 1;
}

static int duplicated(const apr_table_t *t, const char *key)
{
    int n = 0;

    apr_table_do(count_key, &n, t, key, NULL);
    return n > 1;
}

static int bad_request(request_rec *r, const char *why, itsme_page_e page)
{
    itsme_counter_inc(ITSME_CTR_FAIL_STATE);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ITSME01200: callback refused: %s", why);
    return itsme_page_send(r, HTTP_BAD_REQUEST, page, NULL);
}

static int op_error(request_rec *r, const apr_table_t *q, const char *error)
{
    const char *desc = apr_table_get(q, "error_description");
    const char *shown = apr_pstrndup(r->pool, error, ITSME_SHOWN_ERROR_MAX);

    itsme_counter_inc(ITSME_CTR_FAIL_OP_ERROR);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  "ITSME01201: the OP answered with error %s (%s)",
                  ap_escape_logitem(r->pool, shown),
                  desc ? ap_escape_logitem(r->pool, apr_pstrndup(r->pool, desc, 200)) : "-");
    if (!strcmp(error, "access_denied"))
        return itsme_page_send(r, HTTP_FORBIDDEN, ITSME_PAGE_CANCELLED, NULL);
    return itsme_page_send_detail(r, HTTP_BAD_GATEWAY, ITSME_PAGE_OP_ERROR, NULL, shown);
}

static int is_timeout(const itsme_err_t *e)
{
    for (; e; e = e->cause)
        if (APR_STATUS_IS_TIMEUP(e->status) || APR_STATUS_IS_ETIMEDOUT(e->status))
            return 1;
    return 0;
}

/* The session does not fit its cookie: the person is told, the admin is
 * told the fix. */
static int session_too_large(request_rec *r, const itsme_err_t *err)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "ITSME05020: login refused: %s; the claims asked for (ItsmeClaims, Require "
                  "itsme-claim) need a server-side session: set ItsmeSessionStore "
                  "socache:shmcb (one host) or socache:redis:<host>:<port> (a cluster)",
                  itsme_err_str(r->pool, err));
    return itsme_page_send(r, HTTP_INTERNAL_SERVER_ERROR, ITSME_PAGE_TOO_BIG, NULL);
}

static int login_error(request_rec *r, const char *what, const itsme_err_t *err)
{
    itsme_err_kind_e kind = itsme_err_root_kind(err);

    itsme_counter_login_failed(kind);
    if (kind == ITSME_E_UNAVAILABLE)
        return itsme_session_unavailable(r, 1, err);
    if (kind == ITSME_E_CONFIG && err->status == APR_ENOSPC && !strcmp(what, "session"))
        return session_too_large(r, err);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ITSME01202: login failed (%s): %s", what,
                  itsme_err_str(r->pool, err));
    switch (kind) {
    case ITSME_E_INPUT:
        return itsme_page_send(r, HTTP_BAD_REQUEST, ITSME_PAGE_BAD_ANSWER, NULL);
    case ITSME_E_NETWORK:
        return itsme_page_send(r, is_timeout(err) ? HTTP_GATEWAY_TIME_OUT : HTTP_BAD_GATEWAY,
                               ITSME_PAGE_OP_UNAVAILABLE, NULL);
    case ITSME_E_OP:
    case ITSME_E_TOKEN:
    case ITSME_E_CRYPTO:
    case ITSME_E_EXPIRED:
        return itsme_page_send(r, HTTP_BAD_GATEWAY, ITSME_PAGE_NOT_VERIFIED, NULL);
    default:
        return itsme_page_send(r, HTTP_INTERNAL_SERVER_ERROR, ITSME_PAGE_SERVER_ERROR, NULL);
    }
}

/* ---- the protocol steps ---- */

static apr_status_t exchange_code(login_t *l, const itsme_state_t *st, const char *code,
                                  itsme_token_resp_t **tok, itsme_err_t **err)
{
    const itsme_srv_cfg_t *sc = l->sc;
    itsme_token_req_t tr;

    memset(&tr, 0, sizeof(tr));
    tr.auth = itsme_token_choose_auth(l->md, sc->client_secret != NULL, sc->client_key != NULL);
    if (tr.auth == ITSME_AUTH_NONE)
        return itsme_err_make(l->r->pool, err, ITSME_E_CONFIG, APR_EINVAL,
                              "the OP offers no client authentication method we are "
                              "configured for");
    tr.token_endpoint = l->md->token_endpoint;
    tr.client_id = sc->client_id;
    tr.client_secret = sc->client_secret;
    tr.client_key = sc->client_key;
    tr.code = code;
    tr.redirect_uri = itsme_redirect_uri(l->r, sc);
    tr.code_verifier = st->code_verifier;
    tr.now = l->now;
    return itsme_token_exchange(l->r->pool, &sc->http, &tr, tok, err);
}

static apr_status_t validate_id_token(login_t *l, const itsme_state_t *st, const char *idt,
                                      itsme_id_token_t **out, itsme_err_t **err)
{
    itsme_idt_check_t chk;

    memset(&chk, 0, sizeof(chk));
    chk.issuer = l->issuer;
    chk.client_id = l->sc->client_id;
    chk.trusted_audiences = itsme_cfg_trusted_audiences(l->sc);
    chk.nonce = st->nonce;
    chk.now = l->now;
    chk.relookup = itsme_jwks_relookup; /* a key replaced under its kid */
    /* itsme direct profile (keys.c): JWE and the acr asked for */
    chk.decrypt_keys = itsme_keys_for_id_token(l->r, l->sc, idt);
    chk.acr_allowed = itsme_keys_acr_allowed(l->r->pool, l->sc, st->acr);
    return itsme_id_token_validate(l->r->pool, idt, &chk, itsme_jwks_lookup, &l->keys, out,
                                   err);
}

/* 1 when a wanted claim is not in tbl (age comes from birthdate). */
static int claims_missing(apr_pool_t *p, const char *wanted, const apr_table_t *tbl)
{
    char *copy, *last = NULL, *c;

    if (!wanted)
        return 0;
    copy = apr_pstrdup(p, wanted);
    for (c = apr_strtok(copy, " ", &last); c; c = apr_strtok(NULL, " ", &last)) {
        const char *name = strcmp(c, "age") ? c : "birthdate";

        if (!apr_table_get(tbl, name))
            return 1;
    }
    return 0;
}

static apr_status_t gather_claims(login_t *l, const itsme_state_t *st,
                                  const itsme_token_resp_t *tok, const itsme_id_token_t *idt,
                                  apr_table_t **out, itsme_err_t **err)
{
    apr_pool_t *p = l->r->pool;
    itsme_json_t *ui = NULL;
    itsme_userinfo_req_t ur;
    apr_status_t rv;

    *out = apr_table_make(p, 16);
    rv = itsme_claims_canonicalize(p, idt->claims, NULL, l->now, &l->log, *out, err);
    if (rv != APR_SUCCESS || !l->md->userinfo_endpoint || !tok->access_token
        || !claims_missing(p, st->wanted_claims, *out))
        return rv;
    memset(&ur, 0, sizeof(ur));
    ur.endpoint = l->md->userinfo_endpoint;
    ur.access_token = tok->access_token;
    ur.expected_sub = idt->sub;
    ur.issuer = l->issuer;
    ur.client_id = l->sc->client_id;
    ur.lookup = itsme_jwks_lookup;
    ur.relookup = itsme_jwks_relookup;
    ur.lookup_baton = &l->keys;
    ur.decrypt_keys = l->sc->decrypt_keys;                       /* itsme direct profile */
    ur.require_encrypted = itsme_cfg_expect_encryption(l->sc);  /* (keys.c) */
    rv = itsme_userinfo_fetch(p, &l->sc->http, &ur, &ui, err);
    if (rv != APR_SUCCESS)
        return rv;
    *out = apr_table_make(p, 16);
    return itsme_claims_canonicalize(p, idt->claims, ui, l->now, &l->log, *out, err);
}

/* The OP's session id (for OP-initiated logout): a short printable string. */
static const char *op_sid(const itsme_id_token_t *idt)
{
    const char *sid = itsme_json_get_string(idt->claims, "sid");

    return itsme_sid_ok(sid) ? sid : NULL;
}

static apr_status_t complete_login(login_t *l, const itsme_state_t *st, const char *code,
                                   const char **what, itsme_err_t **err)
{
    itsme_token_resp_t *tok = NULL;
    itsme_id_token_t *idt = NULL;
    itsme_session_t s;
    apr_status_t rv;

    memset(&s, 0, sizeof(s));
    *what = "provider metadata";
    if ((rv = itsme_metadata_for(l->r, l->sc, l->now, &l->md, err)) != APR_SUCCESS)
        return rv;
    l->issuer = itsme_cfg_expected_issuer(l->sc) ? itsme_cfg_expected_issuer(l->sc)
                                                 : l->md->issuer;
    l->keys.cache = l->sc->cache;
    l->keys.http = &l->sc->http;
    l->keys.jwks_uri = l->md->jwks_uri;
    l->keys.now = l->now;
    *what = "token exchange";
    if ((rv = exchange_code(l, st, code, &tok, err)) != APR_SUCCESS)
        return rv;
    *what = "ID token validation";
    if ((rv = validate_id_token(l, st, tok->id_token, &idt, err)) != APR_SUCCESS)
        return rv;
    *what = "claims";
    if ((rv = gather_claims(l, st, tok, idt, &s.claims, err)) != APR_SUCCESS)
        return rv;
    s.sub = idt->sub;
    s.issuer = l->issuer;
    s.created = s.last_seen = l->now;
    s.expires = l->now + itsme_cfg_session_max_age(l->sc);
    /* id_token_hint: the signed token, the inner one of a JWE (RP-Initiated
     * Logout §2: an encrypted ID token is decrypted before use as a hint);
     * kept only when a logout can use it (it doubles the cookie), and only
     * when it holds no personal data: a logout URL ends up in browser
     * history and access logs (the logout then names the client instead) */
    s.id_token = l->sc->logout_uri && l->md->end_session_endpoint
                         && itsme_logout_hint_safe(idt->claims) ? idt->raw : NULL;
    s.acr = itsme_session_acr(l->r, l->sc, st->acr, idt->acr);
    s.sid = op_sid(idt);
    itsme_session_keep_claims(l->r, l->sc, &s, st->wanted_claims);
    *what = "session";
    /* a step-up: merged into the same person's session (stepup.c) */
    return itsme_stepup_save(l->r, l->sc, st, &s, err);
}

/* ---- the handler ---- */

static int finish(request_rec *r, const itsme_state_t *st)
{
    const char *target = st->return_url, *shown = st->return_url ? st->return_url : "/";

    if (!target || !itsme_url_is_same_origin(target, itsme_request_origin(r)))
        target = "/";
    if (target[0] == '/')
        target = itsme_public_url(r, target); /* forwarded.c: behind a proxy too */
    apr_table_setn(r->err_headers_out, "Location", target);
    /* the path only: a query may carry what the application put there */
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ITSME01203: login complete, returning to %s",
                  ap_escape_logitem(r->pool, apr_pstrndup(r->pool, shown, strcspn(shown, "?#"))));
    return HTTP_MOVED_TEMPORARILY;
}

/* Finds and expires the state cookie of this answer and, with a store,
 * marks it used; returns 0 and *st, or the status of the page sent. */
static int take_state(request_rec *r, const itsme_srv_cfg_t *sc, const apr_table_t *q,
                      itsme_state_t **st)
{
    const char *state = apr_table_get(q, "state"), *name = NULL;
    itsme_err_t *err = NULL;
    apr_status_t rv;

    if (!state_syntax_ok(state))
        return bad_request(r, "state missing or malformed", ITSME_PAGE_BAD_ANSWER);
    rv = itsme_flow_find_state(r, sc, state, st, &name, &err);
    if (APR_STATUS_IS_ENOENT(rv))
        return bad_request(r, "no state cookie (expired, replayed, or another browser)",
                           ITSME_PAGE_STATE_EXPIRED);
    if (rv != APR_SUCCESS)
        return bad_request(r, itsme_err_str(r->pool, err), ITSME_PAGE_STATE_EXPIRED);
    itsme_cookie_clear(r, itsme_cfg_cookie_name(sc), name);
    /* from here on, a page links back to where the login started */
    if (itsme_page_back(r, (*st)->return_url))
        apr_table_setn(r->notes, ITSME_NOTE_BACK, itsme_page_back(r, (*st)->return_url));
    rv = itsme_flow_mark_used(r, sc, *st, &err);
    if (rv == APR_EEXIST)
        return bad_request(r, itsme_err_str(r->pool, err), ITSME_PAGE_STATE_EXPIRED);
    if (rv != APR_SUCCESS) {
        itsme_counter_inc(ITSME_CTR_FAIL_OTHER);
        return itsme_session_unavailable(r, 1, err);
    }
    return 0;
}

static int handle_answer(request_rec *r, const itsme_srv_cfg_t *sc, const apr_table_t *q)
{
    const char *code = apr_table_get(q, "code"), *error = apr_table_get(q, "error");
    const char *what = NULL;
    itsme_state_t *st = NULL;
    itsme_err_t *err = NULL;
    login_t l;
    int rc;

    if (!error && (!code || !*code))
        return bad_request(r, "code missing", ITSME_PAGE_BAD_ANSWER);
    if ((rc = take_state(r, sc, q, &st)) != 0)
        return rc;
    if (error)
        return op_error(r, q, error);
    memset(&l, 0, sizeof(l));
    l.r = r;
    l.sc = sc;
    l.now = apr_time_now();
    itsme_logger_request(&l.log, r);
    if (complete_login(&l, st, code, &what, &err) != APR_SUCCESS)
        return login_error(r, what, err);
    itsme_counter_inc(ITSME_CTR_LOGINS);
    return finish(r, st);
}

int itsme_callback_handle(request_rec *r, const itsme_srv_cfg_t *sc)
{
    apr_table_t *q = apr_table_make(r->pool, 8);
    itsme_err_t *err = NULL;

    itsme_no_store(r);
    apr_table_setn(r->notes, ITSME_NOTE_BACK, "/"); /* never back to the callback */
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET");
        return itsme_page_send(r, HTTP_METHOD_NOT_ALLOWED, ITSME_PAGE_METHOD, NULL);
    }
    if (r->args
        && itsme_url_parse_query(r->pool, r->args, ITSME_CALLBACK_MAX_PARAMS, q, &err)
               != APR_SUCCESS)
        return bad_request(r, itsme_err_str(r->pool, err), ITSME_PAGE_BAD_ANSWER);
    if (duplicated(q, "state") || duplicated(q, "code") || duplicated(q, "error"))
        return bad_request(r, "duplicated parameter", ITSME_PAGE_BAD_ANSWER);
    return handle_answer(r, sc, q);
}
