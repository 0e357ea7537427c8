/* testutil.c: key generation and pools for the unit tests. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include "testutil.h"
#include "core/json.h"

static apr_pool_t *key_pool;
static apr_hash_t *pem_cache; /* kid -> PEM text (process life; tests are single-threaded) */

apr_pool_t *tu_pool(void)
{
    apr_pool_t *p = NULL;
    apr_pool_create(&p, NULL);
    return p;
}

static const char *pem_of(EVP_PKEY *pk)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
    long n = BIO_get_mem_data(b, &data);
    const char *pem = apr_pstrmemdup(key_pool, data, (apr_size_t)n);
    BIO_free(b);
    return pem;
}

static const char *cached_pem(const char *kid, int ec)
{
    if (!key_pool) {
        apr_pool_create(&key_pool, NULL);
        pem_cache = apr_hash_make(key_pool);
    }
    const char *ckey = apr_pstrcat(key_pool, ec ? "ec:" : "rsa:", kid, NULL);
    const char *pem = apr_hash_get(pem_cache, ckey, APR_HASH_KEY_STRING);
    if (pem)
        return pem;
    EVP_PKEY *pk = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    if (!pk)
        return NULL;
    pem = pem_of(pk);
    EVP_PKEY_free(pk);
    apr_hash_set(pem_cache, ckey, APR_HASH_KEY_STRING, pem);
    return pem;
}

const char *tu_rsa_pem(apr_pool_t *p, const char *kid)
{
    return apr_pstrdup(p, cached_pem(kid, 0));
}

static const itsme_jwk_t *load(apr_pool_t *p, const char *pem, const char *kid, const char *use)
{
    itsme_jwk_t *k = NULL;
    if (!pem || itsme_jwk_from_pem(p, pem, strlen(pem), kid, use, &k, NULL) != APR_SUCCESS)
        return NULL;
    return k;
}

const itsme_jwk_t *tu_rsa_key(apr_pool_t *p, const char *kid, const char *use)
{
    return load(p, cached_pem(kid, 0), kid, use);
}

const itsme_jwk_t *tu_ec_key(apr_pool_t *p, const char *kid)
{
    return load(p, cached_pem(kid, 1), kid, NULL);
}

const char *tu_jwks_json(apr_pool_t *p, const itsme_jwk_t *const *keys)
{
    itsme_json_t *doc = itsme_json_object_new(p);
    itsme_json_t *arr = itsme_json_array_new(p);
    for (int i = 0; keys[i]; i++)
        itsme_json_array_append(arr, itsme_jwk_public_json(p, keys[i]));
    itsme_json_set(doc, "keys", arr);
    return itsme_json_dump(p, doc);
}
