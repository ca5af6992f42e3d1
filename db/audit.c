/*
 * audit.c - SQL for the audit log (see audit.h). Appends only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "db.h"
#include "jsontext.h"

#define CREATED_AT DB_RFC3339("created_at")

enum err db_audit_append(PGconn *conn, const struct audit_entry *e)
{
	char *details = e->details != NULL ? json_text_dump(e->details, JSON_COMPACT) : NULL;
	const char *params[7] = {e->actor,
				 e->action,
				 e->target,
				 e->reason,
				 e->request_id,
				 details != NULL ? details : "{}",
				 (const char *)e->reason_enc};
	const int lengths[7] = {0, 0, 0, 0, 0, 0, (int)e->reason_enc_len};
	const int formats[7] = {0, 0, 0, 0, 0, 0, 1};
	enum err err;

	if (e->details != NULL && details == NULL)
		return ERR_NOMEM;
	err = db_exec(conn,
		      "INSERT INTO audit_log (actor, action, target, reason, request_id, details, "
		      "reason_enc) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)",
		      7, params, lengths, formats, NULL);
	free(details);
	return err;
}

/* A page of the log, newest first; columns as in enum audit_col. */
static const char list_sql[] =
	"SELECT id, actor, action, target, reason, encode(reason_enc, 'hex'), request_id, "
	"details::text, " CREATED_AT " "
	"FROM audit_log WHERE ($1::text IS NULL OR actor = $1) "
	"AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR target = $3) "
	"AND ($4::bigint IS NULL OR id < $4) ORDER BY id DESC LIMIT $5::int";

enum err db_audit_list(PGconn *conn, const struct audit_query *q, PGresult **ret_res)
{
	char before[24], limit[16];
	const char *params[5] = {q->actor, q->action, q->target, q->before_id > 0 ? before : NULL,
				 limit};

	snprintf(before, sizeof(before), "%lld", q->before_id);
	snprintf(limit, sizeof(limit), "%d", q->limit);
	return db_exec(conn, list_sql, 5, params, NULL, NULL, ret_res);
}
