/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * stepup.c: claim step-up. A valid session that lacks a claim its location
 * asks for (ItsmeClaims, the claims of its Require itsme-claim rules) sends
 * the browser to the OP again, asking for what the location asks (not
 * again for what the session holds: that may be another service's, and
 * each identification is paid for), with the location's service (authn.c,
 * flow.c). On return (callback.c) the same person's new claims are merged
 * into the session, whose absolute expiry stays; another person's login
 * replaces it.
 *
 * A claim the OP did not give when a login of this session asked for it is
 * recorded in the session (not_given, per itsme service: "nin@CODE") and
 * not asked of that service again: the person gets the location's answer
 * (its 403 page when a rule needs the claim), never a loop of logins; a
 * location with another service may still ask (at most once per service).
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"

#include "core/proto/state.h"
#include "core/session/session.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

/* The session's name for a wanted claim (age comes from birthdate). */
static const char *held_as(const char *claim)
{
    return strcmp(claim, "age") ? claim : "birthdate";
}

/* 1 when the space-separated list has name. */
static int in_list(const char *list, const char *name)
{
    apr_size_t n = strlen(name);
    const char *at;

    for (at = list; at && (at = strstr(at, name)) != NULL; at += n)
        if ((at == list || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0'))
            return 1;
    return 0;
}

static int has_claim(const itsme_session_t *s, const char *name)
{
    const char *v;

    if (!strcmp(name, "sub") || !strcmp(name, "itsme_sub"))
        return 1; /* the session's subject */
    v = s->claims ? apr_table_get(s->claims, name) : NULL;
    return v && *v;
}

static const char *append(apr_pool_t *p, const char *list, const char *name)
{
    if (in_list(list, name))
        return list;
    return list ? apr_pstrcat(p, list, " ", name, NULL) : name;
}

/* The not_given entry of a claim asked of service (NULL: not itsme). */
static const char *ng_entry(apr_pool_t *p, const char *claim, const char *service)
{
    return service ? apr_pstrcat(p, claim, "@", service, NULL) : claim;
}

/* The itsme service a login here asks (not_given is kept per service: a
 * claim one service did not give may come from another). */
static const char *service_here(const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc)
{
    return sc->profile == ITSME_PROFILE_ITSME ? itsme_service_code(sc, dc) : NULL;
}

const char *itsme_stepup_lacking(request_rec *r, const itsme_srv_cfg_t *sc,
                                 const itsme_dir_cfg_t *dc, const itsme_session_t *s)
{
    const char *out = NULL, *service = service_here(sc, dc);
    int i;

    for (i = 0; dc->claims && i < dc->claims->nelts; i++) {
        const char *name = held_as(APR_ARRAY_IDX(dc->claims, i, const char *));

        if (!has_claim(s, name) && !in_list(s->not_given, name)
            && !(service && in_list(s->not_given, ng_entry(r->pool, name, service))))
            out = append(r->pool, out, name);
    }
    return out;
}

apr_array_header_t *itsme_stepup_wanted(apr_pool_t *p, const itsme_dir_cfg_t *dc)
{
    /* the page's claims only, for a step-up too: the merge keeps what the
     * session holds, and what it holds may be another service's (the
     * national number of an identification, asked again under the light
     * login's code) */
    return dc->claims ? dc->claims : apr_array_make(p, 1, sizeof(const char *));
}

/* The claims asked of service (wanted, space separated) that s lacks, as
 * not_given entries, with the entries of `before` whose claim s still
 * lacks. */
static const char *not_given(apr_pool_t *p, const char *wanted, const char *service,
                             const char *before, const itsme_session_t *s)
{
    const char *out = NULL;
    char *copy, *last = NULL, *c;

    copy = apr_pstrdup(p, wanted ? wanted : "");
    for (c = apr_strtok(copy, " ", &last); c; c = apr_strtok(NULL, " ", &last))
        if (!has_claim(s, held_as(c)))
            out = append(p, out, ng_entry(p, held_as(c), service));
    copy = apr_pstrdup(p, before ? before : "");
    for (last = NULL, c = apr_strtok(copy, " ", &last); c; c = apr_strtok(NULL, " ", &last))
        if (!has_claim(s, apr_pstrndup(p, c, strcspn(c, "@"))))
            out = append(p, out, c);
    return out;
}

/* The session this browser had, when it is valid for this server. */
static itsme_session_t *previous(request_rec *r, const itsme_srv_cfg_t *sc, apr_time_t now)
{
    itsme_session_t *old = NULL;

    if (itsme_session_load(r, sc, &old, NULL, NULL) != APR_SUCCESS || !old->sub
        || !itsme_cfg_issuer_fits(sc, old->issuer)
        || itsme_session_check(old, now, itsme_cfg_inactivity(sc)) != ITSME_SESSION_OK)
        return NULL;
    return old;
}

static int set_claim(void *tbl, const char *key, const char *val)
{
    apr_table_set(tbl, key, val);
    return 1;
}

/* The new login's claims over the old session's; its lifetime kept. */
static itsme_session_t *merge(request_rec *r, const itsme_session_t *old,
                              const itsme_session_t *s, const itsme_state_t *st)
{
    itsme_session_t *m = apr_pmemdup(r->pool, s, sizeof(*s));
    int before;

    m->claims = old->claims ? apr_table_copy(r->pool, old->claims) : apr_table_make(r->pool, 8);
    before = apr_table_elts(m->claims)->nelts;
    if (s->claims)
        apr_table_do(set_claim, m->claims, s->claims, NULL);
    if (old->expires < m->expires)
        m->expires = old->expires;
    m->not_given = not_given(r->pool, st->wanted_claims, st->service, old->not_given, m);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME07101: step-up login of the same person: %d claim(s) added to the "
                  "session, which keeps its expiry; not given: %s",
                  apr_table_elts(m->claims)->nelts - before,
                  m->not_given ? ap_escape_logitem(r->pool, m->not_given) : "none");
    return m;
}

itsme_session_t *itsme_stepup_finish(request_rec *r, const itsme_srv_cfg_t *sc,
                                     const itsme_state_t *st, itsme_session_t *s)
{
    itsme_session_t *old;

    s->not_given = not_given(r->pool, st->wanted_claims, st->service, NULL, s);
    if (!st->step_up)
        return s;
    if (!(old = previous(r, sc, s->created))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME07102: step-up login, but the session it was to complete has "
                      "ended meanwhile: a new session");
        return s;
    }
    if (strcmp(old->sub, s->sub) != 0 || !s->issuer || !old->issuer
        || strcmp(old->issuer, s->issuer) != 0) {
        /* no subject in the log: who they are is personal data */
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "ITSME07103: the step-up login is another person than the session's: "
                      "the new login replaces the session entirely");
        return s;
    }
    return merge(r, old, s, st);
}

/* The step-up's session did not fit its cookie (the person gets the clear
 * page): the same person keeps the session they had, with the claims this
 * login asked for and it lacks recorded as not given, so the page does not
 * send them to the provider again for a login that would end the same way;
 * another person's session ends (the new login was to replace it). */
static void keep_previous(request_rec *r, const itsme_srv_cfg_t *sc, const itsme_state_t *st,
                          const itsme_session_t *s)
{
    itsme_session_t *old = previous(r, sc, s->created), *kept;
    itsme_err_t *err = NULL;

    if (!old)
        return;
    if (strcmp(old->sub, s->sub) != 0 || !s->issuer || !old->issuer
        || strcmp(old->issuer, s->issuer) != 0) {
        itsme_session_end(r, sc);
        return;
    }
    kept = apr_pmemdup(r->pool, old, sizeof(*old));
    kept->not_given = not_given(r->pool, st->wanted_claims, st->service, old->not_given, old);
    if (itsme_session_save(r, sc, kept, 0, &err) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ITSME07150: step-up too large for the session cookie; the session "
                      "could not be kept: %s", itsme_err_str(r->pool, err));
    else
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME07151: step-up too large for the session cookie: the session is "
                      "kept as it was, not asking again for %s",
                      kept->not_given ? ap_escape_logitem(r->pool, kept->not_given) : "nothing");
}

apr_status_t itsme_stepup_save(request_rec *r, const itsme_srv_cfg_t *sc,
                               const itsme_state_t *st, itsme_session_t *s, itsme_err_t **err)
{
    apr_status_t rv = itsme_session_save(r, sc, itsme_stepup_finish(r, sc, st, s), 1, err);

    if (rv != APR_SUCCESS && st->step_up && *err && itsme_err_root_kind(*err) == ITSME_E_CONFIG
        && (*err)->status == APR_ENOSPC)
        keep_previous(r, sc, st, s);
    return rv;
}
