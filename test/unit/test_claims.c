/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_claims.c: check digits, age, canonical claim names from the three
 * routes (itsme V2 URIs, Signicat broker, legacy itsme.*), and the request
 * side (scopes + claims parameter per profile). Examples come from the seed
 * documents (itsme-profile.md §9, §10). */
#include <ctype.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "tests.h"
#include "testutil.h"
#include "core/claims.h"
#include <stdio.h>
#include <unistd.h>

/* ---- helpers ---- */

static itsme_json_t *js(apr_pool_t *p, const char *text)
{
    itsme_json_t *v = NULL;
    ck_assert_int_eq(itsme_json_parse_object(p, text, strlen(text), &v, NULL), APR_SUCCESS);
    return v;
}

static apr_time_t day(int y, int m, int d)
{
    apr_time_exp_t t;
    apr_time_t out = 0;
    memset(&t, 0, sizeof(t));
    t.tm_year = y - 1900;
    t.tm_mon = m - 1;
    t.tm_mday = d;
    t.tm_hour = 12;
    ck_assert_int_eq(apr_time_exp_gmt_get(&out, &t), APR_SUCCESS);
    return out;
}

typedef struct {
    apr_pool_t *p;
    int n;
    const char *all; /* every message, joined */
} logcap_t;

static void cap_fn(void *baton, itsme_log_level_e level, const char *tag, const char *msg)
{
    logcap_t *c = baton;
    c->n++;
    c->all = apr_pstrcat(c->p, c->all, "[", tag, "] ", msg, "\n", NULL);
}

static apr_table_t *canon(apr_pool_t *p, const char *idt, const char *ui, logcap_t *cap)
{
    itsme_logger_t log = {cap_fn, cap, p};
    apr_table_t *out = apr_table_make(p, 16);
    itsme_err_t *e = NULL;
    if (cap) {
        cap->p = p;
        cap->n = 0;
        cap->all = "";
    }
    ck_assert_int_eq(itsme_claims_canonicalize(p, idt ? js(p, idt) : NULL, ui ? js(p, ui) : NULL,
                                               TU_NOW, cap ? &log : NULL, out, &e),
                     APR_SUCCESS);
    return out;
}

static int count(const apr_table_t *t)
{
    return apr_table_elts(t)->nelts;
}

#define ck_get(t, k, v) ck_assert_str_eq(apr_table_get((t), (k)) ? apr_table_get((t), (k)) : "(absent)", (v))
#define ck_absent(t, k) ck_assert_ptr_null(apr_table_get((t), (k)))

/* ---- check digits and age ---- */

START_TEST(test_nin_valid)
{
    ck_assert(itsme_nin_valid("99060427181", 2026));
    ck_assert(itsme_nin_valid("88041827591", 2026));
    ck_assert(itsme_nin_valid("81042419835", 2026));
    ck_assert(itsme_nin_valid("81042419835", 1990));
    ck_assert(itsme_nin_valid("81.04.24-198.35", 2026));
    ck_assert(itsme_nin_valid("860224 025 08", 2026));
    /* only the 2000+ rule fits, and only once 2012 has come */
    ck_assert(itsme_nin_valid("12345678987", 2026));
    ck_assert(itsme_nin_valid("12345678987", 2012));
    ck_assert(!itsme_nin_valid("12345678987", 2011));
    /* one digit off */
    ck_assert(!itsme_nin_valid("81042419836", 2026));
    ck_assert(!itsme_nin_valid("81042419735", 2026));
    ck_assert(!itsme_nin_valid("99060427182", 2026));
    /* wrong length or characters */
    ck_assert(!itsme_nin_valid("8104241983", 2026));
    ck_assert(!itsme_nin_valid("810424198350", 2026));
    ck_assert(!itsme_nin_valid("8104241983a", 2026));
    ck_assert(!itsme_nin_valid("81042419835/", 2026));
    ck_assert(!itsme_nin_valid("", 2026));
    ck_assert(!itsme_nin_valid(NULL, 2026));
}
END_TEST

START_TEST(test_eid_valid)
{
    ck_assert(itsme_eid_number_valid("431522485012"));
    ck_assert(itsme_eid_number_valid("581721097415"));
    ck_assert(itsme_eid_number_valid("431-5224850-12"));
    /* 1000000063 is a multiple of 97: the check number is 97, not 00 */
    ck_assert(itsme_eid_number_valid("100000006397"));
    ck_assert(!itsme_eid_number_valid("100000006300"));
    ck_assert(!itsme_eid_number_valid("431522485013"));
    ck_assert(!itsme_eid_number_valid("123456789876"));
    ck_assert(!itsme_eid_number_valid("43152248501"));
    ck_assert(!itsme_eid_number_valid("4315224850120"));
    ck_assert(!itsme_eid_number_valid("B 1234567 89"));
    ck_assert(!itsme_eid_number_valid(NULL));
}
END_TEST

START_TEST(test_age)
{
    ck_assert_int_eq(itsme_age_years("1981-04-24", TU_NOW), 44);
    ck_assert_int_eq(itsme_age_years("2000-01-01", TU_NOW), 26); /* birthday today */
    ck_assert_int_eq(itsme_age_years("2000-01-02", TU_NOW), 25); /* tomorrow */
    ck_assert_int_eq(itsme_age_years("2008-01-01", day(2026, 1, 1)), 18);
    ck_assert_int_eq(itsme_age_years("2008-01-02", day(2026, 1, 1)), 17);
    /* 29 Feb: birthday on 1 Mar in non-leap years, on 29 Feb in leap years */
    ck_assert_int_eq(itsme_age_years("2004-02-29", day(2025, 2, 28)), 20);
    ck_assert_int_eq(itsme_age_years("2004-02-29", day(2025, 3, 1)), 21);
    ck_assert_int_eq(itsme_age_years("2004-02-29", day(2028, 2, 28)), 23);
    ck_assert_int_eq(itsme_age_years("2004-02-29", day(2028, 2, 29)), 24);
    ck_assert_int_eq(itsme_age_years("2026-01-01", TU_NOW), 0);
    /* bad input */
    ck_assert_int_eq(itsme_age_years("2027-01-01", TU_NOW), -1); /* future */
    ck_assert_int_eq(itsme_age_years("2005-02-29", TU_NOW), -1); /* no such day */
    ck_assert_int_eq(itsme_age_years("1981-13-01", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("1981-04-31", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("1981-00-10", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("1981-4-24", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("1981-04-24T00:00:00Z", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("19810424xx", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("+981-04-24", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years("", TU_NOW), -1);
    ck_assert_int_eq(itsme_age_years(NULL, TU_NOW), -1);
}
END_TEST

START_TEST(test_canonical_list)
{
    ck_assert(itsme_claim_is_canonical("nin"));
    ck_assert(itsme_claim_is_canonical("address_postal_code"));
    ck_assert(itsme_claim_is_canonical("age"));
    ck_assert(!itsme_claim_is_canonical("address"));
    ck_assert(!itsme_claim_is_canonical("NIN"));
    ck_assert(!itsme_claim_is_canonical(NULL));
    ck_assert(!itsme_claim_is_canonical(""));
    ck_assert(!itsme_claim_is_canonical("eid_issuance_localityx"));
    ck_assert(!itsme_claim_is_canonical("sux"));
    ck_assert(!itsme_claim_is_canonical("su"));
    ck_assert_int_eq(itsme_claim_canonical_index("sub"), 0);
    ck_assert_ptr_null(itsme_claim_header_suffix(ITSME_CANONICAL_COUNT));
}
END_TEST

/* The perfect hash: every name in its own slot, found at its index; the
 * fixed export spellings are the ones the rules give. */
START_TEST(test_canonical_table)
{
    unsigned used = 0;
    unsigned long long seen = 0;

    for (int i = 0; itsme_canonical_claims[i]; i++, used++) {
        const char *n = itsme_canonical_claims[i];
        unsigned slot = itsme_claim_slot(n, strlen(n));
        char h[64], e[64];
        int up = 1, k;

        ck_assert(!(seen & (1ULL << slot)));
        seen |= 1ULL << slot;
        ck_assert_int_eq(itsme_claim_canonical_index(n), i);
        for (k = 0; n[k]; k++, up = n[k - 1] == '_') {
            h[k] = n[k] == '_' ? '-' : (char)(up ? toupper((unsigned char)n[k]) : n[k]);
            e[k] = n[k] == '_' ? '_' : (char)toupper((unsigned char)n[k]);
        }
        h[k] = e[k] = '\0';
        ck_assert_str_eq(itsme_claim_header_suffix(i), h);
        ck_assert_str_eq(itsme_claim_env_suffix(i), e);
    }
    ck_assert_int_eq(used, ITSME_CANONICAL_COUNT);
}
END_TEST

/* What a location passes to its backend: what it asks, sub always, nin's
 * qualifiers with nin, age with birthdate; age alone never brings
 * birthdate, and nothing asked is sub alone. */
START_TEST(test_claims_exported)
{
    itsme_claim_set_t sub = itsme_claim_bit("sub"), out;

    ck_assert(sub != 0);
    ck_assert(itsme_claim_bit("address") == 0 && itsme_claim_bit(NULL) == 0);
    ck_assert(itsme_claim_bit("itsme_sub") == ITSME_CLAIM_BIT(ITSME_CANONICAL_COUNT - 1));
    ck_assert(itsme_claims_exported(0) == sub);
    out = itsme_claims_exported(itsme_claim_bit("given_name") | itsme_claim_bit("family_name"));
    ck_assert(out == (sub | itsme_claim_bit("given_name") | itsme_claim_bit("family_name")));
    out = itsme_claims_exported(itsme_claim_bit("nin"));
    ck_assert(out == (sub | itsme_claim_bit("nin") | itsme_claim_bit("nin_type")
                      | itsme_claim_bit("nin_issuing_country")));
    out = itsme_claims_exported(itsme_claim_bit("birthdate"));
    ck_assert(out == (sub | itsme_claim_bit("birthdate") | itsme_claim_bit("age")));
    out = itsme_claims_exported(itsme_claim_bit("age"));
    ck_assert(out == (sub | itsme_claim_bit("age")));
}
END_TEST

/* ---- canonicalize ---- */

#define V2 "http://itsme.services/v2/claim/"

/* An itsme V2 ID token payload (decrypted), claims asked in the id_token. */
static const char *ITSME_V2_IDT =
    "{\"iss\":\"https://idp.e2e.itsme.services/v2\",\"aud\":\"c\",\"exp\":1,\"iat\":1,"
    "\"nonce\":\"n\",\"acr\":\"http://itsme.services/V2/claim/acr_basic\",\"auth_time\":1,"
    "\"sub\":\"9f1a5f0c-5a43-4a07-b3c5-7aa5e0f1d2c3\",\"given_name\":\"Maxence\","
    "\"family_name\":\"Legrand\",\"birthdate\":\"1981-04-24\",\"gender\":\"female\","
    "\"locale\":\"FR\",\"age_gte_18\":true,\"age\":12,"
    "\"address\":{\"formatted\":\"Rue Royale 82 1000 Bruxelles\",\"street_address\":"
    "\"Rue Royale 82\",\"postal_code\":\"1000\",\"locality\":\"Bruxelles\",\"country\":\"BE\"},"
    "\"" V2 "BENationalNumber\":\"81042419835\","
    "\"http://itsme.services/V2/claim/IDDocumentSN\":\"431-5224850-12\","
    "\"" V2 "IDDocumentType\":\"ID\","
    "\"" V2 "validityFrom\":{\"" V2 "IDDocumentSN\":\"2020-11-10T00:00:00Z\"},"
    "\"" V2 "validityTo\":{\"" V2 "IDDocumentSN\":\"2030-11-10T00:00:00Z\"},"
    "\"" V2 "issuance_locality\":{\"" V2 "IDDocumentSN\":\"Bruxelles\"},"
    "\"" V2 "verificationDate\":{\"" V2 "IDDocumentSN\":\"2025-12-01T10:00:00Z\"},"
    "\"" V2 "claim_citizenship\":\"Belg\",\"" V2 "claim_citizenship_as_iso\":\"BEL\","
    "\"" V2 "place_of_birth\":{\"formatted\":\"Bruxelles\",\"city\":\"Brussel\","
    "\"country\":\"BEL\"},"
    "\"" V2 "physical_person_photo\":{\"format\":\"image/jpeg\",\"value\":\"/9j/4AAQSk==\"},"
    "\"" V2 "official_gender\":\"F\",\"" V2 "birthdate_as_string\":\"24 APR 1981\","
    "\"" V2 "claim_device\":{\"os\":\"ANDROID\",\"appName\":\"itsme\","
    "\"deviceLabel\":\"Pixel\",\"deviceID\":\"d-1\",\"rooted\":false},"
    "\"" V2 "app\":{\"appName\":\"itsme\",\"appRelease\":\"5.1\"}}";

START_TEST(test_itsme_v2)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p, ITSME_V2_IDT, NULL, NULL);

    ck_get(o, "sub", "9f1a5f0c-5a43-4a07-b3c5-7aa5e0f1d2c3");
    ck_get(o, "given_name", "Maxence");
    ck_get(o, "gender", "female"); /* official_gender only when gender is absent */
    ck_get(o, "address_formatted", "Rue Royale 82 1000 Bruxelles");
    ck_get(o, "address_street", "Rue Royale 82");
    ck_get(o, "address_postal_code", "1000");
    ck_get(o, "address_locality", "Bruxelles");
    ck_get(o, "address_country", "BE");
    ck_get(o, "nin", "81042419835");
    ck_get(o, "nin_type", "PERSON");
    ck_get(o, "nin_issuing_country", "BE");
    ck_get(o, "eid_number", "431522485012");
    ck_get(o, "id_document_type", "ID");
    ck_get(o, "eid_validity_from", "2020-11-10T00:00:00Z");
    ck_get(o, "eid_validity_to", "2030-11-10T00:00:00Z");
    ck_get(o, "eid_issuance_locality", "Bruxelles");
    ck_get(o, "eid_read_date", "2025-12-01T10:00:00Z");
    ck_get(o, "nationality", "BEL");
    ck_get(o, "place_of_birth", "Bruxelles");
    ck_get(o, "country_of_birth", "BEL");
    ck_get(o, "picture", "data:image/jpeg;base64,/9j/4AAQSk==");
    ck_get(o, "birthdate_as_string", "24 APR 1981");
    ck_get(o, "device_os", "ANDROID");
    ck_get(o, "device_app_name", "itsme");
    ck_get(o, "device_label", "Pixel");
    ck_get(o, "device_id", "d-1");
    ck_get(o, "device_rooted", "false");
    ck_get(o, "app_name", "itsme");
    ck_get(o, "app_release", "5.1");
    ck_get(o, "age_gte_18", "true");
    const char *gone[] = {"iss", "aud", "exp", "iat", "nonce", "acr", "auth_time", "age",
                          "address", "official_gender", NULL};
    for (int i = 0; gone[i]; i++)
        ck_absent(o, gone[i]);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_itsme_v2_fallbacks)
{
    apr_pool_t *p = tu_pool();
    /* BEeidSn metadata, citizenship without _as_iso, place_of_birth city only,
     * official_gender alone, IDIssuingCountry keyed by the national number,
     * a bad photo MIME type and an unknown metadata target */
    apr_table_t *o = canon(p,
        "{\"sub\":\"s\",\"" V2 "BEeidSn\":\"581721097415\","
        "\"" V2 "validityTo\":{\"" V2 "BEeidSn\":\"2029-01-01T00:00:00Z\"},"
        "\"" V2 "IDIssuingCountry\":{\"" V2 "BENationalNumber\":\"LU\","
        "\"" V2 "IDDocumentSN\":\"BE\",\"" V2 "other\":\"X\"},"
        "\"" V2 "BENationalNumber\":\"99060427181\","
        "\"" V2 "claim_citizenship\":\"Belg\","
        "\"" V2 "place_of_birth\":{\"city\":\"Gent\"},"
        "\"" V2 "official_gender\":\"M\","
        "\"" V2 "physical_person_photo\":{\"format\":\"text/html\",\"value\":\"PGI+\"},"
        "\"" V2 "transaction_ip\":\"192.0.2.1\"}",
        NULL, NULL);

    ck_get(o, "eid_number", "581721097415");
    ck_get(o, "eid_validity_to", "2029-01-01T00:00:00Z");
    /* issuing country LU: not checked against the Belgian rule, no default */
    ck_get(o, "nin_issuing_country", "LU");
    ck_get(o, "nin", "99060427181");
    ck_get(o, "id_document_issuing_country", "BE");
    ck_get(o, "other_id_issuing_country", "X");
    ck_get(o, "nationality", "Belg");
    ck_get(o, "place_of_birth", "Gent");
    ck_get(o, "gender", "M");
    ck_get(o, "transaction_ip", "192.0.2.1");
    ck_absent(o, "picture");
    ck_absent(o, "country_of_birth");
    apr_pool_destroy(p);
}
END_TEST

/* Signicat eID Hub example (seed 004), sub shortened. */
static const char *SIG_IDT =
    "{\"iss\":\"https://example.sandbox.signicat.dev/auth/open\",\"nbf\":1712237928,"
    "\"iat\":1712237928,\"exp\":1712238528,\"aud\":\"client\",\"amr\":[\"external\"],"
    "\"at_hash\":\"0zAbHkXIeNDhkFoWlhKg\",\"sid\":\"8930E9EC6FAF874DF7BA6FC907383\","
    "\"sub\":\"tXOq9614vLHkXBkEZGQO02Fc98IPaHq6iRwK-ytA=\",\"auth_time\":1712237927,"
    "\"idp\":\"itsme\",\"email\":\"test@itsme.be\",\"phone_number\":\"+32 453519681\","
    "\"name\":\"Maxence Legrand\",\"family_name\":\"Legrand\",\"given_name\":\"Maxence\","
    "\"gender\":\"female\",\"birthdate\":\"1981-04-24\","
    "\"address\":{\"formatted\":\"Rue Royale 82 1000 Bruxelles\"},"
    "\"idp_issuer\":\"https://idp.e2e.itsme.services/v2\","
    "\"transaction_id\":\"355f42c4-a1ec-a000-87af-1eaad9a89435\",\"sandbox\":true}";
static const char *SIG_UI =
    "{\"idp_id\":\"rpx5rrbsn4ktvhm3m0q4uh2iepsdat34i9vf\",\"name\":\"Maxence Legrand\","
    "\"family_name\":\"Legrand\",\"given_name\":\"Maxence\",\"gender\":\"female\","
    "\"birthdate\":\"1981-04-24\",\"email\":\"test@itsme.be\","
    "\"address\":{\"formatted\":\"Rue Royale 82 1000 Bruxelles\",\"street_address\":"
    "\"Rue Royale 82\",\"locality\":\"Bruxelles\",\"postal_code\":\"1000\"},"
    "\"phone_number\":\"+32 453519681\",\"nin\":\"81042419835\",\"nin_type\":\"PERSON\","
    "\"sub\":\"tXOq9614vLHkXBkEZGQO02Fc98IPaHq6iRwK-ytA=\","
    "\"idp_issuer\":\"https://idp.e2e.itsme.services/v2\"}";

START_TEST(test_broker)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p, SIG_IDT, SIG_UI, NULL);

    ck_get(o, "sub", "tXOq9614vLHkXBkEZGQO02Fc98IPaHq6iRwK-ytA=");
    ck_get(o, "name", "Maxence Legrand");
    ck_get(o, "birthdate", "1981-04-24");
    ck_get(o, "email", "test@itsme.be");
    ck_get(o, "phone_number", "+32 453519681");
    ck_get(o, "address_formatted", "Rue Royale 82 1000 Bruxelles");
    ck_get(o, "address_street", "Rue Royale 82");
    ck_get(o, "address_postal_code", "1000");
    ck_get(o, "nin", "81042419835");
    ck_get(o, "nin_type", "PERSON");
    ck_absent(o, "nin_issuing_country"); /* not sent, and "nin" says nothing of BE */
    ck_get(o, "idp_id", "rpx5rrbsn4ktvhm3m0q4uh2iepsdat34i9vf");
    ck_get(o, "idp", "itsme");
    ck_get(o, "sandbox", "true");
    ck_get(o, "idp_issuer", "https://idp.e2e.itsme.services/v2");
    const char *gone[] = {"iss", "nbf", "amr", "at_hash", "sid", "auth_time", NULL};
    for (int i = 0; gone[i]; i++)
        ck_absent(o, gone[i]);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_broker_eid)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p, NULL,
        "{\"sub\":\"s\",\"itsme_eid\":\"431-5224850-12\",\"itsme_issuance_locality\":\"Gent\","
        "\"itsme_validity_from\":\"2020-01-31T00:00:00Z\",\"itsme_validity_to\":"
        "\"2030-01-31T00:00:00Z\",\"itsme_read_date\":\"2025-01-31T00:00:00Z\","
        "\"itsme_national_number\":\"860224 025 08\",\"date-of-birth\":\"1986-02-24\","
        "\"place_of_birth\":\"Bruxelles\",\"country_of_birth\":\"BEL\","
        "\"nationality\":\"Belg\",\"itsme_os\":\"iOS\"}", NULL);

    ck_get(o, "eid_number", "431522485012");
    ck_get(o, "eid_issuance_locality", "Gent");
    ck_get(o, "eid_validity_from", "2020-01-31T00:00:00Z");
    ck_get(o, "eid_validity_to", "2030-01-31T00:00:00Z");
    ck_get(o, "eid_read_date", "2025-01-31T00:00:00Z");
    ck_get(o, "nin", "86022402508");
    ck_get(o, "nin_type", "PERSON");
    ck_get(o, "nin_issuing_country", "BE");
    ck_get(o, "birthdate", "1986-02-24");
    ck_get(o, "place_of_birth", "Bruxelles");
    ck_get(o, "country_of_birth", "BEL");
    ck_get(o, "nationality", "Belg");
    ck_get(o, "itsme_os", "iOS");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_broker_rest_shape)
{
    apr_pool_t *p = tu_pool();
    /* Signicat REST "subject" shape: nin as an object, address as a string */
    apr_table_t *o = canon(p,
        "{\"sub\":\"s\",\"firstName\":\"Maxence\",\"lastName\":\"Legrand\","
        "\"dateOfBirth\":\"1981-04-24\",\"address\":\"Rue Royale 82 1000 Bruxelles\","
        "\"nin\":{\"value\":\"81042419835\",\"issuingCountry\":\"BE\",\"type\":\"PERSON\"},"
        "\"placeOfBirth\":\"Bruxelles\"}", NULL, NULL);

    ck_get(o, "given_name", "Maxence");
    ck_get(o, "family_name", "Legrand");
    ck_get(o, "birthdate", "1981-04-24");
    ck_get(o, "address_formatted", "Rue Royale 82 1000 Bruxelles");
    ck_get(o, "nin", "81042419835");
    ck_get(o, "nin_type", "PERSON");
    ck_get(o, "nin_issuing_country", "BE");
    ck_get(o, "place_of_birth", "Bruxelles");
    apr_pool_destroy(p);
}
END_TEST

/* Legacy Signicat attributes (seed 000, as published). */
static const char *LEGACY =
    "{\"itsme.sub\":\"fjdnfhr7264jfnr9sjwhfnrjwu\",\"itsme.birthdate\":\"1990-01-01\","
    "\"itsme.email_verified\":\"true\",\"itsme.gender\":\"male\","
    "\"itsme.iss\":\"https://merchant.itsme.be/oidc\",\"itsme.phone_number_verified\":\"true\","
    "\"itsme.given_name\":\"John\",\"itsme.aud\":\"HERv3bE2k5\",\"itsme.name\":\"John Doe\","
    "\"itsme.phone_number\":\"+32412345678\",\"itsme.family_name\":\"Doe\","
    "\"itsme.email\":\"john.doe@signicat.com\",\"itsme.address.country\":\"Belgium\","
    "\"itsme.address.street_address\":\"Place Sainte-Gudule 5\","
    "\"itsme.address.locality\":\"Bruxelles\",\"itsme.address.postal_code\":\"1000\","
    "\"itsme.national_number\":\"12345678987\",\"itsme.eid\":\"123456789876\","
    "\"itsme.issuance_locality\":\"Bruxelles\","
    "\"itsme.validity_from\":\"2015-06-12T00:00:00+0100\","
    "\"itsme.validity_to\":\"2025-06-12T00:00:00+0100\","
    "\"itsme.read_date\":\"2021-05-15T22:00:00+0000\",\"itsme.nationality\":\"Belg\","
    "\"itsme.city-of-birth\":\"Bruxelles\",\"itsme.photo\":\"base64 encoded string\"}";

START_TEST(test_legacy)
{
    apr_pool_t *p = tu_pool();
    logcap_t cap = {0};
    apr_table_t *o = canon(p, LEGACY, NULL, &cap);

    /* issue 8 (9): itsme.sub is never the canonical sub (the ID token's is) */
    ck_absent(o, "sub");
    ck_get(o, "itsme_sub", "fjdnfhr7264jfnr9sjwhfnrjwu");
    ck_get(o, "birthdate", "1990-01-01");
    ck_get(o, "gender", "male");
    ck_get(o, "given_name", "John");
    ck_get(o, "family_name", "Doe");
    ck_get(o, "name", "John Doe");
    ck_get(o, "email", "john.doe@signicat.com");
    ck_get(o, "phone_number", "+32412345678");
    ck_get(o, "address_country", "Belgium");
    ck_get(o, "address_street", "Place Sainte-Gudule 5");
    ck_get(o, "address_locality", "Bruxelles");
    ck_get(o, "address_postal_code", "1000");
    ck_get(o, "nin", "12345678987"); /* valid by the 2000+ rule in 2026 */
    ck_get(o, "nin_type", "PERSON");
    ck_get(o, "nin_issuing_country", "BE");
    ck_absent(o, "eid_number"); /* 123456789876 fails its check digits */
    ck_assert_int_eq(cap.n, 1);
    ck_assert_ptr_nonnull(strstr(cap.all, "ITSME00502"));
    ck_get(o, "eid_issuance_locality", "Bruxelles");
    ck_get(o, "eid_validity_from", "2015-06-12T00:00:00+0100");
    ck_get(o, "eid_validity_to", "2025-06-12T00:00:00+0100");
    ck_get(o, "eid_read_date", "2021-05-15T22:00:00+0000");
    ck_get(o, "nationality", "Belg");
    ck_get(o, "place_of_birth", "Bruxelles");
    ck_get(o, "email_verified", "true");
    ck_absent(o, "picture"); /* not an image */
    ck_absent(o, "iss");
    ck_absent(o, "aud");
    ck_absent(o, "itsme_iss");

    /* a real JPEG in base64 becomes a data: URL */
    o = canon(p, "{\"itsme.photo\":\"/9j/4AAQSkZJRg==\"}", NULL, NULL);
    ck_get(o, "picture", "data:image/jpeg;base64,/9j/4AAQSkZJRg==");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_protocol_dropped)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p,
        "{\"iss\":\"i\",\"aud\":[\"a\",\"b\"],\"exp\":1,\"iat\":1,\"nbf\":1,\"nonce\":\"n\","
        "\"at_hash\":\"h\",\"c_hash\":\"h\",\"auth_time\":1,\"acr\":\"x\",\"amr\":[\"pwd\"],"
        "\"azp\":\"a\",\"sid\":\"s\",\"jti\":\"j\",\"sub\":\"user\"}",
        "{\"iss\":\"i\",\"acr\":\"y\",\"sub\":\"user\"}", NULL);

    ck_assert_int_eq(count(o), 1);
    ck_get(o, "sub", "user");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_userinfo_wins)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p,
        "{\"sub\":\"u\",\"given_name\":\"A\",\"email\":\"a@x\",\"gender\":\"female\"}",
        "{\"sub\":\"u\",\"given_name\":\"B\",\"" V2 "official_gender\":\"M\","
        "\"custom\":\"ui\"}", NULL);

    ck_get(o, "given_name", "B");
    ck_get(o, "email", "a@x");    /* only in the id_token: kept */
    ck_get(o, "gender", "female"); /* a lower-priority source does not override */
    ck_get(o, "custom", "ui");

    /* a different sub in userinfo is refused */
    itsme_err_t *e = NULL;
    apr_table_t *out = apr_table_make(p, 4);
    ck_assert_int_ne(itsme_claims_canonicalize(p, js(p, "{\"sub\":\"u\"}"),
                                               js(p, "{\"sub\":\"v\"}"), TU_NOW, NULL, out, &e),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->kind, ITSME_E_OP);
    ck_assert_int_eq(count(out), 0);
    /* not objects */
    itsme_json_t *arr = itsme_json_array_new(p);
    ck_assert_int_ne(itsme_claims_canonicalize(p, arr, NULL, TU_NOW, NULL, out, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_claims_canonicalize(p, NULL, NULL, TU_NOW, NULL, NULL, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_flatten)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p,
        "{\"sub\":\"u\",\"address\":{\"street_address\":\"Rue Royale 82\","
        "\"region\":\"BXL\",\"geo\":{\"lat\":50.85,\"lon\":4}},"
        "\"groups\":[\"a\",\"b\",3,true],\"mixed\":[\"a\",{\"x\":1}],\"empty\":[],"
        "\"nothing\":null,\"deep\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":\"too deep\"}}}}}}",
        NULL, NULL);

    ck_get(o, "address_street", "Rue Royale 82");
    ck_get(o, "address_region", "BXL");
    ck_get(o, "address_geo_lat", "50.85");
    ck_get(o, "address_geo_lon", "4");
    ck_get(o, "groups", "a,b,3,true");
    ck_absent(o, "mixed");
    ck_absent(o, "empty");
    ck_absent(o, "nothing");
    ck_absent(o, "deep_a_b_c_d_e");
    ck_assert_int_eq(count(o), 6);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_invalid_nin_logged_masked)
{
    apr_pool_t *p = tu_pool();
    logcap_t cap = {0};
    apr_table_t *o = canon(p,
        "{\"sub\":\"u\",\"" V2 "BENationalNumber\":\"81042419836\"}", NULL, &cap);

    ck_absent(o, "nin");
    ck_absent(o, "nin_type");
    ck_absent(o, "nin_issuing_country");
    ck_assert_int_eq(cap.n, 1);
    ck_assert_ptr_nonnull(strstr(cap.all, "ITSME00501"));
    ck_assert_ptr_nonnull(strstr(cap.all, "8104"));
    ck_assert_ptr_null(strstr(cap.all, "81042419836"));
    ck_assert_ptr_null(strstr(cap.all, "042419836"));

    /* separators are accepted and removed */
    o = canon(p, "{\"nin\":\"81.04.24-198.35\",\"eid_number\":\"431-5224850-12\"}", NULL, &cap);
    ck_get(o, "nin", "81042419835");
    ck_get(o, "eid_number", "431522485012");
    ck_assert_int_eq(cap.n, 0);
    ck_absent(o, "nin_type"); /* a bare "nin" is not known to be Belgian */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_sanitised_names)
{
    apr_pool_t *p = tu_pool();
    char longname[80];
    memset(longname, 'a', 70);
    longname[70] = '\0';
    const char *doc = apr_psprintf(p,
        "{\"Some-Claim.Name\":\"1\",\"https://example.com/c\":\"2\",\"Email\":\"x@y\","
        "\"Address_Country\":\"XX\",\"%s\":\"3\",\"ok_%s\":\"4\",\"x\":\"5\"}",
        longname, "abc");
    apr_table_t *o = canon(p, doc, NULL, NULL);

    ck_get(o, "some_claim_name", "1");
    ck_get(o, "https___example_com_c", "2");
    ck_get(o, "ok_abc", "4");
    ck_get(o, "x", "5");
    ck_absent(o, "email");           /* would shadow a canonical name */
    ck_absent(o, "address_country"); /* idem */
    ck_assert_int_eq(count(o), 4);   /* the 70-char name is gone too */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_value_limits)
{
    apr_pool_t *p = tu_pool();
    char *big = apr_palloc(p, 70000);
    memset(big, 'A', 69999);
    big[69999] = '\0';
    const char *doc = apr_psprintf(p,
        "{\"name\":\"%.*s\",\"family_name\":\"%.*s\",\"locale\":\"a\\u0001b\","
        "\"address\":{\"formatted\":\"Rue Royale 82\\n1000 Bruxelles\"},"
        "\"" V2 "physical_person_photo\":{\"format\":\"image/png\",\"value\":\"%.*s\"}}",
        4097, big, 4096, big, 20000, big);
    apr_table_t *o = canon(p, doc, NULL, NULL);

    ck_absent(o, "name");                           /* 4097 bytes */
    ck_assert_uint_eq(strlen(apr_table_get(o, "family_name")), 4096);
    ck_absent(o, "locale");                         /* control character */
    ck_get(o, "address_formatted", "Rue Royale 82 1000 Bruxelles");
    ck_assert_uint_eq(strlen(apr_table_get(o, "picture")), 20000 + strlen("data:image/png;base64,"));

    big[65536] = '\0'; /* valid base64 length, but over the picture cap */
    doc = apr_psprintf(p,
        "{\"" V2 "physical_person_photo\":{\"format\":\"image/png\",\"value\":\"%s\"}}", big);
    o = canon(p, doc, NULL, NULL);
    ck_absent(o, "picture");                        /* > 64 KiB */
    apr_pool_destroy(p);
}
END_TEST

/* ---- issue 8: one subject; linear cost for arrays ---- */

/* The canonical sub is the ID token's whatever the other route says: a
 * legacy itsme.sub (in either document, before or after sub) lands on
 * itsme_sub; a userinfo sub that is not a string fails. */
START_TEST(test_sub_is_the_id_tokens)
{
    apr_pool_t *p = tu_pool();
    apr_table_t *o = canon(p, "{\"sub\":\"alice\"}", "{\"sub\":\"alice\",\"itsme.sub\":\"bob\"}",
                           NULL);
    itsme_err_t *e = NULL;

    ck_get(o, "sub", "alice");
    ck_get(o, "itsme_sub", "bob");
    o = canon(p, "{\"itsme.sub\":\"bob\",\"sub\":\"alice\"}", NULL, NULL);
    ck_get(o, "sub", "alice");
    ck_get(o, "itsme_sub", "bob");
    o = canon(p, "{\"sub\":\"alice\"}", "{\"itsme.sub\":\"bob\"}", NULL);
    ck_get(o, "sub", "alice");
    o = apr_table_make(p, 4);
    ck_assert_int_ne(itsme_claims_canonicalize(p, js(p, "{\"sub\":\"alice\"}"),
                                               js(p, "{\"sub\":42,\"name\":\"x\"}"), TU_NOW, NULL,
                                               o, &e), APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_OP);
    ck_assert_str_eq(e->msg, "claims: userinfo sub is not a string");
    ck_assert_int_ne(itsme_claims_canonicalize(p, js(p, "{\"sub\":\"alice\"}"),
                                               js(p, "{\"sub\":{\"v\":\"alice\"}}"), TU_NOW,
                                               NULL, o, &e), APR_SUCCESS);
    ck_assert_int_ne(itsme_claims_canonicalize(p, js(p, "{\"sub\":\"alice\"}"),
                                               js(p, "{\"sub\":null}"), TU_NOW, NULL, o, &e),
                     APR_SUCCESS);
    ck_assert(itsme_claim_is_canonical("itsme_sub"));
    apr_pool_destroy(p);
}
END_TEST

/* The process's data size (heap and private anonymous mappings, where
 * APR's allocator gets its blocks), from /proc/self/statm. */
static size_t heap_in_use(void)
{
    unsigned long size = 0, res = 0, shr = 0, text = 0, lib = 0, data = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%lu %lu %lu %lu %lu %lu", &size, &res, &shr, &text, &lib, &data),
                     6);
    fclose(f);
    return (size_t)data * (size_t)sysconf(_SC_PAGESIZE);
}

/* A userinfo answer at the HTTP client's cap made of arrays that join to
 * just under ITSME_CLAIM_MAX_VALUE (and some just over): the old join
 * rebuilt the string per element (~4 MB of pool per array, ~130 MB here);
 * now one pass per array, so the growth is about what is kept. */
START_TEST(test_array_join_linear)
{
    apr_pool_t *p = tu_pool();
    apr_size_t n = 0, cap = 300 * 1024;
    char *doc = apr_palloc(p, cap);
    apr_table_t *o = apr_table_make(p, 64);
    itsme_json_t *ui = NULL;

    n += (apr_size_t)apr_snprintf(doc + n, cap - n, "{\"sub\":\"u\"");
    for (int k = 0; k < 32; k++) {
        int elems = k % 4 == 3 ? 2049 : 2048; /* 4095 bytes joined; 4097: dropped */
        n += (apr_size_t)apr_snprintf(doc + n, cap - n, ",\"group%02d\":[", k);
        for (int i = 0; i < elems; i++)
            n += (apr_size_t)apr_snprintf(doc + n, cap - n, i ? ",\"%c\"" : "\"%c\"", 'a' + k % 26);
        n += (apr_size_t)apr_snprintf(doc + n, cap - n, "]");
    }
    n += (apr_size_t)apr_snprintf(doc + n, cap - n, ",\"ids\":[");
    for (int i = 0; i < 1000; i++)
        n += (apr_size_t)apr_snprintf(doc + n, cap - n, i ? ",%d" : "%d", i % 10);
    n += (apr_size_t)apr_snprintf(doc + n, cap - n, "]}");
    ck_assert_uint_lt(n, cap - 1);
    ck_assert_int_eq(itsme_json_parse_object(p, doc, n, &ui, NULL), APR_SUCCESS);

    size_t before = heap_in_use();
    ck_assert_int_eq(itsme_claims_canonicalize(p, js(p, "{\"sub\":\"u\"}"), ui, TU_NOW, NULL, o,
                                               NULL), APR_SUCCESS);
    size_t grown = heap_in_use() - before;

    ck_assert_msg(grown < 1024 * 1024, "canonicalising %lu bytes grew the heap by %lu bytes",
                  (unsigned long)n, (unsigned long)grown);
    ck_assert_uint_eq(strlen(apr_table_get(o, "group00")), 4095);
    ck_assert_int_eq(strncmp(apr_table_get(o, "group01"), "b,b,b,", 6), 0);
    ck_absent(o, "group03");
    ck_assert_uint_eq(strlen(apr_table_get(o, "ids")), 1999);
    ck_assert_int_eq(strncmp(apr_table_get(o, "ids"), "0,1,2,", 6), 0);
    apr_pool_destroy(p);
}
END_TEST

/* ---- the request side ---- */

static apr_array_header_t *list(apr_pool_t *p, const char *const *names)
{
    apr_array_header_t *a = apr_array_make(p, 8, sizeof(const char *));
    for (int i = 0; names[i]; i++)
        APR_ARRAY_PUSH(a, const char *) = names[i];
    return a;
}

START_TEST(test_request_itsme)
{
    apr_pool_t *p = tu_pool();
    const char *w[] = {"sub", "nin", "birthdate", "given_name", "family_name",
                       "eid_validity_to", "picture", "age", "birthdate_as_string",
                       "age_gte_18", NULL};
    const char *scope = NULL, *claims = NULL;

    ck_assert_int_eq(itsme_claims_request(p, ITSME_PROFILE_ITSME, list(p, w), "eid  extra:x",
                                          "MY_SERVICE", &scope, &claims, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(scope, "openid eid profile idDocument service:MY_SERVICE extra:x");
    ck_assert_str_eq(claims,
                     "{\"id_token\":{\"" V2 "BENationalNumber\":null,\"birthdate\":null,"
                     "\"given_name\":null,\"family_name\":null,\"" V2 "validityTo\":null,"
                     "\"" V2 "IDDocumentSN\":null,\"" V2 "physical_person_photo\":null,"
                     "\"" V2 "birthdate_as_string\":null,\"age_gte_18\":null}}");

    /* nothing wanted: just openid, no claims parameter */
    ck_assert_int_eq(itsme_claims_request(p, ITSME_PROFILE_ITSME, NULL, NULL, NULL, &scope,
                                          &claims, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(scope, "openid");
    ck_assert_ptr_null(claims);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_request_broker)
{
    apr_pool_t *p = tu_pool();
    const char *auth[] = {"sub", "name", "given_name", NULL};
    const char *ident[] = {"name", "birthdate", "nin", "eid_number", "eid_read_date",
                           "place_of_birth", "nationality", "address_locality", "phone_number",
                           "idp_id", NULL};
    const char *scope = NULL, *claims = "x";

    ck_assert_int_eq(itsme_claims_request(p, ITSME_PROFILE_BROKER, list(p, auth), NULL, "IGNORED",
                                          &scope, &claims, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(scope, "openid name");
    ck_assert_ptr_null(claims);

    ck_assert_int_eq(itsme_claims_request(p, ITSME_PROFILE_BROKER, list(p, ident),
                                          "itsme-device", NULL, &scope, &claims, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(scope, "openid date-of-birth nin itsme-eid place-of-birth nationality "
                            "address phone profile itsme-device");
    ck_assert_ptr_null(claims);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_request_generic)
{
    apr_pool_t *p = tu_pool();
    const char *w[] = {"sub", "email", "nin", "address_locality", "given_name", "custom_x",
                       "email", NULL};
    const char *scope = NULL, *claims = NULL;

    ck_assert_int_eq(itsme_claims_request(p, ITSME_PROFILE_GENERIC, list(p, w),
                                          "profile offline_access openid", "SVC", &scope,
                                          &claims, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(scope, "openid email address profile offline_access");
    ck_assert_str_eq(claims, "{\"id_token\":{\"nin\":null,\"custom_x\":null},"
                             "\"userinfo\":{\"nin\":null,\"custom_x\":null}}");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_request_rejects)
{
    apr_pool_t *p = tu_pool();
    const char *bad[] = {"given name", NULL};
    const char *empty[] = {"", NULL};
    const char *ok[] = {"sub", NULL};
    const char *scope = NULL, *claims = NULL;
    itsme_err_t *e = NULL;

    ck_assert_int_ne(itsme_claims_request(p, ITSME_PROFILE_GENERIC, list(p, bad), NULL, NULL,
                                          &scope, &claims, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    ck_assert_int_ne(itsme_claims_request(p, ITSME_PROFILE_GENERIC, list(p, empty), NULL, NULL,
                                          &scope, &claims, NULL),
                     APR_SUCCESS);
    e = NULL;
    ck_assert_int_ne(itsme_claims_request(p, ITSME_PROFILE_GENERIC, list(p, ok), "a \"b\"", NULL,
                                          &scope, &claims, &e),
                     APR_SUCCESS);
    ck_assert_int_eq(e->kind, ITSME_E_CONFIG);
    ck_assert_int_ne(itsme_claims_request(p, ITSME_PROFILE_ITSME, list(p, ok), NULL, "A B",
                                          &scope, &claims, NULL),
                     APR_SUCCESS);
    ck_assert_int_ne(itsme_claims_request(p, ITSME_PROFILE_ITSME, list(p, ok), NULL, "A\\B",
                                          &scope, &claims, NULL),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_claims(void)
{
    Suite *s = suite_create("claims");
    TCase *tc = tcase_create("claims");
    tcase_add_test(tc, test_nin_valid);
    tcase_add_test(tc, test_eid_valid);
    tcase_add_test(tc, test_age);
    tcase_add_test(tc, test_canonical_list);
    tcase_add_test(tc, test_canonical_table);
    tcase_add_test(tc, test_claims_exported);
    tcase_add_test(tc, test_itsme_v2);
    tcase_add_test(tc, test_itsme_v2_fallbacks);
    tcase_add_test(tc, test_broker);
    tcase_add_test(tc, test_broker_eid);
    tcase_add_test(tc, test_broker_rest_shape);
    tcase_add_test(tc, test_legacy);
    tcase_add_test(tc, test_protocol_dropped);
    tcase_add_test(tc, test_userinfo_wins);
    tcase_add_test(tc, test_flatten);
    tcase_add_test(tc, test_invalid_nin_logged_masked);
    tcase_add_test(tc, test_sanitised_names);
    tcase_add_test(tc, test_value_limits);
    tcase_add_test(tc, test_sub_is_the_id_tokens);
    tcase_add_test(tc, test_array_join_linear);
    tcase_add_test(tc, test_request_itsme);
    tcase_add_test(tc, test_request_broker);
    tcase_add_test(tc, test_request_generic);
    tcase_add_test(tc, test_request_rejects);
    suite_add_tcase(s, tc);
    return s;
}
