/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* userinfo.h: the UserInfo call, parsed by shape (JSON, JWS or JWE). */
#ifndef ITSME_USERINFO_H
#define ITSME_USERINFO_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/err.h"
#include "core/json.h"
#include "core/http_client.h"
#include "core/proto/id_token.h"

typedef struct {
    const char *endpoint;
    const char *access_token;
    const char *expected_sub;        /* the ID token's sub; must match */
    /* for signed answers: */
    const char *issuer;              /* when the JWT has iss it must equal this */
    const char *client_id;           /* when the JWT has aud it must contain this */
    itsme_key_lookup_fn *lookup;
    itsme_key_lookup_fn *relookup;   /* may be NULL: see itsme_id_token_verify_jws */
    void *lookup_baton;
    const char *const *allowed_algs;
    const apr_array_header_t *decrypt_keys; /* for JWE answers (may be NULL) */
    int require_encrypted;           /* itsme profile: plain JSON/JWS refused */
} itsme_userinfo_req_t;

/* GET with Bearer; body as JSON object, or a JWS (3 parts), or a JWE
 * (5 parts) wrapping a JWS. sub must equal expected_sub. Non-200 ->
 * ITSME_E_OP. */
apr_status_t itsme_userinfo_fetch(apr_pool_t *p, const itsme_http_opts_t *o,
                                  const itsme_userinfo_req_t *req, itsme_json_t **claims,
                                  itsme_err_t **err);

/* The parsing half (testable without network). */
apr_status_t itsme_userinfo_parse(apr_pool_t *p, const char *body, apr_size_t len,
                                  const itsme_userinfo_req_t *req, itsme_json_t **claims,
                                  itsme_err_t **err);

#endif
