/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * store.c: ItsmeSessionStore on httpd's socache providers (see store.h).
 *
 * One store object per distinct ItsmeSessionStore value of a configuration
 * (virtual hosts that name the same store share it), made by the setter in
 * the configuration pool; the provider is looked up and its instance
 * created in check_config (so "apache2 -t" reports a missing module or bad
 * arguments), initialised in post_config, its mutex re-attached in
 * child_init, destroyed with the configuration pool.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"
#include "apr_global_mutex.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/session/codec.h"
#include "mod/config.h"
#include "mod/mod.h"
#include "mod/store.h"

APLOG_USE_MODULE(auth_itsme);

#define STORE_PREFIX "socache:"
#define STORE_MUTEX "auth-itsme-store"
#define STORE_NAMESPACE "auth_itsme"       /* mod_socache_redis: 14 chars at most */
#define STORE_REGISTRY "auth_itsme:stores"
#define SHMCB_DEFAULT_SIZE (8 * 1024 * 1024)

struct itsme_store {
    const char *spec;                      /* "socache:<provider>[:<args>]" */
    const char *provider_name;
    const char *args;                      /* NULL: the provider's defaults */
    int index;                             /* 1, 2, ...: the mutex instance */
    const ap_socache_provider_t *provider; /* check_config */
    ap_socache_instance_t *instance;       /* check_config */
    apr_global_mutex_t *mutex;             /* post_config, when not MT/MP safe */
    int probe;                             /* a network store: see confirm_notfound */
    server_rec *s;                         /* the server that initialised it */
    int checked, ready, attached;
};

/* ---- the directive ---- */

static apr_hash_t *registry(apr_pool_t *pconf)
{
    void *h = NULL;

    apr_pool_userdata_get(&h, STORE_REGISTRY, pconf);
    if (!h) {
        h = apr_hash_make(pconf);
        apr_pool_userdata_set(h, STORE_REGISTRY, apr_pool_cleanup_null, pconf);
    }
    return h;
}

static int provider_char(char c)
{
    return apr_isalnum(c) || c == '_' || c == '-';
}

/* The store of spec ("socache:<provider>[:<args>]", checked by the caller),
 * one per spec and configuration; NULL for a bad provider name. */
static itsme_store_t *store_for(apr_pool_t *pconf, const char *spec)
{
    apr_hash_t *h = registry(pconf);
    itsme_store_t *st = apr_hash_get(h, spec, APR_HASH_KEY_STRING);
    const char *name = spec + sizeof(STORE_PREFIX) - 1, *colon = strchr(name, ':'), *p;

    if (st)
        return st;
    st = apr_pcalloc(pconf, sizeof(*st));
    st->spec = apr_pstrdup(pconf, spec);
    st->provider_name = colon ? apr_pstrmemdup(pconf, name, (apr_size_t)(colon - name)) : name;
    for (p = st->provider_name; *p; p++)
        if (!provider_char(*p))
            return NULL;
    st->args = colon && colon[1] ? colon + 1 : NULL;
    st->index = (int)apr_hash_count(h) + 1;
    apr_hash_set(h, st->spec, APR_HASH_KEY_STRING, st);
    return st;
}

itsme_store_t *itsme_store_shm(apr_pool_t *pconf)
{
    return store_for(pconf, STORE_PREFIX "shmcb");
}

const char *itsme_cmd_session_store(cmd_parms *cmd, void *dc, const char *arg)
{
    itsme_srv_cfg_t *c = itsme_cmd_srv(cmd);
    const char *name = arg + sizeof(STORE_PREFIX) - 1, *colon;
    itsme_store_t *st;

    (void)dc;
    if (!strcasecmp(arg, "cookie")) {
        c->store_spec = "cookie";
        c->store = NULL;
        return NULL;
    }
    colon = strchr(name, ':');
    if (strncmp(arg, STORE_PREFIX, sizeof(STORE_PREFIX) - 1) != 0 || name == colon || !*name)
        return itsme_cmd_fail(cmd, "'%s' is neither 'cookie' nor 'socache:<provider>[:<args>]' "
                              "(e.g. socache:shmcb, socache:redis:127.0.0.1:6379)", arg);
    if (!(st = store_for(cmd->pool, arg)))
        return itsme_cmd_fail(cmd, "'%s': bad socache provider name", arg);
    c->store_spec = st->spec;
    c->store = st;
    return NULL;
}

const char *itsme_store_name(const itsme_store_t *st)
{
    return st->spec;
}

/* ---- lifecycle ---- */

void itsme_store_pre_config(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, STORE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

/* shmcb without arguments: room for large records (an eID portrait). */
static const char *create_args(apr_pool_t *p, const itsme_store_t *st)
{
    const char *file;

    if (st->args || strcmp(st->provider_name, "shmcb") != 0)
        return st->args;
    file = ap_runtime_dir_relative(p, "auth_itsme_sessions");
    return file ? apr_psprintf(p, "%s(%d)", file, SHMCB_DEFAULT_SIZE) : NULL;
}

int itsme_store_check(apr_pool_t *ptemp, server_rec *s, const itsme_srv_cfg_t *c,
                      itsme_store_t *st)
{
    const char *why;

    if (!st || st->checked)
        return OK;
    if (!strcmp(st->provider_name, "dbm")) {
        /* mod_socache_dbm reports a missing key as a failure and refuses
         * entries of about 950 bytes: no session store */
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME05007: ItsmeSessionStore %s: mod_socache_dbm cannot keep sessions "
                     "(it refuses entries of about 950 bytes or more, and reports missing "
                     "keys as errors); use socache:shmcb on one host", st->spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    st->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, st->provider_name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (!st->provider) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME05001: %s %s: the socache provider '%s' is not loaded; add "
                     "\"LoadModule socache_%s_module modules/mod_socache_%s.so\" (Debian: "
                     "a2enmod socache_%s)",
                     st == c->store ? "ItsmeSessionStore" : "the list of sessions ended by "
                     "the OP (ItsmeBackChannelLogoutURI / ItsmeFrontChannelLogoutURI without "
                     "ItsmeSessionStore) uses", st->spec, st->provider_name,
                     st->provider_name, st->provider_name, st->provider_name);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    why = st->provider->create(&st->instance, create_args(s->process->pconf, st), ptemp,
                               s->process->pconf);
    if (why) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ITSME05002: ItsmeSessionStore %s: the socache provider refuses its "
                     "arguments: %s", st->spec, why);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* local stores answer "not found" only for a missing key */
    st->probe = strcmp(st->provider_name, "shmcb") != 0;
    st->checked = 1;
    return OK;
}

static apr_status_t store_destroy(void *baton)
{
    itsme_store_t *st = baton;

    if (st->ready)
        st->provider->destroy(st->instance, st->s);
    st->ready = 0;
    return APR_SUCCESS;
}

static int store_init(apr_pool_t *pconf, server_rec *s, itsme_store_t *st)
{
    struct ap_socache_hints hints = {48, 1024, apr_time_from_sec(30)};
    apr_status_t rv;

    if (st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&st->mutex, NULL, STORE_MUTEX,
                                    apr_psprintf(pconf, "%d", st->index), s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         "ITSME05003: ItsmeSessionStore %s: cannot create its mutex",
                         st->spec);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    rv = st->provider->init(st->instance, STORE_NAMESPACE, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "ITSME05004: ItsmeSessionStore %s: the socache provider cannot start",
                     st->spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    st->s = s;
    st->ready = 1;
    apr_pool_cleanup_register(pconf, st, store_destroy, apr_pool_cleanup_null);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "ITSME05005: session store %s ready%s",
                 st->spec, st->mutex ? " (behind a global mutex)" : "");
    return OK;
}

int itsme_store_post_config(apr_pool_t *pconf, server_rec *s)
{
    server_rec *cur;

    for (cur = s; cur; cur = cur->next) {
        const itsme_srv_cfg_t *c = itsme_srv_cfg(cur);
        itsme_store_t *both[2] = {c->store, c->revocations};
        int i;

        for (i = 0; i < 2 && c->ready; i++) {
            if (!both[i] || both[i]->ready)
                continue;
            if (itsme_store_check(pconf, cur, c, both[i]) != OK
                || store_init(pconf, cur, both[i]) != OK)
                return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

void itsme_store_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *cur;

    for (cur = s; cur; cur = cur->next) {
        itsme_store_t *both[2] = {itsme_srv_cfg(cur)->store, itsme_srv_cfg(cur)->revocations};
        int i;

        for (i = 0; i < 2; i++) {
            itsme_store_t *st = both[i];
            apr_status_t rv;

            if (!st || !st->mutex || st->attached)
                continue;
            rv = apr_global_mutex_child_init(&st->mutex, apr_global_mutex_lockfile(st->mutex),
                                             pchild);
            if (rv != APR_SUCCESS)
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, cur,
                             "ITSME05006: session store %s: cannot attach its mutex",
                             st->spec);
            st->attached = 1;
        }
    }
}

/* ---- requests ---- */

#define PROBE_KEY "probe"

/*
 * APR's redis and memcache clients answer "not found" for every key while
 * they hold their only server for dead (about 5 s after a failure), without
 * asking it; so does a write. A "not found" is believed only when a probe
 * write goes through: else the store is unreachable.
 */
static apr_status_t confirm_notfound(request_rec *r, itsme_store_t *st)
{
    apr_status_t rv;

    if (!st->probe)
        return APR_NOTFOUND;
    rv = st->provider->store(st->instance, r->server, (const unsigned char *)PROBE_KEY,
                             sizeof(PROBE_KEY) - 1, apr_time_now() + apr_time_from_sec(5),
                             (unsigned char *)"1", 1, r->pool);
    return rv == APR_SUCCESS ? APR_NOTFOUND : APR_ECONNREFUSED;
}

static apr_status_t lock(itsme_store_t *st)
{
    return st->mutex ? apr_global_mutex_lock(st->mutex) : APR_SUCCESS;
}

static void unlock(itsme_store_t *st)
{
    if (st->mutex)
        apr_global_mutex_unlock(st->mutex);
}

apr_status_t itsme_store_get(request_rec *r, itsme_store_t *st, const char *key,
                             const char **val, apr_size_t *len)
{
    unsigned int n = ITSME_STORE_MAX_VALUE - 1;
    unsigned char *buf;
    apr_status_t rv;

    if (!st->ready)
        return APR_EINIT;
    buf = apr_palloc(r->pool, ITSME_STORE_MAX_VALUE);
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->retrieve(st->instance, r->server, (const unsigned char *)key,
                                (unsigned int)strlen(key), buf, &n, r->pool);
    if (APR_STATUS_IS_NOTFOUND(rv))
        rv = confirm_notfound(r, st);
    unlock(st);
    if (rv != APR_SUCCESS)
        return rv;
    if (n >= ITSME_STORE_MAX_VALUE)
        return APR_ENOSPC;
    buf[n] = '\0';
    *val = (const char *)buf;
    *len = n;
    return APR_SUCCESS;
}

apr_status_t itsme_store_has(request_rec *r, itsme_store_t *st, const char *key)
{
    const char *val = NULL;
    apr_size_t len = 0;

    return itsme_store_get(r, st, key, &val, &len);
}

apr_status_t itsme_store_put(request_rec *r, itsme_store_t *st, const char *key,
                             const char *val, apr_size_t len, apr_time_t expiry)
{
    apr_status_t rv;

    if (!st->ready)
        return APR_EINIT;
    if (len >= ITSME_STORE_MAX_VALUE)
        return APR_ENOSPC;
    /* whole seconds ahead: providers with second-based expiry refuse 0 */
    if (expiry < apr_time_now() + apr_time_from_sec(2))
        expiry = apr_time_now() + apr_time_from_sec(2);
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->store(st->instance, r->server, (const unsigned char *)key,
                             (unsigned int)strlen(key), expiry, (unsigned char *)val,
                             (unsigned int)len, r->pool);
    unlock(st);
    return rv;
}

apr_status_t itsme_store_del(request_rec *r, itsme_store_t *st, const char *key)
{
    apr_status_t rv;

    if (!st->ready)
        return APR_EINIT;
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->remove(st->instance, r->server, (const unsigned char *)key,
                              (unsigned int)strlen(key), r->pool);
    if (APR_STATUS_IS_NOTFOUND(rv))
        rv = confirm_notfound(r, st);
    unlock(st);
    return APR_STATUS_IS_NOTFOUND(rv) ? APR_SUCCESS : rv;
}
