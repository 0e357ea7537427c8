/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * flow.c: starting a login (the authorization request and its state) and
 * the login state cookies it leaves in the browser until the callback.
 *
 * State cookies take fixed names, one per slot (<cookie>_st_0 ..
 * ITSME_STATE_SLOTS - 1): however many logins a browser starts at once
 * (restored tabs, HTTP/2), it never holds more than ITSME_STATE_SLOTS of
 * them, and they share ITSME_STATE_COOKIES_BUDGET bytes. A new login takes
 * a free slot, else the oldest one's; a flow whose cookie was taken over
 * ends at the callback with a page that says to start again. With a
 * session store, the callback also marks each state used, so a replayed
 * answer is refused before the code is exchanged.
 */
#include <stdlib.h>

#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "core/url.h"
#include "core/proto/authorize.h"
#include "core/proto/metadata.h"
#include "core/proto/state.h"
#include "core/session/codec.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

/* the longest return URL a state remembers (a longer one: its path) */
#define ITSME_RETURN_URL_MAX 1024
#define USED_KIND ":u"           /* after the state: shmcb partitions by the first byte */
#define USED_KEY_STATE_MAX 64

/* ---- the OP and our address at it (shared with the callback, logout) ---- */

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
    itsme_oplogout_note_metadata(r, sc, *md);
    return APR_SUCCESS;
}

/* ---- state cookies ---- */

/* The associated data of every state cookie: the same for all slots (a
 * state moved to another slot is still matched by its value). */
static const char *state_bind(request_rec *r, const itsme_srv_cfg_t *sc)
{
    return itsme_session_bind(r->pool, sc, apr_pstrcat(r->pool, itsme_cfg_cookie_name(sc),
                                                       ITSME_STATE_COOKIE_INFIX, NULL));
}

apr_status_t itsme_flow_open_state(request_rec *r, const itsme_srv_cfg_t *sc, const char *name,
                                   itsme_state_t **st, itsme_err_t **err)
{
    const char *v = itsme_cookie_get(r, itsme_cfg_cookie_name(sc), name);
    unsigned char *pt = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if (!v)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_ENOENT, "no state cookie");
    rv = itsme_open(r->pool, sc->crypto, state_bind(r, sc), v, strlen(v), &pt, &len, NULL, err);
    if (rv == APR_SUCCESS)
        rv = itsme_state_parse(r->pool, (const char *)pt, len, apr_time_now(),
                               ITSME_STATE_MAX_AGE, st, err);
    return rv;
}

typedef struct {
    const char *name;
    apr_size_t len;      /* of the value; 0: the slot is free */
    apr_time_t created;  /* 0 when it did not open */
} slot_t;

/* The slots as the request carried them; cookies of another shape (older
 * versions named them after the state) are expired. */
static void read_slots(request_rec *r, const itsme_srv_cfg_t *sc, slot_t *slots)
{
    const char *base = itsme_cfg_cookie_name(sc);
    apr_array_header_t *names = itsme_cookie_state_names(r, base);
    int i, k;

    for (k = 0; k < ITSME_STATE_SLOTS; k++) {
        slots[k].name = itsme_cookie_state_name(r->pool, base, k);
        slots[k].len = 0;
        slots[k].created = 0;
    }
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        itsme_state_t *st = NULL;

        for (k = 0; k < ITSME_STATE_SLOTS && strcmp(name, slots[k].name); k++)
            ;
        if (k == ITSME_STATE_SLOTS) {
            itsme_cookie_clear(r, base, name);
            continue;
        }
        slots[k].len = strlen(itsme_cookie_get(r, base, name));
        if (itsme_flow_open_state(r, sc, name, &st, NULL) == APR_SUCCESS)
            slots[k].created = st->created;
    }
}

/* The slot a new flow takes: a free one, else the oldest. */
static int pick_slot(const slot_t *slots)
{
    int k, best = 0;

    for (k = 0; k < ITSME_STATE_SLOTS; k++) {
        if (!slots[k].len)
            return k;
        if (slots[k].created < slots[best].created)
            best = k;
    }
    return best;
}

/* Takes a slot for a new state of new_len bytes; the other pending flows
 * stay while they fit ITSME_STATE_COOKIES_BUDGET with it (oldest go first). */
static const char *take_slot(request_rec *r, const itsme_srv_cfg_t *sc, apr_size_t new_len)
{
    const char *base = itsme_cfg_cookie_name(sc);
    slot_t slots[ITSME_STATE_SLOTS];
    apr_size_t total = new_len;
    int k, mine, dropped = 0;

    read_slots(r, sc, slots);
    mine = pick_slot(slots);
    slots[mine].len = 0;
    for (k = 0; k < ITSME_STATE_SLOTS; k++)
        total += slots[k].len;
    while (total > ITSME_STATE_COOKIES_BUDGET) {
        int oldest = -1;

        for (k = 0; k < ITSME_STATE_SLOTS; k++)
            if (slots[k].len && (oldest < 0 || slots[k].created < slots[oldest].created))
                oldest = k;
        total -= slots[oldest].len;
        slots[oldest].len = 0;
        itsme_cookie_clear(r, base, slots[oldest].name);
        dropped++;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME01103: login state in slot %d; %d pending flow(s) dropped to stay "
                  "within the cookie budget", mine, dropped);
    return slots[mine].name;
}

static apr_status_t seal_state(request_rec *r, const itsme_srv_cfg_t *sc,
                               const itsme_state_t *st, const char **sealed, itsme_err_t **err)
{
    const char *json = itsme_state_serialize(r->pool, st);

    if (!json)
        return itsme_err_make(r->pool, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "cannot serialise the login state");
    return itsme_seal(r->pool, sc->crypto, state_bind(r, sc), (const unsigned char *)json,
                      strlen(json), sealed, err);
}

/* Seals st into a slot; when too large for the budget, without the return
 * URL. */
static apr_status_t set_state_cookie(request_rec *r, const itsme_srv_cfg_t *sc,
                                     itsme_state_t *st, itsme_err_t **err)
{
    const char *sealed = NULL;
    apr_status_t rv;

    if ((rv = seal_state(r, sc, st, &sealed, err)) != APR_SUCCESS)
        return rv;
    if (strlen(sealed) > ITSME_STATE_COOKIES_BUDGET && strcmp(st->return_url, "/") != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME04001: login state of %" APR_SIZE_T_FMT " bytes is too large "
                      "for its cookie: the login returns to /", strlen(sealed));
        st->return_url = "/";
        if ((rv = seal_state(r, sc, st, &sealed, err)) != APR_SUCCESS)
            return rv;
    }
    if (strlen(sealed) > ITSME_STATE_COOKIES_BUDGET)
        return itsme_err_make(r->pool, err, ITSME_E_CONFIG, APR_ENOSPC,
                              "the login state (%" APR_SIZE_T_FMT " bytes sealed) does not "
                              "fit its cookie (ItsmeClaims, ItsmeACRValues too long?)",
                              strlen(sealed));
    return itsme_cookie_set(r, take_slot(r, sc, strlen(sealed)), sealed,
                            apr_time_sec(ITSME_STATE_MAX_AGE));
}

apr_status_t itsme_flow_find_state(request_rec *r, const itsme_srv_cfg_t *sc, const char *state,
                                   itsme_state_t **st, const char **name, itsme_err_t **err)
{
    const char *base = itsme_cfg_cookie_name(sc);
    int k, carried = 0;

    for (k = 0; k < ITSME_STATE_SLOTS; k++) {
        const char *n = itsme_cookie_state_name(r->pool, base, k);
        itsme_state_t *cand = NULL;

        if (!itsme_cookie_get(r, base, n))
            continue;
        carried++;
        if (itsme_flow_open_state(r, sc, n, &cand, err) == APR_SUCCESS
            && itsme_ct_equal(cand->state, state)) {
            *st = cand;
            *name = n;
            return APR_SUCCESS;
        }
    }
    if (!carried)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_ENOENT, "no state cookie");
    return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_EINVAL,
                          "no state cookie of this browser matches the answer's state");
}

apr_status_t itsme_flow_mark_used(request_rec *r, const itsme_srv_cfg_t *sc,
                                  const itsme_state_t *st, itsme_err_t **err)
{
    const char *key = apr_pstrcat(r->pool, apr_pstrndup(r->pool, st->state, USED_KEY_STATE_MAX),
                                  USED_KIND, NULL);
    apr_status_t rv;

    if (!sc->store)
        return APR_SUCCESS;
    rv = itsme_store_has(r, sc->store, key);
    if (rv == APR_SUCCESS)
        return itsme_err_make(r->pool, err, ITSME_E_INPUT, APR_EEXIST,
                              "this login answer was used already (replayed)");
    if (APR_STATUS_IS_NOTFOUND(rv))
        rv = itsme_store_put(r, sc->store, key, "1", 1,
                             st->created + ITSME_STATE_MAX_AGE + ITSME_SESSION_CLOCK_SKEW);
    if (rv != APR_SUCCESS)
        return itsme_err_make(r->pool, err, ITSME_E_UNAVAILABLE, rv,
                              "session store %s: cannot record the login as used",
                              itsme_store_name(sc->store));
    return APR_SUCCESS;
}

/* ---- the authorization request ---- */

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
    apr_array_header_t *wanted = itsme_stepup_wanted(r->pool, dc);
    const char *service = itsme_service_code(sc, dc); /* this location's (service.c) */
    itsme_authz_req_t az;
    apr_status_t rv;

    if (sc->profile == ITSME_PROFILE_ITSME && !service)
        return itsme_err_make(r->pool, err, ITSME_E_CONFIG, APR_EINVAL,
                              "no ItsmeServiceCode applies to %s",
                              ap_escape_logitem(r->pool, r->uri));
    memset(&az, 0, sizeof(az));
    rv = itsme_claims_request(r->pool, sc->profile, wanted,
                              itsme_service_extra_scope(r->pool, sc, dc), service, &az.scope,
                              &az.claims, err);
    if (rv != APR_SUCCESS)
        return rv;
    st->wanted_claims = wanted->nelts ? apr_array_pstrcat(r->pool, wanted, ' ') : NULL;
    st->service = sc->profile == ITSME_PROFILE_ITSME ? service : NULL; /* not_given */
    st->acr = itsme_acr_values(r, sc, dc);
    az.authorization_endpoint = md->authorization_endpoint;
    az.client_id = sc->client_id;
    az.redirect_uri = itsme_redirect_uri(r, sc);
    az.state = st->state;
    az.nonce = st->nonce;
    az.code_challenge = itsme_pkce_s256(r->pool, st->code_verifier);
    az.acr_values = st->acr;
    az.ui_locales = itsme_ui_locales(r, sc); /* lang.c: ItsmeUILocales */
    /* itsme direct profile: the request object (keys.c) */
    if ((rv = itsme_keys_request_object(r, sc, md, &az, err)) != APR_SUCCESS)
        return rv;
    return itsme_authorize_url(r->pool, &az, url, err);
}

static int login_failed(request_rec *r, int status, const char *what, const itsme_err_t *err)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ITSME01104: cannot start the login: %s: %s",
                  what, itsme_err_str(r->pool, err));
    return itsme_page_send(r, status, status == HTTP_BAD_GATEWAY ? ITSME_PAGE_OP_UNAVAILABLE
                                                                 : ITSME_PAGE_SERVER_ERROR,
                           itsme_page_back(r, return_url(r)));
}

static int start(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                 const itsme_session_t *held, const char *lacking)
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
    st->step_up = held ? (lacking ? lacking : "") : NULL;
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

int itsme_flow_start(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc)
{
    return start(r, sc, dc, NULL, NULL);
}

int itsme_flow_step_up(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc,
                       const itsme_session_t *held, const char *lacking)
{
    return start(r, sc, dc, held, lacking);
}
