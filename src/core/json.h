/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * json.h: the only door to jansson. Everything else in libitsme and the glue
 * sees itsme_json_t, an opaque JSON value.
 *
 * Ownership: values returned by itsme_json_parse and the *_new constructors are
 * released by a cleanup on the pool they were made in. Values returned by the
 * getters are borrowed from their parent and live as long as it does.
 * itsme_json_set() takes its own reference, so the value may come from any
 * live pool.
 */
#ifndef ITSME_JSON_H
#define ITSME_JSON_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/err.h"

typedef struct itsme_json itsme_json_t;

/* Parses exactly len bytes (no trailing garbage, no NUL inside). Inputs longer
 * than ITSME_JSON_MAX_INPUT are refused. kind of error: ITSME_E_INPUT. */
#define ITSME_JSON_MAX_INPUT (1024 * 1024)
apr_status_t itsme_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                              itsme_json_t **out, itsme_err_t **err);
/* Same, but also requires the top-level value to be an object. */
apr_status_t itsme_json_parse_object(apr_pool_t *p, const char *buf, apr_size_t len,
                                     itsme_json_t **out, itsme_err_t **err);

itsme_json_t *itsme_json_object_new(apr_pool_t *p);
itsme_json_t *itsme_json_array_new(apr_pool_t *p);

/* Type tests (NULL -> 0). */
int itsme_json_is_object(const itsme_json_t *v);
int itsme_json_is_array(const itsme_json_t *v);
int itsme_json_is_string(const itsme_json_t *v);
int itsme_json_is_integer(const itsme_json_t *v);
int itsme_json_is_number(const itsme_json_t *v); /* integer or real */
int itsme_json_is_bool(const itsme_json_t *v);
int itsme_json_is_null(const itsme_json_t *v);

/* Scalars (wrong type -> NULL / 0). Strings are NUL-terminated; a string
 * holding an embedded NUL is returned as NULL (never truncated silently). */
const char *itsme_json_string_value(const itsme_json_t *v);
apr_int64_t itsme_json_integer_value(const itsme_json_t *v);
double itsme_json_number_value(const itsme_json_t *v);
int itsme_json_bool_value(const itsme_json_t *v);

/* Object access (v not an object or key absent -> NULL). */
itsme_json_t *itsme_json_get(const itsme_json_t *obj, const char *key);
const char *itsme_json_get_string(const itsme_json_t *obj, const char *key);
/* 1 and *out set when key holds an integer (or a real with no fraction that
 * fits), else 0. */
int itsme_json_get_int(const itsme_json_t *obj, const char *key, apr_int64_t *out);
apr_size_t itsme_json_object_size(const itsme_json_t *obj);

/* Iterates an object in key order of insertion; stops when fn returns non-zero
 * and returns that value; 0 when all visited. */
typedef int itsme_json_iter_fn(void *baton, const char *key, const itsme_json_t *val);
int itsme_json_object_foreach(const itsme_json_t *obj, itsme_json_iter_fn *fn, void *baton);

apr_size_t itsme_json_array_size(const itsme_json_t *arr);
itsme_json_t *itsme_json_array_get(const itsme_json_t *arr, apr_size_t i);
/* Strings of a JSON array of strings (non-strings skipped) as const char*;
 * a single string is taken as a one-element array. NULL input -> empty. */
apr_array_header_t *itsme_json_string_list(apr_pool_t *p, const itsme_json_t *v);

/* Builders; return APR_SUCCESS or APR_ENOMEM/APR_EINVAL. */
apr_status_t itsme_json_set(itsme_json_t *obj, const char *key, itsme_json_t *val);
apr_status_t itsme_json_set_string(itsme_json_t *obj, const char *key, const char *val);
apr_status_t itsme_json_set_int(itsme_json_t *obj, const char *key, apr_int64_t val);
apr_status_t itsme_json_set_bool(itsme_json_t *obj, const char *key, int val);
apr_status_t itsme_json_array_append(itsme_json_t *arr, itsme_json_t *val);
apr_status_t itsme_json_array_append_string(itsme_json_t *arr, const char *val);
itsme_json_t *itsme_json_string_new(apr_pool_t *p, const char *val);

/* Compact serialization in p (keys in insertion order). NULL on failure. */
char *itsme_json_dump(apr_pool_t *p, const itsme_json_t *v);

/* Converts a scalar to text for export: string as is, integer/real in decimal,
 * bool "true"/"false"; NULL for null, objects and arrays. */
const char *itsme_json_scalar_text(apr_pool_t *p, const itsme_json_t *v);

#endif
