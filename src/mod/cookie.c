/*
 * cookie.c: reading our cookies from the request (once, then stripped from
 * the Cookie header so backends never see them) and writing them back
 * (Set-Cookie in err_headers_out, so they survive redirects and error pages),
 * always one cookie each (see the budget in cookie.h).
 */
#include "httpd.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "mod/cookie.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

typedef struct {
    apr_pool_t *p;
    const char *base;
    apr_table_t *ours;               /* may be NULL: strip only */
    apr_array_header_t *others;      /* raw "name=value" pieces to keep */
    int found;
} parse_ctx_t;

/* base, base_<digits>, base_st_<anything> */
static int is_ours(const char *name, const char *base)
{
    apr_size_t n = strlen(base);
    const char *rest;

    if (strncmp(name, base, n) != 0)
        return 0;
    rest = name + n;
    if (!*rest)
        return 1;
    if (strncmp(rest, ITSME_STATE_COOKIE_INFIX, sizeof(ITSME_STATE_COOKIE_INFIX) - 1) == 0)
        return 1;
    if (*rest++ != '_' || !*rest)
        return 0;
    for (; *rest; rest++)
        if (!apr_isdigit(*rest))
            return 0;
    return 1;
}

static void parse_piece(parse_ctx_t *c, char *piece)
{
    char *eq, *name, *value;
    apr_size_t n;

    piece = itsme_trim_ows(piece);
    if (!*piece)
        return;
    eq = strchr(piece, '=');
    if (!eq) {
        APR_ARRAY_PUSH(c->others, const char *) = piece;
        return;
    }
    *eq = '\0';
    name = itsme_trim_ows(piece);
    if (!is_ours(name, c->base)) {
        *eq = '=';
        APR_ARRAY_PUSH(c->others, const char *) = piece;
        return;
    }
    c->found = 1;
    value = itsme_trim_ows(eq + 1);
    n = strlen(value);
    if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
        value[n - 1] = '\0';
        value++;
        n -= 2;
    }
    if (c->ours && n <= ITSME_COOKIE_MAX_VALUE && !apr_table_get(c->ours, name))
        apr_table_setn(c->ours, name, value);
}

static int parse_header(void *baton, const char *key, const char *val)
{
    parse_ctx_t *c = baton;
    char *copy = apr_pstrdup(c->p, val), *last = NULL, *piece;

    (void)key;
    for (piece = apr_strtok(copy, ";", &last); piece; piece = apr_strtok(NULL, ";", &last))
        parse_piece(c, piece);
    return 1;
}

/* Parses the Cookie header(s) of t into ours (when non-NULL) and removes our
 * cookies from t. */
static void parse_and_strip(apr_pool_t *p, apr_table_t *t, const char *base,
                            apr_table_t *ours)
{
    parse_ctx_t c;

    c.p = p;
    c.base = base;
    c.ours = ours;
    c.others = apr_array_make(p, 8, sizeof(const char *));
    c.found = 0;
    apr_table_do(parse_header, &c, t, "Cookie", NULL);
    if (!c.found)
        return;
    apr_table_unset(t, "Cookie");
    if (c.others->nelts > 0) {
        const char *joined = APR_ARRAY_IDX(c.others, 0, const char *);
        int i;

        for (i = 1; i < c.others->nelts; i++)
            joined = apr_pstrcat(p, joined, "; ", APR_ARRAY_IDX(c.others, i, const char *), NULL);
        apr_table_setn(t, "Cookie", joined);
    }
}

apr_table_t *itsme_cookie_jar(request_rec *r, const char *base)
{
    itsme_req_t *q = itsme_req(r);
    request_rec *ir = itsme_initial_request(r);

    if (!q->jar || strcmp(q->jar_base, base) != 0) {
        q->jar = apr_table_make(ir->pool, 4);
        q->jar_base = apr_pstrdup(ir->pool, base);
        parse_and_strip(ir->pool, ir->headers_in, base, q->jar);
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                      "ITSME01300: %d module cookie(s) read and stripped",
                      apr_table_elts(q->jar)->nelts);
    }
    if (r != ir)
        parse_and_strip(r->pool, r->headers_in, base, NULL);
    return q->jar;
}

const char *itsme_cookie_get(request_rec *r, const char *base, const char *name)
{
    return apr_table_get(itsme_cookie_jar(r, base), name);
}

typedef struct {
    apr_pool_t *p;
    const char *prefix;
    apr_size_t len;
    apr_array_header_t *out;
} names_ctx_t;

static int collect_prefixed(void *baton, const char *key, const char *val)
{
    names_ctx_t *c = baton;

    (void)val;
    if (strncmp(key, c->prefix, c->len) == 0)
        APR_ARRAY_PUSH(c->out, const char *) = key;
    return 1;
}

apr_array_header_t *itsme_cookie_state_names(request_rec *r, const char *base)
{
    names_ctx_t c;

    c.p = r->pool;
    c.prefix = apr_pstrcat(r->pool, base, ITSME_STATE_COOKIE_INFIX, NULL);
    c.len = strlen(c.prefix);
    c.out = apr_array_make(r->pool, 4, sizeof(const char *));
    apr_table_do(collect_prefixed, &c, itsme_cookie_jar(r, base), NULL);
    return c.out;
}

const char *itsme_cookie_state_name(apr_pool_t *p, const char *base, int slot)
{
    return apr_psprintf(p, "%s" ITSME_STATE_COOKIE_INFIX "%d", base, slot);
}

/* ---- response side ---- */

typedef struct {
    const char *prefix; /* "name=" of the cookie being written */
    apr_size_t len;
    apr_table_t *keep;   /* everything else, in order */
    apr_table_t *expiry; /* earlier expirations, moved to the end */
} rebuild_ctx_t;

#define EXPIRY_MARK "; Max-Age=0;"

static int sort_entry(void *baton, const char *key, const char *val)
{
    rebuild_ctx_t *c = baton;

    if (strcasecmp(key, "Set-Cookie") != 0)
        apr_table_addn(c->keep, key, val);
    else if (strncmp(val, c->prefix, c->len) == 0)
        ; /* superseded by the new value */
    else if (strstr(val, EXPIRY_MARK))
        apr_table_addn(c->expiry, key, val);
    else
        apr_table_addn(c->keep, key, val);
    return 1;
}

static int copy_entry(void *baton, const char *key, const char *val)
{
    apr_table_addn(baton, key, val);
    return 1;
}

/*
 * Adds header (a Set-Cookie for name), dropping an earlier one for the same
 * name and keeping expirations after the cookies that are set: some clients
 * (curl 7.88) otherwise resurrect an expired cookie when a later Set-Cookie
 * of the same answer adds another one.
 */
static void add_set_cookie(request_rec *r, const char *name, const char *header)
{
    int is_expiry = strstr(header, EXPIRY_MARK) != NULL;
    rebuild_ctx_t c;

    if (!apr_table_get(r->err_headers_out, "Set-Cookie")) {
        apr_table_addn(r->err_headers_out, "Set-Cookie", header);
        return;
    }
    c.prefix = apr_pstrcat(r->pool, name, "=", NULL);
    c.len = strlen(c.prefix);
    c.keep = apr_table_make(r->pool, 8);
    c.expiry = apr_table_make(r->pool, 4);
    apr_table_do(sort_entry, &c, r->err_headers_out, NULL);
    apr_table_clear(r->err_headers_out);
    apr_table_do(copy_entry, r->err_headers_out, c.keep, NULL);
    if (!is_expiry)
        apr_table_addn(r->err_headers_out, "Set-Cookie", header);
    apr_table_do(copy_entry, r->err_headers_out, c.expiry, NULL);
    if (is_expiry)
        apr_table_addn(r->err_headers_out, "Set-Cookie", header);
}

/* max_age < 0: a browser-session cookie; 0: an expiry */
static void emit(request_rec *r, const char *name, const char *value, apr_int64_t max_age)
{
    int secure = itsme_public_is_https(r); /* behind a TLS proxy too */
    const char *lifetime = "";

    if (max_age == 0)
        lifetime = "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    else if (max_age > 0)
        lifetime = apr_psprintf(r->pool, "; Max-Age=%" APR_INT64_T_FMT, max_age);
    add_set_cookie(r, name,
                   apr_psprintf(r->pool, "%s=%s; Path=/%s; HttpOnly; SameSite=Lax%s", name,
                                value, lifetime, secure ? "; Secure" : ""));
}

/* Expires name_<k> for every k > keep the request carried. */
static void expire_chunks(request_rec *r, const char *base, const char *name, int keep)
{
    apr_table_t *jar = itsme_cookie_jar(r, base);
    const apr_array_header_t *a = apr_table_elts(jar);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_size_t n = strlen(name);
    int i;

    for (i = 0; i < a->nelts; i++) {
        const char *k = e[i].key;

        if (strncmp(k, name, n) == 0 && k[n] == '_' && apr_isdigit(k[n + 1])
            && atoi(k + n + 1) > keep)
            emit(r, k, "", 0);
    }
}

apr_status_t itsme_cookie_set(request_rec *r, const char *name, const char *value,
                              apr_int64_t max_age)
{
    if (strlen(value) > ITSME_COOKIE_SINGLE_MAX)
        return APR_ENOSPC;
    emit(r, name, value, max_age == 0 ? 1 : max_age);
    return APR_SUCCESS;
}

#define NO_CACHE_SET_COOKIE "no-cache=\"Set-Cookie\""

void itsme_cookie_no_shared_cache(request_rec *r)
{
    const char *cc = apr_table_get(r->err_headers_out, "Cache-Control");

    if (cc && (ap_strcasestr(cc, "no-store") || ap_strcasestr(cc, NO_CACHE_SET_COOKIE)))
        return;
    apr_table_mergen(r->err_headers_out, "Cache-Control", NO_CACHE_SET_COOKIE);
}

void itsme_cookie_clear(request_rec *r, const char *base, const char *name)
{
    emit(r, name, "", 0);
    expire_chunks(r, base, name, 0);
}
