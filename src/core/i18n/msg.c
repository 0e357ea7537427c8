/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * msg.c: lookup in the per-language tables, and each page's machine code.
 */
#include <string.h>
#include "core/i18n/msg.h"

static const char *const codes[ITSME_PAGE__COUNT] = {
    [ITSME_PAGE_METHOD] = "method_not_allowed",
    [ITSME_PAGE_BAD_ANSWER] = "login_failed",
    [ITSME_PAGE_STATE_EXPIRED] = "state_expired",
    [ITSME_PAGE_CANCELLED] = "cancelled",
    [ITSME_PAGE_OP_ERROR] = "op_error",
    [ITSME_PAGE_OP_UNAVAILABLE] = "op_unavailable",
    [ITSME_PAGE_NOT_VERIFIED] = "login_failed",
    [ITSME_PAGE_SERVER_ERROR] = "server_error",
    [ITSME_PAGE_TOO_BIG] = "session_too_large",
    [ITSME_PAGE_STORE_DOWN] = "store_unavailable",
    [ITSME_PAGE_NOT_CONFIGURED] = "not_configured",
    [ITSME_PAGE_ACCESS_DENIED] = "access_denied",
    [ITSME_PAGE_CLAIM_DENIED] = "claim_denied",
    [ITSME_PAGE_LOGIN_REQUIRED] = "login_required",
    [ITSME_PAGE_SIGNED_OUT] = "logout_target_refused",
    [ITSME_PAGE_LOGOUT_REFUSED] = "logout_refused",
};

const itsme_msgs_t *itsme_msgs_for(const char *lang)
{
    static const itsme_msgs_t *const all[] = {&itsme_msgs_nl, &itsme_msgs_fr, &itsme_msgs_de,
                                              &itsme_msgs_en};
    size_t i;

    for (i = 0; lang && i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(all[i]->lang, lang))
            return all[i];
    return &itsme_msgs_en;
}

itsme_page_text_t itsme_page_text(const char *lang, itsme_page_e page)
{
    const itsme_msgs_t *m = itsme_msgs_for(lang);
    itsme_page_text_t t, en;

    if ((unsigned)page >= ITSME_PAGE__COUNT)
        page = ITSME_PAGE_SERVER_ERROR;
    t = m->pages[page];
    en = itsme_msgs_en.pages[page];
    if (!t.title)
        t.title = en.title;
    if (!t.body)
        t.body = en.body;
    return t;
}

const char *itsme_page_code(itsme_page_e page)
{
    return (unsigned)page < ITSME_PAGE__COUNT && codes[page] ? codes[page] : "error";
}
