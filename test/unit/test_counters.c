/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_counters.c: the counter block (core/counters.c): updates, the sum of
 * the login failures, the cause of a failure, the timing of a call to the
 * OP, and atomicity across processes sharing an anonymous segment (as
 * httpd's children share the one made in post_config). */
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <apr_shm.h>
#include "tests.h"
#include "testutil.h"
#include "core/counters.h"

START_TEST(add_get_max)
{
    itsme_counters_t c;
    memset(&c, 0, sizeof(c));
    itsme_counters_add(&c, ITSME_CTR_LOGINS, 1);
    itsme_counters_add(&c, ITSME_CTR_LOGINS, 2);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_LOGINS), 3);
    itsme_counters_max(&c, ITSME_CTR_OP_FETCH_MAX_USEC, 7);
    itsme_counters_max(&c, ITSME_CTR_OP_FETCH_MAX_USEC, 5);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCH_MAX_USEC), 7);
    itsme_counters_max(&c, ITSME_CTR_OP_FETCH_MAX_USEC, 9);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCH_MAX_USEC), 9);
    /* 64 bits: no wrap at 2^32 */
    itsme_counters_add(&c, ITSME_CTR_OP_FETCH_USEC, APR_UINT64_C(0xffffffff));
    itsme_counters_add(&c, ITSME_CTR_OP_FETCH_USEC, 2);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCH_USEC), APR_UINT64_C(0x100000001));
    /* out of range, or no block: nothing happens */
    itsme_counters_add(&c, ITSME_CTR__COUNT, 1);
    itsme_counters_add(&c, (itsme_ctr_e)-1, 1);
    itsme_counters_add(NULL, ITSME_CTR_LOGINS, 1);
    itsme_counters_max(NULL, ITSME_CTR_LOGINS, 1);
    itsme_counters_fetch_done(NULL, 5, 1);
    ck_assert_uint_eq(itsme_counters_get(NULL, ITSME_CTR_LOGINS), 0);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR__COUNT), 0);
    ck_assert_uint_eq(itsme_counters_failures(NULL), 0);
}
END_TEST

START_TEST(failures_sum_and_causes)
{
    itsme_counters_t c;
    memset(&c, 0, sizeof(c));
    itsme_counters_add(&c, itsme_counters_failure_cause(ITSME_E_INPUT), 1);
    itsme_counters_add(&c, itsme_counters_failure_cause(ITSME_E_NETWORK), 1);
    itsme_counters_add(&c, itsme_counters_failure_cause(ITSME_E_TOKEN), 1);
    itsme_counters_add(&c, itsme_counters_failure_cause(ITSME_E_UNAVAILABLE), 1);
    itsme_counters_add(&c, ITSME_CTR_FAIL_OP_ERROR, 1);
    itsme_counters_add(&c, ITSME_CTR_LOGINS, 10);      /* not a failure */
    itsme_counters_add(&c, ITSME_CTR_STEPUP, 10);      /* nor this */
    ck_assert_uint_eq(itsme_counters_failures(&c), 5);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_FAIL_STATE), 1);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_FAIL_NETWORK), 1);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_FAIL_TOKEN), 1);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_FAIL_OTHER), 1);
    ck_assert_int_eq(itsme_counters_failure_cause(ITSME_E_OP), ITSME_CTR_FAIL_TOKEN);
    ck_assert_int_eq(itsme_counters_failure_cause(ITSME_E_CRYPTO), ITSME_CTR_FAIL_TOKEN);
    ck_assert_int_eq(itsme_counters_failure_cause(ITSME_E_EXPIRED), ITSME_CTR_FAIL_TOKEN);
    ck_assert_int_eq(itsme_counters_failure_cause(ITSME_E_CONFIG), ITSME_CTR_FAIL_OTHER);
    ck_assert_int_eq(itsme_counters_failure_cause(ITSME_E_INTERNAL), ITSME_CTR_FAIL_OTHER);
}
END_TEST

START_TEST(fetch_timing)
{
    itsme_counters_t c;
    memset(&c, 0, sizeof(c));
    itsme_counters_fetch_done(&c, 1500, 0);
    itsme_counters_fetch_done(&c, 500, 1);
    itsme_counters_fetch_done(&c, -3, 0); /* a clock step back: 0 */
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCHES), 3);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCH_ERRORS), 1);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCH_USEC), 2000);
    ck_assert_uint_eq(itsme_counters_get(&c, ITSME_CTR_OP_FETCH_MAX_USEC), 1500);
}
END_TEST

#define PROCS 4
#define ROUNDS 200000

/* Children of one parent, as httpd's: no update is lost. */
START_TEST(shared_across_processes)
{
    apr_pool_t *p = tu_pool();
    apr_shm_t *shm = NULL;
    itsme_counters_t *c;
    pid_t kids[PROCS];
    int i, st;

    ck_assert_int_eq(apr_shm_create(&shm, sizeof(*c), NULL, p), APR_SUCCESS);
    c = apr_shm_baseaddr_get(shm);
    memset(c, 0, sizeof(*c));
    for (i = 0; i < PROCS; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            for (int n = 0; n < ROUNDS; n++) {
                itsme_counters_add(c, ITSME_CTR_LOGINS, 1);
                itsme_counters_max(c, ITSME_CTR_OP_FETCH_MAX_USEC, (apr_uint64_t)(i * ROUNDS + n));
            }
            _exit(0);
        }
    }
    for (i = 0; i < PROCS; i++) {
        ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    ck_assert_uint_eq(itsme_counters_get(c, ITSME_CTR_LOGINS), (apr_uint64_t)PROCS * ROUNDS);
    ck_assert_uint_eq(itsme_counters_get(c, ITSME_CTR_OP_FETCH_MAX_USEC),
                      (apr_uint64_t)PROCS * ROUNDS - 1);
    apr_shm_destroy(shm);
    apr_pool_destroy(p);
}
END_TEST

Suite *itsme_suite_counters(void)
{
    Suite *s = suite_create("counters");
    TCase *tc = tcase_create("counters");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, add_get_max);
    tcase_add_test(tc, failures_sum_and_causes);
    tcase_add_test(tc, fetch_timing);
    tcase_add_test(tc, shared_across_processes);
    suite_add_tcase(s, tc);
    return s;
}
