/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_record.c: server-side session records: id generation and shape,
 * sealing with the id as associated data (a record does not move to
 * another id or another relying party), key rotation, junk, deadlines. */
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "tests.h"
#include "testutil.h"
#include "core/session/record.h"

#define SEC(n) apr_time_from_sec(n)
#define BIND "itsme_session|client-a"
#define PASS_A "0123456789abcdef0123456789abcdef-a"
#define PASS_B "0123456789abcdef0123456789abcdef-b"

static const itsme_crypto_t *crypto(apr_pool_t *p, const char *first, const char *second)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(const char *));
    itsme_crypto_t *c = NULL;

    APR_ARRAY_PUSH(a, const char *) = first;
    if (second)
        APR_ARRAY_PUSH(a, const char *) = second;
    ck_assert_int_eq(itsme_crypto_create(p, a, &c, NULL), APR_SUCCESS);
    return c;
}

static itsme_session_t *sample(apr_pool_t *p)
{
    itsme_session_t *s = apr_pcalloc(p, sizeof(*s));

    s->sub = "user-123";
    s->issuer = "https://op.example";
    s->created = s->last_seen = TU_NOW;
    s->expires = TU_NOW + SEC(3600);
    s->claims = apr_table_make(p, 2);
    apr_table_set(s->claims, "nin", "81042419835");
    return s;
}

static const char *new_id(apr_pool_t *p)
{
    const char *id = NULL;

    ck_assert_int_eq(itsme_record_id_new(p, &id, NULL), APR_SUCCESS);
    return id;
}

START_TEST(ids_are_random_and_well_formed)
{
    apr_pool_t *p = tu_pool();
    apr_hash_t *seen = apr_hash_make(p);
    int i;

    for (i = 0; i < 1000; i++) {
        const char *id = new_id(p);

        ck_assert_uint_eq(strlen(id), ITSME_RECORD_ID_LEN);
        ck_assert(itsme_record_id_valid(id, strlen(id)));
        ck_assert_ptr_null(apr_hash_get(seen, id, APR_HASH_KEY_STRING));
        apr_hash_set(seen, id, APR_HASH_KEY_STRING, id);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(id_shape_is_exact)
{
    apr_pool_t *p = tu_pool();
    const char *id = new_id(p);
    char *bad = apr_pstrdup(p, id);
    static const char *const junk[] = {"", "short", "../../../../etc/passwd", NULL};
    int i;

    ck_assert(!itsme_record_id_valid(NULL, 0));
    for (i = 0; junk[i]; i++)
        ck_assert(!itsme_record_id_valid(junk[i], strlen(junk[i])));
    ck_assert(!itsme_record_id_valid(id, ITSME_RECORD_ID_LEN - 1));        /* one short */
    ck_assert(!itsme_record_id_valid(apr_pstrcat(p, id, "A", NULL), ITSME_RECORD_ID_LEN + 1));
    bad[5] = '+';                                                         /* base64, not url */
    ck_assert(!itsme_record_id_valid(bad, strlen(bad)));
    bad = apr_pstrdup(p, id);
    bad[ITSME_RECORD_ID_LEN - 1] = 'B';                                    /* non-canonical tail */
    ck_assert(!itsme_record_id_valid(bad, strlen(bad)));
    bad[ITSME_RECORD_ID_LEN - 1] = 'A';
    ck_assert(itsme_record_id_valid(bad, strlen(bad)));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(record_round_trip_hides_claims)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = crypto(p, PASS_A, NULL);
    const char *id = new_id(p), *rec = NULL;
    itsme_session_t *out = NULL;
    int key_index = -1;

    ck_assert_int_eq(itsme_record_seal(p, c, BIND, id, sample(p), &rec, NULL), APR_SUCCESS);
    ck_assert_ptr_null(strstr(rec, "81042419835"));
    ck_assert_ptr_null(strstr(rec, "user-123"));
    ck_assert_int_eq(itsme_record_open(p, c, BIND, id, rec, strlen(rec), &out, &key_index, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(key_index, 0);
    ck_assert_str_eq(out->sub, "user-123");
    ck_assert_str_eq(apr_table_get(out->claims, "nin"), "81042419835");
    apr_pool_destroy(p);
}
END_TEST

static void open_fails(apr_pool_t *p, const itsme_crypto_t *c, const char *bind, const char *id,
                       const char *rec, apr_size_t len, itsme_err_kind_e kind)
{
    itsme_session_t *out = NULL;
    itsme_err_t *err = NULL;

    ck_assert_int_ne(itsme_record_open(p, c, bind, id, rec, len, &out, NULL, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->kind, kind);
}

START_TEST(record_does_not_move)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = crypto(p, PASS_A, NULL);
    const char *id = new_id(p), *other = new_id(p), *rec = NULL;
    char *flipped;

    ck_assert_int_eq(itsme_record_seal(p, c, BIND, id, sample(p), &rec, NULL), APR_SUCCESS);
    open_fails(p, c, BIND, other, rec, strlen(rec), ITSME_E_CRYPTO);           /* another id */
    open_fails(p, c, "itsme_session|client-b", id, rec, strlen(rec), ITSME_E_CRYPTO); /* RP */
    open_fails(p, crypto(p, PASS_B, NULL), BIND, id, rec, strlen(rec), ITSME_E_CRYPTO);
    open_fails(p, c, BIND, "not-an-id", rec, strlen(rec), ITSME_E_INPUT);
    flipped = apr_pstrdup(p, rec);
    flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
    open_fails(p, c, BIND, id, flipped, strlen(flipped), ITSME_E_CRYPTO);
    open_fails(p, c, BIND, id, rec, strlen(rec) - 1, ITSME_E_CRYPTO);          /* truncated */
    open_fails(p, c, BIND, id, "", 0, ITSME_E_CRYPTO);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(record_opens_under_an_older_key)
{
    apr_pool_t *p = tu_pool();
    const char *id = new_id(p), *rec = NULL;
    itsme_session_t *out = NULL;
    int key_index = -1;

    ck_assert_int_eq(itsme_record_seal(p, crypto(p, PASS_A, NULL), BIND, id, sample(p), &rec,
                                       NULL), APR_SUCCESS);
    ck_assert_int_eq(itsme_record_open(p, crypto(p, PASS_B, PASS_A), BIND, id, rec, strlen(rec),
                                       &out, &key_index, NULL), APR_SUCCESS);
    ck_assert_int_eq(key_index, 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(seal_refuses_bad_input)
{
    apr_pool_t *p = tu_pool();
    const itsme_crypto_t *c = crypto(p, PASS_A, NULL);
    itsme_session_t *s = sample(p);
    const char *rec = NULL;

    ck_assert_int_ne(itsme_record_seal(p, c, BIND, "bad id", s, &rec, NULL), APR_SUCCESS);
    s->sub = NULL;
    ck_assert_int_ne(itsme_record_seal(p, c, BIND, new_id(p), s, &rec, NULL), APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(deadline_is_the_earlier_end)
{
    apr_pool_t *p = tu_pool();
    itsme_session_t *s = sample(p);

    ck_assert(itsme_record_deadline(s, 0) == s->expires);                   /* no inactivity */
    ck_assert(itsme_record_deadline(s, SEC(600)) == TU_NOW + SEC(600));      /* idle first */
    s->last_seen = TU_NOW + SEC(3300);
    ck_assert(itsme_record_deadline(s, SEC(600)) == s->expires);            /* absolute first */
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_record(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, ids_are_random_and_well_formed);
    tcase_add_test(tc, id_shape_is_exact);
    tcase_add_test(tc, record_round_trip_hides_claims);
    tcase_add_test(tc, record_does_not_move);
    tcase_add_test(tc, record_opens_under_an_older_key);
    tcase_add_test(tc, seal_refuses_bad_input);
    tcase_add_test(tc, deadline_is_the_earlier_end);
    suite_add_tcase(s, tc);
    return s;
}
