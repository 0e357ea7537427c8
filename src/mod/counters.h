/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * counters.h: the glue's side of the activity counters (core/counters.h):
 * the block in shared memory, and the one-line increments the handlers
 * call. Kept across graceful and plain restarts; reset when httpd stops.
 */
#ifndef ITSME_MOD_COUNTERS_H
#define ITSME_MOD_COUNTERS_H

#include "httpd.h"

#include "core/counters.h"

/* post_config: maps the block (created once per httpd parent, kept in its
 * process pool across restarts) and hands it to every server's HTTP client
 * options. A failure is logged; the module then runs without counters. */
int itsme_counters_post_config(apr_pool_t *pconf, server_rec *s);

/* The block, or NULL (no post_config yet, or no shared memory). */
itsme_counters_t *itsme_counters(void);

/* One more of which (lock free; nothing without a block). */
void itsme_counter_inc(itsme_ctr_e which);

/* A login that failed on an error of this kind (its cause counted). */
void itsme_counter_login_failed(itsme_err_kind_e kind);

/* ---- status.c ----
 * register_hooks: the counters on mod_status' page (an optional hook:
 * nothing happens without mod_status). */
void itsme_status_register_hooks(apr_pool_t *p);

#endif
