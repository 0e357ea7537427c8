/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * mod_auth_itsme.c: itsme (Belgian Mobile ID) / OpenID Connect login for
 * Apache httpd 2.4. The module record and its hooks; the work is done by
 * the glue in src/mod and the httpd-free library in src/core.
 */
#include <time.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "core/session/codec.h"
#include "mod/config.h"
#include "mod/cookie.h"
#include "mod/counters.h"
#include "mod/mod.h"
#include "mod/store.h"

#ifndef ITSME_VERSION
#define ITSME_VERSION "0.0.0"
#endif

static int itsme_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *s)
{
    int rc;

    itsme_confwarn_post_config(pconf); /* warnings kept while the configuration was read */
    rc = itsme_config_post(pconf, plog, ptemp, s);

    if (rc == OK)
        rc = itsme_keys_post_config(pconf, s); /* itsme direct profile: RP keys, JWKS */
    if (rc == OK)
        rc = itsme_store_post_config(pconf, s); /* ItsmeSessionStore */
    if (rc == OK)
        rc = itsme_counters_post_config(pconf, s); /* mod_status counters */
    /* The version, once per start or restart of the server: not on the
     * first configuration pass httpd makes at startup (a dry run before it
     * detaches), nor in the Server header (no ap_add_version_component). */
    if (rc == OK && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "ITSME08000: mod_auth_itsme " ITSME_VERSION " configured");
    return rc;
}

/* A refused configuration: its warnings may tell why, log them with the errors. */
static int itsme_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *s)
{
    int rc = itsme_config_check(pconf, plog, ptemp, s);

    if (rc != OK)
        itsme_confwarn_log(pconf);
    return rc;
}

static int itsme_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    itsme_store_pre_config(pconf); /* the session store's mutex type */
    return OK;
}

static void itsme_child_init(apr_pool_t *pchild, server_rec *s)
{
    itsme_store_child_init(pchild, s);
    itsme_lifecycle_child_init(); /* from here on, a stop is an ordinary exit */
}

/* Every request: claim headers a client sent are dropped, and our cookies
 * are taken out of the Cookie header before anything else can see them. */
static int itsme_header_parser(request_rec *r)
{
    const itsme_srv_cfg_t *sc = itsme_srv_cfg(r->server);

    itsme_export_scrub(r);
    if (sc->ready)
        itsme_cookie_jar(r, itsme_cfg_cookie_name(sc));
    return DECLINED;
}

/* The callback; at LogLevel debug with the CPU time its thread spent on it
 * (its calls to the OP included): what a login costs the server. */
static int timed_callback(request_rec *r, const itsme_srv_cfg_t *sc)
{
    struct timespec t0, t1;
    int rc, timed = APLOGrdebug(r) && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0) == 0;

    rc = itsme_callback_handle(r, sc);
    if (timed && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1) == 0)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME08202: redirect URI answered (%d) in %ld us of CPU", rc,
                      (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000));
    return rc;
}

/* The redirect URI is answered wherever it lies, before access control. */
static int itsme_quick_handler(request_rec *r, int lookup)
{
    const itsme_srv_cfg_t *sc;

    if (lookup || r->main || r->prev)
        return DECLINED;
    sc = itsme_srv_cfg(r->server);
    if (itsme_jwks_publish_matches(r, sc)) /* itsme direct profile: the RP's JWKS */
        return itsme_jwks_publish_serve(r, sc);
    if (itsme_logout_matches(r, sc)) /* ItsmeLogoutURI */
        return itsme_logout_handle(r, sc);
    if (itsme_oplogout_bc_matches(r, sc)) /* ItsmeBackChannelLogoutURI */
        return itsme_oplogout_bc_handle(r, sc);
    if (itsme_oplogout_fc_matches(r, sc)) /* ItsmeFrontChannelLogoutURI */
        return itsme_oplogout_fc_handle(r, sc);
    if (!itsme_callback_matches(r, sc))
        return DECLINED;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ITSME01001: handling the redirect URI");
    return timed_callback(r, sc);
}

/* Last before the handler, on the main request: the claim headers the
 * handler sees are the ones of its own per-directory configuration, also
 * after mod_dir or MultiViews switched to another file's configuration. */
static int itsme_fixups(request_rec *r)
{
    if (!r->main) {
        itsme_export_final(r);
        if (itsme_cookie_restore_for_upgrade(r)) /* h2c: the replay keeps the session */
            itsme_export_withdraw(r);
    }
    return DECLINED;
}

static void itsme_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* at module load, before the configuration reads keys: OpenSSL's own
     * atexit cleanup would run before apr_terminate destroys the pools whose
     * cleanups free our OpenSSL objects (a use after free as a child exits) */
    itsme_crypto_global_init();
    /* check_config runs for "httpd -t" too (post_config does not) */
    ap_hook_pre_config(itsme_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(itsme_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(itsme_confwarn_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(itsme_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(itsme_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(itsme_header_parser, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(itsme_fixups, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_quick_handler(itsme_quick_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(itsme_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    itsme_authz_register_hooks(p); /* Require itsme-claim, denial answers */
    itsme_page_register_hooks(p);  /* our error pages' charset */
    itsme_status_register_hooks(p); /* counters on mod_status' page */
    itsme_lifecycle_register_hooks(p); /* a child stopped before child_init */
}

AP_DECLARE_MODULE(auth_itsme) = {
    STANDARD20_MODULE_STUFF,
    itsme_create_dir_cfg,
    itsme_merge_dir_cfg,
    itsme_create_srv_cfg,
    itsme_merge_srv_cfg,
    itsme_cmds,
    itsme_register_hooks,
    AP_MODULE_FLAG_NONE
};
