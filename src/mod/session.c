/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * session.c: where a session lives between requests, behind one small
 * interface for the decision (authn.c), the callback and the logout:
 *
 * - cookie (default): the sealed session itself, one cookie within the
 *   budget of cookie.h; what does not fit is refused, never chunked;
 * - socache (ItsmeSessionStore, store.c): the cookie holds a sealed random
 *   id, the store a record sealed with that id as associated data
 *   (core/session/record.h). Logging out deletes the record.
 *
 * Every sealed value of the module binds "<cookie name>|<client id>|<issuer>"
 * as associated data (the issuer as pinned, else the discovery URL): a value
 * cut from another cookie, or sealed by another relying party or for another
 * OP that shares the passphrase, does not open.
 */
#include "httpd.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "core/session/codec.h"
#include "core/session/record.h"
#include "core/session/session.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/counters.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

/* Store keys begin with the random id (shmcb picks its partition by the
 * first byte): "<id>:s" the record, "<id>:d" the mark of a record deleted
 * by a logout (a refresh in flight must not bring it back). */
#define RECORD_KIND ":s"
#define ENDED_KIND ":d"
#define RETRY_AFTER "30"

const char *itsme_session_bind(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *name)
{
    const char *issuer = itsme_cfg_expected_issuer(sc);

    /* the issuer: as pinned, else the discovery URL that determines it */
    return apr_pstrcat(p, name, "|", sc->client_id, "|", issuer ? issuer : sc->discovery_url,
                       NULL);
}

apr_time_t itsme_session_horizon(const itsme_srv_cfg_t *sc)
{
    return apr_time_now() + itsme_cfg_session_max_age(sc) + ITSME_SESSION_CLOCK_SKEW;
}

static const char *record_key(apr_pool_t *p, const char *id)
{
    return apr_pstrcat(p, id, RECORD_KIND, NULL);
}

/* Ends record id: marked as ended (until it could have expired), then
 * deleted. */
static apr_status_t drop_record(request_rec *r, const itsme_srv_cfg_t *sc, const char *id)
{
    apr_status_t rv = itsme_store_put(r, sc->store, apr_pstrcat(r->pool, id, ENDED_KIND, NULL),
                                      "1", 1, itsme_session_horizon(sc));

    return rv == APR_SUCCESS ? itsme_store_del(r, sc->store, record_key(r->pool, id)) : rv;
}

/* A refresh wrote the record of id: if a logout ended it meanwhile, the
 * record goes again (APR_EOF). */
static apr_status_t recheck_ended(request_rec *r, const itsme_srv_cfg_t *sc, const char *id)
{
    apr_status_t rv = itsme_store_has(r, sc->store, apr_pstrcat(r->pool, id, ENDED_KIND, NULL));

    if (APR_STATUS_IS_NOTFOUND(rv))
        return APR_SUCCESS;
    if (rv == APR_SUCCESS)
        itsme_store_del(r, sc->store, record_key(r->pool, id));
    return rv == APR_SUCCESS ? APR_EOF : rv;
}

/* The cookie's lifetime: the browser session, or up to the absolute end. */
static apr_int64_t cookie_max_age(const itsme_srv_cfg_t *sc, const itsme_session_t *s)
{
    apr_int64_t left;

    if (!itsme_cfg_cookie_persistent(sc))
        return -1;
    left = apr_time_sec(s->expires - apr_time_now());
    return left > 0 ? left : 1;
}

/* ---- reading ---- */

/* Opens the session cookie: its plaintext (the session JSON in cookie
 * mode, the record id with a store). */
static apr_status_t open_cookie(request_rec *r, const itsme_srv_cfg_t *sc, const char **pt,
                                apr_size_t *len, int *key_index, itsme_err_t **err)
{
    const char *name = itsme_cfg_cookie_name(sc);
    const char *v = itsme_cookie_get(r, name, name);
    unsigned char *out = NULL;
    itsme_err_t *e = NULL;

    if (!v)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_ENOENT, "no session cookie");
    if (itsme_open(r->pool, sc->crypto, itsme_session_bind(r->pool, sc, name), v, strlen(v),
                   &out, len, key_index, &e) != APR_SUCCESS)
        return itsme_err_wrap(r->pool, err, ITSME_E_CRYPTO, e, "session cookie does not open");
    *pt = (const char *)out;
    return APR_SUCCESS;
}

/* The record id the session cookie holds, or NULL. */
static const char *cookie_id(request_rec *r, const itsme_srv_cfg_t *sc, int *key_index,
                             itsme_err_t **err)
{
    const char *pt = NULL;
    apr_size_t len = 0;

    if (open_cookie(r, sc, &pt, &len, key_index, err) != APR_SUCCESS)
        return NULL;
    if (!itsme_record_id_valid(pt, len)) {
        itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_EINVAL,
                       "session cookie holds no session id (made without a store?)");
        return NULL;
    }
    return pt;
}

static apr_status_t load_record(request_rec *r, const itsme_srv_cfg_t *sc, const char *id,
                                itsme_session_t **s, int *key_index, itsme_err_t **err)
{
    const char *key = record_key(r->pool, id), *val = NULL;
    apr_size_t len = 0;
    apr_status_t rv = itsme_store_get(r, sc->store, key, &val, &len);

    if (APR_STATUS_IS_NOTFOUND(rv))
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, rv,
                              "no session record (logged out, or expired)");
    if (rv != APR_SUCCESS)
        return itsme_err_make(r->pool, err, ITSME_E_UNAVAILABLE, rv,
                              "session store %s: cannot read", itsme_store_name(sc->store));
    rv = itsme_record_open(r->pool, sc->crypto,
                           itsme_session_bind(r->pool, sc, itsme_cfg_cookie_name(sc)), id, val,
                           len, s, key_index, err);
    if (rv != APR_SUCCESS)
        itsme_store_del(r, sc->store, key); /* never opens: a fresh login replaces it */
    return rv;
}

apr_status_t itsme_session_load(request_rec *r, const itsme_srv_cfg_t *sc, itsme_session_t **s,
                                int *key_index, itsme_err_t **err)
{
    itsme_req_t *q = itsme_req(r);
    int ck = 0, rk = 0;
    const char *pt = NULL, *id;
    apr_size_t len = 0;
    itsme_err_t *e = NULL;
    apr_status_t rv;

    if (!sc->store) {
        if ((rv = open_cookie(r, sc, &pt, &len, &ck, err)) != APR_SUCCESS)
            return rv;
        if (itsme_session_parse(r->pool, pt, len, s, &e) != APR_SUCCESS)
            return itsme_err_wrap(r->pool, err, ITSME_E_INPUT, e, "session does not parse");
        if (sc->revocations && (rv = itsme_opindex_check(r, sc, *s, err)) != APR_SUCCESS)
            return rv;
    }
    else {
        if (!(id = cookie_id(r, sc, &ck, err)))
            return APR_EGENERAL;
        if ((rv = load_record(r, sc, id, s, &rk, err)) != APR_SUCCESS)
            return rv;
        q->session_id = id;
    }
    itsme_counter_inc(sc->store ? ITSME_CTR_SESSION_STORE : ITSME_CTR_SESSION_COOKIE);
    q->cookie_key_index = ck;
    if (key_index)
        *key_index = ck > rk ? ck : rk;
    return APR_SUCCESS;
}

/* ---- writing ---- */

static apr_status_t seal_json(request_rec *r, const itsme_srv_cfg_t *sc, const char *aad,
                              const itsme_session_t *s, const char **sealed, itsme_err_t **err)
{
    const char *json = itsme_session_serialize(r->pool, s);

    if (!json)
        return itsme_err_make(r->pool, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "cannot serialise the session");
    return itsme_seal(r->pool, sc->crypto, aad, (const unsigned char *)json, strlen(json),
                      sealed, err);
}

/* Cookie mode: the session within ITSME_SESSION_COOKIE_MAX, without the
 * kept ID token (a convenience for id_token_hint) when that is what it
 * takes; ITSME_E_CONFIG / APR_ENOSPC when it cannot fit. */
static apr_status_t save_cookie(request_rec *r, const itsme_srv_cfg_t *sc,
                                const itsme_session_t *s, itsme_err_t **err)
{
    const char *name = itsme_cfg_cookie_name(sc), *aad, *sealed = NULL;
    apr_size_t full;
    apr_status_t rv;

    aad = itsme_session_bind(r->pool, sc, name);
    if ((rv = seal_json(r, sc, aad, s, &sealed, err)) != APR_SUCCESS)
        return rv;
    full = strlen(sealed);
    if (full > ITSME_SESSION_COOKIE_MAX && s->id_token) {
        itsme_session_t *lean = apr_pmemdup(r->pool, s, sizeof(*s));

        lean->id_token = NULL;
        if ((rv = seal_json(r, sc, aad, lean, &sealed, err)) != APR_SUCCESS)
            return rv;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME05021: session cookie without the ID token (%" APR_SIZE_T_FMT
                      " bytes with it): a logout at the OP names the client instead "
                      "(no id_token_hint)", full);
    }
    if (itsme_cookie_set(r, name, sealed, cookie_max_age(sc, s)) != APR_SUCCESS)
        return itsme_err_make(r->pool, err, ITSME_E_CONFIG, APR_ENOSPC,
                              "the session (%" APR_SIZE_T_FMT " bytes sealed) does not fit the "
                              "%d-byte session cookie", strlen(sealed),
                              ITSME_SESSION_COOKIE_MAX);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME05022: session sealed into its cookie: %" APR_SIZE_T_FMT " bytes",
                  strlen(sealed));
    return APR_SUCCESS;
}

/* A person's oldest sessions beyond the index's bound end. */
static void drop_evicted(request_rec *r, const itsme_srv_cfg_t *sc,
                         const apr_array_header_t *ids)
{
    int i;

    for (i = 0; i < ids->nelts; i++)
        drop_record(r, sc, APR_ARRAY_IDX(ids, i, const char *));
}

/* Store mode: the record under a new id (a login) or the session's own. */
static apr_status_t save_record(request_rec *r, const itsme_srv_cfg_t *sc,
                                const itsme_session_t *s, int fresh, itsme_err_t **err)
{
    itsme_req_t *q = itsme_req(r);
    const char *name = itsme_cfg_cookie_name(sc), *bind = itsme_session_bind(r->pool, sc, name);
    const char *id = fresh ? NULL : q->session_id, *rec = NULL, *cookie = NULL;
    apr_status_t rv;

    if (!id && (rv = itsme_record_id_new(r->pool, &id, err)) != APR_SUCCESS)
        return rv;
    if ((rv = itsme_record_seal(r->pool, sc->crypto, bind, id, s, &rec, err)) != APR_SUCCESS)
        return rv;
    rv = itsme_store_put(r, sc->store, record_key(r->pool, id), rec, strlen(rec),
                         itsme_record_deadline(s, itsme_cfg_inactivity(sc)));
    if (rv != APR_SUCCESS)
        return itsme_err_make(r->pool, err, ITSME_E_UNAVAILABLE, rv,
                              "session store %s: cannot write a record of %" APR_SIZE_T_FMT
                              " bytes", itsme_store_name(sc->store), strlen(rec));
    if (!fresh && (rv = recheck_ended(r, sc, id)) != APR_SUCCESS)
        return itsme_err_make(r->pool, err, rv == APR_EOF ? ITSME_E_INPUT : ITSME_E_UNAVAILABLE,
                              rv, "the session ended while it was refreshed");
    if (fresh && (sc->bcl_uri || sc->fcl_uri) && s->issuer)
        drop_evicted(r, sc, itsme_opindex_add(r, sc, s, id));
    if (fresh || q->cookie_key_index > 0) {
        if ((rv = itsme_seal(r->pool, sc->crypto, bind, (const unsigned char *)id, strlen(id),
                             &cookie, err)) != APR_SUCCESS)
            return rv;
        itsme_cookie_set(r, name, cookie, cookie_max_age(sc, s));
    }
    q->session_id = id;
    q->cookie_key_index = 0;
    return APR_SUCCESS;
}

/* A login replaces the session this browser had: its record goes. */
static void drop_previous(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *id = cookie_id(r, sc, NULL, NULL);

    if (id && drop_record(r, sc, id) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME05023: the previous session's record could not be deleted from "
                      "%s; it expires by itself", itsme_store_name(sc->store));
}

apr_status_t itsme_session_save(request_rec *r, const itsme_srv_cfg_t *sc,
                                const itsme_session_t *s, int fresh, itsme_err_t **err)
{
    if (!sc->store)
        return save_cookie(r, sc, fresh && sc->revocations ? itsme_opindex_login(r, sc, s) : s,
                           err);
    if (fresh)
        drop_previous(r, sc);
    return save_record(r, sc, s, fresh, err);
}

/* ---- ending ---- */

int itsme_session_end(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *name = itsme_cfg_cookie_name(sc), *id;
    apr_status_t rv = APR_SUCCESS;

    if (sc->store && (id = cookie_id(r, sc, NULL, NULL)) != NULL) {
        rv = drop_record(r, sc, id);
        if (rv != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                          "ITSME05012: logout: the session record could not be deleted from "
                          "%s; a copy of the cookie stays valid until the record expires",
                          itsme_store_name(sc->store));
    }
    itsme_cookie_clear(r, name, name);
    return rv == APR_SUCCESS;
}

static int store_failed(request_rec *r, itsme_err_t **err, apr_status_t rv)
{
    itsme_err_make(r->pool, err, ITSME_E_UNAVAILABLE, rv,
                   "the sessions the OP ended cannot be ended in the store");
    return -1;
}

/* Cookie mode: the OP's session (sid), and the person's sessions made
 * without one ("nsub"); or, with no sid, every session of the person. */
static int revoke_by_op(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                        const char *sid, const char *sub, itsme_err_t **err)
{
    int n = 0, listed = 0;
    apr_status_t rv = APR_SUCCESS;

    if (sid && (rv = itsme_opindex_revoke(r, sc, issuer, "sid", sid, &listed)) == APR_SUCCESS)
        n += listed;
    if (rv == APR_SUCCESS && sub
        && (rv = itsme_opindex_revoke(r, sc, issuer, sid ? "nsub" : "sub", sub, &listed))
               == APR_SUCCESS)
        n += listed;
    return rv == APR_SUCCESS ? n : store_failed(r, err, rv);
}

/* Store mode: the records listed under kind/value end; their number, or
 * -1. */
static int end_listed(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                      const char *kind, const char *value, itsme_err_t **err)
{
    apr_array_header_t *ids = NULL;
    apr_status_t rv = itsme_opindex_take(r, sc, issuer, kind, value, &ids);
    int i;

    if (APR_STATUS_IS_NOTFOUND(rv))
        return 0;
    if (rv != APR_SUCCESS)
        return store_failed(r, err, rv);
    for (i = 0; i < ids->nelts; i++)
        if ((rv = drop_record(r, sc, APR_ARRAY_IDX(ids, i, const char *))) != APR_SUCCESS)
            return store_failed(r, err, rv);
    return ids->nelts;
}

int itsme_session_end_by_op(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                            const char *sid, const char *sub, itsme_err_t **err)
{
    int n = 0, more = 0;

    if (!sc->store)
        return revoke_by_op(r, sc, issuer, sid, sub, err);
    if (!sid)
        return end_listed(r, sc, issuer, "sub", sub, err);
    /* the OP's session; and the person's sessions made without a sid, which
     * only the sub can name */
    n = end_listed(r, sc, issuer, "sid", sid, err);
    if (n >= 0 && sub)
        more = end_listed(r, sc, issuer, "nsub", sub, err);
    return n < 0 || more < 0 ? -1 : n + more;
}

void itsme_session_keep_claims(request_rec *r, const itsme_srv_cfg_t *sc, itsme_session_t *s,
                               const char *wanted)
{
    const apr_array_header_t *all = apr_table_elts(s->claims);
    const apr_table_entry_t *e = (const apr_table_entry_t *)all->elts;
    apr_table_t *kept = apr_table_make(r->pool, all->nelts);
    int i;

    for (i = 0; i < all->nelts; i++)
        if (!strcmp(e[i].key, "sub") || itsme_cfg_keeps_claim(sc, wanted, e[i].key))
            apr_table_addn(kept, e[i].key, e[i].val);
    if (apr_table_elts(kept)->nelts < all->nelts)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME05024: the session keeps %d of the %d claims received (the "
                      "others are asked for by no location)",
                      apr_table_elts(kept)->nelts, all->nelts);
    s->claims = kept;
}

int itsme_session_unavailable(request_rec *r, int writing, const itsme_err_t *err)
{
    apr_status_t why = err ? err->status : APR_SUCCESS;

    if (writing)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, why, r,
                      "ITSME05011: session store unavailable: %s", itsme_err_str(r->pool, err));
    else
        ap_log_rerror(APLOG_MARK, APLOG_ERR, why, r,
                      "ITSME05010: session store unavailable: %s", itsme_err_str(r->pool, err));
    apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
    /* back to this URL, unless a handler said where (the callback) */
    return itsme_page_send(r, HTTP_SERVICE_UNAVAILABLE, ITSME_PAGE_STORE_DOWN,
                           r->method_number == M_GET && !apr_table_get(r->notes, ITSME_NOTE_BACK)
                               ? itsme_page_back(r, r->unparsed_uri) : NULL);
}
