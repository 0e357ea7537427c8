/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * record.c: ids and sealed records of sessions kept in a server-side store
 * (see record.h).
 */
#include <string.h>
#include <apr_strings.h>

#include "core/b64url.h"
#include "core/proto/state.h"
#include "core/session/record.h"

apr_status_t itsme_record_id_new(apr_pool_t *p, const char **id, itsme_err_t **err)
{
    return itsme_random_b64url(p, ITSME_RECORD_ID_BYTES, id, err);
}

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
           || c == '-' || c == '_';
}

int itsme_record_id_valid(const char *id, apr_size_t len)
{
    apr_size_t i;

    if (!id || len != ITSME_RECORD_ID_LEN)
        return 0;
    for (i = 0; i < len; i++)
        if (!b64url_char(id[i]))
            return 0;
    /* 32 bytes leave 2 spare bits in the last character: only the canonical
     * encoding is an id (one id, one spelling) */
    return strchr("AEIMQUYcgkosw048", id[len - 1]) != NULL;
}

const char *itsme_record_aad(apr_pool_t *p, const char *bind, const char *id)
{
    return apr_pstrcat(p, bind, "|rec|", id, NULL);
}

apr_status_t itsme_record_seal(apr_pool_t *p, const itsme_crypto_t *c, const char *bind,
                               const char *id, const itsme_session_t *s, const char **sealed,
                               itsme_err_t **err)
{
    const char *json;

    if (!itsme_record_id_valid(id, id ? strlen(id) : 0))
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EINVAL, "record: invalid id");
    json = itsme_session_serialize(p, s);
    if (!json)
        return itsme_err_make(p, err, ITSME_E_INTERNAL, APR_EGENERAL,
                              "record: cannot serialise the session");
    return itsme_seal(p, c, itsme_record_aad(p, bind, id), (const unsigned char *)json,
                      strlen(json), sealed, err);
}

apr_status_t itsme_record_open(apr_pool_t *p, const itsme_crypto_t *c, const char *bind,
                               const char *id, const char *data, apr_size_t len,
                               itsme_session_t **s, int *key_index, itsme_err_t **err)
{
    unsigned char *pt = NULL;
    apr_size_t ptlen = 0;
    itsme_err_t *e = NULL;

    if (!itsme_record_id_valid(id, id ? strlen(id) : 0))
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL, "record: invalid id");
    if (itsme_open(p, c, itsme_record_aad(p, bind, id), data, len, &pt, &ptlen, key_index, &e)
        != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_CRYPTO, e, "session record does not open");
    if (itsme_session_parse(p, (const char *)pt, ptlen, s, &e) != APR_SUCCESS)
        return itsme_err_wrap(p, err, ITSME_E_INPUT, e, "session record does not parse");
    return APR_SUCCESS;
}

apr_time_t itsme_record_deadline(const itsme_session_t *s, apr_interval_time_t inactivity)
{
    if (inactivity > 0 && s->last_seen + inactivity < s->expires)
        return s->last_seen + inactivity;
    return s->expires;
}
