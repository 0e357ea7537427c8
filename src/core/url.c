/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * url.c: URL encoding, query parsing and origin checks (see url.h).
 *
 * Encoding: everything but the RFC 3986 unreserved characters
 * (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex). Form bodies use the
 * same rule, so a space is sent as %20, never '+'; every form decoder accepts
 * that. Decoding accepts both '+' and %20 for a space.
 *
 * Absolute URLs are split by a small strict parser of our own: only http and
 * https, no userinfo, a host of unreserved characters or a bracketed IPv6
 * literal, an optional decimal port. Anything odd is refused, never guessed.
 */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "core/url.h"

#define URL_HEX "0123456789ABCDEF"

typedef struct {
    int https;             /* 1 for https, 0 for http */
    const char *host;      /* not NUL-terminated */
    apr_size_t host_len;
    unsigned int port;     /* effective port (default applied) */
    const char *rest;      /* path, query or fragment after the authority */
} url_parts_t;

static int url_unreserved(unsigned char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *itsme_url_encode(apr_pool_t *p, const char *s)
{
    const unsigned char *in = (const unsigned char *)(s ? s : "");
    apr_size_t n = 0, i;
    char *out, *o;

    for (i = 0; in[i]; i++) {
        n += url_unreserved(in[i]) ? 1 : 3;
    }
    out = o = apr_palloc(p, n + 1);
    for (i = 0; in[i]; i++) {
        if (url_unreserved(in[i])) {
            *o++ = (char)in[i];
        }
        else {
            *o++ = '%';
            *o++ = URL_HEX[in[i] >> 4];
            *o++ = URL_HEX[in[i] & 0x0f];
        }
    }
    *o = '\0';
    return out;
}

char *itsme_url_form_encode(apr_pool_t *p, const apr_table_t *form)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    apr_array_header_t *parts;
    int i;

    if (form == NULL) {
        return apr_pstrdup(p, "");
    }
    arr = apr_table_elts(form);
    e = (const apr_table_entry_t *)arr->elts;
    parts = apr_array_make(p, arr->nelts > 0 ? arr->nelts : 1, sizeof(const char *));
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key != NULL) {
            APR_ARRAY_PUSH(parts, const char *) =
                apr_pstrcat(p, itsme_url_encode(p, e[i].key), "=",
                            itsme_url_encode(p, e[i].val), NULL);
        }
    }
    return apr_array_pstrcat(p, parts, '&');
}

char *itsme_url_add_query(apr_pool_t *p, const char *base, const apr_table_t *params)
{
    const char *q = itsme_url_form_encode(p, params);
    const char *hash, *sep;
    apr_size_t blen;

    base = base ? base : "";
    if (*q == '\0') {
        return apr_pstrdup(p, base);
    }
    hash = strchr(base, '#');
    blen = hash ? (apr_size_t)(hash - base) : strlen(base);
    if (memchr(base, '?', blen) == NULL) {
        sep = "?";
    }
    else if (blen > 0 && (base[blen - 1] == '?' || base[blen - 1] == '&')) {
        sep = "";
    }
    else {
        sep = "&";
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, base, blen), sep, q, hash ? hash : "", NULL);
}

static int url_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes n bytes of s ('+' and %XX); NULL on a bad escape or a NUL. */
static char *url_decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        }
        else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n) {
                return NULL;
            }
            hi = url_hexval((unsigned char)s[i + 1]);
            lo = url_hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            c = (unsigned char)((hi << 4) | lo);
            i += 2;
        }
        if (c == '\0') {
            return NULL;
        }
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

/* Adds one "k=v" (or "k") segment of n bytes to t. */
static apr_status_t url_query_pair(apr_pool_t *p, const char *seg, apr_size_t n,
                                   apr_table_t *t, itsme_err_t **err)
{
    const char *eq = memchr(seg, '=', n);
    apr_size_t klen = eq ? (apr_size_t)(eq - seg) : n;
    char *k = url_decode(p, seg, klen);
    char *v = eq ? url_decode(p, eq + 1, n - klen - 1) : "";

    if (k == NULL || v == NULL) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "query: bad percent-escape or NUL in a parameter");
    }
    apr_table_addn(t, k, v);
    return APR_SUCCESS;
}

apr_status_t itsme_url_parse_query(apr_pool_t *p, const char *query, int max_params,
                                   apr_table_t *t, itsme_err_t **err)
{
    const char *s = query, *amp;
    apr_size_t n;
    int count = 0;
    apr_status_t rv;

    if (t == NULL) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "query: no table");
    }
    if (max_params <= 0) {
        max_params = ITSME_URL_DEFAULT_MAX_PARAMS;
    }
    while (s != NULL && *s != '\0') {
        amp = strchr(s, '&');
        n = amp ? (apr_size_t)(amp - s) : strlen(s);
        if (n > 0) {
            if (++count > max_params) {
                return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                                      "query: more than %d parameters", max_params);
            }
            rv = url_query_pair(p, s, n, t, err);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        s = amp ? amp + 1 : NULL;
    }
    return APR_SUCCESS;
}

/* Host of a bracketed IPv6 literal: hex digits, ':' and '.' only. */
static int url_ipv6_ok(const char *h, apr_size_t n)
{
    apr_size_t i;

    if (n < 4 || h[0] != '[' || h[n - 1] != ']') {
        return 0;
    }
    for (i = 1; i + 1 < n; i++) {
        if (!apr_isxdigit(h[i]) && h[i] != ':' && h[i] != '.') {
            return 0;
        }
    }
    return 1;
}

static int url_regname_ok(const char *h, apr_size_t n)
{
    apr_size_t i;

    if (n == 0 || n > 253) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isalnum(h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_') {
            return 0;
        }
    }
    return 1;
}

/* ":digits" (1-5 digits, 1..65535) of n bytes; 0 when invalid. */
static unsigned int url_port(const char *s, apr_size_t n)
{
    unsigned int v = 0;
    apr_size_t i;

    if (n < 2 || n > 6 || s[0] != ':') {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
        v = v * 10 + (unsigned int)(s[i] - '0');
    }
    return v <= 65535 ? v : 0;
}

/* Splits the authority (a bytes at a) into host and port. */
static int url_authority(const char *a, apr_size_t n, url_parts_t *u)
{
    const char *colon;
    apr_size_t hlen;

    if (a[0] == '[') {
        const char *rb = memchr(a, ']', n);
        if (rb == NULL) {
            return 0;
        }
        hlen = (apr_size_t)(rb - a) + 1;
        if (!url_ipv6_ok(a, hlen)) {
            return 0;
        }
    }
    else {
        colon = memchr(a, ':', n);
        hlen = colon ? (apr_size_t)(colon - a) : n;
        if (!url_regname_ok(a, hlen)) {
            return 0;
        }
    }
    u->host = a;
    u->host_len = hlen;
    if (hlen < n) {
        u->port = url_port(a + hlen, n - hlen);
        return u->port != 0;
    }
    u->port = u->https ? 443 : 80;
    return 1;
}

/* No whitespace or control byte (below 0x21, or DEL) anywhere. */
static int url_no_ctl(const char *s)
{
    const unsigned char *c;

    for (c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x21 || *c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Parses an absolute http(s) URL; 1 on success. Whitespace or a control
 * character anywhere (path and query included) makes it invalid. */
static int url_split(const char *url, url_parts_t *u)
{
    const char *a;
    apr_size_t n;

    if (url == NULL || !url_no_ctl(url)) {
        return 0;
    }
    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = 1;
        a = url + 8;
    }
    else if (strncasecmp(url, "http://", 7) == 0) {
        u->https = 0;
        a = url + 7;
    }
    else {
        return 0;
    }
    n = strcspn(a, "/?#");
    if (n == 0) {
        return 0;
    }
    u->rest = a + n;
    return url_authority(a, n, u);
}

int itsme_url_is_absolute(const char *url)
{
    url_parts_t u;

    return url_split(url, &u);
}

/* "127.a.b.c" with four decimal parts of at most 255. */
static int url_ipv4_loopback(const char *h, apr_size_t n)
{
    apr_size_t i;
    int parts = 1, digits = 0, val = 0;

    if (n < 9 || strncmp(h, "127.", 4) != 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (h[i] == '.') {
            if (digits == 0) {
                return 0;
            }
            parts++;
            digits = val = 0;
        }
        else if (apr_isdigit(h[i]) && digits < 3) {
            val = val * 10 + (h[i] - '0');
            digits++;
            if (val > 255) {
                return 0;
            }
        }
        else {
            return 0;
        }
    }
    return parts == 4 && digits > 0;
}

/* localhost, [::1] or 127.x.y.z */
static int url_host_loopback(const url_parts_t *u)
{
    if (u->host_len == 9 && strncasecmp(u->host, "localhost", 9) == 0) {
        return 1;
    }
    if (u->host_len == 5 && strncmp(u->host, "[::1]", 5) == 0) {
        return 1;
    }
    return url_ipv4_loopback(u->host, u->host_len);
}

int itsme_url_is_loopback_http(const char *url)
{
    url_parts_t u;

    return url_split(url, &u) && !u.https && url_host_loopback(&u);
}

int itsme_url_is_loopback(const char *url)
{
    url_parts_t u;

    return url_split(url, &u) && url_host_loopback(&u);
}

int itsme_url_is_https(const char *url)
{
    url_parts_t u;

    return url_split(url, &u) && u.https;
}

int itsme_url_is_secure_endpoint(const char *url)
{
    url_parts_t u;

    if (!url_split(url, &u)) {
        return 0;
    }
    return u.https || url_host_loopback(&u);
}

int itsme_url_is_op_endpoint(const char *url, const char *discovery_url)
{
    return itsme_url_is_https(url)
           || (itsme_url_is_loopback(discovery_url) && itsme_url_is_loopback_http(url));
}

/* No byte below 0x21, no DEL, no backslash anywhere. */
static int url_clean(const char *s)
{
    return url_no_ctl(s) && strchr(s, '\\') == NULL;
}

int itsme_url_is_same_origin(const char *target, const char *origin)
{
    url_parts_t t, o;

    if (target == NULL || *target == '\0' || !url_clean(target)) {
        return 0;
    }
    if (target[0] == '/') {
        return target[1] != '/';
    }
    if (origin == NULL || !url_split(target, &t) || !url_split(origin, &o)) {
        return 0;
    }
    if (o.rest[0] != '\0' && strcmp(o.rest, "/") != 0) {
        return 0;
    }
    return t.https == o.https && t.port == o.port && t.host_len == o.host_len
           && strncasecmp(t.host, o.host, t.host_len) == 0;
}
