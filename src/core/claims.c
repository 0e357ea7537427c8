/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * claims.c: canonical claim names whatever route the login took (itsme V2
 * URIs, Signicat broker names, legacy "itsme.*" attributes), Belgian check
 * digits, age, and the request side (scopes + claims parameter per profile).
 * A top-level name is classified (itsme URI prefix, legacy "itsme." prefix,
 * or standard/broker); nested objects are walked building a dotted "raw" path
 * (address.locality) looked up in that name space's table. Within a document
 * the higher priority wins (first on a tie); across documents userinfo wins a
 * tie. Unmapped claims keep a sanitised name unless it shadows a canonical one.
 */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include "core/claims.h"

#define MAX_DEPTH 4        /* nesting levels walked below a top-level claim */
#define MAX_CLAIMS 200     /* distinct output names kept */
#define MAX_SAN_NAME 64    /* sanitised pass-through names */
#define MAX_RAW_NAME 256   /* raw paths longer than this are dropped */
#define MAX_COST (1024 * 1024) /* bytes of text one document may allocate */

#define F_BE_NIN 0x1       /* a Belgian national number by definition */

static int in_list(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- mapping tables (data) ---- */

typedef struct {
    const char *src; /* raw path: top-level name, nested members joined by '.' */
    const char *dst; /* canonical or pass-through name; NULL drops the claim */
    int prio;
    unsigned flags;
} claim_map_t;

/* Standard OIDC and Signicat broker names (OIDC and REST spellings). A name
 * that is itself canonical maps to itself with priority 2 (not listed). */
static const claim_map_t std_map[] = {
    {"age", NULL, 0, 0}, /* derived per request by the glue, never taken */
    {"address", "address_formatted", 1, 0}, /* string form (Signicat REST) */
    {"address.formatted", "address_formatted", 2, 0},
    {"address.street_address", "address_street", 2, 0},
    {"address.postal_code", "address_postal_code", 2, 0},
    {"address.locality", "address_locality", 2, 0}, {"address.country", "address_country", 2, 0},
    {"nin.value", "nin", 2, 0}, {"nin.type", "nin_type", 2, 0},
    {"nin.issuingCountry", "nin_issuing_country", 2, 0},
    {"itsme_national_number", "nin", 1, F_BE_NIN}, {"itsmeNationalNumber", "nin", 1, F_BE_NIN},
    {"date-of-birth", "birthdate", 1, 0},    {"dateOfBirth", "birthdate", 1, 0},
    {"firstName", "given_name", 1, 0},       {"lastName", "family_name", 1, 0},
    {"phoneNumber", "phone_number", 1, 0},   {"placeOfBirth", "place_of_birth", 1, 0},
    {"countryOfBirth", "country_of_birth", 1, 0},
    {"itsme_eid", "eid_number", 2, 0},       {"itsmeEid", "eid_number", 1, 0},
    {"itsme_issuance_locality", "eid_issuance_locality", 2, 0},
    {"itsmeIssuanceLocality", "eid_issuance_locality", 1, 0},
    {"itsme_validity_from", "eid_validity_from", 2, 0},
    {"itsmeValidityFrom", "eid_validity_from", 1, 0},
    {"itsme_validity_to", "eid_validity_to", 2, 0}, {"itsmeValidityTo", "eid_validity_to", 1, 0},
    {"itsme_read_date", "eid_read_date", 2, 0}, {"itsmeReadDate", "eid_read_date", 1, 0},
    {NULL, NULL, 0, 0}};

/* itsme V2 claim URIs (local part after the prefix) and V1 tag: names. */
static const claim_map_t itsme_map[] = {
    {"BENationalNumber", "nin", 3, F_BE_NIN}, {"IDDocumentSN", "eid_number", 3, 0},
    {"BEeidSn", "eid_number", 2, 0}, {"claim_eid", "eid_number", 1, 0}, /* V1 */
    {"IDDocumentType", "id_document_type", 2, 0},
    {"claim_citizenship_as_iso", "nationality", 3, 0}, {"claim_citizenship", "nationality", 2, 0},
    {"claim_nationality", "nationality", 1, 0}, /* V1 */
    {"place_of_birth", "place_of_birth", 2, 0}, /* string form */
    {"place_of_birth.formatted", "place_of_birth", 3, 0},
    {"place_of_birth.city", "place_of_birth", 2, 0},
    {"place_of_birth.country", "country_of_birth", 3, 0},
    {"claim_city_of_birth", "place_of_birth", 1, 0}, /* V1 */
    {"official_gender", "gender", 0, 0}, /* only when gender is absent */
    {NULL, NULL, 0, 0}};

/* Legacy Signicat attributes, name after "itsme." (dots are part of it). */
static const claim_map_t legacy_map[] = {
    {"age", NULL, 0, 0},                     {"national_number", "nin", 2, F_BE_NIN},
    {"sub", "itsme_sub", 2, 0}, /* never the canonical sub: the ID token's is */
    {"eid", "eid_number", 2, 0},             {"read_date", "eid_read_date", 2, 0},
    {"issuance_locality", "eid_issuance_locality", 2, 0},
    {"validity_from", "eid_validity_from", 2, 0}, {"validity_to", "eid_validity_to", 2, 0},
    {"city-of-birth", "place_of_birth", 2, 0}, /* "photo": see put_bare_photo */
    {"firstname", "given_name", 1, 0},       {"lastname", "family_name", 1, 0},
    {"address.formatted", "address_formatted", 2, 0},
    {"address.street_address", "address_street", 2, 0},
    {"address.postal_code", "address_postal_code", 2, 0},
    {"address.locality", "address_locality", 2, 0}, {"address.country", "address_country", 2, 0},
    {NULL, NULL, 0, 0}};

/* itsme metadata claims are objects keyed by the claim they describe; the
 * value goes to eid_dst when it describes the document number (IDDocumentSN
 * priority 3, BEeidSn 2), to nin_dst when it describes BENationalNumber. */
typedef struct { const char *meta, *eid_dst, *nin_dst; } meta_map_t;

static const meta_map_t meta_map[] = {
    {"validityFrom", "eid_validity_from", NULL},   {"validityTo", "eid_validity_to", NULL},
    {"verificationDate", "eid_read_date", NULL},
    {"issuance_locality", "eid_issuance_locality", NULL},
    {"IDIssuingCountry", "id_document_issuing_country", "nin_issuing_country"},
    {NULL, NULL, NULL}};

static const char *const protocol_claims[] = {"iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash",
    "c_hash", "auth_time", "acr", "amr", "azp", "sid", "jti", NULL};

static const char *const itsme_prefixes[] = {
    "http://itsme.services/v2/claim/", "http://itsme.services/V2/claim/",
    "tag:sixdots.be,2016-06:", "tag:sixdots.be,2017-05:", NULL};

typedef enum { NS_STD, NS_ITSME, NS_LEGACY } claim_ns_e;

/* ---- the working store ---- */

typedef struct { const char *val; int prio, doc; unsigned flags; } cval_t; /* val NULL: dropped */

typedef struct {
    apr_pool_t *p;
    const itsme_logger_t *log;
    apr_hash_t *vals;           /* name -> cval_t */
    apr_array_header_t *order;  /* names in first-seen order */
    int doc;                    /* 0 id_token, 1 userinfo */
    apr_size_t cost;            /* bytes of text this document made, <= MAX_COST */
    char *join;                 /* scratch for joining arrays, MAX_VALUE + 1 */
} cctx_t;

static const claim_map_t *map_find(const claim_map_t *m, const char *raw)
{
    for (; m->src; m++)
        if (strcmp(m->src, raw) == 0)
            return m;
    return NULL;
}

/* Tabs and line breaks become spaces; other control characters refuse the
 * value (NULL). */
static const char *clean_value(apr_pool_t *p, const char *v)
{
    char *c = apr_pstrdup(p, v);
    for (char *w = c; *w; w++) {
        if (*w == '\t' || *w == '\r' || *w == '\n')
            *w = ' ';
        else if ((unsigned char)*w < 0x20 || *w == 0x7f)
            return NULL;
    }
    return c;
}

/* Charges n bytes to the document; 0 (and logged once) past MAX_COST. */
static int afford(cctx_t *x, apr_size_t n)
{
    int ok = x->cost <= MAX_COST && n <= MAX_COST - x->cost;

    if (!ok && x->cost <= MAX_COST)
        itsme_log(x->log, ITSME_LOG_WARN, "ITSME00504",
                  "claims: document too costly, its remaining claims dropped");
    x->cost = ok ? x->cost + n : MAX_COST + 1;
    return ok;
}

static void put(cctx_t *x, const char *name, const char *val, int prio, unsigned flags)
{
    apr_size_t cap = strcmp(name, "picture") == 0 ? ITSME_CLAIM_MAX_PICTURE
                                                  : ITSME_CLAIM_MAX_VALUE;
    apr_size_t n = strlen(val);
    cval_t *cur = apr_hash_get(x->vals, name, APR_HASH_KEY_STRING);

    if (n > cap) {
        itsme_log(x->log, ITSME_LOG_INFO, "ITSME00503",
                  "claims: value of %s too long, dropped", name);
        return;
    }
    if (cur != NULL ? prio < cur->prio || (prio == cur->prio && x->doc <= cur->doc)
                    : x->order->nelts >= MAX_CLAIMS)
        return;
    if (!afford(x, n + 1) || (val = clean_value(x->p, val)) == NULL)
        return;
    if (cur == NULL) {
        cur = apr_pcalloc(x->p, sizeof(*cur));
        APR_ARRAY_PUSH(x->order, const char *) = name;
        apr_hash_set(x->vals, name, APR_HASH_KEY_STRING, cur);
    }
    *cur = (cval_t){val, prio, x->doc, flags};
}

/* ---- names ---- */

/* camelCase / IDDocumentSN -> camel_case / id_document_sn. */
static char *snake(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);
    char *o = apr_palloc(p, 2 * n + 1), *w = o;
    for (apr_size_t i = 0; i < n; i++) {
        if (apr_isupper(s[i]) && i > 0
            && (apr_islower(s[i - 1]) || apr_isdigit(s[i - 1])
                || (apr_isupper(s[i - 1]) && apr_islower(s[i + 1]))))
            *w++ = '_';
        *w++ = (char)apr_tolower(s[i]);
    }
    *w = '\0';
    return o;
}

/* Lower case, [a-z0-9_] only; NULL when empty or longer than MAX_SAN_NAME. */
static const char *sanitise(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);
    if (n == 0 || n > MAX_SAN_NAME)
        return NULL;
    char *o = apr_pstrdup(p, s);
    for (char *c = o; *c; c++)
        *c = (apr_isalnum(*c) && !(*c & 0x80)) || *c == '_' ? (char)apr_tolower(*c) : '_';
    return o;
}

/* Sanitised name of a nested itsme member: the parent's name is not repeated
 * (claim_device.deviceLabel -> device_label, app.appName -> app_name). */
static const char *itsme_child(apr_pool_t *p, const char *parent, const char *key)
{
    const char *c = snake(p, key);
    apr_size_t n = strlen(parent);
    if (strncmp(c, parent, n) == 0 && c[n] == '_')
        return c;
    return apr_pstrcat(p, parent, "_", c, NULL);
}

/* ---- walking ---- */

static void emit(cctx_t *x, claim_ns_e ns, const char *raw, const char *san, const char *val)
{
    const claim_map_t *m = map_find(ns == NS_STD ? std_map
                                    : ns == NS_ITSME ? itsme_map : legacy_map, raw);
    if (m != NULL) {
        if (m->dst != NULL)
            put(x, m->dst, val, m->prio, m->flags);
        return;
    }
    if (ns != NS_ITSME && itsme_claim_is_canonical(raw)) {
        put(x, raw, val, 2, 0);
        return;
    }
    const char *s = sanitise(x->p, san);
    if (s != NULL && !itsme_claim_is_canonical(s))
        put(x, s, val, 1, 0);
}

/* Scalars as text, arrays of scalars joined with ',' in one pass through
 * one scratch buffer (linear, bounded by ITSME_CLAIM_MAX_VALUE); NULL for
 * anything else or longer. Numbers' text is allocated, hence charged. */
static const char *value_text(cctx_t *x, const itsme_json_t *v)
{
    apr_size_t n = itsme_json_array_size(v), len = 0;

    if (!itsme_json_is_array(v))
        return itsme_json_is_number(v) && !afford(x, 16) ? NULL : itsme_json_scalar_text(x->p, v);
    for (apr_size_t i = 0; i < n; i++) {
        const itsme_json_t *e = itsme_json_array_get(v, i);
        const char *t = itsme_json_is_number(e) && !afford(x, 16) ? NULL
                                                                  : itsme_json_scalar_text(x->p, e);
        apr_size_t k = t ? strlen(t) : 0;

        if (t == NULL || k + (i > 0) > ITSME_CLAIM_MAX_VALUE - len)
            return NULL;
        if (i > 0)
            x->join[len++] = ',';
        memcpy(x->join + len, t, k);
        len += k;
    }
    return n > 0 && afford(x, len + 1) ? apr_pstrmemdup(x->p, x->join, len) : NULL;
}

typedef struct {
    cctx_t *x;
    claim_ns_e ns;
    const char *raw, *san;
    int depth;
} walk_t;

static void walk(cctx_t *x, claim_ns_e ns, const char *raw, const char *san,
                 const itsme_json_t *v, int depth);

static int walk_member(void *baton, const char *key, const itsme_json_t *val)
{
    walk_t *w = baton;
    apr_pool_t *p = w->x->p;
    apr_size_t n = strlen(w->raw) + 1 + strlen(key);

    if (n > MAX_RAW_NAME || !afford(w->x, 4 * n + 2))
        return 0;
    const char *raw = apr_pstrcat(p, w->raw, ".", key, NULL);
    const char *san = w->ns == NS_ITSME ? itsme_child(p, w->san, key)
                                        : apr_pstrcat(p, w->san, "_", key, NULL);
    walk(w->x, w->ns, raw, san, val, w->depth + 1);
    return 0;
}

static void walk(cctx_t *x, claim_ns_e ns, const char *raw, const char *san,
                 const itsme_json_t *v, int depth)
{
    if (strlen(raw) > MAX_RAW_NAME)
        return;
    if (itsme_json_is_object(v)) {
        walk_t w = {x, ns, raw, san, depth};
        if (depth < MAX_DEPTH)
            itsme_json_object_foreach(v, walk_member, &w);
        return;
    }
    const char *t = value_text(x, v);
    if (t != NULL && *t != '\0')
        emit(x, ns, raw, san, t);
}

/* physical_person_photo {format, value} -> data:<format>;base64,<value>. */
static int b64_ok(const char *s)
{
    apr_size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    apr_size_t pad = strspn(s + n, "=");
    return n > 0 && s[n + pad] == '\0' && pad <= 2 && (n + pad) % 4 == 0;
}

static int mime_ok(const char *s)
{
    return strncmp(s, "image/", 6) == 0 && strlen(s) <= 40 && s[6] != '\0'
           && strspn(s + 6, "abcdefghijklmnopqrstuvwxyz0123456789.+-") == strlen(s + 6);
}

static void put_photo(cctx_t *x, const char *mime, const char *b64, int prio)
{
    if (mime != NULL && b64 != NULL && mime_ok(mime) && b64_ok(b64))
        put(x, "picture", apr_pstrcat(x->p, "data:", mime, ";base64,", b64, NULL), prio, 0);
}

/* A bare base64 image (legacy itsme.photo): only JPEG and PNG, recognised by
 * their magic bytes; anything else is dropped rather than guessed. */
static void put_bare_photo(cctx_t *x, const char *b64, int prio)
{
    if (b64 == NULL)
        return;
    if (strncmp(b64, "/9j/", 4) == 0)
        put_photo(x, "image/jpeg", b64, prio);
    else if (strncmp(b64, "iVBORw0KGgo", 11) == 0)
        put_photo(x, "image/png", b64, prio);
}

static const char *strip_itsme_prefix(const char *name)
{
    for (int i = 0; itsme_prefixes[i]; i++) {
        apr_size_t n = strlen(itsme_prefixes[i]);
        if (strncmp(name, itsme_prefixes[i], n) == 0 && name[n] != '\0')
            return name + n;
    }
    return NULL;
}

typedef struct {
    cctx_t *x;
    const char *meta;
    const meta_map_t *map;
} meta_walk_t;

static int meta_member(void *baton, const char *key, const itsme_json_t *val)
{
    meta_walk_t *m = baton;
    const char *target = strip_itsme_prefix(key);
    const char *t = itsme_json_scalar_text(m->x->p, val);

    if (target == NULL)
        target = key;
    if (t == NULL || *t == '\0')
        return 0;
    const char *dst = strcmp(target, "BENationalNumber") == 0 ? m->map->nin_dst
                      : strcmp(target, "IDDocumentSN") == 0 || strcmp(target, "BEeidSn") == 0
                          ? m->map->eid_dst : NULL;
    if (dst != NULL) {
        put(m->x, dst, t, strcmp(target, "BEeidSn") == 0 ? 2 : 3, 0);
        return 0;
    }
    const char *s = sanitise(m->x->p, apr_pstrcat(m->x->p, snake(m->x->p, target), "_",
                                                  snake(m->x->p, m->meta), NULL));
    if (s != NULL && !itsme_claim_is_canonical(s))
        put(m->x, s, t, 1, 0);
    return 0;
}

static void itsme_claim(cctx_t *x, const char *local, const itsme_json_t *v)
{
    for (const meta_map_t *e = meta_map; e->meta && itsme_json_is_object(v); e++) {
        if (strcmp(e->meta, local) == 0) {
            meta_walk_t m = {x, local, e};
            itsme_json_object_foreach(v, meta_member, &m);
            return;
        }
    }
    if (itsme_json_is_object(v) && strcmp(local, "physical_person_photo") == 0) {
        put_photo(x, itsme_json_get_string(v, "format"), itsme_json_get_string(v, "value"), 3);
        return;
    }
    const char *san = snake(x->p, local);
    if (strncmp(san, "claim_", 6) == 0 && san[6] != '\0')
        san += 6;
    walk(x, NS_ITSME, local, san, v, 0);
}

static int top_member(void *baton, const char *key, const itsme_json_t *val)
{
    cctx_t *x = baton;
    const char *local;

    /* sub: the ID token's only (itsme_claims_canonicalize) */
    if (in_list(key, protocol_claims) || strcmp(key, "sub") == 0 || strlen(key) > MAX_RAW_NAME)
        return 0;
    if (x->cost > MAX_COST)
        return 1;
    if ((local = strip_itsme_prefix(key)) != NULL) {
        itsme_claim(x, local, val);
    }
    else if (strncmp(key, "itsme.", 6) == 0 && key[6] != '\0') {
        local = key + 6;
        if (in_list(local, protocol_claims))
            return 0;
        if (strcmp(local, "photo") == 0) /* bare base64 */
            put_bare_photo(x, itsme_json_string_value(val), 2);
        else
            walk(x, NS_LEGACY, local, local, val, 0);
    }
    else {
        walk(x, NS_STD, key, key, val, 0);
    }
    return 0;
}

/* ---- check digits ---- */

/* Copies the digits of s into buf, skipping " .-"; 1 when exactly n digits
 * and nothing else were found. */
static int digits_of(const char *s, char *buf, apr_size_t n)
{
    apr_size_t k = 0;
    if (s == NULL || strlen(s) > 40)
        return 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '.' || *s == '-')
            continue;
        if (*s < '0' || *s > '9' || k == n)
            return 0;
        buf[k++] = *s;
    }
    buf[k] = '\0';
    return k == n;
}

static apr_int64_t num_of(const char *d, int n)
{
    apr_int64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (d[i] - '0');
    return v;
}

int itsme_nin_valid(const char *nin, int current_year)
{
    char d[12];
    if (!digits_of(nin, d, 11))
        return 0;
    apr_int64_t base = num_of(d, 9), cc = num_of(d + 9, 2);
    if (97 - base % 97 == cc)
        return 1;
    return 2000 + num_of(d, 2) <= current_year && 97 - (APR_INT64_C(2000000000) + base) % 97 == cc;
}

int itsme_eid_number_valid(const char *s)
{
    char d[13];
    if (!digits_of(s, d, 12))
        return 0;
    apr_int64_t r = num_of(d, 10) % 97;
    return (r == 0 ? 97 : r) == num_of(d + 10, 2);
}

#define is_leap(y) (((y) % 4 == 0 && (y) % 100 != 0) || (y) % 400 == 0)

int itsme_age_years(const char *b, apr_time_t now)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const char dig[] = "0123456789";
    apr_time_exp_t t;

    if (b == NULL || strlen(b) != 10 || b[4] != '-' || b[7] != '-' || strspn(b, dig) != 4
        || strspn(b + 5, dig) != 2 || strspn(b + 8, dig) != 2
        || apr_time_exp_gmt(&t, now) != APR_SUCCESS)
        return -1;
    int y = (int)num_of(b, 4), m = (int)num_of(b + 5, 2), d = (int)num_of(b + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && is_leap(y)))
        return -1;
    int ny = t.tm_year + 1900, nm = t.tm_mon + 1, nd = t.tm_mday;
    /* born on 29 Feb: the birthday is 1 Mar in non-leap years */
    int bm = (m == 2 && d == 29 && !is_leap(ny)) ? 3 : m, bd = bm != m ? 1 : d;
    int age = ny - y - (nm < bm || (nm == bm && nd < bd));
    return age < 0 ? -1 : age;
}

/* ---- canonicalize ---- */

static cval_t *get(cctx_t *x, const char *name)
{
    cval_t *v = apr_hash_get(x->vals, name, APR_HASH_KEY_STRING);
    return v && v->val ? v : NULL;
}

/* A valid number is kept as digits only; an invalid one is dropped. */
static void keep_number(cctx_t *x, cval_t *v, int ok, apr_size_t ndigits)
{
    char d[13];
    v->val = ok && digits_of(v->val, d, ndigits) ? apr_pstrdup(x->p, d) : NULL;
}

/* Check digits (Belgian numbers only), digits-only normal form, and the
 * nin_type / nin_issuing_country defaults for a Belgian national number. */
static void finish_numbers(cctx_t *x, int year)
{
    cval_t *nin = get(x, "nin"), *eid = get(x, "eid_number");
    cval_t *ctry = get(x, "nin_issuing_country");
    int ok;

    if (nin != NULL && (ctry == NULL || strcasecmp(ctry->val, "BE") == 0)) {
        if (!(ok = itsme_nin_valid(nin->val, year)))
            itsme_log(x->log, ITSME_LOG_WARN, "ITSME00501",
                      "claims: national number %s fails its check digits, dropped",
                      itsme_mask(x->p, nin->val));
        keep_number(x, nin, ok, 11);
        if (ok && (nin->flags & F_BE_NIN) && !get(x, "nin_type"))
            put(x, "nin_type", "PERSON", 0, 0);
        if (ok && (nin->flags & F_BE_NIN) && !get(x, "nin_issuing_country"))
            put(x, "nin_issuing_country", "BE", 0, 0);
    }
    if (eid != NULL) {
        if (!(ok = itsme_eid_number_valid(eid->val)))
            itsme_log(x->log, ITSME_LOG_WARN, "ITSME00502",
                      "claims: eID card number %s fails its check digits, dropped",
                      itsme_mask(x->p, eid->val));
        keep_number(x, eid, ok, 12);
    }
}

apr_status_t itsme_claims_canonicalize(apr_pool_t *p, const itsme_json_t *id_token_claims,
                                       const itsme_json_t *userinfo_claims, apr_time_t now,
                                       const itsme_logger_t *log, apr_table_t *out,
                                       itsme_err_t **err)
{
    apr_time_exp_t t;
    cctx_t x = {p, log, apr_hash_make(p), apr_array_make(p, 32, sizeof(const char *)), 0, 0,
                apr_palloc(p, ITSME_CLAIM_MAX_VALUE + 1)};
    const char *sub1 = itsme_json_get_string(id_token_claims, "sub");
    const char *sub2 = itsme_json_get_string(userinfo_claims, "sub");

    if (out == NULL)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "claims: no output table");
    if ((id_token_claims && !itsme_json_is_object(id_token_claims))
        || (userinfo_claims && !itsme_json_is_object(userinfo_claims)))
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL, "claims: not a JSON object");
    if (sub2 == NULL && itsme_json_get(userinfo_claims, "sub") != NULL)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EINVAL,
                              "claims: userinfo sub is not a string");
    if (sub1 != NULL && sub2 != NULL && strcmp(sub1, sub2) != 0)
        return itsme_err_make(p, err, ITSME_E_OP, APR_EGENERAL,
                              "claims: userinfo sub differs from the id_token sub");
    if (apr_time_exp_gmt(&t, now) != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "claims: bad clock");
    /* the one subject: the ID token's (userinfo's only without an ID token) */
    if ((id_token_claims ? sub1 : sub2) != NULL)
        put(&x, "sub", id_token_claims ? sub1 : sub2, 9, 0);
    if (id_token_claims)
        itsme_json_object_foreach(id_token_claims, top_member, &x);
    x.doc = 1, x.cost = 0;
    if (userinfo_claims)
        itsme_json_object_foreach(userinfo_claims, top_member, &x);
    finish_numbers(&x, t.tm_year + 1900);
    for (int i = 0; i < x.order->nelts; i++) {
        const char *name = APR_ARRAY_IDX(x.order, i, const char *);
        cval_t *v = get(&x, name);
        if (v != NULL)
            apr_table_set(out, name, v->val);
    }
    return APR_SUCCESS;
}

/* ---- the request side ---- */

/* Per wanted canonical claim: the itsme scope and claim(s) asked in the
 * claims parameter's id_token; the Signicat scope (itsme-profile.md §10); the
 * generic scope, or NULL to ask the claim itself. Broker "@name": "name" when
 * only sub/name/given_name/family_name are wanted, else "profile". Metadata
 * claims also ask IDDocumentSN (itsme keys them by it). Other names: itsme
 * asks them (bare ones but age_gte_* / *_verified get the V2 prefix), the
 * broker ignores them (use ItsmeScope), generic asks them as they are. */
#define V2 "http://itsme.services/v2/claim/"
#define B_NAME "@name"

typedef struct {
    const char *claim;
    const char *itsme_scope, *itsme_claim, *itsme_claim2;
    const char *broker_scope, *generic_scope;
} req_map_t;

static const req_map_t req_map[] = {
    {"name", "profile", "name", NULL, B_NAME, "profile"},
    {"given_name", "profile", "given_name", NULL, B_NAME, "profile"},
    {"family_name", "profile", "family_name", NULL, B_NAME, "profile"},
    {"birthdate", "profile", "birthdate", NULL, "date-of-birth", "profile"},
    {"age", "profile", "birthdate", NULL, "date-of-birth", "profile"},
    {"gender", "profile", "gender", NULL, "profile", "profile"},
    {"locale", "profile", "locale", NULL, "profile", "profile"},
    {"picture", NULL, V2 "physical_person_photo", NULL, "picture", "profile"},
    {"email", "email", "email", NULL, "email", "email"},
    {"phone_number", "phone", "phone_number", NULL, "phone", "phone"},
    {"address", "address", "address", NULL, "address", "address"}, /* any address_* */
    {"nin", "eid", V2 "BENationalNumber", NULL, "nin", NULL},
    {"nin_type", "eid", V2 "BENationalNumber", NULL, "nin", NULL},
    {"nin_issuing_country", "eid", V2 "BENationalNumber", NULL, "nin", NULL},
    {"nationality", NULL, V2 "claim_citizenship_as_iso", NULL, "nationality", NULL},
    {"place_of_birth", NULL, V2 "place_of_birth", NULL, "place-of-birth", NULL},
    {"country_of_birth", NULL, V2 "place_of_birth", NULL, "country-of-birth", NULL},
    {"eid_number", "idDocument", V2 "IDDocumentSN", NULL, "itsme-eid", NULL},
    {"eid_validity_from", "idDocument", V2 "validityFrom", V2 "IDDocumentSN", "itsme-eid", NULL},
    {"eid_validity_to", "idDocument", V2 "validityTo", V2 "IDDocumentSN", "itsme-eid", NULL},
    {"eid_issuance_locality", "idDocument", V2 "issuance_locality", V2 "IDDocumentSN", "itsme-eid",
     NULL},
    {"eid_read_date", "idDocument", V2 "verificationDate", V2 "IDDocumentSN", "itsme-eid", NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const char *const broker_auth_claims[] = {"sub", "name", "given_name", "family_name", 0};

/* RFC 6749 scope-token characters: %x21 / %x23-5B / %x5D-7E. */
static int token_ok(const char *s, apr_size_t max)
{
    apr_size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return n > 0 && n <= max;
}

static void add_scope(apr_array_header_t *sc, const char *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < sc->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(sc, i, const char *), s) == 0)
            return;
    APR_ARRAY_PUSH(sc, const char *) = s;
}

static const req_map_t *req_find(const char *claim)
{
    if (strncmp(claim, "address_", 8) == 0 && itsme_claim_is_canonical(claim))
        claim = "address";
    for (const req_map_t *r = req_map; r->claim; r++)
        if (strcmp(r->claim, claim) == 0)
            return r;
    return NULL;
}

typedef struct {
    apr_pool_t *p;
    itsme_profile_e profile;
    apr_array_header_t *scopes;
    itsme_json_t *claims, *null;
    int n_claims, broker_ident, broker_name; /* Identification / name claims wanted */
} req_ctx_t;

static void ask(req_ctx_t *c, const char *name)
{
    if (name != NULL && itsme_json_set(c->claims, name, c->null) == APR_SUCCESS)
        c->n_claims++;
}

/* A wanted name that is not canonical: asked as is (generic) or as an itsme
 * claim; the broker has no claims parameter. */
static void want_other(req_ctx_t *c, const char *w)
{
    if (c->profile == ITSME_PROFILE_GENERIC)
        ask(c, w);
    else if (c->profile == ITSME_PROFILE_ITSME) {
        int bare = strchr(w, ':') == NULL && strncmp(w, "age_gte_", 8) != 0
                   && strcmp(w, "email_verified") != 0
                   && strcmp(w, "phone_number_verified") != 0;
        ask(c, bare ? apr_pstrcat(c->p, V2, w, NULL) : w);
    }
}

static void want_one(req_ctx_t *c, const char *w)
{
    const req_map_t *r = req_find(w);

    if (strcmp(w, "sub") == 0 || strcmp(w, "itsme_sub") == 0) /* ID token / legacy broker */
        return;
    if (r == NULL) {
        want_other(c, w);
        return;
    }
    switch (c->profile) {
    case ITSME_PROFILE_ITSME:
        add_scope(c->scopes, r->itsme_scope);
        ask(c, r->itsme_claim);
        ask(c, r->itsme_claim2);
        break;
    case ITSME_PROFILE_BROKER:
        if (strcmp(r->broker_scope, B_NAME) == 0)
            c->broker_name = 1;
        else
            add_scope(c->scopes, r->broker_scope);
        if (!in_list(w, broker_auth_claims))
            c->broker_ident = 1;
        break;
    default:
        if (r->generic_scope)
            add_scope(c->scopes, r->generic_scope);
        else
            ask(c, w);
    }
}

static apr_status_t add_extra(req_ctx_t *c, const char *extra, itsme_err_t **err)
{
    char *last = NULL, *copy = apr_pstrdup(c->p, extra);
    for (char *t = apr_strtok(copy, " ", &last); t; t = apr_strtok(NULL, " ", &last)) {
        if (!token_ok(t, 256))
            return itsme_err_make(c->p, err, ITSME_E_CONFIG, APR_EINVAL,
                                  "claims: invalid scope in the extra scopes");
        add_scope(c->scopes, t);
    }
    return APR_SUCCESS;
}

static const char *claims_json(req_ctx_t *c)
{
    itsme_json_t *doc = itsme_json_object_new(c->p);
    if (c->n_claims == 0 || doc == NULL)
        return NULL;
    itsme_json_set(doc, "id_token", c->claims);
    if (c->profile == ITSME_PROFILE_GENERIC)
        itsme_json_set(doc, "userinfo", c->claims);
    return itsme_json_dump(c->p, doc);
}

apr_status_t itsme_claims_request(apr_pool_t *p, itsme_profile_e profile,
                                  const apr_array_header_t *wanted, const char *extra_scopes,
                                  const char *service_code, const char **scope,
                                  const char **claims_param, itsme_err_t **err)
{
    req_ctx_t c = {p, profile, apr_array_make(p, 12, sizeof(const char *)),
                   itsme_json_object_new(p), NULL, 0, 0, 0};
    apr_status_t rv;

    if (scope == NULL || claims_param == NULL || c.claims == NULL
        || itsme_json_parse(p, "null", 4, &c.null, err) != APR_SUCCESS)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "claims: request setup");
    add_scope(c.scopes, "openid");
    for (int i = 0; wanted && i < wanted->nelts; i++) {
        const char *w = APR_ARRAY_IDX(wanted, i, const char *);
        if (w == NULL || !token_ok(w, 128))
            return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                                  "claims: invalid wanted claim name");
        want_one(&c, w);
    }
    if (c.broker_name) /* Authentication service unless already Identification */
        add_scope(c.scopes, c.broker_ident ? "profile" : "name");
    if (profile == ITSME_PROFILE_ITSME && service_code && *service_code) {
        if (!token_ok(service_code, 128))
            return itsme_err_make(p, err, ITSME_E_CONFIG, APR_EINVAL,
                                  "claims: invalid service code");
        add_scope(c.scopes, apr_pstrcat(p, "service:", service_code, NULL));
    }
    if (extra_scopes && (rv = add_extra(&c, extra_scopes, err)) != APR_SUCCESS)
        return rv;
    *scope = apr_array_pstrcat(p, c.scopes, ' ');
    *claims_param = claims_json(&c);
    return APR_SUCCESS;
}
