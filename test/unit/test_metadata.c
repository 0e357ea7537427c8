/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_metadata.c: discovery, document cache, JWKS lookup, token client auth,
 * HTTP client refusals (UserInfo parsing is in test_id_token.c). No live OP:
 * a closed loopback port (127.0.0.1:9) shows whether a fetch was attempted. */
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

#define ISS "https://op.example/v2"
#define DEAD "http://127.0.0.1:9/"
#define CLIENT "client-1"

static const itsme_http_opts_t fast = { 2000, 0, NULL, NULL, NULL };

static int contains(const itsme_err_t *e, apr_pool_t *p, const char *needle)
{
    return e && strstr(itsme_err_str(p, e), needle) != NULL;
}

/* ---------------------------------------------------------------- metadata */

#define DISCO ISS "/.well-known/openid-configuration"
#define LOCAL "http://127.0.0.1:9400"

/* itsme_metadata_parse of a NUL-terminated document fetched from disco. */
static apr_status_t parse(apr_pool_t *p, const char *doc, const char *iss, const char *disco,
                          itsme_metadata_t **md, itsme_err_t **e)
{
    return itsme_metadata_parse(p, doc, strlen(doc), iss, disco, md, e);
}

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
    ck_assert_int_eq(parse(p, doc, ISS, NULL, &md, &e), APR_SUCCESS);
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
    ck_assert_int_eq(parse(p, doc, NULL, NULL, &md, &e), APR_SUCCESS);
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
    ck_assert_int_ne(parse(p, doc, ISS "/", NULL, &md, &e), APR_SUCCESS);
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
        ck_assert_int_ne(parse(p, doc, NULL, NULL, &md, &e), APR_SUCCESS);
        ck_assert_int_eq(e->kind, ITSME_E_OP);
        ck_assert_msg(contains(e, p, apr_pstrcat(p, "missing ", req[i], NULL)), "%s",
                      itsme_err_str(p, e));
        /* present but not a string */
        e = NULL;
        doc = doc_with(p, NULL, req[i], "42");
        ck_assert_int_ne(parse(p, doc, NULL, NULL, &md, &e), APR_SUCCESS);
        ck_assert(contains(e, p, req[i]));
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_endpoint_scheme)
{
    /* the full URL policy is in test_url.c; here: every field, each discovery URL */
    static const char *const val[] = { "\"http://op.example/t\"", "\"https://op.example/ t\"",
                                       "\"https://op.example/t\\r\\nX:1\"",
                                       "\"http://127.0.0.1:8080/t\"", "\"http://[::1]:6379/t\"",
                                       NULL }; /* the last two: local */
    static const char *const field[] = { "issuer", "authorization_endpoint", "token_endpoint",
                                         "jwks_uri", "userinfo_endpoint",
                                         "end_session_endpoint", NULL };
    static const char *const disco[] = { NULL, DISCO, "https://localhost:8443/x",
                                         LOCAL "/.well-known/openid-configuration" };
    apr_pool_t *p = tu_pool();
    itsme_metadata_t *md = NULL;
    itsme_err_t *e;
    for (int f = 0; field[f]; f++)
        for (int i = 0; val[i]; i++)
            for (int d = 0; d < 4; d++) {
                e = NULL;
                apr_status_t rv = parse(p, doc_with(p, NULL, field[f], val[i]), NULL, disco[d],
                                        &md, &e);
                ck_assert_msg((rv == APR_SUCCESS) == (i >= 3 && d >= 2), "%s=%s from %s",
                              field[f], val[i], disco[d] ? disco[d] : "NULL");
                if (rv == APR_SUCCESS)
                    continue;
                ck_assert_int_eq(e->kind, ITSME_E_OP);
                ck_assert(contains(e, p, apr_pstrcat(p, field[f], " must be https", NULL)));
                ck_assert_ptr_null(strpbrk(itsme_err_str(p, e), "\r\n"));
            }

    /* a local test OP on plain http; the same document from a remote URL */
    const char *doc = "{\"issuer\":\"" LOCAL "\",\"authorization_endpoint\":\"" LOCAL "/auth\","
                      "\"token_endpoint\":\"" LOCAL "/token\","
                      "\"jwks_uri\":\"http://localhost:9400/jwks\"}";
    ck_assert_int_eq(parse(p, doc, LOCAL, LOCAL "/.well-known/x", &md, &e), APR_SUCCESS);
    ck_assert_str_eq(md->token_endpoint, LOCAL "/token");
    e = NULL;
    ck_assert_int_ne(parse(p, doc, LOCAL, DISCO, &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "issuer must be https (the discovery URL is not a loopback"));
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
        ck_assert_int_ne(parse(p, notobj[i], NULL, NULL, &md, &e), APR_SUCCESS);
        ck_assert_int_eq(e->kind, ITSME_E_OP);
        ck_assert(contains(e, p, "not a JSON object"));
    }
    const char *doc = doc_with(p, NULL, "token_endpoint_auth_methods_supported", "5");
    ck_assert_int_ne(parse(p, doc, NULL, NULL, &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "token_endpoint_auth_methods_supported is not an array"));
    doc = doc_with(p, NULL, "require_signed_request_object", "\"yes\"");
    ck_assert_int_ne(parse(p, doc, NULL, NULL, &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "require_signed_request_object"));
    /* a lone string counts as a one-element list */
    doc = doc_with(p, NULL, "token_endpoint_auth_methods_supported", "\"private_key_jwt\"");
    ck_assert_int_eq(parse(p, doc, NULL, NULL, &md, &e), APR_SUCCESS);
    ck_assert_int_eq(md->token_endpoint_auth_methods->nelts, 1);
    apr_pool_destroy(p);
}
END_TEST

/* itsme_metadata_get with a 600 s TTL, at TU_NOW + sec. */
static apr_status_t mget(itsme_cache_t *c, apr_pool_t *p, const char *url, const char *iss,
                         int sec, itsme_metadata_t **md, itsme_err_t **e)
{
    *e = NULL;
    return itsme_metadata_get(c, p, &fast, url, iss, apr_time_from_sec(600),
                              TU_NOW + apr_time_from_sec(sec), md, e);
}

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
    ck_assert_int_eq(mget(c, p, url, ISS, 60, &md, &e), APR_SUCCESS);
    ck_assert_str_eq(md->jwks_uri, ISS "/jwkSet");
    /* a cached document with the wrong issuer: refused and invalidated */
    ck_assert_int_ne(mget(c, p, url, "https://other.example", 61, &md, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "issuer mismatch"));
    /* the next call refetches (closed port: a real attempt fails)... */
    ck_assert_int_ne(mget(c, p, url, ISS, 62, &md, &e), APR_SUCCESS);
    ck_assert_int_eq(itsme_err_root_kind(e), ITSME_E_NETWORK);
    ck_assert_int_ne(e->status, APR_EAGAIN);
    /* ...and the one after, within min_interval (10 s), does not go to the network */
    ck_assert_int_ne(mget(c, p, url, ISS, 71, &md, &e), APR_SUCCESS);
    ck_assert_int_eq(e->status, APR_EAGAIN);
    ck_assert_int_ne(mget(c, p, url, ISS, 72, &md, &e), APR_SUCCESS);
    ck_assert_int_ne(e->status, APR_EAGAIN);
    /* a discovery URL on plain http to a remote host is a config error */
    ck_assert_int_ne(mget(c, p, "http://op.example/x", ISS, 0, &md, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(md_get_parses_once)
{
    apr_pool_t *p = tu_pool(), *r1 = NULL;
    itsme_cache_t *c = NULL;
    itsme_metadata_t *a = NULL, *b = NULL;
    itsme_err_t *e = NULL;
    const char *doc = doc_with(p, NULL, NULL, NULL);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    ck_assert_int_eq(itsme_cache_put(c, DISCO, doc, strlen(doc), TU_NOW), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&r1, p), APR_SUCCESS);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mget(c, i ? p : r1, DISCO, ISS, i, i ? &b : &a, &e), APR_SUCCESS);
    ck_assert_uint_eq(itsme_cache_builds(c, DISCO), 1);
    /* each reader has its own copy, which outlives the next reader's changes */
    ck_assert_ptr_ne(a->token_endpoint, b->token_endpoint);
    ck_assert_ptr_ne(a->scopes_supported, b->scopes_supported);
    APR_ARRAY_PUSH(a->scopes_supported, const char *) = "mine";
    apr_pool_destroy(r1);
    ck_assert_int_eq(mget(c, p, DISCO, ISS, 3, &a, &e), APR_SUCCESS);
    ck_assert_int_eq(a->scopes_supported->nelts, 2);
    ck_assert_str_eq(b->token_endpoint, ISS "/token");
    ck_assert_str_eq(APR_ARRAY_IDX(b->scopes_supported, 1, const char *), "service:X");
    /* a new body is parsed once more; a remote OP's loopback endpoint is refused */
    doc = doc_with(p, NULL, "jwks_uri", "\"http://127.0.0.1:6379/\"");
    ck_assert_int_eq(itsme_cache_put(c, DISCO, doc, strlen(doc), TU_NOW + 4), APR_SUCCESS);
    ck_assert_int_ne(mget(c, p, DISCO, ISS, 5, &a, &e), APR_SUCCESS);
    ck_assert(contains(e, p, "jwks_uri must be https"));
    ck_assert_uint_eq(itsme_cache_builds(c, DISCO), 2);
    /* dropped: no rebuild, and no fetch within min_interval */
    ck_assert_int_ne(mget(c, p, DISCO, ISS, 6, &a, &e), APR_SUCCESS);
    ck_assert_int_eq(e->status, APR_EAGAIN);
    ck_assert_uint_eq(itsme_cache_builds(c, DISCO), 2);
    ck_assert_str_eq(b->jwks_uri, ISS "/jwkSet");
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

/* Derivers for cache_derived: the body's length, tagged by who built it. */
static apr_status_t build_len(apr_pool_t *keep, apr_pool_t *p, const char *url,
                              const char *body, apr_size_t len, void **value,
                              itsme_err_t **err)
{
    (void)p, (void)url, (void)err;
    *value = apr_psprintf(keep, "A%d:%s", (int)len, body);
    return APR_SUCCESS;
}

static apr_status_t build_other(apr_pool_t *keep, apr_pool_t *p, const char *url,
                                const char *body, apr_size_t len, void **value,
                                itsme_err_t **err)
{
    if (!strcmp(body, "bad"))
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL, "refused %s", url);
    *value = apr_psprintf(keep, "B%d", (int)len);
    return APR_SUCCESS;
}

static void *copy_str(apr_pool_t *p, const void *v)
{
    return apr_pstrdup(p, v);
}

static const char *cderive(cfix_t *f, const itsme_cache_deriver_t *d, apr_time_t now)
{
    itsme_cache_policy_t pol = { HOUR, TEN, 0 };
    void *v = NULL;
    f->e = NULL;
    if (itsme_cache_fetch_derived(f->c, f->p, &fast, DEAD "d", &pol, now, d, &v, &f->fetched,
                                  &f->e) != APR_SUCCESS)
        return NULL;
    return v;
}

START_TEST(cache_derived)
{
    static const itsme_cache_deriver_t a = { build_len, copy_str }, b = { build_other, copy_str };
    cfix_t f;
    cfix_init(&f);
    ck_assert_int_eq(itsme_cache_put(f.c, DEAD "d", "body", 4, TU_NOW), APR_SUCCESS);
    const char *v1 = cderive(&f, &a, TU_NOW + 1), *v2 = cderive(&f, &a, TU_NOW + 2);
    ck_assert_str_eq(v1, "A4:body");
    ck_assert_ptr_ne(v1, v2); /* copies */
    ck_assert_uint_eq(itsme_cache_builds(f.c, DEAD "d"), 1);
    /* another deriver on the same URL replaces the value; the plain body stays */
    ck_assert_str_eq(cderive(&f, &b, TU_NOW + 3), "B4");
    ck_assert_str_eq(cderive(&f, &a, TU_NOW + 4), "A4:body");
    ck_assert_uint_eq(itsme_cache_builds(f.c, DEAD "d"), 3);
    cfetch(&f, DEAD "d", 0, HOUR, TEN, TU_NOW + 5, 1, 0);
    ck_assert_str_eq(f.body, "body");
    /* a new body is built again */
    ck_assert_int_eq(itsme_cache_put(f.c, DEAD "d", "bad", 3, TU_NOW + 6), APR_SUCCESS);
    ck_assert_str_eq(cderive(&f, &a, TU_NOW + 7), "A3:bad");
    /* a failed build drops the body: no network within min_interval, then one try */
    ck_assert_ptr_null(cderive(&f, &b, TU_NOW + 8));
    ck_assert(contains(f.e, f.p, "refused " DEAD "d"));
    ck_assert_uint_eq(itsme_cache_builds(f.c, DEAD "d"), 5);
    ck_assert_ptr_null(cderive(&f, &a, TU_NOW + 9));
    ck_assert_int_eq(f.e->status, APR_EAGAIN);
    ck_assert_int_eq(f.fetched, 0);
    ck_assert_ptr_null(cderive(&f, &a, TU_NOW + 6 + TEN));
    ck_assert_int_eq(itsme_err_root_kind(f.e), ITSME_E_NETWORK);
    ck_assert_int_eq(f.fetched, 1);
    ck_assert_uint_eq(itsme_cache_builds(f.c, DEAD "d"), 5);
    ck_assert_uint_eq(itsme_cache_builds(f.c, DEAD "never"), 0);
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
    tcase_add_test(md, md_get_parses_once);
    suite_add_tcase(s, md);

    TCase *cache = tcase_create("cache");
    tcase_add_test(cache, cache_hit_and_refresh);
    tcase_add_test(cache, cache_failure_rate_limit);
    tcase_add_test(cache, cache_invalidate_evict);
    tcase_add_test(cache, cache_derived);
    tcase_add_test(cache, http_refusals);
    suite_add_tcase(s, cache);

    TCase *keys = tcase_create("jwks_token");
    tcase_set_timeout(keys, 30);
    tcase_add_test(keys, jwks_lookup_cached);
    tcase_add_test(keys, jwks_lookup_invalid);
    tcase_add_test(keys, token_choose_auth);
    tcase_add_test(keys, token_exchange_refusals);
    suite_add_tcase(s, keys);

    return s;
}
