/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * confwarn.c: warnings about the configuration found while httpd reads it.
 *
 * A directive's setter cannot log them itself: while the configuration is
 * read, a <VirtualHost> has no log level yet (httpd merges it from the main
 * server once the whole configuration is read), so ap_log_error against
 * that virtual host drops the line; for the main server the line goes to
 * the console (no error log is open), once for each of httpd's two passes
 * over the configuration at startup. So a warning is kept, with the server
 * it concerns, on the configuration pool (cleared with that pass's
 * configuration) and logged once logging works: by test_config under
 * "apache2 -t" (to the console, as httpd's own checks), else by
 * post_config (to that server's error log) of the passes that serve, not
 * of the preflight pass whose configuration httpd throws away at once;
 * when check_config refuses the configuration, along with its errors.
 * An .htaccess file, read at request time, is logged to straight away.
 */
#include <stdarg.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define CONFWARN_KEY "auth_itsme:confwarn"

typedef struct {
    server_rec *s;                   /* the server whose configuration has it */
    const char *msg;                 /* "ITSMEnnnnn: ..." */
} confwarn_t;

static apr_array_header_t *pending(apr_pool_t *pconf, int create)
{
    void *v = NULL;

    apr_pool_userdata_get(&v, CONFWARN_KEY, pconf);
    if (!v && create) {
        v = apr_array_make(pconf, 4, sizeof(confwarn_t));
        apr_pool_userdata_setn(v, CONFWARN_KEY, NULL, pconf);
    }
    return v;
}

void itsme_cmd_warn(cmd_parms *cmd, const char *fmt, ...)
{
    va_list ap;
    confwarn_t *w;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(cmd->pool, fmt, ap);
    va_end(ap);
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM) { /* .htaccess */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s", msg);
        return;
    }
    w = apr_array_push(pending(cmd->server->process->pconf, 1));
    w->s = cmd->server;
    w->msg = apr_pstrdup(cmd->server->process->pconf, msg);
}

void itsme_confwarn_log(apr_pool_t *pconf)
{
    apr_array_header_t *list = pending(pconf, 0);
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        const confwarn_t *w = &APR_ARRAY_IDX(list, i, confwarn_t);

        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, w->s, "%s", w->msg);
    }
    if (list)
        apr_array_clear(list);
}

void itsme_confwarn_test_config(apr_pool_t *pconf, server_rec *s)
{
    (void)s;
    itsme_confwarn_log(pconf);
}

void itsme_confwarn_post_config(apr_pool_t *pconf)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG)
        itsme_confwarn_log(pconf);
}
