/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * id_token.c: ID Token validation (OIDC Core §3.1.3.7) with an injected clock.
 *
 * Order: shape (JWE when required, then JWS), alg allow-list, key lookup,
 * signature, iss, aud/azp, exp, iat, nbf, auth_time, nonce, sub, acr. Each failure has
 * its own message naming the check; the token text never appears in one.
 * Time checks that mean "too old" (exp, iat age) are ITSME_E_EXPIRED; a token
 * from the future (iat, nbf) is ITSME_E_TOKEN, as a new login would not help.
 */
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <apr_strings.h>
#include "core/proto/id_token.h"

/* Upper bound on the compact token: itsme ID tokens carrying the document
 * photo are ~50 KB once encrypted; anything far beyond is refused unread. */
#define IDT_MAX_LEN (256 * 1024)
#define IDT_MAX_SUB 255
/* 9999-12-31T23:59:59Z: keeps apr_time_from_sec() away from overflow. */
#define IDT_MAX_TIME APR_INT64_C(253402300799)

typedef struct {
    apr_int64_t now, skew, max_age; /* seconds */
} idt_clock_t;

static apr_status_t fail(apr_pool_t *p, itsme_err_t **err, const char *what)
{
    return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EGENERAL, "id_token: %s", what);
}

static apr_status_t fail_time(apr_pool_t *p, itsme_err_t **err, const char *what)
{
    return itsme_err_make(p, err, ITSME_E_EXPIRED, APR_EGENERAL, "id_token: %s", what);
}

/* Decrypts when a JWE is required, and returns the compact JWS text. */
static apr_status_t unwrap(apr_pool_t *p, const char *compact, const itsme_idt_check_t *chk,
                           const char **jws_text, itsme_err_t **err)
{
    int parts = itsme_jose_compact_parts(compact);
    itsme_err_t *e = NULL;
    char *plain = NULL;
    apr_size_t len = 0;

    if (chk->decrypt_keys == NULL) {
        if (parts == 5)
            return fail(p, err, "encrypted token not expected");
        if (parts != 3)
            return fail(p, err, "malformed token");
        *jws_text = compact;
        return APR_SUCCESS;
    }
    if (parts != 5)
        return fail(p, err, "encrypted token (JWE) required");
    if (itsme_jwe_decrypt(p, compact, chk->decrypt_keys, &plain, &len, &e) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, e, "id_token: decryption failed");
    if (plain == NULL || strlen(plain) != len || itsme_jose_compact_parts(plain) != 3)
        return fail(p, err, "JWE does not wrap a signed JWT");
    *jws_text = plain;
    return APR_SUCCESS;
}

static int alg_allowed(const char *alg, const char *const *allowed)
{
    if (alg == NULL || strcmp(alg, "none") == 0 || strncasecmp(alg, "HS", 2) == 0)
        return 0;
    if (allowed == NULL)
        allowed = itsme_jose_sig_algs_default;
    for (int i = 0; allowed[i]; i++)
        if (strcmp(alg, allowed[i]) == 0)
            return 1;
    return 0;
}

static apr_status_t fail_as(apr_pool_t *p, itsme_err_t **err, const char *label,
                            const char *what)
{
    return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EGENERAL, "%s: %s", label, what);
}

/* A second try with the key relookup finds for the kid when the first key
 * did not verify (the OP replaced the key and kept the kid). */
static int verify_again(apr_pool_t *p, const itsme_jws_t *jws, const itsme_jwk_t *failed,
                        const char *const *allowed_algs, itsme_key_lookup_fn *relookup,
                        void *baton)
{
    const itsme_jwk_t *again = failed;

    if (!relookup || !jws->kid)
        return 0;
    if (relookup(baton, p, jws->kid, jws->alg, &again, NULL) != APR_SUCCESS || !again
        || again == failed)
        return 0;
    return itsme_jws_verify(p, jws, again, allowed_algs, NULL) == APR_SUCCESS;
}

apr_status_t itsme_id_token_verify_jws(apr_pool_t *p, const char *label, const char *text,
                                       const char *const *allowed_algs,
                                       itsme_key_lookup_fn *lookup,
                                       itsme_key_lookup_fn *relookup, void *baton,
                                       itsme_jws_t **jws, itsme_err_t **err)
{
    itsme_err_t *e = NULL;
    const itsme_jwk_t *key = NULL;

    if (itsme_jws_parse(p, text, jws, &e) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, e, "%s: malformed JWS", label);
    if (!alg_allowed((*jws)->alg, allowed_algs))
        return fail_as(p, err, label, "signature algorithm not allowed");
    if (lookup(baton, p, (*jws)->kid, (*jws)->alg, &key, &e) != APR_SUCCESS || key == NULL)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, e, "%s: no verification key", label);
    if (itsme_jws_verify(p, *jws, key, allowed_algs, &e) != APR_SUCCESS
        && !verify_again(p, *jws, key, allowed_algs, relookup, baton))
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, e, "%s: bad signature", label);
    return APR_SUCCESS;
}

/* 1 when a is the client or one of the trusted audiences. */
static int aud_trusted(const char *a, const char *client_id, const char *const *trusted)
{
    if (strcmp(a, client_id) == 0)
        return 1;
    for (int i = 0; trusted && trusted[i]; i++)
        if (strcmp(a, trusted[i]) == 0)
            return 1;
    return 0;
}

apr_status_t itsme_id_token_check_aud_trusted(apr_pool_t *p, const char *label,
                                              const itsme_json_t *c, const char *client_id,
                                              const char *const *trusted, itsme_err_t **err)
{
    const itsme_json_t *aud = itsme_json_get(c, "aud");
    const itsme_json_t *azp = itsme_json_get(c, "azp");
    apr_size_t n = 1;
    int found = 0, untrusted = 0;

    if (itsme_json_is_string(aud)) {
        const char *a = itsme_json_string_value(aud);
        found = a != NULL && strcmp(a, client_id) == 0;
    }
    else if (itsme_json_is_array(aud) && (n = itsme_json_array_size(aud)) > 0) {
        for (apr_size_t i = 0; i < n; i++) {
            const char *a = itsme_json_string_value(itsme_json_array_get(aud, i));
            if (a == NULL)
                return fail_as(p, err, label, "audience malformed");
            found |= strcmp(a, client_id) == 0;
            untrusted |= !aud_trusted(a, client_id, trusted);
        }
    }
    else
        return fail_as(p, err, label, "audience missing or malformed");
    if (!found)
        return fail_as(p, err, label, "audience does not contain the client_id");
    /* OIDC Core 3.1.3.7 (3): additional audiences not trusted by the client */
    if (untrusted)
        return fail_as(p, err, label, "audience lists a party that is not trusted");
    if (azp == NULL && n > 1)
        return fail_as(p, err, label, "azp missing with several audiences");
    if (azp != NULL) {
        const char *z = itsme_json_string_value(azp);
        if (z == NULL || strcmp(z, client_id) != 0)
            return fail_as(p, err, label, "azp mismatch");
    }
    return APR_SUCCESS;
}

apr_status_t itsme_id_token_check_aud(apr_pool_t *p, const char *label, const itsme_json_t *c,
                                      const char *client_id, itsme_err_t **err)
{
    return itsme_id_token_check_aud_trusted(p, label, c, client_id, NULL, err);
}

int itsme_id_token_numeric_date(const itsme_json_t *c, const char *name, apr_int64_t *lo,
                                apr_int64_t *hi)
{
    const itsme_json_t *v = itsme_json_get(c, name);
    double d, t;

    if (itsme_json_is_integer(v)) {
        *lo = *hi = itsme_json_integer_value(v);
        return *lo >= 0 && *lo <= IDT_MAX_TIME;
    }
    if (!itsme_json_is_number(v))
        return 0;
    d = itsme_json_number_value(v);
    if (!(d >= 0.0 && d <= (double)IDT_MAX_TIME)) /* also refuses NaN */
        return 0;
    t = (double)(apr_int64_t)d; /* d >= 0: truncation is floor */
    *lo = (apr_int64_t)t;
    *hi = *lo + (d > t);
    return 1;
}

/* Each check rounds a fractional NumericDate in its safe direction: exp
 * down (expires sooner), iat and nbf up for "in the future", iat down for
 * "too old", auth_time up for "in the future". */
static apr_status_t check_times(apr_pool_t *p, const itsme_json_t *c, const idt_clock_t *k,
                                apr_int64_t *iat, apr_int64_t *exp, itsme_err_t **err)
{
    apr_int64_t lo, hi;

    if (itsme_json_get(c, "exp") == NULL)
        return fail(p, err, "exp missing");
    if (!itsme_id_token_numeric_date(c, "exp", exp, &hi))
        return fail(p, err, "exp malformed");
    if (k->now - k->skew > *exp)
        return fail_time(p, err, "expired");
    if (itsme_json_get(c, "iat") == NULL)
        return fail(p, err, "iat missing");
    if (!itsme_id_token_numeric_date(c, "iat", iat, &hi))
        return fail(p, err, "iat malformed");
    if (hi > k->now + k->skew)
        return fail(p, err, "iat in the future");
    if (k->now - *iat > k->max_age + k->skew)
        return fail_time(p, err, "iat too old");
    if (itsme_json_get(c, "nbf") != NULL) {
        if (!itsme_id_token_numeric_date(c, "nbf", &lo, &hi))
            return fail(p, err, "nbf malformed");
        if (hi > k->now + k->skew)
            return fail(p, err, "not yet valid (nbf)");
    }
    if (itsme_json_get(c, "auth_time") != NULL) {
        if (!itsme_id_token_numeric_date(c, "auth_time", &lo, &hi))
            return fail(p, err, "auth_time malformed");
        if (hi > k->now + k->skew)
            return fail(p, err, "auth_time in the future");
    }
    return APR_SUCCESS;
}

/* A subject fit for r->user, an environment variable and a log line: no C0
 * or C1 control character, no DEL (RFC 7519 allows any string; we do not). */
static int sub_printable(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            return 0;
        if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) /* U+0080..U+009F */
            return 0;
    }
    return 1;
}

static apr_status_t check_nonce(apr_pool_t *p, const itsme_json_t *c, const char *want,
                                itsme_err_t **err)
{
    const char *got = itsme_json_get_string(c, "nonce");
    apr_size_t n = strlen(want);

    if (got == NULL)
        return fail(p, err, "nonce missing");
    if (strlen(got) != n || CRYPTO_memcmp(got, want, n) != 0)
        return fail(p, err, "nonce mismatch");
    return APR_SUCCESS;
}

static apr_status_t check_acr(apr_pool_t *p, const itsme_json_t *c, const char *const *allowed,
                              const char **acr, itsme_err_t **err)
{
    const itsme_json_t *v = itsme_json_get(c, "acr");

    *acr = itsme_json_string_value(v);
    if (allowed == NULL || v == NULL)
        return APR_SUCCESS;
    if (*acr == NULL)
        return fail(p, err, "acr malformed");
    for (int i = 0; allowed[i]; i++)
        if (strcasecmp(*acr, allowed[i]) == 0)
            return APR_SUCCESS;
    return fail(p, err, "acr not allowed");
}

/* iss, aud/azp, times, nonce, sub, acr on the verified payload. */
static apr_status_t check_claims(apr_pool_t *p, const itsme_json_t *c,
                                 const itsme_idt_check_t *chk, itsme_id_token_t *t,
                                 itsme_err_t **err)
{
    idt_clock_t k;
    apr_int64_t iat = 0, exp = 0;
    apr_status_t rv;
    const char *iss = itsme_json_get_string(c, "iss");

    k.now = apr_time_sec(chk->now);
    k.skew = apr_time_sec(chk->skew > 0 ? chk->skew : ITSME_IDT_DEFAULT_SKEW);
    k.max_age = apr_time_sec(chk->max_iat_age > 0 ? chk->max_iat_age
                                                  : ITSME_IDT_DEFAULT_MAX_IAT_AGE);
    if (iss == NULL || strcmp(iss, chk->issuer) != 0)
        return fail(p, err, "issuer mismatch");
    if ((rv = itsme_id_token_check_aud_trusted(p, "id_token", c, chk->client_id,
                                               chk->trusted_audiences, err)) != APR_SUCCESS
        || (rv = check_times(p, c, &k, &iat, &exp, err)) != APR_SUCCESS
        || (rv = check_nonce(p, c, chk->nonce, err)) != APR_SUCCESS)
        return rv;
    t->sub = itsme_json_get_string(c, "sub");
    if (t->sub == NULL || *t->sub == '\0')
        return fail(p, err, "sub missing or empty");
    if (strlen(t->sub) > IDT_MAX_SUB)
        return fail(p, err, "sub too long");
    if (!sub_printable(t->sub))
        return fail(p, err, "sub contains control characters");
    if ((rv = check_acr(p, c, chk->acr_allowed, &t->acr, err)) != APR_SUCCESS)
        return rv;
    t->iat = apr_time_from_sec(iat);
    t->exp = apr_time_from_sec(exp);
    return APR_SUCCESS;
}

apr_status_t itsme_id_token_validate(apr_pool_t *p, const char *compact,
                                     const itsme_idt_check_t *chk,
                                     itsme_key_lookup_fn *lookup, void *baton,
                                     itsme_id_token_t **out, itsme_err_t **err)
{
    const char *text = NULL;
    itsme_jws_t *jws = NULL;
    itsme_json_t *claims = NULL;
    itsme_err_t *e = NULL;
    apr_status_t rv;

    if (chk == NULL || lookup == NULL || out == NULL || chk->issuer == NULL
        || chk->client_id == NULL || chk->nonce == NULL || *chk->nonce == '\0')
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "id_token: validation parameters incomplete");
    if (compact == NULL || *compact == '\0')
        return fail(p, err, "missing");
    if (strlen(compact) > IDT_MAX_LEN)
        return fail(p, err, "too large");
    if ((rv = unwrap(p, compact, chk, &text, err)) != APR_SUCCESS
        || (rv = itsme_id_token_verify_jws(p, "id_token", text, chk->allowed_algs, lookup,
                                                 chk->relookup, baton, &jws, err))
               != APR_SUCCESS)
        return rv;
    if (itsme_json_parse_object(p, jws->payload, jws->payload_len, &claims, &e) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, e, "id_token: payload is not a JSON object");

    itsme_id_token_t *t = apr_pcalloc(p, sizeof(*t));
    if ((rv = check_claims(p, claims, chk, t, err)) != APR_SUCCESS)
        return rv;
    t->raw = text;
    t->claims = claims;
    *out = t;
    return APR_SUCCESS;
}
