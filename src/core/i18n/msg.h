/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * msg.h: what the module's pages say, as data: one table per language
 * (en.c, nl.c, fr.c, de.c), indexed by page. The glue (src/mod/page.c)
 * turns a page into HTML; the machine code of a page is what an
 * ErrorDocument reads from REDIRECT_ITSME_ERROR.
 */
#ifndef ITSME_I18N_MSG_H
#define ITSME_I18N_MSG_H

typedef enum {
    ITSME_PAGE_METHOD = 0,     /* 405: a method the URL does not take */
    ITSME_PAGE_BAD_ANSWER,     /* 400: the login answer is malformed or incomplete */
    ITSME_PAGE_STATE_EXPIRED,  /* 400: no (valid) state cookie, or answer used already */
    ITSME_PAGE_CANCELLED,      /* 403: the person cancelled or refused at the OP */
    ITSME_PAGE_OP_ERROR,       /* 502: the OP answered with another error */
    ITSME_PAGE_OP_UNAVAILABLE, /* 502/504: the OP cannot be reached */
    ITSME_PAGE_NOT_VERIFIED,   /* 502: the OP's answer could not be verified */
    ITSME_PAGE_SERVER_ERROR,   /* 500: a problem on this server */
    ITSME_PAGE_TOO_BIG,        /* 500: the session does not fit its cookie */
    ITSME_PAGE_STORE_DOWN,     /* 503: the session store cannot be reached */
    ITSME_PAGE_NOT_CONFIGURED, /* 500: AuthType itsme without a configuration */
    ITSME_PAGE_ACCESS_DENIED,  /* 403: signed in, but authorization denies */
    ITSME_PAGE_CLAIM_DENIED,   /* 403: ... because of a Require itsme-claim rule */
    ITSME_PAGE_LOGIN_REQUIRED, /* 401: not signed in (ItsmeUnauthAction 401) */
    ITSME_PAGE_SIGNED_OUT,     /* 400: signed out, the return address refused */
    ITSME_PAGE_LOGOUT_REFUSED, /* 403: a cross-site logout that is no navigation */
    ITSME_PAGE__COUNT
} itsme_page_e;

typedef struct {
    const char *title;  /* the heading (and <title>) */
    const char *body;   /* what happened and what the person can do */
} itsme_page_text_t;

/* Each page has one link; the glue picks where it goes and so its text. */
typedef struct {
    const char *lang;       /* "nl", "fr", "de", "en" */
    const char *again;      /* link back to the URL first asked for */
    const char *home;       /* link to the start page "/" */
    const char *next;       /* link to ItsmePostLogoutRedirect (signed out) */
    const char *detail;     /* label of an OP's error code */
    itsme_page_text_t pages[ITSME_PAGE__COUNT];
} itsme_msgs_t;

extern const itsme_msgs_t itsme_msgs_en, itsme_msgs_nl, itsme_msgs_fr, itsme_msgs_de;

/* The table of a supported language (English for anything else). */
const itsme_msgs_t *itsme_msgs_for(const char *lang);
/* The texts of page in lang; an entry a table lacks comes from English. */
itsme_page_text_t itsme_page_text(const char *lang, itsme_page_e page);
/* The page's machine code (state_expired, access_denied, ...), "error" for
 * an unknown page. */
const char *itsme_page_code(itsme_page_e page);

#endif
