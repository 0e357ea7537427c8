/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * http_client.c: outbound HTTP(S) to the OP through libcurl (the only file
 * that uses curl). Every transfer is bounded in time and size, verifies TLS,
 * speaks only http/https, never follows redirects and keeps no cookies.
 * The body is collected into a buffer from the caller's pool.
 */
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <curl/curl.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include "core/http_client.h"
#include "core/url.h"

#ifndef ITSME_VERSION
#define ITSME_VERSION "0"
#endif
#define DEFAULT_UA "mod_auth_itsme/" ITSME_VERSION
#define CONNECT_TIMEOUT_CAP_MS 3000L
#define MAX_CTYPE_LEN 255
#define MAX_CC_LEN 255

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT; /* written once under init_once */

typedef struct {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap, max;
    int too_large;
    const char *ctype;
    const char *cc;     /* Cache-Control */
} sink_t;

static void do_global_init(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

apr_status_t itsme_http_global_init(void)
{
    if (pthread_once(&init_once, do_global_init) != 0)
        return APR_EGENERAL;
    return init_rc == CURLE_OK ? APR_SUCCESS : APR_EGENERAL;
}

/* Appends a chunk of body; returning less than asked makes curl abort. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    sink_t *s = ud;
    if (size != 0 && nmemb > ((size_t)-1) / size)
        return 0;
    size_t n = size * nmemb;
    if (n > s->max - s->len) {
        s->too_large = 1;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        apr_size_t ncap = s->cap ? s->cap * 2 : 4096;
        if (ncap < s->len + n + 1)
            ncap = s->len + n + 1;
        if (ncap > s->max + 1)
            ncap = s->max + 1;
        char *nb = apr_palloc(s->p, ncap);
        if (s->len)
            memcpy(nb, s->buf, s->len);
        s->buf = nb;
        s->cap = ncap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

/* The trimmed value of header line data[0..n) when it is field `name`
 * (lower case, with the colon), bounded to max bytes; NULL otherwise. */
static const char *header_value(apr_pool_t *p, const char *data, size_t n, const char *name,
                                apr_size_t max)
{
    const size_t nl = strlen(name);
    if (n <= nl || strncasecmp(data, name, nl) != 0)
        return NULL;
    const char *v = data + nl, *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && apr_isspace(end[-1]))
        end--;
    apr_size_t vl = (apr_size_t)(end - v);
    return apr_pstrmemdup(p, v, vl > max ? max : vl);
}

/* Keeps the Content-Type and Cache-Control of the last response (bounded,
 * trimmed; repeated Cache-Control fields are joined with ", "). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    sink_t *s = ud;
    size_t n = size * nmemb;
    const char *v;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        s->ctype = NULL; /* a new response (e.g. after 100 Continue) */
        s->cc = NULL;
    }
    else if ((v = header_value(s->p, data, n, "content-type:", MAX_CTYPE_LEN)) != NULL)
        s->ctype = v;
    else if ((v = header_value(s->p, data, n, "cache-control:", MAX_CC_LEN)) != NULL) {
        if (s->cc && strlen(s->cc) + strlen(v) + 2 <= MAX_CC_LEN)
            s->cc = apr_pstrcat(s->p, s->cc, ", ", v, NULL);
        else if (!s->cc)
            s->cc = v;
    }
    return n;
}

/* url without its query and fragment, for messages. */
static const char *safe_url(apr_pool_t *p, const char *url)
{
    apr_size_t n = strcspn(url, "?#");
    return apr_pstrmemdup(p, url, n);
}

#define SETOPT(h, opt, val)                             \
    do {                                                \
        if (rc == CURLE_OK)                             \
            rc = curl_easy_setopt((h), (opt), (val));   \
    } while (0)

static CURLcode set_common(CURL *h, const itsme_http_opts_t *o, const char *url, sink_t *s,
                           char *errbuf, struct curl_slist *hdrs)
{
    CURLcode rc = CURLE_OK;
    long timeout = (o && o->timeout_ms > 0) ? o->timeout_ms : ITSME_HTTP_DEFAULT_TIMEOUT_MS;
    long ctimeout = timeout < CONNECT_TIMEOUT_CAP_MS ? timeout : CONNECT_TIMEOUT_CAP_MS;

    SETOPT(h, CURLOPT_URL, url);
#if CURL_AT_LEAST_VERSION(7, 85, 0)
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (o && o->ca_bundle)
        SETOPT(h, CURLOPT_CAINFO, o->ca_bundle);
    SETOPT(h, CURLOPT_TIMEOUT_MS, timeout);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, s);
    SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(h, CURLOPT_HEADERDATA, s);
    SETOPT(h, CURLOPT_USERAGENT, (o && o->user_agent) ? o->user_agent : DEFAULT_UA);
    SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
    return rc;
}

static apr_status_t transfer_error(apr_pool_t *p, itsme_err_t **err, const char *what,
                                   const char *url, CURLcode rc, const sink_t *s,
                                   const char *errbuf)
{
    if (s->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return itsme_err_make(p, err, ITSME_E_OP, APR_ENOSPC,
                              "%s %s: response too large (limit %" APR_SIZE_T_FMT " bytes)",
                              what, safe_url(p, url), s->max);
    return itsme_err_make(p, err, ITSME_E_NETWORK,
                          rc == CURLE_OPERATION_TIMEDOUT ? APR_TIMEUP : APR_EGENERAL,
                          "%s %s failed: %s", what, safe_url(p, url),
                          errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* Runs one transfer; post_body NULL -> GET. Frees all curl objects. */
static apr_status_t perform(apr_pool_t *p, const itsme_http_opts_t *o, const char *url,
                            struct curl_slist *hdrs, const char *post_body,
                            itsme_http_resp_t **resp, itsme_err_t **err)
{
    const char *what = post_body ? "POST" : "GET";
    char errbuf[CURL_ERROR_SIZE];
    sink_t s = { p, NULL, 0, 0, 0, 0, NULL, NULL };
    apr_status_t rv = APR_SUCCESS;
    CURLcode rc;
    long status = 0;

    errbuf[0] = '\0';
    s.max = (o && o->max_response) ? o->max_response : ITSME_HTTP_DEFAULT_MAX_RESPONSE;
    CURL *h = curl_easy_init();
    if (!h) {
        rv = itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "curl_easy_init failed");
        goto leave;
    }
    rc = set_common(h, o, url, &s, errbuf, hdrs);
    if (rc == CURLE_OK && post_body) {
        rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(post_body));
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body);
    }
    if (rc != CURLE_OK) {
        rv = itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EGENERAL, "curl setup failed: %s",
                            curl_easy_strerror(rc));
        goto leave;
    }
    apr_time_t started = apr_time_now();
    rc = curl_easy_perform(h);
    itsme_counters_fetch_done(o ? o->counters : NULL, apr_time_now() - started,
                              rc != CURLE_OK);
    if (rc != CURLE_OK) {
        rv = transfer_error(p, err, what, url, rc, &s, errbuf);
        goto leave;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    itsme_http_resp_t *r = apr_pcalloc(p, sizeof(*r));
    r->status = status;
    r->content_type = s.ctype;
    r->cache_control = s.cc;
    r->body = s.buf ? s.buf : "";
    r->body_len = s.len;
    *resp = r;
leave:
    if (h)
        curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return rv;
}

/* Appends one header line; on failure frees the list and returns NULL. */
static struct curl_slist *add_header(struct curl_slist *l, const char *line)
{
    struct curl_slist *n = curl_slist_append(l, line);
    if (!n)
        curl_slist_free_all(l);
    return n;
}

static apr_status_t check_url(apr_pool_t *p, const char *url, itsme_err_t **err)
{
    if (!url || !itsme_url_is_absolute(url))
        return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                              "not an absolute http(s) URL: %s",
                              url ? safe_url(p, url) : "(null)");
    return APR_SUCCESS;
}

apr_status_t itsme_http_get(apr_pool_t *p, const itsme_http_opts_t *o, const char *url,
                            const char *bearer, const char *accept,
                            itsme_http_resp_t **resp, itsme_err_t **err)
{
    struct curl_slist *hdrs = NULL;
    apr_status_t rv = check_url(p, url, err);
    if (rv != APR_SUCCESS)
        return rv;
    if ((bearer && strpbrk(bearer, "\r\n")) || (accept && strpbrk(accept, "\r\n")))
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "bad request header");
    hdrs = add_header(hdrs, apr_pstrcat(p, "Accept: ", accept ? accept : "*/*", NULL));
    if (hdrs && bearer)
        hdrs = add_header(hdrs, apr_pstrcat(p, "Authorization: Bearer ", bearer, NULL));
    if (!hdrs)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "header list");
    return perform(p, o, url, hdrs, NULL, resp, err);
}

/* "Basic base64(urlencode(user):urlencode(pass))" (RFC 6749 §2.3.1). */
static const char *basic_header(apr_pool_t *p, const char *user, const char *pass)
{
    const char *cred = apr_pstrcat(p, itsme_url_encode(p, user), ":",
                                   itsme_url_encode(p, pass ? pass : ""), NULL);
    int clen = (int)strlen(cred);
    char *b64 = apr_palloc(p, (apr_size_t)apr_base64_encode_len(clen));
    apr_base64_encode(b64, cred, clen);
    return apr_pstrcat(p, "Authorization: Basic ", b64, NULL);
}

apr_status_t itsme_http_post_form(apr_pool_t *p, const itsme_http_opts_t *o, const char *url,
                                  const apr_table_t *form, const char *basic_user,
                                  const char *basic_pass, itsme_http_resp_t **resp,
                                  itsme_err_t **err)
{
    struct curl_slist *hdrs = NULL;
    apr_status_t rv = check_url(p, url, err);
    if (rv != APR_SUCCESS)
        return rv;
    const char *body = form ? itsme_url_form_encode(p, form) : "";
    if (!body)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "form encoding failed");
    hdrs = add_header(hdrs, "Content-Type: application/x-www-form-urlencoded");
    if (hdrs)
        hdrs = add_header(hdrs, "Accept: application/json");
    if (hdrs)
        hdrs = add_header(hdrs, "Expect:");
    if (hdrs && basic_user)
        hdrs = add_header(hdrs, basic_header(p, basic_user, basic_pass));
    if (!hdrs)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_ENOMEM, "header list");
    return perform(p, o, url, hdrs, body, resp, err);
}
