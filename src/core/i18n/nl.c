/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* nl.c: the module's pages in Dutch (Belgian usage, "u"). */
#include "core/i18n/msg.h"

const itsme_msgs_t itsme_msgs_nl = {
    .lang = "nl",
    .again = "Opnieuw proberen",
    .home = "Naar de startpagina",
    .next = "Verder",
    .detail = "Foutcode",
    .pages = {
        [ITSME_PAGE_METHOD] = {"Deze pagina kan zo niet worden geopend",
            "Dit adres werd gebruikt op een manier die het niet ondersteunt. Ga terug naar "
            "de website en ga van daar verder."},
        [ITSME_PAGE_BAD_ANSWER] = {"Aanmelden mislukt",
            "Het antwoord van de aanmelddienst was onvolledig of beschadigd, dus u bent "
            "niet aangemeld. Probeer opnieuw aan te melden."},
        [ITSME_PAGE_STATE_EXPIRED] = {"Aanmelding verlopen",
            "Het aanmelden duurde te lang, was al afgerond of werd in een andere browser "
            "gestart. U bent nog niet aangemeld. Begin alstublieft opnieuw."},
        [ITSME_PAGE_CANCELLED] = {"Aanmelden geannuleerd",
            "Het aanmelden werd geannuleerd of geweigerd, dus u bent niet aangemeld. U kunt "
            "deze pagina sluiten of het opnieuw proberen."},
        [ITSME_PAGE_OP_ERROR] = {"Aanmelden mislukt",
            "De aanmelddienst kon uw aanmelding niet afronden. Probeer het over enkele "
            "minuten opnieuw."},
        [ITSME_PAGE_OP_UNAVAILABLE] = {"Aanmelden niet beschikbaar",
            "De aanmelddienst is op dit moment niet bereikbaar. Probeer het over enkele "
            "minuten opnieuw."},
        [ITSME_PAGE_NOT_VERIFIED] = {"Aanmelden mislukt",
            "Het antwoord van de aanmelddienst kon niet worden gecontroleerd, dus u bent "
            "niet aangemeld. Probeer het opnieuw."},
        [ITSME_PAGE_SERVER_ERROR] = {"Aanmelden mislukt",
            "Het aanmelden kon niet worden afgerond door een probleem op deze website. "
            "Probeer het later opnieuw."},
        [ITSME_PAGE_TOO_BIG] = {"Aanmelden kon niet worden afgerond",
            "Uw identiteit werd bevestigd, maar deze website kan uw aanmelding met de "
            "gevraagde gegevens niet bewaren. De beheerder van de website vindt de details "
            "in het serverlogboek. Probeer het later opnieuw."},
        [ITSME_PAGE_STORE_DOWN] = {"Aanmelden tijdelijk niet mogelijk",
            "Aanmelden is op deze website tijdelijk niet mogelijk. Probeer het over een "
            "minuut opnieuw."},
        [ITSME_PAGE_NOT_CONFIGURED] = {"Aanmelden niet ingesteld",
            "Voor deze pagina is een aanmelding nodig die op deze server nog niet is "
            "ingesteld. Laat het de beheerder van de website weten."},
        [ITSME_PAGE_ACCESS_DENIED] = {"Geen toegang",
            "U bent aangemeld, maar deze pagina is niet voor u beschikbaar."},
        [ITSME_PAGE_CLAIM_DENIED] = {"Geen toegang",
            "U bent aangemeld, maar deze pagina is enkel beschikbaar voor wie aan de "
            "voorwaarden voldoet (bijvoorbeeld een minimumleeftijd)."},
        [ITSME_PAGE_LOGIN_REQUIRED] = {"Aanmelden vereist",
            "Voor deze pagina moet u zich aanmelden."},
        [ITSME_PAGE_SIGNED_OUT] = {"Afgemeld",
            "U bent afgemeld bij deze website. Het adres om naar verder te gaan werd niet "
            "aanvaard, dus u blijft op deze website."},
        [ITSME_PAGE_LOGOUT_REFUSED] = {"Afmelden geweigerd",
            "Afmelden kan niet op deze manier vanaf een andere website worden gestart. "
            "Gebruik de afmeldknop van deze website om u af te melden."},
    },
};
