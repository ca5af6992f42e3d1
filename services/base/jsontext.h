/*
 * jsontext.h - JSON to text, failing cleanly when memory runs out.
 *
 * jansson 2.14's json_dumps() ignores a failed append of an object key
 * (dump.c calls dump_string() without checking it), so under memory
 * pressure it can return damaged text - a key missing - instead of NULL.
 * That text would be stored, MACed (Idempotency-Key) or sent. Everything
 * hcpd serialises goes through json_text_dump() instead: json_dumpb()
 * into a caller-sized buffer never appends through a fallible callback,
 * and its own allocations are checked. Found by the allocation-failure
 * test (tests/fault/test_alloc_fail.py).
 */
#ifndef HCPD_JSONTEXT_H
#define HCPD_JSONTEXT_H

#include <jansson.h>

/* Like json_dumps(json, flags): a malloc'd NUL-terminated string the
 * caller frees, or NULL when json is NULL, cannot be encoded, or memory
 * runs out. */
char *json_text_dump(const json_t *json, size_t flags);

#endif
