/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * err.c: error records for libitsme (see err.h). Records are allocated from
 * the caller's pool and keep the error they wrap, so the cause chain survives
 * up to the httpd glue.
 */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "core/err.h"

/* How many records itsme_err_str and itsme_err_root_kind follow at most. */
#define ITSME_ERR_MAX_DEPTH 8

static apr_status_t err_fill(apr_pool_t *p, itsme_err_t **err, itsme_err_kind_e kind,
                             apr_status_t status, const itsme_err_t *cause,
                             const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static apr_status_t err_fill(apr_pool_t *p, itsme_err_t **err, itsme_err_kind_e kind,
                             apr_status_t status, const itsme_err_t *cause,
                             const char *fmt, va_list ap)
{
    itsme_err_t *e;

    if (status == APR_SUCCESS) {
        status = APR_EGENERAL;
    }
    if (err == NULL || p == NULL) {
        return status;
    }
    e = apr_pcalloc(p, sizeof(*e));
    e->kind = kind;
    e->status = status;
    e->msg = fmt ? apr_pvsprintf(p, fmt, ap) : "error";
    e->cause = cause;
    *err = e;
    return status;
}

apr_status_t itsme_err_make(apr_pool_t *p, itsme_err_t **err, itsme_err_kind_e kind,
                            apr_status_t status, const char *fmt, ...)
{
    va_list ap;
    apr_status_t rv;

    va_start(ap, fmt);
    rv = err_fill(p, err, kind, status, NULL, fmt, ap);
    va_end(ap);
    return rv;
}

apr_status_t itsme_err_wrap(apr_pool_t *p, itsme_err_t **err, itsme_err_kind_e kind,
                            const itsme_err_t *cause, const char *fmt, ...)
{
    va_list ap;
    apr_status_t rv;

    va_start(ap, fmt);
    rv = err_fill(p, err, kind, cause ? cause->status : APR_EGENERAL, cause, fmt, ap);
    va_end(ap);
    return rv;
}

const char *itsme_err_str(apr_pool_t *p, const itsme_err_t *err)
{
    const char *s;
    const itsme_err_t *c;
    int depth;

    if (err == NULL) {
        return "unknown error";
    }
    s = err->msg ? err->msg : "error";
    for (c = err->cause, depth = 1; c != NULL && depth < ITSME_ERR_MAX_DEPTH;
         c = c->cause, depth++) {
        s = apr_pstrcat(p, s, ": ", c->msg ? c->msg : "error", NULL);
    }
    if (c != NULL) {
        s = apr_pstrcat(p, s, ": ...", NULL);
    }
    return s;
}

itsme_err_kind_e itsme_err_root_kind(const itsme_err_t *err)
{
    itsme_err_kind_e kind;
    const itsme_err_t *c;
    int depth;

    if (err == NULL) {
        return ITSME_E_INTERNAL;
    }
    kind = err->kind;
    for (c = err, depth = 0; c != NULL && depth < ITSME_ERR_MAX_DEPTH;
         c = c->cause, depth++) {
        if (c->kind != ITSME_E_INTERNAL) {
            kind = c->kind;
        }
    }
    return kind;
}

const char *itsme_err_printable(apr_pool_t *p, const char *s, apr_size_t max)
{
    apr_size_t n;
    char *o;

    if (!s)
        return NULL;
    n = strlen(s);
    if (n > max)
        n = max;
    o = apr_pstrmemdup(p, s, n);
    for (apr_size_t i = 0; i < n; i++)
        if (o[i] < 0x20 || o[i] > 0x7e)
            o[i] = '?';
    return o;
}
