/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jose.h: JWK, JWS and JWE. The only file that touches cjose or OpenSSL's
 * JOSE-relevant EVP calls is jose.c.
 *
 * Algorithm policy lives here too: signatures are RS256, PS256 or ES256 only
 * (never "none", never HMAC - an HMAC keyed with a public key would let anyone
 * forge tokens). The key's type must match the algorithm family.
 */
#ifndef ITSME_JOSE_H
#define ITSME_JOSE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/err.h"
#include "core/json.h"

typedef struct itsme_jwk itsme_jwk_t;   /* one key (public, or private too) */
typedef struct itsme_jwks itsme_jwks_t; /* a key set */

/* NULL-terminated list of the signature algorithms libitsme accepts. */
extern const char *const itsme_jose_sig_algs_default[]; /* RS256 PS256 ES256 */

/* Largest compact JWS / JWE accepted (bytes); longer inputs are refused. */
#define ITSME_JOSE_MAX_JWS (64 * 1024)
#define ITSME_JOSE_MAX_JWE (256 * 1024)

/* Number of '.'-separated parts of a compact serialization (0 for NULL). */
int itsme_jose_compact_parts(const char *compact);

/* ---- keys ---- */
const char *itsme_jwk_kid(const itsme_jwk_t *k);  /* may be NULL */
const char *itsme_jwk_kty(const itsme_jwk_t *k);  /* "RSA", "EC" */
const char *itsme_jwk_use(const itsme_jwk_t *k);  /* "sig", "enc" or NULL */
const char *itsme_jwk_alg(const itsme_jwk_t *k);  /* may be NULL */
int itsme_jwk_is_private(const itsme_jwk_t *k);

/* Parses one JWK (public, or private with d [p q dp dq qi]): kty RSA or EC
 * (crv P-256). Fails (ITSME_E_INPUT) for any other kty, missing or malformed
 * material. RSA keys under 2048 bits load but are refused by every
 * operation. */
apr_status_t itsme_jwk_parse(apr_pool_t *p, const char *json, apr_size_t len,
                             itsme_jwk_t **out, itsme_err_t **err);

/* Parses a JWK Set document. Keys with an unknown kty, a symmetric kty
 * ("oct"), or missing material are skipped (not an error); so are malformed
 * keys, keys on curves other than P-256 and keys whose use is neither "sig"
 * nor "enc". At most 64 keys are kept. Fails when the
 * document is not a {"keys":[...]} object. */
apr_status_t itsme_jwks_parse(apr_pool_t *p, const char *json, apr_size_t len,
                              itsme_jwks_t **out, itsme_err_t **err);
/* One private operation with an RSA private key (jose_warm.c), so that
 * OpenSSL's per-key precomputation (Montgomery contexts, blinding) is done
 * now, in the thread and the process that call it: before httpd forks, from
 * the main thread and once from another thread. 1 when done. */
int itsme_jwk_warm(const itsme_jwk_t *k);
/* A copy of set in p sharing its parsed keys (EVP_PKEY reference counts):
 * the copy stays valid when set's pool goes; the keys are never parsed
 * again (the JWKS cache hands every verification one). */
itsme_jwks_t *itsme_jwks_share(apr_pool_t *p, const itsme_jwks_t *set);
int itsme_jwks_count(const itsme_jwks_t *set);
itsme_jwk_t *itsme_jwks_get(const itsme_jwks_t *set, int i);

/*
 * Finds the key to verify a JWS with header (kid, alg): keys whose use is
 * "enc" are ignored, the kty must fit alg, and a key's own "alg" (if any)
 * must equal alg. With kid given, the kid must match. Without kid, succeeds
 * only when exactly one key fits. NULL when none.
 */
const itsme_jwk_t *itsme_jwks_find_verify_key(const itsme_jwks_t *set, const char *kid,
                                              const char *alg);

/*
 * Finds a key to encrypt to (JWE) with alg: the first public-only RSA key of
 * >= 2048 bits whose use is "enc" or unset and whose own "alg" (if any)
 * equals alg. alg NULL accepts a key alg of RSA-OAEP-256 or RSA-OAEP; an alg
 * other than those two finds nothing. Keys carrying private material are
 * skipped. NULL when none.
 */
const itsme_jwk_t *itsme_jwks_find_enc_key(const itsme_jwks_t *set, const char *alg);

/* Loads a PEM private (or public) key (RSA >= 2048 bits or EC P-256;
 * unencrypted PEM only). kid NULL -> the RFC 7638 thumbprint. use may be
 * NULL, "sig" or "enc". Errors are ITSME_E_CONFIG. */
apr_status_t itsme_jwk_from_pem(apr_pool_t *p, const char *pem, apr_size_t len,
                                const char *kid, const char *use,
                                itsme_jwk_t **out, itsme_err_t **err);
/* RFC 7638 SHA-256 thumbprint, base64url. */
const char *itsme_jwk_thumbprint(apr_pool_t *p, const itsme_jwk_t *k);
/* The public JWK as a JSON object (kty, kid, use, alg when set, n/e or
 * crv/x/y). Never contains private members. */
itsme_json_t *itsme_jwk_public_json(apr_pool_t *p, const itsme_jwk_t *k);

/* ---- JWS ---- */
typedef struct {
    const char *alg;
    const char *kid;          /* NULL when absent */
    const char *typ;          /* NULL when absent */
    const char *cty;          /* NULL when absent */
    itsme_json_t *header;     /* the full protected header */
    const char *payload;      /* decoded, NUL-terminated */
    apr_size_t payload_len;
    const char *compact;      /* the input */
} itsme_jws_t;

/* Splits and decodes a compact JWS (exactly 3 parts, header a JSON object
 * with a string "alg"). Does not verify. Rejects a header with "crit". */
apr_status_t itsme_jws_parse(apr_pool_t *p, const char *compact, itsme_jws_t **out,
                             itsme_err_t **err);

/* Verifies the signature of jws with key. Fails (ITSME_E_TOKEN) unless
 * jws->alg is in allowed_algs (NULL -> itsme_jose_sig_algs_default), is not
 * "none" and not HS*, and fits the key type (RS/PS -> RSA >= 2048 bits,
 * ES256 -> EC P-256). A key whose use is set must be "sig", and a key whose
 * alg is set must name jws->alg. */
apr_status_t itsme_jws_verify(apr_pool_t *p, const itsme_jws_t *jws, const itsme_jwk_t *key,
                              const char *const *allowed_algs, itsme_err_t **err);

/* Signs payload with a private key; header {"alg":alg,"kid":kid,"typ":typ}
 * (kid/typ omitted when NULL). alg: RS256, PS256 or ES256. */
apr_status_t itsme_jws_sign(apr_pool_t *p, const itsme_jwk_t *key, const char *alg,
                            const char *typ, const char *payload, apr_size_t len,
                            const char **compact, itsme_err_t **err);

/* ---- JWE (itsme V2: nested JWTs) ---- */
/* Key management algorithms accepted: RSA-OAEP, RSA-OAEP-256. Content
 * encryption: A128CBC-HS256, A256GCM. Everything else (RSA1_5, dir, any
 * "zip") is refused. */
typedef struct {
    const char *alg, *enc, *kid, *cty, *typ;
    itsme_json_t *header;
} itsme_jwe_header_t;

/* Decodes only the protected header of a 5-part compact JWE. */
apr_status_t itsme_jwe_header(apr_pool_t *p, const char *compact, itsme_jwe_header_t **out,
                              itsme_err_t **err);

/* Decrypts a compact JWE with the private key among `keys` (array of
 * const itsme_jwk_t *) named by the header kid; without a kid, tries each
 * key whose use is not "sig". Only private RSA keys >= 2048 bits whose alg
 * (if set) equals the header's are used. No usable key -> ITSME_E_TOKEN; any
 * cryptographic failure -> one generic ITSME_E_CRYPTO error (no oracle). */
apr_status_t itsme_jwe_decrypt(apr_pool_t *p, const char *compact,
                               const apr_array_header_t *keys,
                               char **plaintext, apr_size_t *len, itsme_err_t **err);

/* Encrypts plaintext to a public RSA key: alg RSA-OAEP or RSA-OAEP-256, enc
 * A128CBC-HS256 or A256GCM; header carries kid (of key) and cty when given. */
apr_status_t itsme_jwe_encrypt(apr_pool_t *p, const itsme_jwk_t *key, const char *alg,
                               const char *enc, const char *cty, const char *plaintext,
                               apr_size_t len, const char **compact, itsme_err_t **err);

/* ---- for tests (known-answer vectors); not for other units ---- */
/* Content decryption of a JWE (enc A128CBC-HS256 or A256GCM): checks the
 * lengths of cek/iv/tag, verifies the tag (constant time, before decrypting
 * for CBC) and returns the NUL-terminated plaintext in p. */
apr_status_t itsme_jwe_content_decrypt(apr_pool_t *p, const char *enc, const unsigned char *cek,
                                       apr_size_t cek_len, const unsigned char *iv,
                                       apr_size_t iv_len, const unsigned char *aad,
                                       apr_size_t aad_len, const unsigned char *ct,
                                       apr_size_t ct_len, const unsigned char *tag,
                                       apr_size_t tag_len, unsigned char **pt,
                                       apr_size_t *pt_len, itsme_err_t **err);

#endif
