/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* check_main.c: runs every libitsme unit suite; exits non-zero on failure.
 * CK_FORK stays as Check decides (fork mode isolates crashes); under
 * sanitizers the test script sets CK_FORK=no so leaks are attributed. */
#include <stdlib.h>
#include <apr_general.h>
#include "tests.h"
#include "core/http_client.h"

int main(void)
{
    apr_initialize();
    atexit(apr_terminate);
    itsme_http_global_init();

    SRunner *sr = srunner_create(itsme_suite_b64url());
    srunner_add_suite(sr, itsme_suite_json());
    srunner_add_suite(sr, itsme_suite_url());
    srunner_add_suite(sr, itsme_suite_jose());
    srunner_add_suite(sr, itsme_suite_codec());
    srunner_add_suite(sr, itsme_suite_session());
    srunner_add_suite(sr, itsme_suite_state());
    srunner_add_suite(sr, itsme_suite_id_token());
    srunner_add_suite(sr, itsme_suite_claims());
    srunner_add_suite(sr, itsme_suite_authorize());
    srunner_add_suite(sr, itsme_suite_metadata());
    srunner_add_suite(sr, itsme_suite_request_object());
    srunner_add_suite(sr, itsme_suite_interop());
    srunner_add_suite(sr, itsme_suite_jwe());
    srunner_add_suite(sr, itsme_suite_record());
    srunner_add_suite(sr, itsme_suite_logout_token());
    srunner_add_suite(sr, itsme_suite_cache());
    srunner_add_suite(sr, itsme_suite_i18n());
    srunner_add_suite(sr, itsme_suite_counters());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
