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
 * runner uses; roster and process cases (below) have their own formats.
 * Nothing here logs.
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

/* Runs a roster case c (borrowed) against v, a roster_csv verifier,
 * without a database: the case's "roster", a file's path (relative to
 * dir unless absolute) in the
 * register's own format, is read by roster_read() (the loader's code)
 * into memory and the professional's "fields" judged by
 * roster_check_rows() (check_local's search, match and judgement), on
 * the day "today" (YYYY-MM-DD, optional: the real today); "expect" as
 * above. ERR_INVALID with why as verifier_case_run()'s. */
enum err verifier_case_run_roster(const struct verifier *v, json_t *c, const char *dir, char *why,
				  size_t why_len);

/* Runs a process case c (borrowed) against v: v's program is run by
 * verifier_check_once() (the runner's spawn and reply parser) with the
 * case's "fields" and a base URL on origin (the stub's "http://host:port",
 * keeping the path of v's base URL), where a stub answers with the case's
 * "reply" (the caller sets it). sent(ctx) then gives the requests the stub
 * received (a new array of {"method", "path", "headers", "body"}): there
 * must be one, matching the case's "request" - "method", "path",
 * "headers" (names in any case), "body_contains" and "body_lacks" (arrays
 * of texts), each when present - and the outcome "expect". ERR_INVALID
 * with why as verifier_case_run()'s. Blocks for up to v's timeout. */
enum err verifier_case_run_process(const struct verifier *v, json_t *c, const char *origin,
				   json_t *(*sent)(void *ctx), void *ctx, char *why,
				   size_t why_len);

#endif
