/*
 * config.h: configuration records, merging and getters.
 *
 * Server scope (per virtual host): who the OP is and who we are to it.
 * Directory scope (<Location>, .htaccess with AuthConfig): what a location
 * asks for and how it treats callers. Defaults live only in the getters.
 */
#ifndef ITSME_MOD_CONFIG_H
#define ITSME_MOD_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

#include "core/cache.h"
#include "core/claims.h"
#include "core/http_client.h"
#include "core/jose.h"
#include "core/session/codec.h"

#define ITSME_UNSET -1

typedef enum {
    ITSME_PASS_NONE = 0,
    ITSME_PASS_HEADERS = 1,
    ITSME_PASS_ENV = 2,
    ITSME_PASS_BOTH = 3
} itsme_pass_e;

typedef enum {
    ITSME_UNAUTH_AUTH = 0, /* redirect to the OP (401 for callers that cannot follow) */
    ITSME_UNAUTH_401,
    ITSME_UNAUTH_PASS
} itsme_unauth_e;

typedef struct {
    /* ItsmeProvider */
    const char *provider_name;       /* "itsme", "itsme-e2e", "broker", "generic" */
    itsme_profile_e profile;
    const char *discovery_url;
    const char *issuer;              /* expected issuer; NULL -> read from discovery */
    /* client */
    const char *client_id;
    const char *client_secret;
    const char *redirect_uri;        /* path or absolute URL */
    apr_array_header_t *passphrases; /* const char*, first seals */
    const char *cookie_name;
    int session_max_age;             /* seconds, ITSME_UNSET */
    int session_inactivity;          /* seconds, 0 = off, ITSME_UNSET */
    long http_timeout_ms;            /* ITSME_UNSET */
    const char *ca_bundle;
    int ca_bundle_set;
    const char *header_prefix;       /* server-wide scrub prefix */

    /* runtime, made in post_config from the process pool */
    itsme_crypto_t *crypto;
    itsme_cache_t *cache;
    itsme_http_opts_t http;
    const char *redirect_path;       /* path part of redirect_uri */
} itsme_srv_cfg_t;

typedef struct {
    apr_array_header_t *claims;      /* ItsmeClaims, const char* canonical names; NULL unset */
    const char *scope;               /* ItsmeScope (extra raw scopes) */
    const char *acr_values;          /* ItsmeACRValues */
    int pass_as;                     /* itsme_pass_e or ITSME_UNSET */
    const char *header_prefix;       /* NULL unset */
    const char *env_prefix;          /* NULL unset */
    int unauth_action;               /* itsme_unauth_e or ITSME_UNSET */
} itsme_dir_cfg_t;

extern module AP_MODULE_DECLARE_DATA auth_itsme_module;

void *itsme_create_srv_cfg(apr_pool_t *p, server_rec *s);
void *itsme_merge_srv_cfg(apr_pool_t *p, void *base, void *add);
void *itsme_create_dir_cfg(apr_pool_t *p, char *dir);
void *itsme_merge_dir_cfg(apr_pool_t *p, void *base, void *add);

itsme_srv_cfg_t *itsme_srv_cfg(const server_rec *s);
itsme_dir_cfg_t *itsme_dir_cfg(const request_rec *r);

/* Getters (apply defaults) */
const char *itsme_cfg_cookie_name(const itsme_srv_cfg_t *c);       /* "itsme_session" */
apr_interval_time_t itsme_cfg_session_max_age(const itsme_srv_cfg_t *c); /* 8 h */
apr_interval_time_t itsme_cfg_inactivity(const itsme_srv_cfg_t *c);      /* 0 = off */
itsme_pass_e itsme_cfg_pass_as(const itsme_dir_cfg_t *d);          /* headers */
const char *itsme_cfg_header_prefix(const itsme_dir_cfg_t *d);     /* "X-Itsme-" */
const char *itsme_cfg_env_prefix(const itsme_dir_cfg_t *d);        /* "ITSME_" */
itsme_unauth_e itsme_cfg_unauth(const itsme_dir_cfg_t *d);         /* auth */

/* The directive table (cmds.c). */
extern const command_rec itsme_cmds[];

/* post_config: validates required directives for every server that uses the
 * module and builds the runtime objects. Returns OK or HTTP_INTERNAL_SERVER_ERROR
 * after logging which directive is missing and where. */
int itsme_config_post(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

#endif
