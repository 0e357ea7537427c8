/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * claims.h: one canonical naming for claims, whatever route they came by
 * (itsme V2 claim URIs, broker names such as Signicat's, legacy "itsme.*"
 * attributes), and the request side: which scopes / claims parameter to send
 * for a list of wanted canonical claims under each provider profile.
 */
#ifndef ITSME_CLAIMS_H
#define ITSME_CLAIMS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"

typedef enum {
    ITSME_PROFILE_ITSME = 0, /* itsme V2 directly (itsme, itsme-e2e) */
    ITSME_PROFILE_BROKER,    /* Signicat-style broker */
    ITSME_PROFILE_GENERIC    /* plain OIDC */
} itsme_profile_e;

/* Canonical names, NULL-terminated (design.md §2); claim_names.c. */
#define ITSME_CANONICAL_COUNT 28
extern const char *const itsme_canonical_claims[];
/* Constant time (perfect hash + one strcmp): 1 when name is canonical. */
int itsme_claim_is_canonical(const char *name);
/* Its index in itsme_canonical_claims, or -1. */
int itsme_claim_canonical_index(const char *name);
/* The hash slot (0..63) of a name of len >= 1 bytes (for the unit test). */
unsigned itsme_claim_slot(const char *name, apr_size_t len);
/* The fixed export spellings of canonical name `index`: given_name ->
 * "Given-Name" (header suffix), "GIVEN_NAME" (environment suffix); NULL for
 * an index out of range. */
const char *itsme_claim_header_suffix(int index);
const char *itsme_claim_env_suffix(int index);

/* A set of canonical claims: bit i is itsme_canonical_claims[i]. */
typedef apr_uint64_t itsme_claim_set_t;
#define ITSME_CLAIM_BIT(index) ((itsme_claim_set_t)1 << (index))
/* The bit of a canonical name, 0 for any other name. */
itsme_claim_set_t itsme_claim_bit(const char *name);
/* What a location that asks `asked` passes to its backend: those claims,
 * sub always, nin_type and nin_issuing_country with nin (they qualify it,
 * as a session keeps them), age with birthdate or age (derived). Age
 * never brings birthdate: a location that asks only age gets only age. */
itsme_claim_set_t itsme_claims_exported(itsme_claim_set_t asked);

/*
 * Merges the ID-token claims and the userinfo claims (userinfo wins for the
 * same canonical name; either may be NULL) into `out` as canonical name ->
 * text. Protocol claims (iss, aud, exp, iat, nbf, nonce, at_hash, c_hash,
 * auth_time, acr, amr, azp, sid, jti) are not copied. Nested objects are
 * flattened with '_' (address.postal_code -> address_postal_code). Arrays of
 * scalars are joined with ','. Unknown claims are kept under a sanitised
 * lower-case name ([a-z0-9_], others -> '_'), at most 64 chars, unless they
 * would shadow a canonical name. nin and eid_number failing their check digits
 * are dropped and logged (masked). `now` decides the 2000+ NIN rule.
 * Values longer than ITSME_CLAIM_MAX_VALUE bytes are dropped ("picture":
 * ITSME_CLAIM_MAX_PICTURE, as itsme's document photo becomes a data: URL of
 * ~10-30 KB).
 * Details: nin and eid_number are output as digits only; the nin check runs
 * when nin_issuing_country is absent or "BE" (other countries' numbers are
 * passed as given); a Belgian national number (BENationalNumber,
 * itsme_national_number, itsme.national_number) gets nin_type "PERSON" and
 * nin_issuing_country "BE" when those are absent. Pass-through names from
 * itsme URIs are snake_cased without the "claim_" prefix (claim_device.os ->
 * device_os). Tabs/line breaks in values become spaces; values with other
 * control characters are dropped. "age" is never taken from the OP.
 * Fails (ITSME_E_OP) when both documents carry a different "sub".
 */
#define ITSME_CLAIM_MAX_VALUE 4096
#define ITSME_CLAIM_MAX_PICTURE (64 * 1024)
apr_status_t itsme_claims_canonicalize(apr_pool_t *p, const itsme_json_t *id_token_claims,
                                       const itsme_json_t *userinfo_claims, apr_time_t now,
                                       const itsme_logger_t *log, apr_table_t *out,
                                       itsme_err_t **err);

/* Belgian national number: 11 digits, mod 97 check with the 2000+ rule
 * (only when 2000+YY <= current year). Separators " .-" are ignored. */
int itsme_nin_valid(const char *nin, int current_year);
/* Belgian eID card number: 12 digits, (first 10) mod 97, 0 -> 97. Separators
 * " .-" ignored. */
int itsme_eid_number_valid(const char *s);

/* Whole years between birthdate (YYYY-MM-DD) and `now` (UTC date); a person
 * born on 29 Feb has a birthday on 1 Mar in non-leap years. -1 on bad input. */
int itsme_age_years(const char *birthdate, apr_time_t now);

/*
 * The request side: given wanted canonical claims (const char*), the profile,
 * extra raw scopes (space separated, may be NULL) and an itsme service code
 * (may be NULL), produces the scope string (always starting with "openid",
 * no duplicates) and, when the profile needs one, a "claims" request
 * parameter (JSON text) or NULL.
 *  - broker:  Signicat scopes (name, profile, date-of-birth, nin, address,
 *             email, phone, nationality, place-of-birth, country-of-birth,
 *             itsme-eid, picture).
 *  - itsme:   profile email phone address eid idDocument + service:<code>,
 *             and a claims parameter asking the same claims in the id_token.
 *  - generic: profile email phone address for the standard claims; other
 *             claims through the claims parameter (id_token and userinfo).
 */
apr_status_t itsme_claims_request(apr_pool_t *p, itsme_profile_e profile,
                                  const apr_array_header_t *wanted, const char *extra_scopes,
                                  const char *service_code, const char **scope,
                                  const char **claims_param, itsme_err_t **err);

#endif
