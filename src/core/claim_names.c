/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * claim_names.c: the canonical claim names (design.md §2) and their fixed
 * spellings as request header and environment variable suffixes, looked up
 * in constant time: a perfect hash over the length and three characters
 * picks one slot, one strcmp confirms it. The slot table is checked against
 * the name table by the unit tests (test_claims.c).
 */
#include <string.h>
#include "core/claims.h"

const char *const itsme_canonical_claims[] = {
    "sub", "name", "given_name", "family_name", "birthdate", "gender", "locale", "email",
    "phone_number", "address_formatted", "address_street", "address_postal_code",
    "address_locality", "address_country", "nin", "nin_type", "nin_issuing_country",
    "nationality", "place_of_birth", "country_of_birth", "eid_number",
    "eid_issuance_locality", "eid_validity_from", "eid_validity_to", "eid_read_date",
    "picture", "age", "itsme_sub", NULL};

/* given_name -> Given-Name (header), GIVEN_NAME (environment); same order */
static const char *const header_suffix[ITSME_CANONICAL_COUNT] = {
    "Sub", "Name", "Given-Name", "Family-Name", "Birthdate", "Gender", "Locale", "Email",
    "Phone-Number", "Address-Formatted", "Address-Street", "Address-Postal-Code",
    "Address-Locality", "Address-Country", "Nin", "Nin-Type", "Nin-Issuing-Country",
    "Nationality", "Place-Of-Birth", "Country-Of-Birth", "Eid-Number",
    "Eid-Issuance-Locality", "Eid-Validity-From", "Eid-Validity-To", "Eid-Read-Date",
    "Picture", "Age", "Itsme-Sub"};

static const char *const env_suffix[ITSME_CANONICAL_COUNT] = {
    "SUB", "NAME", "GIVEN_NAME", "FAMILY_NAME", "BIRTHDATE", "GENDER", "LOCALE", "EMAIL",
    "PHONE_NUMBER", "ADDRESS_FORMATTED", "ADDRESS_STREET", "ADDRESS_POSTAL_CODE",
    "ADDRESS_LOCALITY", "ADDRESS_COUNTRY", "NIN", "NIN_TYPE", "NIN_ISSUING_COUNTRY",
    "NATIONALITY", "PLACE_OF_BIRTH", "COUNTRY_OF_BIRTH", "EID_NUMBER",
    "EID_ISSUANCE_LOCALITY", "EID_VALIDITY_FROM", "EID_VALIDITY_TO", "EID_READ_DATE",
    "PICTURE", "AGE", "ITSME_SUB"};

/* slot -> index into the tables above, -1 for none; slot = slot_of(name) */
static const signed char slots[64] = {
    -1, -1, -1, -1, -1, -1, 12, 5,  -1, 16, 18, 26, -1, -1, 1,  -1,
    -1, -1, 20, -1, -1, -1, -1, -1, 22, -1, -1, 9,  19, 15, -1, -1,
    -1, -1, -1, 21, -1, -1, -1, -1, -1, 25, -1, 14, 27, -1, -1, 23,
    3,  -1, 7,  11, -1, 24, 0,  13, 6,  17, -1, 2,  8,  -1, 10, 4};

#define LONGEST 21 /* eid_issuance_locality */

unsigned itsme_claim_slot(const char *name, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)name;

    return (unsigned)(len * 2 + u[0] * 39u + u[len - 1] * 11u + u[len / 2]) & 63u;
}

int itsme_claim_canonical_index(const char *name)
{
    apr_size_t len;
    int i;

    if (name == NULL || !*name)
        return -1;
    len = strnlen(name, LONGEST + 1);
    if (len > LONGEST)
        return -1;
    i = slots[itsme_claim_slot(name, len)];
    return i >= 0 && strcmp(name, itsme_canonical_claims[i]) == 0 ? i : -1;
}

int itsme_claim_is_canonical(const char *name)
{
    return itsme_claim_canonical_index(name) >= 0;
}

const char *itsme_claim_header_suffix(int index)
{
    return index >= 0 && index < ITSME_CANONICAL_COUNT ? header_suffix[index] : NULL;
}

const char *itsme_claim_env_suffix(int index)
{
    return index >= 0 && index < ITSME_CANONICAL_COUNT ? env_suffix[index] : NULL;
}

itsme_claim_set_t itsme_claim_bit(const char *name)
{
    int i = itsme_claim_canonical_index(name);

    return i >= 0 ? ITSME_CLAIM_BIT(i) : 0;
}

/* every canonical claim has its bit in an itsme_claim_set_t */
typedef char claim_set_fits[ITSME_CANONICAL_COUNT <= 64 ? 1 : -1];

/* indexes in itsme_canonical_claims */
#define IDX_SUB 0
#define IDX_BIRTHDATE 4
#define IDX_NIN 14
#define IDX_NIN_TYPE 15
#define IDX_NIN_ISSUING_COUNTRY 16
#define IDX_AGE 26

itsme_claim_set_t itsme_claims_exported(itsme_claim_set_t asked)
{
    itsme_claim_set_t out = asked | ITSME_CLAIM_BIT(IDX_SUB);

    if (asked & ITSME_CLAIM_BIT(IDX_NIN))
        out |= ITSME_CLAIM_BIT(IDX_NIN_TYPE) | ITSME_CLAIM_BIT(IDX_NIN_ISSUING_COUNTRY);
    if (asked & ITSME_CLAIM_BIT(IDX_BIRTHDATE))
        out |= ITSME_CLAIM_BIT(IDX_AGE);
    return out;
}
