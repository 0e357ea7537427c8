/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_cache.c: the document cache and JWKS lookup against a live loopback
 * server (a thread in this process) that counts requests per path and can
 * hold requests to /slow*: per-URL locking (a hanging URL does not block
 * another), single flight, Cache-Control max-age, and JWKS key rotation
 * (a new kid right after an unknown one; a key replaced under the same kid).
 * Clocks are injected; nothing waits on wall time except the held request. */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/cache.h"
#include "core/counters.h"
#include "core/http_client.h"
#include "core/proto/jwks.h"

#define SEC(n) apr_time_from_sec(n)
#define MAX_PATHS 8

typedef struct {
    int fd, port, stop, active, held;
    int hold;                  /* requests to /slow* wait while set */
    pthread_t accepter;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *jwks;          /* body of /jwks (static or test-pool memory) */
    const char *cc;            /* Cache-Control of /jwks, or NULL */
    char paths[MAX_PATHS][32];
    int hits[MAX_PATHS];
} srv_t;

static const itsme_http_opts_t opts = { 10000, 0, NULL, NULL, NULL };

/* Counts a request for path (caller holds mu). */
static void count(srv_t *s, const char *path)
{
    for (int i = 0; i < MAX_PATHS; i++) {
        if (!s->paths[i][0])
            apr_cpystrn(s->paths[i], path, sizeof(s->paths[i]));
        if (!strcmp(s->paths[i], path)) {
            s->hits[i]++;
            return;
        }
    }
}

static int hits(srv_t *s, const char *path)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < MAX_PATHS; i++)
        if (!strcmp(s->paths[i], path))
            n = s->hits[i];
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* The request's path, read up to the end of the head (bounded). */
static void read_path(int fd, char *path, size_t max)
{
    char buf[2048];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    buf[n] = '\0';
    const char *sp = strchr(buf, ' ');
    size_t len = sp ? strcspn(sp + 1, " ") : 0;
    apr_cpystrn(path, sp ? sp + 1 : "/", len + 1 < max ? len + 1 : max);
}

static void *serve_one(void *arg)
{
    void **a = arg;
    srv_t *s = a[0];
    int fd = (int)(intptr_t)a[1];
    char path[32], head[256];
    const char *body = "{}", *cc = NULL;
    free(arg);
    read_path(fd, path, sizeof(path));
    pthread_mutex_lock(&s->mu);
    count(s, path);
    if (!strncmp(path, "/slow", 5)) {
        s->held++;
        pthread_cond_broadcast(&s->cv);
        while (s->hold && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        s->held--;
    }
    if (!strcmp(path, "/jwks")) {
        body = s->jwks ? s->jwks : "{\"keys\":[]}";
        cc = s->cc;
    }
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%s%s%s"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             cc ? "Cache-Control: " : "", cc ? cc : "", cc ? "\r\n" : "", strlen(body));
    body = strdup(body);
    pthread_mutex_unlock(&s->mu);
    ck_assert(write(fd, head, strlen(head)) > 0);
    ck_assert(write(fd, body, strlen(body)) >= 0);
    free((void *)body);
    close(fd);
    pthread_mutex_lock(&s->mu);
    s->active--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void *accept_loop(void *arg)
{
    srv_t *s = arg;
    for (;;) {
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        void **a = malloc(2 * sizeof(void *));
        pthread_t t;
        a[0] = s;
        a[1] = (void *)(intptr_t)fd;
        pthread_mutex_lock(&s->mu);
        s->active++;
        pthread_mutex_unlock(&s->mu);
        ck_assert_int_eq(pthread_create(&t, NULL, serve_one, a), 0);
        pthread_detach(t);
    }
}

static void srv_start(srv_t *s)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->fd, 0);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(s->fd, 16), 0);
    ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&s->accepter, NULL, accept_loop, s), 0);
}

static void srv_stop(srv_t *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->accepter, NULL);
    pthread_mutex_lock(&s->mu);
    while (s->active)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

static void srv_set(srv_t *s, const char *jwks, const char *cc)
{
    pthread_mutex_lock(&s->mu);
    s->jwks = jwks;
    s->cc = cc;
    pthread_mutex_unlock(&s->mu);
}

static const char *url_of(apr_pool_t *p, const srv_t *s, const char *path)
{
    return apr_psprintf(p, "http://127.0.0.1:%d%s", s->port, path);
}

/* ------------------------------------------------------------ Cache-Control */

START_TEST(cc_parse)
{
    ck_assert_int_eq(itsme_cache_control_max_age(NULL), -1);
    ck_assert_int_eq(itsme_cache_control_max_age(""), -1);
    ck_assert_int_eq(itsme_cache_control_max_age("public"), -1);
    ck_assert_int_eq(itsme_cache_control_max_age("max-age=120"), SEC(120));
    ck_assert_int_eq(itsme_cache_control_max_age("public, MAX-AGE=7 , x"), SEC(7));
    ck_assert_int_eq(itsme_cache_control_max_age("no-cache, max-age=600"), 0);
    ck_assert_int_eq(itsme_cache_control_max_age("max-age=600, no-store"), 0);
    ck_assert_int_eq(itsme_cache_control_max_age("max-age=abc"), -1);
    ck_assert_int_eq(itsme_cache_control_max_age("max-age=12x"), -1);
    ck_assert_int_eq(itsme_cache_control_max_age("s-maxage=5"), -1);
    /* huge values saturate instead of overflowing */
    ck_assert_int_gt(itsme_cache_control_max_age("max-age=99999999999999999999999"), 0);
}
END_TEST

static int jwks_fetch(apr_pool_t *p, itsme_cache_t *c, const char *url, apr_time_t now)
{
    itsme_cache_policy_t pol = { SEC(3600), SEC(10), 0 };
    const char *body = NULL;
    itsme_err_t *e = NULL;
    int fetched = -1;
    ck_assert_int_eq(itsme_cache_fetch(c, p, &opts, url, &pol, now, &body, NULL, &fetched, &e),
                     APR_SUCCESS);
    return fetched;
}

START_TEST(cc_honoured_within_bounds)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    srv_t s;
    srv_start(&s);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    const char *u = url_of(p, &s, "/jwks");
    srv_set(&s, "{\"keys\":[]}", "public, max-age=120");
    ck_assert_int_eq(jwks_fetch(p, c, u, TU_NOW), 1);
    ck_assert_int_eq(jwks_fetch(p, c, u, TU_NOW + SEC(119)), 0);
    ck_assert_int_eq(jwks_fetch(p, c, u, TU_NOW + SEC(120)), 1); /* not the hour */
    /* max-age=0 / no-cache: kept for the floor, not refetched per request */
    srv_set(&s, "{\"keys\":[]}", "no-cache");
    ck_assert_int_eq(jwks_fetch(p, c, u, TU_NOW + SEC(240)), 1);
    ck_assert_int_eq(jwks_fetch(p, c, u, TU_NOW + SEC(240) + ITSME_CACHE_CC_FLOOR - 1), 0);
    ck_assert_int_eq(jwks_fetch(p, c, u, TU_NOW + SEC(240) + ITSME_CACHE_CC_FLOOR), 1);
    /* a day asked for: still the policy's hour at most */
    apr_time_t t = TU_NOW + SEC(1000);
    srv_set(&s, "{\"keys\":[]}", "max-age=86400");
    ck_assert_int_eq(jwks_fetch(p, c, u, t), 1);
    ck_assert_int_eq(jwks_fetch(p, c, u, t + SEC(3599)), 0);
    ck_assert_int_eq(jwks_fetch(p, c, u, t + SEC(3600)), 1);
    ck_assert_int_eq(hits(&s, "/jwks"), 6);
    srv_stop(&s);
    apr_pool_destroy(p);
}
END_TEST

/* ------------------------------------------------------- locking, single flight */

typedef struct {
    itsme_cache_t *c;
    const char *url;
    apr_status_t rv;
    int fetched;
} fetcher_t;

static void *fetch_thread(void *arg)
{
    fetcher_t *f = arg;
    apr_pool_t *p = tu_pool();
    itsme_cache_policy_t pol = { SEC(3600), SEC(10), 0 };
    const char *body = NULL;
    itsme_err_t *e = NULL;
    f->rv = itsme_cache_fetch(f->c, p, &opts, f->url, &pol, TU_NOW, &body, NULL, &f->fetched,
                              &e);
    apr_pool_destroy(p);
    return NULL;
}

/* Waits until n requests to /slow* are held by the server. */
static void wait_held(srv_t *s, int n)
{
    pthread_mutex_lock(&s->mu);
    while (s->held < n)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

START_TEST(slow_url_does_not_block_others)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    srv_t s;
    pthread_t t[3];
    srv_start(&s);
    s.hold = 1;
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    fetcher_t slow[3] = { { c, url_of(p, &s, "/slow"), -1, -1 },
                          { c, url_of(p, &s, "/slow"), -1, -1 },
                          { c, url_of(p, &s, "/slow"), -1, -1 } };
    ck_assert_int_eq(pthread_create(&t[0], NULL, fetch_thread, &slow[0]), 0);
    wait_held(&s, 1);
    for (int i = 1; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, fetch_thread, &slow[i]), 0);
    /* while /slow hangs, another URL is fetched (with one cache lock for
     * all, this call would wait for the held request: the test times out) */
    ck_assert_int_eq(jwks_fetch(p, c, url_of(p, &s, "/fast"), TU_NOW), 1);
    ck_assert_int_eq(jwks_fetch(p, c, url_of(p, &s, "/fast"), TU_NOW), 0);
    pthread_mutex_lock(&s.mu);
    s.hold = 0;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(slow[i].rv, APR_SUCCESS);
    }
    /* the callers of /slow shared one fetch */
    ck_assert_int_eq(hits(&s, "/slow"), 1);
    ck_assert_int_eq(slow[0].fetched + slow[1].fetched + slow[2].fetched, 1);
    ck_assert_int_eq(hits(&s, "/fast"), 1);
    srv_stop(&s);
    apr_pool_destroy(p);
}
END_TEST

/* ---------------------------------------------------------------- rotation */

/* A JWKS with the public halves of a and b (b may be NULL). */
static const char *set_of(apr_pool_t *p, const itsme_jwk_t *a, const itsme_jwk_t *b)
{
    const itsme_jwk_t *keys[] = { a, b, NULL };
    return tu_jwks_json(p, keys);
}

static apr_status_t find(apr_pool_t *p, itsme_jwks_source_t *src, apr_time_t at,
                         const char *kid, const itsme_jwk_t **k)
{
    itsme_err_t *e = NULL;
    src->now = at;
    *k = NULL;
    return itsme_jwks_lookup(src, p, kid, "RS256", k, &e);
}

START_TEST(rotation_after_unknown_kid)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    const itsme_jwk_t *k = NULL;
    srv_t s;
    srv_start(&s);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    srv_set(&s, set_of(p, tu_rsa_key(p, "old", "sig"), NULL), NULL);
    itsme_jwks_source_t src = { c, &opts, url_of(p, &s, "/jwks"), TU_NOW, 0, 0 };
    ck_assert_int_eq(find(p, &src, TU_NOW, "old", &k), APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 1);
    /* a made-up kid: one refetch; the same kid again: remembered, no refetch */
    ck_assert_int_ne(find(p, &src, TU_NOW + SEC(60), "made-up", &k), APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 2);
    ck_assert_int_ne(find(p, &src, TU_NOW + SEC(80), "made-up", &k), APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 2);
    /* the OP rotates: its new kid is fetched for once the per-URL cap allows
     * (10 s), not a long window after the made-up kid */
    srv_set(&s, set_of(p, tu_rsa_key(p, "old", "sig"), tu_rsa_key(p, "new", "sig")), NULL);
    ck_assert_int_ne(find(p, &src, TU_NOW + SEC(60) + ITSME_JWKS_MIN_REFETCH - 1, "new", &k),
                     APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 2);
    ck_assert_int_eq(find(p, &src, TU_NOW + SEC(60) + ITSME_JWKS_MIN_REFETCH, "new", &k),
                     APR_SUCCESS);
    ck_assert_str_eq(itsme_jwk_kid(k), "new");
    ck_assert_int_eq(hits(&s, "/jwks"), 3);
    /* the made-up kid's memory fades after a while */
    ck_assert_int_ne(find(p, &src, TU_NOW + SEC(60) + ITSME_JWKS_KID_MEMORY, "made-up", &k),
                     APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 4);
    /* many made-up kids: at most one refetch per ITSME_JWKS_MIN_REFETCH */
    apr_time_t t = TU_NOW + SEC(1000);
    for (int i = 0; i < 50; i++)
        find(p, &src, t + SEC(i / 10), apr_psprintf(p, "fake-%d", i), &k);
    ck_assert_int_eq(hits(&s, "/jwks"), 5);
    srv_stop(&s);
    apr_pool_destroy(p);
}
END_TEST

/* With a counter block in the HTTP options: every call to the OP counted
 * and timed, a forced JWKS refetch counted as such, a failed call as an
 * error. */
START_TEST(fetches_counted)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    const itsme_jwk_t *k = NULL;
    itsme_counters_t ctr;
    itsme_http_opts_t o = opts;
    itsme_http_resp_t *resp = NULL;
    itsme_err_t *e = NULL;
    srv_t s;
    memset(&ctr, 0, sizeof(ctr));
    o.counters = &ctr;
    srv_start(&s);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    srv_set(&s, set_of(p, tu_rsa_key(p, "old", "sig"), NULL), NULL);
    itsme_jwks_source_t src = { c, &o, url_of(p, &s, "/jwks"), TU_NOW, 0, 0 };
    ck_assert_int_eq(find(p, &src, TU_NOW, "old", &k), APR_SUCCESS);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_OP_FETCHES), 1);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_JWKS_REFETCHES), 0);
    ck_assert_int_ne(find(p, &src, TU_NOW + SEC(60), "made-up", &k), APR_SUCCESS);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_OP_FETCHES), 2);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_JWKS_REFETCHES), 1);
    ck_assert_int_ne(find(p, &src, TU_NOW + SEC(80), "made-up", &k), APR_SUCCESS);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_JWKS_REFETCHES), 1); /* remembered */
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_OP_FETCH_ERRORS), 0);
    ck_assert_uint_ge(itsme_counters_get(&ctr, ITSME_CTR_OP_FETCH_USEC),
                      itsme_counters_get(&ctr, ITSME_CTR_OP_FETCH_MAX_USEC));
    srv_stop(&s);
    /* the server is gone: the call fails, and is counted as such */
    ck_assert_int_ne(itsme_http_get(p, &o, url_of(p, &s, "/gone"), NULL, NULL, &resp, &e),
                     APR_SUCCESS);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_OP_FETCHES), 3);
    ck_assert_uint_eq(itsme_counters_get(&ctr, ITSME_CTR_OP_FETCH_ERRORS), 1);
    apr_pool_destroy(p);
}
END_TEST

/* The public JWKS of key, with its kid renamed to kid. */
static const char *set_as(apr_pool_t *p, const itsme_jwk_t *key, const char *kid)
{
    const char *doc = set_of(p, key, NULL);
    const char *from = apr_psprintf(p, "\"kid\":\"%s\"", itsme_jwk_kid(key));
    const char *at = strstr(doc, from);
    ck_assert_ptr_nonnull(at);
    return apr_psprintf(p, "%.*s\"kid\":\"%s\"%s", (int)(at - doc), doc, kid,
                        at + strlen(from));
}

START_TEST(same_kid_replaced)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    itsme_err_t *e = NULL;
    const itsme_jwk_t *k = NULL, *k2 = NULL;
    srv_t s;
    srv_start(&s);
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    srv_set(&s, set_as(p, tu_rsa_key(p, "key-a", "sig"), "k1"), NULL);
    itsme_jwks_source_t src = { c, &opts, url_of(p, &s, "/jwks"), TU_NOW, 0, 0 };
    ck_assert_int_eq(find(p, &src, TU_NOW, "k1", &k), APR_SUCCESS);
    const char *tp_a = itsme_jwk_thumbprint(p, k);
    /* the OP replaces the key and keeps the kid; a signature failed with k */
    srv_set(&s, set_as(p, tu_rsa_key(p, "key-b", "sig"), "k1"), NULL);
    src.now = TU_NOW + SEC(30);
    k2 = k;
    ck_assert_int_eq(itsme_jwks_relookup(&src, p, "k1", "RS256", &k2, &e), APR_SUCCESS);
    ck_assert_str_ne(itsme_jwk_thumbprint(p, k2), tp_a);
    ck_assert_int_eq(hits(&s, "/jwks"), 2);
    /* other requests holding the old key find the new one without a fetch */
    k2 = k;
    src.now = TU_NOW + SEC(31);
    ck_assert_int_eq(itsme_jwks_relookup(&src, p, "k1", "RS256", &k2, &e), APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 2);
    /* a signature that fails with the current key (a forgery): one refetch,
     * then the kid is remembered */
    src.now = TU_NOW + SEC(60);
    e = NULL;
    ck_assert_int_ne(itsme_jwks_relookup(&src, p, "k1", "RS256", &k2, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_TOKEN);
    ck_assert_int_eq(hits(&s, "/jwks"), 3);
    src.now = TU_NOW + SEC(90);
    ck_assert_int_ne(itsme_jwks_relookup(&src, p, "k1", "RS256", &k2, &e), APR_SUCCESS);
    ck_assert_int_eq(hits(&s, "/jwks"), 3);
    /* no key to replace */
    k2 = NULL;
    ck_assert_int_ne(itsme_jwks_relookup(&src, p, "k1", "RS256", &k2, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_INTERNAL);
    srv_stop(&s);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(notes_bounded)
{
    apr_pool_t *p = tu_pool();
    itsme_cache_t *c = NULL;
    const char *u = "http://127.0.0.1:9/n";
    char longkey[ITSME_CACHE_NOTE_MAX + 2];
    ck_assert_int_eq(itsme_cache_create(p, &c), APR_SUCCESS);
    itsme_cache_note(c, u, "a", TU_NOW); /* no entry yet: not kept */
    ck_assert(!itsme_cache_noted(c, u, "a", TU_NOW, SEC(10)));
    ck_assert_int_eq(itsme_cache_put(c, u, "{}", 2, TU_NOW), APR_SUCCESS);
    itsme_cache_note(c, u, "a", TU_NOW);
    ck_assert(itsme_cache_noted(c, u, "a", TU_NOW + SEC(9), SEC(10)));
    ck_assert(!itsme_cache_noted(c, u, "a", TU_NOW + SEC(10), SEC(10)));
    ck_assert(!itsme_cache_noted(c, u, "a", TU_NOW - SEC(1), SEC(10))); /* clock went back */
    memset(longkey, 'x', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    itsme_cache_note(c, u, longkey, TU_NOW);
    ck_assert(!itsme_cache_noted(c, u, longkey, TU_NOW, SEC(10)));
    for (int i = 0; i < ITSME_CACHE_NOTES; i++)
        itsme_cache_note(c, u, apr_psprintf(p, "k%d", i), TU_NOW + SEC(1) + i);
    ck_assert(!itsme_cache_noted(c, u, "a", TU_NOW + SEC(5), SEC(100))); /* the oldest went */
    ck_assert(itsme_cache_noted(c, u, "k0", TU_NOW + SEC(5), SEC(100)));
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_cache(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cc_parse);
    tcase_add_test(tc, cc_honoured_within_bounds);
    tcase_add_test(tc, slow_url_does_not_block_others);
    tcase_add_test(tc, rotation_after_unknown_kid);
    tcase_add_test(tc, same_kid_replaced);
    tcase_add_test(tc, fetches_counted);
    tcase_add_test(tc, notes_bounded);
    suite_add_tcase(s, tc);
    return s;
}
