/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_authorize.c: the authorization request URL: every parameter present
 * and encoded, an existing endpoint query kept, optional values omitted,
 * and the rejections (missing fields, scope without openid). */
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "tests.h"
#include "testutil.h"
#include "core/url.h"
#include "core/proto/authorize.h"

static itsme_authz_req_t base_req(void)
{
    itsme_authz_req_t r;
    memset(&r, 0, sizeof(r));
    r.authorization_endpoint = "https://idp.e2e.itsme.services/v2/authorization";
    r.client_id = "my client&id";
    r.redirect_uri = "https://rp.example/itsme/callback?x=1";
    r.scope = "openid profile service:MY_SERVICE";
    r.state = "st-ate_123";
    r.nonce = "n+o/n=ce";
    r.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    return r;
}

/* Parses the query of url (after the first '?') into a table. */
static apr_table_t *query_of(apr_pool_t *p, const char *url)
{
    const char *q = strchr(url, '?');
    apr_table_t *t = apr_table_make(p, 16);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(itsme_url_parse_query(p, q + 1, 32, t, NULL), APR_SUCCESS);
    return t;
}

START_TEST(test_all_params)
{
    apr_pool_t *p = tu_pool();
    itsme_authz_req_t r = base_req();
    const char *url = NULL;

    r.acr_values = "http://itsme.services/v2/claim/acr_advanced";
    r.claims = "{\"id_token\":{\"http://itsme.services/v2/claim/BENationalNumber\":null}}";
    r.prompt = "login consent";
    r.ui_locales = "fr";
    r.request = "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d";
    ck_assert_int_eq(itsme_authorize_url(p, &r, &url, NULL), APR_SUCCESS);

    ck_assert_str_eq(url, "https://idp.e2e.itsme.services/v2/authorization?response_type=code"
                          "&client_id=my%20client%26id"
                          "&redirect_uri=https%3A%2F%2Frp.example%2Fitsme%2Fcallback%3Fx%3D1"
                          "&scope=openid%20profile%20service%3AMY_SERVICE"
                          "&state=st-ate_123&nonce=n%2Bo%2Fn%3Dce"
                          "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
                          "&code_challenge_method=S256"
                          "&acr_values=http%3A%2F%2Fitsme.services%2Fv2%2Fclaim%2Facr_advanced"
                          "&claims=%7B%22id_token%22%3A%7B%22http%3A%2F%2Fitsme.services%2Fv2"
                          "%2Fclaim%2FBENationalNumber%22%3Anull%7D%7D"
                          "&prompt=login%20consent&ui_locales=fr"
                          "&request=eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d");

    /* and every value decodes back to what was given */
    apr_table_t *q = query_of(p, url);
    ck_assert_int_eq(apr_table_elts(q)->nelts, 13);
    ck_assert_str_eq(apr_table_get(q, "client_id"), r.client_id);
    ck_assert_str_eq(apr_table_get(q, "redirect_uri"), r.redirect_uri);
    ck_assert_str_eq(apr_table_get(q, "scope"), r.scope);
    ck_assert_str_eq(apr_table_get(q, "nonce"), r.nonce);
    ck_assert_str_eq(apr_table_get(q, "claims"), r.claims);
    ck_assert_str_eq(apr_table_get(q, "prompt"), r.prompt);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_keeps_query_omits_optionals)
{
    apr_pool_t *p = tu_pool();
    itsme_authz_req_t r = base_req();
    const char *url = NULL;

    r.authorization_endpoint = "https://op.example/auth?tenant=a%20b";
    r.acr_values = ""; /* empty counts as absent */
    ck_assert_int_eq(itsme_authorize_url(p, &r, &url, NULL), APR_SUCCESS);
    ck_assert_str_eq(url, "https://op.example/auth?tenant=a%20b&response_type=code"
                          "&client_id=my%20client%26id"
                          "&redirect_uri=https%3A%2F%2Frp.example%2Fitsme%2Fcallback%3Fx%3D1"
                          "&scope=openid%20profile%20service%3AMY_SERVICE"
                          "&state=st-ate_123&nonce=n%2Bo%2Fn%3Dce"
                          "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
                          "&code_challenge_method=S256");
    const char *opt[] = {"acr_values", "claims", "prompt", "ui_locales", "request", NULL};
    for (int i = 0; opt[i]; i++)
        ck_assert_ptr_null(strstr(url, opt[i]));
    ck_assert_str_eq(apr_table_get(query_of(p, url), "tenant"), "a b");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_openid_anywhere)
{
    apr_pool_t *p = tu_pool();
    itsme_authz_req_t r = base_req();
    const char *url = NULL;

    r.scope = "profile  openid";
    ck_assert_int_eq(itsme_authorize_url(p, &r, &url, NULL), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(url, "&scope=profile%20%20openid&"));
    r.scope = "openid";
    ck_assert_int_eq(itsme_authorize_url(p, &r, &url, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_rejects_scope_without_openid)
{
    apr_pool_t *p = tu_pool();
    itsme_authz_req_t r = base_req();
    const char *url = NULL;
    const char *bad[] = {"profile email", "openidx profile", "xopenid", "OPENID", " ", NULL};

    for (int i = 0; bad[i]; i++) {
        itsme_err_t *e = NULL;
        r.scope = bad[i];
        ck_assert_int_ne(itsme_authorize_url(p, &r, &url, &e), APR_SUCCESS);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
        ck_assert_str_eq(e->msg, "authorize: scope lacks openid");
    }
    apr_pool_destroy(p);
}
END_TEST

/* One field at a time NULL and then empty: each refused with its name. */
START_TEST(test_rejects_missing)
{
    apr_pool_t *p = tu_pool();
    const char *names[] = {"authorization_endpoint", "client_id", "redirect_uri", "scope",
                           "state", "nonce", "code_challenge"};
    const char *url = NULL;

    for (int i = 0; i < 7; i++) {
        for (int empty = 0; empty < 2; empty++) {
            itsme_authz_req_t r = base_req();
            const char **fields[] = {&r.authorization_endpoint, &r.client_id, &r.redirect_uri,
                                     &r.scope, &r.state, &r.nonce, &r.code_challenge};
            itsme_err_t *e = NULL;
            *fields[i] = empty ? "" : NULL;
            ck_assert_int_ne(itsme_authorize_url(p, &r, &url, &e), APR_SUCCESS);
            ck_assert_ptr_nonnull(e);
            ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
            ck_assert_str_eq(e->msg, apr_psprintf(p, "authorize: %s is missing", names[i]));
        }
    }
    itsme_authz_req_t r = base_req();
    r.authorization_endpoint = "https://op.example/auth#frag";
    ck_assert_int_ne(itsme_authorize_url(p, &r, &url, NULL), APR_SUCCESS);
    ck_assert_int_ne(itsme_authorize_url(p, NULL, &url, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_authorize(void)
{
    Suite *s = suite_create("authorize");
    TCase *tc = tcase_create("authorize");
    tcase_add_test(tc, test_all_params);
    tcase_add_test(tc, test_keeps_query_omits_optionals);
    tcase_add_test(tc, test_openid_anywhere);
    tcase_add_test(tc, test_rejects_scope_without_openid);
    tcase_add_test(tc, test_rejects_missing);
    suite_add_tcase(s, tc);
    return s;
}
