/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * session.h: the logged-in session, as it is kept inside the sealed cookie
 * (or a server-side store). Times are inside the seal, so they cannot be
 * stretched by the client.
 */
#ifndef ITSME_SESSION_H
#define ITSME_SESSION_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "core/err.h"

typedef struct {
    const char *sub;
    const char *issuer;
    apr_time_t created;       /* login time */
    apr_time_t expires;       /* absolute end (ItsmeSessionMaxAge) */
    apr_time_t last_seen;     /* for the inactivity timeout; refreshed at most
                                 once per interval */
    apr_table_t *claims;      /* canonical name -> text */
    const char *id_token;     /* for id_token_hint at logout; may be NULL */
    const char *acr;          /* may be NULL */
    const char *sid;          /* the OP's session id (ID token "sid"), for
                                 OP-initiated logout; may be NULL */
    const char *not_given;    /* canonical claims a login of this session asked
                                 for and the OP did not give (space separated;
                                 "claim@service" when an itsme service was
                                 asked): not asked again of that service
                                 (claim step-up); may be NULL */
} itsme_session_t;

/* A session holds at most this many claims (serialize and parse refuse more). */
#define ITSME_SESSION_MAX_CLAIMS 256

/* JSON with short keys; claims as an object. Times in whole seconds.
 * NULL when s has no sub, a negative time or more than
 * ITSME_SESSION_MAX_CLAIMS claims. Parse is strict: v must be 1, sub a
 * non-empty string, c/e/l non-negative integers, claims an object of strings,
 * no unknown fields; errors are ITSME_E_INPUT. */
char *itsme_session_serialize(apr_pool_t *p, const itsme_session_t *s);
apr_status_t itsme_session_parse(apr_pool_t *p, const char *json, apr_size_t len,
                                 itsme_session_t **out, itsme_err_t **err);

/* The two halves of itsme_session_parse, exposed so that tests can compare
 * them. The fast path reads only the exact form serialize writes (compact,
 * known keys once each, no \u escapes, valid UTF-8, no claim name twice even
 * in another case): 1 and *out set, else 0 (and the general parser, which
 * takes any JSON, decides). Whenever the fast path says 1, the general
 * parser gives the same session. */
int itsme_session_parse_fast(apr_pool_t *p, const char *json, apr_size_t len,
                             itsme_session_t **out);
apr_status_t itsme_session_parse_general(apr_pool_t *p, const char *json, apr_size_t len,
                                         itsme_session_t **out, itsme_err_t **err);

typedef enum {
    ITSME_SESSION_OK = 0,
    ITSME_SESSION_EXPIRED,    /* past `expires` */
    ITSME_SESSION_IDLE,       /* inactivity timeout passed */
    ITSME_SESSION_FUTURE      /* created in the future (clock/forgery) */
} itsme_session_status_e;

/* Clock tolerance for created/last_seen ahead of now (servers in a cluster). */
#define ITSME_SESSION_CLOCK_SKEW apr_time_from_sec(60)

/* Compared in whole seconds, first match wins:
 * FUTURE  when created or last_seen > now + ITSME_SESSION_CLOCK_SKEW;
 * EXPIRED when now >= expires;
 * IDLE    when inactivity > 0 and now - last_seen >= inactivity;
 * else OK. inactivity 0 -> not checked. */
itsme_session_status_e itsme_session_check(const itsme_session_t *s, apr_time_t now,
                                           apr_interval_time_t inactivity);

/* 1 when last_seen should be refreshed now: inactivity is on and at least
 * min(max(inactivity/10, 60 s), inactivity/2) have passed since last_seen
 * (the half keeps short timeouts sliding for an active user). */
int itsme_session_touch_due(const itsme_session_t *s, apr_time_t now,
                            apr_interval_time_t inactivity);

#endif
