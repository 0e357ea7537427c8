/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * request_object.c: the itsme request object (OIDC Core §6.1,
 * itsme-profile.md §3): the authorization parameters as a JWT signed by the
 * RP and, when the OP has an encryption key, encrypted to it (nested JWT).
 * Also picks that encryption key from the OP's JWKS.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/json.h"
#include "core/proto/request_object.h"
#include "core/proto/state.h"

#define JTI_BYTES 32

#define CONFIG_FAIL(...) itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL, __VA_ARGS__)

static int missing(const char *v)
{
    return v == NULL || *v == '\0';
}

/* Names the first missing required value, or NULL when all are there. */
static const char *first_missing(const itsme_reqobj_t *ro)
{
    return missing(ro->aud) ? "aud" : itsme_authorize_missing_param(ro->params);
}

/* The JWS alg for the RP's key; NULL when the key cannot sign for us. */
static const char *sign_alg(const itsme_jwk_t *k)
{
    const char *kty = itsme_jwk_kty(k), *use = itsme_jwk_use(k), *own = itsme_jwk_alg(k);
    const char *alg = NULL;
    if (kty && !strcmp(kty, "RSA"))
        alg = "RS256";
    else if (kty && !strcmp(kty, "EC"))
        alg = "ES256";
    if (!alg || !itsme_jwk_is_private(k) || (use && strcmp(use, "sig"))
        || (own && strcmp(own, alg)))
        return NULL;
    return alg;
}

/* The JWE key management alg to use with enc_key (ITSME_E_CONFIG when
 * enc_key is not an OP public RSA key for encryption, or is for another alg). */
static apr_status_t enc_alg(apr_pool_t *p, const itsme_reqobj_t *ro, const char **out,
                            itsme_err_t **err)
{
    const itsme_jwk_t *k = ro->enc_key;
    const char *kty = itsme_jwk_kty(k), *use = itsme_jwk_use(k), *own = itsme_jwk_alg(k);
    const char *alg = ro->enc_alg ? ro->enc_alg : own ? own : ITSME_REQOBJ_DEFAULT_ALG;
    if (!kty || strcmp(kty, "RSA") || itsme_jwk_is_private(k) || (use && strcmp(use, "enc")))
        return CONFIG_FAIL("request object: the encryption key must be the OP's public RSA "
                           "key with use enc");
    if (own && strcmp(own, alg))
        return CONFIG_FAIL("request object: the OP's key is for %.20s, not %.20s", own, alg);
    *out = alg;
    return APR_SUCCESS;
}

/* Sets the string members named in kv (name, value pairs, NULL-terminated);
 * NULL or empty values are left out. */
static apr_status_t set_strings(itsme_json_t *o, const char *const *kv)
{
    for (; kv[0]; kv += 2)
        if (!missing(kv[1]) && itsme_json_set_string(o, kv[0], kv[1]) != APR_SUCCESS)
            return APR_ENOMEM;
    return APR_SUCCESS;
}

/* The claims parameter as a JSON object (NULL when unset). */
static apr_status_t claims_object(apr_pool_t *p, const char *text, itsme_json_t **out,
                                  itsme_err_t **err)
{
    itsme_err_t *cause = NULL;
    *out = NULL;
    if (missing(text))
        return APR_SUCCESS;
    if (itsme_json_parse_object(p, text, strlen(text), out, &cause) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_CONFIG, cause,
                              "request object: claims is not a JSON object");
    return APR_SUCCESS;
}

static apr_status_t build_payload(apr_pool_t *p, const itsme_reqobj_t *ro, const char **out,
                                  itsme_err_t **err)
{
    const itsme_authz_req_t *r = ro->params;
    apr_time_t now = ro->now > 0 ? ro->now : apr_time_now();
    apr_int64_t iat = apr_time_sec(now);
    itsme_json_t *claims = NULL, *o;
    const char *jti = NULL;
    apr_status_t rv;

    if ((rv = claims_object(p, r->claims, &claims, err)) != APR_SUCCESS
        || (rv = itsme_random_b64url(p, JTI_BYTES, &jti, err)) != APR_SUCCESS)
        return rv;
    o = itsme_json_object_new(p);
    if (!o
        || set_strings(o, (const char *const[]){
               "iss", r->client_id, "aud", ro->aud, "response_type", "code",
               "client_id", r->client_id, "redirect_uri", r->redirect_uri, "scope", r->scope,
               "state", r->state, "nonce", r->nonce, "code_challenge", r->code_challenge,
               "code_challenge_method", "S256", "acr_values", r->acr_values,
               "prompt", r->prompt, "ui_locales", r->ui_locales, NULL, NULL})
        || (claims && itsme_json_set(o, "claims", claims))
        || itsme_json_set_int(o, "iat", iat) || itsme_json_set_int(o, "nbf", iat)
        || itsme_json_set_int(o, "exp", iat + apr_time_sec(ITSME_REQOBJ_LIFETIME))
        || itsme_json_set_string(o, "jti", jti) || !(*out = itsme_json_dump(p, o)))
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM,
                              "request object: payload build failed");
    return APR_SUCCESS;
}

/* A failure of a jose call, as a configuration error unless it is ours. */
static apr_status_t jose_fail(apr_pool_t *p, itsme_err_t **err, const itsme_err_t *cause,
                              const char *what)
{
    itsme_err_kind_e kind = cause && cause->kind == ITSME_E_INTERNAL ? ITSME_E_INTERNAL
                                                                     : ITSME_E_CONFIG;
    return itsme_err_wrap(p, err, kind, cause, "request object: %s failed", what);
}

apr_status_t itsme_request_object_build(apr_pool_t *p, const itsme_reqobj_t *ro,
                                        const char **jwt, itsme_err_t **err)
{
    const char *m, *salg, *ealg = NULL, *enc, *payload = NULL, *jws = NULL;
    itsme_err_t *cause = NULL;

    if (!ro || !ro->params || !jwt)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "request object: nothing to build");
    if (!ro->sign_key)
        return CONFIG_FAIL("request object: no signing key");
    if (!(salg = sign_alg(ro->sign_key)))
        return CONFIG_FAIL("request object: the signing key must be a private RSA or EC P-256 "
                           "key for signatures");
    if ((m = first_missing(ro)) != NULL)
        return CONFIG_FAIL("request object: %s is missing", m);
    apr_status_t rv = ro->enc_key ? enc_alg(p, ro, &ealg, err) : APR_SUCCESS;
    if (rv != APR_SUCCESS || (rv = build_payload(p, ro, &payload, err)) != APR_SUCCESS)
        return rv;
    if (itsme_jws_sign(p, ro->sign_key, salg, "JWT", payload, strlen(payload), &jws, &cause))
        return jose_fail(p, err, cause, "signing");
    if (!ro->enc_key) {
        *jwt = jws;
        return APR_SUCCESS;
    }
    enc = ro->enc_enc ? ro->enc_enc : ITSME_REQOBJ_DEFAULT_ENC;
    if (itsme_jwe_encrypt(p, ro->enc_key, ealg, enc, "JWT", jws, strlen(jws), jwt, &cause))
        return jose_fail(p, err, cause, "encryption");
    return APR_SUCCESS;
}

apr_status_t itsme_jwks_enc_key(const itsme_jwks_source_t *src, apr_pool_t *p,
                                const char *alg, const itsme_jwk_t **key, itsme_err_t **err)
{
    itsme_jwks_t *set = NULL;
    const itsme_jwk_t *k;
    int fetched = 0;

    if (!key)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "enc key: no output");
    if (alg && strcmp(alg, "RSA-OAEP-256") && strcmp(alg, "RSA-OAEP"))
        return CONFIG_FAIL("JWE alg %.20s is not supported for the request object", alg);
    apr_status_t rv = itsme_jwks_load(src, p, 0, &set, &fetched, err);
    if (rv != APR_SUCCESS)
        return rv;
    k = itsme_jwks_find_enc_key(set, alg);
    if (!k && !fetched) {
        /* maybe the OP added or rotated its key: one refetch, rate-limited */
        if ((rv = itsme_jwks_load(src, p, 1, &set, &fetched, err)) != APR_SUCCESS)
            return rv;
        k = itsme_jwks_find_enc_key(set, alg);
    }
    if (!k)
        return itsme_err_make(p, err, ITSME_E_OP, APR_NOTFOUND,
                              "the OP's JWKS has no public RSA encryption key for %s",
                              alg ? alg : "RSA-OAEP-256 or RSA-OAEP");
    *key = k;
    return APR_SUCCESS;
}
