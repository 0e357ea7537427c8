/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* en.c: the module's pages in English (also the fallback of every entry). */
#include "core/i18n/msg.h"

const itsme_msgs_t itsme_msgs_en = {
    .lang = "en",
    .again = "Try again",
    .home = "Go to the start page",
    .next = "Continue",
    .detail = "Error code",
    .pages = {
        [ITSME_PAGE_METHOD] = {"This page cannot be opened this way",
            "This address was used in a way it does not support. Please go back to the "
            "site and continue from there."},
        [ITSME_PAGE_BAD_ANSWER] = {"Login failed",
            "The answer of the login service was incomplete or damaged, so you are not "
            "signed in. Please try to sign in again."},
        [ITSME_PAGE_STATE_EXPIRED] = {"Login expired",
            "The login took too long, was already completed, or was started in another "
            "browser. You are not signed in yet. Please start again."},
        [ITSME_PAGE_CANCELLED] = {"Login cancelled",
            "The login was cancelled or refused, so you are not signed in. You may close "
            "this page or try again."},
        [ITSME_PAGE_OP_ERROR] = {"Login failed",
            "The login service could not complete your login. Please try again in a few "
            "minutes."},
        [ITSME_PAGE_OP_UNAVAILABLE] = {"Login unavailable",
            "The login service cannot be reached right now. Please try again in a few "
            "minutes."},
        [ITSME_PAGE_NOT_VERIFIED] = {"Login failed",
            "The answer of the login service could not be verified, so you are not signed "
            "in. Please try again."},
        [ITSME_PAGE_SERVER_ERROR] = {"Login failed",
            "The login could not be completed because of a problem on this site. Please "
            "try again later."},
        [ITSME_PAGE_TOO_BIG] = {"Sign-in could not be completed",
            "Your identity was confirmed, but this site cannot keep your sign-in with the "
            "information it asked for. The site's administrator can find the details in "
            "the server log. Please try again later."},
        [ITSME_PAGE_STORE_DOWN] = {"Sign-in temporarily unavailable",
            "Signing in is temporarily unavailable on this site. Please try again in a "
            "minute."},
        [ITSME_PAGE_NOT_CONFIGURED] = {"Login not configured",
            "This page requires a login that is not set up on this server yet. Please let "
            "the site's administrator know."},
        [ITSME_PAGE_ACCESS_DENIED] = {"Access denied",
            "You are signed in, but this page is not available to you."},
        [ITSME_PAGE_CLAIM_DENIED] = {"Access denied",
            "You are signed in, but this page is only available to people who meet its "
            "conditions (a minimum age, for example)."},
        [ITSME_PAGE_LOGIN_REQUIRED] = {"Login required",
            "This page requires a login."},
        [ITSME_PAGE_SIGNED_OUT] = {"Signed out",
            "You are signed out of this site. The address to continue to was not accepted, "
            "so you stay on this site."},
        [ITSME_PAGE_LOGOUT_REFUSED] = {"Logout refused",
            "A logout cannot be started from another site this way. To sign out, use the "
            "logout button of this site."},
    },
};
