/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * jose_warm.c: readies a private RSA key for use before httpd forks. The
 * first private operation on a key computes what OpenSSL keeps with it for
 * every later one: the Montgomery contexts of n, p and q, and the blinding
 * values (one set for the thread that made it, one shared by all others).
 * Done once in the parent, every child inherits them: no login pays for
 * that setup (about the cost of one more private operation per key).
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include "core/jose_int.h"

int itsme_jwk_warm(const itsme_jwk_t *k)
{
    unsigned char dgst[32] = {0}, sig[RSA_MAX_BYTES];
    size_t n = sizeof(sig);
    EVP_PKEY_CTX *c;
    int ok;

    if (!k || !k->priv || !EVP_PKEY_is_a(k->pkey, "RSA")
        || EVP_PKEY_get_size(k->pkey) > (int)sizeof(sig))
        return 0;
    c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    ok = c && EVP_PKEY_sign_init(c) > 0
         && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0
         && EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) > 0
         && EVP_PKEY_sign(c, sig, &n, dgst, sizeof(dgst)) > 0;
    EVP_PKEY_CTX_free(c);
    OPENSSL_cleanse(sig, sizeof(sig));
    ERR_clear_error();
    return ok;
}
