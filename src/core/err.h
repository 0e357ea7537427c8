/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * err.h: error values for libitsme.
 *
 * Every fallible function returns an apr_status_t and, when the caller passes
 * a non-NULL itsme_err_t **, an error record allocated from the call's pool.
 * The record keeps a kind (what the httpd glue turns into a status code), a
 * message that is safe to log (never a secret, token, cookie or full national
 * number) and the error it wraps, so the cause is never lost.
 */
#ifndef ITSME_ERR_H
#define ITSME_ERR_H

#include <apr_pools.h>
#include <apr_errno.h>

typedef enum {
    ITSME_E_INTERNAL = 0, /* our own fault or the platform's (500) */
    ITSME_E_INPUT,        /* bad input from the client/browser (400) */
    ITSME_E_OP,           /* the OpenID Provider answered wrongly (502) */
    ITSME_E_NETWORK,      /* could not reach the OP, timeout (502/504) */
    ITSME_E_TOKEN,        /* a token failed validation (signature, iss, aud...) */
    ITSME_E_CRYPTO,       /* decrypt/open failed: tampered or foreign data */
    ITSME_E_EXPIRED,      /* a time-bound value is too old */
    ITSME_E_CONFIG,       /* configuration is wrong or incomplete */
    ITSME_E_UNAVAILABLE   /* a shared session store cannot be reached (503) */
} itsme_err_kind_e;

typedef struct itsme_err itsme_err_t;
struct itsme_err {
    itsme_err_kind_e kind;
    apr_status_t status;
    const char *msg;
    const itsme_err_t *cause;
};

/* Sets *err (when err != NULL) to a new record; returns status (APR_EGENERAL
 * when status is APR_SUCCESS, so the result is always a failure). */
apr_status_t itsme_err_make(apr_pool_t *p, itsme_err_t **err, itsme_err_kind_e kind,
                            apr_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Like itsme_err_make, keeping `cause` (may be NULL). The kind of the new
 * record is `kind`. */
apr_status_t itsme_err_wrap(apr_pool_t *p, itsme_err_t **err, itsme_err_kind_e kind,
                            const itsme_err_t *cause, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Text from a peer (an OP's error code, a kid) made fit for a message: at
 * most max bytes, every byte outside printable ASCII replaced by '?'.
 * NULL stays NULL. */
const char *itsme_err_printable(apr_pool_t *p, const char *s, apr_size_t max);

/* "msg: cause msg: ..." in p; "unknown error" for NULL. */
const char *itsme_err_str(apr_pool_t *p, const itsme_err_t *err);

/* The kind of the innermost cause that is not ITSME_E_INTERNAL, else the
 * record's own kind. */
itsme_err_kind_e itsme_err_root_kind(const itsme_err_t *err);

#endif
