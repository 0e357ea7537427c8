/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * codec.c: AEAD sealing of cookie values (AES-256-GCM, HKDF-SHA256 keys).
 *
 * Wire form before base64url: version (1) | key id (4) | IV (12) |
 * ciphertext | tag (16). The caller's aad (the cookie name) is bound as
 * associated data. See codec.h for the key derivation.
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <apr_strings.h>

#include "core/b64url.h"
#include "core/session/codec.h"

#define SEAL_VERSION 0x01
#define KEY_LEN 32
#define KID_LEN 4
#define IV_LEN 12
#define TAG_LEN 16
#define HDR_LEN (1 + KID_LEN + IV_LEN)
#define OVERHEAD (HDR_LEN + TAG_LEN)
#if OVERHEAD != ITSME_SEAL_OVERHEAD
#error "envelope size out of step with codec.h"
#endif

#define HKDF_SALT "mod_auth_itsme/v1"
#define HKDF_INFO "seal"

typedef struct {
    unsigned char key[KEY_LEN];
    unsigned char kid[KID_LEN];
} seal_key_t;

struct itsme_crypto {
    seal_key_t *keys;  /* keys[0] seals; all open */
    int nkeys;
    EVP_CIPHER *gcm;   /* AES-256-GCM, fetched once (an implicit fetch per call is
                          costly); shareable across threads */
};

static apr_status_t crypto_cleanup(void *data)
{
    itsme_crypto_t *c = data;
    if (c->keys && c->nkeys > 0) {
        OPENSSL_cleanse(c->keys, sizeof(*c->keys) * (apr_size_t)c->nkeys);
    }
    EVP_CIPHER_free(c->gcm);
    c->gcm = NULL;
    return APR_SUCCESS;
}

/* HKDF-SHA256(ikm = passphrase, salt, info) -> KEY_LEN bytes. */
static int hkdf_derive(const char *pass, apr_size_t plen, unsigned char *out)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5];
    int ok = 0;

    if (!kctx) {
        goto leave;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)pass, plen);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)HKDF_SALT,
                                                  sizeof(HKDF_SALT) - 1);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)HKDF_INFO,
                                                  sizeof(HKDF_INFO) - 1);
    params[4] = OSSL_PARAM_construct_end();
    ok = EVP_KDF_derive(kctx, out, KEY_LEN, params) == 1;
leave:
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return ok;
}

/* Key id: the first KID_LEN bytes of SHA-256 over the key. */
static int key_id(seal_key_t *k)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(k->key, KEY_LEN, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < KID_LEN) {
        return 0;
    }
    memcpy(k->kid, md, KID_LEN);
    return 1;
}

void itsme_crypto_global_init(void)
{
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

apr_status_t itsme_crypto_create(apr_pool_t *p, const apr_array_header_t *passphrases,
                                 itsme_crypto_t **out, itsme_err_t **err)
{
    itsme_crypto_t *c;
    int i;

    *out = NULL;
    if (!passphrases || passphrases->nelts < 1) {
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "crypto passphrase: none configured");
    }
    for (i = 0; i < passphrases->nelts; i++) {
        const char *pass = APR_ARRAY_IDX(passphrases, i, const char *);
        if (!pass || strlen(pass) < ITSME_CRYPTO_MIN_PASSPHRASE) {
            return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                                  "crypto passphrase #%d is shorter than the minimum of "
                                  "%d bytes; it must be random, e.g. `openssl rand -base64 "
                                  "32`", i + 1, ITSME_CRYPTO_MIN_PASSPHRASE);
        }
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->keys = apr_pcalloc(p, sizeof(*c->keys) * (apr_size_t)passphrases->nelts);
    c->nkeys = passphrases->nelts;
    apr_pool_cleanup_register(p, c, crypto_cleanup, apr_pool_cleanup_null);
    c->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!c->gcm || EVP_CIPHER_get_iv_length(c->gcm) != IV_LEN
        || EVP_CIPHER_get_key_length(c->gcm) != KEY_LEN) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "crypto: AES-256-GCM is not available");
    }
    for (i = 0; i < c->nkeys; i++) {
        const char *pass = APR_ARRAY_IDX(passphrases, i, const char *);
        if (!hkdf_derive(pass, strlen(pass), c->keys[i].key) || !key_id(&c->keys[i])) {
            return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EGENERAL,
                                  "crypto passphrase #%d: key derivation failed", i + 1);
        }
    }
    *out = c;
    return APR_SUCCESS;
}

/* Cipher, key and IV in one init call (GCM's default IV length is ours,
 * checked once in itsme_crypto_create, so no parameters to process). */
static int gcm_init(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *gcm, const seal_key_t *k,
                    const unsigned char *iv, int enc)
{
    return EVP_CipherInit_ex2(ctx, gcm, k->key, iv, enc, NULL) == 1;
}

/* AES-256-GCM encrypt of pt into buf (laid out as the wire form). */
static int gcm_seal(const EVP_CIPHER *gcm, const seal_key_t *k, const char *aad,
                    const unsigned char *pt, apr_size_t len, unsigned char *buf)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *iv = buf + 1 + KID_LEN, *ct = buf + HDR_LEN;
    apr_size_t aadlen = aad ? strlen(aad) : 0;
    int outl = 0, finl = 0, ok = 0;

    buf[0] = SEAL_VERSION;
    memcpy(buf + 1, k->kid, KID_LEN);
    if (!ctx || RAND_bytes(iv, IV_LEN) != 1 || !gcm_init(ctx, gcm, k, iv, 1)) {
        goto leave;
    }
    if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad,
                                        (int)aadlen) != 1) {
        goto leave;
    }
    outl = 0;
    if ((len > 0 && EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1)
        || EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1
        || (apr_size_t)(outl + finl) != len
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + len) != 1) {
        goto leave;
    }
    ok = 1;
leave:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

apr_status_t itsme_seal(apr_pool_t *p, const itsme_crypto_t *c, const char *aad,
                        const unsigned char *pt, apr_size_t len, const char **sealed,
                        itsme_err_t **err)
{
    unsigned char *buf;

    *sealed = NULL;
    if (!c || c->nkeys < 1 || (!pt && len > 0)) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "seal: bad arguments");
    }
    if (len > ITSME_SEAL_MAX_PLAINTEXT) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "seal: plaintext of %" APR_SIZE_T_FMT " bytes exceeds %d",
                              len, ITSME_SEAL_MAX_PLAINTEXT);
    }
    if (aad && strlen(aad) > ITSME_SEAL_MAX_AAD) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "seal: aad too long");
    }
    buf = apr_palloc(p, len + OVERHEAD);
    if (!gcm_seal(c->gcm, &c->keys[0], aad, pt, len, buf)) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "seal: AES-256-GCM encryption failed");
    }
    *sealed = itsme_b64url_encode(p, buf, len + OVERHEAD);
    return APR_SUCCESS;
}

/* AES-256-GCM decrypt and verify; 1 on success. pt gets ctlen bytes. */
static int gcm_open(const EVP_CIPHER *gcm, const seal_key_t *k, const char *aad,
                    const unsigned char *buf, apr_size_t buflen, unsigned char *pt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    const unsigned char *iv = buf + 1 + KID_LEN, *ct = buf + HDR_LEN;
    apr_size_t ctlen = buflen - OVERHEAD, aadlen = aad ? strlen(aad) : 0;
    unsigned char tag[TAG_LEN];
    int outl = 0, finl = 0, ok = 0;

    memcpy(tag, ct + ctlen, TAG_LEN);
    if (!ctx || !gcm_init(ctx, gcm, k, iv, 0)) {
        goto leave;
    }
    if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad,
                                        (int)aadlen) != 1) {
        goto leave;
    }
    outl = 0;
    if ((ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &outl, ct, (int)ctlen) != 1)
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1
        || EVP_DecryptFinal_ex(ctx, pt + outl, &finl) != 1
        || (apr_size_t)(outl + finl) != ctlen) {
        goto leave;
    }
    ok = 1;
leave:
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(pt, ctlen);
    }
    return ok;
}

/* Base64url-decodes and checks the envelope (size, version). */
static apr_status_t unwrap(apr_pool_t *p, const char *sealed, apr_size_t sealed_len,
                           unsigned char **buf, apr_size_t *buflen, itsme_err_t **err)
{
    if (!sealed || sealed_len == 0) {
        return itsme_err_make(p, err, ITSME_E_CRYPTO, APR_EINVAL, "open: empty value");
    }
    if (sealed_len > ITSME_SEAL_MAX_SEALED) {
        return itsme_err_make(p, err, ITSME_E_CRYPTO, APR_EINVAL,
                              "open: sealed value of %" APR_SIZE_T_FMT " chars exceeds %d",
                              sealed_len, ITSME_SEAL_MAX_SEALED);
    }
    if (itsme_b64url_decode(p, sealed, sealed_len, buf, buflen) != APR_SUCCESS) {
        return itsme_err_make(p, err, ITSME_E_CRYPTO, APR_EINVAL, "open: not base64url");
    }
    if (*buflen < OVERHEAD) {
        return itsme_err_make(p, err, ITSME_E_CRYPTO, APR_EINVAL, "open: value too short");
    }
    if ((*buf)[0] != SEAL_VERSION) {
        return itsme_err_make(p, err, ITSME_E_CRYPTO, APR_EINVAL,
                              "open: unknown format version %u", (unsigned)(*buf)[0]);
    }
    return APR_SUCCESS;
}

apr_status_t itsme_open(apr_pool_t *p, const itsme_crypto_t *c, const char *aad,
                        const char *sealed, apr_size_t sealed_len, unsigned char **pt,
                        apr_size_t *len, int *key_index, itsme_err_t **err)
{
    unsigned char *buf = NULL, *out;
    apr_size_t buflen = 0;
    apr_status_t rv;
    int i, tried = 0;

    *pt = NULL;
    *len = 0;
    if (!c || c->nkeys < 1 || (aad && strlen(aad) > ITSME_SEAL_MAX_AAD)) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "open: bad arguments");
    }
    rv = unwrap(p, sealed, sealed_len, &buf, &buflen, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    out = apr_palloc(p, buflen - OVERHEAD + 1);
    for (i = 0; i < c->nkeys; i++) {
        if (memcmp(c->keys[i].kid, buf + 1, KID_LEN) != 0) {
            continue;
        }
        tried = 1;
        if (gcm_open(c->gcm, &c->keys[i], aad, buf, buflen, out)) {
            out[buflen - OVERHEAD] = '\0';
            *pt = out;
            *len = buflen - OVERHEAD;
            if (key_index) {
                *key_index = i;
            }
            return APR_SUCCESS;
        }
    }
    return itsme_err_make(p, err, ITSME_E_CRYPTO, APR_EGENERAL, "open: %s",
                          tried ? "authentication failed (tampered or other cookie)"
                                : "sealed under an unknown key");
}
