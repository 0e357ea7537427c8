/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * oplogout.c: logout started by the OP.
 *
 * - ItsmeBackChannelLogoutURI (OpenID Connect Back-Channel Logout 1.0): the
 *   OP POSTs a signed logout token; once it passes every check of §2.6 (core
 *   proto/logout_token.c) and its jti was not seen before, the sessions it
 *   names end on every node sharing the store (session.c).
 * - ItsmeFrontChannelLogoutURI (Front-Channel Logout 1.0): the OP's iframe
 *   GETs it with iss and sid; the sessions of that sid end.
 *
 * Both are answered from the quick handler, never as a protected location.
 * Without ItsmeSessionStore, ended sessions are remembered in a bounded list
 * in httpd's shared memory (socache shmcb): one host only.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_atomic.h"
#include "apr_strings.h"

#include "core/url.h"
#include "core/proto/jwks.h"
#include "core/proto/logout_token.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

#define BODY_MAX 16384
#define FORM_TYPE "application/x-www-form-urlencoded"

/* ---- directives and checks ---- */

/* ItsmeBackChannelLogoutURI, ItsmeFrontChannelLogoutURI: cmd->info is the
 * offset of the field in the server record. */
const char *itsme_cmd_oplogout_uri(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *why = itsme_cmd_local_path(cmd, arg);

    (void)dc;
    if (!why)
        *(const char **)((char *)itsme_cmd_srv(cmd) + (apr_size_t)cmd->info) = arg;
    return why;
}

/* The first path of the module's own that path collides with, or NULL. */
static const char *taken_by(apr_pool_t *p, const itsme_srv_cfg_t *c, const char *path,
                            int front)
{
    const char *redirect = itsme_cfg_redirect_path(p, c);

    if (redirect && !strcmp(path, redirect))
        return "ItsmeRedirectURI";
    if (c->logout_uri && !strcmp(path, c->logout_uri))
        return "ItsmeLogoutURI";
    if (front && c->bcl_uri && !strcmp(path, c->bcl_uri))
        return "ItsmeBackChannelLogoutURI";
    return NULL;
}

int itsme_oplogout_check(apr_pool_t *p, server_rec *s, itsme_srv_cfg_t *c)
{
    const char *name = s->server_hostname ? s->server_hostname : "(unnamed)", *clash;

    if (!c->bcl_uri && !c->fcl_uri)
        return OK;
    if ((c->bcl_uri && (clash = taken_by(p, c, c->bcl_uri, 0)) != NULL)
        || (c->fcl_uri && (clash = taken_by(p, c, c->fcl_uri, 1)) != NULL)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME06001: server %s: an OP-initiated logout URI is also the path of "
                     "%s; give it a path of its own", name, clash);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!c->store && !c->revocations)
        c->revocations = itsme_store_shm(s->process->pconf);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 "ITSME06002: server %s: sessions the OP ends (%s%s%s) are %s", name,
                 c->bcl_uri ? "back-channel " : "", c->bcl_uri ? c->bcl_uri : "",
                 c->fcl_uri ? apr_pstrcat(p, c->bcl_uri ? ", " : "", "front-channel ",
                                          c->fcl_uri, NULL) : "",
                 c->store ? apr_pstrcat(p, "deleted from ItsmeSessionStore ",
                                        itsme_store_name(c->store), " (every node sharing it)",
                                        NULL)
                          : "listed in this host's shared memory (socache shmcb; with "
                            "several hosts use ItsmeSessionStore)");
    return OK;
}

/* Once per process: the OP's discovery does not announce what is set up. */
void itsme_oplogout_note_metadata(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const itsme_metadata_t *md)
{
    static volatile apr_uint32_t warned_bc, warned_fc;

    if (sc->bcl_uri && !md->backchannel_logout_supported
        && apr_atomic_cas32(&warned_bc, 1, 0) == 0)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME06003: ItsmeBackChannelLogoutURI is set, but the OP's discovery "
                      "does not announce backchannel_logout_supported");
    if (sc->fcl_uri && !md->frontchannel_logout_supported
        && apr_atomic_cas32(&warned_fc, 1, 0) == 0)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME06004: ItsmeFrontChannelLogoutURI is set, but the OP's discovery "
                      "does not announce frontchannel_logout_supported");
}

/* ---- answers ---- */

static int on_path(request_rec *r, const itsme_srv_cfg_t *sc, const char *path)
{
    return sc->ready && path && r->parsed_uri.path && !strcmp(r->parsed_uri.path, path);
}

int itsme_oplogout_bc_matches(request_rec *r, const itsme_srv_cfg_t *sc)
{
    return on_path(r, sc, sc->bcl_uri);
}

int itsme_oplogout_fc_matches(request_rec *r, const itsme_srv_cfg_t *sc)
{
    return on_path(r, sc, sc->fcl_uri);
}

/* Back-Channel Logout §2.8: 400 with a JSON error (405 for the method). */
static int bc_refuse(request_rec *r, int status, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ITSME06020: back-channel logout refused: %s",
                  why);
    r->status = status;
    itsme_no_store(r);
    ap_set_content_type(r, "application/json");
    ap_rputs("{\"error\":\"invalid_request\",\"error_description\":\"the logout request was "
             "not accepted\"}", r);
    return DONE;
}

/* Content-Type application/x-www-form-urlencoded, parameters allowed. */
static int is_form(const char *type)
{
    const char *rest;

    if (!type || strncasecmp(type, FORM_TYPE, sizeof(FORM_TYPE) - 1) != 0)
        return 0;
    rest = type + sizeof(FORM_TYPE) - 1;
    return !*rest || *rest == ';' || *rest == ' ' || *rest == '\t';
}

/* The request body, at most BODY_MAX bytes; NULL when larger or unreadable. */
static const char *read_body(request_rec *r)
{
    char *buf = apr_palloc(r->pool, BODY_MAX + 1);
    apr_size_t len = 0;
    long n;

    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK || !ap_should_client_block(r))
        return NULL;
    while ((n = ap_get_client_block(r, buf + len, BODY_MAX + 1 - len)) > 0) {
        len += (apr_size_t)n;
        if (len > BODY_MAX)
            return NULL;
    }
    if (n < 0)
        return NULL;
    buf[len] = '\0';
    return buf;
}

/* The one logout_token of a form body, or NULL. */
static const char *form_token(request_rec *r, const char *body)
{
    apr_table_t *q = apr_table_make(r->pool, 4);
    const apr_array_header_t *all;
    int i, n = 0;

    if (itsme_url_parse_query(r->pool, body, 8, q, NULL) != APR_SUCCESS)
        return NULL;
    all = apr_table_elts(q);
    for (i = 0; i < all->nelts; i++)
        n += !strcmp(((const apr_table_entry_t *)all->elts)[i].key, "logout_token");
    return n == 1 ? apr_table_get(q, "logout_token") : NULL;
}

/* The issuer sessions of this server carry; *md for its keys. */
static const char *op_issuer(request_rec *r, const itsme_srv_cfg_t *sc, itsme_metadata_t **md)
{
    itsme_err_t *err = NULL;

    if (itsme_metadata_for(r, sc, apr_time_now(), md, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME06021: OP-initiated logout: provider metadata unavailable: %s",
                      itsme_err_str(r->pool, err));
        return NULL;
    }
    return itsme_cfg_expected_issuer(sc) ? itsme_cfg_expected_issuer(sc) : (*md)->issuer;
}

static apr_status_t validate(request_rec *r, const itsme_srv_cfg_t *sc, const char *token,
                             const char **iss, itsme_logout_token_t **t, itsme_err_t **err)
{
    itsme_metadata_t *md = NULL;
    itsme_jwks_source_t keys;
    itsme_lt_check_t chk;

    if (!(*iss = op_issuer(r, sc, &md)))
        return itsme_err_make(r->pool, err, ITSME_E_NETWORK, APR_EGENERAL,
                              "provider metadata unavailable");
    memset(&keys, 0, sizeof(keys));
    keys.cache = sc->cache;
    keys.http = &sc->http;
    keys.jwks_uri = md->jwks_uri;
    keys.now = apr_time_now();
    memset(&chk, 0, sizeof(chk));
    chk.issuer = *iss;
    chk.client_id = sc->client_id;
    chk.trusted_audiences = itsme_cfg_trusted_audiences(sc);
    chk.relookup = itsme_jwks_relookup;
    chk.now = keys.now;
    return itsme_logout_token_validate(r->pool, token, &chk, itsme_jwks_lookup, &keys, t, err);
}

int itsme_oplogout_bc_handle(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type"), *body, *token, *iss;
    itsme_logout_token_t *t = NULL;
    itsme_err_t *err = NULL;
    apr_status_t rv;
    int ended;

    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return bc_refuse(r, HTTP_METHOD_NOT_ALLOWED, "not a POST");
    }
    if (!is_form(type))
        return bc_refuse(r, HTTP_BAD_REQUEST, "not a form post");
    if (!(body = read_body(r)) || !(token = form_token(r, body)))
        return bc_refuse(r, HTTP_BAD_REQUEST, "body too large, malformed, or not one "
                                              "logout_token");
    if (validate(r, sc, token, &iss, &t, &err) != APR_SUCCESS)
        return bc_refuse(r, HTTP_BAD_REQUEST, itsme_err_str(r->pool, err));
    rv = itsme_opindex_jti_seen(r, sc, iss, t->jti);
    if (rv == APR_EEXIST)
        return bc_refuse(r, HTTP_BAD_REQUEST, "jti seen before (replayed)");
    if (!APR_STATUS_IS_NOTFOUND(rv))
        return bc_refuse(r, HTTP_BAD_REQUEST, "the store cannot check the jti");
    if ((ended = itsme_session_end_by_op(r, sc, iss, t->sid, t->sub, &err)) < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ITSME06022: back-channel logout: %s",
                      itsme_err_str(r->pool, err));
        return bc_refuse(r, HTTP_BAD_REQUEST, "the sessions could not be ended");
    }
    /* kept only once the sessions ended: the OP may retry a failure */
    if (itsme_opindex_jti_keep(r, sc, iss, t->jti, t->until) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME06028: back-channel logout: the jti could not be kept against "
                      "replay");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME06023: back-channel logout: %d session(s) ended (by %s)", ended,
                  t->sid ? "sid" : "sub");
    itsme_no_store(r);
    ap_set_content_length(r, 0);
    r->status = HTTP_OK;
    return DONE;
}

/* 1 when the browser's own session cookie is of OP session sid (then it is
 * expired too; a link naming another sid leaves this browser alone). */
static int browser_has_sid(request_rec *r, const itsme_srv_cfg_t *sc, const char *sid)
{
    itsme_session_t *s = NULL;

    return itsme_session_load(r, sc, &s, NULL, NULL) == APR_SUCCESS && s->sid
           && !strcmp(s->sid, sid);
}

static int fc_answer(request_rec *r, int status, const char *title)
{
    r->status = status;
    itsme_no_store(r);
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<title>%s</title></head><body></body></html>\n", title);
    return DONE;
}

int itsme_oplogout_fc_handle(request_rec *r, const itsme_srv_cfg_t *sc)
{
    apr_table_t *q = apr_table_make(r->pool, 4);
    const char *iss, *sid, *want;
    itsme_metadata_t *md = NULL;
    itsme_err_t *err = NULL;
    int ended, mine;

    if (r->method_number != M_GET || !r->args
        || itsme_url_parse_query(r->pool, r->args, 8, q, NULL) != APR_SUCCESS
        || !(iss = apr_table_get(q, "iss")) || !itsme_sid_ok(sid = apr_table_get(q, "sid"))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ITSME06024: front-channel logout "
                      "refused: not a GET with iss and sid");
        return fc_answer(r, HTTP_BAD_REQUEST, "Logout request not accepted");
    }
    if (!(want = op_issuer(r, sc, &md)) || strcmp(iss, want) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ITSME06025: front-channel logout "
                      "refused: iss is not the OP's issuer");
        return fc_answer(r, HTTP_BAD_REQUEST, "Logout request not accepted");
    }
    mine = browser_has_sid(r, sc, sid);
    if ((ended = itsme_session_end_by_op(r, sc, want, sid, NULL, &err)) < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ITSME06026: front-channel logout: %s",
                      itsme_err_str(r->pool, err));
        return fc_answer(r, HTTP_SERVICE_UNAVAILABLE, "Logout not completed");
    }
    if (mine)
        itsme_cookie_clear(r, itsme_cfg_cookie_name(sc), itsme_cfg_cookie_name(sc));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME06027: front-channel logout: %d session(s) ended", ended);
    return fc_answer(r, HTTP_OK, "Signed out");
}
