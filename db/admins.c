/*
 * admins.c - staff accounts: the list and disabling (see admins.h).
 */
#include <stdio.h>
#include <stdlib.h>
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
	return db_exec(
		conn,
		"SELECT " SEALED_COLUMNS("a.") ", a.role, " DB_RFC3339(
			"a.disabled_at") ", " DB_RFC3339("a.created_at") ", "
									 "t.confirmed_at IS NOT "
									 "NULL "
									 "FROM accounts a LEFT "
									 "JOIN staff_totp t "
									 "ON t.account_id = a.id "
									 "WHERE a.role <> "
									 "'professional' "
									 "ORDER BY a.created_at, "
									 "a.id",
		0, NULL, NULL, NULL, ret_res);
}

enum err db_staff_disable(PGconn *conn, const char *id, const char *actor, const char *request_id)
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

enum err db_totp_get(PGconn *conn, const char *id, struct staff_totp *ret)
{
	const char *params[1] = {id};
	struct staff_totp t = {0};
	PGresult *res = NULL;
	enum err err = db_exec_row(conn,
				   "SELECT secret_enc, confirmed_at IS NOT NULL, last_step "
				   "FROM staff_totp WHERE account_id = $1",
				   1, params, NULL, NULL, &res);

	if (err == ERR_OK)
		err = db_cell_bytes(res, 0, 0, &t.secret_enc, &t.secret_len);
	if (err == ERR_OK) {
		t.confirmed = PQgetvalue(res, 0, 1)[0] == 't';
		t.last_step = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		*ret = t;
	}
	PQclear(res);
	return err;
}

enum err db_totp_begin(PGconn *conn, const char *id, const unsigned char *secret_enc, size_t len)
{
	const char *params[2] = {id, (const char *)secret_enc};
	const int lengths[2] = {0, (int)len};
	const int formats[2] = {0, 1};
	PGresult *res = NULL;
	enum err err = db_exec(conn,
			       "INSERT INTO staff_totp (account_id, secret_enc) VALUES ($1, $2) "
			       "ON CONFLICT (account_id) DO UPDATE SET secret_enc = $2, "
			       "created_at = now(), last_step = 0 "
			       "WHERE staff_totp.confirmed_at IS NULL RETURNING 1",
			       2, params, lengths, formats, &res);

	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_CONFLICT;
	PQclear(res);
	return err;
}

enum err db_totp_confirm(PGconn *conn, const char *id, long long step,
			 const unsigned char (*hashes)[32], size_t n, const char *request_id)
{
	char step_text[24];
	const char *params[2] = {id, step_text};
	PGresult *res = NULL;
	enum err err = db_begin(conn);

	snprintf(step_text, sizeof(step_text), "%lld", step);
	if (err != ERR_OK)
		return err;
	err = db_exec(conn,
		      "UPDATE staff_totp SET confirmed_at = now(), last_step = $2::bigint "
		      "WHERE account_id = $1 AND confirmed_at IS NULL RETURNING 1",
		      2, params, NULL, NULL, &res);
	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_CONFLICT;
	PQclear(res);
	if (err == ERR_OK)
		err = db_exec(conn, "DELETE FROM staff_recovery_codes WHERE account_id = $1", 1,
			      params, NULL, NULL, NULL);
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		const char *p[2] = {id, (const char *)hashes[i]};
		const int lengths[2] = {0, 32};
		const int formats[2] = {0, 1};

		err = db_exec(conn,
			      "INSERT INTO staff_recovery_codes (account_id, code_hash) "
			      "VALUES ($1, $2)",
			      2, p, lengths, formats, NULL);
	}
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = id,
						    .action = "staff.totp_enrolled",
						    .target = id,
						    .request_id = request_id,
					    });
	return db_end(conn, err);
}

enum err db_totp_use_step(PGconn *conn, const char *id, long long step)
{
	char step_text[24];
	const char *params[2] = {id, step_text};
	PGresult *res = NULL;
	enum err err;

	snprintf(step_text, sizeof(step_text), "%lld", step);
	err = db_exec(conn,
		      "UPDATE staff_totp SET last_step = $2::bigint WHERE account_id = $1 "
		      "AND confirmed_at IS NOT NULL AND last_step < $2::bigint RETURNING 1",
		      2, params, NULL, NULL, &res);
	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_CONFLICT;
	PQclear(res);
	return err;
}

enum err db_recovery_use(PGconn *conn, const char *id, const unsigned char hash[32])
{
	const char *params[2] = {id, (const char *)hash};
	const int lengths[2] = {0, 32};
	const int formats[2] = {0, 1};
	PGresult *res = NULL;
	enum err err = db_exec(conn,
			       "UPDATE staff_recovery_codes SET used_at = now() WHERE account_id = "
			       "$1 AND code_hash = $2 AND used_at IS NULL RETURNING 1",
			       2, params, lengths, formats, &res);

	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum err db_session_set_enrolling(PGconn *conn, const char *session_id)
{
	const char *params[1] = {session_id};

	return db_exec(conn, "UPDATE sessions SET enrolling = true WHERE id = $1", 1, params, NULL,
		       NULL, NULL);
}
