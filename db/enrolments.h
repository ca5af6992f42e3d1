/*
 * db/enrolments.h - data access for activity enrolments (migration 0024,
 * issue 25 item 1): the enrolments, what each of their recipients may
 * receive (read by the disclosure gate), and the queue of releases of a
 * completion. Names and ids only, never a personal value: a release's
 * values are opened from the vault when it is sent. Nothing here logs.
 */
#ifndef HCPD_ENROLMENTS_H
#define HCPD_ENROLMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"

/* Failed attempts after which a release is given up (the wait after the
 * n-th is 2^n seconds, at most ENROLMENT_BACKOFF_MAX_S). */
#define RELEASE_MAX_ATTEMPTS  20
#define RELEASE_BACKOFF_MAX_S 21600

/* Locks account (FOR UPDATE, in the caller's transaction) and reads
 * whether its processing is restricted and the notice version it last
 * accepted (64 bytes). ERR_NOT_FOUND for an erased account. Blocks. */
enum err db_enrolment_account(PGconn *conn, const char *account, bool *ret_restricted,
			      char *ret_notice_version);

/* Records account's enrolment in activity under notice_version, with
 * preview (a JSON array of {recipient, role, fields: [...]}, names only)
 * and one enrolment_recipients row per item, in the caller's transaction.
 * *ret_item: {id, activity, status, enrolled_at, notice_version}.
 * ERR_CONFLICT when an enrolment in that activity is in force. Blocks. */
enum err db_enrolment_insert(PGconn *conn, const char *account, const char *activity,
			     const char *notice_version, json_t *preview, json_t **ret_item);

/* account's enrolments, newest first, each {id, activity, status,
 * enrolled_at, notice_version, completed_at?, withdrawn_at?, recipients}.
 * Blocks. */
enum err db_enrolments_list(PGconn *conn, const char *account, json_t **ret_items);

/* Withdraws account's enrolment id, and cancels its releases not yet
 * delivered, in the caller's transaction. ERR_NOT_FOUND (not account's),
 * ERR_CONFLICT (withdrawn already). *ret_activity (64 bytes): its
 * activity. Blocks. */
enum err db_enrolment_withdraw(PGconn *conn, const char *account, const char *id,
			       char *ret_activity);

/* An enrolment, locked FOR UPDATE in the caller's transaction. */
struct enrolment_state {
	char account[37];
	char activity[64];
	char status[16];
};

/* ERR_NOT_FOUND for no such enrolment (or id not a UUID). Blocks. */
enum err db_enrolment_lock(PGconn *conn, const char *id, struct enrolment_state *ret_state);

/* Marks enrolment id completed. Blocks. */
enum err db_enrolment_complete(PGconn *conn, const char *id);

/* What recipient may receive of subject under its enrolments in force
 * (only enrolment's when not NULL): *ret_fields the union of their field
 * names (a new JSON array), or NULL when no enrolment in force names the
 * recipient. Blocks. */
enum err db_enrolment_fields(PGconn *conn, const char *subject, const char *recipient,
			     const char *enrolment, json_t **ret_fields);

/* Queues the release of ledger row disclosure_id: fields (a JSON array of
 * names) of enrolment to recipient, in the caller's transaction. Blocks. */
enum err db_release_queue(PGconn *conn, const char *enrolment, const char *recipient,
			  long long disclosure_id, json_t *fields, const char *completion_status);

/* One claimed release. */
struct release_row {
	long long id;
	char msg_id[40];
	char enrolment[37];
	char account[37];
	char activity[64];
	char recipient[64];
	char completion_status[16];
	long long disclosure_id;
	json_t *fields; /* field names; the row owns it */
	int attempts;
};

/* Claims the next due release of an enrolment not withdrawn by moving
 * its next_attempt_at lease_seconds ahead. ERR_NOT_FOUND when none is
 * due. Release the row with release_row_release(). Blocks. */
enum err db_release_claim(PGconn *conn, int lease_seconds, struct release_row *ret_row);

/* Records an attempt (error NULL: delivered), with the back-off, or gives
 * up after RELEASE_MAX_ATTEMPTS. Blocks. */
enum err db_release_attempt(PGconn *conn, long long id, const char *error, bool *ret_given_up);

/* Cancels release id: nothing will be sent (the account cannot be opened,
 * or the activity is gone from the file). Blocks. */
enum err db_release_cancel(PGconn *conn, long long id, const char *why);

/* Frees what a claim put in row. Accepts an empty row. */
void release_row_release(struct release_row *row);

/* A page of releases for admins, newest first, below before_id (0: from
 * the newest), of recipient and in state (pending, delivered, given_up or
 * cancelled; NULL: any). Columns: id, then the item as JSON text: ids,
 * field names, times, the error name; never a value. *ret_res is the
 * caller's to PQclear. Blocks. */
enum err db_release_list(PGconn *conn, const char *recipient, const char *state,
			 long long before_id, int limit, PGresult **ret_res);

#endif
