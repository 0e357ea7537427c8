/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* testutil.c: key generation, pools and shared JOSE helpers for the unit tests. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include "testutil.h"
#include "core/json.h"
#include "core/b64url.h"
#include "tests.h"

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

/* ---- shared JOSE test helpers (test_jose.c, test_jwe.c) ---- */

/* The RSA private key of RFC 7516 A.1 as a JWK. */
const char tu_rfc7516_a1_jwk[] =
    "{\"kty\":\"RSA\","
    "\"n\":\"oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUWcJoZmds2h7M70imEVhRU5djINXt"
    "ql"
    "lXI4DFqcI1DgjT9LewND8MW2Krf3Spsk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRkgr0vEhxN92i2asbOenS"
    "Z"
    "eyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMStPs6mS6XrgxnxbWhojf663tuEQueGC-FCMfra36C9k"
    "nD"
    "FGzKsNa7LZK2djYgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq6Gw\","
    "\"e\":\"AQAB\","
    "\"d\":\"kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5NWV5KntaEeXS1j82E375xxhWMHXy"
    "vjY"
    "ecPT9fpwR_M9gV8n9Hrh2anTpTD93Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIrA2xAwnm2X7uGR1hghkqDp0Vqj"
    "3k"
    "bSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vlt3UVe4WO3JkJOzlpUf-KTVI2Ptgm-dARxTEtE-id-4OJ"
    "r0"
    "h-K-VFs3VSndVTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3DzgrTjgyQ\","
    "\"p\":\"1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-SWxkbkmoEzL7JXroSBjSrK3YIQg"
    "YdM"
    "gyAEPTPjXv_hI2_1eTSPVZfzL0lffNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgieRbwC6Cl0\","
    "\"q\":\"wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBmUDdaDYVTSNx_8Fyw1YYa9XGrGnD"
    "ew0"
    "0J28cRUoeBB_jKI1oma0Orv1T9aXIWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g68UZHvtc\","
    "\"dp\":\"ZK-YwE7diUh0qR1tR7w8WHtolDx3MZ_OTowiFvgfeQ3SiresXjm9gZ5KLhMXvo-uz-KUJWDxS5pFQ_M0evdo"
    "1dK"
    "iRTjVw_x4NyqyXPM5nULPkcpU827rnpZzAJKpdhWAgqrXGKAECQH0Xt4taznjnd_zVpAmZZq60WPMBMfKcuE\","
    "\"dq\":\"Dq0gfgJ1DdFGXiLvQEZnuKEN0UUmsJBxkjydc3j4ZYdBiMRAy86x0vHCjywcMlYYg4yoC4YZa9hNVcsjqA3F"
    "eiL"
    "19rk8g6Qn29Tt0cj8qqyFpz9vNDBUfCAiJVeESOjJDZPYHdHY8v1b-o-Z2X5tvLx-TCekf7oxyeKDUqKWjis\","
    "\"qi\":\"VIMpMYbPf47dT1w_zDUXfPimsSegnMOA1zTaX7aGk_8urY6R8-ZW1FxU7AlWAyLWybqq6t16VFd7hQd0y6fl"
    "UK4"
    "SlOydB61gwanOsXGOAOv82cHq0E3eL4HrtZkUuKvnPrMnsUUFlfUdybVzxyjz9JF_XyaY14ardLSjf4L_FNY\"}";

const char *tu_b64s(apr_pool_t *p, const char *s)
{
    return itsme_b64url_encode(p, (const unsigned char *)s, strlen(s));
}

/* The public half of k as its own JWK (through the public JSON). */
itsme_jwk_t *tu_pub_of(apr_pool_t *p, const itsme_jwk_t *k)
{
    itsme_jwk_t *out = NULL;
    const char *json = itsme_json_dump(p, itsme_jwk_public_json(p, k));
    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(itsme_jwk_parse(p, json, strlen(json), &out, NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_jwk_is_private(out), 0);
    return out;
}

apr_array_header_t *tu_keys_of(apr_pool_t *p, const itsme_jwk_t *a, const itsme_jwk_t *b)
{
    apr_array_header_t *arr = apr_array_make(p, 2, sizeof(const itsme_jwk_t *));
    if (a)
        APR_ARRAY_PUSH(arr, const itsme_jwk_t *) = a;
    if (b)
        APR_ARRAY_PUSH(arr, const itsme_jwk_t *) = b;
    return arr;
}

/* Part i of a compact serialization (a copy). */
char *tu_part_of(apr_pool_t *p, const char *compact, int i)
{
    const char *s = compact, *dot;
    while (i-- > 0)
        s = strchr(s, '.') + 1;
    dot = strchr(s, '.');
    return dot ? apr_pstrmemdup(p, s, (apr_size_t)(dot - s)) : apr_pstrdup(p, s);
}

/* Replaces part i of a compact serialization. */
char *tu_with_part(apr_pool_t *p, const char *compact, int i, const char *repl)
{
    int n = itsme_jose_compact_parts(compact);
    char *out = NULL;
    for (int j = 0; j < n; j++) {
        const char *v = j == i ? repl : tu_part_of(p, compact, j);
        out = out ? apr_pstrcat(p, out, ".", v, NULL) : apr_pstrdup(p, v);
    }
    return out;
}

/* Changes one character in the middle of part i (stays valid base64url). */
char *tu_flip(apr_pool_t *p, const char *compact, int i)
{
    char *v = tu_part_of(p, compact, i);
    apr_size_t at = strlen(v) / 2;
    v[at] = v[at] == 'A' ? 'B' : 'A';
    return tu_with_part(p, compact, i, v);
}

/* ep, not *ep: the error is read after the call that fills it. */
void tu_expect_kind(apr_status_t rv, itsme_err_t *const *ep, itsme_err_kind_e kind)
{
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_ptr_nonnull(*ep);
    ck_assert_int_eq((*ep)->kind, kind);
}
