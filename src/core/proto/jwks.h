/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jwks.h: the OP's signing keys, through the cache. Key rotation at the OP is
 * followed without a restart: a kid not in the cached set, or a known kid
 * whose cached key no longer verifies (the OP replaced the key and kept the
 * kid), triggers one refetch. Refetches are limited per kid (a kid refetched
 * for and still missing is remembered for ITSME_JWKS_KID_MEMORY) and by a
 * small cap per JWKS URL (at most one per ITSME_JWKS_MIN_REFETCH), so a
 * stream of tokens with made-up kids cannot make us hammer the OP.
 */
#ifndef ITSME_JWKS_H
#define ITSME_JWKS_H

#include <apr_pools.h>
#include "core/err.h"
#include "core/cache.h"
#include "core/jose.h"
#include "core/http_client.h"

/* Lifetime of a fetched set; the response's Cache-Control max-age may
 * shorten it (never below ITSME_CACHE_CC_FLOOR). */
#define ITSME_JWKS_MAX_AGE apr_time_from_sec(3600)
/* The cap per JWKS URL: never fetched again sooner than this. */
#define ITSME_JWKS_MIN_REFETCH apr_time_from_sec(10)
/* How long a kid refetched for and still missing (or still failing) is
 * not refetched for again. */
#define ITSME_JWKS_KID_MEMORY apr_time_from_sec(120)

typedef struct {
    itsme_cache_t *cache;
    const itsme_http_opts_t *http;
    const char *jwks_uri;
    apr_time_t now;
    apr_interval_time_t max_age;      /* 0 -> ITSME_JWKS_MAX_AGE */
    apr_interval_time_t min_refetch;  /* 0 -> ITSME_JWKS_MIN_REFETCH */
} itsme_jwks_source_t;

/* The OP's key set through the cache, for itsme_jwks_lookup and
 * itsme_jwks_enc_key: checks src (ITSME_E_CONFIG; jwks_uri must be https or
 * http to loopback) and reuses a body younger than max_age. force asks for a
 * refetch, still at most one per min_refetch. *fetched (may be NULL) tells
 * whether this call went to the network. A document that does not parse is
 * dropped from the cache (ITSME_E_OP). */
apr_status_t itsme_jwks_load(const itsme_jwks_source_t *src, apr_pool_t *p, int force,
                             itsme_jwks_t **set, int *fetched, itsme_err_t **err);

/* Matches itsme_key_lookup_fn (proto/id_token.h) with baton = itsme_jwks_source_t*.
 * A kid not in the cached set causes one refetch (limits above). */
apr_status_t itsme_jwks_lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                               const itsme_jwk_t **key, itsme_err_t **err);

/* Also matches itsme_key_lookup_fn, for a second try after a signature
 * failed: *key (in) is the key itsme_jwks_lookup gave for (kid, alg) and
 * that did not verify. The answer is a different key for (kid, alg) — the
 * OP replaced it and kept the kid — found in the cache or by one refetch
 * (same limits), or ITSME_E_TOKEN when there is none. */
apr_status_t itsme_jwks_relookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                                 const itsme_jwk_t **key, itsme_err_t **err);

#endif
