/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * logbind.c: binds libitsme's logger to httpd's error log. The core passes
 * its own "ITSMEnnnnn" tag; this is the single place that formats it.
 */
#include "httpd.h"
#include "http_log.h"

#include "core/log.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

static int ap_level(itsme_log_level_e level)
{
    switch (level) {
    case ITSME_LOG_ERR:
        return APLOG_ERR;
    case ITSME_LOG_WARN:
        return APLOG_WARNING;
    case ITSME_LOG_NOTICE:
        return APLOG_NOTICE;
    case ITSME_LOG_INFO:
        return APLOG_INFO;
    default:
        return APLOG_DEBUG;
    }
}

static void log_request(void *baton, itsme_log_level_e level, const char *tag, const char *msg)
{
    request_rec *r = baton;

    ap_log_rerror(APLOG_MARK, ap_level(level), 0, r, "%s: %s", tag ? tag : "ITSME?",
                  msg ? msg : "");
}

static void log_server(void *baton, itsme_log_level_e level, const char *tag, const char *msg)
{
    server_rec *s = baton;

    ap_log_error(APLOG_MARK, ap_level(level), 0, s, "%s: %s", tag ? tag : "ITSME?",
                 msg ? msg : "");
}

void itsme_logger_request(itsme_logger_t *l, request_rec *r)
{
    l->fn = log_request;
    l->baton = r;
    l->pool = r->pool;
}

void itsme_logger_server(itsme_logger_t *l, server_rec *s, apr_pool_t *p)
{
    l->fn = log_server;
    l->baton = s;
    l->pool = p;
}
