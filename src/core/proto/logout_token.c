/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * logout_token.c: Back-Channel Logout 1.0 logout tokens (see the header).
 */
#include <string.h>
#include <openssl/evp.h>
#include <apr_strings.h>

#include "core/b64url.h"
#include "core/json.h"
#include "core/proto/logout_token.h"

#define LT_MAX_VALUE 255

static apr_status_t fail(apr_pool_t *p, itsme_err_t **err, const char *what)
{
    return itsme_err_make(p, err, ITSME_E_TOKEN, APR_EGENERAL, "logout_token: %s", what);
}

/* A non-empty string member of at most LT_MAX_VALUE bytes, or NULL. */
static const char *short_string(const itsme_json_t *c, const char *name)
{
    const char *v = itsme_json_get_string(c, name);

    return v && *v && strlen(v) <= LT_MAX_VALUE ? v : NULL;
}

/* iat and exp are NumericDates (fractions allowed), each rounded the way
 * that refuses sooner: iat up for "in the future", down for "too old";
 * exp down. */
static apr_status_t check_times(apr_pool_t *p, const itsme_json_t *c,
                                const itsme_lt_check_t *chk, itsme_logout_token_t *t,
                                itsme_err_t **err)
{
    apr_int64_t now = apr_time_sec(chk->now), iat_lo = 0, iat_hi = 0, exp = 0, exp_hi = 0;
    apr_int64_t skew = apr_time_sec(chk->skew > 0 ? chk->skew : ITSME_IDT_DEFAULT_SKEW);
    apr_int64_t max_age = apr_time_sec(ITSME_LOGOUT_TOKEN_MAX_AGE);
    int has_exp = itsme_json_get(c, "exp") != NULL;

    if (!itsme_id_token_numeric_date(c, "iat", &iat_lo, &iat_hi))
        return fail(p, err, "iat missing or malformed");
    if (iat_hi > now + skew)
        return fail(p, err, "iat in the future");
    if (iat_lo < now - max_age - skew)
        return itsme_err_make(p, err, ITSME_E_EXPIRED, APR_EGENERAL, "logout_token: too old");
    if (has_exp && !itsme_id_token_numeric_date(c, "exp", &exp, &exp_hi))
        return fail(p, err, "exp malformed");
    if (has_exp && exp + skew <= now)
        return itsme_err_make(p, err, ITSME_E_EXPIRED, APR_EGENERAL, "logout_token: expired");
    t->iat = apr_time_from_sec(iat_lo);
    /* a jti is remembered while the token could still be accepted */
    t->until = apr_time_from_sec(iat_hi + max_age + 2 * skew);
    if (has_exp && apr_time_from_sec(exp_hi + skew) > t->until)
        t->until = apr_time_from_sec(exp_hi + skew);
    return APR_SUCCESS;
}

static apr_status_t check_claims(apr_pool_t *p, const itsme_json_t *c,
                                 const itsme_lt_check_t *chk, itsme_logout_token_t *t,
                                 itsme_err_t **err)
{
    const char *iss = itsme_json_get_string(c, "iss");
    const itsme_json_t *events = itsme_json_get(c, "events");
    apr_status_t rv;

    if (!iss || strcmp(iss, chk->issuer) != 0)
        return fail(p, err, "issuer mismatch");
    if ((rv = itsme_id_token_check_aud_trusted(p, "logout_token", c, chk->client_id,
                                               chk->trusted_audiences, err)) != APR_SUCCESS
        || (rv = check_times(p, c, chk, t, err)) != APR_SUCCESS)
        return rv;
    if (!itsme_json_is_object(events)
        || !itsme_json_is_object(itsme_json_get(events, ITSME_LOGOUT_EVENT)))
        return fail(p, err, "no back-channel logout event");
    if (itsme_json_get(c, "nonce"))
        return fail(p, err, "a nonce is not allowed");
    t->sub = short_string(c, "sub");
    t->sid = short_string(c, "sid");
    if ((itsme_json_get(c, "sub") && !t->sub) || (itsme_json_get(c, "sid") && !t->sid))
        return fail(p, err, "sub or sid malformed");
    if (!t->sub && !t->sid)
        return fail(p, err, "neither sub nor sid");
    if (!(t->jti = short_string(c, "jti")))
        return fail(p, err, "jti missing or malformed");
    return APR_SUCCESS;
}

static int dots(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '.';
    return n;
}

apr_status_t itsme_logout_token_validate(apr_pool_t *p, const char *compact,
                                         const itsme_lt_check_t *chk,
                                         itsme_key_lookup_fn *lookup, void *baton,
                                         itsme_logout_token_t **out, itsme_err_t **err)
{
    itsme_jws_t *jws = NULL;
    itsme_json_t *claims = NULL;
    itsme_logout_token_t *t;
    itsme_err_t *e = NULL;
    apr_status_t rv;

    if (!chk || !chk->issuer || !chk->client_id || !lookup || !out)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL,
                              "logout_token: validation parameters incomplete");
    if (!compact || !*compact)
        return fail(p, err, "missing");
    if (strlen(compact) > ITSME_LOGOUT_TOKEN_MAX)
        return fail(p, err, "too large");
    if (dots(compact) != 2)
        return fail(p, err, "not a signed JWT (encrypted logout tokens are not accepted)");
    rv = itsme_id_token_verify_jws(p, "logout_token", compact, chk->allowed_algs, lookup,
                                   chk->relookup, baton, &jws, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (itsme_json_parse_object(p, jws->payload, jws->payload_len, &claims, &e) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_TOKEN, e,
                              "logout_token: payload is not a JSON object");
    t = apr_pcalloc(p, sizeof(*t));
    if ((rv = check_claims(p, claims, chk, t, err)) != APR_SUCCESS)
        return rv;
    *out = t;
    return APR_SUCCESS;
}

const char *itsme_logout_key(apr_pool_t *p, const char *kind, const char *what,
                             const char *scope, const char *value)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
             && EVP_DigestUpdate(ctx, scope, strlen(scope))
             && EVP_DigestUpdate(ctx, "\n", 1)
             && EVP_DigestUpdate(ctx, what, strlen(what))
             && EVP_DigestUpdate(ctx, "\n", 1)
             && EVP_DigestUpdate(ctx, value, strlen(value))
             && EVP_DigestFinal_ex(ctx, md, &mdlen);

    EVP_MD_CTX_free(ctx);
    if (!ok || mdlen != sizeof(md))
        return NULL;
    return apr_pstrcat(p, itsme_b64url_encode(p, md, sizeof(md)), ":", kind, what, NULL);
}

static const char *const protocol_claims[] = {
    "iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "acr", "amr", "azp",
    "sid", "at_hash", "c_hash", "s_hash", "jti", NULL
};

static int protocol_claim(void *baton, const char *key, const itsme_json_t *val)
{
    int i;

    (void)baton;
    (void)val;
    for (i = 0; protocol_claims[i]; i++)
        if (!strcmp(key, protocol_claims[i]))
            return 0;
    return 1; /* stops: a claim of another kind */
}

int itsme_logout_hint_safe(const itsme_json_t *claims)
{
    return claims && itsme_json_object_foreach(claims, protocol_claim, NULL) == 0;
}
