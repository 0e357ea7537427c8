/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * counters.h: the module's activity counters (shown by mod_status). A block
 * of 64-bit counters that lives in memory shared by every httpd child (the
 * glue, src/mod/counters.c, maps it); every update is one lock-free atomic
 * operation, so the hot path takes no lock. A NULL block counts nothing.
 */
#ifndef ITSME_COUNTERS_H
#define ITSME_COUNTERS_H

#include <apr.h>
#include <apr_time.h>
#include "core/err.h"

typedef enum {
    ITSME_CTR_LOGINS = 0,         /* logins completed (session kept) */
    ITSME_CTR_FAIL_STATE,         /* answer refused: state missing, unknown,
                                     replayed, or the answer malformed */
    ITSME_CTR_FAIL_OP_ERROR,      /* the OP answered error=... */
    ITSME_CTR_FAIL_TOKEN,         /* token/ID token/userinfo not valid */
    ITSME_CTR_FAIL_NETWORK,       /* the OP could not be reached */
    ITSME_CTR_FAIL_OTHER,         /* configuration, store, server problem */
    ITSME_CTR_SESSION_COOKIE,     /* sessions opened from their cookie */
    ITSME_CTR_SESSION_STORE,      /* sessions opened from ItsmeSessionStore */
    ITSME_CTR_SESSION_EXPIRED,    /* sessions refused: expired or idle */
    ITSME_CTR_STEPUP,             /* sessions sent back to the OP for more */
    ITSME_CTR_OP_FETCHES,         /* HTTP calls to the OP (metadata, JWKS,
                                     token, userinfo) */
    ITSME_CTR_OP_FETCH_ERRORS,    /* of which no answer (network, too large) */
    ITSME_CTR_OP_FETCH_USEC,      /* their total duration, microseconds */
    ITSME_CTR_OP_FETCH_MAX_USEC,  /* the longest one, microseconds */
    ITSME_CTR_JWKS_REFETCHES,     /* JWKS fetched again for an unknown or
                                     replaced key */
    ITSME_CTR__COUNT
} itsme_ctr_e;

/* ITSME_CTR_FAIL_STATE .. ITSME_CTR_FAIL_OTHER: the login failures. */
#define ITSME_CTR_FAIL_FIRST ITSME_CTR_FAIL_STATE
#define ITSME_CTR_FAIL_LAST ITSME_CTR_FAIL_OTHER

/* Bumped whenever a counter changes meaning or place: a block made by a
 * module of another layout (an upgraded .so after a graceful restart) is
 * then not reused. */
#define ITSME_COUNTERS_LAYOUT 1

typedef struct {
    apr_uint64_t v[ITSME_CTR__COUNT];
} itsme_counters_t;

/* c->v[which] += n (atomic; nothing when c is NULL or which out of range). */
void itsme_counters_add(itsme_counters_t *c, itsme_ctr_e which, apr_uint64_t n);

/* c->v[which] = max(c->v[which], v) (atomic). */
void itsme_counters_max(itsme_counters_t *c, itsme_ctr_e which, apr_uint64_t v);

/* The current value (atomic read); 0 for a NULL block. */
apr_uint64_t itsme_counters_get(const itsme_counters_t *c, itsme_ctr_e which);

/* Sum of the login failure counters. */
apr_uint64_t itsme_counters_failures(const itsme_counters_t *c);

/* One HTTP call to the OP that took `elapsed` (negative: 0), failed or not. */
void itsme_counters_fetch_done(itsme_counters_t *c, apr_interval_time_t elapsed, int failed);

/* The failure counter for a login that ended on an error of this kind. */
itsme_ctr_e itsme_counters_failure_cause(itsme_err_kind_e kind);

#endif
