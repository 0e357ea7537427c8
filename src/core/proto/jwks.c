/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jwks.c: the OP's signing keys through the document cache. A kid that is
 * not in the cached set, or a known kid whose key failed to verify, causes
 * one forced refetch. Limits: the kid is remembered (a cache note) when the
 * refetch did not help, so it causes no other for ITSME_JWKS_KID_MEMORY; and
 * any refetch of the URL is at most one per min_refetch (the cache's
 * min_interval), so made-up kids cannot make us hammer the OP.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/proto/jwks.h"
#include "core/url.h"

#define KID_SHOWN_MAX 64

/* A kid from a token header, fit for a message (printable, bounded). */
static const char *shown(apr_pool_t *p, const char *s)
{
    return s ? itsme_err_printable(p, s, KID_SHOWN_MAX) : "(none)";
}

/* The parsed set is kept with the cached body: keys are parsed (and their
 * public parts checked) once per JWKS document, not per verification. */
#define JWKS_INVALID "JWKS is invalid"

static apr_status_t set_build(apr_pool_t *keep, apr_pool_t *p, const char *url,
                              const char *body, apr_size_t len, void **value, itsme_err_t **err)
{
    itsme_jwks_t *set = NULL;
    itsme_err_t *cause = NULL;

    (void)url;
    if (itsme_jwks_parse(keep, body, len, &set, &cause) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_OP, cause, JWKS_INVALID);
    *value = set;
    return APR_SUCCESS;
}

static void *set_copy(apr_pool_t *p, const void *value)
{
    return itsme_jwks_share(p, value);
}

static apr_status_t load_set(const itsme_jwks_source_t *src, apr_pool_t *p,
                             const itsme_cache_policy_t *pol, itsme_jwks_t **set,
                             int *fetched, itsme_err_t **err)
{
    static const itsme_cache_deriver_t deriver = { set_build, set_copy };
    itsme_err_t *cause = NULL;
    void *v = NULL;
    apr_status_t rv = itsme_cache_fetch_derived(src->cache, p, src->http, src->jwks_uri, pol,
                                                src->now, &deriver, &v, fetched, &cause);

    if (rv == APR_SUCCESS) {
        *set = v;
        return APR_SUCCESS;
    }
    if (cause && cause->msg && !strcmp(cause->msg, JWKS_INVALID))
        return itsme_err_wrap(p, err, ITSME_E_OP, cause->cause, "JWKS from %s is invalid",
                              src->jwks_uri);
    return itsme_err_wrap(p, err, cause ? cause->kind : ITSME_E_NETWORK, cause,
                          "JWKS from %s", src->jwks_uri);
}

apr_status_t itsme_jwks_load(const itsme_jwks_source_t *src, apr_pool_t *p, int force,
                             itsme_jwks_t **set, int *fetched, itsme_err_t **err)
{
    int dummy = 0;
    if (!src || !src->cache || !src->jwks_uri || !set)
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL, "no JWKS source configured");
    if (!itsme_url_is_secure_endpoint(src->jwks_uri))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "jwks_uri must be https (or http to loopback): %s", src->jwks_uri);
    itsme_cache_policy_t pol = {
        src->max_age > 0 ? src->max_age : ITSME_JWKS_MAX_AGE,
        src->min_refetch > 0 ? src->min_refetch : ITSME_JWKS_MIN_REFETCH,
        force
    };
    if (!fetched)
        fetched = &dummy;
    apr_status_t rv = load_set(src, p, &pol, set, fetched, err);
    if (force && *fetched) /* a refetch that went to the network */
        itsme_counters_add(src->http ? src->http->counters : NULL, ITSME_CTR_JWKS_REFETCHES, 1);
    return rv;
}

/* The note that remembers a refetch for kid: a missing kid, or a replaced
 * key (kid NULL: the one key of its type). */
static const char *kid_note(apr_pool_t *p, const char *kid, int replaced)
{
    return apr_pstrcat(p, replaced ? "replaced:" : "missing:", kid ? kid : "", NULL);
}

/* One refetch on behalf of note, unless that note was made within
 * ITSME_JWKS_KID_MEMORY (or cannot be remembered: an overlong kid). Whether
 * the network was asked is in *fetched; *set is then the new set. */
static apr_status_t refetch_for(const itsme_jwks_source_t *src, apr_pool_t *p,
                                const char *note, itsme_jwks_t **set, int *fetched,
                                itsme_err_t **err)
{
    *fetched = 0;
    if (strlen(note) > ITSME_CACHE_NOTE_MAX
        || itsme_cache_noted(src->cache, src->jwks_uri, note, src->now, ITSME_JWKS_KID_MEMORY))
        return APR_SUCCESS;
    return itsme_jwks_load(src, p, 1, set, fetched, err);
}

static int same_key(apr_pool_t *p, const itsme_jwk_t *a, const itsme_jwk_t *b)
{
    const char *ta = itsme_jwk_thumbprint(p, a), *tb = itsme_jwk_thumbprint(p, b);
    return a == b || (ta && tb && strcmp(ta, tb) == 0);
}

/* For a known kid whose key failed to verify: a different key, from the
 * cache (someone refetched already) or from one refetch. */
static const itsme_jwk_t *replaced_key(const itsme_jwks_source_t *src, apr_pool_t *p,
                                       itsme_jwks_t *set, const char *kid, const char *alg,
                                       const itsme_jwk_t *stale, itsme_err_t **err)
{
    const itsme_jwk_t *k = itsme_jwks_find_verify_key(set, kid, alg);
    int fetched = 0;
    if (k && !same_key(p, k, stale))
        return k;
    const char *note = kid_note(p, kid, 1);
    if (refetch_for(src, p, note, &set, &fetched, err) != APR_SUCCESS || !fetched)
        return NULL;
    k = itsme_jwks_find_verify_key(set, kid, alg);
    if (k && !same_key(p, k, stale))
        return k;
    itsme_cache_note(src->cache, src->jwks_uri, note, src->now);
    return NULL;
}

/* For a kid not in the set just read from the cache: one refetch. */
static const itsme_jwk_t *rotated_key(const itsme_jwks_source_t *src, apr_pool_t *p,
                                      const char *kid, const char *alg, itsme_err_t **err)
{
    itsme_jwks_t *set = NULL;
    int fetched = 0;
    const char *note = kid_note(p, kid, 0);
    if (refetch_for(src, p, note, &set, &fetched, err) != APR_SUCCESS || !fetched)
        return NULL;
    const itsme_jwk_t *k = itsme_jwks_find_verify_key(set, kid, alg);
    if (!k)
        itsme_cache_note(src->cache, src->jwks_uri, note, src->now);
    return k;
}

/* Both lookups: stale NULL for a first one. */
static apr_status_t lookup(const itsme_jwks_source_t *src, apr_pool_t *p, const char *kid,
                           const char *alg, const itsme_jwk_t *stale, const itsme_jwk_t **key,
                           itsme_err_t **err)
{
    itsme_jwks_t *set = NULL;
    itsme_err_t *e = NULL;
    const itsme_jwk_t *k = NULL;
    int fetched = 0;

    apr_status_t rv = itsme_jwks_load(src, p, 0, &set, &fetched, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (stale)
        k = replaced_key(src, p, set, kid, alg, stale, &e);
    else if (!(k = itsme_jwks_find_verify_key(set, kid, alg)) && kid && !fetched)
        k = rotated_key(src, p, kid, alg, &e); /* maybe the OP rotated its keys */
    if (!k && e)
        return itsme_err_wrap(p, err, itsme_err_root_kind(e), e, "JWKS refetch");
    if (!k)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_NOTFOUND,
                              "no %skey for kid %s and alg %s in the OP's JWKS",
                              stale ? "other " : "", shown(p, kid), shown(p, alg));
    *key = k;
    return APR_SUCCESS;
}

apr_status_t itsme_jwks_lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                               const itsme_jwk_t **key, itsme_err_t **err)
{
    if (!key)
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL, "no JWKS source configured");
    return lookup(baton, p, kid, alg, NULL, key, err);
}

apr_status_t itsme_jwks_relookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                                 const itsme_jwk_t **key, itsme_err_t **err)
{
    if (!key || !*key)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "JWKS: no key to replace");
    return lookup(baton, p, kid, alg, *key, key, err);
}
