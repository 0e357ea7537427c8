/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * export.c: claims to the backend (request headers and/or environment), and
 * the scrubbing of claim headers a client may have sent to spoof them.
 *
 * A location's backend gets only the claims that location asks for (data
 * minimisation): a session may hold another location's claims after a
 * step-up (the national number of /onboarding), and /app's backend must not
 * see them. What passes is the configuration's export_bits, made with the
 * configuration from the same claims a login there asks for (config.c,
 * itsme_claims_exported): ItsmeClaims and the Require itsme-claim rules,
 * plus sub, nin's qualifiers, and age with birthdate. The scrub still
 * removes every claim header a client sent, passed here or not.
 *
 * The header prefix is per directory, and the configuration of a request
 * can change after check_authn exported the claims: mod_dir (DirectoryIndex)
 * and MultiViews continue with a subrequest's configuration. So the
 * header_parser removes headers under EVERY prefix configured in the server
 * (collected when the configuration is read; ItsmeHeaderPrefix is not
 * allowed in .htaccess for that reason), and a last fixup of the main
 * request makes sure the handler sees the session's claims under the final
 * prefix and nothing else under any prefix.
 *
 * The common case costs one scrub pass and one export: check_authn adds the
 * claims (apr_table_addn after the scrub, names from the fixed suffixes of
 * claim_names.c, all in one block of the request pool) and records what it
 * did; the fixup finds the record matching the final configuration and only
 * drops what another module added under a prefix since (a header whose name
 * is not in that block). Anything else (another prefix, a subrequest, an
 * internal redirect, one of ours changed) gets a full scrub and export.
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "core/claims.h"
#include "mod/config.h"
#include "mod/mod.h"

APLOG_USE_MODULE(auth_itsme);

/* What the last export put where (itsme_req_t.exported). */
struct itsme_export_rec {
    const request_rec *r;
    const apr_table_t *headers;  /* r->headers_in it went into, or NULL */
    const itsme_session_t *session;
    const char *hprefix, *eprefix;
    itsme_pass_e how;
    itsme_claim_set_t bits;      /* the claims this configuration passes */
    const char *block;           /* the header names, [block, block + len) */
    apr_size_t len;
    const char **keys, **vals;   /* what was added, keys ascending in block */
    int count;                   /* headers added */
};
typedef struct itsme_export_rec itsme_export_rec_t;

/* ---- scrubbing ---- */

#define MAX_PREFIXES 16

typedef struct {
    const char *list[MAX_PREFIXES + 3];
    int n;
    const apr_array_header_t *more;    /* beyond MAX_PREFIXES: checked too */
} prefixes_t;

/* key matches prefix ignoring case, '_' and '-' the same */
static int has_prefix(const char *key, const char *prefix)
{
    for (; *prefix; prefix++, key++) {
        char k = *key == '_' ? '-' : (char)apr_tolower(*key);

        if (k != (*prefix == '_' ? '-' : (char)apr_tolower(*prefix)))
            return 0;
    }
    return 1;
}

static void add_prefix(prefixes_t *ps, const char *p)
{
    int i;

    for (i = 0; i < ps->n; i++)
        if (ps->list[i] == p || !strcasecmp(ps->list[i], p))
            return;
    ps->list[ps->n++] = p;
}

/* The distinct claim header prefixes of this server. */
static void server_prefixes(request_rec *r, prefixes_t *ps)
{
    const itsme_srv_cfg_t *sc = itsme_srv_cfg(r->server);
    const apr_array_header_t *more = sc->scrub_prefixes;
    int i;

    ps->n = 0;
    ps->more = NULL;
    add_prefix(ps, ITSME_DEFAULT_HEADER_PREFIX);
    add_prefix(ps, itsme_cfg_header_prefix(NULL, sc));
    add_prefix(ps, itsme_cfg_header_prefix(itsme_dir_cfg(r), sc));
    for (i = 0; more && i < more->nelts; i++) {
        if (i >= MAX_PREFIXES) {
            ps->more = more;
            break;
        }
        add_prefix(ps, APR_ARRAY_IDX(more, i, const char *));
    }
}

static int prefixed(const prefixes_t *ps, const char *key)
{
    int i;

    for (i = 0; i < ps->n; i++)
        if (has_prefix(key, ps->list[i]))
            return 1;
    for (i = MAX_PREFIXES; ps->more && i < ps->more->nelts; i++)
        if (has_prefix(key, APR_ARRAY_IDX(ps->more, i, const char *)))
            return 1;
    return 0;
}

/* 1 when (key, val) is an entry the export rec added, unchanged. */
static int ours(const itsme_export_rec_t *rec, const char *key, const char *val)
{
    int lo = 0, hi = rec->count - 1;

    if (key < rec->block || key >= rec->block + rec->len)
        return 0;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;

        if (rec->keys[mid] == key)
            return rec->vals[mid] == val;
        if (rec->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

/* Removes the headers under any prefix but the unchanged ones keep added
 * (may be NULL); returns how many of those it saw. Ours with another value
 * (set or merged by another module) stay and are not counted. */
static int scrub_table(request_rec *r, apr_table_t *t, const itsme_export_rec_t *keep, int log)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_array_header_t *drop = NULL;
    prefixes_t ps;
    int i, kept = 0;

    server_prefixes(r, &ps);
    for (i = 0; i < a->nelts; i++) {
        if (!e[i].key)
            continue;
        if (keep && e[i].key >= keep->block && e[i].key < keep->block + keep->len)
            kept += ours(keep, e[i].key, e[i].val);
        else if (prefixed(&ps, e[i].key)) {
            if (!drop)
                drop = apr_array_make(r->pool, 2, sizeof(const char *));
            APR_ARRAY_PUSH(drop, const char *) = e[i].key;
        }
    }
    for (i = 0; drop && i < drop->nelts; i++) {
        const char *name = APR_ARRAY_IDX(drop, i, const char *);

        if (log)
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "ITSME01350: removed incoming header %s (claim header prefix)",
                          ap_escape_logitem(r->pool, name));
        apr_table_unset(t, name);
    }
    return kept;
}

void itsme_export_scrub(request_rec *r)
{
    scrub_table(r, r->headers_in, NULL, 1);
}

/* ---- export ---- */

/* control characters (CR, LF, ...) become spaces; copied only then */
static const char *safe_value(apr_pool_t *p, const char *v)
{
    const unsigned char *u;
    char *s, *c;

    for (u = (const unsigned char *)v; *u; u++)
        if (*u < 0x20 || *u == 0x7f)
            break;
    if (!*u)
        return v;
    s = apr_pstrdup(p, v);
    for (c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return s;
}

#define MAX_EXPORT (ITSME_CANONICAL_COUNT + 2)

typedef struct {
    int idx[MAX_EXPORT];
    const char *val[MAX_EXPORT];
    int n;
} picks_t;

static void pick(picks_t *k, int idx, const char *val)
{
    if (k->n < MAX_EXPORT) {
        k->idx[k->n] = idx;
        k->val[k->n++] = val;
    }
}

#define IDX_SUB 0
#define IDX_BIRTHDATE 4
#define IDX_AGE 26

/* The canonical claims of s that this location passes (bits: its
 * export_bits, config.c), in table order, then sub, then age. */
static void pick_claims(request_rec *r, const itsme_session_t *s, itsme_claim_set_t bits,
                        picks_t *k)
{
    const apr_array_header_t *a = s->claims ? apr_table_elts(s->claims) : NULL;
    const apr_table_entry_t *e = a ? (const apr_table_entry_t *)a->elts : NULL;
    const char *birthdate = NULL;
    int i, idx, has_sub = 0;

    k->n = 0;
    for (i = 0; a && i < a->nelts; i++) {
        if (!e[i].key || (idx = itsme_claim_canonical_index(e[i].key)) < 0)
            continue;
        if (idx == IDX_BIRTHDATE && !birthdate)
            birthdate = e[i].val; /* for age, passed or not */
        if (!(bits & ITSME_CLAIM_BIT(idx)))
            continue;
        if (idx == IDX_SUB)
            has_sub = 1;
        if (e[i].val && idx != IDX_AGE)
            pick(k, idx, e[i].val);
    }
    if (s->sub && !has_sub)
        pick(k, IDX_SUB, s->sub);
    if (birthdate && (bits & ITSME_CLAIM_BIT(IDX_AGE))) {
        int age = itsme_export_age(r, birthdate);

        if (age >= 0)
            pick(k, IDX_AGE, apr_itoa(r->pool, age));
    }
}

/* Header names prefix + suffix, all in one block (rec->block). */
static void add_headers(request_rec *r, const picks_t *k, itsme_export_rec_t *rec)
{
    apr_size_t plen = strlen(rec->hprefix), slen[MAX_EXPORT], total = 0;
    char *b;
    int i;

    for (i = 0; i < k->n; i++)
        total += plen + (slen[i] = strlen(itsme_claim_header_suffix(k->idx[i]))) + 1;
    rec->block = b = apr_palloc(r->pool, total ? total : 1);
    rec->len = total;
    rec->keys = apr_palloc(r->pool, sizeof(const char *) * (apr_size_t)(k->n > 0 ? k->n : 1));
    rec->vals = apr_palloc(r->pool, sizeof(const char *) * (apr_size_t)(k->n > 0 ? k->n : 1));
    for (i = 0; i < k->n; i++) {
        memcpy(b, rec->hprefix, plen);
        memcpy(b + plen, itsme_claim_header_suffix(k->idx[i]), slen[i] + 1);
        rec->keys[i] = b;
        rec->vals[i] = safe_value(r->pool, k->val[i]);
        apr_table_addn(r->headers_in, b, rec->vals[i]);
        b += plen + slen[i] + 1;
    }
    rec->count = k->n;
}

static void add_env(request_rec *r, const picks_t *k, const char *eprefix)
{
    int i;

    for (i = 0; i < k->n; i++)
        apr_table_setn(r->subprocess_env,
                       apr_pstrcat(r->pool, eprefix, itsme_claim_env_suffix(k->idx[i]), NULL),
                       safe_value(r->pool, k->val[i]));
}

static int rec_fits(const itsme_export_rec_t *rec, request_rec *r, const itsme_session_t *s,
                    const itsme_dir_cfg_t *dc, const char *hprefix, const char *eprefix)
{
    itsme_pass_e how = itsme_cfg_pass_as(dc);

    return rec && rec->r == r && rec->session == s && rec->how == how
           && rec->bits == dc->export_bits
           && rec->headers == ((how & ITSME_PASS_HEADERS) ? r->headers_in : NULL)
           && !strcmp(rec->hprefix, hprefix) && !strcmp(rec->eprefix, eprefix);
}

void itsme_export_claims(request_rec *r, const itsme_session_t *s)
{
    const itsme_dir_cfg_t *dc = itsme_dir_cfg(r);
    itsme_req_t *q = itsme_req(r);
    itsme_pass_e how = itsme_cfg_pass_as(dc);
    const char *hprefix, *eprefix;
    itsme_export_rec_t *rec;
    picks_t k;

    if (how == ITSME_PASS_NONE || !s)
        return;
    hprefix = itsme_cfg_header_prefix(dc, itsme_srv_cfg(r->server));
    eprefix = itsme_cfg_env_prefix(dc);
    /* only the main request and its internal redirects (one pool) keep a
     * record; a subrequest's pool goes before the main request's */
    if (!r->main && rec_fits(q->exported, r, s, dc, hprefix, eprefix))
        return; /* already there */
    /* a fresh main request was scrubbed by the header_parser; anything else
     * may carry an earlier export (a subrequest's copy, a shared table) */
    if ((how & ITSME_PASS_HEADERS) && (r->main || r->prev || q->exported))
        scrub_table(r, r->headers_in, NULL, 0);
    pick_claims(r, s, dc->export_bits, &k);
    rec = apr_pcalloc(r->pool, sizeof(*rec));
    rec->r = r;
    rec->session = s;
    rec->how = how;
    rec->bits = dc->export_bits;
    rec->hprefix = hprefix;
    rec->eprefix = eprefix;
    if (how & ITSME_PASS_HEADERS) {
        rec->headers = r->headers_in;
        add_headers(r, &k, rec);
    }
    if (how & ITSME_PASS_ENV)
        add_env(r, &k, eprefix);
    if (!r->main)
        q->exported = rec;
}

/* The export recorded for r still stands under the final configuration:
 * drops what others added under a prefix; 0 when one of ours is gone. */
static int export_stands(request_rec *r, const itsme_session_t *s)
{
    const itsme_dir_cfg_t *dc = itsme_dir_cfg(r);
    const itsme_export_rec_t *rec = itsme_req(r)->exported;
    itsme_pass_e how = itsme_cfg_pass_as(dc);

    if (how == ITSME_PASS_NONE
        || !rec_fits(rec, r, s, dc, itsme_cfg_header_prefix(dc, itsme_srv_cfg(r->server)),
                     itsme_cfg_env_prefix(dc)))
        return 0;
    if (!(how & ITSME_PASS_HEADERS))
        return scrub_table(r, r->headers_in, NULL, 0) == 0;
    return scrub_table(r, r->headers_in, rec, 0) == rec->count;
}

void itsme_export_withdraw(request_rec *r)
{
    itsme_req(r)->exported = NULL;
    scrub_table(r, r->headers_in, NULL, 0);
}

void itsme_export_final(request_rec *r)
{
    const char *type = ap_auth_type(r);
    const itsme_session_t *s;
    int stands;

    if (!type || strcasecmp(type, "itsme") != 0)
        return;
    s = itsme_req(r)->session;
    if (!(s && s->sub && r->user && !strcmp(s->sub, r->user)))
        s = NULL;
    stands = s && export_stands(r, s);
    if (!stands) {
        itsme_req(r)->exported = NULL;
        scrub_table(r, r->headers_in, NULL, 0);
        if (s)
            itsme_export_claims(r, s);
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  "ITSME04110: final claim headers under %s (%s)",
                  itsme_cfg_header_prefix(itsme_dir_cfg(r), itsme_srv_cfg(r->server)),
                  stands ? "as exported" : s ? "session claims exported again" : "no session");
}

/* The server's local date (TZ of httpd), not UTC: a Belgian turns 18 at
 * midnight in Brussels. Shifting now by the local UTC offset makes the
 * UTC calendar date of the shifted time the local date. */
int itsme_export_age(request_rec *r, const char *birthdate)
{
    apr_time_exp_t lt;
    apr_time_t now = r->request_time;

    if (apr_time_exp_lt(&lt, now) == APR_SUCCESS)
        now += apr_time_from_sec(lt.tm_gmtoff);
    return itsme_age_years(birthdate, now);
}
