/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jose.c: JWK (RSA, EC P-256) and JWS (RS256, PS256, ES256) on OpenSSL 3
 * EVP; JWE is in jose_jwe.c.
 * One key representation (an EVP_PKEY released by a pool cleanup) and one
 * algorithm gate in front of every signature operation.
 */
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <stdint.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "core/jose.h"
#include "core/b64url.h"
#include "core/jose_int.h"

#define MAX_JWKS_KEYS 64
#define MAX_PEM_LEN (64 * 1024)

struct itsme_jwks {
    apr_array_header_t *keys; /* itsme_jwk_t * */
};

const char *const itsme_jose_sig_algs_default[] = {"RS256", "PS256", "ES256", NULL};

/* ---- small helpers ---- */

static apr_status_t pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static int pkey_supported(EVP_PKEY *pk)
{
    char group[64];
    size_t glen = 0;
    if (EVP_PKEY_is_a(pk, "RSA"))
        return 1;
    return EVP_PKEY_is_a(pk, "EC")
           && EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                             sizeof(group), &glen)
           && (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"));
}

/* Takes ownership of pk (released when p is). */
static itsme_jwk_t *jwk_wrap(apr_pool_t *p, EVP_PKEY *pk, int priv)
{
    itsme_jwk_t *k = apr_pcalloc(p, sizeof(*k));
    k->pkey = pk;
    apr_pool_cleanup_register(p, pk, pkey_cleanup, apr_pool_cleanup_null);
    k->priv = priv;
    k->kty = EVP_PKEY_is_a(pk, "RSA") ? "RSA" : "EC";
    k->bits = EVP_PKEY_get_bits(pk);
    return k;
}

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

/* The key type a signature alg needs; NULL for any alg we do not implement. */
static const char *alg_kty(const char *alg)
{
    if (alg && (!strcmp(alg, "RS256") || !strcmp(alg, "PS256")))
        return "RSA";
    return alg && !strcmp(alg, "ES256") ? "EC" : NULL;
}

/* Splits s at '.' into exactly n parts. */
int itsme_jose_split(const char *s, int n, const char **part, apr_size_t *len)
{
    if (itsme_jose_compact_parts(s) != n)
        return 0;
    for (int i = 0; i < n; i++) {
        const char *dot = strchr(s, '.');
        part[i] = s;
        len[i] = dot ? (apr_size_t)(dot - s) : strlen(s);
        s += len[i] + 1;
    }
    return 1;
}

/* Strict base64url of one part; an empty part decodes to "" (length 0). */
apr_status_t itsme_jose_b64_part(apr_pool_t *p, const char *s, apr_size_t len,
                                 unsigned char **out, apr_size_t *outlen)
{
    if (len > 0)
        return itsme_b64url_decode(p, s, len, out, outlen);
    *out = apr_pcalloc(p, 1);
    *outlen = 0;
    return APR_SUCCESS;
}

int itsme_jose_compact_parts(const char *compact)
{
    int n = 1;
    if (!compact)
        return 0;
    for (; *compact; compact++)
        if (*compact == '.')
            n++;
    return n;
}

/* ---- key accessors ---- */

const char *itsme_jwk_kid(const itsme_jwk_t *k) { return k ? k->kid : NULL; }
const char *itsme_jwk_kty(const itsme_jwk_t *k) { return k ? k->kty : NULL; }
const char *itsme_jwk_use(const itsme_jwk_t *k) { return k ? k->use : NULL; }
const char *itsme_jwk_alg(const itsme_jwk_t *k) { return k ? k->alg : NULL; }
int itsme_jwk_is_private(const itsme_jwk_t *k) { return k ? k->priv : 0; }

/* ---- JWK JSON -> EVP_PKEY ---- */

/* Decodes the base64url member `name`: APR_ENOENT when absent, APR_EINVAL when
 * not a string, not strict base64url, or its size is outside [min, max]. */
static apr_status_t b64_member(apr_pool_t *p, const itsme_json_t *obj, const char *name,
                               apr_size_t min, apr_size_t max, unsigned char **out,
                               apr_size_t *len)
{
    const itsme_json_t *v = itsme_json_get(obj, name);
    const char *s;
    apr_size_t slen;
    if (!v)
        return APR_ENOENT;
    s = itsme_json_string_value(v);
    if (!s || (slen = strlen(s)) == 0 || slen > (max / 3 + 1) * 4)
        return APR_EINVAL;
    if (itsme_b64url_decode(p, s, slen, out, len) != APR_SUCCESS || *len < min || *len > max)
        return APR_EINVAL;
    return APR_SUCCESS;
}

static const struct {
    const char *jwk, *ossl;
    apr_size_t max;
} rsa_members[] = { /* n, e required; d private; CRT members all or none */
    {"n", OSSL_PKEY_PARAM_RSA_N, RSA_MAX_BYTES}, {"e", OSSL_PKEY_PARAM_RSA_E, 8},
    {"d", OSSL_PKEY_PARAM_RSA_D, RSA_MAX_BYTES}, {"p", OSSL_PKEY_PARAM_RSA_FACTOR1, RSA_MAX_BYTES},
    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2, RSA_MAX_BYTES},
    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, RSA_MAX_BYTES},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, RSA_MAX_BYTES},
    {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, RSA_MAX_BYTES}};
#define RSA_NMEMBERS 8

/* A BIGNUM from len bytes; secret ones go to secure memory. */
static BIGNUM *bn_from(unsigned char *buf, apr_size_t len, int secret)
{
    BIGNUM *bn = secret ? BN_secure_new() : BN_new();
    if (bn && !BN_bin2bn(buf, (int)len, bn)) {
        BN_free(bn);
        bn = NULL;
    }
    if (secret)
        OPENSSL_cleanse(buf, len);
    return bn;
}

static apr_status_t rsa_params(apr_pool_t *p, const itsme_json_t *obj, OSSL_PARAM_BLD *bld,
                               BIGNUM **bns, int *priv)
{
    unsigned present = 0;
    for (int i = 0; i < RSA_NMEMBERS; i++) {
        unsigned char *buf;
        apr_size_t len;
        apr_status_t rv = b64_member(p, obj, rsa_members[i].jwk, 1, rsa_members[i].max, &buf, &len);
        if (rv == APR_ENOENT)
            continue;
        if (rv != APR_SUCCESS)
            return rv;
        bns[i] = bn_from(buf, len, i >= 2);
        if (!bns[i] || !OSSL_PARAM_BLD_push_BN(bld, rsa_members[i].ossl, bns[i]))
            return APR_ENOMEM;
        present |= 1u << i;
    }
    if ((present & 3u) != 3u)
        return APR_ENOENT; /* n and e are required */
    *priv = (present & 4u) != 0;
    /* CRT members: all or none, and only with d */
    if ((present & 0xF8u) && ((present & 0xF8u) != 0xF8u || !*priv))
        return APR_EINVAL;
    return APR_SUCCESS;
}

static apr_status_t ec_params(apr_pool_t *p, const itsme_json_t *obj, OSSL_PARAM_BLD *bld,
                              BIGNUM **d, int *priv)
{
    const char *crv = itsme_json_get_string(obj, "crv");
    unsigned char *x, *y, *db, *pub = apr_palloc(p, 65); /* must outlive bld */
    apr_size_t xl, yl, dl;
    apr_status_t rv;
    if (!crv || strcmp(crv, "P-256"))
        return APR_ENOENT;
    if ((rv = b64_member(p, obj, "x", 32, 32, &x, &xl)) != APR_SUCCESS
        || (rv = b64_member(p, obj, "y", 32, 32, &y, &yl)) != APR_SUCCESS)
        return rv;
    pub[0] = 0x04;
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65))
        return APR_ENOMEM;
    rv = b64_member(p, obj, "d", 32, 32, &db, &dl);
    *priv = rv == APR_SUCCESS;
    if (rv == APR_ENOENT)
        return APR_SUCCESS;
    if (rv != APR_SUCCESS)
        return rv;
    if (!(*d = bn_from(db, dl, 1)) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, *d))
        return APR_ENOMEM;
    return APR_SUCCESS;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int priv)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    EVP_PKEY *pk = NULL;
    if (ctx && EVP_PKEY_fromdata_init(ctx) > 0
        && EVP_PKEY_fromdata(ctx, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pk = NULL;
    if (pk && !priv && !strcmp(type, "EC")) { /* the point must be on the curve */
        EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (!chk || EVP_PKEY_public_check(chk) != 1) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
        EVP_PKEY_CTX_free(chk);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pk;
}

/* Optional string member: absent -> *out NULL; present but not a non-empty
 * string -> APR_EINVAL. */
static apr_status_t opt_string(apr_pool_t *p, const itsme_json_t *obj, const char *name,
                               const char **out)
{
    const itsme_json_t *v = itsme_json_get(obj, name);
    const char *s;
    *out = NULL;
    if (!v)
        return APR_SUCCESS;
    if (!(s = itsme_json_string_value(v)) || !*s)
        return APR_EINVAL;
    *out = apr_pstrdup(p, s);
    return APR_SUCCESS;
}

/* APR_ENOENT: unsupported kty/curve or missing material; APR_EINVAL: malformed. */
static apr_status_t jwk_from_json(apr_pool_t *p, const itsme_json_t *obj, itsme_jwk_t **out)
{
    const char *kty = itsme_json_get_string(obj, "kty"), *kid, *use, *alg;
    BIGNUM *bns[RSA_NMEMBERS] = {NULL};
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pk = NULL;
    int priv = 0, i;
    apr_status_t rv;
    if (!kty || (strcmp(kty, "RSA") && strcmp(kty, "EC")))
        return APR_ENOENT;
    if (opt_string(p, obj, "kid", &kid) || opt_string(p, obj, "use", &use)
        || opt_string(p, obj, "alg", &alg))
        return APR_EINVAL;
    if (use && strcmp(use, "sig") && strcmp(use, "enc"))
        return APR_ENOENT;
    if (!(bld = OSSL_PARAM_BLD_new()))
        return APR_ENOMEM;
    rv = !strcmp(kty, "RSA") ? rsa_params(p, obj, bld, bns, &priv)
                             : ec_params(p, obj, bld, &bns[0], &priv);
    if (rv == APR_SUCCESS && !(pk = pkey_fromdata(kty, bld, priv)))
        rv = APR_EINVAL;
    for (i = 0; i < RSA_NMEMBERS; i++)
        BN_clear_free(bns[i]);
    OSSL_PARAM_BLD_free(bld);
    ERR_clear_error();
    if (rv != APR_SUCCESS)
        return rv;
    *out = jwk_wrap(p, pk, priv);
    (*out)->kid = kid;
    (*out)->use = use;
    (*out)->alg = alg;
    return APR_SUCCESS;
}

apr_status_t itsme_jwk_parse(apr_pool_t *p, const char *json, apr_size_t len, itsme_jwk_t **out,
                             itsme_err_t **err)
{
    itsme_json_t *obj = NULL;
    itsme_err_t *jerr = NULL;
    apr_status_t rv = itsme_json_parse_object(p, json, len, &obj, &jerr);
    if (rv != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_INPUT, jerr, "JWK is not a JSON object");
    rv = jwk_from_json(p, obj, out);
    if (rv == APR_ENOENT)
        return itsme_err_make(p, err, ITSME_E_INPUT, rv,
                              "JWK has an unsupported kty/crv/use or lacks key material");
    if (rv != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INPUT, rv, "JWK is malformed");
    return APR_SUCCESS;
}

apr_status_t itsme_jwks_parse(apr_pool_t *p, const char *json, apr_size_t len,
                              itsme_jwks_t **out, itsme_err_t **err)
{
    itsme_json_t *doc = NULL, *keys;
    itsme_err_t *jerr = NULL;
    itsme_jwks_t *set;
    apr_size_t i, n;
    if (itsme_json_parse_object(p, json, len, &doc, &jerr) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_OP, jerr, "JWKS is not a JSON object");
    keys = itsme_json_get(doc, "keys");
    if (!itsme_json_is_array(keys))
        return FAIL(ITSME_E_OP, APR_EINVAL, "JWKS has no \"keys\" array");
    set = apr_pcalloc(p, sizeof(*set));
    set->keys = apr_array_make(p, 4, sizeof(itsme_jwk_t *));
    n = itsme_json_array_size(keys);
    for (i = 0; i < n && set->keys->nelts < MAX_JWKS_KEYS; i++) {
        const itsme_json_t *el = itsme_json_array_get(keys, i);
        itsme_jwk_t *k = NULL;
        if (itsme_json_is_object(el) && jwk_from_json(p, el, &k) == APR_SUCCESS)
            APR_ARRAY_PUSH(set->keys, itsme_jwk_t *) = k;
    }
    *out = set;
    return APR_SUCCESS;
}

static const char *dup_or_null(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

itsme_jwks_t *itsme_jwks_share(apr_pool_t *p, const itsme_jwks_t *set)
{
    itsme_jwks_t *out = apr_pcalloc(p, sizeof(*out));
    int i, n = set ? set->keys->nelts : 0;

    out->keys = apr_array_make(p, n > 0 ? n : 1, sizeof(itsme_jwk_t *));
    for (i = 0; i < n; i++) {
        const itsme_jwk_t *k = APR_ARRAY_IDX(set->keys, i, itsme_jwk_t *);
        itsme_jwk_t *c = apr_pmemdup(p, k, sizeof(*k));

        if (!EVP_PKEY_up_ref(k->pkey))
            continue;
        apr_pool_cleanup_register(p, c->pkey, pkey_cleanup, apr_pool_cleanup_null);
        c->kty = dup_or_null(p, k->kty);
        c->kid = dup_or_null(p, k->kid);
        c->use = dup_or_null(p, k->use);
        c->alg = dup_or_null(p, k->alg);
        APR_ARRAY_PUSH(out->keys, itsme_jwk_t *) = c;
    }
    return out;
}

int itsme_jwks_count(const itsme_jwks_t *set) { return set ? set->keys->nelts : 0; }

itsme_jwk_t *itsme_jwks_get(const itsme_jwks_t *set, int i)
{
    return i >= 0 && i < itsme_jwks_count(set) ? APR_ARRAY_IDX(set->keys, i, itsme_jwk_t *) : NULL;
}

const itsme_jwk_t *itsme_jwks_find_verify_key(const itsme_jwks_t *set, const char *kid,
                                              const char *alg)
{
    const char *kty = alg_kty(alg);
    const itsme_jwk_t *found = NULL;
    int i, n = 0;
    if (!set || !kty)
        return NULL;
    for (i = 0; i < set->keys->nelts; i++) {
        const itsme_jwk_t *k = APR_ARRAY_IDX(set->keys, i, itsme_jwk_t *);
        if ((k->use && !strcmp(k->use, "enc")) || strcmp(k->kty, kty)
            || (k->alg && strcmp(k->alg, alg)))
            continue;
        if (kid) {
            if (k->kid && !strcmp(k->kid, kid))
                return k;
            continue;
        }
        found = k;
        n++;
    }
    return n == 1 ? found : NULL;
}

static int jwe_alg_ok(const char *alg)
{
    return alg && (!strcmp(alg, "RSA-OAEP-256") || !strcmp(alg, "RSA-OAEP"));
}

const itsme_jwk_t *itsme_jwks_find_enc_key(const itsme_jwks_t *set, const char *alg)
{
    if (!set || (alg && !jwe_alg_ok(alg)))
        return NULL;
    for (int i = 0; i < set->keys->nelts; i++) {
        const itsme_jwk_t *k = APR_ARRAY_IDX(set->keys, i, itsme_jwk_t *);
        if (k->priv || strcmp(k->kty, "RSA") || k->bits < MIN_RSA_BITS
            || (k->use && strcmp(k->use, "enc")))
            continue;
        if (k->alg && (alg ? strcmp(k->alg, alg) != 0 : !jwe_alg_ok(k->alg)))
            continue;
        return k;
    }
    return NULL;
}

/* ---- PEM, thumbprint, public JWK ---- */

static int pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1; /* encrypted PEM is not supported; never prompt */
}

static EVP_PKEY *pem_read(const char *pem, apr_size_t len, int *priv)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, pem_no_passphrase, NULL) : NULL;
    BIO_free(b);
    *priv = pk != NULL;
    if (!pk) {
        b = BIO_new_mem_buf(pem, (int)len);
        pk = b ? PEM_read_bio_PUBKEY(b, NULL, pem_no_passphrase, NULL) : NULL;
        BIO_free(b);
    }
    ERR_clear_error();
    return pk;
}

apr_status_t itsme_jwk_from_pem(apr_pool_t *p, const char *pem, apr_size_t len,
                                const char *kid, const char *use,
                                itsme_jwk_t **out, itsme_err_t **err)
{
    EVP_PKEY *pk;
    itsme_jwk_t *k;
    int priv = 0;
    if (!pem || len == 0 || len > MAX_PEM_LEN)
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "PEM key is empty or too long");
    if (use && strcmp(use, "sig") && strcmp(use, "enc"))
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "key use must be sig or enc");
    if (!(pk = pem_read(pem, len, &priv)))
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "no unencrypted PEM private or public key found");
    if (!pkey_supported(pk)) {
        EVP_PKEY_free(pk);
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "only RSA and EC P-256 keys are supported");
    }
    k = jwk_wrap(p, pk, priv);
    if (!strcmp(k->kty, "RSA") && k->bits < MIN_RSA_BITS)
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "RSA key too small (%d bits)", k->bits);
    k->use = use ? apr_pstrdup(p, use) : NULL;
    k->kid = kid ? apr_pstrdup(p, kid) : itsme_jwk_thumbprint(p, k);
    if (!k->kid)
        return FAIL(ITSME_E_INTERNAL, APR_EGENERAL, "key thumbprint failed");
    *out = k;
    return APR_SUCCESS;
}

/* A BIGNUM parameter of pk, base64url; pad > 0 fixes the length. */
static const char *bn_param_b64(apr_pool_t *p, const EVP_PKEY *pk, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int n;
    const char *s = NULL;
    if (!EVP_PKEY_get_bn_param(pk, name, &bn)) {
        ERR_clear_error();
        return NULL;
    }
    n = pad > 0 ? pad : BN_num_bytes(bn);
    if (n > 0 && BN_num_bytes(bn) <= n) {
        buf = apr_palloc(p, (apr_size_t)n);
        if (BN_bn2binpad(bn, buf, n) == n)
            s = itsme_b64url_encode(p, buf, (apr_size_t)n);
    }
    BN_free(bn);
    return s;
}

/* RSA: *a = n, *b = e. EC: *a = x, *b = y. */
static int pub_members(apr_pool_t *p, const itsme_jwk_t *k, const char **a, const char **b)
{
    if (!k || !k->pkey)
        return 0;
    if (!strcmp(k->kty, "RSA")) {
        *a = bn_param_b64(p, k->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        *b = bn_param_b64(p, k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
    }
    else {
        *a = bn_param_b64(p, k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        *b = bn_param_b64(p, k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    }
    return *a && *b;
}

const char *itsme_jwk_thumbprint(apr_pool_t *p, const itsme_jwk_t *k)
{
    const char *a, *b, *canon;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!pub_members(p, k, &a, &b))
        return NULL;
    /* RFC 7638: required members only, lexicographic order, no whitespace */
    if (!strcmp(k->kty, "RSA"))
        canon = apr_psprintf(p, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", b, a);
    else
        canon = apr_psprintf(p, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                             a, b);
    if (!EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL))
        return NULL;
    return itsme_b64url_encode(p, md, mdlen);
}

itsme_json_t *itsme_jwk_public_json(apr_pool_t *p, const itsme_jwk_t *k)
{
    const char *a, *b;
    itsme_json_t *o;
    int rsa;
    if (!pub_members(p, k, &a, &b) || !(o = itsme_json_object_new(p)))
        return NULL;
    rsa = !strcmp(k->kty, "RSA");
    if (itsme_json_set_string(o, "kty", k->kty)
        || (k->kid && itsme_json_set_string(o, "kid", k->kid))
        || (k->use && itsme_json_set_string(o, "use", k->use))
        || (k->alg && itsme_json_set_string(o, "alg", k->alg))
        || (!rsa && itsme_json_set_string(o, "crv", "P-256"))
        || itsme_json_set_string(o, rsa ? "n" : "x", a)
        || itsme_json_set_string(o, rsa ? "e" : "y", b))
        return NULL;
    return o;
}

/* ---- JWS ---- */

/* The single gate in front of every signature operation. */
static apr_status_t sig_gate(apr_pool_t *p, const char *alg, const char *const *allowed,
                             const itsme_jwk_t *k, itsme_err_t **err)
{
    const char *kty = alg_kty(alg);
    if (!alg || !*alg)
        return TOKEN_FAIL("JWS has no alg");
    if (!strcmp(alg, "none") || !strncasecmp(alg, "HS", 2))
        return TOKEN_FAIL("JWS alg %.16s is refused", alg);
    if (!kty || !in_list(allowed ? allowed : itsme_jose_sig_algs_default, alg))
        return TOKEN_FAIL("JWS alg %.16s is not allowed", alg);
    if (!k || !k->pkey)
        return TOKEN_FAIL("no key for JWS");
    if (strcmp(k->kty, kty))
        return TOKEN_FAIL("JWS alg %s does not fit a key of type %s", alg, k->kty);
    if ((k->use && strcmp(k->use, "sig")) || (k->alg && strcmp(k->alg, alg)))
        return TOKEN_FAIL("key is not meant for %s signatures", alg);
    if (!strcmp(kty, "RSA") && k->bits < MIN_RSA_BITS)
        return TOKEN_FAIL("RSA key too small (%d bits)", k->bits);
    return APR_SUCCESS;
}

apr_status_t itsme_jose_header_decode(apr_pool_t *p, const char *b64, apr_size_t len,
                                      itsme_json_t **hdr, itsme_err_t **err)
{
    unsigned char *raw;
    apr_size_t rawlen;
    itsme_err_t *jerr = NULL;
    if (len == 0 || itsme_b64url_decode(p, b64, len, &raw, &rawlen) != APR_SUCCESS)
        return TOKEN_FAIL("JOSE header is not base64url");
    if (itsme_json_parse_object(p, (const char *)raw, rawlen, hdr, &jerr) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, jerr, "JOSE header is not a JSON object");
    if (itsme_json_get(*hdr, "crit"))
        return TOKEN_FAIL("JOSE header with crit refused");
    return APR_SUCCESS;
}

/* Header string members, NULL-terminated names; the first `required` must be
 * present. Non-strings and empty strings are refused. */
apr_status_t itsme_jose_hdr_strings(apr_pool_t *p, const itsme_json_t *hdr,
                                    const char *const *names, const char **out[], int required,
                                    itsme_err_t **err)
{
    for (int i = 0; names[i]; i++)
        if (opt_string(p, hdr, names[i], out[i]) != APR_SUCCESS || (i < required && !*out[i]))
            return TOKEN_FAIL("JOSE header %s is missing or not a non-empty string", names[i]);
    return APR_SUCCESS;
}

apr_status_t itsme_jws_parse(apr_pool_t *p, const char *compact, itsme_jws_t **out,
                             itsme_err_t **err)
{
    const char *part[3];
    apr_size_t len[3], dlen;
    unsigned char *payload, *sig;
    itsme_jws_t *j;
    apr_status_t rv;
    if (!compact || strnlen(compact, ITSME_JOSE_MAX_JWS + 1) > ITSME_JOSE_MAX_JWS)
        return TOKEN_FAIL("JWS missing or too long");
    if (!itsme_jose_split(compact, 3, part, len))
        return TOKEN_FAIL("JWS does not have 3 parts");
    j = apr_pcalloc(p, sizeof(*j));
    if ((rv = itsme_jose_header_decode(p, part[0], len[0], &j->header, err)) != APR_SUCCESS)
        return rv;
    if (itsme_jose_b64_part(p, part[1], len[1], &payload, &j->payload_len) != APR_SUCCESS
        || itsme_jose_b64_part(p, part[2], len[2], &sig, &dlen) != APR_SUCCESS)
        return TOKEN_FAIL("JWS part is not base64url");
    if ((rv = itsme_jose_hdr_strings(p, j->header,
                                     (const char *const[]){"alg", "kid", "typ", "cty", NULL},
                                     (const char **[]){&j->alg, &j->kid, &j->typ, &j->cty}, 1,
                                     err)))
        return rv;
    j->payload = (const char *)payload;
    j->compact = compact;
    *out = j;
    return APR_SUCCESS;
}

/* A digest sign/verify context for alg (SHA-256; PSS for PS256). */
static EVP_MD_CTX *digest_ctx(const itsme_jwk_t *k, const char *alg, int sign)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    int ok;
    if (!md)
        return NULL;
    ok = (sign ? EVP_DigestSignInit_ex(md, &pc, "SHA256", NULL, NULL, k->pkey, NULL)
               : EVP_DigestVerifyInit_ex(md, &pc, "SHA256", NULL, NULL, k->pkey, NULL)) > 0;
    if (ok && !strcmp(alg, "PS256"))
        ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) > 0
             && EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) > 0;
    else if (ok && !strcmp(alg, "RS256"))
        ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0;
    if (!ok) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    return md;
}

/* JWS ES256 r||s (64 bytes) -> DER ECDSA-Sig-Value. */
static unsigned char *es_raw_to_der(apr_pool_t *p, const unsigned char *raw, apr_size_t *len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *sv = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *der = NULL, *q;
    int n = 0;
    if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
        ECDSA_SIG_free(s);
        BN_free(r);
        BN_free(sv);
        return NULL;
    }
    if ((n = i2d_ECDSA_SIG(s, NULL)) > 0) {
        der = q = apr_palloc(p, (apr_size_t)n);
        n = i2d_ECDSA_SIG(s, &q);
    }
    ECDSA_SIG_free(s);
    if (n <= 0)
        return NULL;
    *len = (apr_size_t)n;
    return der;
}

static int es_der_to_raw(const unsigned char *der, apr_size_t len, unsigned char *raw)
{
    const unsigned char *q = der;
    const BIGNUM *r, *s;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)len);
    int ok;
    if (!sig)
        return 0;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok;
}

static int sig_verify(apr_pool_t *p, const itsme_jwk_t *k, const char *alg, const char *in,
                      apr_size_t inlen, const unsigned char *sig, apr_size_t siglen)
{
    EVP_MD_CTX *md;
    int ok;
    if (!strcmp(alg, "ES256")) {
        if (siglen != 64 || !(sig = es_raw_to_der(p, sig, &siglen)))
            return 0;
    }
    else if (siglen != (apr_size_t)EVP_PKEY_get_size(k->pkey))
        return 0;
    if (!(md = digest_ctx(k, alg, 0)))
        return 0;
    ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)in, inlen) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

apr_status_t itsme_jws_verify(apr_pool_t *p, const itsme_jws_t *jws, const itsme_jwk_t *key,
                              const char *const *allowed_algs, itsme_err_t **err)
{
    const char *last;
    unsigned char *sig;
    apr_size_t siglen;
    apr_status_t rv;
    int ok;
    if (!jws || !jws->compact || !(last = strrchr(jws->compact, '.')))
        return TOKEN_FAIL("no JWS to verify");
    if ((rv = sig_gate(p, jws->alg, allowed_algs, key, err)) != APR_SUCCESS)
        return rv;
    if (itsme_jose_b64_part(p, last + 1, strlen(last + 1), &sig, &siglen) != APR_SUCCESS)
        return TOKEN_FAIL("JWS signature is not base64url");
    ok = sig_verify(p, key, jws->alg, jws->compact, (apr_size_t)(last - jws->compact), sig, siglen);
    ERR_clear_error();
    if (!ok)
        return FAIL(ITSME_E_TOKEN, APR_EGENERAL, "JWS signature is invalid");
    return APR_SUCCESS;
}

static const char *sig_create(apr_pool_t *p, const itsme_jwk_t *k, const char *alg,
                              const char *in)
{
    EVP_MD_CTX *md = digest_ctx(k, alg, 1);
    size_t n = 0;
    unsigned char *sig = NULL, raw[64];
    const char *out = NULL;
    if (md && EVP_DigestSign(md, NULL, &n, (const unsigned char *)in, strlen(in)) > 0) {
        sig = apr_palloc(p, n);
        if (EVP_DigestSign(md, sig, &n, (const unsigned char *)in, strlen(in)) <= 0)
            sig = NULL;
    }
    EVP_MD_CTX_free(md);
    if (sig && !strcmp(alg, "ES256"))
        out = es_der_to_raw(sig, n, raw) ? itsme_b64url_encode(p, raw, sizeof(raw)) : NULL;
    else if (sig)
        out = itsme_b64url_encode(p, sig, n);
    ERR_clear_error();
    return out;
}

apr_status_t itsme_jws_sign(apr_pool_t *p, const itsme_jwk_t *key, const char *alg,
                            const char *typ, const char *payload, apr_size_t len,
                            const char **compact, itsme_err_t **err)
{
    itsme_json_t *hdr;
    const char *hjson, *input, *sig;
    apr_status_t rv = sig_gate(p, alg, NULL, key, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (!key->priv)
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "signing needs a private key");
    hdr = itsme_json_object_new(p);
    if (!hdr || itsme_json_set_string(hdr, "alg", alg)
        || (key->kid && itsme_json_set_string(hdr, "kid", key->kid))
        || (typ && itsme_json_set_string(hdr, "typ", typ)) || !(hjson = itsme_json_dump(p, hdr)))
        return FAIL(ITSME_E_INTERNAL, APR_ENOMEM, "JWS header build failed");
    input = apr_pstrcat(p, itsme_b64url_encode(p, (const unsigned char *)hjson, strlen(hjson)), ".",
                        itsme_b64url_encode(p, (const unsigned char *)payload, len), NULL);
    if (!(sig = sig_create(p, key, alg, input)))
        return FAIL(ITSME_E_INTERNAL, APR_EGENERAL, "JWS %s signing failed", alg);
    *compact = apr_pstrcat(p, input, ".", sig, NULL);
    return APR_SUCCESS;
}
