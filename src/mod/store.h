/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * store.h: ItsmeSessionStore socache:<provider>[:<args>], a server-side
 * store on httpd's own socache providers (shmcb on one host, redis or
 * memcache for a cluster, dbm). No cache or network code of our own: the
 * provider does the work; the module adds a global mutex for providers
 * that are not safe across threads and processes, and bounded values.
 */
#ifndef ITSME_MOD_STORE_H
#define ITSME_MOD_STORE_H

#include "httpd.h"
#include "http_config.h"

#include "mod/config.h"

/* The largest value a store read accepts (a sealed session record). */
#define ITSME_STORE_MAX_VALUE (ITSME_SEAL_MAX_SEALED + 1)

/* ItsmeSessionStore (server scope): "cookie" or "socache:<provider>[:<args>]". */
const char *itsme_cmd_session_store(cmd_parms *cmd, void *dc, const char *arg);

/* pre_config: registers the mutex type "auth-itsme-store". */
void itsme_store_pre_config(apr_pool_t *pconf);
/* check_config, per server, for st (c->store or c->revocations; NULL: OK):
 * the provider is loaded (else the LoadModule line to add is logged) and
 * accepts its arguments. OK or HTTP_INTERNAL_SERVER_ERROR. */
int itsme_store_check(apr_pool_t *ptemp, server_rec *s, const itsme_srv_cfg_t *c,
                      itsme_store_t *st);
/* The shared-memory store (socache:shmcb, 8 MiB) the module keeps its own
 * records in when there is no ItsmeSessionStore (OP-initiated logout). */
itsme_store_t *itsme_store_shm(apr_pool_t *pconf);
/* post_config: initialises every store in use, with its mutex. */
int itsme_store_post_config(apr_pool_t *pconf, server_rec *s);
/* child_init: re-attaches the mutexes. */
void itsme_store_child_init(apr_pool_t *pchild, server_rec *s);

/* "socache:<provider>[:<args>]", for messages. */
const char *itsme_store_name(const itsme_store_t *st);

/* Reads key: APR_SUCCESS and *val (NUL-terminated, *len bytes), APR_NOTFOUND
 * when absent, else the provider's failure. */
apr_status_t itsme_store_get(request_rec *r, itsme_store_t *st, const char *key,
                             const char **val, apr_size_t *len);
/* APR_SUCCESS when key is present, APR_NOTFOUND when absent, else the
 * provider's failure (markers: used states, ended records, seen jtis). */
apr_status_t itsme_store_has(request_rec *r, itsme_store_t *st, const char *key);
/* Writes key until expiry (an absolute time, in the future). */
apr_status_t itsme_store_put(request_rec *r, itsme_store_t *st, const char *key,
                             const char *val, apr_size_t len, apr_time_t expiry);
/* Removes key; an absent key is no failure. */
apr_status_t itsme_store_del(request_rec *r, itsme_store_t *st, const char *key);

#endif
