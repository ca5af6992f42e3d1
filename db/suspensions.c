/*
 * suspensions.c - recipients.suspended_at and its audit rows (see
 * suspensions.h). Never logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "suspensions.h"

/* The change, then the state, inside the open transaction. */
static enum err suspension_write(PGconn *conn, const struct suspension *s, bool *ret_changed,
				 char *ret_since)
{
	const char *params[2] = {s->recipient, s->suspend ? "t" : "f"};
	PGresult *res = NULL;
	enum err err;

	/* the first suspension's time stays while it lasts */
	err = db_exec(conn,
		      "UPDATE recipients SET suspended_at = CASE WHEN $2::boolean THEN now() END "
		      "WHERE name = $1 AND (suspended_at IS NULL) = $2::boolean",
		      2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	*ret_changed = atoll(PQcmdTuples(res)) == 1;
	PQclear(res);
	err = db_exec_row(
		conn,
		"SELECT coalesce(to_char(suspended_at AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '') FROM recipients WHERE name = $1",
		1, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (ret_since != NULL)
		snprintf(ret_since, 40, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!*ret_changed)
		return ERR_OK;
	return db_audit_append(
		conn, &(struct audit_entry){
			      .actor = s->actor,
			      .action = s->suspend ? "recipient.suspended" : "recipient.resumed",
			      .target = s->recipient,
			      .reason_enc = s->reason_enc,
			      .reason_enc_len = s->reason_enc_len,
			      .request_id = s->request_id,
		      });
}

enum err db_recipient_suspension(PGconn *conn, const struct suspension *s, bool *ret_changed,
				 char *ret_since)
{
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = suspension_write(conn, s, ret_changed, ret_since);
	return db_end(conn, err);
}
