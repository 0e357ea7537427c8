/*
 * page.c: the module's own HTML answers (error pages). Everything shown is
 * escaped; nothing from the request is reflected unescaped; never cached.
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

void itsme_no_store(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "Pragma", "no-cache");
}

const char *itsme_page_html(request_rec *r, const char *title, const char *msg)
{
    const char *t = ap_escape_html2(r->pool, title ? title : "Error", 1);
    const char *m = ap_escape_html2(r->pool, msg ? msg : "", 1);

    return apr_pstrcat(r->pool, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"robots\" content=\"noindex\"><title>", t,
                       "</title></head>\n<body><h1>", t, "</h1>\n<p>", m,
                       "</p>\n<p><a href=\"/\">Back to the start page</a></p></body></html>\n",
                       NULL);
}

int itsme_page_send(request_rec *r, int status, const char *title, const char *msg)
{
    if (r->main) {
        /* a subrequest does not own the response: hand the status back */
        return status;
    }
    r->status = status;
    itsme_no_store(r);
    apr_table_unset(r->headers_out, "Location");
    apr_table_unset(r->err_headers_out, "Location");
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(itsme_page_html(r, title, msg), r);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ITSME01400: sent error page %d (%s)",
                  status, title ? title : "Error");
    return DONE;
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
