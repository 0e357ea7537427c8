/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * lang.c: Accept-Language negotiation over the supported languages. The
 * header is scanned once, in place, with at most ITSME_LANG_MAX_RANGES
 * ranges considered; nothing is allocated.
 */
#include <string.h>
#include "core/i18n/lang.h"

const char *const itsme_lang_supported[] = {"nl", "fr", "de", "en", NULL};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

const char *itsme_lang_find(const char *tag, size_t len)
{
    size_t n = 0;
    int i;

    while (n < len && tag[n] != '-')
        n++;
    for (i = 0; itsme_lang_supported[i]; i++) {
        const char *s = itsme_lang_supported[i];

        if (strlen(s) == n && lower(tag[0]) == s[0] && lower(tag[1]) == s[1])
            return s;
    }
    return NULL;
}

/* q-value (RFC 9110 §12.4.2) in thousandths, or -1 when malformed. */
static int parse_q(const char *s, size_t len)
{
    int v, scale = 100;
    size_t i;

    if (len == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    v = (s[0] - '0') * 1000;
    if (len == 1)
        return v;
    if (s[1] != '.' || len > 5)
        return -1;
    for (i = 2; i < len; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9' || (v == 1000 && s[i] != '0'))
            return -1;
        v += (s[i] - '0') * scale;
    }
    return v;
}

static size_t skip_ows(const char *s, size_t i, size_t end)
{
    while (i < end && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static size_t trim_end(const char *s, size_t start, size_t end)
{
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    return end;
}

/* The q-value of the parameters in s[i..end) ("; q=0.5"), 1000 when none,
 * -1 when malformed. Other parameters are ignored. */
static int range_q(const char *s, size_t i, size_t end)
{
    int q = 1000;

    while (i < end && s[i] == ';') {
        size_t p = skip_ows(s, i + 1, end), e = p;

        while (e < end && s[e] != ';')
            e++;
        if (e - p >= 2 && lower(s[p]) == 'q' && s[p + 1] == '=')
            q = parse_q(s + p + 2, trim_end(s, p + 2, e) - (p + 2));
        if (q < 0)
            return -1;
        i = e;
    }
    return q;
}

/* One range s[start..end): its language (NULL: none of ours) and q. */
static const char *one_range(const char *s, size_t start, size_t end, const char *dflt, int *q)
{
    size_t i = skip_ows(s, start, end), t = i, after;

    while (t < end && (is_alnum(s[t]) || s[t] == '-' || s[t] == '*'))
        t++;
    after = skip_ows(s, t, end);
    *q = range_q(s, after, end);
    if (t == i || *q <= 0 || (after < end && s[after] != ';'))
        return NULL;
    if (t - i == 1 && s[i] == '*')
        return dflt;
    return t - i >= 2 && is_alpha(s[i]) ? itsme_lang_find(s + i, t - i) : NULL;
}

/* 1 when lang is refused with q=0 anywhere in the first ranges. */
static int excluded(const char *s, const char *lang)
{
    size_t start = 0, end;
    int n;

    for (n = 0; s[start] && n < ITSME_LANG_MAX_RANGES; n++, start = end + (s[end] != 0)) {
        size_t i, t;

        end = start;
        while (s[end] && s[end] != ',')
            end++;
        i = skip_ows(s, start, end);
        t = i;
        while (t < end && (is_alnum(s[t]) || s[t] == '-'))
            t++;
        if (t - i >= 2 && itsme_lang_find(s + i, t - i) == lang
            && range_q(s, skip_ows(s, t, end), end) == 0)
            return 1;
    }
    return 0;
}

const char *itsme_lang_negotiate(const char *accept_language, const char *dflt)
{
    const char *s = accept_language, *best = NULL;
    size_t start = 0, end;
    int n, best_q = 0;

    dflt = dflt ? itsme_lang_find(dflt, strlen(dflt)) : NULL;
    if (!dflt)
        dflt = itsme_lang_find("en", 2);
    if (!s)
        return dflt;
    for (n = 0; s[start] && n < ITSME_LANG_MAX_RANGES; n++, start = end + (s[end] != 0)) {
        const char *lang;
        int q;

        end = start;
        while (s[end] && s[end] != ',')
            end++;
        lang = one_range(s, start, end, dflt, &q);
        if (lang && q > best_q && !(lang == dflt && excluded(s, dflt))) {
            best = lang;
            best_q = q;
        }
    }
    return best ? best : dflt;
}

int itsme_lang_tag_ok(const char *tag)
{
    size_t i, run = 0;

    if (!tag || !is_alpha(tag[0]) || strlen(tag) > ITSME_LANG_TAG_MAX)
        return 0;
    for (i = 0; tag[i]; i++) {
        if (tag[i] == '-') {
            if (run == 0)
                return 0;
            run = 0;
        }
        else if (!is_alnum(tag[i]) || ++run > 8)
            return 0;
    }
    return run > 0;
}
