/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * forwarded.c: the public origin of a request (scheme://host[:port] as the
 * browser sees it). Behind a TLS-terminating load balancer or reverse proxy
 * listed in ItsmeTrustForwardedHeaders, X-Forwarded-Proto/-Host/-Port and
 * RFC 7239 Forwarded (proto=, host=) sent by that proxy are honoured; from
 * any other peer they are ignored. The origin drives the absolute redirect
 * URI, the same-origin checks of return targets, the cookies' Secure flag
 * and the logout redirects.
 *
 * The peer checked is the TCP peer (r->connection->client_addr), never
 * r->useragent_ip: mod_remoteip rewrites the latter to the original client,
 * which is precisely not the proxy we trust.
 *
 * Of a comma-separated list the LAST element is used: it is the one the
 * trusted proxy itself added (or wrote), whereas earlier elements may come
 * from the client when the proxy appends instead of replacing.
 *
 * Many proxies set only some of these headers and pass the others on from
 * the client untouched; ItsmeForwardedHeaders names the ones the proxy
 * really sets (default: all four), the others are ignored from it too.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define FWD_MAX_HOST 255
#define FWD_SHOWN_MAX 100

/* ---- ItsmeTrustForwardedHeaders ---- */

/* a.b.c.d (four parts) or an IPv6 address; apr would also take "10.1" */
static int full_address(const char *ip)
{
    const char *c;
    int dots = 0;

    if (strchr(ip, ':'))
        return 1;
    for (c = ip; *c; c++)
        if (*c == '.')
            dots++;
    return dots == 3;
}

const char *itsme_cmd_trust_forwarded(cmd_parms *cmd, void *dc, const char *arg)
{
    itsme_srv_cfg_t *c = itsme_srv_cfg(cmd->server);
    char *ip = apr_pstrdup(cmd->temp_pool, arg), *bits = strchr(ip, '/');
    apr_ipsubnet_t *sub = NULL;

    (void)dc;
    if (bits)
        *bits++ = '\0';
    if (!full_address(ip) || (bits && (!*bits || !strcmp(bits, "0")))
        || apr_ipsubnet_create(&sub, ip, bits, cmd->pool) != APR_SUCCESS)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an IP address or a CIDR range "
                            "(a.b.c.d, a.b.c.d/n, ipv6, ipv6/n; /0 is refused)",
                            cmd->cmd->name, arg);
    if (!c->trusted_proxies)
        c->trusted_proxies = apr_array_make(cmd->pool, 2, sizeof(apr_ipsubnet_t *));
    APR_ARRAY_PUSH(c->trusted_proxies, apr_ipsubnet_t *) = sub;
    return NULL;
}

/* ItsmeForwardedHeaders proto host port forwarded (any subset, once each) */
const char *itsme_cmd_forwarded_headers(cmd_parms *cmd, void *dc, const char *arg)
{
    static const struct {
        const char *name;
        int bit;
    } names[] = {{"proto", ITSME_FWD_PROTO},
                 {"host", ITSME_FWD_HOST},
                 {"port", ITSME_FWD_PORT},
                 {"forwarded", ITSME_FWD_FORWARDED}};
    itsme_srv_cfg_t *c = itsme_srv_cfg(cmd->server);
    apr_size_t i;

    (void)dc;
    if (c->fwd_headers == ITSME_UNSET)
        c->fwd_headers = 0;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(arg, names[i].name) != 0)
            continue;
        if (c->fwd_headers & names[i].bit)
            return apr_psprintf(cmd->pool, "%s: '%s' is listed twice", cmd->cmd->name, arg);
        c->fwd_headers |= names[i].bit;
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s: '%s' is not one of proto, host, port, forwarded",
                        cmd->cmd->name, arg);
}

static int fwd_counts(const itsme_srv_cfg_t *sc, int bit)
{
    return sc->fwd_headers == ITSME_UNSET || (sc->fwd_headers & bit);
}

static int peer_trusted(request_rec *r, const itsme_srv_cfg_t *sc)
{
    int i;

    if (!sc->trusted_proxies || !r->connection->client_addr)
        return 0;
    for (i = 0; i < sc->trusted_proxies->nelts; i++)
        if (apr_ipsubnet_test(APR_ARRAY_IDX(sc->trusted_proxies, i, apr_ipsubnet_t *),
                              r->connection->client_addr))
            return 1;
    return 0;
}

/* ---- validation ---- */

static int valid_port(const char *s, apr_size_t n)
{
    apr_size_t i;
    long v = 0;

    if (n == 0 || n > 5)
        return 0;
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

static int valid_hostname(const char *s, apr_size_t n)
{
    apr_size_t i, label = 0;

    if (n == 0 || n > 253)
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        }
        else if (apr_isalnum(s[i]) || (s[i] == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        }
        else {
            return 0;
        }
    }
    return label > 0 && s[n - 1] != '-';
}

static int valid_ipv6_literal(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n < 4 || s[0] != '[' || s[n - 1] != ']')
        return 0;
    for (i = 1; i + 1 < n; i++)
        if (!apr_isxdigit(s[i]) && s[i] != ':' && s[i] != '.')
            return 0;
    return 1;
}

/* host, host:port, [v6] or [v6]:port */
static int valid_authority(const char *a)
{
    apr_size_t n = strlen(a);
    const char *colon;

    if (n == 0 || n > FWD_MAX_HOST)
        return 0;
    if (a[0] == '[') {
        const char *end = strchr(a, ']');

        if (!end)
            return 0;
        if (end[1] == '\0')
            return valid_ipv6_literal(a, n);
        return end[1] == ':' && valid_ipv6_literal(a, (apr_size_t)(end - a) + 1)
               && valid_port(end + 2, strlen(end + 2));
    }
    colon = strchr(a, ':');
    if (!colon)
        return valid_hostname(a, n);
    return valid_hostname(a, (apr_size_t)(colon - a)) && valid_port(colon + 1, strlen(colon + 1));
}

/* ---- header parsing ---- */

/* The last element of a comma-separated header value (quotes respected). */
static char *last_element(apr_pool_t *p, const char *v)
{
    const char *start = v, *c;
    int quoted = 0;

    for (c = v; *c; c++) {
        if (quoted && *c == '\\' && c[1])
            c++;
        else if (*c == '"')
            quoted = !quoted;
        else if (!quoted && *c == ',')
            start = c + 1;
    }
    return itsme_trim_ows(apr_pstrdup(p, start));
}

/* RFC 7239 value: token or quoted-string (backslash escapes removed). NULL
 * when malformed. */
static const char *pair_value(apr_pool_t *p, char *v)
{
    char *out, *o;

    v = itsme_trim_ows(v);
    if (*v != '"')
        return *v && !strchr(v, '"') ? v : NULL;
    out = o = apr_palloc(p, strlen(v));
    for (v++; *v && *v != '"'; v++) {
        if (*v == '\\' && v[1])
            v++;
        *o++ = *v;
    }
    *o = '\0';
    return *v == '"' && itsme_trim_ows(v + 1)[0] == '\0' ? out : NULL;
}

typedef struct {
    const char *proto;   /* as sent, validated later */
    const char *host;
    const char *port;
} fwd_t;

/* proto= and host= of the last element of Forwarded; 0 when malformed. */
static int parse_forwarded(apr_pool_t *p, const char *header, fwd_t *f)
{
    char *el = last_element(p, header), *last = NULL, *pair;

    for (pair = apr_strtok(el, ";", &last); pair; pair = apr_strtok(NULL, ";", &last)) {
        char *eq = strchr(pair, '=');
        const char *name, *value;

        if (!eq)
            return 0;
        *eq = '\0';
        name = itsme_trim_ows(pair);
        value = pair_value(p, eq + 1);
        if (!value)
            return 0;
        if (!strcasecmp(name, "proto"))
            f->proto = value;
        else if (!strcasecmp(name, "host"))
            f->host = value;
    }
    return 1;
}

/* ---- the public origin ---- */

static void ignored(request_rec *r, const char *what, const char *value)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ITSME03100: ignored %s from trusted proxy %s: '%s' is not valid", what,
                  r->connection->client_ip,
                  ap_escape_logitem(r->pool, apr_pstrndup(r->pool, value, FWD_SHOWN_MAX)));
}

/* The value of header when ItsmeForwardedHeaders lets it count, else NULL. */
static const char *fwd_header(request_rec *r, const itsme_srv_cfg_t *sc, int bit,
                              const char *header)
{
    const char *v = apr_table_get(r->headers_in, header);

    if (v && !fwd_counts(sc, bit)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME04120: %s from trusted proxy %s ignored (not in "
                      "ItsmeForwardedHeaders)", header, r->connection->client_ip);
        return NULL;
    }
    return v;
}

/* The forwarded values of a trusted peer, each validated (or dropped). */
static void read_forwarded(request_rec *r, const itsme_srv_cfg_t *sc, fwd_t *f)
{
    const char *fw = fwd_header(r, sc, ITSME_FWD_FORWARDED, "Forwarded"), *v;

    memset(f, 0, sizeof(*f));
    if (fw && !parse_forwarded(r->pool, fw, f)) {
        ignored(r, "Forwarded", fw);
        f->proto = f->host = NULL;
    }
    if (!f->proto && (v = fwd_header(r, sc, ITSME_FWD_PROTO, "X-Forwarded-Proto")))
        f->proto = last_element(r->pool, v);
    if (!f->host && (v = fwd_header(r, sc, ITSME_FWD_HOST, "X-Forwarded-Host")))
        f->host = last_element(r->pool, v);
    if ((v = fwd_header(r, sc, ITSME_FWD_PORT, "X-Forwarded-Port")))
        f->port = last_element(r->pool, v);
    if (f->proto && strcasecmp(f->proto, "https") && strcasecmp(f->proto, "http")) {
        ignored(r, "forwarded proto", f->proto);
        f->proto = NULL;
    }
    if (f->host && !valid_authority(f->host)) {
        ignored(r, "forwarded host", f->host);
        f->host = NULL;
    }
    if (f->port && !valid_port(f->port, strlen(f->port))) {
        ignored(r, "X-Forwarded-Port", f->port);
        f->port = NULL;
    }
}

/* "host" or "host:port" without the scheme's default port, lower case. */
static const char *authority_for(request_rec *r, const char *scheme, const fwd_t *f)
{
    const char *host = f->host, *hdr = apr_table_get(r->headers_in, "Host");
    const char *dflt = strcmp(scheme, "https") ? "80" : "443";
    const char *colon, *port = NULL;
    char *a;

    if (!host)
        host = hdr && valid_authority(hdr) ? hdr : ap_get_server_name(r);
    a = apr_pstrdup(r->pool, host);
    ap_str_tolower(a);
    colon = strrchr(a, ':');
    if (colon && (a[0] != '[' || colon > strchr(a, ']'))) {
        port = colon + 1;
        a[colon - a] = '\0';
    }
    else if (f->port) {
        port = f->port;
    }
    if (port && strcmp(port, dflt) != 0)
        return apr_pstrcat(r->pool, a, ":", port, NULL);
    return a;
}

static const char *compute_origin(request_rec *r, const itsme_srv_cfg_t *sc)
{
    const char *scheme, *origin;
    fwd_t f;

    if (!peer_trusted(r, sc)) {
        if (apr_table_get(r->headers_in, "Forwarded")
            || apr_table_get(r->headers_in, "X-Forwarded-Proto")
            || apr_table_get(r->headers_in, "X-Forwarded-Host"))
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "ITSME03101: forwarded headers from %s ignored (not a trusted proxy)",
                          r->connection->client_ip);
        return ap_construct_url(r->pool, "", r);
    }
    read_forwarded(r, sc, &f);
    if (!f.proto && !f.host && !f.port)
        return ap_construct_url(r->pool, "", r);
    scheme = apr_pstrdup(r->pool, f.proto ? f.proto : ap_http_scheme(r));
    ap_str_tolower((char *)scheme);
    origin = apr_pstrcat(r->pool, scheme, "://", authority_for(r, scheme, &f), NULL);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME03102: public origin %s (forwarded by %s)",
                  ap_escape_logitem(r->pool, origin), r->connection->client_ip);
    return origin;
}

const char *itsme_public_origin(request_rec *r)
{
    itsme_req_t *q = itsme_req(r);

    if (!q->public_origin)
        q->public_origin = apr_pstrdup(itsme_initial_request(r)->pool,
                                       compute_origin(r, itsme_srv_cfg(r->server)));
    return q->public_origin;
}

int itsme_public_is_https(request_rec *r)
{
    return strncmp(itsme_public_origin(r), "https://", 8) == 0;
}

const char *itsme_public_url(request_rec *r, const char *path)
{
    return apr_pstrcat(r->pool, itsme_public_origin(r), path, NULL);
}
