/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * record.h: a session kept in a server-side store. The browser's cookie
 * holds only an opaque id (sealed again, so a forged id never reaches the
 * store); the store holds the session sealed under the same keys, with the
 * id in the associated data, so a dump of the store shows no claim and a
 * record copied under another id does not open.
 */
#ifndef ITSME_RECORD_H
#define ITSME_RECORD_H

#include <apr_pools.h>
#include <apr_time.h>
#include "core/err.h"
#include "core/session/codec.h"
#include "core/session/session.h"

/* 32 bytes from the OS CSPRNG (OpenSSL RAND), base64url without padding. */
#define ITSME_RECORD_ID_BYTES 32
#define ITSME_RECORD_ID_LEN 43

/* A new random id. */
apr_status_t itsme_record_id_new(apr_pool_t *p, const char **id, itsme_err_t **err);

/* 1 when id (len bytes, not necessarily NUL-terminated) has the exact
 * shape itsme_record_id_new makes: ITSME_RECORD_ID_LEN base64url chars. */
int itsme_record_id_valid(const char *id, apr_size_t len);

/* The associated data of the record of `id`: "<bind>|rec|<id>". bind is
 * what the caller binds every sealed value of this relying party to (the
 * cookie name and client id). */
const char *itsme_record_aad(apr_pool_t *p, const char *bind, const char *id);

/* Serialises and seals s for id. */
apr_status_t itsme_record_seal(apr_pool_t *p, const itsme_crypto_t *c, const char *bind,
                               const char *id, const itsme_session_t *s, const char **sealed,
                               itsme_err_t **err);

/* Opens and parses a record read for id (data need not be NUL-terminated).
 * ITSME_E_CRYPTO when it was not sealed for this id and bind by one of our
 * keys, ITSME_E_INPUT when it does not parse. *key_index as in itsme_open. */
apr_status_t itsme_record_open(apr_pool_t *p, const itsme_crypto_t *c, const char *bind,
                               const char *id, const char *data, apr_size_t len,
                               itsme_session_t **s, int *key_index, itsme_err_t **err);

/* When a store may forget the record of s: its absolute end, or the end of
 * the inactivity window when that comes first (inactivity 0: off). */
apr_time_t itsme_record_deadline(const itsme_session_t *s, apr_interval_time_t inactivity);

#endif
