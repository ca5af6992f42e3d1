/*
 * documents.h - data access for licence documents (migration 0014): a
 * row per document (type, size, chunk count, upload time) and its sealed
 * chunks. The bytes arrive and leave sealed: this layer never sees a
 * document in clear. Nothing here logs.
 */
#ifndef HCPD_DOCUMENTS_H
#define HCPD_DOCUMENTS_H

#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "db.h"
#include "err.h"

/* SQL for the documents of the account whose id is the expression acct,
 * as a jsonb array of {id, content_type, size, uploaded_at} oldest first
 * ('[]' when none): what the professional's list, the review item and the
 * export show of them, never their content. */
/* clang-format off */
#define DB_DOCUMENTS_JSON(acct)                                                        \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('id', dd.id, 'content_type', "  \
	"dd.content_type, 'size', dd.size_bytes, 'uploaded_at', "                      \
	DB_RFC3339("dd.uploaded_at") ") ORDER BY dd.uploaded_at, dd.id), '[]') "       \
	"FROM documents dd WHERE dd.account_id = " acct ")"
/* clang-format on */

/* One document as stored, without its chunks. */
struct document_row {
	char id[UUID_STR_LEN];
	char account_id[UUID_STR_LEN];
	char content_type[32];
	size_t size;
	int chunks;
	char uploaded_at[40]; /* RFC 3339, UTC */
};

/* Inside the caller's transaction: locks account d->account_id's row (FOR
 * UPDATE, so uploads of one account queue up) and, when it holds fewer
 * than max documents, inserts d's row (d->uploaded_at is set). ERR_NOT_FOUND
 * when the account is erased or absent, ERR_TOO_BIG when it holds max
 * already. Blocks. */
enum err db_document_insert(PGconn *conn, struct document_row *d, int max);

/* Inside the caller's transaction: stores chunk seq of document id,
 * sealed (len bytes). Blocks. */
enum err db_document_chunk_put(PGconn *conn, const char *id, int seq, const unsigned char *sealed,
			       size_t len);

/* Reads document id's row into *ret; with account_id non-NULL, only when
 * it is that account's (anyone else's is not found). ERR_NOT_FOUND.
 * Blocks. */
enum err db_document_get(PGconn *conn, const char *id, const char *account_id,
			 struct document_row *ret);

/* Reads chunk seq of document id, sealed, into *ret (PQfreemem it).
 * ERR_NOT_FOUND when there is none (the document was deleted). Blocks. */
enum err db_document_chunk_get(PGconn *conn, const char *id, int seq, unsigned char **ret,
			       size_t *ret_len);

/* The account's documents (DB_DOCUMENTS_JSON) as malloc'd JSON text into
 * *ret_json. Blocks. */
enum err db_document_list(PGconn *conn, const char *account_id, char **ret_json);

/* Deletes document id of account_id with its chunks. ERR_NOT_FOUND when
 * the account has no such document. Blocks. */
enum err db_document_delete(PGconn *conn, const char *id, const char *account_id);

/* The retention purge's statement (privacy.c runs it, $1 the days):
 * deletes the documents of accounts whose review ended - status approved
 * or rejected, the latest decision an approve or reject made more than $1
 * days ago - that were uploaded before that decision; an account under a
 * legal hold keeps them. */
#define DB_DOCUMENTS_PURGE                                                                         \
	"DELETE FROM documents d USING accounts a, LATERAL (SELECT x.decision, x.decided_at "      \
	"FROM review_decisions x WHERE x.account_id = a.id ORDER BY x.id DESC LIMIT 1) x "         \
	"WHERE a.id = d.account_id AND a.status IN ('approved', 'rejected') "                      \
	"AND a.legal_hold_at IS NULL AND x.decision IN ('approve', 'reject') "                     \
	"AND d.uploaded_at <= x.decided_at "                                                       \
	"AND x.decided_at < now() - make_interval(days => $1::int)"

#endif
