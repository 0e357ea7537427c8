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
} itsme_session_t;

/* JSON with short keys; claims as an object. Times in whole seconds. */
char *itsme_session_serialize(apr_pool_t *p, const itsme_session_t *s);
apr_status_t itsme_session_parse(apr_pool_t *p, const char *json, apr_size_t len,
                                 itsme_session_t **out, itsme_err_t **err);

typedef enum {
    ITSME_SESSION_OK = 0,
    ITSME_SESSION_EXPIRED,    /* past `expires` */
    ITSME_SESSION_IDLE,       /* inactivity timeout passed */
    ITSME_SESSION_FUTURE      /* created in the future (clock/forgery) */
} itsme_session_status_e;

/* inactivity 0 -> not checked. */
itsme_session_status_e itsme_session_check(const itsme_session_t *s, apr_time_t now,
                                           apr_interval_time_t inactivity);

/* 1 when last_seen should be refreshed now: inactivity is on and at least
 * max(inactivity/10, 60 s) have passed since last_seen. */
int itsme_session_touch_due(const itsme_session_t *s, apr_time_t now,
                            apr_interval_time_t inactivity);

#endif
