/*
 * consents.c - SQL for consent history, unsubscribe tokens and the
 * send-time check (see consents.h). Appends consent rows; never updates
 * or deletes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consents.h"
#include "db.h"

enum err db_consent_history(PGconn *conn, const char *account_id, json_t **ret_history)
{
	const char *params[1] = {account_id};
	PGresult *res;
	json_t *history;
	enum err err = db_exec(conn,
			       /* reason: only a migration's rows have one (0024) */
			       "SELECT coalesce(json_agg(jsonb_strip_nulls(jsonb_build_object("
			       "'purpose', purpose, 'granted', granted, 'source', source, "
			       "'notice_version', notice_version, 'changed_at', created_at, "
			       "'reason', reason)) ORDER BY id), '[]') "
			       "FROM consents WHERE account_id = $1",
			       1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	history = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (history == NULL)
		return ERR_NOMEM;
	*ret_history = history;
	return ERR_OK;
}

enum err db_consents_change(PGconn *conn, const char *account_id, const struct consent_row *changes,
			    size_t n, const char *source, const char *notice_version,
			    int *ret_changed)
{
	const char *lock[1] = {account_id};
	PGresult *res = NULL;
	int changed = 0;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_exec(
			conn,
			"SELECT 1 FROM accounts WHERE id = $1 AND erased_at IS NULL FOR UPDATE", 1,
			lock, NULL, NULL, &res);
	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	PQclear(res);
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		const char *params[5] = {account_id, changes[i].purpose,
					 changes[i].granted ? "t" : "f", source, notice_version};

		/* no row yet counts as "not granted": an opt-out then records nothing */
		err = db_exec(conn,
			      "INSERT INTO consents (account_id, purpose, granted, source, "
			      "notice_version) SELECT $1, $2, $3, $4, $5 WHERE coalesce((SELECT "
			      "granted FROM consents WHERE account_id = $1 AND purpose = $2 "
			      "ORDER BY id DESC LIMIT 1), false) <> $3::boolean RETURNING id",
			      5, params, NULL, NULL, &res);
		if (err == ERR_OK) {
			changed += PQntuples(res);
			PQclear(res);
		}
	}
	err = db_end(conn, err);
	if (err != ERR_OK)
		return err;
	*ret_changed = changed;
	return ERR_OK;
}

enum err db_unsubscribe_token_put(PGconn *conn, const char *account_id,
				  const unsigned char token_hash[32])
{
	const char *params[2] = {(const char *)token_hash, account_id};
	const int lengths[2] = {32, 0};
	const int formats[2] = {1, 0};

	return db_exec(conn,
		       "INSERT INTO unsubscribe_tokens (token_hash, account_id) VALUES ($1, $2) "
		       "ON CONFLICT (token_hash) DO NOTHING",
		       2, params, lengths, formats, NULL);
}

enum err db_unsubscribe_token_account(PGconn *conn, const unsigned char token_hash[32],
				      char ret_account_id[UUID_STR_LEN])
{
	const char *params[1] = {(const char *)token_hash};
	const int lengths[1] = {32};
	const int formats[1] = {1};
	PGresult *res;
	enum err err = db_exec(conn,
			       "SELECT t.account_id FROM unsubscribe_tokens t JOIN accounts a "
			       "ON a.id = t.account_id WHERE t.token_hash = $1 "
			       "AND a.erased_at IS NULL",
			       1, params, lengths, formats, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	else
		snprintf(ret_account_id, UUID_STR_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return err;
}

enum err db_consent_allows(PGconn *conn, const char *account_id, const char *purpose,
			   bool *ret_allowed)
{
	const char *params[2] = {account_id, purpose};
	PGresult *res;
	enum err err =
		db_exec(conn,
			"SELECT a.erased_at IS NULL AND a.data_key IS NOT NULL "
			"AND NOT a.processing_restricted AND coalesce((SELECT c.granted "
			"FROM consents c WHERE c.account_id = a.id AND c.purpose = $2 "
			"ORDER BY c.id DESC LIMIT 1), false) FROM accounts a WHERE a.id = $1",
			2, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	*ret_allowed = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return ERR_OK;
}
