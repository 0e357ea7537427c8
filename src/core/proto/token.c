/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * token.c: the authorization code exchange at the token endpoint
 * (RFC 6749 §4.1.3, OIDC Core §3.1.3) and client authentication:
 * client_secret_basic, client_secret_post and private_key_jwt (RFC 7523).
 */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "core/proto/token.h"
#include "core/proto/state.h"
#include "core/json.h"
#include "core/url.h"

#define OP_TEXT_MAX 200
#define ASSERTION_LIFETIME_SEC 60
#define JTI_BYTES 32
#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

itsme_client_auth_e itsme_token_choose_auth(const itsme_metadata_t *md, int have_secret,
                                            int have_key)
{
    const apr_array_header_t *l = md ? md->token_endpoint_auth_methods : NULL;
    int none_listed = !l || l->nelts == 0;

    if (have_key && (none_listed || itsme_metadata_has(l, "private_key_jwt")))
        return ITSME_AUTH_PRIVATE_KEY_JWT;
    if (have_secret && (none_listed || itsme_metadata_has(l, "client_secret_basic")))
        return ITSME_AUTH_CLIENT_SECRET_BASIC;
    if (have_secret && itsme_metadata_has(l, "client_secret_post"))
        return ITSME_AUTH_CLIENT_SECRET_POST;
    return ITSME_AUTH_NONE;
}

const char *itsme_client_auth_name(itsme_client_auth_e m)
{
    switch (m) {
    case ITSME_AUTH_CLIENT_SECRET_BASIC:
        return "client_secret_basic";
    case ITSME_AUTH_CLIENT_SECRET_POST:
        return "client_secret_post";
    case ITSME_AUTH_PRIVATE_KEY_JWT:
        return "private_key_jwt";
    case ITSME_AUTH_NONE:
    default:
        return "none";
    }
}

/* The signed client assertion (RFC 7523 §3). */
static apr_status_t make_assertion(apr_pool_t *p, const itsme_token_req_t *req,
                                   const char **out, itsme_err_t **err)
{
    const char *jti = NULL;
    const itsme_jwk_t *k = req->client_key;
    const char *kty = itsme_jwk_kty(k);
    const char *alg = (kty && strcmp(kty, "EC") == 0) ? "ES256" : "RS256";
    apr_int64_t now = apr_time_sec(req->now);

    if (!itsme_jwk_is_private(k))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "private_key_jwt: the client key has no private part");
    apr_status_t rv = itsme_random_b64url(p, JTI_BYTES, &jti, err);
    if (rv != APR_SUCCESS)
        return rv;
    itsme_json_t *c = itsme_json_object_new(p);
    if (!c || itsme_json_set_string(c, "iss", req->client_id) != APR_SUCCESS
        || itsme_json_set_string(c, "sub", req->client_id) != APR_SUCCESS
        || itsme_json_set_string(c, "aud", req->token_endpoint) != APR_SUCCESS
        || itsme_json_set_string(c, "jti", jti) != APR_SUCCESS
        || itsme_json_set_int(c, "iat", now) != APR_SUCCESS
        || itsme_json_set_int(c, "exp", now + ASSERTION_LIFETIME_SEC) != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "client assertion");
    const char *payload = itsme_json_dump(p, c);
    if (!payload)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "client assertion");
    return itsme_jws_sign(p, k, alg, "JWT", payload, strlen(payload), out, err);
}

/* Adds client authentication to form (or to basic_user/basic_pass). */
static apr_status_t add_client_auth(apr_pool_t *p, const itsme_token_req_t *req,
                                    apr_table_t *form, const char **user, const char **pass,
                                    itsme_err_t **err)
{
    const char *assertion = NULL;
    apr_status_t rv;

    switch (req->auth) {
    case ITSME_AUTH_CLIENT_SECRET_BASIC:
    case ITSME_AUTH_CLIENT_SECRET_POST:
        if (!req->client_secret)
            return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                                  "%s needs a client secret",
                                  itsme_client_auth_name(req->auth));
        if (req->auth == ITSME_AUTH_CLIENT_SECRET_BASIC) {
            *user = req->client_id;
            *pass = req->client_secret;
            return APR_SUCCESS;
        }
        apr_table_setn(form, "client_id", req->client_id);
        apr_table_setn(form, "client_secret", req->client_secret);
        return APR_SUCCESS;
    case ITSME_AUTH_PRIVATE_KEY_JWT:
        if (!req->client_key)
            return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                                  "private_key_jwt needs a client key");
        rv = make_assertion(p, req, &assertion, err);
        if (rv != APR_SUCCESS)
            return rv;
        apr_table_setn(form, "client_id", req->client_id);
        apr_table_setn(form, "client_assertion_type", JWT_BEARER);
        apr_table_setn(form, "client_assertion", assertion);
        return APR_SUCCESS;
    case ITSME_AUTH_NONE:
    default:
        apr_table_setn(form, "client_id", req->client_id); /* public client */
        return APR_SUCCESS;
    }
}

/* A non-200 answer as an ITSME_E_OP error with the OP's texts. */
static apr_status_t op_error(apr_pool_t *p, const itsme_http_resp_t *r, itsme_err_t **err)
{
    itsme_json_t *doc = NULL;
    const char *code = NULL, *desc = NULL;
    if (itsme_json_parse_object(p, r->body, r->body_len, &doc, NULL) == APR_SUCCESS) {
        code = itsme_err_printable(p, itsme_json_get_string(doc, "error"), OP_TEXT_MAX);
        desc = itsme_json_get_string(doc, "error_description");
        desc = itsme_err_printable(p, desc ? desc : itsme_json_get_string(doc, "detail"),
                                   OP_TEXT_MAX);
    }
    if (!code)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EGENERAL,
                              "token endpoint answered HTTP %ld", r->status);
    return itsme_err_make(p, err, ITSME_E_OP, APR_EGENERAL,
                          "token endpoint answered HTTP %ld: %s%s%s", r->status, code,
                          desc ? ": " : "", desc ? desc : "");
}

static apr_status_t parse_response(apr_pool_t *p, const itsme_http_resp_t *r,
                                   itsme_token_resp_t **out, itsme_err_t **err)
{
    itsme_json_t *doc = NULL;
    itsme_err_t *cause = NULL;
    if (r->status != 200)
        return op_error(p, r, err);
    if (itsme_json_parse_object(p, r->body, r->body_len, &doc, &cause) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_OP, cause,
                              "token response is not a JSON object");
    itsme_token_resp_t *t = apr_pcalloc(p, sizeof(*t));
    t->id_token = itsme_json_get_string(doc, "id_token");
    t->access_token = itsme_json_get_string(doc, "access_token");
    t->token_type = itsme_json_get_string(doc, "token_type");
    if (!t->id_token || !*t->id_token)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL, "token response has no id_token");
    if (!t->access_token || !*t->access_token)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "token response has no access_token");
    if (itsme_json_get(doc, "token_type")
        && (!t->token_type || strcasecmp(t->token_type, "Bearer") != 0))
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "token response: token_type is not Bearer");
    if (!itsme_json_get_int(doc, "expires_in", &t->expires_in))
        t->expires_in = -1;
    *out = t;
    return APR_SUCCESS;
}

apr_status_t itsme_token_exchange(apr_pool_t *p, const itsme_http_opts_t *o,
                                  const itsme_token_req_t *req, itsme_token_resp_t **out,
                                  itsme_err_t **err)
{
    const char *user = NULL, *pass = NULL;
    itsme_http_resp_t *resp = NULL;
    itsme_err_t *cause = NULL;

    if (!req || !req->client_id || !req->code || !req->redirect_uri || !req->token_endpoint)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "token exchange: incomplete request");
    if (!itsme_url_is_secure_endpoint(req->token_endpoint))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "token endpoint must be https: %s", req->token_endpoint);
    apr_table_t *form = apr_table_make(p, 8);
    apr_table_setn(form, "grant_type", "authorization_code");
    apr_table_setn(form, "code", req->code);
    apr_table_setn(form, "redirect_uri", req->redirect_uri);
    if (req->code_verifier)
        apr_table_setn(form, "code_verifier", req->code_verifier);
    apr_status_t rv = add_client_auth(p, req, form, &user, &pass, err);
    if (rv != APR_SUCCESS)
        return rv;
    rv = itsme_http_post_form(p, o, req->token_endpoint, form, user, pass, &resp, &cause);
    if (rv != APR_SUCCESS)
        return itsme_err_wrap(p, err, cause ? cause->kind : ITSME_E_NETWORK, cause,
                              "token request");
    return parse_response(p, resp, out, err);
}
