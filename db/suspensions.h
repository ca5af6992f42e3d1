/*
 * suspensions.h - the recipient kill-switch's storage (issue 25 item 7):
 * recipients.suspended_at, which the disclosure gate reads in every
 * disclosure's transaction (db_gate_facts), and the audit row of each
 * change. The reason arrives sealed.
 */
#ifndef HCPD_DB_SUSPENSIONS_H
#define HCPD_DB_SUSPENSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"

/* One suspension or resumption of a recipient. */
struct suspension {
	const char *recipient;           /* recipients.name */
	bool suspend;                    /* true: suspend; false: resume */
	const char *actor;               /* a staff id, or "cli" */
	const unsigned char *reason_enc; /* sealed (recipients.h); may be NULL */
	size_t reason_enc_len;
	const char *request_id; /* may be NULL */
};

/* Sets or clears the recipient's suspension and, when it changed, appends
 * "recipient.suspended" / "recipient.resumed" (target the recipient) to
 * the audit log, in one transaction. *ret_changed says whether it changed;
 * *ret_since (may be NULL; 40 bytes) gets the suspension's start, RFC 3339
 * UTC, or "" when not suspended. ERR_NOT_FOUND for an unknown recipient.
 * Blocks. */
enum err db_recipient_suspension(PGconn *conn, const struct suspension *s, bool *ret_changed,
				 char *ret_since);

#endif
