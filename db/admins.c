/*
 * admins.c - staff accounts: the list and disabling (see admins.h).
 */
#include <string.h>

#include "accounts.h"
#include "audit.h"
#include "db.h"
#include "sessions.h"
#include "admins.h"

bool staff_role_valid(const char *role)
{
	return role != NULL && (strcmp(role, "admin") == 0 || strcmp(role, "reviewer") == 0 ||
				strcmp(role, "auditor") == 0);
}

enum err db_staff_list(PGconn *conn, PGresult **ret_res)
{
	return db_exec(conn,
		       "SELECT " SEALED_COLUMNS("a.") ", a.role, " DB_RFC3339(
			       "a.disabled_at") ", " DB_RFC3339("a.created_at") ", "
							       "t.confirmed_at IS NOT NULL "
							       "FROM accounts a LEFT JOIN staff_totp t "
							       "ON t.account_id = a.id "
							       "WHERE a.role <> 'professional' "
							       "ORDER BY a.created_at, a.id",
		       0, NULL, NULL, NULL, ret_res);
}

enum err db_staff_disable(PGconn *conn, const char *id, const char *actor,
			  const char *request_id)
{
	const char *params[1] = {id};
	PGresult *res = NULL;
	enum err err = db_begin(conn);

	if (err != ERR_OK)
		return err;
	err = db_exec_row(conn,
			  "SELECT disabled_at IS NOT NULL FROM accounts "
			  "WHERE id = $1 AND role <> 'professional' FOR UPDATE",
			  1, params, NULL, NULL, &res);
	if (err == ERR_OK && PQgetvalue(res, 0, 0)[0] == 't')
		err = ERR_CONFLICT;
	PQclear(res);
	if (err == ERR_OK)
		err = db_exec(conn, "UPDATE accounts SET disabled_at = now() WHERE id = $1", 1,
			      params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_sessions_revoke_account(conn, id, "staff_disabled", NULL);
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = actor,
						    .action = "staff.disable",
						    .target = id,
						    .request_id = request_id,
					    });
	return db_end(conn, err);
}
