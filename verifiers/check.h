/*
 * check.h - one check of a professional by a verifier: the fields it
 * receives, the request built, the transport, the reply parsed.
 */
#ifndef HCPD_CHECK_H
#define HCPD_CHECK_H

#include <libpq-fe.h>
#include <jansson.h>

#include "err.h"
#include "verifier.h"

/* The reply step every check takes, the job runner's and
 * verifier_check_once()'s: v's parser turns reply into *ret_res
 * (verifier_result_release() it) and ret_sha is the SHA-256 of the raw
 * reply, the evidence kept of it. The parser's error otherwise
 * (ERR_UPSTREAM: a reply it cannot read). Pure. */
enum err verifier_conclude(const struct verifier *v, json_t *local,
			   const struct verifier_reply *reply, struct verifier_result *ret_res,
			   unsigned char ret_sha[32]);

/* One check of profile ({field: value}) by v, now: one attempt, no job
 * and no ledger entry (for `hcpd verifier check`, where an operator types
 * the values). conn is used by LOCAL kinds and may otherwise be NULL.
 * When no answer came, *ret_res is an error outcome whose reason says
 * why. ret_sha is the reply's SHA-256 in hex, "" without a reply.
 * ERR_INVALID for a manual register: there is nothing to run. Blocks
 * for up to v->timeout_ms. */
enum err verifier_check_once(const struct verifier *v, PGconn *conn, json_t *profile,
			     struct verifier_result *ret_res, char ret_sha[65]);

#endif
