/*
 * audit.c - SQL for the audit log (see audit.h). Appends only.
 */
#include <stdlib.h>

#include "audit.h"
#include "db.h"
#include "jsontext.h"

enum err db_audit_append(PGconn *conn, const struct audit_entry *e)
{
	char *details = e->details != NULL ? json_text_dump(e->details, JSON_COMPACT) : NULL;
	const char *params[6] = {e->actor,  e->action,     e->target,
				 e->reason, e->request_id, details != NULL ? details : "{}"};
	enum err err;

	if (e->details != NULL && details == NULL)
		return ERR_NOMEM;
	err = db_exec(conn,
		      "INSERT INTO audit_log (actor, action, target, reason, request_id, details) "
		      "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
		      6, params, NULL, NULL, NULL);
	free(details);
	return err;
}
