/*
 * export.c: claims to the backend (request headers and/or environment), and
 * the scrubbing of claim headers a client may have sent to spoof them.
 *
 * The header prefix is per directory, and the configuration of a request
 * can change after check_authn exported the claims: mod_dir (DirectoryIndex)
 * and MultiViews continue with a subrequest's configuration. So the
 * header_parser removes headers under EVERY prefix configured in the server
 * (collected when the configuration is read; ItsmeHeaderPrefix is not
 * allowed in .htaccess for that reason), and a last fixup of the main
 * request clears them again and exports the session's claims under the
 * final prefix: the handler sees its own prefix's claims and nothing else.
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

/* ---- scrubbing ---- */

typedef struct {
    const char *fixed[3];                /* default, server's, this directory's */
    const apr_array_header_t *more;      /* every ItsmeHeaderPrefix of the server */
    apr_array_header_t *names;
} scrub_ctx_t;

/* key is lower case with '_' as '-'; prefix is compared the same way. */
static int has_prefix(const char *key, const char *prefix)
{
    for (; *prefix; prefix++, key++)
        if (*key != (*prefix == '_' ? '-' : (char)apr_tolower(*prefix)))
            return 0;
    return 1;
}

static int find_prefixed(void *baton, const char *key, const char *val)
{
    scrub_ctx_t *c = baton;
    char buf[256];
    apr_size_t i, n = strlen(key);
    int j, hit = 0;

    (void)val;
    for (i = 0; i < n && i < sizeof(buf) - 1; i++)
        buf[i] = key[i] == '_' ? '-' : (char)apr_tolower(key[i]);
    buf[i] = '\0';
    for (j = 0; j < 3 && !hit; j++)
        hit = has_prefix(buf, c->fixed[j]);
    for (j = 0; c->more && j < c->more->nelts && !hit; j++)
        hit = has_prefix(buf, APR_ARRAY_IDX(c->more, j, const char *));
    if (hit)
        APR_ARRAY_PUSH(c->names, const char *) = key;
    return 1;
}

/* The request headers under any claim header prefix of this server. */
static apr_array_header_t *prefixed_headers(request_rec *r)
{
    const itsme_srv_cfg_t *sc = itsme_srv_cfg(r->server);
    scrub_ctx_t c;

    c.fixed[0] = ITSME_DEFAULT_HEADER_PREFIX;
    c.fixed[1] = itsme_cfg_header_prefix(NULL, sc);
    c.fixed[2] = itsme_cfg_header_prefix(itsme_dir_cfg(r), sc);
    c.more = sc->scrub_prefixes;
    c.names = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(find_prefixed, &c, r->headers_in, NULL);
    return c.names;
}

void itsme_export_scrub(request_rec *r)
{
    apr_array_header_t *names = prefixed_headers(r);
    int i;

    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);

        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME01350: removed incoming header %s (claim header prefix)",
                      ap_escape_logitem(r->pool, name));
        apr_table_unset(r->headers_in, name);
    }
}

/* ---- export ---- */

/* given_name -> Given-Name */
static char *header_suffix(apr_pool_t *p, const char *claim)
{
    char *s = apr_pstrdup(p, claim), *c;
    int up = 1;

    for (c = s; *c; c++) {
        if (*c == '_') {
            *c = '-';
            up = 1;
        }
        else {
            *c = up ? (char)apr_toupper(*c) : (char)apr_tolower(*c);
            up = 0;
        }
    }
    return s;
}

static char *env_suffix(apr_pool_t *p, const char *claim)
{
    char *s = apr_pstrdup(p, claim), *c;

    for (c = s; *c; c++)
        *c = apr_isalnum(*c) ? (char)apr_toupper(*c) : '_';
    return s;
}

/* control characters (CR, LF, ...) become spaces */
static char *safe_value(apr_pool_t *p, const char *v)
{
    char *s = apr_pstrdup(p, v), *c;

    for (c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return s;
}

typedef struct {
    request_rec *r;
    itsme_pass_e how;
    const char *hprefix, *eprefix;
} export_ctx_t;

static void put(export_ctx_t *c, const char *claim, const char *value)
{
    apr_pool_t *p = c->r->pool;
    const char *v = safe_value(p, value);

    if (c->how & ITSME_PASS_HEADERS)
        apr_table_set(c->r->headers_in, apr_pstrcat(p, c->hprefix, header_suffix(p, claim), NULL),
                      v);
    if (c->how & ITSME_PASS_ENV)
        apr_table_set(c->r->subprocess_env, apr_pstrcat(p, c->eprefix, env_suffix(p, claim), NULL),
                      v);
}

static int export_one(void *baton, const char *key, const char *val)
{
    export_ctx_t *c = baton;

    if (val && strcmp(key, "age") != 0 && itsme_claim_is_canonical(key))
        put(c, key, val);
    return 1;
}

void itsme_export_claims(request_rec *r, const itsme_session_t *s)
{
    const itsme_srv_cfg_t *sc = itsme_srv_cfg(r->server);
    const itsme_dir_cfg_t *dc = itsme_dir_cfg(r);
    export_ctx_t c;
    const char *birthdate;

    c.r = r;
    c.how = itsme_cfg_pass_as(dc);
    if (c.how == ITSME_PASS_NONE || !s)
        return;
    c.hprefix = itsme_cfg_header_prefix(dc, sc);
    c.eprefix = itsme_cfg_env_prefix(dc);
    if (s->claims)
        apr_table_do(export_one, &c, s->claims, NULL);
    if (s->sub && (!s->claims || !apr_table_get(s->claims, "sub")))
        put(&c, "sub", s->sub);
    birthdate = s->claims ? apr_table_get(s->claims, "birthdate") : NULL;
    if (birthdate) {
        int age = itsme_export_age(r, birthdate);

        if (age >= 0)
            put(&c, "age", apr_itoa(r->pool, age));
    }
}

void itsme_export_final(request_rec *r)
{
    const char *type = ap_auth_type(r);
    const itsme_session_t *s;
    apr_array_header_t *names;
    int i;

    if (!type || strcasecmp(type, "itsme") != 0)
        return;
    names = prefixed_headers(r);
    for (i = 0; i < names->nelts; i++)
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(names, i, const char *));
    s = itsme_req(r)->session;
    if (s && s->sub && r->user && !strcmp(s->sub, r->user))
        itsme_export_claims(r, s);
    else
        s = NULL;
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  "ITSME04110: final claim headers under %s (%d cleared first, %s)",
                  itsme_cfg_header_prefix(itsme_dir_cfg(r), itsme_srv_cfg(r->server)),
                  names->nelts, s ? "session claims exported" : "no session");
}

/* The server's local date (TZ of httpd), not UTC: a Belgian turns 18 at
 * midnight in Brussels. Shifting now by the local UTC offset makes the
 * UTC calendar date of the shifted time the local date. */
int itsme_export_age(request_rec *r, const char *birthdate)
{
    apr_time_exp_t lt;
    apr_time_t now = r->request_time;

    if (apr_time_exp_lt(&lt, now) == APR_SUCCESS)
        now += apr_time_from_sec(lt.tm_gmtoff);
    return itsme_age_years(birthdate, now);
}
