/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* test_i18n.c: Accept-Language negotiation and the per-language page
 * tables. */
#include <string.h>
#include "tests.h"
#include "core/i18n/lang.h"
#include "core/i18n/msg.h"

#define NEG(h, d) itsme_lang_negotiate((h), (d))

START_TEST(test_negotiate_basic)
{
    ck_assert_str_eq(NEG(NULL, "en"), "en");
    ck_assert_str_eq(NEG("", "nl"), "nl");
    ck_assert_str_eq(NEG("nl-BE", "en"), "nl");
    ck_assert_str_eq(NEG("fr-BE,fr;q=0.9,en;q=0.8", "en"), "fr");
    ck_assert_str_eq(NEG("DE-de", "en"), "de");
    ck_assert_str_eq(NEG("en-GB", "nl"), "en");
    ck_assert_str_eq(NEG("ja, zh-CN", "de"), "de");       /* none of ours */
    ck_assert_str_eq(NEG("ja, zh-CN", NULL), "en");
    ck_assert_str_eq(NEG("ja", "xx"), "en");              /* unknown default */
    ck_assert_str_eq(NEG("nld", "en"), "en");             /* not a prefix match */
    ck_assert_str_eq(NEG("n", "fr"), "fr");
}
END_TEST

START_TEST(test_negotiate_q)
{
    ck_assert_str_eq(NEG("en;q=0.5, nl;q=0.8", "fr"), "nl");
    ck_assert_str_eq(NEG("en;q=0.5,nl;q=0.5", "fr"), "en");   /* tie: first listed */
    ck_assert_str_eq(NEG("nl;q=0, fr", "en"), "fr");
    ck_assert_str_eq(NEG("nl;q=0", "en"), "en");
    ck_assert_str_eq(NEG("ja, *;q=0.1", "de"), "de");
    ck_assert_str_eq(NEG("*, nl;q=0.5", "fr"), "fr");
    ck_assert_str_eq(NEG("fr;q=0, *;q=0.5, en;q=0.2", "fr"), "en"); /* "*" is not fr */
    ck_assert_str_eq(NEG("de ; q=1.000 , en;q=0.999", "nl"), "de");
    ck_assert_str_eq(NEG("de;Q=0.3,en;q=0.2", "nl"), "de");
    ck_assert_str_eq(NEG("de;q=1.5,en;q=0.2", "nl"), "en");   /* malformed q dropped */
    ck_assert_str_eq(NEG("de;q=abc", "nl"), "nl");
    ck_assert_str_eq(NEG("de;q=0.12345", "nl"), "nl");
    ck_assert_str_eq(NEG("fr;level=1;q=0.4,de;q=0.3", "nl"), "fr");
    ck_assert_str_eq(NEG("de x, fr;q=0.2", "nl"), "fr");       /* junk after the tag */
    ck_assert_str_eq(NEG(",,, ;;;,=,q=1, fr ,", "nl"), "fr");
}
END_TEST

START_TEST(test_negotiate_bounded)
{
    char h[4096] = "";
    int i;

    /* the first ITSME_LANG_MAX_RANGES ranges count, the rest is ignored */
    for (i = 0; i < ITSME_LANG_MAX_RANGES; i++)
        strcat(h, "ja,");
    strcat(h, "nl");
    ck_assert_str_eq(NEG(h, "en"), "en");
    strcpy(h, "fr;q=0.1,");
    for (i = 0; i < 300; i++)
        strcat(h, "xx-yy;q=0.9,");
    ck_assert_str_eq(NEG(h, "en"), "fr");
}
END_TEST

START_TEST(test_tag_ok)
{
    ck_assert_int_eq(itsme_lang_tag_ok("nl"), 1);
    ck_assert_int_eq(itsme_lang_tag_ok("nl-BE"), 1);
    ck_assert_int_eq(itsme_lang_tag_ok("zh-Hant-TW"), 1);
    ck_assert_int_eq(itsme_lang_tag_ok(""), 0);
    ck_assert_int_eq(itsme_lang_tag_ok(NULL), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("nl-"), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("-nl"), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("nl--BE"), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("nl BE"), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("1nl"), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("abcdefghi"), 0);
    ck_assert_int_eq(itsme_lang_tag_ok("nl\"><x"), 0);
}
END_TEST

START_TEST(test_tables_complete)
{
    const itsme_msgs_t *all[] = {&itsme_msgs_nl, &itsme_msgs_fr, &itsme_msgs_de, &itsme_msgs_en};
    size_t i;
    int pg;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const itsme_msgs_t *m = all[i];

        ck_assert_ptr_eq(itsme_msgs_for(m->lang), m);
        ck_assert_ptr_nonnull(m->again);
        ck_assert_ptr_nonnull(m->home);
        ck_assert_ptr_nonnull(m->next);
        ck_assert_ptr_nonnull(m->detail);
        for (pg = 0; pg < ITSME_PAGE__COUNT; pg++) {
            ck_assert_msg(m->pages[pg].title && *m->pages[pg].title, "%s page %d: no title",
                          m->lang, pg);
            ck_assert_msg(m->pages[pg].body && *m->pages[pg].body, "%s page %d: no body",
                          m->lang, pg);
            ck_assert_str_ne(itsme_page_code((itsme_page_e)pg), "error");
            /* a translation, not a copy of the English text */
            if (m != &itsme_msgs_en)
                ck_assert_str_ne(m->pages[pg].body, itsme_msgs_en.pages[pg].body);
        }
    }
    ck_assert_ptr_eq(itsme_msgs_for("xx"), &itsme_msgs_en);
    ck_assert_ptr_eq(itsme_msgs_for(NULL), &itsme_msgs_en);
    ck_assert_str_eq(itsme_page_code(ITSME_PAGE_STATE_EXPIRED), "state_expired");
    ck_assert_str_eq(itsme_page_code(ITSME_PAGE__COUNT), "error");
    ck_assert_str_eq(itsme_page_text("nl", ITSME_PAGE_ACCESS_DENIED).title, "Geen toegang");
    ck_assert_str_eq(itsme_page_text("xx", ITSME_PAGE_ACCESS_DENIED).title, "Access denied");
}
END_TEST

Suite *itsme_suite_i18n(void)
{
    Suite *s = suite_create("i18n");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_negotiate_basic);
    tcase_add_test(tc, test_negotiate_q);
    tcase_add_test(tc, test_negotiate_bounded);
    tcase_add_test(tc, test_tag_ok);
    tcase_add_test(tc, test_tables_complete);
    suite_add_tcase(s, tc);
    return s;
}
