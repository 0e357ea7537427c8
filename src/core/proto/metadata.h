/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * metadata.h: OpenID Provider discovery (OIDC Discovery 1.0), validated.
 */
#ifndef ITSME_METADATA_H
#define ITSME_METADATA_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/err.h"
#include "core/cache.h"
#include "core/http_client.h"

typedef struct {
    const char *issuer;
    const char *authorization_endpoint;
    const char *token_endpoint;
    const char *userinfo_endpoint;       /* may be NULL */
    const char *jwks_uri;
    const char *end_session_endpoint;    /* may be NULL */
    /* each an array of const char*, empty when absent */
    apr_array_header_t *token_endpoint_auth_methods;
    apr_array_header_t *id_token_signing_algs;
    apr_array_header_t *code_challenge_methods;
    apr_array_header_t *scopes_supported;
    apr_array_header_t *request_object_encryption_algs;
    apr_array_header_t *request_object_encryption_encs;
    int require_signed_request_object;   /* 0/1 */
    int backchannel_logout_supported;    /* 0/1 (absent: 0) */
    int frontchannel_logout_supported;   /* 0/1 (absent: 0) */
} itsme_metadata_t;

/*
 * Parses and validates a discovery document: issuer present and (when
 * expected_issuer != NULL) equal to it byte for byte; authorization, token
 * and jwks endpoints present; the issuer and every endpoint https. Plain http
 * (to a loopback host) only when discovery_url, the URL the document came
 * from, is itself a loopback URL (a local test OP); NULL counts as remote.
 */
apr_status_t itsme_metadata_parse(apr_pool_t *p, const char *json, apr_size_t len,
                                  const char *expected_issuer, const char *discovery_url,
                                  itsme_metadata_t **out, itsme_err_t **err);

/* Discovery through the cache (TTL max_age). The document is parsed and
 * validated once per fetched body and kept with it; each call gets its own
 * copy in p. A document that fails validation (or names another issuer) is
 * invalidated so the next call refetches (at most once per min_interval). */
apr_status_t itsme_metadata_get(itsme_cache_t *cache, apr_pool_t *p,
                                const itsme_http_opts_t *o, const char *discovery_url,
                                const char *expected_issuer, apr_interval_time_t max_age,
                                apr_time_t now, itsme_metadata_t **out, itsme_err_t **err);

/* A deep copy of src in p. */
itsme_metadata_t *itsme_metadata_copy(apr_pool_t *p, const itsme_metadata_t *src);

/* 1 when list (array of const char*) contains s exactly. */
int itsme_metadata_has(const apr_array_header_t *list, const char *s);

#endif
