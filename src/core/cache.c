/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * cache.c: per-process cache of documents fetched by URL (discovery, JWKS).
 *
 * Two kinds of lock. The cache lock guards the table and every entry's
 * fields, and all pool work (the cache owns its own allocator, so entry pools
 * are only ever created and destroyed under it); it is held for short
 * stretches only, never across the network. Each entry also has a fetch
 * lock, held by the one caller fetching that URL: others asking for the same
 * URL wait on it and then find the fresh body (single flight), while callers
 * of other URLs go on. An entry in use outside the cache lock (refs > 0) is
 * never destroyed. Each entry has a pool (entry struct, URL key, fetch lock)
 * and a child body pool that is replaced whenever a new body arrives; a value
 * derived from the body (the parsed document) lives in a child of the body
 * pool and goes with it. Readers always get a copy in their own pool.
 */
#include <string.h>
#include <strings.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_allocator.h>
#include "core/cache.h"

#define CACHE_MAX_ENTRIES 32
#define CACHE_MAX_FREE_KB 256

typedef struct {
    apr_pool_t *pool;        /* entry and its url */
    apr_pool_t *body_pool;   /* child of pool; NULL while there is no body */
    const char *url;
    const char *body;
    apr_size_t len;
    apr_time_t fetched_at;   /* of body */
    apr_time_t last_attempt; /* 0 = never */
    apr_pool_t *derived_pool; /* child of body_pool; NULL while nothing is derived */
    void *derived;           /* built from body by derived_by */
    itsme_cache_build_fn *derived_by;
    unsigned int builds;     /* derived values built for this entry (test seam) */
    apr_interval_time_t ttl; /* Cache-Control max-age of body; < 0: none */
    apr_thread_mutex_t *flight; /* held by the caller fetching url */
    unsigned int refs;       /* callers using the entry outside the cache lock */
    int in_flight;           /* a fetch of url is under way */
    struct {
        char key[ITSME_CACHE_NOTE_MAX + 1];
        apr_time_t at;       /* 0: free slot */
    } notes[ITSME_CACHE_NOTES];
} entry_t;

struct itsme_cache {
    apr_pool_t *pool;
    apr_thread_mutex_t *mu;
    apr_hash_t *entries;     /* url -> entry_t* */
};

apr_status_t itsme_cache_create(apr_pool_t *p, itsme_cache_t **out)
{
    apr_allocator_t *alloc = NULL;
    apr_pool_t *cp = NULL;
    apr_status_t rv = apr_allocator_create(&alloc);
    if (rv != APR_SUCCESS)
        return rv;
    rv = apr_pool_create_ex(&cp, p, NULL, alloc);
    if (rv != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, cp);
    apr_allocator_max_free_set(alloc, CACHE_MAX_FREE_KB * 1024);
    apr_pool_tag(cp, "itsme_cache");

    itsme_cache_t *c = apr_pcalloc(cp, sizeof(*c));
    c->pool = cp;
    c->entries = apr_hash_make(cp);
    rv = apr_thread_mutex_create(&c->mu, APR_THREAD_MUTEX_DEFAULT, cp);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(cp);
        return rv;
    }
    *out = c;
    return APR_SUCCESS;
}

static void entry_drop(itsme_cache_t *c, entry_t *e)
{
    apr_hash_set(c->entries, e->url, APR_HASH_KEY_STRING, NULL);
    apr_pool_destroy(e->pool);
}

static apr_time_t entry_time(const entry_t *e)
{
    return e->fetched_at > e->last_attempt ? e->fetched_at : e->last_attempt;
}

static void evict_oldest(itsme_cache_t *c)
{
    entry_t *oldest = NULL;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, c->entries); hi; hi = apr_hash_next(hi)) {
        entry_t *e = apr_hash_this_val(hi);
        if (e->refs)
            continue; /* in use outside the lock */
        if (!oldest || entry_time(e) < entry_time(oldest))
            oldest = e;
    }
    if (oldest)
        entry_drop(c, oldest);
}

/* Finds or creates url's entry (caller holds the lock). NULL on ENOMEM. */
static entry_t *entry_get(itsme_cache_t *c, const char *url, int create)
{
    entry_t *e = apr_hash_get(c->entries, url, APR_HASH_KEY_STRING);
    if (e || !create)
        return e;
    if (apr_hash_count(c->entries) >= CACHE_MAX_ENTRIES)
        evict_oldest(c);
    apr_pool_t *ep = NULL;
    if (apr_pool_create(&ep, c->pool) != APR_SUCCESS)
        return NULL;
    e = apr_pcalloc(ep, sizeof(*e));
    e->pool = ep;
    e->ttl = -1;
    if (apr_thread_mutex_create(&e->flight, APR_THREAD_MUTEX_DEFAULT, ep) != APR_SUCCESS) {
        apr_pool_destroy(ep);
        return NULL;
    }
    e->url = apr_pstrdup(ep, url);
    apr_hash_set(c->entries, e->url, APR_HASH_KEY_STRING, e);
    return e;
}

/* Forgets the body and what was derived from it (caller holds the lock). */
static void entry_drop_body(entry_t *e)
{
    if (e->body_pool)
        apr_pool_destroy(e->body_pool);
    e->body_pool = NULL;
    e->body = NULL;
    e->len = 0;
    e->fetched_at = 0;
    e->ttl = -1;
    e->derived_pool = NULL;
    e->derived = NULL;
    e->derived_by = NULL;
}

/* Replaces the body (caller holds the lock). */
static apr_status_t entry_set_body(entry_t *e, const char *body, apr_size_t len,
                                   apr_time_t when, apr_interval_time_t ttl)
{
    apr_pool_t *bp = NULL;
    apr_status_t rv = apr_pool_create(&bp, e->pool);
    if (rv != APR_SUCCESS)
        return rv;
    entry_drop_body(e);
    e->body_pool = bp;
    e->body = apr_pstrmemdup(bp, body, len);
    e->len = len;
    e->fetched_at = when;
    e->ttl = ttl;
    return APR_SUCCESS;
}

/* After the clock went backwards, treat stored times as "now". */
static void entry_clamp(entry_t *e, apr_time_t now)
{
    if (e->fetched_at > now)
        e->fetched_at = now;
    if (e->last_attempt > now)
        e->last_attempt = now;
}

static void give_copy(apr_pool_t *p, const entry_t *e, const char **body, apr_size_t *len)
{
    *body = apr_pstrmemdup(p, e->body, e->len);
    if (len)
        *len = e->len;
}

static apr_status_t cache_lock(itsme_cache_t *c, apr_pool_t *p, itsme_err_t **err)
{
    apr_status_t rv = apr_thread_mutex_lock(c->mu);
    if (rv != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "cache: lock failed");
    return APR_SUCCESS;
}

/* Skips spaces and commas in a Cache-Control value. */
static const char *cc_next(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    return s;
}

apr_interval_time_t itsme_cache_control_max_age(const char *value)
{
    apr_interval_time_t age = -1;
    for (const char *s = value ? cc_next(value) : ""; *s; s = cc_next(s)) {
        size_t n = strcspn(s, ",");
        if ((n == 8 && strncasecmp(s, "no-cache", 8) == 0)
            || (n == 8 && strncasecmp(s, "no-store", 8) == 0))
            age = 0;
        else if (n > 8 && strncasecmp(s, "max-age=", 8) == 0 && age != 0) {
            apr_int64_t v = 0;
            const char *d = s + 8;
            for (; d < s + n && apr_isdigit(*d) && v < APR_INT64_C(1000000000); d++)
                v = v * 10 + (*d - '0');
            const char *end = d;
            while (end < s + n && (*end == ' ' || *end == '\t'))
                end++;
            if (d > s + 8 && (end == s + n || apr_isdigit(*d)))
                age = apr_time_from_sec(v);
        }
        s += n;
    }
    return age;
}

/* How long e's body is fresh under pol: its Cache-Control max-age within
 * [ITSME_CACHE_CC_FLOOR, max_age], else max_age. */
static apr_interval_time_t entry_lifetime(const entry_t *e, const itsme_cache_policy_t *pol)
{
    apr_interval_time_t t = e->ttl;
    if (t < 0 || t > pol->max_age)
        return pol->max_age;
    if (t < ITSME_CACHE_CC_FLOOR)
        return ITSME_CACHE_CC_FLOOR < pol->max_age ? ITSME_CACHE_CC_FLOOR : pol->max_age;
    return t;
}

typedef enum { USE_BODY, GO_FETCH, TOO_SOON } decision_e;

/* Whether e's body serves, or a fetch is due or refused (caller holds the
 * cache lock). */
static decision_e decide(entry_t *e, const itsme_cache_policy_t *pol, apr_time_t now)
{
    entry_clamp(e, now);
    if (e->body && !pol->force && now - e->fetched_at < entry_lifetime(e, pol))
        return USE_BODY;
    if (e->in_flight && (pol->force || !e->body))
        return GO_FETCH; /* that is, wait for the fetch under way and share it */
    if (e->last_attempt && now - e->last_attempt < pol->min_interval)
        return e->body ? USE_BODY : TOO_SOON;
    return GO_FETCH;
}

static apr_status_t too_soon(apr_pool_t *p, const entry_t *e, apr_time_t now,
                             itsme_err_t **err)
{
    return itsme_err_make(p, err, ITSME_E_NETWORK, APR_EAGAIN,
                          "not fetching %s again yet: last attempt %" APR_TIME_T_FMT
                          " s ago failed", e->url, apr_time_sec(now - e->last_attempt));
}

/* The network part, without any lock of the cache: the response in p. */
static apr_status_t get_200(apr_pool_t *p, const itsme_http_opts_t *o, const char *url,
                            itsme_http_resp_t **resp, itsme_err_t **err)
{
    apr_status_t rv = itsme_http_get(p, o, url, NULL, "application/json", resp, err);
    if (rv == APR_SUCCESS && (*resp)->status != 200)
        rv = itsme_err_make(p, err, ITSME_E_OP, APR_EGENERAL, "GET %s answered HTTP %ld", url,
                            (*resp)->status);
    return rv;
}

/* Fetches e while holding its fetch lock, unless whoever held it before us
 * just did (caller holds a reference, not the cache lock). Returns with the
 * cache lock held when *locked says so (only a failing lock leaves it 0). */
static apr_status_t fetch_single(itsme_cache_t *c, entry_t *e, apr_pool_t *p,
                                 const itsme_http_opts_t *o, const itsme_cache_policy_t *pol,
                                 apr_time_t now, int *fetched, int *locked, itsme_err_t **err)
{
    itsme_http_resp_t *resp = NULL;
    apr_status_t rv = apr_thread_mutex_lock(e->flight);
    if (rv != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "cache: lock failed");
    if ((rv = cache_lock(c, p, err)) != APR_SUCCESS)
        goto leave;
    *locked = 1;
    decision_e d = decide(e, pol, now);
    if (d != GO_FETCH) {
        rv = d == USE_BODY ? APR_SUCCESS : too_soon(p, e, now, err);
        goto leave;
    }
    e->last_attempt = now;
    e->in_flight = 1;
    apr_thread_mutex_unlock(c->mu);
    *locked = 0;
    if (fetched)
        *fetched = 1;
    apr_status_t got = get_200(p, o, e->url, &resp, err);
    if ((rv = cache_lock(c, p, err)) != APR_SUCCESS)
        goto leave;
    *locked = 1;
    e->in_flight = 0;
    if ((rv = got) != APR_SUCCESS)
        goto leave;
    rv = entry_set_body(e, resp->body, resp->body_len, now,
                        itsme_cache_control_max_age(resp->cache_control));
    if (rv != APR_SUCCESS)
        rv = itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "cache: out of memory");
leave:
    apr_thread_mutex_unlock(e->flight);
    return rv;
}

/* Finds url's entry and makes sure it holds a body, fetching outside the
 * cache lock when needed. Returns with the cache lock held when *locked says
 * so (only a failing lock leaves it 0); on success *out holds a body. */
static apr_status_t obtain(itsme_cache_t *c, apr_pool_t *p, const itsme_http_opts_t *o,
                           const char *url, const itsme_cache_policy_t *pol, apr_time_t now,
                           entry_t **out, int *fetched, int *locked, itsme_err_t **err)
{
    *locked = 0;
    apr_status_t rv = cache_lock(c, p, err);
    if (rv != APR_SUCCESS)
        return rv;
    *locked = 1;
    entry_t *e = entry_get(c, url, 1);
    if (!e)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "cache: out of memory");
    *out = e;
    decision_e d = decide(e, pol, now);
    if (d != GO_FETCH)
        return d == USE_BODY ? APR_SUCCESS : too_soon(p, e, now, err);
    e->refs++; /* keeps e alive while the cache lock is released */
    apr_thread_mutex_unlock(c->mu);
    *locked = 0;
    rv = fetch_single(c, e, p, o, pol, now, fetched, locked, err);
    if (*locked)
        e->refs--; /* without the lock e stays pinned: better than a race */
    return rv;
}
/* Drops e's body, or e itself when it was never fetched (caller holds the
 * lock); a remembered last attempt keeps min_interval in force. */
static void invalidate_locked(itsme_cache_t *c, entry_t *e)
{
    if (!e->last_attempt && !e->refs)
        entry_drop(c, e);
    else
        entry_drop_body(e);
}

/* Builds d's value for e's body unless already there (caller holds the lock). */
static apr_status_t derive_locked(itsme_cache_t *c, entry_t *e, apr_pool_t *p,
                                  const itsme_cache_deriver_t *d, void **value,
                                  itsme_err_t **err)
{
    if (!e->derived || e->derived_by != d->build) {
        apr_pool_t *dp = NULL;
        void *v = NULL;
        if (e->derived_pool)
            apr_pool_destroy(e->derived_pool);
        e->derived_pool = NULL;
        e->derived = NULL;
        if (apr_pool_create(&dp, e->body_pool) != APR_SUCCESS)
            return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM,
                                  "cache: out of memory");
        e->builds++;
        apr_status_t rv = d->build(dp, p, e->url, e->body, e->len, &v, err);
        if (rv != APR_SUCCESS) {
            invalidate_locked(c, e);
            return rv;
        }
        e->derived_pool = dp;
        e->derived = v;
        e->derived_by = d->build;
    }
    *value = d->copy(p, e->derived);
    if (!*value)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "cache: out of memory");
    return APR_SUCCESS;
}

static const itsme_cache_policy_t no_policy = { 0, 0, 0 };

apr_status_t itsme_cache_fetch(itsme_cache_t *c, apr_pool_t *p, const itsme_http_opts_t *o,
                               const char *url, const itsme_cache_policy_t *pol,
                               apr_time_t now, const char **body, apr_size_t *len,
                               int *fetched, itsme_err_t **err)
{
    entry_t *e = NULL;
    int locked = 0;
    if (fetched)
        *fetched = 0;
    if (!c || !url || !body)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "cache: bad arguments");
    apr_status_t rv = obtain(c, p, o, url, pol ? pol : &no_policy, now, &e, fetched, &locked,
                             err);
    if (rv == APR_SUCCESS)
        give_copy(p, e, body, len);
    if (locked)
        apr_thread_mutex_unlock(c->mu);
    return rv;
}

apr_status_t itsme_cache_fetch_derived(itsme_cache_t *c, apr_pool_t *p,
                                       const itsme_http_opts_t *o, const char *url,
                                       const itsme_cache_policy_t *pol, apr_time_t now,
                                       const itsme_cache_deriver_t *d, void **value,
                                       int *fetched, itsme_err_t **err)
{
    entry_t *e = NULL;
    int locked = 0;
    if (fetched)
        *fetched = 0;
    if (!c || !url || !d || !d->build || !d->copy || !value)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "cache: bad arguments");
    *value = NULL;
    apr_status_t rv = obtain(c, p, o, url, pol ? pol : &no_policy, now, &e, fetched, &locked,
                             err);
    if (rv == APR_SUCCESS)
        rv = derive_locked(c, e, p, d, value, err);
    if (locked)
        apr_thread_mutex_unlock(c->mu);
    return rv;
}

/* Drops the body but remembers the last attempt, so that min_interval still
 * limits how soon the URL is fetched again. */
void itsme_cache_invalidate(itsme_cache_t *c, const char *url)
{
    if (!c || !url || apr_thread_mutex_lock(c->mu) != APR_SUCCESS)
        return;
    entry_t *e = entry_get(c, url, 0);
    if (e)
        invalidate_locked(c, e);
    apr_thread_mutex_unlock(c->mu);
}

/* The slot for key in e: where it is, else a free or the oldest one. */
static int note_slot(const entry_t *e, const char *key, int *found)
{
    int pick = 0;
    *found = 0;
    for (int i = 0; i < ITSME_CACHE_NOTES; i++) {
        if (e->notes[i].at && strcmp(e->notes[i].key, key) == 0) {
            *found = 1;
            return i;
        }
        if (e->notes[i].at < e->notes[pick].at)
            pick = i;
    }
    return pick;
}

void itsme_cache_note(itsme_cache_t *c, const char *url, const char *key, apr_time_t now)
{
    int found = 0;
    if (!c || !url || !key || strlen(key) > ITSME_CACHE_NOTE_MAX || now <= 0
        || apr_thread_mutex_lock(c->mu) != APR_SUCCESS)
        return;
    entry_t *e = entry_get(c, url, 0);
    if (e) {
        int i = note_slot(e, key, &found);
        strcpy(e->notes[i].key, key); /* length checked above */
        e->notes[i].at = now;
    }
    apr_thread_mutex_unlock(c->mu);
}

int itsme_cache_noted(itsme_cache_t *c, const char *url, const char *key, apr_time_t now,
                      apr_interval_time_t within)
{
    int found = 0, yes = 0;
    if (!c || !url || !key || strlen(key) > ITSME_CACHE_NOTE_MAX
        || apr_thread_mutex_lock(c->mu) != APR_SUCCESS)
        return 0;
    entry_t *e = entry_get(c, url, 0);
    if (e) {
        int i = note_slot(e, key, &found);
        /* a note from the future (the clock went back) has expired */
        yes = found && now >= e->notes[i].at && now - e->notes[i].at < within;
    }
    apr_thread_mutex_unlock(c->mu);
    return yes;
}

apr_status_t itsme_cache_put(itsme_cache_t *c, const char *url, const char *body,
                             apr_size_t len, apr_time_t when)
{
    if (!c || !url || (!body && len))
        return APR_EINVAL;
    apr_status_t rv = apr_thread_mutex_lock(c->mu);
    if (rv != APR_SUCCESS)
        return rv;
    entry_t *e = entry_get(c, url, 1);
    if (!e) {
        rv = APR_ENOMEM;
    }
    else {
        rv = entry_set_body(e, body ? body : "", len, when, -1);
        if (rv == APR_SUCCESS)
            e->last_attempt = when;
    }
    apr_thread_mutex_unlock(c->mu);
    return rv;
}

unsigned int itsme_cache_builds(itsme_cache_t *c, const char *url)
{
    unsigned int n = 0;
    if (!c || !url || apr_thread_mutex_lock(c->mu) != APR_SUCCESS)
        return 0;
    entry_t *e = entry_get(c, url, 0);
    if (e)
        n = e->builds;
    apr_thread_mutex_unlock(c->mu);
    return n;
}
