/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jose_jwe.c: compact JWE on OpenSSL 3 EVP. Key management RSA-OAEP and
 * RSA-OAEP-256; content encryption A128CBC-HS256 and A256GCM. Everything
 * else (RSA1_5, dir, zip) is refused.
 */
#include <string.h>
#include <limits.h>
#include <stdint.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "core/jose.h"
#include "core/b64url.h"
#include "core/jose_int.h"

#define CEK_MAX 32

/* ---- JWE content encryption ---- */

typedef struct {
    const char *name;
    apr_size_t cek_len, iv_len, tag_len;
    int cbc;
} enc_spec_t;

static const enc_spec_t enc_specs[] = {
    {"A128CBC-HS256", 32, 16, 16, 1},
    {"A256GCM", 32, 12, 16, 0},
};

static const enc_spec_t *enc_find(const char *enc)
{
    for (apr_size_t i = 0; enc && i < sizeof(enc_specs) / sizeof(enc_specs[0]); i++)
        if (!strcmp(enc_specs[i].name, enc))
            return &enc_specs[i];
    return NULL;
}

static int oaep_alg(const char *alg)
{
    return alg && (!strcmp(alg, "RSA-OAEP") || !strcmp(alg, "RSA-OAEP-256"));
}

/* RFC 7518 §5.2.2.1: first 16 bytes of HMAC-SHA256(AAD || IV || C || AL). */
static int cbc_hs256_tag(const unsigned char *mac_key, const unsigned char *aad,
                         apr_size_t aad_len, const unsigned char *iv, const unsigned char *ct,
                         apr_size_t ct_len, unsigned char *tag)
{
    unsigned char al[8], mac[32];
    uint64_t bits = (uint64_t)aad_len * 8;
    size_t maclen = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                        OSSL_PARAM_construct_end()};
    int ok;
    for (int i = 0; i < 8; i++)
        al[i] = (unsigned char)(bits >> (56 - 8 * i));
    ok = c && EVP_MAC_init(c, mac_key, 16, prm) && EVP_MAC_update(c, aad, aad_len)
         && EVP_MAC_update(c, iv, 16) && EVP_MAC_update(c, ct, ct_len)
         && EVP_MAC_update(c, al, sizeof(al)) && EVP_MAC_final(c, mac, &maclen, sizeof(mac))
         && maclen == sizeof(mac);
    if (ok)
        memcpy(tag, mac, 16);
    OPENSSL_cleanse(mac, sizeof(mac));
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
    return ok;
}

/* AES-128-CBC with PKCS#7 padding; out holds inlen + 16. */
static int aes_cbc(int enc, const unsigned char *key, const unsigned char *iv,
                   const unsigned char *in, apr_size_t inlen, unsigned char *out,
                   apr_size_t *outlen)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    int ok = c && inlen <= INT_MAX - 32
             && EVP_CipherInit_ex2(c, EVP_aes_128_cbc(), key, iv, enc, NULL)
             && EVP_CipherUpdate(c, out, &l1, in, (int)inlen)
             && EVP_CipherFinal_ex(c, out + l1, &l2);
    EVP_CIPHER_CTX_free(c);
    *outlen = ok ? (apr_size_t)l1 + (apr_size_t)l2 : 0;
    return ok;
}

/* AES-256-GCM, 96-bit IV, 128-bit tag (read for enc, checked for dec). */
static int aes_gcm(int enc, const unsigned char *key, const unsigned char *iv,
                   const unsigned char *aad, apr_size_t aad_len, const unsigned char *in,
                   apr_size_t inlen, unsigned char *out, apr_size_t *outlen, unsigned char *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l0 = 0, l1 = 0, l2 = 0;
    int ok = c && inlen <= INT_MAX - 32 && aad_len <= INT_MAX
             && EVP_CipherInit_ex2(c, EVP_aes_256_gcm(), key, iv, enc, NULL)
             && EVP_CipherUpdate(c, NULL, &l0, aad, (int)aad_len)
             && EVP_CipherUpdate(c, out, &l1, in, (int)inlen)
             && (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag))
             && EVP_CipherFinal_ex(c, out + l1, &l2)
             && (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag));
    EVP_CIPHER_CTX_free(c);
    *outlen = ok ? (apr_size_t)l1 + (apr_size_t)l2 : 0;
    return ok;
}

apr_status_t itsme_jwe_content_decrypt(apr_pool_t *p, const char *enc, const unsigned char *cek,
                                       apr_size_t cek_len, const unsigned char *iv,
                                       apr_size_t iv_len, const unsigned char *aad,
                                       apr_size_t aad_len, const unsigned char *ct,
                                       apr_size_t ct_len, const unsigned char *tag,
                                       apr_size_t tag_len, unsigned char **pt,
                                       apr_size_t *pt_len, itsme_err_t **err)
{
    const enc_spec_t *e = enc_find(enc);
    unsigned char calc[16], *out;
    apr_size_t n = 0;
    int ok;
    if (!e)
        return TOKEN_FAIL("JWE enc is not supported");
    if (cek_len != e->cek_len || iv_len != e->iv_len || tag_len != e->tag_len
        || ct_len > ITSME_JOSE_MAX_JWE || (e->cbc && (ct_len == 0 || ct_len % 16)))
        return FAIL(ITSME_E_CRYPTO, APR_EINVAL, "JWE key, IV, tag or ciphertext length is wrong");
    out = apr_palloc(p, ct_len + 33);
    memcpy(calc, tag, 16);
    if (e->cbc) /* verify the tag before decrypting */
        ok = cbc_hs256_tag(cek, aad, aad_len, iv, ct, ct_len, calc)
             && CRYPTO_memcmp(calc, tag, 16) == 0
             && aes_cbc(0, cek + 16, iv, ct, ct_len, out, &n);
    else
        ok = aes_gcm(0, cek, iv, aad, aad_len, ct, ct_len, out, &n, calc);
    ERR_clear_error();
    if (!ok) {
        OPENSSL_cleanse(out, ct_len + 33);
        return FAIL(ITSME_E_CRYPTO, APR_EGENERAL, "JWE content decryption failed");
    }
    out[n] = '\0';
    *pt = out;
    *pt_len = n;
    return APR_SUCCESS;
}

/* ---- JWE key management (RSA-OAEP, RSA-OAEP-256) ---- */

static EVP_PKEY_CTX *oaep_ctx(const itsme_jwk_t *k, const char *alg, int enc)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    const EVP_MD *md = !strcmp(alg, "RSA-OAEP-256") ? EVP_sha256() : EVP_sha1();
    int ok = c && (enc ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) > 0
             && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0
             && EVP_PKEY_CTX_set_rsa_oaep_md(c, md) > 0
             && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) > 0;
    if (!ok) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

/* Unwraps a CEK of `want` bytes. On any failure the CEK is random, so the
 * caller fails at the tag exactly as with a wrong key: no oracle on which
 * step failed. Returns 0 only when no random bytes could be had. */
static int oaep_unwrap(const itsme_jwk_t *k, const char *alg, const unsigned char *ek,
                       apr_size_t ek_len, unsigned char *cek, apr_size_t want)
{
    unsigned char buf[RSA_MAX_BYTES];
    size_t n = sizeof(buf);
    EVP_PKEY_CTX *c = NULL;
    int ok = 0;
    if (ek_len == (apr_size_t)EVP_PKEY_get_size(k->pkey) && ek_len <= sizeof(buf)
        && (c = oaep_ctx(k, alg, 0)) != NULL)
        ok = EVP_PKEY_decrypt(c, buf, &n, ek, ek_len) > 0 && n == want;
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    if (ok)
        memcpy(cek, buf, want);
    OPENSSL_cleanse(buf, sizeof(buf));
    return ok || RAND_bytes(cek, (int)want) == 1;
}

static int jwe_key_usable(const itsme_jwk_t *k, const itsme_jwe_header_t *h)
{
    return k && k->pkey && k->priv && !strcmp(k->kty, "RSA") && k->bits >= MIN_RSA_BITS
           && !(k->use && !strcmp(k->use, "sig")) && !(k->alg && strcmp(k->alg, h->alg))
           && !(h->kid && !(k->kid && !strcmp(k->kid, h->kid)));
}

static apr_status_t jwe_split(apr_pool_t *p, const char *compact, const char **part,
                              apr_size_t *len, itsme_jwe_header_t **out, itsme_err_t **err)
{
    itsme_jwe_header_t *h;
    apr_status_t rv;
    if (!compact || strnlen(compact, ITSME_JOSE_MAX_JWE + 1) > ITSME_JOSE_MAX_JWE)
        return TOKEN_FAIL("JWE missing or too long");
    if (!itsme_jose_split(compact, 5, part, len))
        return TOKEN_FAIL("JWE does not have 5 parts");
    h = apr_pcalloc(p, sizeof(*h));
    if ((rv = itsme_jose_header_decode(p, part[0], len[0], &h->header, err))
        || (rv = itsme_jose_hdr_strings(
                p, h->header, (const char *const[]){"alg", "enc", "kid", "cty", "typ", NULL},
                (const char **[]){&h->alg, &h->enc, &h->kid, &h->cty, &h->typ}, 2, err)))
        return rv;
    if (itsme_json_get(h->header, "zip"))
        return TOKEN_FAIL("JWE with zip refused");
    *out = h;
    return APR_SUCCESS;
}

apr_status_t itsme_jwe_header(apr_pool_t *p, const char *compact, itsme_jwe_header_t **out,
                              itsme_err_t **err)
{
    const char *part[5];
    apr_size_t len[5];
    return jwe_split(p, compact, part, len, out, err);
}

typedef struct {
    unsigned char *ek, *iv, *ct, *tag;
    apr_size_t ek_len, iv_len, ct_len, tag_len;
} jwe_bin_t;

/* Tries the candidate keys; one generic error for every cryptographic failure. */
static apr_status_t jwe_try_keys(apr_pool_t *p, const itsme_jwe_header_t *h, const char *aad,
                                 apr_size_t aad_len, const jwe_bin_t *b,
                                 const apr_array_header_t *keys, char **pt, apr_size_t *pt_len,
                                 itsme_err_t **err)
{
    const enc_spec_t *e = enc_find(h->enc);
    unsigned char cek[CEK_MAX], *out;
    int i, tried = 0;
    for (i = 0; keys && i < keys->nelts; i++) {
        const itsme_jwk_t *k = APR_ARRAY_IDX(keys, i, const itsme_jwk_t *);
        apr_status_t rv;
        if (!jwe_key_usable(k, h))
            continue;
        tried++;
        if (!oaep_unwrap(k, h->alg, b->ek, b->ek_len, cek, e->cek_len))
            return FAIL(ITSME_E_INTERNAL, APR_EGENERAL, "no random bytes");
        rv = itsme_jwe_content_decrypt(p, h->enc, cek, e->cek_len, b->iv, b->iv_len,
                                       (const unsigned char *)aad, aad_len, b->ct, b->ct_len,
                                       b->tag, b->tag_len, &out, pt_len, NULL);
        OPENSSL_cleanse(cek, sizeof(cek));
        if (rv == APR_SUCCESS) {
            *pt = (char *)out;
            return APR_SUCCESS;
        }
    }
    if (!tried)
        return FAIL(ITSME_E_TOKEN, APR_ENOENT, "no usable private key for the JWE%s",
                    h->kid ? " kid" : "");
    return FAIL(ITSME_E_CRYPTO, APR_EGENERAL, "JWE could not be decrypted");
}

apr_status_t itsme_jwe_decrypt(apr_pool_t *p, const char *compact,
                               const apr_array_header_t *keys,
                               char **plaintext, apr_size_t *len, itsme_err_t **err)
{
    const char *part[5];
    apr_size_t plen[5];
    itsme_jwe_header_t *h;
    const enc_spec_t *e;
    jwe_bin_t b;
    apr_status_t rv = jwe_split(p, compact, part, plen, &h, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (!oaep_alg(h->alg) || !(e = enc_find(h->enc)))
        return TOKEN_FAIL("JWE alg/enc %.20s/%.20s is not accepted", h->alg, h->enc);
    if (itsme_jose_b64_part(p, part[1], plen[1], &b.ek, &b.ek_len)
        || itsme_jose_b64_part(p, part[2], plen[2], &b.iv, &b.iv_len)
        || itsme_jose_b64_part(p, part[3], plen[3], &b.ct, &b.ct_len)
        || itsme_jose_b64_part(p, part[4], plen[4], &b.tag, &b.tag_len))
        return TOKEN_FAIL("JWE part is not base64url");
    if (b.ek_len == 0 || b.iv_len != e->iv_len || b.tag_len != e->tag_len)
        return TOKEN_FAIL("JWE encrypted key, IV or tag has a wrong length");
    return jwe_try_keys(p, h, part[0], plen[0], &b, keys, plaintext, len, err);
}

/* Builds the protected header of an outgoing JWE, base64url. */
static const char *jwe_out_header(apr_pool_t *p, const itsme_jwk_t *key, const char *alg,
                                  const char *enc, const char *cty)
{
    itsme_json_t *hdr = itsme_json_object_new(p);
    const char *json;
    if (!hdr || itsme_json_set_string(hdr, "alg", alg) || itsme_json_set_string(hdr, "enc", enc)
        || (key->kid && itsme_json_set_string(hdr, "kid", key->kid))
        || (cty && itsme_json_set_string(hdr, "cty", cty)) || !(json = itsme_json_dump(p, hdr)))
        return NULL;
    return itsme_b64url_encode(p, (const unsigned char *)json, strlen(json));
}

static unsigned char *oaep_wrap(apr_pool_t *p, const itsme_jwk_t *k, const char *alg,
                                const unsigned char *cek, apr_size_t cek_len, apr_size_t *out_len)
{
    EVP_PKEY_CTX *c = oaep_ctx(k, alg, 1);
    unsigned char *ek = NULL;
    size_t n = 0;
    if (c && EVP_PKEY_encrypt(c, NULL, &n, cek, cek_len) > 0) {
        ek = apr_palloc(p, n);
        if (EVP_PKEY_encrypt(c, ek, &n, cek, cek_len) <= 0)
            ek = NULL;
    }
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    *out_len = n;
    return ek;
}

apr_status_t itsme_jwe_encrypt(apr_pool_t *p, const itsme_jwk_t *key, const char *alg,
                               const char *enc, const char *cty, const char *plaintext,
                               apr_size_t len, const char **compact, itsme_err_t **err)
{
    const enc_spec_t *e = enc_find(enc);
    unsigned char cek[CEK_MAX], iv[16], tag[16], *ct, *ek = NULL;
    apr_size_t ct_len = 0, ek_len = 0;
    const char *h64;
    int ok;
    if (!e || !oaep_alg(alg))
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "JWE alg/enc not supported");
    if (!key || !key->pkey || strcmp(key->kty, "RSA") || key->bits < MIN_RSA_BITS
        || (key->use && !strcmp(key->use, "sig")))
        return FAIL(ITSME_E_CONFIG, APR_EINVAL, "JWE needs an RSA encryption key >= %d bits",
                    MIN_RSA_BITS);
    if (!plaintext || len > ITSME_JOSE_MAX_JWE / 2)
        return FAIL(ITSME_E_INPUT, APR_EINVAL, "JWE plaintext missing or too long");
    if (!(h64 = jwe_out_header(p, key, alg, enc, cty)))
        return FAIL(ITSME_E_INTERNAL, APR_ENOMEM, "JWE header build failed");
    ct = apr_palloc(p, len + 32);
    ok = RAND_bytes(cek, (int)e->cek_len) == 1 && RAND_bytes(iv, (int)e->iv_len) == 1;
    if (ok && e->cbc)
        ok = aes_cbc(1, cek + 16, iv, (const unsigned char *)plaintext, len, ct, &ct_len)
             && cbc_hs256_tag(cek, (const unsigned char *)h64, strlen(h64), iv, ct, ct_len, tag);
    else if (ok)
        ok = aes_gcm(1, cek, iv, (const unsigned char *)h64, strlen(h64),
                     (const unsigned char *)plaintext, len, ct, &ct_len, tag);
    if (ok)
        ok = (ek = oaep_wrap(p, key, alg, cek, e->cek_len, &ek_len)) != NULL;
    OPENSSL_cleanse(cek, sizeof(cek));
    ERR_clear_error();
    if (!ok)
        return FAIL(ITSME_E_INTERNAL, APR_EGENERAL, "JWE encryption failed");
    *compact = apr_pstrcat(p, h64, ".", itsme_b64url_encode(p, ek, ek_len), ".",
                           itsme_b64url_encode(p, iv, e->iv_len), ".",
                           itsme_b64url_encode(p, ct, ct_len), ".",
                           itsme_b64url_encode(p, tag, e->tag_len), NULL);
    return APR_SUCCESS;
}
