/*
 * cookie.h: the module's cookies on the request side (parsing the Cookie
 * header(s) once per request, stripping our cookies before any backend sees
 * them) and on the response side (Set-Cookie in err_headers_out, chunking of
 * large values).
 */
#ifndef ITSME_MOD_COOKIE_H
#define ITSME_MOD_COOKIE_H

#include "httpd.h"
#include "apr_tables.h"

#define ITSME_COOKIE_MAX_VALUE 8192  /* larger cookies are ignored */
#define ITSME_COOKIE_MAX_CHUNKS 64
#define ITSME_COOKIE_CHUNK 3800      /* values above this are chunked */
/* Largest value itsme_cookie_set_one writes: with the name and attributes a
 * single cookie stays well under the 4096 bytes browsers keep. */
#define ITSME_COOKIE_SINGLE_MAX 3500
#define ITSME_STATE_COOKIE_INFIX "_st_"

/* Our cookies (name -> value) as sent with the initial request. The first
 * call parses the Cookie header(s) and removes the cookies named `base`,
 * `base`_N and `base`_st_* from r->headers_in; later calls (also from
 * subrequests and internal redirects) return the same table. */
apr_table_t *itsme_cookie_jar(request_rec *r, const char *base);

/* The value of cookie `name`, joining chunks ("chunks:N" + name_1..name_N).
 * NULL when absent or when a chunk is missing. */
const char *itsme_cookie_get(request_rec *r, const char *base, const char *name);

/* Names of the state cookies (base_st_*) the request carried. */
apr_array_header_t *itsme_cookie_state_names(request_rec *r, const char *base);

/* "<base>_st_<first 16 chars of state>" */
const char *itsme_cookie_state_name(apr_pool_t *p, const char *base, const char *state);

/* Sets cookie `name` (chunked when long) for max_age seconds, expiring
 * stale chunks the request carried. Path=/, HttpOnly, SameSite=Lax, Secure
 * over https. */
void itsme_cookie_set(request_rec *r, const char *base, const char *name, const char *value,
                      apr_int64_t max_age);

/* Sets cookie `name` as one cookie, never chunked (login state cookies):
 * APR_SUCCESS, or APR_ENOSPC and nothing set when the value is longer than
 * ITSME_COOKIE_SINGLE_MAX. */
apr_status_t itsme_cookie_set_one(request_rec *r, const char *name, const char *value,
                                  apr_int64_t max_age);

/* For an answer the module does not own (the application's, carrying a
 * Set-Cookie of ours): merges Cache-Control: no-cache="Set-Cookie" into
 * err_headers_out, so a shared cache never stores the cookie. The
 * application's own Cache-Control is kept (it is sent as well). */
void itsme_cookie_no_shared_cache(request_rec *r);

/* Expires cookie `name` and every chunk of it the request carried. */
void itsme_cookie_clear(request_rec *r, const char *base, const char *name);

#endif
