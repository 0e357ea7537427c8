/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * state.c: the per-flow state (state, nonce, PKCE verifier, return URL)
 * that rides in a short-lived sealed cookie, and PKCE S256.
 *
 * Serialized as {"v":1,"s":state,"n":nonce,"cv":verifier,"r":return_url,
 * "wc":wanted_claims,"acr":acr,"su":step_up,"sv":service,"c":created} with times in
 * whole seconds.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <apr_strings.h>

#include "core/b64url.h"
#include "core/json.h"
#include "core/proto/state.h"

#define STATE_VERSION 1
#define RANDOM_MIN 16
#define RANDOM_MAX 64
#define FLOW_RANDOM_BYTES 32
#define TOKEN_MIN 22       /* state, nonce: 16 random bytes at least */
#define TOKEN_MAX 128
#define VERIFIER_MIN 43    /* RFC 7636 §4.1 */
#define VERIFIER_MAX 128
#define RETURN_URL_MAX 8192
#define FUTURE_SKEW apr_time_from_sec(60)
#define MAX_SECONDS (APR_INT64_MAX / APR_USEC_PER_SEC)

apr_status_t itsme_random_b64url(apr_pool_t *p, apr_size_t nbytes, const char **out,
                                 itsme_err_t **err)
{
    unsigned char buf[RANDOM_MAX];

    *out = NULL;
    if (nbytes < RANDOM_MIN || nbytes > RANDOM_MAX) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "random: %" APR_SIZE_T_FMT " bytes is outside %d..%d", nbytes,
                              RANDOM_MIN, RANDOM_MAX);
    }
    if (RAND_bytes(buf, (int)nbytes) != 1) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "random: RAND_bytes failed");
    }
    *out = itsme_b64url_encode(p, buf, nbytes);
    OPENSSL_cleanse(buf, sizeof(buf));
    return APR_SUCCESS;
}

static int is_b64url_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
        || ch == '-' || ch == '_';
}

/* RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" */
static int is_unreserved(char ch)
{
    return is_b64url_char(ch) || ch == '.' || ch == '~';
}

static int shape_ok(const char *v, apr_size_t min, apr_size_t max, int (*ok)(char))
{
    apr_size_t n = 0;
    if (!v) {
        return 0;
    }
    for (; v[n]; n++) {
        if (n >= max || !ok(v[n])) {
            return 0;
        }
    }
    return n >= min;
}

/* A local path ("/..." but not "//" or "/\\") or an absolute http(s) URL,
 * without control characters. */
static int return_url_ok(const char *u)
{
    apr_size_t i;
    if (!u || !*u) {
        return 0;
    }
    for (i = 0; u[i]; i++) {
        if (i >= RETURN_URL_MAX || (unsigned char)u[i] < 0x20 || u[i] == 0x7f) {
            return 0;
        }
    }
    if (u[0] == '/') {
        return u[1] != '/' && u[1] != '\\';
    }
    return !strncmp(u, "https://", 8) || !strncmp(u, "http://", 7);
}

apr_status_t itsme_state_new(apr_pool_t *p, const char *return_url, apr_time_t now,
                             itsme_state_t **out, itsme_err_t **err)
{
    itsme_state_t *s;
    apr_status_t rv;

    *out = NULL;
    if (!return_url_ok(return_url)) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "state: return URL is not a local path or http(s) URL");
    }
    s = apr_pcalloc(p, sizeof(*s));
    if ((rv = itsme_random_b64url(p, FLOW_RANDOM_BYTES, &s->state, err)) != APR_SUCCESS
        || (rv = itsme_random_b64url(p, FLOW_RANDOM_BYTES, &s->nonce, err)) != APR_SUCCESS
        || (rv = itsme_random_b64url(p, FLOW_RANDOM_BYTES, &s->code_verifier, err))
               != APR_SUCCESS) {
        return rv;
    }
    s->return_url = apr_pstrdup(p, return_url);
    s->created = now;
    *out = s;
    return APR_SUCCESS;
}

const char *itsme_pkce_s256(apr_pool_t *p, const char *verifier)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!verifier) {
        return NULL;
    }
    if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL) != 1) {
        return NULL;
    }
    return itsme_b64url_encode(p, md, mdlen);
}

static apr_status_t put_opt(itsme_json_t *o, const char *key, const char *val)
{
    return val ? itsme_json_set_string(o, key, val) : APR_SUCCESS;
}

char *itsme_state_serialize(apr_pool_t *p, const itsme_state_t *s)
{
    apr_pool_t *tmp = NULL;
    itsme_json_t *o;
    char *out = NULL;

    if (!s || !s->state || !s->nonce || !s->code_verifier || !s->return_url
        || s->created < 0 || apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return NULL;
    }
    o = itsme_json_object_new(tmp);
    if (o && itsme_json_set_int(o, "v", STATE_VERSION) == APR_SUCCESS
        && itsme_json_set_string(o, "s", s->state) == APR_SUCCESS
        && itsme_json_set_string(o, "n", s->nonce) == APR_SUCCESS
        && itsme_json_set_string(o, "cv", s->code_verifier) == APR_SUCCESS
        && itsme_json_set_string(o, "r", s->return_url) == APR_SUCCESS
        && put_opt(o, "wc", s->wanted_claims) == APR_SUCCESS
        && put_opt(o, "acr", s->acr) == APR_SUCCESS
        && put_opt(o, "su", s->step_up) == APR_SUCCESS
        && put_opt(o, "sv", s->service) == APR_SUCCESS
        && itsme_json_set_int(o, "c", apr_time_sec(s->created)) == APR_SUCCESS) {
        out = itsme_json_dump(p, o);
    }
    apr_pool_destroy(tmp);
    return out;
}

/* ---- parsing ---------------------------------------------------------- */

static const char *const known_keys[] = { "v", "s", "n", "cv", "r", "wc", "acr", "su", "sv",
                                          "c", NULL };

static int unknown_key(void *baton, const char *key, const itsme_json_t *val)
{
    int i;
    (void)baton;
    (void)val;
    for (i = 0; known_keys[i]; i++) {
        if (!strcmp(key, known_keys[i])) {
            return 0;
        }
    }
    return 1;
}

static apr_status_t bad(apr_pool_t *p, itsme_err_t **err, const char *what)
{
    return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL, "flow state: %s", what);
}

/* Optional string: absent -> NULL (ok); present but not a string -> 0. */
static int opt_string(apr_pool_t *p, const itsme_json_t *o, const char *key, const char **out)
{
    const itsme_json_t *v = itsme_json_get(o, key);
    *out = NULL;
    if (!v) {
        return 1;
    }
    if (!itsme_json_string_value(v)) {
        return 0;
    }
    *out = apr_pstrdup(p, itsme_json_string_value(v));
    return 1;
}

static apr_status_t read_fields(apr_pool_t *p, const itsme_json_t *o, itsme_state_t *s,
                                itsme_err_t **err)
{
    const itsme_json_t *v = itsme_json_get(o, "v"), *c = itsme_json_get(o, "c");

    if (!itsme_json_is_integer(v) || itsme_json_integer_value(v) != STATE_VERSION) {
        return bad(p, err, "unsupported version");
    }
    if (itsme_json_object_foreach(o, unknown_key, NULL) != 0) {
        return bad(p, err, "unknown field");
    }
    s->state = apr_pstrdup(p, itsme_json_get_string(o, "s"));
    s->nonce = apr_pstrdup(p, itsme_json_get_string(o, "n"));
    s->code_verifier = apr_pstrdup(p, itsme_json_get_string(o, "cv"));
    s->return_url = apr_pstrdup(p, itsme_json_get_string(o, "r"));
    if (!shape_ok(s->state, TOKEN_MIN, TOKEN_MAX, is_b64url_char)
        || !shape_ok(s->nonce, TOKEN_MIN, TOKEN_MAX, is_b64url_char)) {
        return bad(p, err, "state or nonce missing or malformed");
    }
    if (!shape_ok(s->code_verifier, VERIFIER_MIN, VERIFIER_MAX, is_unreserved)) {
        return bad(p, err, "PKCE verifier missing or malformed");
    }
    if (!return_url_ok(s->return_url)) {
        return bad(p, err, "return URL missing or malformed");
    }
    if (!opt_string(p, o, "wc", &s->wanted_claims) || !opt_string(p, o, "acr", &s->acr)
        || !opt_string(p, o, "su", &s->step_up) || !opt_string(p, o, "sv", &s->service)) {
        return bad(p, err, "wanted claims / acr / step-up / service must be strings");
    }
    if (!itsme_json_is_integer(c) || itsme_json_integer_value(c) < 0
        || itsme_json_integer_value(c) > MAX_SECONDS) {
        return bad(p, err, "creation time missing or malformed");
    }
    s->created = apr_time_from_sec(itsme_json_integer_value(c));
    return APR_SUCCESS;
}

/* created must lie in (now - max_age, now + 60 s]. */
static apr_status_t check_age(apr_pool_t *p, const itsme_state_t *s, apr_time_t now,
                              apr_interval_time_t max_age, itsme_err_t **err)
{
    if (max_age <= 0) {
        max_age = ITSME_STATE_MAX_AGE;
    }
    if (s->created > now + FUTURE_SKEW) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "flow state: created in the future");
    }
    if (s->created <= now - max_age) {
        return itsme_err_make(p, err, ITSME_E_EXPIRED, APR_TIMEUP,
                              "flow state: older than %" APR_INT64_T_FMT " s",
                              (apr_int64_t)apr_time_sec(max_age));
    }
    return APR_SUCCESS;
}

apr_status_t itsme_state_parse(apr_pool_t *p, const char *json, apr_size_t len,
                               apr_time_t now, apr_interval_time_t max_age,
                               itsme_state_t **out, itsme_err_t **err)
{
    apr_pool_t *tmp = NULL;
    itsme_json_t *o = NULL;
    itsme_state_t *s;
    apr_status_t rv;

    *out = NULL;
    if (!json) {
        return bad(p, err, "no data");
    }
    rv = apr_pool_create(&tmp, p);
    if (rv != APR_SUCCESS) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "flow state: no memory");
    }
    if (itsme_json_parse_object(tmp, json, len, &o, NULL) != APR_SUCCESS) {
        rv = bad(p, err, "not a JSON object");
        goto leave;
    }
    s = apr_pcalloc(p, sizeof(*s));
    rv = read_fields(p, o, s, err);
    if (rv == APR_SUCCESS) {
        rv = check_age(p, s, now, max_age, err);
    }
    if (rv == APR_SUCCESS) {
        *out = s;
    }
leave:
    apr_pool_destroy(tmp);
    return rv;
}
