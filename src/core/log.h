/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * log.h: the core's logging seam. libitsme never includes httpd.h; the httpd
 * glue binds an itsme_logger_t to ap_log_rerror/ap_log_error. Every call site
 * passes its own unique tag "ITSMEnnnnn" (never reuse a number).
 * A NULL logger (or NULL fn) discards.
 */
#ifndef ITSME_LOG_H
#define ITSME_LOG_H

#include <apr_pools.h>

typedef enum {
    ITSME_LOG_ERR = 3,
    ITSME_LOG_WARN = 4,
    ITSME_LOG_NOTICE = 5,
    ITSME_LOG_INFO = 6,
    ITSME_LOG_DEBUG = 7
} itsme_log_level_e;

typedef void itsme_log_fn(void *baton, itsme_log_level_e level, const char *tag,
                          const char *msg);

typedef struct {
    itsme_log_fn *fn;
    void *baton;
    apr_pool_t *pool; /* where formatted messages are allocated */
} itsme_logger_t;

void itsme_log(const itsme_logger_t *l, itsme_log_level_e level, const char *tag,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Masks a sensitive value for logging: keeps at most the first 4 and the
 * last 0 characters ("8104*******", length preserved up to 16 stars).
 * NULL -> "(null)". */
const char *itsme_mask(apr_pool_t *p, const char *value);

#endif
