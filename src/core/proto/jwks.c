/*
 * jwks.c: the OP's signing keys through the document cache. A kid that is
 * not in the cached set causes one forced refetch, itself limited to once
 * per min_refetch per URL, so made-up kids cannot make us hammer the OP.
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

static apr_status_t load_set(const itsme_jwks_source_t *src, apr_pool_t *p,
                             const itsme_cache_policy_t *pol, itsme_jwks_t **set,
                             int *fetched, itsme_err_t **err)
{
    const char *body = NULL;
    apr_size_t len = 0;
    itsme_err_t *cause = NULL;
    apr_status_t rv = itsme_cache_fetch(src->cache, p, src->http, src->jwks_uri, pol,
                                        src->now, &body, &len, fetched, &cause);
    if (rv != APR_SUCCESS)
        return itsme_err_wrap(p, err, cause ? cause->kind : ITSME_E_NETWORK, cause,
                              "JWKS from %s", src->jwks_uri);
    rv = itsme_jwks_parse(p, body, len, set, &cause);
    if (rv != APR_SUCCESS) {
        itsme_cache_invalidate(src->cache, src->jwks_uri);
        return itsme_err_wrap(p, err, ITSME_E_OP, cause, "JWKS from %s is invalid",
                              src->jwks_uri);
    }
    return APR_SUCCESS;
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
    return load_set(src, p, &pol, set, fetched ? fetched : &dummy, err);
}

apr_status_t itsme_jwks_lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                               const itsme_jwk_t **key, itsme_err_t **err)
{
    const itsme_jwks_source_t *src = baton;
    itsme_jwks_t *set = NULL;
    int fetched = 0;

    if (!key)
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL, "no JWKS source configured");
    apr_status_t rv = itsme_jwks_load(src, p, 0, &set, &fetched, err);
    if (rv != APR_SUCCESS)
        return rv;
    const itsme_jwk_t *k = itsme_jwks_find_verify_key(set, kid, alg);
    if (!k && kid && !fetched) {
        /* maybe the OP rotated its keys: one refetch, rate-limited */
        rv = itsme_jwks_load(src, p, 1, &set, &fetched, err);
        if (rv != APR_SUCCESS)
            return rv;
        k = itsme_jwks_find_verify_key(set, kid, alg);
    }
    if (!k)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_NOTFOUND,
                              "no key for kid %s and alg %s in the OP's JWKS", shown(p, kid),
                              shown(p, alg));
    *key = k;
    return APR_SUCCESS;
}
