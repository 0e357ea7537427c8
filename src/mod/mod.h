/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * mod.h: prototypes shared by the httpd glue files (src/mod). Nothing here
 * is visible to libitsme.
 */
#ifndef ITSME_MOD_H
#define ITSME_MOD_H

#include <string.h>

#include "httpd.h"
#include "core/err.h"
#include "core/i18n/msg.h"
#include "core/log.h"
#include "core/proto/authorize.h"
#include "core/proto/metadata.h"
#include "core/proto/state.h"
#include "core/session/session.h"
#include "mod/config.h"

/* Optional white space (spaces, tabs) cut from both ends of a header-field
 * piece, in place (cookie.c, forwarded.c). */
static inline char *itsme_trim_ows(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* Constant-time string equality (1 when equal and b is not empty). */
static inline int itsme_ct_equal(const char *a, const char *b)
{
    apr_size_t la = strlen(a), lb = strlen(b), i;
    unsigned char d = (unsigned char)(la != lb);

    for (i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[i < lb ? i : 0]);
    return d == 0 && lb > 0;
}

/* An OP's session id as the module keeps and matches it: 1 to 255
 * printable ASCII characters, no space (callback.c, oplogout.c). */
static inline int itsme_sid_ok(const char *sid)
{
    apr_size_t n = 0;

    for (; sid && sid[n]; n++)
        if ((unsigned char)sid[n] < 0x21 || (unsigned char)sid[n] > 0x7e || n >= 255)
            return 0;
    return n > 0;
}

/* ---- request-scope record (config.c) ----
 * Lives in the initial request (r->main / r->prev walked back), so
 * subrequests and internal redirects share what the first pass learnt. */
typedef struct {
    apr_table_t *jar;                /* our cookies (cookie.c) */
    const char *jar_base;            /* the cookie name the jar was read for */
    const itsme_session_t *session;  /* validated session, once known */
    const char *session_id;          /* its record id, with a session store */
    int cookie_key_index;            /* passphrase that opened the session cookie */
    const char *public_origin;       /* forwarded.c, once computed */
    struct itsme_export_rec *exported; /* the last claim export (export.c) */
    const apr_array_header_t *cookie_sent; /* Cookie values as sent, once ours
                                            * were stripped (cookie.c) */
} itsme_req_t;

request_rec *itsme_initial_request(request_rec *r);
itsme_req_t *itsme_req(request_rec *r);

/* ---- confwarn.c: warnings kept while the configuration is read ---- */
/* Logs them (warning level, each against its server) and forgets them. */
void itsme_confwarn_log(apr_pool_t *pconf);
/* test_config hook ("apache2 -t"): itsme_confwarn_log. */
void itsme_confwarn_test_config(apr_pool_t *pconf, server_rec *s);
/* From post_config: logs and forgets them, except in httpd's preflight
 * pass (its configuration is read again, and warned about, straight after). */
void itsme_confwarn_post_config(apr_pool_t *pconf);

/* ---- logbind.c ---- */
void itsme_logger_request(itsme_logger_t *l, request_rec *r);
void itsme_logger_server(itsme_logger_t *l, server_rec *s, apr_pool_t *p);

/* ---- page.c ---- */
/* Cache-Control: no-store (+ Pragma) in err_headers_out. */
void itsme_no_store(request_rec *r);
/* WWW-Authenticate: itsme realm="<AuthName or host>"[, error="<error>"]
 * in err_headers_out (quotes and control characters in the realm replaced). */
void itsme_www_authenticate(request_rec *r, const char *error);
/* Answers `status` with `page`, in the language of the request (lang.c),
 * and returns what the caller returns from its hook. ITSME_ERROR (the
 * page's machine code) and ITSME_LANG go to the environment; when httpd has
 * an ErrorDocument for the status, the status is returned for httpd to
 * render it (the page reads REDIRECT_ITSME_ERROR, REDIRECT_ITSME_LANG);
 * else the module's page is written and DONE returned. `back` is where its
 * link leads (a local path, see itsme_page_back, or a configured URL); NULL:
 * the ITSME_NOTE_BACK note, else "/". */
int itsme_page_send(request_rec *r, int status, itsme_page_e page, const char *back);
/* The request note a handler sets to where its pages link when a page is
 * sent with back NULL (the callback: the URL the login started from). */
#define ITSME_NOTE_BACK "itsme-page-back"
/* Same, with an OP's error code shown (escaped) under the text. */
int itsme_page_send_detail(request_rec *r, int status, itsme_page_e page, const char *back,
                           const char *detail);
/* httpd's ErrorDocument (or ap_custom_response) for status as core keeps
 * it (a text begins with '"'), or NULL. */
const char *itsme_page_error_document(request_rec *r, int status);
/* For an error httpd sends itself (ap_die for a status a hook returned):
 * our page as its body for `status` (the caller has checked that httpd has
 * no ErrorDocument for the status the person gets), with its headers and a
 * UTF-8 Content-Type. */
void itsme_page_error_body(request_rec *r, int status, itsme_page_e page);
/* The charset filter and its insert_error_filter hook. */
void itsme_page_register_hooks(apr_pool_t *p);

/* Headers of our own page: nosniff, its CSP, Content-Language, Vary. */
void itsme_page_headers(request_rec *r);
/* ITSME_ERROR and ITSME_LANG in r->subprocess_env. */
void itsme_page_note(request_rec *r, itsme_page_e page);
/* A local path (one '/', no control characters) of this request or of
 * url (same origin as this request), or NULL: where a page links back to. */
const char *itsme_page_back(request_rec *r, const char *url);

/* ---- lang.c ---- */
/* The language of this request's pages: nl, fr, de or en. */
const char *itsme_lang_of(request_rec *r);
/* ui_locales for the authorization request (ItsmeUILocales), or NULL. */
const char *itsme_ui_locales(request_rec *r, const itsme_srv_cfg_t *sc);

/* ---- export.c ---- */
/* Removes spoofed claim headers (header_parser): every ItsmeHeaderPrefix
 * of the server and its sections, and the default. */
void itsme_export_scrub(request_rec *r);
/* Claims of s to headers and/or environment per ItsmePassClaimsAs. */
void itsme_export_claims(request_rec *r, const itsme_session_t *s);
/* fixups, main request, AuthType itsme: claim headers again, under the
 * final per-directory prefix only (mod_dir / MultiViews may have switched
 * the configuration after check_authn exported them). */
void itsme_export_final(request_rec *r);
/* Before the core's handler switches to HTTP/2 (Upgrade: h2c): withdraws
 * the exported claim headers from r->headers_in, which mod_http2 replays
 * as stream 1 (that request exports its own). */
void itsme_export_withdraw(request_rec *r);
/* Age in whole years from birthdate (YYYY-MM-DD) on the server's local
 * date of this request, or -1 (authz.c and the export share it). */
int itsme_export_age(request_rec *r, const char *birthdate);

/* ---- authn.c ---- */
int itsme_check_authn(request_rec *r);
/* Discovery through the server cache, with the issuer consistency check. */
apr_status_t itsme_metadata_for(request_rec *r, const itsme_srv_cfg_t *sc, apr_time_t now,
                                itsme_metadata_t **md, itsme_err_t **err);
/* Absolute redirect_uri for this request. */
const char *itsme_redirect_uri(request_rec *r, const itsme_srv_cfg_t *sc);
/* scheme://host[:port] of this request. */
const char *itsme_request_origin(request_rec *r);

/* ---- acr.c ---- */
/* ItsmeACRValues of dc, with the itsme shorthands basic/advanced expanded. */
const char *itsme_acr_values(request_rec *r, const itsme_srv_cfg_t *sc,
                             const itsme_dir_cfg_t *dc);
/* 1 when a session made with acr `have` satisfies `asked` (NULL: nothing). */
int itsme_acr_satisfies(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *asked,
                        const char *have);
/* The acr a new session records: the ID token's when it satisfies the
 * acr_values asked (or none were asked), else the values asked (a token
 * without acr; a non-itsme provider reporting its own vocabulary). */
const char *itsme_session_acr(request_rec *r, const itsme_srv_cfg_t *sc, const char *asked,
                              const char *token_acr);

/* ---- session.c: the session's home (cookie or ItsmeSessionStore) ---- */
/* "<name>|<client id>|<issuer or discovery URL>": the associated data of
 * every sealed value of ours. */
const char *itsme_session_bind(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *name);
/* Reads the request's session (cookie, or the record its cookie names);
 * no time, subject or issuer check. Failures: ITSME_E_UNAVAILABLE when the
 * store cannot be reached (503), anything else means no session. */
apr_status_t itsme_session_load(request_rec *r, const itsme_srv_cfg_t *sc, itsme_session_t **s,
                                int *key_index, itsme_err_t **err);
/* Saves s: fresh (a login) gets a new record id; else the loaded one is
 * rewritten. ITSME_E_CONFIG/APR_ENOSPC when it does not fit the cookie,
 * ITSME_E_UNAVAILABLE when the store fails. */
apr_status_t itsme_session_save(request_rec *r, const itsme_srv_cfg_t *sc,
                                const itsme_session_t *s, int fresh, itsme_err_t **err);
/* When what a session could still use must be kept until: now, plus
 * ItsmeSessionMaxAge and the clock skew. */
apr_time_t itsme_session_horizon(const itsme_srv_cfg_t *sc);
/* Logout: deletes the record (with a store) and expires the cookie; 0 when
 * the record could not be deleted (logged). */
int itsme_session_end(request_rec *r, const itsme_srv_cfg_t *sc);
/* OP-initiated logout: ends the sessions of this relying party with OP
 * session `sid` (when not NULL), else every session of `sub`, made with
 * issuer: with a store their records go (found through an index), without
 * one the list in shared memory remembers them. The number ended (1 without
 * a store), or -1 (ITSME_E_UNAVAILABLE) when the store fails. */
int itsme_session_end_by_op(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                            const char *sid, const char *sub, itsme_err_t **err);
/* ---- opindex.c: what an OP logout ends (session.c's side) ---- */
/* Store mode, at login: lists id under the session's sid and sub; returns
 * the ids pushed out of the bounded lists (their records are to end). */
apr_array_header_t *itsme_opindex_add(request_rec *r, const itsme_srv_cfg_t *sc,
                                      const itsme_session_t *s, const char *id);
/* Store mode: the ids listed under kind ("sid"/"sub") and value, the list
 * removed; APR_NOTFOUND when there is none. */
apr_status_t itsme_opindex_take(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                                const char *kind, const char *value, apr_array_header_t **ids);
/* Cookie mode: ITSME_E_INPUT when the OP ended s after it was made,
 * ITSME_E_UNAVAILABLE when the list cannot be read. */
apr_status_t itsme_opindex_check(request_rec *r, const itsme_srv_cfg_t *sc,
                                 const itsme_session_t *s, itsme_err_t **err);
/* Cookie mode, at login: notes the session's sid; the session to seal
 * (dated past a logout of the same second). */
const itsme_session_t *itsme_opindex_login(request_rec *r, const itsme_srv_cfg_t *sc,
                                           const itsme_session_t *s);
/* Cookie mode: lists kind ("sid" only when a login here saw it, "sub",
 * "nsub": the person's sessions without a sid) as ended now. */
apr_status_t itsme_opindex_revoke(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const char *issuer, const char *kind, const char *value,
                                  int *listed_now);
/* Logout-token replay: APR_EEXIST when jti (of issuer) was kept, else
 * APR_NOTFOUND or the store's failure; keep it until `until`. */
apr_status_t itsme_opindex_jti_seen(request_rec *r, const itsme_srv_cfg_t *sc,
                                    const char *issuer, const char *jti);
apr_status_t itsme_opindex_jti_keep(request_rec *r, const itsme_srv_cfg_t *sc,
                                    const char *issuer, const char *jti, apr_time_t until);
/* Keeps in s only sub and the claims the configuration can use. */
void itsme_session_keep_claims(request_rec *r, const itsme_srv_cfg_t *sc, itsme_session_t *s,
                               const char *wanted);
/* The 503 page (Retry-After) for a store failure while reading or writing. */
int itsme_session_unavailable(request_rec *r, int writing, const itsme_err_t *err);

/* ---- flow.c: starting a login, its state cookies ---- */
/* Redirects to the OP (or answers the failure page). */
int itsme_flow_start(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc);
/* The same for a step-up of the valid session `held` (acr or claims): asks
 * what dc asks (the merge keeps what held has); the state remembers
 * `lacking` (the claims held lacks, space separated; NULL: acr only). */
int itsme_flow_step_up(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                       const itsme_session_t *held, const char *lacking);

/* ---- stepup.c: claim step-up ---- */
/* The claims dc asks for that s lacks and the OP was not asked for in vain
 * already, with dc's itsme service (space separated; birthdate for age), or
 * NULL. */
const char *itsme_stepup_lacking(request_rec *r, const itsme_srv_cfg_t *sc,
                                 const itsme_dir_cfg_t *dc, const itsme_session_t *s);
/* What a login under dc asks for: dc's claims (a step-up too: never the
 * claims the session already holds). Never NULL. */
apr_array_header_t *itsme_stepup_wanted(apr_pool_t *p, const itsme_dir_cfg_t *dc);
/* Callback: the session a login makes. Records in s the claims asked and
 * not given; for a step-up of the browser's valid session of the same
 * person, that session with s's claims merged in (its expiry kept); else
 * s (logged when another person replaces the session). */
itsme_session_t *itsme_stepup_finish(request_rec *r, const itsme_srv_cfg_t *sc,
                                     const itsme_state_t *st, itsme_session_t *s);
/* Callback: saves the session itsme_stepup_finish makes (a new one). When
 * a step-up's session does not fit its cookie (ITSME_E_CONFIG/APR_ENOSPC,
 * returned), the same person's previous session is kept with the claims
 * asked recorded as not given; another person's ends. */
apr_status_t itsme_stepup_save(request_rec *r, const itsme_srv_cfg_t *sc,
                               const itsme_state_t *st, itsme_session_t *s, itsme_err_t **err);
/* Opens the state cookie `name`. */
apr_status_t itsme_flow_open_state(request_rec *r, const itsme_srv_cfg_t *sc, const char *name,
                                   itsme_state_t **st, itsme_err_t **err);
/* The state cookie this browser holds for `state`: *st and its *name. */
apr_status_t itsme_flow_find_state(request_rec *r, const itsme_srv_cfg_t *sc, const char *state,
                                   itsme_state_t **st, const char **name, itsme_err_t **err);
/* With a store: records st as used; APR_EEXIST (ITSME_E_INPUT) when it was,
 * ITSME_E_UNAVAILABLE when the store fails. Without one: APR_SUCCESS. */
apr_status_t itsme_flow_mark_used(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const itsme_state_t *st, itsme_err_t **err);

/* ---- callback.c ---- */
int itsme_callback_matches(request_rec *r, const itsme_srv_cfg_t *sc);
int itsme_callback_handle(request_rec *r, const itsme_srv_cfg_t *sc);

/* ---- keys.c: itsme direct profile ---- */
#define ITSME_ACR_BASIC "http://itsme.services/v2/claim/acr_basic"
#define ITSME_ACR_ADVANCED "http://itsme.services/v2/claim/acr_advanced"
/* The decryption keys for this ID token: all of them when encryption is
 * expected or the token is a JWE, else NULL (a plain JWS is wanted). */
const apr_array_header_t *itsme_keys_for_id_token(request_rec *r, const itsme_srv_cfg_t *sc,
                                                  const char *compact);
/* itsme profile: the acr values an ID token may carry (NULL-terminated, for
 * itsme_idt_check_t.acr_allowed) given the acr_values asked (space
 * separated); asking basic also admits advanced. NULL: not checked. */
const char *const *itsme_keys_acr_allowed(apr_pool_t *p, const itsme_srv_cfg_t *sc,
                                          const char *asked);
/* Moves az's parameters into a request object (az->request) when
 * ItsmeRequestObject or the OP's discovery asks for one; else leaves az. */
apr_status_t itsme_keys_request_object(request_rec *r, const itsme_srv_cfg_t *sc,
                                       const itsme_metadata_t *md, itsme_authz_req_t *az,
                                       itsme_err_t **err);

/* ---- jwks.c: the RP's JWK Set at ItsmeJWKSURI (quick handler) ---- */
int itsme_jwks_publish_matches(request_rec *r, const itsme_srv_cfg_t *sc);
int itsme_jwks_publish_serve(request_rec *r, const itsme_srv_cfg_t *sc);

/* ---- authorization, proxies, logout ---- */
/* forwarded.c: scheme://host[:port] as the client sees it (forwarded
 * headers of a trusted proxy honoured), its https-ness, and origin + path. */
const char *itsme_public_origin(request_rec *r);
int itsme_public_is_https(request_rec *r);
const char *itsme_public_url(request_rec *r, const char *path);
/* authz.c: "Require itsme-claim" and the answer to a denied user. */
void itsme_authz_register_hooks(apr_pool_t *p);
/* logout.c: ItsmeLogoutURI (quick handler). */
int itsme_logout_matches(request_rec *r, const itsme_srv_cfg_t *sc);
int itsme_logout_handle(request_rec *r, const itsme_srv_cfg_t *sc);
/* oplogout.c: ItsmeBackChannelLogoutURI, ItsmeFrontChannelLogoutURI
 * (quick handler), and the OP's discovery checked against them. */
int itsme_oplogout_bc_matches(request_rec *r, const itsme_srv_cfg_t *sc);
int itsme_oplogout_bc_handle(request_rec *r, const itsme_srv_cfg_t *sc);
int itsme_oplogout_fc_matches(request_rec *r, const itsme_srv_cfg_t *sc);
int itsme_oplogout_fc_handle(request_rec *r, const itsme_srv_cfg_t *sc);
void itsme_oplogout_note_metadata(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const itsme_metadata_t *md);
/* page.c: the HTML of an error page (title and message escaped). */
const char *itsme_page_html(request_rec *r, itsme_page_e page, const char *back,
                            const char *detail);
/* ---- end authorization, proxies, logout ---- */

/* A child stopped by a signal before its child_init ran ends at once,
 * without the library destructors exit() would run (lifecycle.c). */
void itsme_lifecycle_register_hooks(apr_pool_t *p);
void itsme_lifecycle_child_init(void);

#endif
