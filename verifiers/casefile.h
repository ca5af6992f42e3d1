/*
 * casefile.h - a recorded case run against a verifier without a network
 * or a database: the format of the files of tests/verifiers/cases/<kind>/, and
 * the integrator's for their own registers. One case is a JSON object:
 *   "description"  what it shows (free text; optional)
 *   "source"       where the reply's shape comes from (optional)
 *   "fields"       {field: value}: the professional's registered values
 *   "request"      {"method": "GET"|"POST", "path": "/path?query"}: the
 *                  request expected, its URL from the first '/' after
 *                  the authority on (the base URL's host is not compared)
 *   "reply"        {"status": HTTP status, "body": JSON or a string}
 *   "expect"       {"outcome": ..., "reason": ..., "checks": {...}
 *                  (optional: every compared field's match, mismatch or
 *                  absent), "expires": "YYYY-MM-DD" or "" (optional)}
 * The kind's build_request and parse_reply (HTTP kinds) are the code the
 * runner uses; nothing here logs.
 */
#ifndef HCPD_CASEFILE_H
#define HCPD_CASEFILE_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"
#include "verifier.h"

/* Runs case c (borrowed) against v, an HTTP kind. ERR_OK when the request
 * built and the outcome judged are those recorded; ERR_INVALID, with why
 * saying what differs (it may quote the case's own values and the URL,
 * never a header), when they are not or the case is malformed;
 * ERR_NOMEM. Pure but for a kind's clock. */
enum err verifier_case_run(const struct verifier *v, json_t *c, char *why, size_t why_len);

#endif
