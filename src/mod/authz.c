/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * authz.c: "Require itsme-claim <rule>" and the answer to a user it denies.
 *
 * One rule per Require line, parsed once when the configuration is read:
 *   claim                present and not empty
 *   claim:v1[,v2...]     equal to one of the values (exact, case-sensitive)
 *   claim~regex          the regular expression matches (unanchored)
 *   age>=N  age>N  age<=N  age<N
 *                        whole years from birthdate on the request date,
 *                        in the server's local time zone (export.c)
 * A rule's claim (birthdate for age) is added to what a login in its
 * section asks for, so the session has it when the login starts there.
 * Several rules combine with <RequireAll>/<RequireAny> (and "Require not").
 * Claims come from the session validated by check_authn for this user; a
 * request without a user gets AUTHZ_DENIED_NO_USER, so the login runs first.
 *
 * mod_authz_core answers a denied, authenticated user with 401 and calls
 * note_auth_failure. For AuthType itsme that becomes a 403 page, or, where
 * ItsmeUnauthAction is 401 (and for a caller passed on anonymously), a 401
 * with WWW-Authenticate. httpd has no hook between the authz decision and
 * the status, so the 401 is turned into 403 in insert_error_filter, which
 * ap_send_error_response runs before it writes the status line.
 *
 * Where httpd has an ErrorDocument for the final status (403, or 401), the
 * site's page answers (ITSME_ERROR access_denied / claim_denied /
 * login_required in the environment): ap_die looks up the 401 one, so for
 * a 403 the request's 401 response is pointed at the 403 document, and a
 * local document's request gets its status back to 403 in insert_filter.
 */
#include <stdlib.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "ap_regex.h"
#include "mod_auth.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "core/log.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define RULE_MAX_CLAIM 64
#define RULE_MAX_YEARS 200
#define NOTE_FORBIDDEN "itsme-authz-forbidden"
#define NOTE_CLAIM_DENIED "itsme-authz-claim-denied"
#define RULE_GRAMMAR "claim, claim:v1[,v2...], claim~regex, age>=N, age>N, age<=N or age<N"

typedef enum { RULE_PRESENT, RULE_ONE_OF, RULE_REGEX, RULE_AGE } rule_kind_e;
typedef enum { AGE_GE, AGE_GT, AGE_LE, AGE_LT } age_op_e;

typedef struct {
    rule_kind_e kind;
    const char *claim;
    const char *shown;              /* for the log; values of sensitive claims masked */
    apr_array_header_t *values;     /* RULE_ONE_OF: const char* */
    ap_regex_t *re;                 /* RULE_REGEX */
    age_op_e op;                    /* RULE_AGE */
    int years;
} claim_rule_t;

/* ---- parsing (configuration time) ---- */

static int sensitive(const char *claim)
{
    return !strcmp(claim, "nin") || !strcmp(claim, "eid_number");
}

static apr_status_t regex_cleanup(void *re)
{
    ap_regfree(re);
    return APR_SUCCESS;
}

static const char *parse_values(apr_pool_t *p, claim_rule_t *rule, const char *list)
{
    char *copy = apr_pstrdup(p, list), *last = NULL, *v;

    rule->kind = RULE_ONE_OF;
    rule->values = apr_array_make(p, 2, sizeof(const char *));
    if (!*copy || copy[strlen(copy) - 1] == ',' || *copy == ',' || strstr(copy, ",,"))
        return "empty value in the list after ':'";
    for (v = apr_strtok(copy, ",", &last); v; v = apr_strtok(NULL, ",", &last)) {
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v)
            return "empty value in the list after ':'";
        APR_ARRAY_PUSH(rule->values, const char *) = v;
    }
    return NULL;
}

static const char *parse_regex(apr_pool_t *p, claim_rule_t *rule, const char *pattern)
{
    char buf[160];
    int rc;

    rule->kind = RULE_REGEX;
    if (!*pattern)
        return "empty regular expression after '~'";
    rule->re = apr_pcalloc(p, sizeof(*rule->re));
    rc = ap_regcomp(rule->re, pattern, AP_REG_EXTENDED | AP_REG_NOSUB);
    if (rc != 0) {
        ap_regerror(rc, rule->re, buf, sizeof(buf));
        return apr_pstrcat(p, "bad regular expression: ", buf, NULL);
    }
    apr_pool_cleanup_register(p, rule->re, regex_cleanup, apr_pool_cleanup_null);
    return NULL;
}

static const char *parse_age(claim_rule_t *rule, const char *op)
{
    const char *n;
    char *end = NULL;
    long v;

    rule->kind = RULE_AGE;
    if (strcmp(rule->claim, "age") != 0)
        return "only age can be compared with <, <=, > or >=";
    if (op[0] == '>')
        rule->op = op[1] == '=' ? AGE_GE : AGE_GT;
    else
        rule->op = op[1] == '=' ? AGE_LE : AGE_LT;
    n = op + (op[1] == '=' ? 2 : 1);
    if (!apr_isdigit(*n))
        return "the age must be a whole number of years";
    v = strtol(n, &end, 10);
    if (*end || v > RULE_MAX_YEARS)
        return "the age must be a whole number of years (0-200)";
    rule->years = (int)v;
    return NULL;
}

static const char *shown_rule(apr_pool_t *p, const claim_rule_t *rule, const char *text)
{
    if (rule->kind == RULE_PRESENT || !sensitive(rule->claim))
        return text;
    return apr_pstrcat(p, rule->claim, rule->kind == RULE_ONE_OF ? ":" : "~",
                       itsme_mask(p, text + strlen(rule->claim) + 1), NULL);
}

/* NULL and *out, or what is wrong (without the rule's values). */
static const char *rule_parse(apr_pool_t *p, const char *text, claim_rule_t **out)
{
    claim_rule_t *rule = apr_pcalloc(p, sizeof(*rule));
    apr_size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_");
    const char *rest = text + n, *err = NULL;

    if (n == 0)
        return apr_pstrcat(p, "a rule starts with a lower-case claim name; use ", RULE_GRAMMAR,
                           NULL);
    if (n > RULE_MAX_CLAIM)
        return "the claim name is longer than 64 characters";
    rule->claim = apr_pstrmemdup(p, text, n);
    if (*rest == '\0')
        rule->kind = RULE_PRESENT;
    else if (*rest == ':')
        err = parse_values(p, rule, rest + 1);
    else if (*rest == '~')
        err = parse_regex(p, rule, rest + 1);
    else if (*rest == '<' || *rest == '>')
        err = parse_age(rule, rest);
    else
        err = apr_psprintf(p, "unknown operator after '%s'; use %s", rule->claim, RULE_GRAMMAR);
    if (err)
        return apr_pstrcat(p, "rule on '", rule->claim, "': ", err, NULL);
    rule->shown = shown_rule(p, rule, text);
    *out = rule;
    return NULL;
}

/* The login of the section this rule is in asks for the rule's claim
 * (birthdate for age): mod_authz_core parses the rule with cmd->context
 * being that section's configuration, <RequireAll>/<RequireAny> included. */
static void want_rule_claim(cmd_parms *cmd, const claim_rule_t *rule)
{
    const char *claim = strcmp(rule->claim, "age") ? rule->claim : "birthdate";
    itsme_dir_cfg_t *d;

    if (!cmd->context || !itsme_claim_is_canonical(claim))
        return;
    d = ap_get_module_config(cmd->context, &auth_itsme_module);
    if (!d) {
        d = itsme_create_dir_cfg(cmd->pool, cmd->path);
        ap_set_module_config(cmd->context, &auth_itsme_module, d);
    }
    itsme_cfg_want_claim(cmd, d, claim, 1);
}

static const char *claim_parse_line(cmd_parms *cmd, const char *line, const void **parsed)
{
    const char *rest = line, *word, *err;
    claim_rule_t *rule = NULL;

    word = ap_getword_conf(cmd->pool, &rest);
    if (!*word)
        return apr_pstrcat(cmd->pool, "Require itsme-claim: a rule is missing; use ",
                           RULE_GRAMMAR, NULL);
    if (*ap_getword_conf(cmd->temp_pool, &rest))
        return "Require itsme-claim takes one rule; combine several with <RequireAll> "
               "or <RequireAny> (quote a rule that contains spaces)";
    err = rule_parse(cmd->pool, word, &rule);
    if (err)
        return apr_pstrcat(cmd->pool, "Require itsme-claim: ", err, NULL);
    if (!itsme_claim_is_canonical(rule->claim))
        itsme_cmd_warn(cmd,
                       "ITSME03000: %s:%d: Require itsme-claim: '%s' is not a canonical claim "
                       "name; only a pass-through claim of that name can match",
                       cmd->directive ? cmd->directive->filename : "?",
                       cmd->directive ? cmd->directive->line_num : 0, rule->claim);
    want_rule_claim(cmd, rule);
    *parsed = rule;
    return NULL;
}

/* ---- evaluation (request time) ---- */

/* The session of this request's user (claims of anyone else never count). */
static const itsme_session_t *session_of(request_rec *r)
{
    const itsme_session_t *s = itsme_req(r)->session;

    if (!s || !s->sub || !r->user || strcmp(s->sub, r->user) != 0)
        return NULL;
    return s;
}

static const char *claim_value(request_rec *r, const itsme_session_t *s, const char *claim)
{
    const char *v = s->claims ? apr_table_get(s->claims, claim) : NULL;

    if (!strcmp(claim, "age")) {
        const char *bd = s->claims ? apr_table_get(s->claims, "birthdate") : NULL;
        int age = bd ? itsme_export_age(r, bd) : -1;

        return age >= 0 ? apr_itoa(r->pool, age) : NULL;
    }
    if (!v && !strcmp(claim, "sub"))
        v = s->sub;
    return v;
}

static int age_holds(const claim_rule_t *rule, int age)
{
    switch (rule->op) {
    case AGE_GE:
        return age >= rule->years;
    case AGE_GT:
        return age > rule->years;
    case AGE_LE:
        return age <= rule->years;
    default:
        return age < rule->years;
    }
}

static int rule_holds(request_rec *r, const claim_rule_t *rule, const itsme_session_t *s)
{
    const char *v = claim_value(r, s, rule->claim);
    int i;

    if (!v || !*v)
        return 0;
    switch (rule->kind) {
    case RULE_PRESENT:
        return 1;
    case RULE_ONE_OF:
        for (i = 0; i < rule->values->nelts; i++)
            if (!strcmp(v, APR_ARRAY_IDX(rule->values, i, const char *)))
                return 1;
        return 0;
    case RULE_REGEX:
        return ap_regexec(rule->re, v, 0, NULL, 0) == 0;
    default:
        return age_holds(rule, atoi(v));
    }
}

static authz_status claim_check(request_rec *r, const char *line, const void *parsed)
{
    const claim_rule_t *rule = parsed;
    const itsme_session_t *s;

    (void)line;
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    s = session_of(r);
    if (!rule || !s) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME03001: Require itsme-claim %s: denied, no itsme session for %s",
                      rule ? rule->shown : "?", ap_escape_logitem(r->pool, r->uri));
        apr_table_setn(r->notes, NOTE_CLAIM_DENIED, "1");
        return AUTHZ_DENIED;
    }
    if (!claim_value(r, s, rule->claim))
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ITSME03006: Require itsme-claim %s: the session has no %s; the OP "
                      "did not give it when a login of this session asked for it (no "
                      "second step-up)", rule->shown,
                      strcmp(rule->claim, "age") ? rule->claim : "birthdate");
    if (rule_holds(r, rule, s)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME03002: Require itsme-claim %s: granted", rule->shown);
        return AUTHZ_GRANTED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME03003: Require itsme-claim %s: not met for %s", rule->shown,
                  ap_escape_logitem(r->pool, r->uri));
    apr_table_setn(r->notes, NOTE_CLAIM_DENIED, "1");
    return AUTHZ_DENIED;
}

/* ---- the answer to a denied user ---- */

/* The body of the error response ap_die is about to send for 401, which
 * goes out as `status`: the site's ErrorDocument for status, else ours. */
static void error_body(request_rec *r, int status, itsme_page_e page)
{
    const char *doc = itsme_page_error_document(r, status);

    itsme_no_store(r);
    itsme_page_note(r, page);
    if (doc) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME07001: authorization failure %d (%s): the ErrorDocument answers",
                      status, itsme_page_code(page));
        if (status == HTTP_UNAUTHORIZED)
            return;
        ap_custom_response(r, HTTP_UNAUTHORIZED, doc[0] == '"' ? doc + 1 : doc);
        return;
    }
    itsme_page_error_body(r, HTTP_UNAUTHORIZED, page);
}

static itsme_page_e denial_page(request_rec *r)
{
    return apr_table_get(r->notes, NOTE_CLAIM_DENIED) ? ITSME_PAGE_CLAIM_DENIED
                                                      : ITSME_PAGE_ACCESS_DENIED;
}

/* mod_authz_core is about to answer 401 (AuthType itsme). */
static int note_failure(request_rec *r, const char *type)
{
    int authenticated;

    if (!type || strcasecmp(type, "itsme") != 0)
        return DECLINED;
    authenticated = session_of(r) != NULL;
    if (authenticated && itsme_cfg_unauth(itsme_dir_cfg(r)) != ITSME_UNAUTH_401) {
        apr_table_setn(r->notes, NOTE_FORBIDDEN, "1");
        error_body(r, HTTP_FORBIDDEN, denial_page(r));
        return OK;
    }
    itsme_www_authenticate(r, authenticated ? "insufficient_claims" : NULL);
    error_body(r, HTTP_UNAUTHORIZED,
               authenticated ? denial_page(r) : ITSME_PAGE_LOGIN_REQUIRED);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ITSME03004: authorization failure: 401");
    return OK;
}

/* The request of a local ErrorDocument standing in for our 403: its status
 * is the 401 ap_die saw; the person is told 403. */
static void forbidden_redirect(request_rec *r)
{
    const request_rec *prev = r->prev;

    if (!prev || r->main || r->status != HTTP_UNAUTHORIZED
        || prev->status != HTTP_UNAUTHORIZED || !apr_table_get(prev->notes, NOTE_FORBIDDEN))
        return;
    r->status = HTTP_FORBIDDEN;
    apr_table_setn(r->subprocess_env, "REDIRECT_STATUS", "403");
}

/* Runs inside ap_send_error_response, before the status line is written. */
static void forbidden_status(request_rec *r)
{
    if (r->status != HTTP_UNAUTHORIZED || !apr_table_get(r->notes, NOTE_FORBIDDEN))
        return;
    r->status = HTTP_FORBIDDEN;
    r->status_line = NULL;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME03005: authenticated user denied by authorization: 403");
}

static const authz_provider claim_provider = {
    &claim_check,
    &claim_parse_line,
};

void itsme_authz_register_hooks(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "itsme-claim", AUTHZ_PROVIDER_VERSION,
                              &claim_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(note_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(forbidden_status, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(forbidden_redirect, NULL, NULL, APR_HOOK_MIDDLE);
}
