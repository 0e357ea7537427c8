/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/* b64url.h: base64url (RFC 4648 §5) without padding, strict decoding. */
#ifndef ITSME_B64URL_H
#define ITSME_B64URL_H

#include <apr_pools.h>
#include <apr_errno.h>

/* Encodes len bytes; result NUL-terminated, no '=' padding. */
char *itsme_b64url_encode(apr_pool_t *p, const unsigned char *data, apr_size_t len);

/* Decodes inlen characters (inlen may be (apr_size_t)-1 for strlen(in)).
 * Rejects characters outside the base64url alphabet, '=' padding, an impossible
 * length (len % 4 == 1) and non-zero trailing bits. *out is NUL-terminated
 * (the NUL is not counted in *outlen). Returns APR_EINVAL on bad input. */
apr_status_t itsme_b64url_decode(apr_pool_t *p, const char *in, apr_size_t inlen,
                                 unsigned char **out, apr_size_t *outlen);

#endif
