/*
 * audit.h - the append-only audit log (table audit_log, migration 0004):
 * every admin action, profile views included, and every refusal of the
 * disclosure gate. Rows are never updated or deleted (a trigger refuses
 * it). Callers pass ids and rule names, never a personal value.
 */
#ifndef HCPD_AUDIT_H
#define HCPD_AUDIT_H

#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"

#define AUDIT_ACTOR_SYSTEM "system"

struct audit_entry {
	const char *actor;      /* an admin's account id, or AUDIT_ACTOR_SYSTEM */
	const char *action;     /* "review.view", "review.decide", "disclosure.refused", ... */
	const char *target;     /* what was acted on (an account id, a recipient); may be NULL */
	const char *reason;     /* an admin's reason or a rule's name; may be NULL */
	const char *request_id; /* the HTTP request's id; may be NULL */
	json_t *details;        /* borrowed; may be NULL; no personal values */
};

/* Appends one row, inside the caller's transaction if one is open, so the
 * record commits or rolls back with the action it tells of. Blocks. */
enum err db_audit_append(PGconn *conn, const struct audit_entry *e);

#endif
