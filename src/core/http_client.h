/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * http_client.h: outbound HTTP(S) to the OP. The only user of libcurl.
 * Every call is bounded: total timeout, connect timeout, response size; TLS
 * peer and host verification always on (CA bundle configurable); only http
 * and https; redirects are not followed; no cookies kept.
 */
#ifndef ITSME_HTTP_CLIENT_H
#define ITSME_HTTP_CLIENT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/counters.h"
#include "core/err.h"

#define ITSME_HTTP_DEFAULT_TIMEOUT_MS 5000
#define ITSME_HTTP_DEFAULT_MAX_RESPONSE (256 * 1024)

typedef struct {
    long timeout_ms;          /* total; <= 0 -> default */
    apr_size_t max_response;  /* bytes of body; 0 -> default */
    const char *ca_bundle;    /* file; NULL -> system default */
    const char *user_agent;   /* NULL -> "mod_auth_itsme/<version>" */
    itsme_counters_t *counters; /* every call counted and timed; NULL: not */
} itsme_http_opts_t;

typedef struct {
    long status;              /* HTTP status */
    const char *content_type; /* NULL when absent */
    const char *cache_control; /* Cache-Control field value(s), ", "-joined and
                                  bounded; NULL when absent */
    const char *body;         /* NUL-terminated */
    apr_size_t body_len;
} itsme_http_resp_t;

/* Once per process, before threads (post_config / test main). */
apr_status_t itsme_http_global_init(void);

/* GET url; with bearer, sends "Authorization: Bearer <bearer>". A transport
 * failure, timeout or oversized body is an error (ITSME_E_NETWORK / ITSME_E_OP);
 * any HTTP status is a success at this layer (caller checks resp->status). */
apr_status_t itsme_http_get(apr_pool_t *p, const itsme_http_opts_t *o, const char *url,
                            const char *bearer, const char *accept,
                            itsme_http_resp_t **resp, itsme_err_t **err);

/* POST application/x-www-form-urlencoded. With basic_user set, sends HTTP
 * Basic auth with user and password each form-urlencoded first (RFC 6749
 * §2.3.1). */
apr_status_t itsme_http_post_form(apr_pool_t *p, const itsme_http_opts_t *o, const char *url,
                                  const apr_table_t *form, const char *basic_user,
                                  const char *basic_pass, itsme_http_resp_t **resp,
                                  itsme_err_t **err);

#endif
