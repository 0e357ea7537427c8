/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
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

/*
 * Request side. The Cookie header is not tokenized: strstr finds the base
 * name, a hit counts only at a cookie boundary (the start, or after ';' and
 * optional white space) with a name of ours before its '=', and the output
 * copies what lies between our cookies. Other cookies pass byte for byte.
 */
typedef struct {
    apr_pool_t *p;
    const char *base;
    apr_size_t blen;
    apr_table_t *ours;               /* may be NULL: strip only */
    apr_array_header_t *kept;        /* the Cookie values after stripping */
    apr_array_header_t *sent;        /* the Cookie values as they came */
    const char *vend;                /* the end of the value being parsed */
    int found;
} parse_ctx_t;

#define IS_OWS(c) ((c) == ' ' || (c) == '\t')

/* base, base_<digits>, base_st_<anything> (name[0 .. n) starts with base) */
static int is_ours(const char *name, apr_size_t n, apr_size_t blen)
{
    const char *rest = name + blen, *end = name + n;
    apr_size_t infix = sizeof(ITSME_STATE_COOKIE_INFIX) - 1;

    if (rest == end)
        return 1;
    if ((apr_size_t)(end - rest) >= infix && !memcmp(rest, ITSME_STATE_COOKIE_INFIX, infix))
        return 1;
    if (*rest++ != '_' || rest == end)
        return 0;
    for (; rest < end; rest++)
        if (!apr_isdigit(*rest))
            return 0;
    return 1;
}

/* One of our cookies at name (a boundary) in [name, *end): its value into
 * c->ours (the first of a name within the size limit wins). 0 when the
 * piece is not ours. */
static int take_piece(parse_ctx_t *c, const char *name, const char **end)
{
    const char *e = name + c->blen, *ne, *v, *ve;

    while (*e && *e != '=' && *e != ';')
        e++;
    for (ne = e; ne > name && IS_OWS(ne[-1]); ne--)
        ;
    if (*e != '=' || !is_ours(name, (apr_size_t)(ne - name), c->blen))
        return 0;
    for (v = e + 1; IS_OWS(*v); v++)
        ;
    if ((ve = memchr(v, ';', (apr_size_t)(c->vend - v))) == NULL)
        ve = c->vend;
    *end = ve;
    while (ve > v && IS_OWS(ve[-1]))
        ve--;
    if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
        v++;
        ve--;
    }
    c->found = 1;
    if (c->ours && (apr_size_t)(ve - v) <= ITSME_COOKIE_MAX_VALUE) {
        const char *key = apr_pstrmemdup(c->p, name, (apr_size_t)(ne - name));

        /* a value that ends the header is already terminated: no copy */
        if (!apr_table_get(c->ours, key))
            apr_table_setn(c->ours, key, ve == c->vend ? v
                                         : apr_pstrmemdup(c->p, v, (apr_size_t)(ve - v)));
    }
    return 1;
}

/* The value without [from, to), from the copy position on; *out grows. */
static void cut(parse_ctx_t *c, apr_size_t vlen, char **out, char **o, const char **at,
                const char *from, const char *to)
{
    if (!*out)
        *out = *o = apr_palloc(c->p, vlen + 1);
    if (from < *at)
        from = *at;
    memcpy(*o, *at, (apr_size_t)(from - *at));
    *o += from - *at;
    *at = to;
}

/* The span to remove for a piece of ours at [name, end): up to the next
 * piece, or from the separator before it when it is the last one. */
static void strip_span(const char *val, const char *name, const char *end,
                       const char **from, const char **to)
{
    const char *f = name;

    if (*end == ';') {
        for (end++; IS_OWS(*end); end++)
            ;
        *from = f;
        *to = end;
        return;
    }
    while (f > val && IS_OWS(f[-1]))
        f--;
    if (f > val && f[-1] == ';')
        f--;
    *from = f;
    *to = end;
}

static void push(apr_pool_t *p, apr_array_header_t **a, const char *v)
{
    if (!*a)
        *a = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(*a, const char *) = v;
}

static int parse_header(void *baton, const char *key, const char *val)
{
    parse_ctx_t *c = baton;
    const char *at = val, *pos = val, *m, *b, *end, *from, *to;
    char *out = NULL, *o = NULL;
    apr_size_t vlen = strlen(val);

    (void)key;
    c->vend = val + vlen;
    push(c->p, &c->sent, val);
    while ((m = strstr(pos, c->base)) != NULL) {
        for (b = m; b > val && IS_OWS(b[-1]); b--)
            ;
        if ((b != val && b[-1] != ';') || !take_piece(c, m, &end)) {
            pos = m + 1;
            continue;
        }
        strip_span(val, m, end, &from, &to);
        cut(c, vlen, &out, &o, &at, from, to);
        pos = to > m ? to : m + 1;
    }
    if (!out) {
        push(c->p, &c->kept, val);
        return 1;
    }
    cut(c, vlen, &out, &o, &at, c->vend, c->vend);
    while (o > out && (o[-1] == ';' || IS_OWS(o[-1])))
        o--;
    *o = '\0';
    while (*out == ';' || IS_OWS(*out))
        out++;
    if (*out)
        push(c->p, &c->kept, out);
    return 1;
}

/* Reads our cookies from the Cookie header(s) of t into ours (when
 * non-NULL) and removes them from t; the Cookie values as they came when
 * there was one of ours, else NULL. */
static const apr_array_header_t *parse_and_strip(apr_pool_t *p, apr_table_t *t,
                                                 const char *base, apr_table_t *ours)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    parse_ctx_t c;
    const char *joined;
    int i;

    c.p = p;
    c.base = base;
    c.blen = strlen(base);
    c.ours = ours;
    c.kept = c.sent = NULL;
    c.found = 0;
    if (!c.blen)
        return NULL;
    for (i = 0; i < a->nelts; i++)   /* as apr_table_do(..., "Cookie"), inline */
        if (e[i].key && (e[i].key[0] | 0x20) == 'c' && !strcasecmp(e[i].key, "Cookie"))
            parse_header(&c, e[i].key, e[i].val);
    if (!c.found)
        return NULL;
    apr_table_unset(t, "Cookie");
    if (!c.kept)
        return c.sent;
    joined = APR_ARRAY_IDX(c.kept, 0, const char *);
    for (i = 1; i < c.kept->nelts; i++)
        joined = apr_pstrcat(p, joined, "; ", APR_ARRAY_IDX(c.kept, i, const char *), NULL);
    apr_table_setn(t, "Cookie", joined);
    return c.sent;
}

apr_table_t *itsme_cookie_jar(request_rec *r, const char *base)
{
    itsme_req_t *q = itsme_req(r);
    request_rec *ir = itsme_initial_request(r);

    if (!q->jar || strcmp(q->jar_base, base) != 0) {
        q->jar = apr_table_make(ir->pool, 4);
        q->jar_base = base; /* a configuration string: outlives the request */
        q->cookie_sent = parse_and_strip(ir->pool, ir->headers_in, base, q->jar);
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                      "ITSME01300: %d module cookie(s) read and stripped",
                      apr_table_elts(q->jar)->nelts);
    }
    if (r != ir)
        parse_and_strip(r->pool, r->headers_in, base, NULL);
    return q->jar;
}

/* The core's upgrade handler (REALLY_FIRST) switches an HTTP/1.1 request
 * carrying "Upgrade: h2c" to HTTP/2 and mod_http2 replays it as stream 1
 * from r->headers_in as they are then: without our cookies, that request
 * would have no session. So when the core is about to switch (its own test:
 * Upgrade and Connection: upgrade, a protocol the server selects that is
 * not the current one), the Cookie goes back as it came; this request is
 * not handed to a backend, and stream 1 strips our cookies again. */
int itsme_cookie_restore_for_upgrade(request_rec *r)
{
    itsme_req_t *q = itsme_req(r);
    const char *up, *conn, *proto;
    apr_array_header_t *offers = NULL;
    int i;

    if (!q->cookie_sent || r->main || r->connection->master
        || !(up = apr_table_get(r->headers_in, "Upgrade")) || !*up)
        return 0;
    conn = apr_table_get(r->headers_in, "Connection");
    if (!conn || !ap_find_token(r->pool, conn, "upgrade")
        || ap_parse_token_list_strict(r->pool, up, &offers, 0) || !offers || !offers->nelts)
        return 0;
    proto = ap_select_protocol(r->connection, r, NULL, offers);
    if (!proto || !strcmp(proto, ap_get_protocol(r->connection)))
        return 0;
    apr_table_unset(r->headers_in, "Cookie");
    for (i = 0; i < q->cookie_sent->nelts; i++)
        apr_table_addn(r->headers_in, "Cookie", APR_ARRAY_IDX(q->cookie_sent, i, const char *));
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME08200: switching to %s: the Cookie header as sent goes to the "
                  "replayed request", ap_escape_logitem(r->pool, proto));
    return 1;
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
