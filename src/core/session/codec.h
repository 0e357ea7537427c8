/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * codec.h: AEAD sealing for cookies (session and flow state).
 *
 * Keys: for each configured passphrase, HKDF-SHA256(ikm = passphrase,
 * salt = "mod_auth_itsme/v1", info = "seal") -> 32 bytes. The first key
 * seals; every key opens (passphrase rotation).
 *
 * Sealed form (then base64url): 0x01 (version) | key-id (4 bytes: first 4
 * bytes of SHA-256 over the key) | IV (12 random bytes) | ciphertext | tag (16).
 * AES-256-GCM; the associated data is the caller's `aad` (the cookie name),
 * so a value cut from one cookie does not open under another name.
 */
#ifndef ITSME_CODEC_H
#define ITSME_CODEC_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/err.h"

typedef struct itsme_crypto itsme_crypto_t;

/* HKDF does no stretching, so a passphrase must be random (a human phrase
 * can be brute-forced offline from any cookie): at least 32 bytes, e.g. from
 * `openssl rand -base64 32`. */
#define ITSME_CRYPTO_MIN_PASSPHRASE 32

/* Size bounds. itsme_seal refuses more than ITSME_SEAL_MAX_PLAINTEXT bytes;
 * itsme_open refuses more than ITSME_SEAL_MAX_SEALED characters, which is the
 * base64url length of the largest sealable value (48 KiB + 33 bytes of
 * envelope -> 65580 chars, just over 64 KiB), so whatever seals also opens.
 * The aad (a cookie name) is at most ITSME_SEAL_MAX_AAD bytes. */
#define ITSME_SEAL_MAX_PLAINTEXT (48 * 1024)
#define ITSME_SEAL_OVERHEAD (1 + 4 + 12 + 16)
#define ITSME_SEAL_MAX_SEALED (((ITSME_SEAL_MAX_PLAINTEXT + ITSME_SEAL_OVERHEAD) * 4 + 2) / 3)
#define ITSME_SEAL_MAX_AAD 1024

/* Before any other OpenSSL call of the process (a host program that
 * tears its pools down at exit, as httpd does through apr_terminate):
 * OpenSSL registers no atexit cleanup of its own, which would run before
 * the pools' cleanups and leave them freeing objects of a library already
 * torn down. */
void itsme_crypto_global_init(void);

/* passphrases: array of const char*, at least one, each at least
 * ITSME_CRYPTO_MIN_PASSPHRASE bytes. The AES-256-GCM cipher is fetched once
 * here; it and the derived keys are released (keys wiped) by a cleanup on p.
 * The object is read-only afterwards: any number of threads may seal and open
 * with it at once. */
apr_status_t itsme_crypto_create(apr_pool_t *p, const apr_array_header_t *passphrases,
                                 itsme_crypto_t **out, itsme_err_t **err);

apr_status_t itsme_seal(apr_pool_t *p, const itsme_crypto_t *c, const char *aad,
                        const unsigned char *pt, apr_size_t len, const char **sealed,
                        itsme_err_t **err);

/* Fails with ITSME_E_CRYPTO on anything not sealed by one of our keys with
 * this aad. *key_index (may be NULL) is 0 when the current key opened it,
 * >0 for an older one (the caller re-seals). *pt is NUL-terminated. */
apr_status_t itsme_open(apr_pool_t *p, const itsme_crypto_t *c, const char *aad,
                        const char *sealed, apr_size_t sealed_len, unsigned char **pt,
                        apr_size_t *len, int *key_index, itsme_err_t **err);

#endif
