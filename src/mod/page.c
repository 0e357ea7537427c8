/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * page.c: the module's own HTML answers (error pages), in the person's
 * language (lang.c; the texts are data in src/core/i18n). Everything shown
 * is escaped; nothing from the request is reflected unescaped; never
 * cached; no external resources. Where httpd has an ErrorDocument for the
 * status, the site's page is shown instead, with ITSME_ERROR and ITSME_LANG
 * in the environment (REDIRECT_ITSME_* in the ErrorDocument's request).
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_filter.h"
#include "mod_core.h"
#include "apr_strings.h"

#include "mod/mod.h"
#include "core/url.h"

APLOG_USE_MODULE(auth_itsme);

#define BACK_MAX 2048 /* longest URL a page links back to */
#define NOTE_OWN_PAGE "itsme-own-error-page"
#define CHARSET_FILTER "ITSME_PAGE_CHARSET"

/* Plain, readable on a phone, nothing loaded from elsewhere. */
#define PAGE_STYLE                                                                      \
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"          \
    "margin:0;padding:1.5rem 1rem;background:#f6f6f6;color:#1d1d1b;line-height:1.5}"    \
    "main{max-width:34rem;margin:0 auto;background:#fff;border-radius:.75rem;"          \
    "padding:1.25rem 1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}"                      \
    "h1{font-size:1.35rem;margin:0 0 .75rem}p{margin:0 0 1rem}"                         \
    ".detail{font-size:.9rem;color:#555}"                                               \
    "a.go{display:inline-block;padding:.7rem 1.2rem;border-radius:.5rem;"               \
    "background:#ff4612;color:#fff;text-decoration:none;font-weight:600}"               \
    "a.go:focus{outline:3px solid #1d1d1b;outline-offset:2px}"

/* Only what the page needs: its inline style. */
#define PAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; " \
                 "form-action 'none'; frame-ancestors 'none'"

void itsme_no_store(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "Pragma", "no-cache");
}

const char *itsme_page_back(request_rec *r, const char *url)
{
    const char *origin = itsme_request_origin(r);
    apr_size_t n;

    if (!url || strlen(url) > BACK_MAX || !itsme_url_is_same_origin(url, origin))
        return NULL;
    if (url[0] != '/') {
        /* same origin, absolute: its path (and query) */
        n = strlen(origin);
        if (strncasecmp(url, origin, n) != 0 || url[n] != '/')
            return NULL;
        url += n;
    }
    return url[0] == '/' && url[1] != '/' && url[1] != '\\' ? url : NULL;
}

const char *itsme_page_html(request_rec *r, itsme_page_e page, const char *back,
                            const char *detail)
{
    const char *lang = itsme_lang_of(r);
    const itsme_msgs_t *m = itsme_msgs_for(lang);
    itsme_page_text_t t = itsme_page_text(lang, page);
    const char *title = ap_escape_html2(r->pool, t.title, 0); /* UTF-8 kept */
    const char *link = page == ITSME_PAGE_SIGNED_OUT ? m->next
                       : back && strcmp(back, "/") ? m->again : m->home;
    const char *extra = "";

    if (detail && *detail)
        extra = apr_pstrcat(r->pool, "<p class=\"detail\">", ap_escape_html2(r->pool, m->detail, 0),
                            ": <code>", ap_escape_html2(r->pool, detail, 1), "</code></p>\n",
                            NULL);
    return apr_pstrcat(r->pool,
                       "<!DOCTYPE html>\n<html lang=\"", m->lang, "\"><head>"
                       "<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<meta name=\"robots\" content=\"noindex\">\n<title>", title,
                       "</title>\n<style>" PAGE_STYLE "</style></head>\n<body><main>\n<h1>",
                       title, "</h1>\n<p>", ap_escape_html2(r->pool, t.body, 0), "</p>\n", extra,
                       "<p><a class=\"go\" href=\"",
                       ap_escape_html2(r->pool, back ? back : "/", 1), "\">",
                       ap_escape_html2(r->pool, link, 0), "</a></p>\n</main></body></html>\n",
                       NULL);
}

void itsme_page_headers(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->err_headers_out, "Content-Security-Policy", PAGE_CSP);
    apr_table_setn(r->err_headers_out, "Content-Language", itsme_lang_of(r));
    apr_table_mergen(r->err_headers_out, "Vary", "Accept-Language");
}

const char *itsme_page_error_document(request_rec *r, int status)
{
    return ap_response_code_string(r, ap_index_of_response(status));
}

void itsme_page_note(request_rec *r, itsme_page_e page)
{
    apr_table_setn(r->subprocess_env, "ITSME_ERROR", itsme_page_code(page));
    apr_table_setn(r->subprocess_env, "ITSME_LANG", itsme_lang_of(r));
}

int itsme_page_send_detail(request_rec *r, int status, itsme_page_e page, const char *back,
                           const char *detail)
{
    if (r->main) {
        /* a subrequest does not own the response: hand the status back */
        return status;
    }
    if (!back)
        back = apr_table_get(r->notes, ITSME_NOTE_BACK);
    itsme_no_store(r);
    apr_table_unset(r->headers_out, "Location");
    apr_table_unset(r->err_headers_out, "Location");
    itsme_page_note(r, page);
    if (itsme_page_error_document(r, status)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME07000: error %d (%s): the ErrorDocument answers", status,
                      itsme_page_code(page));
        return status;
    }
    r->status = status;
    itsme_page_headers(r);
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(itsme_page_html(r, page, back, detail), r);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ITSME01400: sent error page %d (%s, %s)",
                  status, itsme_page_code(page), itsme_lang_of(r));
    return DONE;
}

int itsme_page_send(request_rec *r, int status, itsme_page_e page, const char *back)
{
    return itsme_page_send_detail(r, status, page, back, NULL);
}

void itsme_page_error_body(request_rec *r, int status, itsme_page_e page)
{
    ap_custom_response(r, status, itsme_page_html(r, page, NULL, NULL));
    apr_table_setn(r->notes, NOTE_OWN_PAGE, "1");
    apr_table_setn(r->subprocess_env, "suppress-error-charset", "1");
    itsme_page_headers(r);
}

/* Our page is UTF-8: its Content-Type says so (ap_send_error_response
 * sets a bare text/html after insert_error_filter). */
static apr_status_t charset_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_set_content_type(f->r, "text/html; charset=utf-8");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void own_page_charset(request_rec *r)
{
    if (apr_table_get(r->notes, NOTE_OWN_PAGE))
        ap_add_output_filter(CHARSET_FILTER, NULL, r, r->connection);
}

void itsme_page_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_register_output_filter(CHARSET_FILTER, charset_filter, NULL, AP_FTYPE_CONTENT_SET);
    ap_hook_insert_error_filter(own_page_charset, NULL, NULL, APR_HOOK_MIDDLE);
}

void itsme_www_authenticate(request_rec *r, const char *error)
{
    const char *realm = ap_auth_name(r);
    char *q, *c;

    if (!realm || !*realm)
        realm = r->hostname ? r->hostname : "itsme";
    q = apr_pstrdup(r->pool, realm);
    for (c = q; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '_';
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_pstrcat(r->pool, "itsme realm=\"", q, "\"",
                               error ? ", error=\"" : "", error ? error : "",
                               error ? "\"" : "", NULL));
}
