/*
 * lifecycle.c - SQL for the account lifecycle (see lifecycle.h). Each
 * write locks the account's row in a sub-select and reads what it needs
 * of the old row there, so one statement changes it and says what it
 * changed. Nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lifecycle.h"
#include "outbox.h"

/* Each statement locks account $1's row in a sub-select o (none when the
 * account is erased) and returns one boolean about it. */
/* clang-format off */
static const char confirmed_sql[] =
	"UPDATE accounts a SET email_verified = true, updated_at = now() "
	"FROM (SELECT id, email_verified AS was FROM accounts "
	"      WHERE id = $1 AND data_key IS NOT NULL FOR UPDATE) o "
	"WHERE a.id = o.id RETURNING NOT o.was";

/* $2 the new address sealed, $3 its blind index: stored unless another
 * account has it, or had it until a change within its cancel days */
static const char request_sql[] =
	"UPDATE accounts a SET pending_email_enc = $2, pending_email_bidx = $3, "
	"updated_at = now() "
	"FROM (SELECT id FROM accounts WHERE id = $1 AND data_key IS NOT NULL FOR UPDATE) o "
	"WHERE a.id = o.id AND NOT EXISTS (SELECT 1 FROM accounts b WHERE b.email_bidx = $3 "
	"      OR (b.previous_email_bidx = $3 AND b.previous_email_until > now() "
	"          AND b.id <> $1)) "
	"RETURNING true";

/* $2 the pending address's blind index, $3 the cancel days. Within the
 * cancel days of an earlier change, the address to give back stays the
 * one that change replaced (keep). */
static const char apply_sql[] =
	"UPDATE accounts a SET "
	"previous_email_enc = CASE WHEN o.keep THEN a.previous_email_enc ELSE a.email_enc END, "
	"previous_email_bidx = CASE WHEN o.keep THEN a.previous_email_bidx ELSE a.email_bidx END, "
	"previous_email_until = now() + make_interval(days => $3::int), "
	"email_enc = a.pending_email_enc, email_bidx = a.pending_email_bidx, "
	"pending_email_enc = NULL, pending_email_bidx = NULL, "
	"email_verified = true, updated_at = now() "
	"FROM (SELECT id, email_verified AS was, "
	"      coalesce(previous_email_until > now(), false) AS keep FROM accounts "
	"      WHERE id = $1 AND data_key IS NOT NULL AND pending_email_bidx = $2 "
	"      FOR UPDATE) o "
	"WHERE a.id = o.id RETURNING NOT o.was";

/* back: an address replaced within the cancel days is given back */
static const char cancel_sql[] =
	"UPDATE accounts a SET "
	"email_enc = CASE WHEN o.back THEN a.previous_email_enc ELSE a.email_enc END, "
	"email_bidx = CASE WHEN o.back THEN a.previous_email_bidx ELSE a.email_bidx END, "
	"email_verified = a.email_verified OR o.back, "
	"previous_email_enc = NULL, previous_email_bidx = NULL, previous_email_until = NULL, "
	"pending_email_enc = NULL, pending_email_bidx = NULL, updated_at = now() "
	"FROM (SELECT id, coalesce(previous_email_until > now() "
	"      AND previous_email_bidx IS NOT NULL, false) AS back FROM accounts "
	"      WHERE id = $1 AND data_key IS NOT NULL FOR UPDATE) o "
	"WHERE a.id = o.id RETURNING o.back";

static const char recovered_sql[] =
	"UPDATE accounts a SET password_hash = $2, email_verified = true, updated_at = now() "
	"FROM (SELECT id, email_verified AS was FROM accounts "
	"      WHERE id = $1 AND data_key IS NOT NULL FOR UPDATE) o "
	"WHERE a.id = o.id RETURNING NOT o.was";
/* clang-format on */

/* Runs sql; ERR_NOT_FOUND when it changed no row, else *ret is its one
 * boolean (may be NULL). */
static enum err exec_row(PGconn *conn, const char *sql, int n, const char *const *params,
			 const int *lengths, const int *formats, bool *ret)
{
	PGresult *res;
	enum err err = db_exec(conn, sql, n, params, lengths, formats, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1)
		err = ERR_NOT_FOUND;
	else if (ret != NULL)
		*ret = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return err;
}

enum err db_email_confirmed(PGconn *conn, const char *id, bool *ret_newly)
{
	const char *params[1] = {id};

	return exec_row(conn, confirmed_sql, 1, params, NULL, NULL, ret_newly);
}

enum err db_email_change_request(PGconn *conn, const char *id, const unsigned char *enc, size_t len,
				 const unsigned char bidx[32], bool *ret_taken)
{
	const char *params[3] = {id, (const char *)enc, (const char *)bidx};
	const int lengths[3] = {0, (int)len, 32};
	const int formats[3] = {0, 1, 1};
	enum err err = exec_row(conn, request_sql, 3, params, lengths, formats, NULL);

	if (err != ERR_OK && err != ERR_NOT_FOUND)
		return err;
	*ret_taken = err == ERR_NOT_FOUND;
	return ERR_OK;
}

enum err db_email_change_apply(PGconn *conn, const char *id, const unsigned char target[32],
			       bool *ret_newly)
{
	char days[16];
	const char *params[3] = {id, (const char *)target, days};
	const int lengths[3] = {0, 32, 0};
	const int formats[3] = {0, 1, 0};

	snprintf(days, sizeof(days), "%d", EMAIL_CHANGE_CANCEL_DAYS);
	return exec_row(conn, apply_sql, 3, params, lengths, formats, ret_newly);
}

enum err db_email_change_cancel(PGconn *conn, const char *id, bool *ret_restored)
{
	const char *params[1] = {id};
	enum err err = exec_row(conn, cancel_sql, 1, params, NULL, NULL, ret_restored);

	if (err == ERR_OK)
		err = db_exec(conn,
			      "DELETE FROM email_tokens WHERE account_id = $1 AND "
			      "purpose = '" TOKEN_EMAIL_CHANGE_CANCEL "' AND used_at IS NULL",
			      1, params, NULL, NULL, NULL);
	return err;
}

enum err db_password_recovered(PGconn *conn, const char *id, const char *hash, bool *ret_newly)
{
	const char *params[2] = {id, hash};

	return exec_row(conn, recovered_sql, 2, params, NULL, NULL, ret_newly);
}
