/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* de.c: the module's pages in German ("Sie"). */
#include "core/i18n/msg.h"

const itsme_msgs_t itsme_msgs_de = {
    .lang = "de",
    .again = "Erneut versuchen",
    .home = "Zur Startseite",
    .next = "Weiter",
    .detail = "Fehlercode",
    .pages = {
        [ITSME_PAGE_METHOD] = {"Diese Seite kann so nicht geöffnet werden",
            "Diese Adresse wurde auf eine Weise aufgerufen, die sie nicht unterstützt. "
            "Bitte kehren Sie zur Website zurück und fahren Sie dort fort."},
        [ITSME_PAGE_BAD_ANSWER] = {"Anmeldung fehlgeschlagen",
            "Die Antwort des Anmeldedienstes war unvollständig oder beschädigt, Sie sind "
            "daher nicht angemeldet. Bitte melden Sie sich erneut an."},
        [ITSME_PAGE_STATE_EXPIRED] = {"Anmeldung abgelaufen",
            "Die Anmeldung hat zu lange gedauert, wurde bereits abgeschlossen oder in einem "
            "anderen Browser begonnen. Sie sind noch nicht angemeldet. Bitte beginnen Sie "
            "erneut."},
        [ITSME_PAGE_CANCELLED] = {"Anmeldung abgebrochen",
            "Die Anmeldung wurde abgebrochen oder abgelehnt, Sie sind daher nicht "
            "angemeldet. Sie können diese Seite schließen oder es erneut versuchen."},
        [ITSME_PAGE_OP_ERROR] = {"Anmeldung fehlgeschlagen",
            "Der Anmeldedienst konnte Ihre Anmeldung nicht abschließen. Bitte versuchen "
            "Sie es in einigen Minuten erneut."},
        [ITSME_PAGE_OP_UNAVAILABLE] = {"Anmeldung nicht verfügbar",
            "Der Anmeldedienst ist derzeit nicht erreichbar. Bitte versuchen Sie es in "
            "einigen Minuten erneut."},
        [ITSME_PAGE_NOT_VERIFIED] = {"Anmeldung fehlgeschlagen",
            "Die Antwort des Anmeldedienstes konnte nicht überprüft werden, Sie sind daher "
            "nicht angemeldet. Bitte versuchen Sie es erneut."},
        [ITSME_PAGE_SERVER_ERROR] = {"Anmeldung fehlgeschlagen",
            "Die Anmeldung konnte wegen eines Problems auf dieser Website nicht "
            "abgeschlossen werden. Bitte versuchen Sie es später erneut."},
        [ITSME_PAGE_TOO_BIG] = {"Anmeldung konnte nicht abgeschlossen werden",
            "Ihre Identität wurde bestätigt, aber diese Website kann Ihre Anmeldung mit den "
            "angefragten Angaben nicht speichern. Der Administrator der Website findet die "
            "Einzelheiten im Serverprotokoll. Bitte versuchen Sie es später erneut."},
        [ITSME_PAGE_STORE_DOWN] = {"Anmeldung vorübergehend nicht möglich",
            "Die Anmeldung ist auf dieser Website vorübergehend nicht möglich. Bitte "
            "versuchen Sie es in einer Minute erneut."},
        [ITSME_PAGE_NOT_CONFIGURED] = {"Anmeldung nicht eingerichtet",
            "Diese Seite erfordert eine Anmeldung, die auf diesem Server noch nicht "
            "eingerichtet ist. Bitte informieren Sie den Administrator der Website."},
        [ITSME_PAGE_ACCESS_DENIED] = {"Zugriff verweigert",
            "Sie sind angemeldet, aber diese Seite steht Ihnen nicht zur Verfügung."},
        [ITSME_PAGE_CLAIM_DENIED] = {"Zugriff verweigert",
            "Sie sind angemeldet, aber diese Seite steht nur Personen offen, die ihre "
            "Bedingungen erfüllen (zum Beispiel ein Mindestalter)."},
        [ITSME_PAGE_LOGIN_REQUIRED] = {"Anmeldung erforderlich",
            "Für diese Seite müssen Sie sich anmelden."},
        [ITSME_PAGE_SIGNED_OUT] = {"Abgemeldet",
            "Sie sind von dieser Website abgemeldet. Die Zieladresse wurde nicht "
            "akzeptiert, Sie bleiben daher auf dieser Website."},
        [ITSME_PAGE_LOGOUT_REFUSED] = {"Abmeldung abgelehnt",
            "Eine Abmeldung kann nicht auf diese Weise von einer anderen Website gestartet "
            "werden. Bitte nutzen Sie zum Abmelden die Abmeldeschaltfläche dieser Website."},
    },
};
