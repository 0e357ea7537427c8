/* test_metadata.c: discovery, document cache, JWKS lookup, token client auth,
 * UserInfo parsing, HTTP client refusals. No live OP: a closed loopback port
 * (127.0.0.1:9) shows whether a fetch was attempted. */
#include <string.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/cache.h"
#include "core/http_client.h"
#include "core/jose.h"
#include "core/json.h"
#include "core/proto/metadata.h"
#include "core/proto/jwks.h"
#include "core/proto/token.h"
#include "core/proto/userinfo.h"

#define ISS "https://op.example/v2"
#define DEAD "http://127.0.0.1:9/"
#define CLIENT "client-1"

static const itsme_http_opts_t fast = { 2000, 0, NULL, NULL };

static int contains(const itsme_err_t *e, apr_pool_t *p, const char *needle)
{
    return e && strstr(itsme_err_str(p, e), needle) != NULL;
}

/* ---------------------------------------------------------------- metadata */

static const char *doc_with(apr_pool_t *p, const char *drop, const char *key, const char *val)
{
    static const char *const names[] = { "issuer", "authorization_endpoint", "token_endpoint",
                                         "jwks_uri", "userinfo_endpoint", NULL };
    static const char *const vals[] = { ISS, ISS "/authorization", ISS "/token",
                                        ISS "/jwkSet", ISS "/userinfo", NULL };
    const char *s = "{";
    for (int i = 0; names[i]; i++) {
        if ((drop && !strcmp(drop, names[i])) || (key && !strcmp(key, names[i])))
            continue;
        s = apr_psprintf(p, "%s\"%s\":\"%s\",", s, names[i], vals[i]);
    }
    if (key)
        s = apr_psprintf(p, "%s\"%s\":%s,", s, key, val);
    return apr_pstrcat(p, s, "\"scopes_supported\":[\"openid\",\"service:X\"]}", NULL);
}

START_TEST(md_valid)
{
    apr_pool_t *p = tu_pool();
    itsme_metadata_t *md = NULL;
    itsme_err_t *e = NULL;
    const char *doc =
        "{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/authorization\","
        "\"token_endpoint\":\"" ISS "/token\",\"jwks_uri\":\"" ISS "/jwkSet\","
        "\"userinfo_endpoint\":\"" ISS "/userinfo\","
        "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"client_secret_post\"],"
        "\"id_token_signing_alg_values_supported\":[\"RS256\"],"
        "\"code_challenge_methods_supported\":[\"S256\"],"
        "\"scopes_supported\":[\"openid\",\"profile\",\"eid\"],"
        "\"request_object_encryption_alg_values_supported\":[\"RSA-OAEP\",\"RSA-OAEP-256\"],"
        "\"request_object_encryption_enc_values_supported\":[\"A128CBC-HS256\"],"
        "\"require_signed_request_object\":true,\"unknown\":{\"x\":1}}";
    ck_assert_int_eq(itsme_metadata_parse(p, doc, strlen(doc), ISS, &md, &e), APR_SUCCESS);
    ck_assert_str_eq(md->authorization_endpoint, ISS "/authorization");
    ck_assert_str_eq(md->token_endpoint, ISS "/token");
    ck_assert_str_eq(md->jwks_uri, ISS "/jwkSet");
    ck_assert_str_eq(md->userinfo_endpoint, ISS "/userinfo");
    ck_assert_ptr_null(md->end_session_endpoint);
    ck_assert_int_eq(md->token_endpoint_auth_methods->nelts, 2);
    ck_assert(itsme_metadata_has(md->token_endpoint_auth_methods, "client_secret_post"));
    ck_assert(!itsme_metadata_has(md->token_endpoint_auth_methods, "client_secret_basic"));
    ck_assert(!itsme_metadata_has(NULL, "x"));
    ck_assert(itsme_metadata_has(md->id_token_signing_algs, "RS256"));
    ck_assert(itsme_metadata_has(md->code_challenge_methods, "S256"));
    ck_assert_str_eq(APR_ARRAY_IDX(md->scopes_supported, 2, const char *), "eid");
    ck_assert_int_eq(md->request_object_encryption_algs->nelts, 2);
    ck_assert(itsme_metadata_has(md->request_object_encryption_encs, "A128CBC-HS256"));
    ck_assert_int_eq(md->require_signed_request_object, 1);

    /* minimal document: optional parts absent, lists empty; no expected issuer */
    doc = doc_with(p, "userinfo_endpoint", NULL, NULL);
    ck_assert_int_eq(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e), APR_SUCCESS);
    ck_assert_ptr_null(md->userinfo_endpoint);
    ck_assert_int_eq(md->token_endpoint_auth_methods->nelts, 0);
    ck_assert_int_eq(md->require_signed_request_object, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_issuer_mismatch)
{
    apr_pool_t *p = tu_pool();
    itsme_metadata_t *md = NULL;
    itsme_err_t *e = NULL;
    const char *doc = doc_with(p, NULL, NULL, NULL);
    ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), ISS "/", &md, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_OP);
    ck_assert(contains(e, p, "issuer mismatch: expected " ISS "/ got " ISS));
    ck_assert_ptr_null(md);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_missing)
{
    static const char *const req[] = { "issuer", "authorization_endpoint", "token_endpoint",
                                       "jwks_uri", NULL };
    apr_pool_t *p = tu_pool();
    for (int i = 0; req[i]; i++) {
        itsme_metadata_t *md = NULL;
        itsme_err_t *e = NULL;
        const char *doc = doc_with(p, req[i], NULL, NULL);
        ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e),
                         APR_SUCCESS);
        ck_assert_int_eq(e->kind, ITSME_E_OP);
        ck_assert_msg(contains(e, p, apr_pstrcat(p, "missing ", req[i], NULL)), "%s",
                      itsme_err_str(p, e));
        /* present but not a string */
        e = NULL;
        doc = doc_with(p, NULL, req[i], "42");
        ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e),
                         APR_SUCCESS);
        ck_assert(contains(e, p, req[i]));
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_endpoint_scheme)
{
    apr_pool_t *p = tu_pool();
    itsme_metadata_t *md = NULL;
    itsme_err_t *e;
    static const char *const bad[] = { "\"http://op.example/token\"", "\"ftp://op.example/t\"",
                                       "\"/token\"", "\"http://127.0.0.1.evil.example/t\"",
                                       NULL };
    for (int i = 0; bad[i]; i++) {
        e = NULL;
        const char *doc = doc_with(p, NULL, "token_endpoint", bad[i]);
        ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e),
                         APR_SUCCESS);
        ck_assert_int_eq(e->kind, ITSME_E_OP);
        ck_assert(contains(e, p, "token_endpoint must be https"));
    }
    const char *doc = doc_with(p, NULL, "userinfo_endpoint", "\"http://op.example/ui\"");
    ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e), APR_SUCCESS);
    doc = doc_with(p, NULL, "end_session_endpoint", "\"http://op.example/logout\"");
    ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e), APR_SUCCESS);

    /* a local test OP on plain http */
    doc = "{\"issuer\":\"http://127.0.0.1:9400\","
          "\"authorization_endpoint\":\"http://127.0.0.1:9400/auth\","
          "\"token_endpoint\":\"http://127.0.0.1:9400/token\","
          "\"jwks_uri\":\"http://localhost:9400/jwks\"}";
    ck_assert_int_eq(itsme_metadata_parse(p, doc, strlen(doc), "http://127.0.0.1:9400", &md,
                                          &e), APR_SUCCESS);
    ck_assert_str_eq(md->token_endpoint, "http://127.0.0.1:9400/token");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_bad_shapes)
{
    apr_pool_t *p = tu_pool();
    itsme_metadata_t *md = NULL;
    itsme_err_t *e = NULL;
    static const char *const notobj[] = { "[1,2]", "\"issuer\"", "null", "{", "", NULL };
    for (int i = 0; notobj[i]; i++) {
        e = NULL;
        ck_assert_int_ne(itsme_metadata_parse(p, notobj[i], strlen(notobj[i]), NULL, &md, &e),
                         APR_SUCCESS);
        ck_assert_int_eq(e->kind, ITSME_E_OP);
        ck_assert(contains(e, p, "not a JSON object"));
    }
    const char *doc = doc_with(p, NULL, "token_endpoint_auth_methods_supported", "5");
    ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "token_endpoint_auth_methods_supported is not an array"));
    doc = doc_with(p, NULL, "require_signed_request_object", "\"yes\"");
    ck_assert_int_ne(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "require_signed_request_object"));
    /* a lone string counts as a one-element list */
    doc = doc_with(p, NULL, "token_endpoint_auth_methods_supported", "\"private_key_jwt\"");
    ck_assert_int_eq(itsme_metadata_parse(p, doc, strlen(doc), NULL, &md, &e), APR_SUCCESS);
    ck_assert_int_eq(md->token_endpoint_auth_methods->nelts, 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_get_cached)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    itsme_metadata_t *md = NULL;
    itsme_err_t *e = NULL;
    const char *url = DEAD ".well-known/openid-configuration";
    const char *doc = doc_with(p, NULL, NULL, NULL);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    ck_assert_int_eq(itsme_cache_put(c, url, doc, strlen(doc), TU_NOW), APR_SUCCESS);
    ck_assert_int_eq(itsme_metadata_get(c, p, &fast, url, ISS, apr_time_from_sec(600),
                                        TU_NOW + apr_time_from_sec(60), &md, &e), APR_SUCCESS);
    ck_assert_str_eq(md->jwks_uri, ISS "/jwkSet");
    /* a cached document with the wrong issuer: refused and invalidated; the next
     * call within min_interval (10 s) does not go to the network */
    ck_assert_int_ne(itsme_metadata_get(c, p, &fast, url, "https://other.example",
                                        apr_time_from_sec(600), TU_NOW + apr_time_from_sec(61),
                                        &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "issuer mismatch"));
    /* the next call refetches (closed port: a real attempt fails)... */
    e = NULL;
    ck_assert_int_ne(itsme_metadata_get(c, p, &fast, url, ISS, apr_time_from_sec(600),
                                        TU_NOW + apr_time_from_sec(62), &md, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert_int_ne(e->status, APR_EAGAIN);
    /* ...and the one after, within min_interval (10 s), does not go to the network */
    e = NULL;
    ck_assert_int_ne(itsme_metadata_get(c, p, &fast, url, ISS, apr_time_from_sec(600),
                                        TU_NOW + apr_time_from_sec(71), &md, &e), APR_SUCCESS);
    ck_assert_int_eq(e->status, APR_EAGAIN);
    e = NULL;
    ck_assert_int_ne(itsme_metadata_get(c, p, &fast, url, ISS, apr_time_from_sec(600),
                                        TU_NOW + apr_time_from_sec(72), &md, &e), APR_SUCCESS);
    ck_assert_int_ne(e->status, APR_EAGAIN);
    /* a discovery URL on plain http to a remote host is a config error */
    ck_assert_int_ne(itsme_metadata_get(c, p, &fast, "http://op.example/x", ISS, 0, TU_NOW,
                                        &md, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    apr_pool_destroy(p);
}
END_TEST

/* ------------------------------------------------------------------- cache */

#define HOUR apr_time_from_sec(3600)
#define TEN apr_time_from_sec(10)

typedef struct {
    apr_pool_t *p;
    itsme_cache_t *c;
    const char *body;  /* of the last successful fetch */
    int fetched;
    itsme_err_t *e;    /* of the last failed fetch */
} cfix_t;

/* One fetch; asserts success (want_ok) or failure and the network flag. */
static void cfetch(cfix_t *f, const char *url, int force, apr_interval_time_t max_age,
                   apr_interval_time_t min_interval, apr_time_t now, int want_ok,
                   int want_fetched)
{
    itsme_cache_policy_t pol = { max_age, min_interval, force };
    apr_size_t len = 0;
    f->body = NULL;
    f->e = NULL;
    f->fetched = -1;
    apr_status_t rv = itsme_cache_fetch(f->c, f->p, &fast, url, &pol, now, &f->body, &len,
                                        &f->fetched, &f->e);
    ck_assert_int_eq(rv == APR_SUCCESS, want_ok);
    ck_assert_int_eq(f->fetched, want_fetched);
    if (want_ok)
        ck_assert_uint_eq(len, strlen(f->body));
    else
        ck_assert_ptr_nonnull(f->e);
}

static void cfix_init(cfix_t *f)
{
    memset(f, 0, sizeof(*f));
    f->p = tu_pool();
    ck_assert_int_eq(itsme_cache_create(f->p, &f->c), APR_SUCCESS);
}

START_TEST(cache_hit_and_refresh)
{
    cfix_t f;
    cfix_init(&f);
    ck_assert_int_eq(itsme_cache_put(f.c, DEAD "doc", "{\"a\":1}", 7, TU_NOW), APR_SUCCESS);
    cfetch(&f, DEAD "doc", 0, HOUR, TEN, TU_NOW + HOUR - 1, 1, 0);
    ck_assert_str_eq(f.body, "{\"a\":1}");
    const char *b1 = f.body;
    cfetch(&f, DEAD "doc", 0, HOUR, TEN, TU_NOW, 1, 0);
    ck_assert_ptr_ne(b1, f.body); /* each reader gets its own copy */

    /* forced, but within min_interval: the cached copy, no network */
    cfetch(&f, DEAD "doc", 1, HOUR, TEN, TU_NOW + TEN - 1, 1, 0);
    ck_assert_str_eq(f.body, "{\"a\":1}");
    /* forced after min_interval: goes to the (closed) network */
    cfetch(&f, DEAD "doc", 1, HOUR, TEN, TU_NOW + TEN, 0, 1);
    ck_assert_int_eq(itsme_err_root_kind(f.e), ITSME_E_NETWORK);
    ck_assert(contains(f.e, f.p, "127.0.0.1"));
    /* that failed attempt counts: the old body is served within min_interval */
    cfetch(&f, DEAD "doc", 1, HOUR, TEN, TU_NOW + TEN + 1, 1, 0);
    ck_assert_str_eq(f.body, "{\"a\":1}");
    /* expired by max_age */
    cfetch(&f, DEAD "doc", 0, HOUR, TEN, TU_NOW + HOUR, 0, 1);
    ck_assert_int_eq(f.e->kind, ITSME_E_NETWORK);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(cache_failure_rate_limit)
{
    cfix_t f;
    cfix_init(&f);
    cfetch(&f, DEAD "new", 0, TEN, TEN, TU_NOW, 0, 1);
    ck_assert_int_eq(f.e->kind, ITSME_E_NETWORK);
    /* failed less than min_interval ago and no body: error without network */
    cfetch(&f, DEAD "new", 1, TEN, TEN, TU_NOW + TEN - 1, 0, 0);
    ck_assert_int_eq(f.e->status, APR_EAGAIN);
    ck_assert(contains(f.e, f.p, "not fetching"));
    cfetch(&f, DEAD "new", 0, TEN, TEN, TU_NOW + TEN, 0, 1);
    ck_assert_int_ne(f.e->status, APR_EAGAIN);
    /* the clock going backwards does not block the URL for ever */
    cfetch(&f, DEAD "new", 0, TEN, TEN, TU_NOW - TEN * 100, 0, 0);
    cfetch(&f, DEAD "new", 0, TEN, TEN, TU_NOW - TEN * 99, 0, 1);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(cache_invalidate_evict)
{
    cfix_t f;
    cfix_init(&f);
    ck_assert_int_eq(itsme_cache_put(f.c, DEAD "x", "abc", 3, TU_NOW), APR_SUCCESS);
    itsme_cache_invalidate(f.c, DEAD "x");
    itsme_cache_invalidate(f.c, DEAD "never-seen"); /* harmless */
    /* body gone; the put still counts as the last attempt for min_interval */
    cfetch(&f, DEAD "x", 0, HOUR, TEN, TU_NOW + 1, 0, 0);
    cfetch(&f, DEAD "x", 0, HOUR, 0, TU_NOW + 2, 0, 1);
    /* a replaced body */
    ck_assert_int_eq(itsme_cache_put(f.c, DEAD "x", "v2", 2, TU_NOW + 3), APR_SUCCESS);
    cfetch(&f, DEAD "x", 0, HOUR, TEN, TU_NOW + 4, 1, 0);
    ck_assert_str_eq(f.body, "v2");
    /* the entry count is bounded: the oldest URL is evicted */
    for (int i = 0; i < 40; i++) {
        const char *u = apr_psprintf(f.p, DEAD "e%d", i);
        ck_assert_int_eq(itsme_cache_put(f.c, u, "e", 1, TU_NOW + 10 + i), APR_SUCCESS);
    }
    cfetch(&f, DEAD "e39", 0, HOUR, HOUR, TU_NOW + 60, 1, 0);
    cfetch(&f, DEAD "e0", 0, HOUR, HOUR, TU_NOW + 60, 0, 1);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(http_refusals)
{
    apr_pool_t *p = tu_pool();
    itsme_http_resp_t *r = NULL;
    itsme_err_t *e = NULL;
    ck_assert_int_ne(itsme_http_get(p, &fast, "ftp://127.0.0.1/x", NULL, NULL, &r, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    ck_assert_int_ne(itsme_http_get(p, &fast, "file:///etc/passwd", NULL, NULL, &r, &e),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_http_get(p, &fast, DEAD, "tok\r\nX-Evil: 1", NULL, &r, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_INTERNAL);
    ck_assert_int_ne(itsme_http_get(p, NULL, DEAD "a?secret=1", "tok", "application/json", &r,
                                    &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_NETWORK);
    ck_assert(!contains(e, p, "secret"));
    ck_assert(!contains(e, p, "tok"));
    apr_table_t *form = apr_table_make(p, 2);
    apr_table_setn(form, "client_secret", "s3cr3t");
    ck_assert_int_ne(itsme_http_post_form(p, &fast, DEAD "token", form, "u", "p4ss", &r, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_NETWORK);
    ck_assert(!contains(e, p, "s3cr3t"));
    ck_assert(!contains(e, p, "p4ss"));
    ck_assert_ptr_null(r);
    apr_pool_destroy(p);
}
END_TEST

/* -------------------------------------------------------------------- jwks */

START_TEST(jwks_lookup_cached)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    itsme_err_t *e = NULL;
    const itsme_jwk_t *k = NULL;
    const itsme_jwk_t *keys[] = { tu_rsa_key(p, "k1", "sig"), tu_rsa_key(p, "k2", "sig"),
                                  tu_ec_key(p, "k3"), NULL };
    const char *doc = tu_jwks_json(p, keys);
    ck_assert_ptr_nonnull(keys[0]);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    ck_assert_int_eq(itsme_cache_put(c, DEAD "jwks", doc, strlen(doc), TU_NOW), APR_SUCCESS);
    itsme_jwks_source_t src = { c, &fast, DEAD "jwks", TU_NOW + apr_time_from_sec(5), 0, 0 };

    ck_assert_int_eq(itsme_jwks_lookup(&src, p, "k2", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "k2");
    ck_assert(!itsme_jwk_is_private(k));
    ck_assert_int_eq(itsme_jwks_lookup(&src, p, "k3", "ES256", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "k3");
    /* a kid that exists with the wrong key type */
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, "k3", "RS256", &k, &e), APR_SUCCESS);
    /* unknown kid within min_refetch: no network (else this would be NETWORK) */
    e = NULL;
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, "nope\n", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(contains(e, p, "no key for kid nope?"));
    /* no kid and two RSA keys: ambiguous */
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, NULL, "RS256", &k, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    /* no kid and one EC key: found */
    ck_assert_int_eq(itsme_jwks_lookup(&src, p, NULL, "ES256", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "k3");
    /* unknown kid after min_refetch: one refetch is tried */
    e = NULL;
    src.now = TU_NOW + ITSME_JWKS_MIN_REFETCH;
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, "rotated", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    /* ...and the failed attempt rate-limits the next one: known kids still work */
    ck_assert_int_eq(itsme_jwks_lookup(&src, p, "k1", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "k1");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(jwks_lookup_invalid)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    itsme_err_t *e = NULL;
    const itsme_jwk_t *k = NULL;
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    ck_assert_int_eq(itsme_cache_put(c, DEAD "bad", "[1]", 3, TU_NOW), APR_SUCCESS);
    itsme_jwks_source_t src = { c, &fast, DEAD "bad", TU_NOW + 1, 0, 0 };
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, "k1", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_OP);
    /* invalidated, and not refetched within min_refetch */
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, "k1", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_int_eq(e->status, APR_EAGAIN);
    itsme_jwks_source_t none = { NULL, NULL, NULL, TU_NOW, 0, 0 };
    ck_assert_int_ne(itsme_jwks_lookup(&none, p, "k1", "RS256", &k, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    src.jwks_uri = "http://op.example/jwks"; /* plain http to a remote host */
    ck_assert_int_ne(itsme_jwks_lookup(&src, p, "k1", "RS256", &k, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "jwks_uri must be https"));
    apr_pool_destroy(p);
}
END_TEST

/* ------------------------------------------------------------------- token */

static itsme_metadata_t *md_methods(apr_pool_t *p, const char *m1, const char *m2)
{
    itsme_metadata_t *md = apr_pcalloc(p, sizeof(*md));
    md->token_endpoint_auth_methods = apr_array_make(p, 2, sizeof(const char *));
    if (m1)
        APR_ARRAY_PUSH(md->token_endpoint_auth_methods, const char *) = m1;
    if (m2)
        APR_ARRAY_PUSH(md->token_endpoint_auth_methods, const char *) = m2;
    return md;
}

START_TEST(token_choose_auth)
{
    enum { N = ITSME_AUTH_NONE, B = ITSME_AUTH_CLIENT_SECRET_BASIC,
           P = ITSME_AUTH_CLIENT_SECRET_POST, K = ITSME_AUTH_PRIVATE_KEY_JWT };
    static const struct {
        const char *m1, *m2;
        int want[4]; /* index: have_secret + 2 * have_key */
    } t[] = {
        { NULL, NULL, { N, B, K, K } },                          /* nothing listed */
        { "client_secret_basic", NULL, { N, B, N, B } },
        { "client_secret_post", NULL, { N, P, N, P } },
        { "private_key_jwt", NULL, { N, N, K, K } },
        { "client_secret_post", "client_secret_basic", { N, B, N, B } },
        { "client_secret_post", "private_key_jwt", { N, P, K, K } },
        { "tls_client_auth", NULL, { N, N, N, N } },
    };
    apr_pool_t *p = tu_pool();
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        itsme_metadata_t *md = md_methods(p, t[i].m1, t[i].m2);
        for (int j = 0; j < 4; j++)
            ck_assert_msg((int)itsme_token_choose_auth(md, j & 1, j >> 1) == t[i].want[j],
                          "row %d case %d", (int)i, j);
    }
    ck_assert_int_eq(itsme_token_choose_auth(NULL, 1, 0), B);
    static const char *const names[] = { "none", "client_secret_basic", "client_secret_post",
                                         "private_key_jwt" };
    for (int j = 0; j < 4; j++) /* enum order: N B P K */
        ck_assert_str_eq(itsme_client_auth_name((itsme_client_auth_e)j), names[j]);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(token_exchange_refusals)
{
    apr_pool_t *p = tu_pool();
    itsme_token_resp_t *r = NULL;
    itsme_err_t *e = NULL;
    itsme_token_req_t req = { DEAD "token", CLIENT, ITSME_AUTH_CLIENT_SECRET_BASIC, NULL, NULL,
                              "code-1", "https://rp.example/cb", "verifier", TU_NOW };
    /* basic without a secret */
    ck_assert_int_ne(itsme_token_exchange(p, &fast, &req, &r, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    /* private_key_jwt without a key */
    req.auth = ITSME_AUTH_PRIVATE_KEY_JWT;
    ck_assert_int_ne(itsme_token_exchange(p, &fast, &req, &r, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    /* plain http to a remote token endpoint */
    req.auth = ITSME_AUTH_CLIENT_SECRET_POST;
    req.client_secret = "s3cr3t";
    req.token_endpoint = "http://op.example/token";
    ck_assert_int_ne(itsme_token_exchange(p, &fast, &req, &r, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    /* incomplete */
    req.token_endpoint = DEAD "token";
    req.code = NULL;
    ck_assert_int_ne(itsme_token_exchange(p, &fast, &req, &r, &e), APR_SUCCESS);
    /* well-formed, but nobody listens */
    req.code = "code-1";
    e = NULL;
    ck_assert_int_ne(itsme_token_exchange(p, &fast, &req, &r, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert(!contains(e, p, "s3cr3t"));
    ck_assert(!contains(e, p, "code-1"));
    /* private_key_jwt: the assertion is built and signed before the network fails */
    req.auth = ITSME_AUTH_PRIVATE_KEY_JWT;
    req.client_key = tu_rsa_key(p, "rp-sig", "sig");
    e = NULL;
    ck_assert_int_ne(itsme_token_exchange(p, &fast, &req, &r, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert_ptr_null(r);
    apr_pool_destroy(p);
}
END_TEST

/* ---------------------------------------------------------------- userinfo */

typedef struct {
    itsme_jwks_t *set;
    int calls;
} lookup_t;

static apr_status_t test_lookup(void *baton, apr_pool_t *p, const char *kid, const char *alg,
                                const itsme_jwk_t **key, itsme_err_t **err)
{
    lookup_t *l = baton;
    l->calls++;
    *key = itsme_jwks_find_verify_key(l->set, kid, alg);
    if (!*key)
        return itsme_err_make(p, err, ITSME_E_TOKEN, APR_NOTFOUND, "test: no key");
    return APR_SUCCESS;
}

typedef struct {
    apr_pool_t *p;
    lookup_t lk;
    itsme_userinfo_req_t req;
    const itsme_jwk_t *sig;  /* the OP's signing key (private) */
    const itsme_jwk_t *enc;  /* our encryption key (private) */
} ui_fix_t;

static void ui_setup(ui_fix_t *f)
{
    memset(f, 0, sizeof(*f));
    f->p = tu_pool();
    f->sig = tu_rsa_key(f->p, "op-sig", "sig");
    f->enc = tu_rsa_key(f->p, "rp-enc", "enc");
    ck_assert_ptr_nonnull(f->sig);
    ck_assert_ptr_nonnull(f->enc);
    const itsme_jwk_t *pub[] = { f->sig, NULL };
    const char *doc = tu_jwks_json(f->p, pub);
    ck_assert_int_eq(itsme_jwks_parse(f->p, doc, strlen(doc), &f->lk.set, NULL), APR_SUCCESS);
    apr_array_header_t *dk = apr_array_make(f->p, 1, sizeof(const itsme_jwk_t *));
    APR_ARRAY_PUSH(dk, const itsme_jwk_t *) = f->enc;
    f->req.expected_sub = "user-1";
    f->req.issuer = ISS;
    f->req.client_id = CLIENT;
    f->req.lookup = test_lookup;
    f->req.lookup_baton = &f->lk;
    f->req.decrypt_keys = dk;
}

static const char *sign(ui_fix_t *f, const itsme_jwk_t *k, const char *payload)
{
    const char *jws = NULL;
    itsme_err_t *e = NULL;
    ck_assert_int_eq(itsme_jws_sign(f->p, k, "RS256", "JWT", payload, strlen(payload), &jws,
                                    &e), APR_SUCCESS);
    return jws;
}

static const char *encrypt(ui_fix_t *f, const char *plain)
{
    const char *jwe = NULL;
    ck_assert_int_eq(itsme_jwe_encrypt(f->p, f->enc, "RSA-OAEP-256", "A128CBC-HS256", "JWT",
                                       plain, strlen(plain), &jwe, NULL), APR_SUCCESS);
    return jwe;
}

static apr_status_t ui_parse(ui_fix_t *f, const char *body, itsme_json_t **c, itsme_err_t **e)
{
    *c = NULL;
    *e = NULL;
    return itsme_userinfo_parse(f->p, body, strlen(body), &f->req, c, e);
}

START_TEST(ui_json)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    ck_assert_int_eq(ui_parse(&f, " \n{\"sub\":\"user-1\",\"name\":\"Jan\"}\r\n", &c, &e),
                     APR_SUCCESS);
    ck_assert_str_eq(itsme_json_get_string(c, "name"), "Jan");
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-2\"}", &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(contains(e, f.p, "userinfo sub mismatch"));
    ck_assert_ptr_null(c);
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-1 \"}", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "{\"name\":\"Jan\"}", &c, &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "no sub"));
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":7}", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-1\"", &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_OP);
    ck_assert_int_ne(ui_parse(&f, "[{\"sub\":\"user-1\"}]", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "  ", &c, &e), APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, "a.b", &c, &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "neither JSON nor a JWT"));
    /* the itsme profile requires encryption */
    f.req.require_encrypted = 1;
    ck_assert_int_ne(ui_parse(&f, "{\"sub\":\"user-1\"}", &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(contains(e, f.p, "encryption is required"));
    ck_assert_int_eq(f.lk.calls, 0);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_jws)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    const char *ok = sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"" ISS "\",\"aud\":[\"x\",\""
                                     CLIENT "\"],\"nin\":\"81042419835\"}");
    ck_assert_int_eq(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_json_get_string(c, "nin"), "81042419835");
    ck_assert_int_eq(f.lk.calls, 1);
    /* no iss/aud at all is fine */
    ck_assert_int_eq(ui_parse(&f, sign(&f, f.sig, "{\"sub\":\"user-1\"}"), &c, &e),
                     APR_SUCCESS);

    /* signed by another key carrying the same kid */
    itsme_jwk_t *evil = NULL;
    const char *pem = tu_rsa_pem(f.p, "evil");
    ck_assert_int_eq(itsme_jwk_from_pem(f.p, pem, strlen(pem), "op-sig", "sig", &evil, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, sign(&f, evil, "{\"sub\":\"user-1\"}"), &c, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert_ptr_null(c);
    /* signed by an unknown kid */
    ck_assert_int_ne(ui_parse(&f, sign(&f, tu_rsa_key(f.p, "evil", "sig"),
                                       "{\"sub\":\"user-1\"}"), &c, &e), APR_SUCCESS);
    /* tampered payload */
    char *t = apr_pstrdup(f.p, ok);
    char *dot = strchr(t, '.') + 1;
    *dot = *dot == 'e' ? 'f' : 'e';
    ck_assert_int_ne(ui_parse(&f, t, &c, &e), APR_SUCCESS);
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_jws_claims)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    const char *ok = sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"" ISS "\"}");
    /* wrong iss, wrong aud, sub mismatch, payload not an object */
    ck_assert_int_ne(ui_parse(&f, sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"https://x\"}"),
                              &c, &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "iss mismatch"));
    ck_assert_int_ne(ui_parse(&f, sign(&f, f.sig, "{\"sub\":\"user-1\",\"aud\":\"other\"}"),
                              &c, &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "aud"));
    ck_assert_int_ne(ui_parse(&f, sign(&f, f.sig, "{\"sub\":\"user-1\",\"aud\":5}"), &c, &e),
                     APR_SUCCESS);
    ck_assert_int_ne(ui_parse(&f, sign(&f, f.sig, "{\"sub\":\"user-9\"}"), &c, &e),
                     APR_SUCCESS);
    ck_assert(contains(e, f.p, "userinfo sub mismatch"));
    ck_assert_int_ne(ui_parse(&f, sign(&f, f.sig, "[1]"), &c, &e), APR_SUCCESS);
    ck_assert_int_eq(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    /* alg outside the allow-list: refused before any key lookup */
    static const char *const ps_only[] = { "PS256", NULL };
    int calls = f.lk.calls;
    f.req.allowed_algs = ps_only;
    ck_assert_int_ne(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    ck_assert_int_eq(f.lk.calls, calls);
    f.req.allowed_algs = NULL;
    /* encryption required: a bare JWS is refused */
    f.req.require_encrypted = 1;
    ck_assert_int_ne(ui_parse(&f, ok, &c, &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "not encrypted"));
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_jwe)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    f.req.require_encrypted = 1;
    const char *jws = sign(&f, f.sig, "{\"sub\":\"user-1\",\"iss\":\"" ISS "\",\"aud\":\""
                                      CLIENT "\",\"birthdate\":\"1981-04-24\"}");
    ck_assert_int_eq(ui_parse(&f, encrypt(&f, jws), &c, &e), APR_SUCCESS);
    ck_assert_str_eq(itsme_json_get_string(c, "birthdate"), "1981-04-24");
    /* A JWE wrapping plain JSON: anyone can encrypt to our key */
    ck_assert_int_ne(ui_parse(&f, encrypt(&f, "{\"sub\":\"user-1\"}"), &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert(contains(e, f.p, "does not wrap a signed JWT"));
    /* a JWE wrapping a JWS from a stranger */
    const char *forged = sign(&f, tu_rsa_key(f.p, "evil", "sig"), "{\"sub\":\"user-1\"}");
    ck_assert_int_ne(ui_parse(&f, encrypt(&f, forged), &c, &e), APR_SUCCESS);
    /* a JWE wrapping a valid JWS for another user */
    ck_assert_int_ne(ui_parse(&f, encrypt(&f, sign(&f, f.sig, "{\"sub\":\"user-2\"}")), &c,
                              &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "userinfo sub mismatch"));
    /* tampered ciphertext */
    char *t = apr_pstrdup(f.p, encrypt(&f, jws));
    char *last = strrchr(t, '.') - 2;
    *last = *last == 'A' ? 'B' : 'A';
    ck_assert_int_ne(ui_parse(&f, t, &c, &e), APR_SUCCESS);
    /* no decryption key configured */
    f.req.decrypt_keys = NULL;
    ck_assert_int_ne(ui_parse(&f, encrypt(&f, jws), &c, &e), APR_SUCCESS);
    ck_assert(contains(e, f.p, "no decryption key"));
    apr_pool_destroy(f.p);
}
END_TEST

START_TEST(ui_fetch_refusals)
{
    ui_fix_t f;
    itsme_json_t *c = NULL;
    itsme_err_t *e = NULL;
    ui_setup(&f);
    f.req.endpoint = "http://op.example/userinfo";
    f.req.access_token = "at-secret";
    ck_assert_int_ne(itsme_userinfo_fetch(f.p, &fast, &f.req, &c, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    f.req.endpoint = DEAD "userinfo";
    e = NULL;
    ck_assert_int_ne(itsme_userinfo_fetch(f.p, &fast, &f.req, &c, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert(!contains(e, f.p, "at-secret"));
    f.req.access_token = NULL;
    ck_assert_int_ne(itsme_userinfo_fetch(f.p, &fast, &f.req, &c, &e), APR_SUCCESS);
    ck_assert_ptr_null(c);
    apr_pool_destroy(f.p);
}
END_TEST

Suite *itsme_suite_metadata(void)
{
    Suite *s = suite_create("metadata");
    TCase *md = tcase_create("metadata");
    tcase_add_test(md, md_valid);
    tcase_add_test(md, md_issuer_mismatch);
    tcase_add_test(md, md_missing);
    tcase_add_test(md, md_endpoint_scheme);
    tcase_add_test(md, md_bad_shapes);
    tcase_add_test(md, md_get_cached);
    suite_add_tcase(s, md);

    TCase *cache = tcase_create("cache");
    tcase_add_test(cache, cache_hit_and_refresh);
    tcase_add_test(cache, cache_failure_rate_limit);
    tcase_add_test(cache, cache_invalidate_evict);
    tcase_add_test(cache, http_refusals);
    suite_add_tcase(s, cache);

    TCase *keys = tcase_create("jwks_token");
    tcase_set_timeout(keys, 30);
    tcase_add_test(keys, jwks_lookup_cached);
    tcase_add_test(keys, jwks_lookup_invalid);
    tcase_add_test(keys, token_choose_auth);
    tcase_add_test(keys, token_exchange_refusals);
    suite_add_tcase(s, keys);

    TCase *ui = tcase_create("userinfo");
    tcase_set_timeout(ui, 30);
    tcase_add_test(ui, ui_json);
    tcase_add_test(ui, ui_jws);
    tcase_add_test(ui, ui_jws_claims);
    tcase_add_test(ui, ui_jwe);
    tcase_add_test(ui, ui_fetch_refusals);
    suite_add_tcase(s, ui);
    return s;
}
