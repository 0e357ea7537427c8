/* SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE. */
/*
 * json.c: the only file that touches jansson (see json.h). An itsme_json_t is
 * a jansson json_t seen through an opaque type; values created here are
 * released by a cleanup on the pool they were made in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <apr_strings.h>
#include "core/json.h"

#define J(v) ((json_t *)(v))
#define IJ(v) ((itsme_json_t *)(v))

/* Reals are printed with the fewest digits (at most this many) that read back
 * to the same double. */
#define ITSME_JSON_REAL_DIGITS 17

static apr_status_t json_cleanup(void *data)
{
    json_decref(J(data));
    return APR_SUCCESS;
}

/* Ties a new reference to the pool; NULL passes through. */
static itsme_json_t *json_own(apr_pool_t *p, json_t *j)
{
    if (j != NULL) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return IJ(j);
}

/* jansson's error text without the " near '...'" part (it may quote input
 * such as a token). */
static const char *json_error_text(apr_pool_t *p, const json_error_t *je)
{
    const char *near = strstr(je->text, " near ");
    apr_size_t n = near ? (apr_size_t)(near - je->text) : strlen(je->text);

    return apr_pstrmemdup(p, je->text, n);
}

apr_status_t itsme_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                              itsme_json_t **out, itsme_err_t **err)
{
    json_error_t je;
    json_t *j;

    if (buf == NULL || out == NULL) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL, "JSON: no input");
    }
    if (len > ITSME_JSON_MAX_INPUT) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "JSON: input of %" APR_SIZE_T_FMT " bytes exceeds %d",
                              len, ITSME_JSON_MAX_INPUT);
    }
    if (memchr(buf, '\0', len) != NULL) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "JSON: input holds a NUL byte");
    }
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (j == NULL) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "JSON: parse error at line %d column %d: %s", je.line,
                              je.column, json_error_text(p, &je));
    }
    *out = json_own(p, j);
    return APR_SUCCESS;
}

apr_status_t itsme_json_parse_object(apr_pool_t *p, const char *buf, apr_size_t len,
                                     itsme_json_t **out, itsme_err_t **err)
{
    itsme_json_t *v = NULL;
    apr_status_t rv;

    rv = itsme_json_parse(p, buf, len, &v, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!json_is_object(J(v))) {
        return itsme_err_make(p, err, ITSME_E_INPUT, APR_EINVAL,
                              "JSON: top-level value is not an object");
    }
    *out = v;
    return APR_SUCCESS;
}

itsme_json_t *itsme_json_object_new(apr_pool_t *p)
{
    return json_own(p, json_object());
}

itsme_json_t *itsme_json_array_new(apr_pool_t *p)
{
    return json_own(p, json_array());
}

itsme_json_t *itsme_json_string_new(apr_pool_t *p, const char *val)
{
    return val ? json_own(p, json_string(val)) : NULL;
}

int itsme_json_is_object(const itsme_json_t *v) { return v && json_is_object(J(v)); }
int itsme_json_is_array(const itsme_json_t *v) { return v && json_is_array(J(v)); }
int itsme_json_is_string(const itsme_json_t *v) { return v && json_is_string(J(v)); }
int itsme_json_is_integer(const itsme_json_t *v) { return v && json_is_integer(J(v)); }
int itsme_json_is_number(const itsme_json_t *v) { return v && json_is_number(J(v)); }
int itsme_json_is_bool(const itsme_json_t *v) { return v && json_is_boolean(J(v)); }
int itsme_json_is_null(const itsme_json_t *v) { return v && json_is_null(J(v)); }

const char *itsme_json_string_value(const itsme_json_t *v)
{
    const char *s;

    if (!itsme_json_is_string(v)) {
        return NULL;
    }
    s = json_string_value(J(v));
    if (s == NULL || strlen(s) != json_string_length(J(v))) {
        return NULL;
    }
    return s;
}

apr_int64_t itsme_json_integer_value(const itsme_json_t *v)
{
    return itsme_json_is_integer(v) ? (apr_int64_t)json_integer_value(J(v)) : 0;
}

double itsme_json_number_value(const itsme_json_t *v)
{
    return itsme_json_is_number(v) ? json_number_value(J(v)) : 0.0;
}

int itsme_json_bool_value(const itsme_json_t *v)
{
    return v && json_is_true(J(v));
}

itsme_json_t *itsme_json_get(const itsme_json_t *obj, const char *key)
{
    if (!itsme_json_is_object(obj) || key == NULL) {
        return NULL;
    }
    return IJ(json_object_get(J(obj), key));
}

const char *itsme_json_get_string(const itsme_json_t *obj, const char *key)
{
    return itsme_json_string_value(itsme_json_get(obj, key));
}

int itsme_json_get_int(const itsme_json_t *obj, const char *key, apr_int64_t *out)
{
    itsme_json_t *v = itsme_json_get(obj, key);
    double d;

    if (itsme_json_is_integer(v)) {
        if (out) {
            *out = (apr_int64_t)json_integer_value(J(v));
        }
        return 1;
    }
    if (v == NULL || !json_is_real(J(v))) {
        return 0;
    }
    d = json_real_value(J(v));
    /* -2^63 <= d < 2^63 (false for NaN), then no fractional part */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        || (double)(apr_int64_t)d != d) {
        return 0;
    }
    if (out) {
        *out = (apr_int64_t)d;
    }
    return 1;
}

apr_size_t itsme_json_object_size(const itsme_json_t *obj)
{
    return itsme_json_is_object(obj) ? json_object_size(J(obj)) : 0;
}

int itsme_json_object_foreach(const itsme_json_t *obj, itsme_json_iter_fn *fn, void *baton)
{
    const char *key;
    json_t *val;
    int rc;

    if (!itsme_json_is_object(obj) || fn == NULL) {
        return 0;
    }
    json_object_foreach(J(obj), key, val) {
        rc = fn(baton, key, IJ(val));
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

apr_size_t itsme_json_array_size(const itsme_json_t *arr)
{
    return itsme_json_is_array(arr) ? json_array_size(J(arr)) : 0;
}

itsme_json_t *itsme_json_array_get(const itsme_json_t *arr, apr_size_t i)
{
    return itsme_json_is_array(arr) ? IJ(json_array_get(J(arr), i)) : NULL;
}

apr_array_header_t *itsme_json_string_list(apr_pool_t *p, const itsme_json_t *v)
{
    apr_size_t i, n = itsme_json_array_size(v);
    apr_array_header_t *list = apr_array_make(p, n ? (int)n : 1, sizeof(const char *));
    const char *s;

    if (itsme_json_is_string(v)) {
        s = itsme_json_string_value(v);
        if (s != NULL) {
            APR_ARRAY_PUSH(list, const char *) = s;
        }
        return list;
    }
    for (i = 0; i < n; i++) {
        s = itsme_json_string_value(itsme_json_array_get(v, i));
        if (s != NULL) {
            APR_ARRAY_PUSH(list, const char *) = s;
        }
    }
    return list;
}

/* Steals the reference to val (jansson's *_set_new convention). */
static apr_status_t json_set_new(itsme_json_t *obj, const char *key, json_t *val)
{
    if (val == NULL) {
        return APR_EINVAL;
    }
    if (!itsme_json_is_object(obj) || key == NULL) {
        json_decref(val);
        return APR_EINVAL;
    }
    return json_object_set_new(J(obj), key, val) == 0 ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t itsme_json_set(itsme_json_t *obj, const char *key, itsme_json_t *val)
{
    if (!itsme_json_is_object(obj) || key == NULL || val == NULL || val == obj) {
        return APR_EINVAL;
    }
    return json_object_set(J(obj), key, J(val)) == 0 ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t itsme_json_set_string(itsme_json_t *obj, const char *key, const char *val)
{
    return val ? json_set_new(obj, key, json_string(val)) : APR_EINVAL;
}

apr_status_t itsme_json_set_int(itsme_json_t *obj, const char *key, apr_int64_t val)
{
    return json_set_new(obj, key, json_integer((json_int_t)val));
}

apr_status_t itsme_json_set_bool(itsme_json_t *obj, const char *key, int val)
{
    return json_set_new(obj, key, json_boolean(val));
}

apr_status_t itsme_json_array_append(itsme_json_t *arr, itsme_json_t *val)
{
    if (!itsme_json_is_array(arr) || val == NULL || val == arr) {
        return APR_EINVAL;
    }
    return json_array_append(J(arr), J(val)) == 0 ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t itsme_json_array_append_string(itsme_json_t *arr, const char *val)
{
    json_t *s;

    if (!itsme_json_is_array(arr) || val == NULL) {
        return APR_EINVAL;
    }
    s = json_string(val);
    if (s == NULL) {
        return APR_EINVAL;
    }
    return json_array_append_new(J(arr), s) == 0 ? APR_SUCCESS : APR_EINVAL;
}

char *itsme_json_dump(apr_pool_t *p, const itsme_json_t *v)
{
    char *s, *copy;

    if (v == NULL) {
        return NULL;
    }
    s = json_dumps(J(v), JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (s == NULL) {
        return NULL;
    }
    copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}

/* Shortest "%.*g" text that reads back to d. */
static const char *json_real_text(apr_pool_t *p, double d)
{
    char buf[64], *comma;
    int prec;

    for (prec = 1; prec <= ITSME_JSON_REAL_DIGITS; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    /* a locale with a decimal comma must not leak into exported values */
    for (comma = strchr(buf, ','); comma != NULL; comma = strchr(comma, ',')) {
        *comma = '.';
    }
    return apr_pstrdup(p, buf);
}

const char *itsme_json_scalar_text(apr_pool_t *p, const itsme_json_t *v)
{
    if (v == NULL) {
        return NULL;
    }
    switch (json_typeof(J(v))) {
    case JSON_STRING:
        return itsme_json_string_value(v);
    case JSON_INTEGER:
        return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(J(v)));
    case JSON_REAL:
        return json_real_text(p, json_real_value(J(v)));
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL;
    }
}
