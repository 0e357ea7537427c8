/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* tests.h: one Check suite per core unit; check_main.c runs them all. */
#ifndef ITSME_TESTS_H
#define ITSME_TESTS_H

#include <check.h>

Suite *itsme_suite_b64url(void);
Suite *itsme_suite_json(void);
Suite *itsme_suite_url(void);
Suite *itsme_suite_jose(void);
Suite *itsme_suite_codec(void);
Suite *itsme_suite_session(void);
Suite *itsme_suite_state(void);
Suite *itsme_suite_id_token(void);
Suite *itsme_suite_claims(void);
Suite *itsme_suite_authorize(void);
Suite *itsme_suite_metadata(void);
Suite *itsme_suite_request_object(void);
Suite *itsme_suite_interop(void);
Suite *itsme_suite_jwe(void);
Suite *itsme_suite_record(void);
Suite *itsme_suite_logout_token(void);
Suite *itsme_suite_cache(void);
Suite *itsme_suite_i18n(void);
Suite *itsme_suite_counters(void);

#endif
