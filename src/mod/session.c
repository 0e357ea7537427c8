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

#include "core/proto/logout_token.h"
#include "core/session/codec.h"
#include "core/session/record.h"
#include "core/session/session.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

#define RECORD_KEY_PREFIX "s:"
#define RETRY_AFTER "30"
/* OP-initiated logout. With a store: "x<sid|sub>:<hash>" lists the record
 * ids of an OP session or a person (newest last, bounded); without one:
 * "r<sid|sub>:<hash>" holds when the OP ended them (seconds). */
#define KEY_INDEX "x"
#define KEY_REVOKED "r"
#define INDEX_SID_MAX 8
#define INDEX_SUB_MAX 64

const char *itsme_session_bind(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *name)
{
    const char *issuer = itsme_cfg_expected_issuer(sc);

    /* the issuer: as pinned, else the discovery URL that determines it */
    return apr_pstrcat(p, name, "|", sc->client_id, "|", issuer ? issuer : sc->discovery_url,
                       NULL);
}

static const char *record_key(apr_pool_t *p, const char *id)
{
    return apr_pstrcat(p, RECORD_KEY_PREFIX, id, NULL);
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

/* Cookie mode with OP-initiated logout: the latest second at which the OP
 * ended this session's sid or its person (sub), 0 when never; -1 when the
 * list cannot be read. */
static apr_int64_t revoked_at(request_rec *r, const itsme_srv_cfg_t *sc,
                              const itsme_session_t *s, const char **kind)
{
    const char *kinds[2] = {"sid", "sub"}, *values[2] = {s->sid, s->sub};
    apr_int64_t latest = 0;
    int i;

    for (i = 0; i < 2 && s->issuer; i++) {
        const char *key, *val = NULL;
        apr_size_t len = 0;
        apr_status_t rv;

        if (!values[i])
            continue;
        key = itsme_logout_key(r->pool, KEY_REVOKED, kinds[i], s->issuer, values[i]);
        rv = key ? itsme_store_get(r, sc->revocations, key, &val, &len) : APR_EGENERAL;
        if (APR_STATUS_IS_NOTFOUND(rv))
            continue;
        if (rv != APR_SUCCESS)
            return -1;
        if (apr_atoi64(val) > latest) {
            latest = apr_atoi64(val);
            *kind = kinds[i];
        }
    }
    return latest;
}

/* Was this session's sid, or its person, ended by the OP after (or in the
 * second) the session was made? Whole seconds: a login after a logout is
 * dated past it (after_revocations). */
static apr_status_t check_revoked(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const itsme_session_t *s, itsme_err_t **err)
{
    const char *kind = NULL;
    apr_int64_t at = revoked_at(r, sc, s, &kind);

    if (at < 0)
        return itsme_err_make(r->pool, err, ITSME_E_UNAVAILABLE, APR_EGENERAL,
                              "the list of sessions ended by the OP cannot be read");
    if (at > 0 && apr_time_sec(s->created) <= at)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_EGENERAL,
                              "session ended by the OP (by %s)", kind);
    return APR_SUCCESS;
}

/* A login in the very second the OP ended this person's sessions: dated
 * the next second, so that it is not taken for one of them. */
static const itsme_session_t *after_revocations(request_rec *r, const itsme_srv_cfg_t *sc,
                                                const itsme_session_t *s)
{
    const char *kind = NULL;
    apr_int64_t at = sc->revocations ? revoked_at(r, sc, s, &kind) : 0;
    itsme_session_t *later;

    if (at <= 0 || apr_time_sec(s->created) > at)
        return s;
    later = apr_pmemdup(r->pool, s, sizeof(*s));
    later->created = later->last_seen = apr_time_from_sec(at + 1);
    return later;
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
        if (sc->revocations && (rv = check_revoked(r, sc, *s, err)) != APR_SUCCESS)
            return rv;
    }
    else {
        if (!(id = cookie_id(r, sc, &ck, err)))
            return APR_EGENERAL;
        if ((rv = load_record(r, sc, id, s, &rk, err)) != APR_SUCCESS)
            return rv;
        q->session_id = id;
    }
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

/* The record ids listed under key (only well-formed ones). */
static apr_array_header_t *index_read(request_rec *r, const itsme_srv_cfg_t *sc,
                                      const char *key, apr_status_t *rv)
{
    apr_array_header_t *ids = apr_array_make(r->pool, 8, sizeof(const char *));
    const char *val = NULL;
    apr_size_t len = 0;
    char *copy, *last = NULL, *id;

    *rv = itsme_store_get(r, sc->store, key, &val, &len);
    if (*rv != APR_SUCCESS)
        return ids;
    copy = apr_pstrmemdup(r->pool, val, len);
    for (id = apr_strtok(copy, " ", &last); id; id = apr_strtok(NULL, " ", &last))
        if (itsme_record_id_valid(id, strlen(id)))
            APR_ARRAY_PUSH(ids, const char *) = id;
    return ids;
}

/* Lists id under key, newest last; an id pushed out beyond max loses its
 * record (a person has at most INDEX_SUB_MAX sessions here at once). */
static void index_add(request_rec *r, const itsme_srv_cfg_t *sc, const char *key,
                      const char *id, int max)
{
    apr_status_t rv = APR_EGENERAL;
    apr_array_header_t *ids = key ? index_read(r, sc, key, &rv) : NULL;
    apr_time_t until = apr_time_now() + itsme_cfg_session_max_age(sc) + ITSME_SESSION_CLOCK_SKEW;
    const char *list;
    int first = 0;

    if (!ids || (rv != APR_SUCCESS && !APR_STATUS_IS_NOTFOUND(rv))) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ITSME06010: the session could not be indexed for OP-initiated logout");
        return;
    }
    APR_ARRAY_PUSH(ids, const char *) = id;
    for (; ids->nelts - first > max; first++)
        itsme_store_del(r, sc->store,
                        record_key(r->pool, APR_ARRAY_IDX(ids, first, const char *)));
    for (list = NULL; first < ids->nelts; first++)
        list = list ? apr_pstrcat(r->pool, list, " ", APR_ARRAY_IDX(ids, first, const char *),
                                  NULL)
                    : APR_ARRAY_IDX(ids, first, const char *);
    rv = itsme_store_put(r, sc->store, key, list, strlen(list), until);
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ITSME06011: the session could not be indexed for OP-initiated logout");
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
    if (fresh && (sc->bcl_uri || sc->fcl_uri) && s->issuer) {
        if (s->sid)
            index_add(r, sc, itsme_logout_key(r->pool, KEY_INDEX, "sid", s->issuer, s->sid), id,
                      INDEX_SID_MAX);
        index_add(r, sc, itsme_logout_key(r->pool, KEY_INDEX, "sub", s->issuer, s->sub), id,
                  INDEX_SUB_MAX);
    }
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

    if (id && itsme_store_del(r, sc->store, record_key(r->pool, id)) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME05023: the previous session's record could not be deleted from "
                      "%s; it expires by itself", itsme_store_name(sc->store));
}

apr_status_t itsme_session_save(request_rec *r, const itsme_srv_cfg_t *sc,
                                const itsme_session_t *s, int fresh, itsme_err_t **err)
{
    if (!sc->store)
        return save_cookie(r, sc, fresh ? after_revocations(r, sc, s) : s, err);
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
        rv = itsme_store_del(r, sc->store, record_key(r->pool, id));
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
                   "the sessions the OP ended cannot be recorded in the store");
    return -1;
}

int itsme_session_end_by_op(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                            const char *sid, const char *sub, itsme_err_t **err)
{
    const char *kind = sid ? "sid" : "sub", *value = sid ? sid : sub, *key;
    apr_time_t now = apr_time_now();
    apr_array_header_t *ids;
    apr_status_t rv = APR_EGENERAL;
    int i;

    if (!sc->store) {
        const char *when = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                        (apr_int64_t)apr_time_sec(now));

        key = itsme_logout_key(r->pool, KEY_REVOKED, kind, issuer, value);
        rv = key ? itsme_store_put(r, sc->revocations, key, when, strlen(when),
                                   now + itsme_cfg_session_max_age(sc) + ITSME_SESSION_CLOCK_SKEW)
                 : APR_EGENERAL;
        return rv == APR_SUCCESS ? 1 : store_failed(r, err, rv);
    }
    key = itsme_logout_key(r->pool, KEY_INDEX, kind, issuer, value);
    ids = key ? index_read(r, sc, key, &rv) : NULL;
    if (!ids || (rv != APR_SUCCESS && !APR_STATUS_IS_NOTFOUND(rv)))
        return store_failed(r, err, rv);
    for (i = 0; i < ids->nelts; i++)
        if ((rv = itsme_store_del(r, sc->store, record_key(r->pool, APR_ARRAY_IDX(
                                      ids, i, const char *)))) != APR_SUCCESS)
            return store_failed(r, err, rv);
    itsme_store_del(r, sc->store, key);
    return ids->nelts;
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
    return itsme_page_send(r, HTTP_SERVICE_UNAVAILABLE, "Sign-in temporarily unavailable",
                           "Signing in is temporarily unavailable on this site. Please try "
                           "again in a minute.");
}
