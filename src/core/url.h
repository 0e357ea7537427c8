/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* url.h: URL encoding, query parsing and origin helpers (no httpd). */
#ifndef ITSME_URL_H
#define ITSME_URL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/err.h"

/* RFC 3986 percent-encoding of everything but unreserved characters. */
char *itsme_url_encode(apr_pool_t *p, const char *s);
/* application/x-www-form-urlencoded body from a table (order kept). */
char *itsme_url_form_encode(apr_pool_t *p, const apr_table_t *form);
/* Appends ?k=v&... (or &k=v when base already has a '?'). */
char *itsme_url_add_query(apr_pool_t *p, const char *base, const apr_table_t *params);

/* Parses a query string (without '?') into t (percent- and '+'-decoded).
 * Refuses more than max_params parameters, or a decoded value with a NUL.
 * Later duplicates are added, not merged (caller decides). Empty segments
 * ("a=1&&b=2") are skipped; max_params <= 0 means
 * ITSME_URL_DEFAULT_MAX_PARAMS. Bad input: ITSME_E_INPUT, APR_EINVAL. */
#define ITSME_URL_DEFAULT_MAX_PARAMS 64
apr_status_t itsme_url_parse_query(apr_pool_t *p, const char *query, int max_params,
                                   apr_table_t *t, itsme_err_t **err);

/* Every predicate below refuses a URL holding whitespace or a control
 * character anywhere (not only in the host). */

/* True when url is an absolute http(s) URL. */
int itsme_url_is_absolute(const char *url);
/* True when url is an absolute https URL. */
int itsme_url_is_https(const char *url);
/* True for http://127.x/, http://[::1]/ and http://localhost/ (any port). */
int itsme_url_is_loopback_http(const char *url);
/* Same hosts, http or https. */
int itsme_url_is_loopback(const char *url);
/* True when url is https, or http to a loopback host (test OPs). Used for
 * URLs the administrator configured (discovery, redirect URI). */
int itsme_url_is_secure_endpoint(const char *url);
/* For endpoints an OP names in its discovery document: https; plain http
 * (to a loopback host) only when discovery_url is itself a loopback URL, so a
 * remote OP cannot point the RP at local services. */
int itsme_url_is_op_endpoint(const char *url, const char *discovery_url);

/*
 * A safe local return target: a path that starts with a single '/', with no
 * backslash, no control characters, no "//" or "/\" at the start, and no
 * scheme; or an absolute URL whose scheme://host[:port] equals `origin`
 * exactly (case-insensitive scheme/host). Returns 1 if safe.
 */
int itsme_url_is_same_origin(const char *target, const char *origin);

#endif
