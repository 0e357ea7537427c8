/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * cookie.h: the module's cookies on the request side (parsing the Cookie
 * header(s) once per request, stripping our cookies before any backend sees
 * them) and on the response side (Set-Cookie in err_headers_out). Every
 * cookie is one cookie: values are never chunked, so what the module sets
 * stays within the budget below whatever the claims or the number of logins.
 */
#ifndef ITSME_MOD_COOKIE_H
#define ITSME_MOD_COOKIE_H

#include "httpd.h"
#include "apr_tables.h"

#define ITSME_COOKIE_MAX_VALUE 8192  /* larger cookies are ignored */
/*
 * The cookie budget. A browser sends every cookie of the host in one Cookie
 * header, which httpd limits to LimitRequestFieldSize (8190 bytes by
 * default): over it, every URL of the host answers 400 until the cookies
 * expire. The module's cookies together stay within ITSME_COOKIE_BUDGET
 * (names, values and separators), leaving about 2 KB for the application's:
 * the session cookie's value at most ITSME_SESSION_COOKIE_MAX, at most
 * ITSME_STATE_SLOTS login state cookies sharing ITSME_STATE_COOKIES_BUDGET.
 */
#define ITSME_COOKIE_BUDGET 6144
#define ITSME_SESSION_COOKIE_MAX 3800
#define ITSME_STATE_SLOTS 3
#define ITSME_STATE_COOKIES_BUDGET 2300
/* Largest value itsme_cookie_set writes: with the name and attributes one
 * cookie stays under the 4096 bytes browsers keep. */
#define ITSME_COOKIE_SINGLE_MAX ITSME_SESSION_COOKIE_MAX
#define ITSME_STATE_COOKIE_INFIX "_st_"

/* Our cookies (name -> value) as sent with the initial request. The first
 * call parses the Cookie header(s) and removes the cookies named `base`,
 * `base`_N (chunks written by versions before 0.2) and `base`_st_* from
 * r->headers_in; later calls (also from subrequests and internal
 * redirects) return the same table. */
apr_table_t *itsme_cookie_jar(request_rec *r, const char *base);

/* fixups: when the core is about to switch this request to HTTP/2 (h2c
 * Upgrade, replayed as stream 1 from r->headers_in), puts the Cookie
 * header back as it came; 1 then. */
int itsme_cookie_restore_for_upgrade(request_rec *r);

/* The value of cookie `name`, or NULL. */
const char *itsme_cookie_get(request_rec *r, const char *base, const char *name);

/* Names of the state cookies (base_st_*) the request carried. */
apr_array_header_t *itsme_cookie_state_names(request_rec *r, const char *base);

/* "<base>_st_<slot>", slot 0 .. ITSME_STATE_SLOTS - 1 */
const char *itsme_cookie_state_name(apr_pool_t *p, const char *base, int slot);

/* Sets cookie `name` as one cookie: for max_age seconds (at least 1), or
 * for the browser session when max_age < 0 (no Max-Age). Path=/, HttpOnly,
 * SameSite=Lax, Secure over https. APR_SUCCESS, or APR_ENOSPC and nothing
 * set when the value is longer than ITSME_COOKIE_SINGLE_MAX. */
apr_status_t itsme_cookie_set(request_rec *r, const char *name, const char *value,
                              apr_int64_t max_age);

/* For an answer the module does not own (the application's, carrying a
 * Set-Cookie of ours): merges Cache-Control: no-cache="Set-Cookie" into
 * err_headers_out, so a shared cache never stores the cookie. The
 * application's own Cache-Control is kept (it is sent as well). */
void itsme_cookie_no_shared_cache(request_rec *r);

/* Expires cookie `name` and every chunk of it (`name`_N) the request
 * carried. */
void itsme_cookie_clear(request_rec *r, const char *base, const char *name);

#endif
