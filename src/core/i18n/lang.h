/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * lang.h: the languages the module's pages come in (nl, fr, de, en, the
 * languages of itsme's own screens) and the choice of one of them from an
 * Accept-Language header (RFC 9110 §12.5.4). Pure C: no allocation, and a
 * bounded amount of work whatever the header holds.
 */
#ifndef ITSME_I18N_LANG_H
#define ITSME_I18N_LANG_H

#include <stddef.h>

/* At most this many language ranges of one header are looked at; the rest
 * is ignored (a browser sends a handful). */
#define ITSME_LANG_MAX_RANGES 32
/* Longest language tag accepted in configuration (ItsmeUILocales). */
#define ITSME_LANG_TAG_MAX 35

/* The supported languages, in the order a tie is broken: "nl", "fr", "de",
 * "en", NULL. */
extern const char *const itsme_lang_supported[];

/* The supported language (a pointer into itsme_lang_supported) whose code
 * is the primary subtag of `tag` ("nl-BE", "NL" -> "nl"), or NULL. */
const char *itsme_lang_find(const char *tag, size_t len);

/* The supported language the header prefers: the highest q-value wins
 * (q=0 excludes a language), a tie goes to the range listed first, "*"
 * stands for `dflt`. `dflt` (a supported language) when the header is
 * absent, malformed or names none of them. */
const char *itsme_lang_negotiate(const char *accept_language, const char *dflt);

/* 1 when `tag` is a plausible BCP 47 language tag: 1..35 characters,
 * subtags of 1..8 letters or digits joined by '-', the first alphabetic. */
int itsme_lang_tag_ok(const char *tag);

#endif
