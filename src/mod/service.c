/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * service.c: ItsmeServiceCode, the itsme service a login asks for (scope
 * service:<code>). Set for a server, or for a <Location>/<Directory> that
 * overrides the server's: one virtual host can run the Authentication
 * service on /app and the Identification service on /onboarding. Each
 * authorization request carries the one code of the location that started
 * it.
 *
 * check_config ("httpd -t") refuses an itsme server where a section with
 * AuthType itsme ends up with no service code: none for the server, none in
 * the section or a section around it, and no <Location> whose path is a
 * prefix of the section's (those merge onto it; <Location /> covers every
 * section) sets one. What it cannot see (.htaccess, a main-server section
 * that a virtual host without a code inherits) is caught when a login
 * starts: its page says the login is not configured, and the log says why.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define SERVICE_CODE_MAX 128
#define DIRECTIVE "ItsmeServiceCode"

/* ---- the directive and its getter ---- */

const char *itsme_cmd_service_code(cmd_parms *cmd, void *dcv, const char *arg)
{
    apr_size_t n = 0;

    for (; arg[n]; n++)
        if (!apr_isalnum(arg[n]) && arg[n] != '_' && arg[n] != '-')
            return itsme_cmd_fail(cmd, "'%s' must match [A-Za-z0-9_-]+", arg);
    if (n == 0 || n > SERVICE_CODE_MAX)
        return itsme_cmd_fail(cmd, "the service code must have 1 to %d characters",
                              SERVICE_CODE_MAX);
    if (cmd->path) /* inside a section: that section's logins */
        ((itsme_dir_cfg_t *)dcv)->service_code = arg;
    else
        itsme_cmd_srv(cmd)->service_code = arg;
    return NULL;
}

const char *itsme_service_code(const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc)
{
    return dc && dc->service_code ? dc->service_code : sc->service_code;
}

/* ItsmeScope without service:<x> tokens when the itsme profile adds the
 * location's own: a request asks for exactly one service. */
const char *itsme_service_extra_scope(apr_pool_t *p, const itsme_srv_cfg_t *sc,
                                      const itsme_dir_cfg_t *dc)
{
    char *copy, *last = NULL, *t;
    const char *out = NULL;

    if (!dc->scope || sc->profile != ITSME_PROFILE_ITSME || !strstr(dc->scope, "service:"))
        return dc->scope;
    copy = apr_pstrdup(p, dc->scope);
    for (t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last))
        if (strncmp(t, "service:", 8) != 0)
            out = out ? apr_pstrcat(p, out, " ", t, NULL) : t;
    return out;
}

/* ---- check_config ---- */

typedef struct {
    apr_pool_t *p;
    const ap_directive_t *top;   /* its first top-level node */
    const char *bad;             /* "file:line" of the first section without a code */
} walk_t;

static int is_section(const ap_directive_t *d)
{
    return d->directive[0] == '<';
}

static int sets_code(const ap_directive_t *first)
{
    const ap_directive_t *d;

    for (d = first; d; d = d->next)
        if (!strcasecmp(d->directive, DIRECTIVE))
            return 1;
    return 0;
}

static int protects(apr_pool_t *p, const ap_directive_t *first)
{
    const ap_directive_t *d;

    for (d = first; d; d = d->next) {
        const char *args = d->args;

        if (!strcasecmp(d->directive, "AuthType") && args
            && !strcasecmp(ap_getword_conf(p, &args), "itsme"))
            return 1;
    }
    return 0;
}

/* The path of a plain <Location path> (no regular expression), or NULL. */
static const char *location_path(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args, *path;
    apr_size_t n;

    if (strcasecmp(d->directive, "<Location") != 0 || !args)
        return NULL;
    path = ap_getword_conf(p, &args);
    n = strlen(path);
    if (n && path[n - 1] == '>')
        path = apr_pstrndup(p, path, n - 1);
    return path[0] == '/' ? path : NULL;
}

/* 1 when a <Location> among the nodes from `top` whose path is a prefix of
 * `path` sets a code (<Location> may not nest). */
static int prefix_in(apr_pool_t *p, const ap_directive_t *top, const char *path)
{
    const ap_directive_t *d;

    for (d = top; d; d = d->next) {
        const char *lp = location_path(p, d);
        apr_size_t n = lp ? strlen(lp) : 0;

        if (!lp || !sets_code(d->first_child))
            continue;
        if (!strcmp(lp, "/")) /* every URL */
            return 1;
        if (path && !strncmp(lp, path, n)
            && (path[n] == '\0' || path[n] == '/' || lp[n - 1] == '/'))
            return 1;
    }
    return 0;
}

/* ... in the walked server's tree, or the main server's (which every
 * virtual host inherits). */
static int prefix_sets_code(walk_t *w, const char *path)
{
    return prefix_in(w->p, w->top, path) || prefix_in(w->p, ap_conftree, path);
}

static void walk(walk_t *w, const ap_directive_t *first, int has_code)
{
    const ap_directive_t *d;

    for (d = first; d && !w->bad; d = d->next) {
        int here;

        if (!is_section(d) || !strcasecmp(d->directive, "<VirtualHost"))
            continue;
        here = has_code || sets_code(d->first_child);
        if (!here && protects(w->p, d->first_child)
            && !prefix_sets_code(w, location_path(w->p, d)))
            w->bad = apr_psprintf(w->p, "%s:%d", d->filename, d->line_num);
        walk(w, d->first_child, here);
    }
}

/* Server s, whose tree starts at top (its <VirtualHost> children, or the
 * top of the configuration for the main server). */
static int check_one(apr_pool_t *p, server_rec *s, const ap_directive_t *top)
{
    const itsme_srv_cfg_t *c = itsme_srv_cfg(s);
    walk_t w;

    if (!c->configured || c->profile != ITSME_PROFILE_ITSME || !c->provider_name)
        return OK;
    w.p = p;
    w.top = top;
    w.bad = NULL;
    walk(&w, top, c->service_code != NULL);
    if (!w.bad)
        return OK;
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "ITSME07100: AuthType itsme at %s (server %s) has no itsme service code: "
                 "set ItsmeServiceCode for the server, or in that section (or a <Location> "
                 "around it)", w.bad, s->server_hostname ? s->server_hostname : "(unnamed)");
    return HTTP_INTERNAL_SERVER_ERROR;
}

int itsme_service_check(apr_pool_t *p, server_rec *main_s)
{
    const ap_directive_t *d;

    if (!ap_conftree)
        return OK;
    if (check_one(p, main_s, ap_conftree) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    for (d = ap_conftree; d; d = d->next) {
        server_rec *s;

        if (strcasecmp(d->directive, "<VirtualHost") != 0)
            continue;
        s = itsme_cfg_vhost_of(main_s, d);
        if (s && s != main_s && check_one(p, s, d->first_child) != OK)
            return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}
