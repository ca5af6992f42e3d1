/*
 * notices.c - privacy notice versions (see notices.h). Ids only; nothing
 * here logs.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "dormancy.h"
#include "notices.h"

enum err db_notice_to_mail(PGconn *conn, const char *version, size_t max, char (*ids)[UUID_STR_LEN],
			   size_t *ret_n)
{
	char lim[24];
	const char *params[2] = {version, lim};
	PGresult *res;
	enum err err;

	snprintf(lim, sizeof(lim), "%zu", max);
	err = db_exec(conn,
		      "SELECT a.id FROM accounts a WHERE a.role = 'professional' "
		      "AND a.erased_at IS NULL AND a.data_key IS NOT NULL "
		      "AND " NOTICE_PENDING("$1") " AND NOT EXISTS (SELECT 1 FROM notice_mails m "
						  "WHERE m.account_id = a.id AND m.version = $1) "
						  "ORDER BY a.id LIMIT $2::int",
		      2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	db_ids_read(res, max, ids, ret_n);
	PQclear(res);
	return ERR_OK;
}

enum err db_notice_mail_mark(PGconn *conn, const char *id, const char *version, bool *ret_marked)
{
	const char *params[2] = {id, version};
	PGresult *res;
	enum err err = db_exec(conn,
			       "INSERT INTO notice_mails (account_id, version) VALUES ($1, $2) "
			       "ON CONFLICT DO NOTHING RETURNING account_id",
			       2, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	*ret_marked = PQntuples(res) > 0;
	PQclear(res);
	return ERR_OK;
}

enum err db_notice_accept(PGconn *conn, const char *id, const char *version)
{
	const char *params[2] = {id, version};
	PGresult *res = NULL;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_exec(conn,
			      "UPDATE accounts SET notice_version = $2 WHERE id = $1 "
			      "AND erased_at IS NULL RETURNING id",
			      2, params, NULL, NULL, &res);
	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	PQclear(res);
	if (err == ERR_OK)
		err = db_exec(
			conn,
			"INSERT INTO notice_acceptances (account_id, version) VALUES ($1, $2)", 2,
			params, NULL, NULL, NULL);
	return db_end(conn, err);
}
