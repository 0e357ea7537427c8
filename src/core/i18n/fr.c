/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* fr.c: the module's pages in French ("vous"). */
#include "core/i18n/msg.h"

const itsme_msgs_t itsme_msgs_fr = {
    .lang = "fr",
    .again = "Réessayer",
    .home = "Aller à la page d'accueil",
    .next = "Continuer",
    .detail = "Code d'erreur",
    .pages = {
        [ITSME_PAGE_METHOD] = {"Cette page ne peut pas être ouverte ainsi",
            "Cette adresse a été utilisée d'une manière qu'elle ne permet pas. Retournez "
            "sur le site et continuez à partir de là."},
        [ITSME_PAGE_BAD_ANSWER] = {"Échec de la connexion",
            "La réponse du service de connexion était incomplète ou endommagée : vous "
            "n'êtes pas connecté. Veuillez réessayer de vous connecter."},
        [ITSME_PAGE_STATE_EXPIRED] = {"Connexion expirée",
            "La connexion a pris trop de temps, était déjà terminée ou a été commencée "
            "dans un autre navigateur. Vous n'êtes pas encore connecté. Veuillez "
            "recommencer."},
        [ITSME_PAGE_CANCELLED] = {"Connexion annulée",
            "La connexion a été annulée ou refusée : vous n'êtes pas connecté. Vous pouvez "
            "fermer cette page ou réessayer."},
        [ITSME_PAGE_OP_ERROR] = {"Échec de la connexion",
            "Le service de connexion n'a pas pu terminer votre connexion. Veuillez "
            "réessayer dans quelques minutes."},
        [ITSME_PAGE_OP_UNAVAILABLE] = {"Connexion indisponible",
            "Le service de connexion est injoignable pour le moment. Veuillez réessayer "
            "dans quelques minutes."},
        [ITSME_PAGE_NOT_VERIFIED] = {"Échec de la connexion",
            "La réponse du service de connexion n'a pas pu être vérifiée : vous n'êtes pas "
            "connecté. Veuillez réessayer."},
        [ITSME_PAGE_SERVER_ERROR] = {"Échec de la connexion",
            "La connexion n'a pas pu aboutir en raison d'un problème sur ce site. Veuillez "
            "réessayer plus tard."},
        [ITSME_PAGE_TOO_BIG] = {"La connexion n'a pas pu aboutir",
            "Votre identité a été confirmée, mais ce site ne peut pas conserver votre "
            "connexion avec les informations demandées. L'administrateur du site trouvera "
            "les détails dans le journal du serveur. Veuillez réessayer plus tard."},
        [ITSME_PAGE_STORE_DOWN] = {"Connexion temporairement indisponible",
            "La connexion à ce site est temporairement indisponible. Veuillez réessayer "
            "dans une minute."},
        [ITSME_PAGE_NOT_CONFIGURED] = {"Connexion non configurée",
            "Cette page demande une connexion qui n'est pas encore configurée sur ce "
            "serveur. Veuillez en informer l'administrateur du site."},
        [ITSME_PAGE_ACCESS_DENIED] = {"Accès refusé",
            "Vous êtes connecté, mais cette page ne vous est pas accessible."},
        [ITSME_PAGE_CLAIM_DENIED] = {"Accès refusé",
            "Vous êtes connecté, mais cette page est réservée aux personnes qui remplissent "
            "ses conditions (un âge minimum, par exemple)."},
        [ITSME_PAGE_LOGIN_REQUIRED] = {"Connexion requise",
            "Cette page demande que vous vous connectiez."},
        [ITSME_PAGE_SIGNED_OUT] = {"Déconnecté",
            "Vous êtes déconnecté de ce site. L'adresse de destination n'a pas été "
            "acceptée : vous restez donc sur ce site."},
        [ITSME_PAGE_LOGOUT_REFUSED] = {"Déconnexion refusée",
            "Une déconnexion ne peut pas être lancée de cette manière depuis un autre site. "
            "Pour vous déconnecter, utilisez le bouton de déconnexion de ce site."},
    },
};
