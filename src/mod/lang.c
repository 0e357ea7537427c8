/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * lang.c: the person's language. The module's pages (page.c) come in the
 * language Accept-Language prefers among nl, fr, de and en (else
 * ItsmeDefaultLanguage, default en); the authorization request asks the OP
 * for the same one with ui_locales (ItsmeUILocales auto, the default), for
 * configured tags, or not at all (off).
 */
#include "httpd.h"
#include "http_config.h"
#include "apr_strings.h"

#include "mod/mod.h"
#include "core/i18n/lang.h"

#define UI_LOCALES_MAX 8 /* tags in ItsmeUILocales */

const char *itsme_cmd_default_language(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *lang = itsme_lang_find(arg, strlen(arg));

    (void)dc;
    if (!lang || strlen(arg) != 2)
        return itsme_cmd_fail(cmd, "'%s': use nl, fr, de or en", arg);
    itsme_cmd_srv(cmd)->default_language = lang;
    return NULL;
}

/* ItsmeUILocales auto | off | <tag> [<tag> ...] */
const char *itsme_cmd_ui_locales(cmd_parms *cmd, void *dc, const char *args)
{
    itsme_srv_cfg_t *sc = itsme_cmd_srv(cmd);
    apr_array_header_t *tags = apr_array_make(cmd->pool, 4, sizeof(const char *));
    const char *w;

    (void)dc;
    while (*(w = ap_getword_white(cmd->pool, &args))) {
        if (!strcasecmp(w, "auto") || !strcasecmp(w, "off")) {
            if (tags->nelts || *args)
                return itsme_cmd_fail(cmd, "'%s' stands alone", w);
            sc->ui_locales = strcasecmp(w, "auto") ? "" : ITSME_UI_LOCALES_AUTO;
            return NULL;
        }
        if (!itsme_lang_tag_ok(w))
            return itsme_cmd_fail(cmd, "'%s' is not a language tag (such as nl or fr-BE)", w);
        if (tags->nelts >= UI_LOCALES_MAX)
            return itsme_cmd_fail(cmd, "at most %d language tags", UI_LOCALES_MAX);
        APR_ARRAY_PUSH(tags, const char *) = w;
    }
    if (!tags->nelts)
        return itsme_cmd_fail(cmd, "auto, off, or language tags");
    sc->ui_locales = apr_array_pstrcat(cmd->pool, tags, ' ');
    return NULL;
}

const char *itsme_lang_of(request_rec *r)
{
    const itsme_srv_cfg_t *sc = itsme_srv_cfg(r->server);

    return itsme_lang_negotiate(apr_table_get(r->headers_in, "Accept-Language"),
                                sc->default_language ? sc->default_language : "en");
}

const char *itsme_ui_locales(request_rec *r, const itsme_srv_cfg_t *sc)
{
    if (!sc->ui_locales || !strcmp(sc->ui_locales, ITSME_UI_LOCALES_AUTO))
        return itsme_lang_of(r);
    return *sc->ui_locales ? sc->ui_locales : NULL;
}
