/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * counters.c: atomic updates of the counter block. The block may be shared
 * by several processes (an anonymous shared mapping inherited over fork), so
 * only the compiler's lock-free atomics are used: a mutex table inside one
 * process (APR's or libatomic's fallback) would not exclude another.
 * Relaxed ordering: each counter is independent and only ever summed.
 */
#include "core/counters.h"

void itsme_counters_add(itsme_counters_t *c, itsme_ctr_e which, apr_uint64_t n)
{
    if (c && (unsigned)which < ITSME_CTR__COUNT)
        __atomic_fetch_add(&c->v[which], n, __ATOMIC_RELAXED);
}

void itsme_counters_max(itsme_counters_t *c, itsme_ctr_e which, apr_uint64_t v)
{
    apr_uint64_t cur;

    if (!c || (unsigned)which >= ITSME_CTR__COUNT)
        return;
    cur = __atomic_load_n(&c->v[which], __ATOMIC_RELAXED);
    while (v > cur
           && !__atomic_compare_exchange_n(&c->v[which], &cur, v, 1, __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED))
        ; /* cur now holds the value another process wrote: try again */
}

apr_uint64_t itsme_counters_get(const itsme_counters_t *c, itsme_ctr_e which)
{
    if (!c || (unsigned)which >= ITSME_CTR__COUNT)
        return 0;
    return __atomic_load_n(&c->v[which], __ATOMIC_RELAXED);
}

apr_uint64_t itsme_counters_failures(const itsme_counters_t *c)
{
    apr_uint64_t sum = 0;
    int i;

    for (i = ITSME_CTR_FAIL_FIRST; i <= ITSME_CTR_FAIL_LAST; i++)
        sum += itsme_counters_get(c, (itsme_ctr_e)i);
    return sum;
}

void itsme_counters_fetch_done(itsme_counters_t *c, apr_interval_time_t elapsed, int failed)
{
    apr_uint64_t us = elapsed > 0 ? (apr_uint64_t)elapsed : 0;

    if (!c)
        return;
    itsme_counters_add(c, ITSME_CTR_OP_FETCHES, 1);
    if (failed)
        itsme_counters_add(c, ITSME_CTR_OP_FETCH_ERRORS, 1);
    itsme_counters_add(c, ITSME_CTR_OP_FETCH_USEC, us);
    itsme_counters_max(c, ITSME_CTR_OP_FETCH_MAX_USEC, us);
}

itsme_ctr_e itsme_counters_failure_cause(itsme_err_kind_e kind)
{
    switch (kind) {
    case ITSME_E_INPUT:
        return ITSME_CTR_FAIL_STATE;
    case ITSME_E_NETWORK:
        return ITSME_CTR_FAIL_NETWORK;
    case ITSME_E_OP:
    case ITSME_E_TOKEN:
    case ITSME_E_CRYPTO:
    case ITSME_E_EXPIRED:
        return ITSME_CTR_FAIL_TOKEN;
    default:
        return ITSME_CTR_FAIL_OTHER;
    }
}
