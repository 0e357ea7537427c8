/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * log.c: the core's logging seam (see log.h). Messages are formatted in the
 * logger's pool, or in a bounded stack buffer when it has none, and handed to
 * the bound function (ap_log_rerror/ap_log_error in the httpd glue).
 */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "core/log.h"

#define ITSME_LOG_STACK_BUF 512
#define ITSME_MASK_KEEP 4
#define ITSME_MASK_MAX_STARS 16

void itsme_log(const itsme_logger_t *l, itsme_log_level_e level, const char *tag,
               const char *fmt, ...)
{
    va_list ap;
    char buf[ITSME_LOG_STACK_BUF];
    const char *msg;

    if (l == NULL || l->fn == NULL || fmt == NULL) {
        return;
    }
    va_start(ap, fmt);
    if (l->pool != NULL) {
        msg = apr_pvsprintf(l->pool, fmt, ap);
    }
    else {
        apr_vsnprintf(buf, sizeof(buf), fmt, ap);
        msg = buf;
    }
    va_end(ap);
    l->fn(l->baton, level, tag ? tag : "ITSME00000", msg);
}

const char *itsme_mask(apr_pool_t *p, const char *value)
{
    apr_size_t len, keep, stars;
    char *out;

    if (value == NULL) {
        return "(null)";
    }
    len = strlen(value);
    keep = len > ITSME_MASK_KEEP ? ITSME_MASK_KEEP : 0;
    stars = len - keep;
    if (stars > ITSME_MASK_MAX_STARS) {
        stars = ITSME_MASK_MAX_STARS;
    }
    out = apr_palloc(p, keep + stars + 1);
    memcpy(out, value, keep);
    memset(out + keep, '*', stars);
    out[keep + stars] = '\0';
    return out;
}
