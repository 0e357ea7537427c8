/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * lifecycle.c: a child told to stop before it has started.
 *
 * httpd's MPMs install a SIGTERM handler (just_die) in a new child right
 * after fork, until the child blocks its signals and runs the child_init
 * hooks. A child stopped in that window (a stop or restart soon after a
 * start, or the parent replacing children) leaves from inside that
 * handler: clean_child_exit, then exit(), which runs the destructors of
 * every shared library in the process. The libraries libcurl brings in
 * (GnuTLS, libtasn1, p11-kit, Kerberos...) free memory in theirs; when the
 * signal interrupted malloc (the child is allocating at that moment),
 * those free() calls find the heap half-updated: "corrupted double-linked
 * list", or a segfault. So when the child stops from the signal handler
 * before our child_init ran, it ends with _exit(0), the status just_die
 * gives: such a child has served nothing, and has no work to finish.
 *
 * `started` is written once, in child_init, while the child is still
 * single-threaded, and read in the same process only: no lock needed.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "ap_mmn.h"
#include "mpm_common.h"

#include "mod/mod.h"

static volatile sig_atomic_t started;

void itsme_lifecycle_child_init(void)
{
    started = 1;
}

/* The MPM's stop signals: SIGTERM, and SIGHUP for prefork. Inside their
 * handler the signal is blocked; in the window before child_init they are
 * not blocked otherwise (the MPM blocks all signals just before it). */
static int in_stop_handler(void)
{
    sigset_t cur;

    if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0)
        return 0;
    return sigismember(&cur, SIGTERM) == 1 || sigismember(&cur, SIGHUP) == 1;
}

#if AP_MODULE_MAGIC_AT_LEAST(20120211, 110)
static void itsme_child_stopping(apr_pool_t *pchild, int graceful)
{
    (void)pchild;
    if (!started && !graceful && in_stop_handler())
        _exit(0);
}
#endif

void itsme_lifecycle_register_hooks(apr_pool_t *p)
{
    (void)p;
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 110)
    /* first: other modules' hooks would allocate too */
    ap_hook_child_stopping(itsme_child_stopping, NULL, NULL, APR_HOOK_REALLY_FIRST);
#endif
}
