/*
 * problem.h - RFC 9457 application/problem+json replies, and the one
 * mapping from enum err to an HTTP status.
 *
 * Bodies carry type, title, status, detail and request_id; validation
 * failures add errors[] of {field, code, message}. A detail names what was
 * wrong, never the value that was sent.
 */
#ifndef HCPD_PROBLEM_H
#define HCPD_PROBLEM_H

#include <jansson.h>

#include "err.h"
#include "http.h"

/* slug becomes the type URI "urn:hcpd:problem:<slug>". detail may be NULL. */
enum MHD_Result problem_send(struct req *r, unsigned status, const char *slug, const char *detail);

/* 429 from the sign-in throttle (db_throttle_begin()): too many wrong
 * passwords for the account, retry after the given seconds. One reply for
 * every operation that checks a password. */
enum MHD_Result problem_throttled(struct req *r, int retry_after);

/* 400 for a mailed link's token that does not work (issue 20): unknown,
 * used, expired or superseded are one reply, so it tells nothing about
 * any account. */
enum MHD_Result problem_invalid_token(struct req *r);

/* 422 with errors[] (steals the reference). */
enum MHD_Result problem_send_errors(struct req *r, json_t *errors);

/* 422 with one errors[] entry. */
enum MHD_Result problem_send_field(struct req *r, const char *field, const char *code,
				   const char *message);

/* After a check that filled errors (stolen in every case): queues
 * problem_from_err(err) when err is not ERR_OK, else the 422 when errors
 * holds any, and returns true with *ret_reply; returns false, nothing
 * queued, when the check passed. */
bool problem_check_failed(struct req *r, enum err err, json_t *errors, enum MHD_Result *ret_reply);

/* Is r's JSON body made of keys only, each a string? When not, queues
 * the 422 naming each (or a 503 when the errors could not be recorded)
 * into *ret_reply and returns false. */
bool problem_check_strings(struct req *r, const char *const *keys, enum MHD_Result *ret_reply);

/* The reply for an error from a lower layer: ERR_BUSY and ERR_UNAVAILABLE
 * and ERR_NOMEM are 503 with Retry-After, ERR_INVALID 400, ERR_NOT_FOUND 404,
 * ERR_CONFLICT 409, ERR_TOO_BIG 413, anything else 500. Logs 5xx once with
 * the request id and the error's name (never data). */
enum MHD_Result problem_from_err(struct req *r, enum err err);

#endif
