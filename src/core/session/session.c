/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * session.c: the logged-in session as compact JSON with short keys, and its
 * time rules (absolute expiry, inactivity, clock sanity).
 *
 * {"v":1,"sub":"..","iss":"..","c":created,"e":expires,"l":last_seen,
 *  "cl":{"name":"text",..},"it":"id token","acr":"..","sid":"..","ng":"c1 c2"}
 * Times are whole seconds since the epoch. Only json.h is used for JSON.
 *
 * Sessions are read on every request, and the general JSON parser spends
 * ~150 instructions a byte on them. So the exact form that
 * itsme_session_serialize writes (compact, known keys, no \u escapes, valid
 * UTF-8) is read by a small fast path; anything else, and every error, goes
 * to the general parser, so the result is the same either way.
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
        || put_opt(o, "acr", s->acr) != APR_SUCCESS
        || put_opt(o, "sid", s->sid) != APR_SUCCESS
        || put_opt(o, "ng", s->not_given) != APR_SUCCESS) {
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

enum { K_V, K_SUB, K_ISS, K_C, K_E, K_L, K_CL, K_IT, K_ACR, K_SID, K_NG };
static const char *const known_keys[] = { [K_V] = "v", [K_SUB] = "sub", [K_ISS] = "iss",
                                          [K_C] = "c", [K_E] = "e", [K_L] = "l",
                                          [K_CL] = "cl", [K_IT] = "it", [K_ACR] = "acr",
                                          [K_SID] = "sid", [K_NG] = "ng", NULL };
#define REQUIRED_KEYS ((1u << K_V) | (1u << K_SUB) | (1u << K_C) | (1u << K_E) | (1u << K_L))

/* Index of key in known_keys, or -1. */
static int key_index(const char *key)
{
    for (int i = 0; key && known_keys[i]; i++) {
        if (!strcmp(key, known_keys[i])) {
            return i;
        }
    }
    return -1;
}

static int unknown_key(void *baton, const char *key, const itsme_json_t *val)
{
    (void)val;
    if (key_index(key) >= 0) {
        return 0;
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
        || !opt_string(p, o, "acr", &s->acr) || !opt_string(p, o, "sid", &s->sid)
        || !opt_string(p, o, "ng", &s->not_given)) {
        return bad(p, err, "iss/it/acr/sid/ng must be strings");
    }
    return read_claims(p, o, s, err);
}

apr_status_t itsme_session_parse_general(apr_pool_t *p, const char *json, apr_size_t len,
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

/* ---- fast path ---------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const unsigned char *at, *end;
} fp_t;

/* Length of the well-formed UTF-8 sequence at q (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF); 0 when there is none. */
static apr_size_t fp_utf8(const unsigned char *q, const unsigned char *end)
{
    unsigned char c = q[0];
    apr_size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

    if (c < 0xc2 || c > 0xf4 || (apr_size_t)(end - q) < n) {
        return 0;
    }
    if (c == 0xe0) {
        lo = 0xa0;
    }
    else if (c == 0xed) {
        hi = 0x9f;
    }
    else if (c == 0xf0) {
        lo = 0x90;
    }
    else if (c == 0xf4) {
        hi = 0x8f;
    }
    if (q[1] < lo || q[1] > hi) {
        return 0;
    }
    for (apr_size_t i = 2; i < n; i++) {
        if (q[i] < 0x80 || q[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* The character a two-byte escape stands for; 0 for \u and anything else. */
static char fp_unescape(unsigned char c)
{
    switch (c) {
    case '"': case '\\': case '/': return (char)c;
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

/* 1 for the bytes 0x20-0x7f but '"' and '\\': a string's plain bytes
 * (JSON allows DEL unescaped; the general parser takes it too). */
static const unsigned char fp_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Bytes of the well-formed string body from q up to its closing quote;
 * *nesc counts the escapes. Returns NULL when not fast-path material. */
static const unsigned char *fp_scan(const unsigned char *q, const unsigned char *end,
                                    apr_size_t *nesc)
{
    apr_size_t k;

    while (q < end) {
        unsigned char c = *q;
        if (fp_plain[c]) {
            q++; /* the common case first */
        }
        else if (c == '"') {
            return q;
        }
        else if (c == '\\') {
            if (q + 1 >= end || !fp_unescape(q[1])) {
                return NULL;
            }
            q += 2;
            (*nesc)++;
        }
        else if (c < 0x20 || (k = fp_utf8(q, end)) == 0) {
            return NULL;
        }
        else {
            q += k;
        }
    }
    return NULL;
}

/* A string at the cursor, decoded into p; NULL when not fast-path material. */
static const char *fp_string(fp_t *f)
{
    const unsigned char *from, *q;
    apr_size_t nesc = 0, n;
    char *out, *o;

    if (f->at >= f->end || *f->at != '"') {
        return NULL;
    }
    from = f->at + 1;
    q = fp_scan(from, f->end, &nesc);
    if (!q) {
        return NULL;
    }
    f->at = q + 1;
    n = (apr_size_t)(q - from) - nesc;
    out = apr_palloc(f->p, n + 1);
    if (!nesc) {
        memcpy(out, from, n);
    }
    for (o = out, q = from; nesc && *q != '"'; q++) {
        *o++ = *q == '\\' ? fp_unescape(*++q) : (char)*q;
    }
    out[n] = '\0';
    return out;
}

/* A non-negative integer of at most 18 digits, no leading zero, followed by
 * ',' or '}'; 0 when not fast-path material. */
static int fp_int(fp_t *f, apr_int64_t *v)
{
    const unsigned char *q = f->at;

    *v = 0;
    while (q < f->end && *q >= '0' && *q <= '9' && q - f->at < 18) {
        *v = *v * 10 + (*q++ - '0');
    }
    if (q == f->at || q >= f->end || (*f->at == '0' && q - f->at > 1)
        || (*q != ',' && *q != '}')) {
        return 0;
    }
    f->at = q;
    return 1;
}

static int fp_byte(fp_t *f, unsigned char c)
{
    if (f->at >= f->end || *f->at != c) {
        return 0;
    }
    f->at++;
    return 1;
}

/* The "cl" object: strings under non-empty names, no name twice. */
static int fp_claims(fp_t *f, apr_table_t *claims)
{
    int n = 0;

    if (!fp_byte(f, '{')) {
        return 0;
    }
    if (fp_byte(f, '}')) {
        return 1;
    }
    do {
        const char *k = fp_string(f), *v;
        if (!k || !*k || !fp_byte(f, ':') || !(v = fp_string(f))
            || ++n > ITSME_SESSION_MAX_CLAIMS || apr_table_get(claims, k)) {
            return 0;
        }
        apr_table_setn(claims, k, v);
    } while (fp_byte(f, ','));
    return fp_byte(f, '}');
}

static int fp_time(fp_t *f, apr_time_t *t)
{
    apr_int64_t v;

    if (!fp_int(f, &v) || v > MAX_SECONDS) {
        return 0;
    }
    *t = apr_time_from_sec(v);
    return 1;
}

/* One member; *seen collects known_keys indexes (each at most once). */
static int fp_member(fp_t *f, itsme_session_t *s, unsigned int *seen)
{
    int i = key_index(fp_string(f));
    apr_int64_t v;

    if (i < 0 || (*seen & (1u << i)) || !fp_byte(f, ':')) {
        return 0;
    }
    *seen |= 1u << i;
    switch (i) {
    case K_V: return fp_int(f, &v) && v == SESSION_VERSION;
    case K_SUB: return (s->sub = fp_string(f)) != NULL && *s->sub;
    case K_ISS: return (s->issuer = fp_string(f)) != NULL;
    case K_C: return fp_time(f, &s->created);
    case K_E: return fp_time(f, &s->expires);
    case K_L: return fp_time(f, &s->last_seen);
    case K_CL: return fp_claims(f, s->claims);
    case K_IT: return (s->id_token = fp_string(f)) != NULL;
    case K_ACR: return (s->acr = fp_string(f)) != NULL;
    case K_SID: return (s->sid = fp_string(f)) != NULL;
    default: return (s->not_given = fp_string(f)) != NULL;
    }
}

int itsme_session_parse_fast(apr_pool_t *p, const char *json, apr_size_t len,
                             itsme_session_t **out)
{
    fp_t f = { p, NULL, NULL };
    itsme_session_t *s;
    unsigned int seen = 0;

    *out = NULL;
    if (!json || len > ITSME_JSON_MAX_INPUT) {
        return 0;
    }
    f.at = (const unsigned char *)json;
    f.end = f.at + len;
    if (!fp_byte(&f, '{')) {
        return 0;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->claims = apr_table_make(p, 16);
    do {
        if (!fp_member(&f, s, &seen)) {
            return 0;
        }
    } while (fp_byte(&f, ','));
    if (!fp_byte(&f, '}') || f.at != f.end || (seen & REQUIRED_KEYS) != REQUIRED_KEYS) {
        return 0;
    }
    *out = s;
    return 1;
}

apr_status_t itsme_session_parse(apr_pool_t *p, const char *json, apr_size_t len,
                                 itsme_session_t **out, itsme_err_t **err)
{
    if (itsme_session_parse_fast(p, json, len, out)) {
        return APR_SUCCESS;
    }
    return itsme_session_parse_general(p, json, len, out, err);
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
