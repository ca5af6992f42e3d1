/*
 * sessions.c - SQL for login, throttling and refresh-token families.
 * Every statement is parameterised; hashes go as binary parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "sessions.h"

#define BIN32(p) ((const char *)(p))

static enum err exec_bidx(PGconn *conn, const char *sql, const unsigned char bidx[32],
			  PGresult **ret_res)
{
	const char *params[1] = {BIN32(bidx)};
	const int lengths[1] = {32};
	const int formats[1] = {1};

	return db_exec(conn, sql, 1, params, lengths, formats, ret_res);
}

enum err db_login_account(PGconn *conn, const unsigned char bidx[32],
			  struct login_account *ret_account)
{
	PGresult *res;
	enum err err = exec_bidx(conn,
				 "SELECT id, role, password_hash FROM accounts "
				 "WHERE email_bidx = $1 AND data_key IS NOT NULL",
				 bidx, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		err = ERR_NOT_FOUND;
	} else {
		snprintf(ret_account->id, sizeof(ret_account->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(ret_account->role, sizeof(ret_account->role), "%s", PQgetvalue(res, 0, 1));
		snprintf(ret_account->password_hash, sizeof(ret_account->password_hash), "%s",
			 PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return err;
}

enum err db_throttle_locked(PGconn *conn, const unsigned char bidx[32], int *ret_seconds)
{
	PGresult *res;
	enum err err =
		exec_bidx(conn,
			  "SELECT ceil(extract(epoch FROM locked_until - now()))::int "
			  "FROM login_throttle WHERE email_bidx = $1 AND locked_until > now()",
			  bidx, &res);

	if (err != ERR_OK)
		return err;
	*ret_seconds = PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	if (PQntuples(res) > 0 && *ret_seconds < 1)
		*ret_seconds = 1;
	PQclear(res);
	return ERR_OK;
}

enum err db_throttle_fail(PGconn *conn, const unsigned char bidx[32])
{
	char limit[16];
	const char *params[2] = {BIN32(bidx), limit};
	const int lengths[2] = {32, 0};
	const int formats[2] = {1, 0};

	snprintf(limit, sizeof(limit), "%d", LOGIN_FAILURES_BEFORE_LOCK);
	/* 2^(n - limit) seconds once n failures reach the limit, capped at 900 */
	return db_exec(conn,
		       "INSERT INTO login_throttle AS t (email_bidx, failures) VALUES ($1, 1) "
		       "ON CONFLICT (email_bidx) DO UPDATE SET failures = t.failures + 1, "
		       "locked_until = CASE WHEN t.failures + 1 >= $2::int THEN now() + "
		       "make_interval(secs => least(900, power(2, t.failures + 1 - $2::int))) "
		       "ELSE t.locked_until END",
		       2, params, lengths, formats, NULL);
}

enum err db_throttle_reset(PGconn *conn, const unsigned char bidx[32])
{
	return exec_bidx(conn, "DELETE FROM login_throttle WHERE email_bidx = $1", bidx, NULL);
}

enum err db_password_hash_set(PGconn *conn, const char *account_id, const char *hash)
{
	const char *params[2] = {account_id, hash};

	return db_exec(conn,
		       "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1",
		       2, params, NULL, NULL, NULL);
}

enum err db_password_change(PGconn *conn, const char *account_id, const char *hash,
			    const char *keep_session)
{
	const char *params[2] = {account_id, keep_session};
	enum err err = db_command(conn, "BEGIN");

	if (err != ERR_OK)
		return err;
	err = db_password_hash_set(conn, account_id, hash);
	if (err == ERR_OK)
		err = db_exec(conn,
			      "UPDATE sessions SET revoked_at = now(), revoked_reason = "
			      "'password_change' WHERE account_id = $1 AND id <> $2 "
			      "AND revoked_at IS NULL",
			      2, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_command(conn, "COMMIT");
	if (err != ERR_OK)
		db_command(conn, "ROLLBACK");
	return err;
}

static enum err insert_token(PGconn *conn, const char *session_id, const unsigned char hash[32])
{
	const char *params[2] = {BIN32(hash), session_id};
	const int lengths[2] = {32, 0};
	const int formats[2] = {1, 0};

	return db_exec(conn, "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)",
		       2, params, lengths, formats, NULL);
}

enum err db_session_create(PGconn *conn, const char *session_id, const char *account_id,
			   int ttl_days, const unsigned char token_hash[32])
{
	char days[16];
	const char *params[3] = {session_id, account_id, days};
	enum err err;

	snprintf(days, sizeof(days), "%d", ttl_days);
	err = db_command(conn, "BEGIN");
	if (err != ERR_OK)
		return err;
	err = db_exec(conn,
		      "INSERT INTO sessions (id, account_id, expires_at) "
		      "VALUES ($1, $2, now() + make_interval(days => $3::int))",
		      3, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = insert_token(conn, session_id, token_hash);
	if (err == ERR_OK)
		err = db_command(conn, "COMMIT");
	if (err != ERR_OK)
		db_command(conn, "ROLLBACK");
	return err;
}

enum err db_session_refresh(PGconn *conn, const unsigned char token_hash[32],
			    const unsigned char next_hash[32], struct refreshed *ret)
{
	struct refreshed out;
	PGresult *res = NULL;
	bool used, live;
	enum err err = db_command(conn, "BEGIN");

	if (err != ERR_OK)
		return err;
	/* the row lock serialises two presentations of one token */
	err = exec_bidx(conn,
			"SELECT s.id, s.account_id, a.role, rt.used_at IS NOT NULL, "
			"s.revoked_at IS NULL AND s.expires_at > now() "
			"FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id "
			"JOIN accounts a ON a.id = s.account_id "
			"WHERE rt.token_hash = $1 FOR UPDATE OF rt, s",
			token_hash, &res);
	if (err != ERR_OK)
		goto out;
	if (PQntuples(res) == 0) {
		err = ERR_NOT_FOUND;
		goto out;
	}
	snprintf(out.session_id, sizeof(out.session_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out.account_id, sizeof(out.account_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(out.role, sizeof(out.role), "%s", PQgetvalue(res, 0, 2));
	used = PQgetvalue(res, 0, 3)[0] == 't';
	live = PQgetvalue(res, 0, 4)[0] == 't';
	if (used && live) {
		/* replay of a rotated token: whoever holds the family loses it */
		err = db_session_revoke(conn, out.session_id, "reuse");
		if (err == ERR_OK)
			err = db_command(conn, "COMMIT");
		if (err == ERR_OK)
			err = ERR_NOT_FOUND;
		goto out;
	}
	if (used || !live) {
		err = ERR_NOT_FOUND;
		goto out;
	}
	err = exec_bidx(conn, "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
			token_hash, NULL);
	if (err == ERR_OK)
		err = insert_token(conn, out.session_id, next_hash);
	if (err == ERR_OK)
		err = db_command(conn, "COMMIT");
	if (err == ERR_OK)
		*ret = out;
out:
	PQclear(res);
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		db_command(conn, "ROLLBACK");
	return err;
}

enum err db_session_check(PGconn *conn, const char *session_id, const char *account_id)
{
	const char *params[2] = {session_id, account_id};
	PGresult *res;
	enum err err = db_exec(conn,
			       "SELECT 1 FROM sessions WHERE id = $1 AND account_id = $2 "
			       "AND revoked_at IS NULL AND expires_at > now()",
			       2, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	err = PQntuples(res) == 1 ? ERR_OK : ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum err db_session_revoke(PGconn *conn, const char *session_id, const char *reason)
{
	const char *params[2] = {session_id, reason};

	return db_exec(conn,
		       "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 "
		       "WHERE id = $1 AND revoked_at IS NULL",
		       2, params, NULL, NULL, NULL);
}
