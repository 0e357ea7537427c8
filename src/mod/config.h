/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * config.h: configuration records, merging and getters.
 *
 * Server scope (per virtual host): who the OP is and who we are to it.
 * Directory scope (<Location>, .htaccess with AuthConfig): what a location
 * asks for and how it treats callers; also accepted at server scope, as the
 * default of the server's sections (its own directory record, created with
 * dir NULL, is the base every section is merged onto). Defaults live only
 * in the getters.
 * Unset is NULL for pointers and ITSME_UNSET for numbers, so a virtual host
 * inherits from the main server and a <Location> from its enclosing one.
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

#define ITSME_DEFAULT_COOKIE "itsme_session"
#define ITSME_DEFAULT_HEADER_PREFIX "X-Itsme-"
#define ITSME_DEFAULT_ENV_PREFIX "ITSME_"
#define ITSME_DEFAULT_MAX_AGE 28800
#define ITSME_DEFAULT_HTTP_TIMEOUT 5
#define ITSME_DISCOVERY_TTL apr_time_from_sec(3600)

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

/* itsme direct profile: one ItsmeDecryptionKey (keys.c) */
typedef struct {
    const itsme_jwk_t *jwk;          /* private RSA key, use "enc" */
    const char *file;                /* as configured, for messages */
    int published;                   /* 0: "retired", decrypts but not in the JWKS */
} itsme_rp_key_t;

/* ItsmeSessionStore socache:... (store.c); NULL: the cookie store */
typedef struct itsme_store itsme_store_t;

typedef struct {
    int configured;                  /* an Itsme* directive (other than
                                        ItsmeHeaderPrefix) applies here */
    /* ItsmeProvider */
    const char *provider_name;       /* "itsme", "itsme-e2e", "broker", "generic" */
    itsme_profile_e profile;         /* valid when provider_name != NULL */
    const char *discovery_url;
    const char *preset_issuer;       /* issuer of the itsme presets (no URL override) */
    const char *issuer;              /* ItsmeIssuer */
    apr_array_header_t *trusted_audiences; /* ItsmeTrustedAudiences: const char*, kept
                                        NULL-terminated; NULL unset */
    /* client */
    const char *client_id;
    const char *client_secret;
    /* ---- itsme direct profile (setters, getters in keys.c) ---- */
    const itsme_jwk_t *client_key;   /* the first ItsmeClientKey: private_key_jwt,
                                        request object */
    apr_array_header_t *sig_keys;    /* every ItsmeClientKey (const itsme_jwk_t *),
                                        published; NULL unset */
    apr_array_header_t *dec_keys;    /* ItsmeDecryptionKey: itsme_rp_key_t, NULL unset */
    const char *service_code;        /* ItsmeServiceCode outside sections (a section's
                                        own overrides it: service.c) */
    int expect_encryption;           /* ItsmeExpectEncryption 0/1, ITSME_UNSET: by profile */
    int request_object;              /* ItsmeRequestObject 0/1, ITSME_UNSET: by discovery */
    const char *jwks_uri;            /* ItsmeJWKSURI: path or absolute URL */
    /* ---- end itsme direct profile ---- */
    const char *redirect_uri;        /* path or absolute URL */
    apr_array_header_t *passphrases; /* const char*, first seals */
    const char *cookie_name;
    const char *store_spec;          /* ItsmeSessionStore as written; NULL unset */
    itsme_store_t *store;            /* its socache store; NULL: cookie (store.c) */
    int cookie_persistent;           /* ItsmeCookiePersistent 0/1, ITSME_UNSET */
    apr_array_header_t *kept_claims; /* canonical claims some location of this server
                                        asks for (ItsmeClaims, Require itsme-claim);
                                        what a session keeps. NULL none */
    int session_max_age;             /* seconds, ITSME_UNSET */
    int session_inactivity;          /* seconds, 0 = off, ITSME_UNSET */
    int http_timeout;                /* seconds, ITSME_UNSET */
    const char *ca_bundle;
    const char *header_prefix;       /* server-wide scrub/export prefix */
    apr_array_header_t *scrub_prefixes; /* every ItsmeHeaderPrefix of this server and its
                                           sections (const char*, as written); NULL none */
    /* ---- proxies and logout (setters in forwarded.c, logout.c) ---- */
    apr_array_header_t *trusted_proxies; /* ItsmeTrustForwardedHeaders: apr_ipsubnet_t* */
    int fwd_headers;                 /* ItsmeForwardedHeaders: ITSME_FWD_* bits, UNSET all */
    const char *logout_uri;          /* ItsmeLogoutURI: a path */
    const char *post_logout_redirect; /* ItsmePostLogoutRedirect: path or absolute URL */
    apr_array_header_t *logout_allow; /* ItsmeLogoutRedirectAllow: const char* origins */
    const char *bcl_uri;             /* ItsmeBackChannelLogoutURI: a path */
    const char *fcl_uri;             /* ItsmeFrontChannelLogoutURI: a path */
    itsme_store_t *revocations;      /* OP-initiated logout without ItsmeSessionStore: the
                                        revocation list in shared memory (check_config) */
    /* ---- end proxies and logout ---- */
    const char *default_language;    /* ItsmeDefaultLanguage (nl fr de en); NULL: en */
    const char *ui_locales;          /* ItsmeUILocales: NULL unset (auto),
                                        ITSME_UI_LOCALES_AUTO, "" off, or the tags */

    /* runtime, made in post_config from the process pool */
    int ready;
    itsme_crypto_t *crypto;
    itsme_cache_t *cache;
    itsme_http_opts_t http;
    const char *redirect_path;       /* path part of redirect_uri */
    /* runtime, itsme direct profile (keys.c, jwks.c) */
    const apr_array_header_t *decrypt_keys; /* const itsme_jwk_t *, all dec_keys */
    const char *jwks_path;           /* path part of jwks_uri */
    const char *jwks_json;           /* the RP's public JWK Set, built once */
    apr_size_t jwks_len;
} itsme_srv_cfg_t;

#define ITSME_UI_LOCALES_AUTO "auto"

typedef struct {
    apr_array_header_t *claims;      /* what a login here asks for: claims_set plus
                                        rule_claims (const char* canonical); NULL none */
    apr_array_header_t *claims_set;  /* ItsmeClaims as written; NULL unset */
    apr_array_header_t *rule_claims; /* claims of the Require itsme-claim rules here and
                                        around (birthdate for age); NULL none */
    /* the same three as sets of canonical claims (kept in step with them by
     * itsme_cfg_want_claim and the merge), and what the backend here gets:
     * itsme_claims_exported(claims_bits), made once per configuration */
    itsme_claim_set_t claims_bits, claims_set_bits, rule_bits, export_bits;
    const char *scope;               /* ItsmeScope (extra raw scopes, space separated) */
    const char *acr_values;          /* ItsmeACRValues (as written, space separated) */
    const char *service_code;        /* ItsmeServiceCode of a section (overrides the
                                        server's, service.c); NULL unset */
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
/* dir prefix, else server prefix, else "X-Itsme-" */
const char *itsme_cfg_header_prefix(const itsme_dir_cfg_t *d, const itsme_srv_cfg_t *c);
const char *itsme_cfg_env_prefix(const itsme_dir_cfg_t *d);        /* "ITSME_" */
itsme_unauth_e itsme_cfg_unauth(const itsme_dir_cfg_t *d);         /* auth */

/* The issuer to expect: ItsmeIssuer, else the preset's, else NULL (then
 * read from discovery and checked with itsme_cfg_issuer_fits). */
const char *itsme_cfg_expected_issuer(const itsme_srv_cfg_t *c);
/* 1 when iss is acceptable for this server: identical to the expected
 * issuer, or, without one, to the discovery URL minus its
 * "/.well-known/openid-configuration" (OpenID Connect Discovery 1.0 §4.3),
 * that with a terminating '/' included (§4.1 removes it before appending). */
int itsme_cfg_issuer_fits(const itsme_srv_cfg_t *c, const char *iss);
/* ItsmeTrustedAudiences: the parties besides the client an ID token's aud
 * may list, NULL-terminated; NULL when none (then aud is the client only). */
const char *const *itsme_cfg_trusted_audiences(const itsme_srv_cfg_t *c);
/* The first required directive that is missing, or NULL when complete. */
const char *itsme_cfg_missing(const itsme_srv_cfg_t *c);
/* Adds a canonical claim to what a login under d asks for: from ItsmeClaims
 * (from_rule 0) or from a Require itsme-claim rule (1). Kept once. In the
 * server configuration (not .htaccess) also to the server's kept_claims. */
void itsme_cfg_want_claim(cmd_parms *cmd, itsme_dir_cfg_t *d, const char *claim, int from_rule);
/* 1 when a session of this server keeps `claim` (kept_claims, or the
 * space-separated claims the login asked for; birthdate when age is). */
int itsme_cfg_keeps_claim(const itsme_srv_cfg_t *c, const char *wanted, const char *claim);
/* ItsmeCookiePersistent, default off. */
int itsme_cfg_cookie_persistent(const itsme_srv_cfg_t *c);

/* Directive setters' helpers (cmds.c): the server record a setter writes
 * (marked as using the module), and "<Directive>: <message>" for errors. */
itsme_srv_cfg_t *itsme_cmd_srv(cmd_parms *cmd);
const char *itsme_cmd_fail(cmd_parms *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A warning about the configuration, fmt starting with its "ITSMEnnnnn: "
 * tag: logged at warning level against cmd->server once logging works
 * (confwarn.c: test_config under "apache2 -t", else post_config), at once
 * from an .htaccess file. */
void itsme_cmd_warn(cmd_parms *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- itsme direct profile: keys.c, jwks.c ---- */
/* ItsmeExpectEncryption, default on for the itsme profile, off otherwise. */
int itsme_cfg_expect_encryption(const itsme_srv_cfg_t *c);
/* Client authentication and the itsme profile's own requirements: the
 * missing directive, or NULL (called by itsme_cfg_missing). */
const char *itsme_keys_missing(const itsme_srv_cfg_t *c);
/* Merges the fields above into c (called by itsme_merge_srv_cfg). */
void itsme_keys_merge(itsme_srv_cfg_t *c, const itsme_srv_cfg_t *base,
                      const itsme_srv_cfg_t *add);
/* check_config, per complete server: every kid of the RP's keys is unique
 * and ItsmeJWKSURI has something to publish on a path of its own (logged
 * as ITSME02001). OK or HTTP_INTERNAL_SERVER_ERROR. */
int itsme_keys_check(apr_pool_t *p, server_rec *s, const itsme_srv_cfg_t *c);
/* post_config, after itsme_config_post: builds the decryption key array of
 * every ready server and its JWKS document. OK or HTTP_INTERNAL_SERVER_ERROR. */
int itsme_keys_post_config(apr_pool_t *pconf, server_rec *s);
const char *itsme_keys_set_client_key(cmd_parms *cmd, void *dc, const char *file,
                                      const char *kid);
const char *itsme_keys_add_decryption_key(cmd_parms *cmd, void *dc, const char *file,
                                          const char *kid, const char *flag);
const char *itsme_keys_set_expect_encryption(cmd_parms *cmd, void *dc, int on);
const char *itsme_keys_set_request_object(cmd_parms *cmd, void *dc, int on);
const char *itsme_keys_set_jwks_uri(cmd_parms *cmd, void *dc, const char *arg);
/* jwks.c: why ItsmeJWKSURI cannot be published (its path is the redirect
 * URI's; no key to publish), or NULL; pure, for check_config. */
const char *itsme_jwks_publish_check(apr_pool_t *p, const itsme_srv_cfg_t *c);
/* jwks.c, post_config: sets jwks_path, jwks_json and jwks_len (NULL when
 * ItsmeJWKSURI is unset); a reason safe to log when it cannot. */
const char *itsme_jwks_publish_build(apr_pool_t *p, itsme_srv_cfg_t *c);
/* ---- end itsme direct profile ---- */

/* ---- proxies and logout: setters in forwarded.c, logout.c ---- */
const char *itsme_cmd_trust_forwarded(cmd_parms *cmd, void *dc, const char *arg);
const char *itsme_cmd_logout_uri(cmd_parms *cmd, void *dc, const char *arg);
const char *itsme_cmd_post_logout_redirect(cmd_parms *cmd, void *dc, const char *arg);
/* lang.c */
const char *itsme_cmd_default_language(cmd_parms *cmd, void *dc, const char *arg);
const char *itsme_cmd_ui_locales(cmd_parms *cmd, void *dc, const char *args);
const char *itsme_cmd_logout_allow(cmd_parms *cmd, void *dc, const char *arg);
/* Why arg is not a local path ("/..." without query, fragment, spaces or
 * backslashes), or NULL (logout.c; shared by the logout URI directives). */
const char *itsme_cmd_local_path(cmd_parms *cmd, const char *arg);
/* oplogout.c: ItsmeBackChannelLogoutURI, ItsmeFrontChannelLogoutURI
 * (cmd->info: APR_OFFSETOF the field). */
const char *itsme_cmd_oplogout_uri(cmd_parms *cmd, void *dc, const char *arg);
/* check_config, per server: the OP-logout paths are their own, and where
 * ended sessions are remembered (logged, ITSME06002). OK or 500. */
int itsme_oplogout_check(apr_pool_t *p, server_rec *s, itsme_srv_cfg_t *c);
/* ItsmeForwardedHeaders: which forwarded headers of a trusted proxy count. */
#define ITSME_FWD_PROTO 1            /* X-Forwarded-Proto */
#define ITSME_FWD_HOST 2             /* X-Forwarded-Host */
#define ITSME_FWD_PORT 4             /* X-Forwarded-Port */
#define ITSME_FWD_FORWARDED 8        /* RFC 7239 Forwarded (proto=, host=) */
const char *itsme_cmd_forwarded_headers(cmd_parms *cmd, void *dc, const char *arg);
/* check_config, per server: the logout path must not collide with the
 * redirect URI, and an absolute ItsmePostLogoutRedirect must be on an
 * origin of ItsmeLogoutRedirectAllow. OK or HTTP_INTERNAL_SERVER_ERROR. */
int itsme_logout_check(apr_pool_t *p, server_rec *s, const itsme_srv_cfg_t *c);
/* ---- end proxies and logout ---- */

/* ---- service.c: ItsmeServiceCode per server or section ---- */
const char *itsme_cmd_service_code(cmd_parms *cmd, void *dc, const char *arg);
/* The service code of a login under dc: the section's, else the server's. */
const char *itsme_service_code(const itsme_srv_cfg_t *sc, const itsme_dir_cfg_t *dc);
/* ItsmeScope of dc without service:<x> tokens (itsme profile: the request
 * carries the location's own service only). */
const char *itsme_service_extra_scope(apr_pool_t *p, const itsme_srv_cfg_t *sc,
                                      const itsme_dir_cfg_t *dc);
/* check_config: every AuthType itsme section of an itsme server has a
 * service code (ITSME07100). OK or HTTP_INTERNAL_SERVER_ERROR. */
int itsme_service_check(apr_pool_t *p, server_rec *main_s);
/* The virtual host a <VirtualHost> node of the configuration tree made
 * (config.c), or NULL. */
server_rec *itsme_cfg_vhost_of(server_rec *main_s, const ap_directive_t *d);

/* The directive table (cmds.c). */
extern const command_rec itsme_cmds[];

/* check_config (also run by "httpd -t"): every server that uses the module
 * (an Itsme* server directive, or an AuthType itsme section that applies to
 * it) must have the required directives; logout checks; the keys and JWKS
 * checks of every complete server (itsme_keys_check). OK, or
 * HTTP_INTERNAL_SERVER_ERROR after logging which directive is missing where. */
int itsme_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
/* The path part of ItsmeRedirectURI ("/" when it has none). */
const char *itsme_cfg_redirect_path(apr_pool_t *p, const itsme_srv_cfg_t *c);

/* post_config: builds the runtime objects of every server that uses the
 * module. Returns OK or HTTP_INTERNAL_SERVER_ERROR. */
int itsme_config_post(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

#endif
