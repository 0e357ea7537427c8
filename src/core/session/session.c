/*
 * session.c: the logged-in session as compact JSON with short keys, and its
 * time rules (absolute expiry, inactivity, clock sanity).
 *
 * {"v":1,"sub":"..","iss":"..","c":created,"e":expires,"l":last_seen,
 *  "cl":{"name":"text",..},"it":"id token","acr":".."}
 * Times are whole seconds since the epoch. Only json.h is used for JSON.
 */
#include <string.h>
#include <apr_strings.h>

#include "core/json.h"
#include "core/session/session.h"

#define SESSION_VERSION 1
/* Largest seconds value that still fits an apr_time_t in microseconds. */
#define MAX_SECONDS (APR_INT64_MAX / APR_USEC_PER_SEC)

typedef struct {
    itsme_json_t *obj;
    apr_status_t rv;
} claims_out_t;

static int claim_put(void *baton, const char *key, const char *val)
{
    claims_out_t *co = baton;
    co->rv = itsme_json_set_string(co->obj, key, val);
    return co->rv == APR_SUCCESS;
}

static apr_status_t put_opt(itsme_json_t *o, const char *key, const char *val)
{
    return val ? itsme_json_set_string(o, key, val) : APR_SUCCESS;
}

/* Builds the JSON tree in tmp; NULL when s cannot be represented. */
static itsme_json_t *session_tree(apr_pool_t *tmp, const itsme_session_t *s)
{
    itsme_json_t *o = itsme_json_object_new(tmp);
    claims_out_t co = { itsme_json_object_new(tmp), APR_SUCCESS };

    if (!o || !co.obj) {
        return NULL;
    }
    if (s->claims) {
        if (apr_table_elts(s->claims)->nelts > ITSME_SESSION_MAX_CLAIMS) {
            return NULL;
        }
        apr_table_do(claim_put, &co, s->claims, NULL);
    }
    if (co.rv != APR_SUCCESS
        || itsme_json_set_int(o, "v", SESSION_VERSION) != APR_SUCCESS
        || itsme_json_set_string(o, "sub", s->sub) != APR_SUCCESS
        || put_opt(o, "iss", s->issuer) != APR_SUCCESS
        || itsme_json_set_int(o, "c", apr_time_sec(s->created)) != APR_SUCCESS
        || itsme_json_set_int(o, "e", apr_time_sec(s->expires)) != APR_SUCCESS
        || itsme_json_set_int(o, "l", apr_time_sec(s->last_seen)) != APR_SUCCESS
        || itsme_json_set(o, "cl", co.obj) != APR_SUCCESS
        || put_opt(o, "it", s->id_token) != APR_SUCCESS
        || put_opt(o, "acr", s->acr) != APR_SUCCESS) {
        return NULL;
    }
    return o;
}

char *itsme_session_serialize(apr_pool_t *p, const itsme_session_t *s)
{
    apr_pool_t *tmp = NULL;
    itsme_json_t *o;
    char *out = NULL;

    if (!s || !s->sub || !*s->sub || s->created < 0 || s->expires < 0 || s->last_seen < 0) {
        return NULL;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return NULL;
    }
    o = session_tree(tmp, s);
    if (o) {
        out = itsme_json_dump(p, o);
    }
    apr_pool_destroy(tmp);
    return out;
}

/* ---- parsing ---------------------------------------------------------- */

static const char *const known_keys[] = { "v", "sub", "iss", "c", "e", "l",
                                          "cl", "it", "acr", NULL };

static int unknown_key(void *baton, const char *key, const itsme_json_t *val)
{
    int i;
    (void)val;
    for (i = 0; known_keys[i]; i++) {
        if (!strcmp(key, known_keys[i])) {
            return 0;
        }
    }
    *(const char **)baton = key;
    return 1;
}

typedef struct {
    apr_pool_t *p;
    apr_table_t *claims;
} claims_in_t;

static int claim_take(void *baton, const char *key, const itsme_json_t *val)
{
    claims_in_t *ci = baton;
    const char *text = itsme_json_string_value(val);
    if (!*key || !text) {
        return 1;
    }
    apr_table_set(ci->claims, key, text);
    return 0;
}

/* Optional string: absent -> NULL; present but not a string -> error. */
static int opt_string(apr_pool_t *p, const itsme_json_t *o, const char *key, const char **out)
{
    const itsme_json_t *v = itsme_json_get(o, key);
    const char *text;
    *out = NULL;
    if (!v) {
        return 1;
    }
    text = itsme_json_string_value(v);
    if (!text) {
        return 0;
    }
    *out = apr_pstrdup(p, text);
    return 1;
}

static int get_time(const itsme_json_t *o, const char *key, apr_time_t *out)
{
    const itsme_json_t *v = itsme_json_get(o, key);
    apr_int64_t sec;
    if (!itsme_json_is_integer(v)) {
        return 0;
    }
    sec = itsme_json_integer_value(v);
    if (sec < 0 || sec > MAX_SECONDS) {
        return 0;
    }
    *out = apr_time_from_sec(sec);
    return 1;
}

static apr_status_t bad(apr_pool_t *p, itsme_err_t **err, const char *what)
{
    return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL, "session: %s", what);
}

static apr_status_t read_claims(apr_pool_t *p, const itsme_json_t *o, itsme_session_t *s,
                                itsme_err_t **err)
{
    const itsme_json_t *cl = itsme_json_get(o, "cl");
    claims_in_t ci;
    apr_size_t n;

    s->claims = apr_table_make(p, 16);
    if (!cl) {
        return APR_SUCCESS;
    }
    if (!itsme_json_is_object(cl)) {
        return bad(p, err, "claims are not an object");
    }
    n = itsme_json_object_size(cl);
    if (n > ITSME_SESSION_MAX_CLAIMS) {
        return bad(p, err, "too many claims");
    }
    ci.p = p;
    ci.claims = s->claims;
    if (itsme_json_object_foreach(cl, claim_take, &ci) != 0) {
        return bad(p, err, "a claim is not a string or has an empty name");
    }
    return APR_SUCCESS;
}

static apr_status_t read_fields(apr_pool_t *p, const itsme_json_t *o, itsme_session_t *s,
                                itsme_err_t **err)
{
    apr_int64_t v = 0;
    const char *sub, *unknown = NULL;

    if (!itsme_json_is_integer(itsme_json_get(o, "v"))
        || (v = itsme_json_integer_value(itsme_json_get(o, "v"))) != SESSION_VERSION) {
        return bad(p, err, "unsupported version");
    }
    if (itsme_json_object_foreach(o, unknown_key, &unknown) != 0) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "session: unknown field '%.32s'", unknown);
    }
    sub = itsme_json_get_string(o, "sub");
    if (!sub || !*sub) {
        return bad(p, err, "missing or empty sub");
    }
    s->sub = apr_pstrdup(p, sub);
    if (!get_time(o, "c", &s->created) || !get_time(o, "e", &s->expires)
        || !get_time(o, "l", &s->last_seen)) {
        return bad(p, err, "times c/e/l must be non-negative integers");
    }
    if (!opt_string(p, o, "iss", &s->issuer) || !opt_string(p, o, "it", &s->id_token)
        || !opt_string(p, o, "acr", &s->acr)) {
        return bad(p, err, "iss/it/acr must be strings");
    }
    return read_claims(p, o, s, err);
}

apr_status_t itsme_session_parse(apr_pool_t *p, const char *json, apr_size_t len,
                                 itsme_session_t **out, itsme_err_t **err)
{
    apr_pool_t *tmp = NULL;
    itsme_json_t *o = NULL;
    itsme_err_t *jerr = NULL;
    itsme_session_t *s;
    apr_status_t rv;

    *out = NULL;
    if (!json) {
        return bad(p, err, "no data");
    }
    rv = apr_pool_create(&tmp, p);
    if (rv != APR_SUCCESS) {
        return itsme_err_make(p, err, ITSME_E_INTERNAL, rv, "session: no memory");
    }
    rv = itsme_json_parse_object(tmp, json, len, &o, &jerr);
    if (rv != APR_SUCCESS) {
        itsme_err_t *cause = NULL; /* jerr lives in tmp: copy it to p */
        if (jerr) {
            itsme_err_make(p, &cause, jerr->kind, jerr->status, "%s", itsme_err_str(p, jerr));
        }
        rv = itsme_err_wrap(p, err, ITSME_E_INPUT, cause, "session: not a JSON object");
        goto leave;
    }
    s = apr_pcalloc(p, sizeof(*s));
    rv = read_fields(p, o, s, err);
    if (rv == APR_SUCCESS) {
        *out = s;
    }
leave:
    apr_pool_destroy(tmp);
    return rv;
}

/* ---- time rules --------------------------------------------------------- */

/* Whole seconds of a non-zero interval, at least 1. */
static apr_int64_t interval_sec(apr_interval_time_t t)
{
    apr_int64_t sec = apr_time_sec(t);
    return sec > 0 ? sec : 1;
}

itsme_session_status_e itsme_session_check(const itsme_session_t *s, apr_time_t now,
                                           apr_interval_time_t inactivity)
{
    apr_int64_t now_s = apr_time_sec(now);
    apr_int64_t skew_s = apr_time_sec(ITSME_SESSION_CLOCK_SKEW);

    if (apr_time_sec(s->created) > now_s + skew_s
        || apr_time_sec(s->last_seen) > now_s + skew_s) {
        return ITSME_SESSION_FUTURE;
    }
    if (now_s >= apr_time_sec(s->expires)) {
        return ITSME_SESSION_EXPIRED;
    }
    if (inactivity > 0 && now_s - apr_time_sec(s->last_seen) >= interval_sec(inactivity)) {
        return ITSME_SESSION_IDLE;
    }
    return ITSME_SESSION_OK;
}

int itsme_session_touch_due(const itsme_session_t *s, apr_time_t now,
                            apr_interval_time_t inactivity)
{
    apr_int64_t every;

    if (inactivity <= 0) {
        return 0;
    }
    every = interval_sec(inactivity) / 10;
    if (every < 60) {
        every = 60;
    }
    /* a short timeout: refresh by half-time, or an active session would idle out */
    if (every > interval_sec(inactivity) / 2) {
        every = interval_sec(inactivity) / 2 > 0 ? interval_sec(inactivity) / 2 : 1;
    }
    return apr_time_sec(now) - apr_time_sec(s->last_seen) >= every;
}
