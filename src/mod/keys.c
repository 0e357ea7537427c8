/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * keys.c: the itsme direct profile's glue. The RP's own keys (ItsmeClientKey
 * for private_key_jwt and request objects, ItsmeDecryptionKey for encrypted
 * ID tokens and userinfo), the encryption policy (ItsmeExpectEncryption),
 * the request object (ItsmeRequestObject) and the acr check (the itsme
 * service code: service.c). Their public JWK Set (ItsmeJWKSURI) is
 * published by jwks.c.
 *
 * Keys are read once, when the configuration is read; they are checked at
 * check_config (so "httpd -t" catches a repeated kid) and the runtime key
 * arrays are built at post_config.
 */
#include <stdarg.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_file_io.h"
#include "apr_uri.h"
#include "apr_thread_proc.h"

#include "core/jose.h"
#include "core/url.h"
#include "core/proto/jwks.h"
#include "core/proto/request_object.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

#define KEYS_MAX_PEM_FILE (64 * 1024)
#define KEYS_MAX_KID 128

/* ---- directives ---- */

/* memset through a volatile pointer: not optimised away. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

/* Reads a key file whole into buf (temp pool); warns when others may read it. */
static const char *read_key_file(cmd_parms *cmd, const char *name, char **buf,
                                 apr_size_t *len)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, name);
    apr_int32_t want = APR_FINFO_SIZE | APR_FINFO_TYPE | APR_FINFO_PROT;
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    apr_status_t rv;

    if (!path || apr_stat(&fi, path, want, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_REG)
        return itsme_cmd_fail(cmd, "cannot read key file %s", name);
    if (fi.size <= 0 || fi.size > KEYS_MAX_PEM_FILE)
        return itsme_cmd_fail(cmd, "key file %s is empty or too large", name);
    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, cmd->temp_pool) != APR_SUCCESS)
        return itsme_cmd_fail(cmd, "cannot read key file %s", name);
    *buf = apr_palloc(cmd->temp_pool, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, *buf, (apr_size_t)fi.size, len);
    apr_file_close(f);
    if (rv != APR_SUCCESS)
        return itsme_cmd_fail(cmd, "cannot read key file %s", name);
    (*buf)[*len] = '\0';
    if (fi.protection & APR_FPROT_WREAD)
        itsme_cmd_warn(cmd,
                       "ITSME02000: %s:%d: %s: the private key file %s can be read by every "
                       "user; make it readable by root only (chmod 600)",
                       cmd->directive ? cmd->directive->filename : "?",
                       cmd->directive ? cmd->directive->line_num : 0, cmd->cmd->name, name);
    return NULL;
}

static int kid_ok(const char *kid)
{
    apr_size_t n = 0;

    for (; kid[n]; n++)
        if (!apr_isalnum(kid[n]) && !strchr("-_.:~", kid[n]))
            return 0;
    return n > 0 && n <= KEYS_MAX_KID;
}

/* Loads a private RSA key (>= 2048 bits, the core checks the size). */
static const char *load_key(cmd_parms *cmd, const char *file, const char *kid, const char *use,
                            const itsme_jwk_t **out)
{
    itsme_err_t *err = NULL;
    itsme_jwk_t *k = NULL;
    const char *msg;
    char *pem = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if (kid && !kid_ok(kid))
        return itsme_cmd_fail(cmd, "kid '%s' must be 1-%d characters of A-Z a-z 0-9 - _ . : ~", kid,
                    KEYS_MAX_KID);
    if ((msg = read_key_file(cmd, file, &pem, &len)) != NULL)
        return msg;
    rv = itsme_jwk_from_pem(cmd->pool, pem, len, kid, use, &k, &err);
    wipe(pem, 0, len);
    if (rv != APR_SUCCESS)
        return itsme_cmd_fail(cmd, "%s: %s", file, itsme_err_str(cmd->temp_pool, err));
    if (strcmp(itsme_jwk_kty(k), "RSA") != 0 || !itsme_jwk_is_private(k))
        return itsme_cmd_fail(cmd,
                              "%s must hold an RSA private key (itsme supports RSA only)", file);
    *out = k;
    return NULL;
}

const char *itsme_keys_set_client_key(cmd_parms *cmd, void *dc, const char *file,
                                      const char *kid)
{
    itsme_srv_cfg_t *c = itsme_cmd_srv(cmd);
    const itsme_jwk_t *k = NULL;
    const char *msg;

    (void)dc;
    if ((msg = load_key(cmd, file, kid, "sig", &k)) != NULL)
        return msg;
    if (!c->sig_keys) {
        c->sig_keys = apr_array_make(cmd->pool, 2, sizeof(const itsme_jwk_t *));
        c->client_key = k; /* the first one signs */
    }
    APR_ARRAY_PUSH(c->sig_keys, const itsme_jwk_t *) = k;
    return NULL;
}

const char *itsme_keys_add_decryption_key(cmd_parms *cmd, void *dc, const char *file,
                                          const char *kid, const char *flag)
{
    itsme_srv_cfg_t *c = itsme_cmd_srv(cmd);
    itsme_rp_key_t *rk;
    const char *msg;

    (void)dc;
    if (kid && !flag && !strcasecmp(kid, "retired")) {
        flag = kid;
        kid = NULL;
    }
    if (flag && strcasecmp(flag, "retired") != 0)
        return itsme_cmd_fail(cmd, "'%s': the third argument can only be 'retired'", flag);
    if (!c->dec_keys)
        c->dec_keys = apr_array_make(cmd->pool, 2, sizeof(itsme_rp_key_t));
    rk = apr_array_push(c->dec_keys);
    rk->file = file;
    rk->published = flag == NULL;
    if ((msg = load_key(cmd, file, kid, "enc", &rk->jwk)) != NULL)
        return msg;
    return NULL;
}

const char *itsme_keys_set_expect_encryption(cmd_parms *cmd, void *dc, int on)
{
    (void)dc;
    itsme_cmd_srv(cmd)->expect_encryption = on ? 1 : 0;
    return NULL;
}

const char *itsme_keys_set_request_object(cmd_parms *cmd, void *dc, int on)
{
    (void)dc;
    itsme_cmd_srv(cmd)->request_object = on ? 1 : 0;
    return NULL;
}

const char *itsme_keys_set_jwks_uri(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_uri_t uri;

    (void)dc;
    if (strchr(arg, '#') || strchr(arg, '?'))
        return itsme_cmd_fail(cmd, "'%s' must not have a query or a fragment", arg);
    if (arg[0] == '/') {
        if (arg[1] == '/')
            return itsme_cmd_fail(cmd, "'%s' is not a path (starts with //)", arg);
    }
    else if (!itsme_url_is_absolute(arg)) {
        return itsme_cmd_fail(cmd, "'%s' must be a path starting with '/' or an absolute URL", arg);
    }
    else if (!itsme_url_is_secure_endpoint(arg)) {
        return itsme_cmd_fail(cmd, "'%s' must be https (http only to a loopback host)", arg);
    }
    else if (apr_uri_parse(cmd->temp_pool, arg, &uri) != APR_SUCCESS || !uri.path
             || uri.path[0] != '/' || !uri.path[1]) {
        return itsme_cmd_fail(cmd, "'%s' has no path", arg);
    }
    itsme_cmd_srv(cmd)->jwks_uri = arg;
    return NULL;
}

/* ---- getters, required set, merging ---- */

int itsme_cfg_expect_encryption(const itsme_srv_cfg_t *c)
{
    if (c->expect_encryption != ITSME_UNSET)
        return c->expect_encryption;
    return c->provider_name && c->profile == ITSME_PROFILE_ITSME;
}

/* ItsmeRequestObject, else what the OP's discovery demands. */
static int want_request_object(const itsme_srv_cfg_t *c, const itsme_metadata_t *md)
{
    if (c->request_object != ITSME_UNSET)
        return c->request_object;
    return md->require_signed_request_object;
}

const char *itsme_keys_missing(const itsme_srv_cfg_t *c)
{
    if (c->profile == ITSME_PROFILE_ITSME) {
        if (!c->client_key)
            return "ItsmeClientKey";
        /* ItsmeServiceCode: per server or per section (service.c) */
    }
    else if (!c->client_secret && !c->client_key) {
        return "ItsmeClientSecret";
    }
    if (itsme_cfg_expect_encryption(c) && (!c->dec_keys || c->dec_keys->nelts == 0))
        return "ItsmeDecryptionKey";
    if (c->request_object == 1 && !c->client_key)
        return "ItsmeClientKey";
    return NULL;
}

void itsme_keys_merge(itsme_srv_cfg_t *c, const itsme_srv_cfg_t *base,
                      const itsme_srv_cfg_t *add)
{
    const itsme_srv_cfg_t *sig = add->sig_keys ? add : base;

    c->client_key = sig->client_key;
    c->sig_keys = sig->sig_keys;
    c->dec_keys = add->dec_keys ? add->dec_keys : base->dec_keys;
    c->service_code = add->service_code ? add->service_code : base->service_code;
    c->expect_encryption = add->expect_encryption != ITSME_UNSET ? add->expect_encryption
                                                                 : base->expect_encryption;
    c->request_object = add->request_object != ITSME_UNSET ? add->request_object
                                                           : base->request_object;
    c->jwks_uri = add->jwks_uri ? add->jwks_uri : base->jwks_uri;
}

/* ---- check_config and post_config ---- */

static const char *where(apr_pool_t *p, const server_rec *s)
{
    if (!s->defn_name)
        return "the main server configuration";
    return apr_psprintf(p, "the virtual host defined at %s:%u", s->defn_name,
                        s->defn_line_number);
}

/* NULL when every kid of the RP's keys is unique, else the first repeated. */
static const char *repeated_kid(apr_pool_t *p, const itsme_srv_cfg_t *c)
{
    apr_hash_t *seen = apr_hash_make(p);
    int i, n_sig = c->sig_keys ? c->sig_keys->nelts : 0;
    int n_dec = c->dec_keys ? c->dec_keys->nelts : 0;

    for (i = 0; i < n_sig + n_dec; i++) {
        const itsme_jwk_t *k = i < n_sig
                                   ? APR_ARRAY_IDX(c->sig_keys, i, const itsme_jwk_t *)
                                   : APR_ARRAY_IDX(c->dec_keys, i - n_sig, itsme_rp_key_t).jwk;
        const char *kid = itsme_jwk_kid(k);

        if (apr_hash_get(seen, kid, APR_HASH_KEY_STRING))
            return kid;
        apr_hash_set(seen, kid, APR_HASH_KEY_STRING, kid);
    }
    return NULL;
}

int itsme_keys_check(apr_pool_t *p, server_rec *s, const itsme_srv_cfg_t *c)
{
    const char *kid = repeated_kid(p, c);
    const char *why;

    if (kid)
        why = apr_psprintf(p, "the key id '%s' is used by more than one ItsmeClientKey / "
                              "ItsmeDecryptionKey (give each key its own kid)", kid);
    else
        why = itsme_jwks_publish_check(p, c);
    if (!why)
        return OK;
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "ITSME02001: %s: %s", where(p, s), why);
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* Builds the runtime key objects of one ready server. */
static const char *keys_server(apr_pool_t *p, itsme_srv_cfg_t *c)
{
    apr_array_header_t *dk = apr_array_make(p, 2, sizeof(const itsme_jwk_t *));
    int i;

    for (i = 0; c->dec_keys && i < c->dec_keys->nelts; i++)
        APR_ARRAY_PUSH(dk, const itsme_jwk_t *) = APR_ARRAY_IDX(c->dec_keys, i,
                                                                itsme_rp_key_t).jwk;
    c->decrypt_keys = dk; /* never NULL once ready: see itsme_keys_for_id_token */
    return itsme_jwks_publish_build(p, c);
}

/* ---- keys ready before the fork ---- */

typedef struct {
    apr_array_header_t *todo; /* const itsme_jwk_t *: this server's keys not yet readied */
    int done;
} warm_t;

static void warm_keys(warm_t *w)
{
    int i;

    for (i = 0; i < w->todo->nelts; i++)
        w->done += itsme_jwk_warm(APR_ARRAY_IDX(w->todo, i, const itsme_jwk_t *));
}

static void *APR_THREAD_FUNC warm_thread(apr_thread_t *t, void *data)
{
    warm_keys(data);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void add_new(apr_array_header_t *todo, apr_hash_t *seen, const apr_array_header_t *keys)
{
    int i;

    for (i = 0; keys && i < keys->nelts; i++) {
        const itsme_jwk_t **k = &APR_ARRAY_IDX(keys, i, const itsme_jwk_t *);

        if (apr_hash_get(seen, k, sizeof(*k)))
            continue;
        apr_hash_set(seen, k, sizeof(*k), "");
        APR_ARRAY_PUSH(todo, const itsme_jwk_t *) = *k;
    }
}

/* One private operation per RSA key here and one from another thread:
 * OpenSSL's per-key setup (itsme_jwk_warm) is inherited by every child.
 * seen: the keys of earlier servers (a key shared by virtual hosts once). */
static void warm_server(apr_pool_t *p, server_rec *s, const itsme_srv_cfg_t *c, apr_hash_t *seen)
{
    warm_t w;
    apr_thread_t *t = NULL;
    apr_status_t rv;

    w.todo = apr_array_make(p, 4, sizeof(const itsme_jwk_t *));
    w.done = 0;
    add_new(w.todo, seen, c->sig_keys);
    add_new(w.todo, seen, c->decrypt_keys);
    warm_keys(&w);
    if (w.done == 0)
        return;
    if (apr_thread_create(&t, NULL, warm_thread, &w, p) == APR_SUCCESS)
        apr_thread_join(&rv, t);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "ITSME08201: %s: %d private key operation(s) to ready the keys",
                 where(p, s), w.done);
}

int itsme_keys_post_config(apr_pool_t *pconf, server_rec *s)
{
    server_rec *cur;
    apr_hash_t *seen = apr_hash_make(pconf);

    for (cur = s; cur; cur = cur->next) {
        itsme_srv_cfg_t *c = itsme_srv_cfg(cur);
        const char *why;

        if (!c->ready)
            continue;
        if ((why = keys_server(pconf, c)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, cur, "ITSME02007: %s: %s", where(pconf, cur),
                         why);
            c->ready = 0;
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, cur,
                     "ITSME02002: %s: %d signing key(s), %d decryption key(s), encryption "
                     "%s, JWKS at %s", where(pconf, cur),
                     c->sig_keys ? c->sig_keys->nelts : 0, c->decrypt_keys->nelts,
                     itsme_cfg_expect_encryption(c) ? "expected" : "optional",
                     c->jwks_path ? c->jwks_path : "(not published)");
        warm_server(pconf, cur, c, seen);
    }
    return OK;
}

/* ---- ID token and acr ---- */

/* A header value from the OP, escaped and bounded for the log. */
static const char *shown(apr_pool_t *p, const char *v)
{
    return v ? ap_escape_logitem(p, apr_pstrndup(p, v, 64)) : "-";
}

/* Says which of our keys the OP encrypted to (which kid, after a rotation). */
static void log_jwe(request_rec *r, const char *compact)
{
    itsme_jwe_header_t *h = NULL;

    if (!APLOGrdebug(r) || itsme_jwe_header(r->pool, compact, &h, NULL) != APR_SUCCESS)
        return;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ITSME02006: the ID token is a JWE: alg %s, enc %s, kid %s",
                  shown(r->pool, h->alg), shown(r->pool, h->enc), shown(r->pool, h->kid));
}

const apr_array_header_t *itsme_keys_for_id_token(request_rec *r, const itsme_srv_cfg_t *sc,
                                                  const char *compact)
{
    int jwe = itsme_jose_compact_parts(compact) == 5;

    if (jwe)
        log_jwe(r, compact);
    if (itsme_cfg_expect_encryption(sc))
        return sc->decrypt_keys; /* non-NULL: a plain JWS is refused */
    if (jwe && sc->decrypt_keys && sc->decrypt_keys->nelts > 0)
        return sc->decrypt_keys;
    return NULL;
}

const char *const *itsme_keys_acr_allowed(apr_pool_t *p, const itsme_srv_cfg_t *sc,
                                          const char *asked)
{
    apr_array_header_t *a;
    char *copy, *last = NULL, *t;

    if (sc->profile != ITSME_PROFILE_ITSME || !asked || !*asked)
        return NULL;
    a = apr_array_make(p, 4, sizeof(const char *));
    copy = apr_pstrdup(p, asked);
    for (t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last)) {
        APR_ARRAY_PUSH(a, const char *) = t;
        if (!strcasecmp(t, ITSME_ACR_BASIC)) /* the stricter level is welcome too */
            APR_ARRAY_PUSH(a, const char *) = ITSME_ACR_ADVANCED;
    }
    APR_ARRAY_PUSH(a, const char *) = NULL;
    return (const char *const *)a->elts;
}

/* ---- the request object ---- */

static const char *const enc_algs[] = {"RSA-OAEP-256", "RSA-OAEP", NULL};
static const char *const enc_encs[] = {"A128CBC-HS256", "A256GCM", NULL};

/* The first of prefs the OP lists, or prefs[0] when it lists nothing;
 * NULL when it lists others only. */
static const char *pick(const apr_array_header_t *listed, const char *const *prefs)
{
    int i;

    if (!listed || listed->nelts == 0)
        return prefs[0];
    for (i = 0; prefs[i]; i++)
        if (itsme_metadata_has(listed, prefs[i]))
            return prefs[i];
    return NULL;
}

/* The OP's public encryption key and the alg for it; *key stays NULL when
 * the OP publishes none we can use (the object is then signed only). */
static apr_status_t op_enc_key(request_rec *r, const itsme_srv_cfg_t *sc,
                               const itsme_metadata_t *md, itsme_reqobj_t *ro,
                               itsme_err_t **err)
{
    const apr_array_header_t *listed = md->request_object_encryption_algs;
    itsme_jwks_source_t src;
    int i;

    memset(&src, 0, sizeof(src));
    src.cache = sc->cache;
    src.http = &sc->http;
    src.jwks_uri = md->jwks_uri;
    src.now = apr_time_now();
    for (i = 0; enc_algs[i]; i++) {
        itsme_err_t *e = NULL;
        apr_status_t rv;

        if (listed && listed->nelts > 0 && !itsme_metadata_has(listed, enc_algs[i]))
            continue;
        rv = itsme_jwks_enc_key(&src, r->pool, enc_algs[i], &ro->enc_key, &e);
        if (rv == APR_SUCCESS) {
            ro->enc_alg = enc_algs[i];
            return APR_SUCCESS;
        }
        if (!e || e->status != APR_NOTFOUND)
            return itsme_err_wrap(r->pool, err, e ? e->kind : ITSME_E_OP, e,
                                  "request object: the OP's keys");
    }
    ro->enc_key = NULL;
    return APR_SUCCESS;
}

apr_status_t itsme_keys_request_object(request_rec *r, const itsme_srv_cfg_t *sc,
                                       const itsme_metadata_t *md, itsme_authz_req_t *az,
                                       itsme_err_t **err)
{
    const char *iss = itsme_cfg_expected_issuer(sc), *jwt = NULL;
    itsme_reqobj_t ro;
    apr_status_t rv;

    if (!want_request_object(sc, md))
        return APR_SUCCESS;
    if (!sc->client_key)
        return itsme_err_make(r->pool, err, ITSME_E_CONFIG, APR_EINVAL,
                              "the OP requires signed request objects "
                              "(require_signed_request_object), but ItsmeClientKey is not set");
    memset(&ro, 0, sizeof(ro));
    ro.params = az;
    ro.aud = iss ? iss : md->issuer;
    ro.sign_key = sc->client_key;
    ro.enc_enc = pick(md->request_object_encryption_encs, enc_encs);
    ro.now = apr_time_now();
    if ((rv = op_enc_key(r, sc, md, &ro, err)) != APR_SUCCESS
        || (rv = itsme_request_object_build(r->pool, &ro, &jwt, err)) != APR_SUCCESS)
        return rv;
    az->request = jwt;
    az->claims = NULL;     /* only inside the object: the URL stays short */
    az->acr_values = NULL;
    if (ro.enc_key)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME02004: request object signed with key %s, encrypted (%s) to "
                      "the OP's key %s", itsme_jwk_kid(sc->client_key), ro.enc_alg,
                      itsme_jwk_kid(ro.enc_key) ? itsme_jwk_kid(ro.enc_key) : "-");
    else
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ITSME02005: request object signed with key %s, not encrypted (the "
                      "OP publishes no encryption key)", itsme_jwk_kid(sc->client_key));
    return APR_SUCCESS;
}
