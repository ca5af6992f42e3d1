/*
 * jsonbody.h - parses a request body into one JSON object, strictly.
 *
 * Pure (no I/O, no globals), so it is unit-tested and fuzzed directly.
 * Rejects: nesting deeper than max_depth (checked before jansson sees the
 * bytes, so a hostile body cannot recurse deep), invalid UTF-8, NUL
 * (raw or \u0000), duplicate keys, trailing data, and any top-level value
 * that is not an object.
 */
#ifndef HCPD_JSONBODY_H
#define HCPD_JSONBODY_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

/* On ERR_OK *ret_obj is a new reference. On ERR_INVALID *ret_why is a
 * static description fit for a problem's detail: it never quotes input. */
enum err json_body_parse(const char *buf, size_t len, int max_depth, json_t **ret_obj,
			 const char **ret_why);

#endif
