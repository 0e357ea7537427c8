/*
 * export.c: claims to the backend (request headers and/or environment), and
 * the scrubbing of claim headers a client may have sent to spoof them.
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

/* ---- scrubbing ---- */

typedef struct {
    const char *prefix[3];  /* normalised: lower case, '_' -> '-' */
    apr_size_t len[3];
    int n;
    apr_array_header_t *names;
} scrub_ctx_t;

static char *normalise(apr_pool_t *p, const char *name)
{
    char *s = apr_pstrdup(p, name), *c;

    for (c = s; *c; c++)
        *c = *c == '_' ? '-' : (char)apr_tolower(*c);
    return s;
}

static void add_prefix(apr_pool_t *p, scrub_ctx_t *c, const char *prefix)
{
    const char *norm = normalise(p, prefix);
    int i;

    for (i = 0; i < c->n; i++)
        if (!strcmp(c->prefix[i], norm))
            return;
    c->prefix[c->n] = norm;
    c->len[c->n++] = strlen(norm);
}

static int find_spoofed(void *baton, const char *key, const char *val)
{
    scrub_ctx_t *c = baton;
    char buf[256];
    apr_size_t i, n = strlen(key);
    int j;

    (void)val;
    for (i = 0; i < n && i < sizeof(buf) - 1; i++)
        buf[i] = key[i] == '_' ? '-' : (char)apr_tolower(key[i]);
    buf[i] = '\0';
    for (j = 0; j < c->n; j++) {
        if (i >= c->len[j] && strncmp(buf, c->prefix[j], c->len[j]) == 0) {
            APR_ARRAY_PUSH(c->names, const char *) = key;
            break;
        }
    }
    return 1;
}

void itsme_export_scrub(request_rec *r)
{
    const itsme_srv_cfg_t *sc = itsme_srv_cfg(r->server);
    const itsme_dir_cfg_t *dc = itsme_dir_cfg(r);
    scrub_ctx_t c;
    int i;

    c.n = 0;
    add_prefix(r->pool, &c, ITSME_DEFAULT_HEADER_PREFIX);
    add_prefix(r->pool, &c, itsme_cfg_header_prefix(NULL, sc));
    add_prefix(r->pool, &c, itsme_cfg_header_prefix(dc, sc));
    c.names = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(find_spoofed, &c, r->headers_in, NULL);
    for (i = 0; i < c.names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(c.names, i, const char *);

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
        int age = itsme_age_years(birthdate, r->request_time);

        if (age >= 0)
            put(&c, "age", apr_itoa(r->pool, age));
    }
}
