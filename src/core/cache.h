/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * cache.h: a per-process, thread-safe cache of documents fetched by URL
 * (discovery and JWKS). Bodies (and a value derived from each, such as the
 * parsed document) live in a sub-pool per entry; readers get a copy in their
 * own pool, so a refresh never frees memory a reader holds.
 * Each URL has its own fetch lock: a slow OP only delays callers of its own
 * URLs, and concurrent callers of one URL share a single fetch (single
 * flight, no stampede toward the OP). The cache-wide lock is never held
 * across the network.
 */
#ifndef ITSME_CACHE_H
#define ITSME_CACHE_H

#include <apr_pools.h>
#include <apr_time.h>
#include "core/err.h"
#include "core/http_client.h"

typedef struct itsme_cache itsme_cache_t;

/* The cache lives as long as p (a process-lifetime pool). */
apr_status_t itsme_cache_create(apr_pool_t *p, itsme_cache_t **out);

typedef struct {
    apr_interval_time_t max_age;      /* reuse a body younger than this */
    apr_interval_time_t min_interval; /* never fetch a URL more often than this */
    int force;                        /* refetch now unless fetched < min_interval ago */
} itsme_cache_policy_t;

/* A response's Cache-Control is honoured within bounds: max-age=N (no-cache
 * and no-store count as 0) shortens the body's lifetime to N, never below
 * ITSME_CACHE_CC_FLOOR (nor above the policy's max_age). */
#define ITSME_CACHE_CC_FLOOR apr_time_from_sec(60)

/* Returns (a copy in p of) the body for url. Only a 200 answer is cached;
 * another status is an ITSME_E_OP error. *fetched tells whether this call
 * went to the network (may be NULL). */
apr_status_t itsme_cache_fetch(itsme_cache_t *c, apr_pool_t *p, const itsme_http_opts_t *o,
                               const char *url, const itsme_cache_policy_t *pol,
                               apr_time_t now, const char **body, apr_size_t *len,
                               int *fetched, itsme_err_t **err);

/*
 * A value derived from a body (e.g. the parsed, validated document), built
 * once per body and kept with it until the body is replaced or dropped.
 * build runs under the cache lock; it must depend on url and body only. It
 * allocates the value in keep (the body's own pool) and temporary data and
 * errors in p (the caller's pool). copy makes a reader's copy in p (NULL on
 * failure), so a refresh never frees memory a reader holds.
 */
typedef apr_status_t itsme_cache_build_fn(apr_pool_t *keep, apr_pool_t *p, const char *url,
                                          const char *body, apr_size_t len, void **value,
                                          itsme_err_t **err);
typedef void *itsme_cache_copy_fn(apr_pool_t *p, const void *value);
typedef struct {
    itsme_cache_build_fn *build;
    itsme_cache_copy_fn *copy;
} itsme_cache_deriver_t;

/* Like itsme_cache_fetch, but hands out (a copy in p of) d's value for the
 * body. When build fails the body is dropped as by itsme_cache_invalidate
 * (min_interval still limits the refetch) and build's error is returned. */
apr_status_t itsme_cache_fetch_derived(itsme_cache_t *c, apr_pool_t *p,
                                       const itsme_http_opts_t *o, const char *url,
                                       const itsme_cache_policy_t *pol, apr_time_t now,
                                       const itsme_cache_deriver_t *d, void **value,
                                       int *fetched, itsme_err_t **err);

/* The lifetime a Cache-Control value asks for: max-age=N (no-cache,
 * no-store: 0); -1 when it says neither (or value is NULL). */
apr_interval_time_t itsme_cache_control_max_age(const char *value);

/* Notes: a few short keys remembered per URL with the time they were noted
 * (e.g. a key id refetched for and still missing), kept with url's entry
 * (not with its body). At most ITSME_CACHE_NOTES per URL, the oldest goes
 * first; a key longer than ITSME_CACHE_NOTE_MAX bytes is never remembered. */
#define ITSME_CACHE_NOTES 16
#define ITSME_CACHE_NOTE_MAX 127
void itsme_cache_note(itsme_cache_t *c, const char *url, const char *key, apr_time_t now);
/* Whether key was noted for url less than `within` before now. */
int itsme_cache_noted(itsme_cache_t *c, const char *url, const char *key, apr_time_t now,
                      apr_interval_time_t within);

/* Drops url's entry (e.g. after its content failed validation). */
void itsme_cache_invalidate(itsme_cache_t *c, const char *url);

/* Test seam: pre-loads a body for url as if fetched at `when`. */
apr_status_t itsme_cache_put(itsme_cache_t *c, const char *url, const char *body,
                             apr_size_t len, apr_time_t when);

/* Test seam: how many times a derived value was built for url's entry
 * (0 when there is no entry). */
unsigned int itsme_cache_builds(itsme_cache_t *c, const char *url);

#endif
