/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * acr.c: authentication context (ItsmeACRValues): what a login asks for,
 * which acr a session records, and whether a session's acr satisfies what a
 * location asks (step-up otherwise).
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"

#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

/* ItsmeACRValues, with the itsme shorthands basic/advanced expanded. */
const char *itsme_acr_values(request_rec *r, const itsme_srv_cfg_t *sc,
                              const itsme_dir_cfg_t *dc)
{
    char *copy, *last = NULL, *tok;
    const char *out = NULL;

    if (!dc->acr_values || sc->profile != ITSME_PROFILE_ITSME)
        return dc->acr_values;
    copy = apr_pstrdup(r->pool, dc->acr_values);
    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
        const char *v = tok;

        if (!strcasecmp(tok, "basic"))
            v = ITSME_ACR_BASIC;
        else if (!strcasecmp(tok, "advanced"))
            v = ITSME_ACR_ADVANCED;
        out = out ? apr_pstrcat(r->pool, out, " ", v, NULL) : v;
    }
    return out;
}

/* The acr values a session may carry to satisfy `asked` (NULL-terminated):
 * for itsme keys.c's ordering (asking basic admits advanced), otherwise the
 * values asked. NULL when nothing is asked. */
static const char *const *acr_accepted(apr_pool_t *p, const itsme_srv_cfg_t *sc,
                                       const char *asked)
{
    const char *const *ok = itsme_keys_acr_allowed(p, sc, asked);
    apr_array_header_t *a;
    char *copy, *last = NULL, *t;

    if (ok || !asked || !*asked)
        return ok;
    a = apr_array_make(p, 4, sizeof(const char *));
    copy = apr_pstrdup(p, asked);
    for (t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last))
        APR_ARRAY_PUSH(a, const char *) = t;
    APR_ARRAY_PUSH(a, const char *) = NULL;
    return (const char *const *)a->elts;
}

static int acr_listed(const char *const *ok, const char *v)
{
    for (; *ok; ok++)
        if (!strcasecmp(*ok, v))
            return 1;
    return 0;
}

/* 1 when a session made with `have` satisfies `asked`: nothing asked, or
 * every value of have accepted (several when a login asked several and the
 * ID token named none: the weakest of them may have been applied). */
int itsme_acr_satisfies(apr_pool_t *p, const itsme_srv_cfg_t *sc, const char *asked,
                         const char *have)
{
    const char *const *ok = acr_accepted(p, sc, asked);
    char *copy, *last = NULL, *t;
    int n = 0;

    if (!ok)
        return 1;
    if (!have)
        return 0;
    copy = apr_pstrdup(p, have);
    for (t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last), n++)
        if (!acr_listed(ok, t))
            return 0;
    return n > 0;
}

const char *itsme_session_acr(request_rec *r, const itsme_srv_cfg_t *sc, const char *asked,
                              const char *token_acr)
{
    if (token_acr && *token_acr && itsme_acr_satisfies(r->pool, sc, asked, token_acr))
        return token_acr;
    if (token_acr && *token_acr)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME04000: the ID token's acr %s is not one asked (%s): the session "
                      "records the values asked",
                      ap_escape_logitem(r->pool, apr_pstrndup(r->pool, token_acr, 128)),
                      ap_escape_logitem(r->pool, asked));
    return asked;
}

