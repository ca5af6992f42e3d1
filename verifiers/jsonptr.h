/*
 * jsonptr.h - RFC 6901 JSON Pointers, resolved against a parsed document.
 *
 * "" names the whole document; "/a/b" the member b of the member a;
 * "~1" in a token stands for '/', "~0" for '~'. Into an array a token
 * must be "0" or a decimal index without leading zeros ("-", the slot
 * past the end, names nothing). Pure: no allocation, no state, no I/O,
 * so the resolver is fuzzed directly. It never logs.
 */
#ifndef HCPD_JSONPTR_H
#define HCPD_JSONPTR_H

#include <stdbool.h>
#include <jansson.h>

/* Is pointer well-formed: "" or '/'-separated tokens in which '~' is
 * only ever followed by '0' or '1'? NULL is not. */
bool jsonptr_valid(const char *pointer);

/* The value pointer names in doc, borrowed from doc; NULL when pointer is
 * malformed or names nothing (a missing member, an index out of range or
 * with a leading zero, a token into a string, number, bool or null). A
 * JSON null that is there is returned as such (json_is_null). */
json_t *jsonptr_get(const json_t *doc, const char *pointer);

#endif
