/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * status.c: the counters (counters.c) on mod_status' page, through its
 * optional status_hook: an "mod_auth_itsme" table on /server-status, and
 * "Itsme<Name>: <n>" lines in its ?auto output, which monitoring (Telegraf's
 * apache input, Zabbix's Apache template, scripts) reads as it reads the
 * rest. Without mod_status loaded the hook is simply never run.
 */
#include "httpd.h"
#include "http_protocol.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "mod_status.h"

#include "mod/counters.h"
#include "mod/mod.h"

typedef struct {
    itsme_ctr_e which;
    const char *key;   /* ?auto */
    const char *label; /* HTML */
} shown_t;

static const shown_t SHOWN[] = {
    { ITSME_CTR_LOGINS, "ItsmeLogins", "Logins completed" },
    { ITSME_CTR__COUNT, "ItsmeLoginFailures", "Login failures" }, /* the sum */
    { ITSME_CTR_FAIL_STATE, "ItsmeLoginFailuresState",
      "&nbsp;&nbsp;answer refused (state missing, unknown, replayed; malformed)" },
    { ITSME_CTR_FAIL_OP_ERROR, "ItsmeLoginFailuresOPError", "&nbsp;&nbsp;OP answered an error" },
    { ITSME_CTR_FAIL_TOKEN, "ItsmeLoginFailuresToken",
      "&nbsp;&nbsp;token or OP answer not valid" },
    { ITSME_CTR_FAIL_NETWORK, "ItsmeLoginFailuresNetwork", "&nbsp;&nbsp;OP not reachable" },
    { ITSME_CTR_FAIL_OTHER, "ItsmeLoginFailuresOther",
      "&nbsp;&nbsp;other (configuration, session store, server)" },
    { ITSME_CTR_SESSION_COOKIE, "ItsmeSessionsFromCookie", "Sessions opened from their cookie" },
    { ITSME_CTR_SESSION_STORE, "ItsmeSessionsFromStore", "Sessions opened from the store" },
    { ITSME_CTR_SESSION_EXPIRED, "ItsmeSessionsExpired", "Sessions expired or idle" },
    { ITSME_CTR_STEPUP, "ItsmeStepUps", "Step-ups (back to the OP for more)" },
    { ITSME_CTR_OP_FETCHES, "ItsmeOPFetches", "HTTP calls to the OP" },
    { ITSME_CTR_OP_FETCH_ERRORS, "ItsmeOPFetchErrors", "&nbsp;&nbsp;of which without answer" },
    { ITSME_CTR_OP_FETCH_USEC, "ItsmeOPFetchMicroseconds", "&nbsp;&nbsp;total time (&micro;s)" },
    { ITSME_CTR_OP_FETCH_MAX_USEC, "ItsmeOPFetchMaxMicroseconds",
      "&nbsp;&nbsp;longest (&micro;s)" },
    { ITSME_CTR_JWKS_REFETCHES, "ItsmeJWKSRefetches", "JWKS refetches (new or replaced key)" },
};

#define NSHOWN (sizeof(SHOWN) / sizeof(SHOWN[0]))

static apr_uint64_t value(const itsme_counters_t *c, const shown_t *e)
{
    return e->which == ITSME_CTR__COUNT ? itsme_counters_failures(c)
                                        : itsme_counters_get(c, e->which);
}

static void show_auto(request_rec *r, const itsme_counters_t *c)
{
    apr_size_t i;

    for (i = 0; i < NSHOWN; i++)
        ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", SHOWN[i].key, value(c, &SHOWN[i]));
}

/* The mean duration of a call to the OP, in milliseconds (text). */
static const char *mean_ms(request_rec *r, const itsme_counters_t *c)
{
    apr_uint64_t n = itsme_counters_get(c, ITSME_CTR_OP_FETCHES);
    apr_uint64_t us = itsme_counters_get(c, ITSME_CTR_OP_FETCH_USEC);

    return n ? apr_psprintf(r->pool, "%.1f", (double)us / (double)n / 1000.0) : "-";
}

static void row(request_rec *r, int notable, const char *label, const char *val)
{
    ap_rprintf(r, notable ? "%s: %s<br />\n" : "<tr><td>%s</td><td>%s</td></tr>\n", label, val);
}

static void show_html(request_rec *r, const itsme_counters_t *c, int notable)
{
    apr_size_t i;

    ap_rputs("<hr />\n<h2>mod_auth_itsme</h2>\n", r);
    if (!c) {
        ap_rputs("<p>Counters unavailable (no shared memory).</p>\n", r);
        return;
    }
    ap_rputs(notable ? "<p>\n" : "<table border=\"0\">\n", r);
    for (i = 0; i < NSHOWN; i++) {
        row(r, notable, SHOWN[i].label,
            apr_psprintf(r->pool, "%" APR_UINT64_T_FMT, value(c, &SHOWN[i])));
        if (SHOWN[i].which == ITSME_CTR_OP_FETCH_MAX_USEC)
            row(r, notable, "&nbsp;&nbsp;mean (ms)", mean_ms(r, c));
    }
    ap_rputs(notable ? "</p>\n" : "</table>\n", r);
}

static int status_hook(request_rec *r, int flags)
{
    const itsme_counters_t *c = itsme_counters();

    if (flags & AP_STATUS_SHORT) {
        if (c)
            show_auto(r, c);
    }
    else
        show_html(r, c, flags & AP_STATUS_NOTABLE);
    return OK;
}

void itsme_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
