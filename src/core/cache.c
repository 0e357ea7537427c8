/*
 * cache.c: per-process cache of documents fetched by URL (discovery, JWKS).
 *
 * One mutex guards the whole cache; a fetch runs under it (bounded by the
 * HTTP timeout), so concurrent callers never stampede the OP. The cache owns
 * its own allocator so that entry pools are only ever created and destroyed
 * under our lock. Each entry has a pool (entry struct, URL key) and a child
 * body pool that is replaced whenever a new body arrives; a value derived
 * from the body (the parsed document) lives in a child of the body pool and
 * goes with it. Readers always get a copy in their own pool.
 */
#include <string.h>
#include <apr_hash.h>
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
    e->derived_pool = NULL;
    e->derived = NULL;
    e->derived_by = NULL;
}

/* Replaces the body (caller holds the lock). */
static apr_status_t entry_set_body(entry_t *e, const char *body, apr_size_t len,
                                   apr_time_t when)
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

/* Network fetch into e (caller holds the lock). */
static apr_status_t entry_fetch(entry_t *e, apr_pool_t *p, const itsme_http_opts_t *o,
                                apr_time_t now, itsme_err_t **err)
{
    itsme_http_resp_t *resp = NULL;
    e->last_attempt = now;
    apr_status_t rv = itsme_http_get(p, o, e->url, NULL, "application/json", &resp, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (resp->status != 200)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EGENERAL, "GET %s answered HTTP %ld",
                              e->url, resp->status);
    rv = entry_set_body(e, resp->body, resp->body_len, now);
    if (rv != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "cache: out of memory");
    return APR_SUCCESS;
}

/* The lookup and fetch decision (caller holds the lock). On success *out is
 * url's entry, holding a body. */
static apr_status_t fetch_locked(itsme_cache_t *c, apr_pool_t *p, const itsme_http_opts_t *o,
                                 const char *url, const itsme_cache_policy_t *pol,
                                 apr_time_t now, entry_t **out, int *fetched,
                                 itsme_err_t **err)
{
    entry_t *e = entry_get(c, url, 1);
    if (!e)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "cache: out of memory");
    entry_clamp(e, now);
    *out = e;
    if (e->body && !pol->force && now - e->fetched_at < pol->max_age)
        return APR_SUCCESS;
    if (e->last_attempt && now - e->last_attempt < pol->min_interval) {
        if (e->body)
            return APR_SUCCESS;
        return itsme_err_make(p, err, ITSME_E_NETWORK, APR_EAGAIN,
                              "not fetching %s again yet: last attempt %" APR_TIME_T_FMT
                              " s ago failed", url, apr_time_sec(now - e->last_attempt));
    }
    if (fetched)
        *fetched = 1;
    return entry_fetch(e, p, o, now, err);
}

/* Drops e's body, or e itself when it was never fetched (caller holds the
 * lock); a remembered last attempt keeps min_interval in force. */
static void invalidate_locked(itsme_cache_t *c, entry_t *e)
{
    if (!e->last_attempt)
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

static apr_status_t cache_lock(itsme_cache_t *c, apr_pool_t *p, itsme_err_t **err)
{
    apr_status_t rv = apr_thread_mutex_lock(c->mu);
    if (rv != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "cache: lock failed");
    return APR_SUCCESS;
}

static const itsme_cache_policy_t no_policy = { 0, 0, 0 };

apr_status_t itsme_cache_fetch(itsme_cache_t *c, apr_pool_t *p, const itsme_http_opts_t *o,
                               const char *url, const itsme_cache_policy_t *pol,
                               apr_time_t now, const char **body, apr_size_t *len,
                               int *fetched, itsme_err_t **err)
{
    entry_t *e = NULL;
    if (fetched)
        *fetched = 0;
    if (!c || !url || !body)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "cache: bad arguments");
    apr_status_t rv = cache_lock(c, p, err);
    if (rv != APR_SUCCESS)
        return rv;
    rv = fetch_locked(c, p, o, url, pol ? pol : &no_policy, now, &e, fetched, err);
    if (rv == APR_SUCCESS)
        give_copy(p, e, body, len);
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
    if (fetched)
        *fetched = 0;
    if (!c || !url || !d || !d->build || !d->copy || !value)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "cache: bad arguments");
    *value = NULL;
    apr_status_t rv = cache_lock(c, p, err);
    if (rv != APR_SUCCESS)
        return rv;
    rv = fetch_locked(c, p, o, url, pol ? pol : &no_policy, now, &e, fetched, err);
    if (rv == APR_SUCCESS)
        rv = derive_locked(c, e, p, d, value, err);
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
        rv = entry_set_body(e, body ? body : "", len, when);
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
