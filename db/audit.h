/*
 * audit.h - the append-only audit log (table audit_log, migration 0004):
 * every admin action, profile views included, and every refusal of the
 * disclosure gate. Rows are never updated or deleted (a trigger refuses
 * it). Callers pass ids and rule names, never a personal value; an admin's
 * words about a professional arrive sealed with that professional's data
 * key (aad "<target>/audit_reason"), so erasure shreds them.
 */
#ifndef HCPD_AUDIT_H
#define HCPD_AUDIT_H

#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"

#define AUDIT_ACTOR_SYSTEM "system"

struct audit_entry {
	const char *actor;  /* an admin's account id, or AUDIT_ACTOR_SYSTEM */
	const char *action; /* "review.view", "review.decide", "disclosure.refused", ... */
	const char *target; /* what was acted on (an account id, a recipient); may be NULL */
	const char *reason; /* a code (a gate rule's name); may be NULL */
	const unsigned char *reason_enc; /* an admin's free-text reason, sealed with the
					    target account's data key; may be NULL */
	size_t reason_enc_len;
	const char *request_id; /* the HTTP request's id; may be NULL */
	json_t *details;        /* borrowed; may be NULL; no personal values */
};

/* Appends one row, inside the caller's transaction if one is open, so the
 * record commits or rolls back with the action it tells of. Blocks. */
enum err db_audit_append(PGconn *conn, const struct audit_entry *e);

/* A page of the log, newest first. Strings are borrowed; NULL: any. */
struct audit_query {
	const char *actor, *action, *target; /* exact matches */
	long long before_id;                 /* 0: from the newest */
	int limit;
};

/* Columns of db_audit_list()'s rows; created_at is RFC 3339 in UTC and
 * details JSON object text. */
enum audit_col {
	AC_ID,
	AC_ACTOR,
	AC_ACTION,
	AC_TARGET,
	AC_REASON,
	AC_REASON_ENC, /* hex */
	AC_REQUEST_ID,
	AC_DETAILS,
	AC_CREATED_AT
};

/* Up to q->limit rows with id below q->before_id (if set), newest first.
 * *ret_res is the caller's to PQclear. Blocks. */
enum err db_audit_list(PGconn *conn, const struct audit_query *q, PGresult **ret_res);

#endif
