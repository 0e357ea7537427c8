/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * opindex.c: the session side of OP-initiated logout (oplogout.c answers
 * the OP). What an OP logout ends is found without a scan of the store:
 *
 * - with ItsmeSessionStore, a login lists its record id under its OP
 *   session (sid) and its person (sub): bounded lists, read and emptied
 *   when the OP ends them (the caller then drops the records);
 * - without one, the module's shared-memory store remembers when the OP
 *   ended a sid or a sub, and a session cookie made before does not open.
 *   Only sids some login here has seen are listed, so requests naming
 *   made-up sids write nothing.
 *
 * Keys hash the relying party (cookie name, client id, issuer), the kind
 * and the OP's value (core itsme_logout_key): fixed length, no OP text,
 * and spread over the store's partitions.
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"

#include "core/proto/logout_token.h"
#include "core/session/record.h"
#include "mod/config.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

#define KIND_INDEX "x"      /* store mode: record ids */
#define KIND_REVOKED "r"    /* cookie mode: when the OP ended it (seconds) */
#define KIND_KNOWN "k"      /* cookie mode: a sid a login here has seen */
#define KIND_JTI "j"        /* a logout token's jti, against replay */
#define INDEX_SID_MAX 8
#define INDEX_SUB_MAX 64
#define INDEX_TRIES 3

static const char *op_key(request_rec *r, const itsme_srv_cfg_t *sc, const char *kind,
                          const char *what, const char *issuer, const char *value)
{
    const char *scope = apr_pstrcat(r->pool,
                                    itsme_session_bind(r->pool, sc, itsme_cfg_cookie_name(sc)),
                                    "|", issuer, NULL);

    return itsme_logout_key(r->pool, kind, what, scope, value);
}

/* ---- store mode: the indexes ---- */

/* The record ids listed under key (only well-formed ones); *rv NOTFOUND
 * when there is no list. */
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

static int listed(const apr_array_header_t *ids, const char *id)
{
    int i;

    for (i = 0; i < ids->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(ids, i, const char *), id))
            return 1;
    return 0;
}

/* Lists id under key, newest last, at most max (the ids pushed out are
 * added to evicted). Read, write, read again: a concurrent login of the
 * same person that overwrote the list is noticed and redone. */
static apr_status_t index_add(request_rec *r, const itsme_srv_cfg_t *sc, const char *key,
                              const char *id, int max, apr_array_header_t *evicted)
{
    apr_status_t rv = APR_EGENERAL;
    int tries, first;

    for (tries = 0; key && tries < INDEX_TRIES; tries++) {
        apr_array_header_t *ids = index_read(r, sc, key, &rv);
        const char *list = NULL;

        if (rv != APR_SUCCESS && !APR_STATUS_IS_NOTFOUND(rv))
            return rv;
        if (listed(ids, id))
            return APR_SUCCESS;
        APR_ARRAY_PUSH(ids, const char *) = id;
        for (first = 0; ids->nelts - first > max; first++)
            APR_ARRAY_PUSH(evicted, const char *) = APR_ARRAY_IDX(ids, first, const char *);
        for (; first < ids->nelts; first++)
            list = apr_pstrcat(r->pool, list ? list : "", list ? " " : "",
                               APR_ARRAY_IDX(ids, first, const char *), NULL);
        if ((rv = itsme_store_put(r, sc->store, key, list, strlen(list), itsme_session_horizon(sc)))
            != APR_SUCCESS)
            return rv;
    }
    return rv;
}

apr_array_header_t *itsme_opindex_add(request_rec *r, const itsme_srv_cfg_t *sc,
                                      const itsme_session_t *s, const char *id)
{
    apr_array_header_t *evicted = apr_array_make(r->pool, 1, sizeof(const char *));
    apr_status_t rv = APR_SUCCESS;

    /* by its OP session, or, without a sid, among the person's sessions
     * without one ("nsub": a token naming a sid and a sub ends those too) */
    if (s->sid)
        rv = index_add(r, sc, op_key(r, sc, KIND_INDEX, "sid", s->issuer, s->sid), id,
                       INDEX_SID_MAX, evicted);
    else
        rv = index_add(r, sc, op_key(r, sc, KIND_INDEX, "nsub", s->issuer, s->sub), id,
                       INDEX_SUB_MAX, evicted);
    if (rv == APR_SUCCESS)
        rv = index_add(r, sc, op_key(r, sc, KIND_INDEX, "sub", s->issuer, s->sub), id,
                       INDEX_SUB_MAX, evicted);
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ITSME06010: the session could not be indexed for OP-initiated logout");
    return evicted;
}

apr_status_t itsme_opindex_take(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                                const char *kind, const char *value, apr_array_header_t **ids)
{
    const char *key = op_key(r, sc, KIND_INDEX, kind, issuer, value);
    apr_status_t rv = APR_EGENERAL;

    *ids = key ? index_read(r, sc, key, &rv) : NULL;
    if (APR_STATUS_IS_NOTFOUND(rv))
        return APR_NOTFOUND;
    if (rv == APR_SUCCESS)
        rv = itsme_store_del(r, sc->store, key);
    return rv;
}

/* ---- cookie mode: what the OP ended, in shared memory ---- */

/* The second the OP ended this kind/value, 0 when never, -1 on failure. */
static apr_int64_t revoked_at(request_rec *r, const itsme_srv_cfg_t *sc, const char *kind,
                              const char *issuer, const char *value)
{
    const char *key = op_key(r, sc, KIND_REVOKED, kind, issuer, value), *val = NULL;
    apr_size_t len = 0;
    apr_status_t rv = key ? itsme_store_get(r, sc->revocations, key, &val, &len)
                          : APR_EGENERAL;

    if (APR_STATUS_IS_NOTFOUND(rv))
        return 0;
    return rv == APR_SUCCESS ? apr_atoi64(val) : -1;
}

/* The latest second the OP ended s (its sid; its person; its person's
 * sessions without a sid when s has none), 0 never, -1 on failure. */
static apr_int64_t session_revoked_at(request_rec *r, const itsme_srv_cfg_t *sc,
                                      const itsme_session_t *s)
{
    apr_int64_t at[2] = {0, 0};

    if (!s->issuer)
        return 0;
    at[0] = s->sid ? revoked_at(r, sc, "sid", s->issuer, s->sid)
                   : revoked_at(r, sc, "nsub", s->issuer, s->sub);
    at[1] = revoked_at(r, sc, "sub", s->issuer, s->sub);
    if (at[0] < 0 || at[1] < 0)
        return -1;
    return at[0] > at[1] ? at[0] : at[1];
}

apr_status_t itsme_opindex_check(request_rec *r, const itsme_srv_cfg_t *sc,
                                 const itsme_session_t *s, itsme_err_t **err)
{
    apr_int64_t at = session_revoked_at(r, sc, s);

    if (at < 0)
        return itsme_err_make(r->pool, err, ITSME_E_UNAVAILABLE, APR_EGENERAL,
                              "the list of sessions ended by the OP cannot be read");
    /* whole seconds: made in the second of the logout, or before, ended */
    if (at > 0 && apr_time_sec(s->created) <= at)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_EGENERAL,
                              "session ended by the OP");
    return APR_SUCCESS;
}

const itsme_session_t *itsme_opindex_login(request_rec *r, const itsme_srv_cfg_t *sc,
                                           const itsme_session_t *s)
{
    apr_int64_t at = session_revoked_at(r, sc, s);
    const char *known;
    itsme_session_t *later;

    if (s->sid && s->issuer
        && (known = op_key(r, sc, KIND_KNOWN, "sid", s->issuer, s->sid)) != NULL
        && itsme_store_put(r, sc->revocations, known, "1", 1, itsme_session_horizon(sc)) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME06012: the session's OP session could not be noted for "
                      "OP-initiated logout");
    if (at <= 0 || apr_time_sec(s->created) > at)
        return s;
    /* a login in the very second the OP ended this person: dated the next
     * second, so that it is not taken for one of the sessions ended */
    later = apr_pmemdup(r->pool, s, sizeof(*s));
    later->created = later->last_seen = apr_time_from_sec(at + 1);
    return later;
}

/* A sid some login here has seen (front-channel requests name any). */
static int sid_known(request_rec *r, const itsme_srv_cfg_t *sc, const char *issuer,
                     const char *sid, apr_status_t *rv)
{
    const char *key = op_key(r, sc, KIND_KNOWN, "sid", issuer, sid);

    *rv = key ? itsme_store_has(r, sc->revocations, key) : APR_EGENERAL;
    if (APR_STATUS_IS_NOTFOUND(*rv))
        *rv = APR_SUCCESS;
    else if (*rv == APR_SUCCESS)
        return 1;
    return 0;
}

apr_status_t itsme_opindex_revoke(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const char *issuer, const char *kind, const char *value,
                                  int *listed_now)
{
    apr_time_t now = apr_time_now();
    const char *when = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(now));
    const char *key = op_key(r, sc, KIND_REVOKED, kind, issuer, value);
    apr_status_t rv = APR_SUCCESS;

    *listed_now = 0;
    if (!strcmp(kind, "sid") && !sid_known(r, sc, issuer, value, &rv))
        return rv;
    if (!key)
        return APR_EGENERAL;
    rv = itsme_store_put(r, sc->revocations, key, when, strlen(when), itsme_session_horizon(sc));
    *listed_now = rv == APR_SUCCESS;
    return rv;
}

/* ---- logout tokens: replay ---- */

static itsme_store_t *op_store(const itsme_srv_cfg_t *sc)
{
    return sc->store ? sc->store : sc->revocations;
}

apr_status_t itsme_opindex_jti_seen(request_rec *r, const itsme_srv_cfg_t *sc,
                                    const char *issuer, const char *jti)
{
    const char *key = op_key(r, sc, KIND_JTI, "jti", issuer, jti);
    apr_status_t rv = key ? itsme_store_has(r, op_store(sc), key) : APR_EGENERAL;

    return rv == APR_SUCCESS ? APR_EEXIST : rv;
}

apr_status_t itsme_opindex_jti_keep(request_rec *r, const itsme_srv_cfg_t *sc,
                                    const char *issuer, const char *jti, apr_time_t until)
{
    const char *key = op_key(r, sc, KIND_JTI, "jti", issuer, jti);

    return key ? itsme_store_put(r, op_store(sc), key, "1", 1, until) : APR_EGENERAL;
}
