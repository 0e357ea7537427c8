/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * counters.c: the counter block in shared memory. An anonymous APR shared
 * memory segment created in post_config, in the parent, before the MPM
 * forks: every child inherits the mapping, so the counts are the whole
 * server's, whichever child answers. The segment belongs to the process
 * pool (not pconf), so it outlives restarts: graceful or plain restarts
 * keep the counts (children of the old generation still finishing their
 * requests count into the same block); stopping httpd resets them.
 *
 * `block` is the only process-global: written in post_config while the
 * parent is single-threaded, read-only afterwards; the counters themselves
 * change only through atomic operations (core/counters.c).
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "mod/config.h"
#include "mod/counters.h"

APLOG_USE_MODULE(auth_itsme);

/* The key names the layout (version and size): a module of another layout
 * after a restart (an upgraded .so) gets a segment of its own instead of
 * misreading one. */
#define KEEP_KEY "mod_auth_itsme:counters"

static itsme_counters_t *block;

static const char *keep_key(apr_pool_t *p)
{
    return apr_psprintf(p, KEEP_KEY ":%d:%" APR_SIZE_T_FMT, ITSME_COUNTERS_LAYOUT,
                        sizeof(itsme_counters_t));
}

/* The segment of this httpd parent: the one a previous generation made,
 * else a new one (zeroed). */
static apr_status_t segment(server_rec *s, apr_pool_t *p, itsme_counters_t **out)
{
    apr_pool_t *keep = s->process->pool;
    const char *key = keep_key(p);
    apr_shm_t *shm = NULL;
    void *data = NULL;
    apr_status_t rv;

    apr_pool_userdata_get(&data, key, keep);
    if (data) {
        *out = apr_shm_baseaddr_get(data);
        return APR_SUCCESS;
    }
    rv = apr_shm_create(&shm, sizeof(itsme_counters_t), NULL, keep);
    if (rv != APR_SUCCESS)
        return rv;
    *out = apr_shm_baseaddr_get(shm);
    memset(*out, 0, sizeof(itsme_counters_t));
    return apr_pool_userdata_set(shm, apr_pstrdup(keep, key), apr_pool_cleanup_null, keep);
}

int itsme_counters_post_config(apr_pool_t *pconf, server_rec *s)
{
    itsme_counters_t *c = NULL;
    apr_status_t rv = segment(s, pconf, &c);
    server_rec *cur;

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "ITSME08100: no shared memory for the mod_status counters; the module "
                     "runs without them");
        c = NULL;
    }
    block = c;
    for (cur = s; cur; cur = cur->next)
        itsme_srv_cfg(cur)->http.counters = c;
    return OK;
}

itsme_counters_t *itsme_counters(void)
{
    return block;
}

void itsme_counter_inc(itsme_ctr_e which)
{
    itsme_counters_add(block, which, 1);
}

void itsme_counter_login_failed(itsme_err_kind_e kind)
{
    itsme_counters_add(block, itsme_counters_failure_cause(kind), 1);
}
