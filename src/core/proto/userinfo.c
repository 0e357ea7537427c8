/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * userinfo.c: the UserInfo call (OIDC Core §5.3). The answer is parsed by
 * its shape, not its Content-Type: a JSON object, a signed JWT (3 parts) or
 * an encrypted JWT (5 parts) that must wrap a signed one. The sub must be the
 * ID token's.
 */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "core/proto/userinfo.h"
#include "core/jose.h"
#include "core/url.h"

#define UI_ACCEPT "application/json, application/jwt"

/* iss (when present) equals req->issuer; aud (when present) holds client_id. */
static apr_status_t check_iss_aud(apr_pool_t *p, const itsme_json_t *c,
                                  const itsme_userinfo_req_t *req, itsme_err_t **err)
{
    itsme_json_t *iss = itsme_json_get(c, "iss");
    itsme_json_t *aud = itsme_json_get(c, "aud");
    if (iss) {
        const char *s = itsme_json_string_value(iss);
        if (!s || !req->issuer || strcmp(s, req->issuer) != 0)
            return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                                  "userinfo iss mismatch");
    }
    if (aud) {
        if (!itsme_json_is_string(aud) && !itsme_json_is_array(aud))
            return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                                  "userinfo aud is malformed");
        apr_array_header_t *l = itsme_json_string_list(p, aud);
        int found = 0;
        for (int i = 0; l && req->client_id && i < l->nelts && !found; i++)
            found = strcmp(APR_ARRAY_IDX(l, i, const char *), req->client_id) == 0;
        if (!found)
            return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                                  "userinfo aud does not contain our client_id");
    }
    return APR_SUCCESS;
}

/* Verifies a compact JWS and returns its payload object. */
static apr_status_t verify_jws(apr_pool_t *p, const char *compact,
                               const itsme_userinfo_req_t *req, itsme_json_t **claims,
                               itsme_err_t **err)
{
    itsme_jws_t *jws = NULL;
    itsme_err_t *cause = NULL;
    apr_status_t rv;

    if (!req->lookup)
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "signed userinfo but no key source");
    /* the ID token's checks: alg allow-list (never none or HMAC), key by
     * kid, signature, a second key when the OP replaced one under its kid */
    rv = itsme_id_token_verify_jws(p, "userinfo", compact, req->allowed_algs, req->lookup,
                                   req->relookup, req->lookup_baton, &jws, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (itsme_json_parse_object(p, jws->payload, jws->payload_len, claims, &cause)
        != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, cause,
                              "userinfo JWS payload is not a JSON object");
    return check_iss_aud(p, *claims, req, err);
}

/* Decrypts a compact JWE that must wrap a JWS, then verifies that. */
static apr_status_t open_jwe(apr_pool_t *p, const char *compact,
                             const itsme_userinfo_req_t *req, itsme_json_t **claims,
                             itsme_err_t **err)
{
    char *plain = NULL;
    apr_size_t plen = 0;
    itsme_err_t *cause = NULL;

    if (!req->decrypt_keys || req->decrypt_keys->nelts == 0)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                              "encrypted userinfo but no decryption key configured");
    if (itsme_jwe_decrypt(p, compact, req->decrypt_keys, &plain, &plen, &cause)
        != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, cause, "userinfo JWE");
    /* anyone can encrypt to our public key: only a signed inner JWT counts */
    if (!plain || strlen(plain) != plen || itsme_jose_compact_parts(plain) != 3)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                              "userinfo JWE does not wrap a signed JWT");
    return verify_jws(p, plain, req, claims, err);
}

static apr_status_t check_sub(apr_pool_t *p, const itsme_json_t *c,
                              const itsme_userinfo_req_t *req, itsme_err_t **err)
{
    const char *sub = itsme_json_get_string(c, "sub");
    if (itsme_json_get(c, "sub") && !sub)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL, "userinfo sub is not a string");
    if (!sub || !*sub)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL, "userinfo has no sub");
    if (!req->expected_sub || strcmp(sub, req->expected_sub) != 0)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL, "userinfo sub mismatch");
    return APR_SUCCESS;
}

static apr_status_t parse_plain(apr_pool_t *p, const char *s, apr_size_t n,
                                const itsme_userinfo_req_t *req, itsme_json_t **claims,
                                itsme_err_t **err)
{
    itsme_err_t *cause = NULL;
    if (req->require_encrypted)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                              "userinfo is plain JSON but encryption is required");
    if (itsme_json_parse_object(p, s, n, claims, &cause) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_OP, cause, "userinfo is not a JSON object");
    return APR_SUCCESS;
}

apr_status_t itsme_userinfo_parse(apr_pool_t *p, const char *body, apr_size_t len,
                                  const itsme_userinfo_req_t *req, itsme_json_t **claims,
                                  itsme_err_t **err)
{
    itsme_json_t *c = NULL;
    apr_status_t rv;

    if (!req || !claims)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "userinfo: bad arguments");
    while (body && len && apr_isspace(body[0]))
        body++, len--;
    while (body && len && apr_isspace(body[len - 1]))
        len--;
    if (!body || !len)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL, "userinfo response is empty");
    if (body[0] == '{') {
        rv = parse_plain(p, body, len, req, &c, err);
    }
    else {
        const char *t = apr_pstrmemdup(p, body, len);
        int parts = strlen(t) == len ? itsme_jose_compact_parts(t) : 0;
        if (parts == 3 && req->require_encrypted)
            rv = itsme_err_make(p, err, ITSME_E_TOKEN, APR_EINVAL,
                                "userinfo is signed but not encrypted; encryption is required");
        else if (parts == 3)
            rv = verify_jws(p, t, req, &c, err);
        else if (parts == 5)
            rv = open_jwe(p, t, req, &c, err);
        else
            rv = itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                                "userinfo response is neither JSON nor a JWT");
    }
    if (rv == APR_SUCCESS)
        rv = check_sub(p, c, req, err);
    if (rv == APR_SUCCESS)
        *claims = c;
    return rv;
}

apr_status_t itsme_userinfo_fetch(apr_pool_t *p, const itsme_http_opts_t *o,
                                  const itsme_userinfo_req_t *req, itsme_json_t **claims,
                                  itsme_err_t **err)
{
    itsme_http_resp_t *resp = NULL;
    itsme_err_t *cause = NULL;

    if (!req || !req->endpoint || !req->access_token)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "userinfo: no endpoint or access token");
    if (!itsme_url_is_secure_endpoint(req->endpoint))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "userinfo endpoint must be https: %s", req->endpoint);
    apr_status_t rv = itsme_http_get(p, o, req->endpoint, req->access_token, UI_ACCEPT, &resp,
                                     &cause);
    if (rv != APR_SUCCESS)
        return itsme_err_wrap(p, err, cause ? cause->kind : ITSME_E_NETWORK, cause,
                              "userinfo request");
    if (resp->status != 200)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EGENERAL,
                              "userinfo endpoint answered HTTP %ld", resp->status);
    return itsme_userinfo_parse(p, resp->body, resp->body_len, req, claims, err);
}
