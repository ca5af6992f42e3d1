/*
 * jsonbody.h - parses a request body into one JSON object, strictly, and
 * the one nesting check for any JSON from outside (a request body, a
 * registry's reply) before jansson reads it.
 *
 * Pure (no I/O, no globals), so it is unit-tested and fuzzed directly.
 * Rejects: nesting deeper than max_depth (checked before jansson sees the
 * bytes, so a hostile body cannot recurse deep), invalid UTF-8, NUL
 * (raw or \u0000), duplicate keys, trailing data, and any top-level value
 * that is not an object.
 */
#ifndef HCPD_JSONBODY_H
#define HCPD_JSONBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"

/* Are objects and arrays in the len bytes of buf nested deeper than
 * max_depth? Brackets inside strings (escapes included) do not count; the
 * bytes need not be valid JSON. A linear scan with no recursion and no
 * allocation, so a caller runs it before handing hostile bytes to jansson,
 * whose parser recurses once per level. Pure. */
bool json_nesting_exceeds(const char *buf, size_t len, int max_depth);

/* On ERR_OK *ret_obj is a new reference. On ERR_INVALID *ret_why is a
 * static description fit for a problem's detail: it never quotes input. */
enum err json_body_parse(const char *buf, size_t len, int max_depth, json_t **ret_obj,
			 const char **ret_why);

/* Is every key of obj in allowed (NULL-terminated)? When not, *ret_bad
 * (left alone otherwise) is the first key that is not; it is borrowed from
 * obj. */
bool json_only_keys(json_t *obj, const char *const *allowed, const char **ret_bad);

/* The string under key in obj when it is 1 to max bytes long, else NULL.
 * Borrowed from obj. */
const char *json_text(json_t *obj, const char *key, size_t max);

/* Appends {field, code, message} to errors (a JSON array): one entry of a
 * problem's errors[]. ERR_NOMEM when it could not: a caller must then not
 * take errors for the whole story. */
enum err json_error_add(json_t *errors, const char *field, const char *code, const char *message);

/* Appends {field: key, code: "unknown_field", message} to errors for each
 * key of obj not in allowed (NULL-terminated). A key over 64 bytes is
 * reported as "(body)" rather than echoed. ERR_NOMEM when an error could
 * not be appended (errors is then incomplete). */
enum err json_body_check_keys(json_t *obj, const char *const *allowed, json_t *errors);

/* Appends {field, code: "required" or "type", message} to errors for each
 * of keys (NULL-terminated) that is not a string in obj. ERR_NOMEM as
 * above. */
enum err json_body_require_strings(json_t *obj, const char *const *keys, json_t *errors);

/* The body {"reason": "..."} of an admin action that takes a free-text
 * reason (a legal hold, a recipient's suspension): its reason when it is
 * 1 to max bytes without control characters and the only key; otherwise
 * NULL, with what is wrong appended to errors. */
const char *json_body_reason(json_t *obj, size_t max, json_t *errors);

#endif
