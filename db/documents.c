/*
 * documents.c - SQL for licence documents (see documents.h). Every
 * statement is parameterised; sealed chunks go in as binary parameters
 * and come back as bytea, one chunk per statement, so neither libpq nor
 * PostgreSQL ever holds a whole document in one message. Nothing here
 * logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"
#include "privacy.h"

#define UPLOADED_AT DB_RFC3339("uploaded_at")

enum err db_document_insert(PGconn *conn, struct document_row *d, int max)
{
	char size[24], chunks[16], limit[16];
	const char *params[6] = {d->id, d->account_id, d->content_type, size, chunks, limit};
	PGresult *res = NULL;
	enum err err = db_account_lock(conn, d->account_id);

	if (err != ERR_OK)
		return err;
	snprintf(size, sizeof(size), "%zu", d->size);
	snprintf(chunks, sizeof(chunks), "%d", d->chunks);
	snprintf(limit, sizeof(limit), "%d", max);
	/* under the row lock, the count cannot change before the insert */
	err = db_exec(conn,
		      "INSERT INTO documents (id, account_id, content_type, size_bytes, chunks) "
		      "SELECT $1, $2, $3, $4::int, $5::int WHERE (SELECT count(*) FROM documents "
		      "WHERE account_id = $2) < $6::int RETURNING " UPLOADED_AT,
		      6, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1)
		err = ERR_TOO_BIG;
	else
		snprintf(d->uploaded_at, sizeof(d->uploaded_at), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return err;
}

enum err db_document_chunk_put(PGconn *conn, const char *id, int seq, const unsigned char *sealed,
			       size_t len)
{
	char num[16];
	const char *params[3] = {id, num, (const char *)sealed};
	const int lengths[3] = {0, 0, (int)len};
	const int formats[3] = {0, 0, 1};

	snprintf(num, sizeof(num), "%d", seq);
	return db_exec(conn,
		       "INSERT INTO document_chunks (document_id, seq, sealed) "
		       "VALUES ($1, $2::int, $3)",
		       3, params, lengths, formats, NULL);
}

enum err db_document_get(PGconn *conn, const char *id, const char *account_id,
			 struct document_row *ret)
{
	const char *params[2] = {id, account_id};
	struct document_row d = {0};
	PGresult *res;
	enum err err =
		db_exec(conn,
			"SELECT id, account_id, content_type, size_bytes, chunks, " UPLOADED_AT
			" FROM documents WHERE id = $1 AND ($2::uuid IS NULL OR "
			"account_id = $2::uuid)",
			2, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	snprintf(d.id, sizeof(d.id), "%s", PQgetvalue(res, 0, 0));
	snprintf(d.account_id, sizeof(d.account_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(d.content_type, sizeof(d.content_type), "%s", PQgetvalue(res, 0, 2));
	d.size = (size_t)strtoull(PQgetvalue(res, 0, 3), NULL, 10);
	d.chunks = atoi(PQgetvalue(res, 0, 4));
	snprintf(d.uploaded_at, sizeof(d.uploaded_at), "%s", PQgetvalue(res, 0, 5));
	PQclear(res);
	*ret = d;
	return ERR_OK;
}

enum err db_document_chunk_get(PGconn *conn, const char *id, int seq, unsigned char **ret,
			       size_t *ret_len)
{
	char num[16];
	const char *params[2] = {id, num};
	PGresult *res;
	enum err err;

	snprintf(num, sizeof(num), "%d", seq);
	err = db_exec(conn,
		      "SELECT sealed FROM document_chunks WHERE document_id = $1 AND seq = $2::int",
		      2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1)
		err = ERR_NOT_FOUND;
	else
		err = db_cell_bytes(res, 0, 0, ret, ret_len);
	PQclear(res);
	return err;
}

enum err db_document_list(PGconn *conn, const char *account_id, char **ret_json)
{
	const char *params[1] = {account_id};
	PGresult *res;
	char *json;
	enum err err = db_exec(conn, "SELECT " DB_DOCUMENTS_JSON("$1::uuid") "::text", 1, params,
			       NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (json == NULL)
		return ERR_NOMEM;
	*ret_json = json;
	return ERR_OK;
}

enum err db_document_delete(PGconn *conn, const char *id, const char *account_id)
{
	const char *params[2] = {id, account_id};
	PGresult *res;
	enum err err = db_exec(conn, "DELETE FROM documents WHERE id = $1 AND account_id = $2", 2,
			       params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (atoll(PQcmdTuples(res)) == 0)
		err = ERR_NOT_FOUND;
	PQclear(res);
	return err;
}
