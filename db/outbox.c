/*
 * outbox.c - SQL for email tokens and the notification outbox. Every
 * statement is parameterised; hashes and sealed payloads go as binary
 * parameters. Nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "outbox.h"

enum err db_email_token_mint(PGconn *conn, const char *account_id, const char *purpose,
			     int ttl_seconds, const unsigned char token_hash[32],
			     const unsigned char *target_bidx, bool supersede, bool *ret_minted)
{
	char ttl[16];
	const char *params[6] = {(const char *)token_hash,  account_id,           purpose, ttl,
				 (const char *)target_bidx, supersede ? "t" : "f"};
	const int lengths[6] = {32, 0, 0, 0, target_bidx != NULL ? 32 : 0, 0};
	const int formats[6] = {1, 0, 0, 0, 1, 0};
	PGresult *res;
	enum err err;

	snprintf(ttl, sizeof(ttl), "%d", ttl_seconds);
	/* the delete sees the table as the statement began: never the new row */
	err = db_exec(conn,
		      "WITH ins AS (INSERT INTO email_tokens (token_hash, account_id, purpose, "
		      "expires_at, target_bidx) SELECT $1, a.id, $3, "
		      "now() + make_interval(secs => $4::int), $5 FROM accounts a "
		      "WHERE a.id = $2 AND a.data_key IS NOT NULL "
		      "AND ($5::bytea IS NULL OR a.pending_email_bidx = $5) RETURNING account_id), "
		      "gone AS (DELETE FROM email_tokens t USING ins WHERE $6::boolean "
		      "AND t.account_id = ins.account_id AND t.purpose = $3 AND t.used_at IS NULL) "
		      "SELECT count(*) FROM ins",
		      6, params, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	*ret_minted = atoi(PQgetvalue(res, 0, 0)) == 1;
	PQclear(res);
	return ERR_OK;
}

/* purposes as a PostgreSQL text[] literal (purpose names are [a-z_]). */
static enum err purposes_literal(const char *const *purposes, char *buf, size_t size)
{
	size_t n = 0;

	buf[n++] = '{';
	for (size_t i = 0; purposes[i] != NULL; i++) {
		int w = snprintf(buf + n, size - n, "%s%s", i > 0 ? "," : "", purposes[i]);

		if (w < 0 || (size_t)w >= size - n - 1)
			return ERR_TOO_BIG;
		n += (size_t)w;
	}
	buf[n++] = '}';
	buf[n] = '\0';
	return ERR_OK;
}

static enum err token_find(PGconn *conn, const char *sql, const unsigned char token_hash[32],
			   const char *const *purposes, const char *account_id,
			   struct token_use *ret)
{
	char list[128];
	const char *params[3] = {(const char *)token_hash, list, account_id};
	const int lengths[3] = {32, 0, 0};
	const int formats[3] = {1, 0, 0};
	struct token_use out = {0};
	unsigned char *target = NULL;
	size_t len = 0;
	PGresult *res;
	enum err err = purposes_literal(purposes, list, sizeof(list));

	if (err == ERR_OK)
		err = db_exec(conn, sql, 3, params, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	snprintf(out.account_id, sizeof(out.account_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out.purpose, sizeof(out.purpose), "%s", PQgetvalue(res, 0, 1));
	err = db_cell_bytes(res, 0, 2, &target, &len);
	if (err == ERR_OK && len == sizeof(out.target_bidx)) {
		memcpy(out.target_bidx, target, len);
		out.has_target = true;
	}
	PQfreemem(target);
	PQclear(res);
	if (err == ERR_OK)
		*ret = out;
	return err;
}

/* a live token of one of $2's purposes (and of account $3, if given) */
#define TOKEN_LIVE                                                                                 \
	"token_hash = $1 AND purpose = ANY ($2::text[]) AND used_at IS NULL "                      \
	"AND expires_at > now() AND ($3::uuid IS NULL OR account_id = $3::uuid)"

enum err db_email_token_use(PGconn *conn, const unsigned char token_hash[32],
			    const char *const *purposes, const char *account_id,
			    struct token_use *ret)
{
	return token_find(conn,
			  "UPDATE email_tokens SET used_at = now() WHERE " TOKEN_LIVE
			  " RETURNING account_id, purpose, target_bidx",
			  token_hash, purposes, account_id, ret);
}

enum err db_email_token_peek(PGconn *conn, const unsigned char token_hash[32],
			     const char *const *purposes, struct token_use *ret)
{
	return token_find(conn,
			  "SELECT account_id, purpose, target_bidx FROM email_tokens "
			  "WHERE " TOKEN_LIVE,
			  token_hash, purposes, NULL, ret);
}

enum err db_outbox_insert(PGconn *conn, const char *account_id, const char *kind,
			  const unsigned char *payload, size_t len)
{
	const char *params[3] = {account_id, kind, (const char *)payload};
	const int lengths[3] = {0, 0, (int)len};
	const int formats[3] = {0, 0, 1};

	return db_exec(conn,
		       "INSERT INTO outbox (account_id, kind, payload_enc) VALUES ($1, $2, $3)", 3,
		       params, lengths, formats, NULL);
}

/* A notice within caps, to the account whose column col (uuid id, or
 * bytea email_bidx with clause "AND a.role = 'professional'") is $1; $2
 * kind, $3 per day, $4 gap in seconds, $5 unconfirmed only. One
 * statement each, planned on its own index. The one row of the LEFT
 * JOIN, materialised, makes the caps' two outbox lookups run whether or
 * not an account matched (with the nil UUID, which none has), so an
 * address without an account is not answered sooner for the work it
 * skips (issue 23: the median known/unknown was 1.13-1.52x with the caps
 * checked only for a match). */
#define NIL_UUID "'00000000-0000-0000-0000-000000000000'::uuid"
#define NOTICE_SQL(type, col, clause)                                                              \
	"WITH c AS MATERIALIZED (SELECT a.id, a.data_key IS NOT NULL AND NOT ($5::boolean AND "    \
	"a.email_verified) AS open, (SELECT count(*) FROM outbox o WHERE o.account_id = "          \
	"coalesce(a.id, " NIL_UUID ") AND o.kind = $2 AND o.created_at > now() - interval '1 "     \
	"day') AS today, EXISTS (SELECT 1 FROM outbox o WHERE o.account_id = "                     \
	"coalesce(a.id, " NIL_UUID ") AND o.kind = $2 AND o.created_at > now() - "                 \
	"make_interval(secs => $4::int)) AS recent FROM (SELECT $1::" type " AS k) k "             \
	"LEFT JOIN accounts a ON a." col " = k.k " clause ") "                                     \
	"INSERT INTO outbox (account_id, kind) SELECT id, $2 FROM c WHERE open AND ($3::int = 0 "  \
	"OR today < $3::int) AND ($4::int = 0 OR NOT recent)"

static enum err notice_queue(PGconn *conn, const char *sql, const char *who, int who_len,
			     const char *kind, const struct notice_cap *cap, bool *ret_queued)
{
	char per_day[16], gap[16];
	const char *params[5] = {who, kind, per_day, gap, cap->unconfirmed ? "t" : "f"};
	const int lengths[5] = {who_len};
	const int formats[5] = {who_len > 0};
	PGresult *res;
	enum err err;

	snprintf(per_day, sizeof(per_day), "%d", cap->per_day);
	snprintf(gap, sizeof(gap), "%d", cap->min_gap_seconds);
	err = db_exec(conn, sql, 5, params, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	if (ret_queued != NULL)
		*ret_queued = strtoll(PQcmdTuples(res), NULL, 10) == 1;
	PQclear(res);
	return ERR_OK;
}

enum err db_outbox_notice(PGconn *conn, const char *account_id, const char *kind, int per_day,
			  bool *ret_queued)
{
	const struct notice_cap cap = {.per_day = per_day};

	return db_outbox_notice_capped(conn, account_id, kind, &cap, ret_queued);
}

enum err db_outbox_notice_capped(PGconn *conn, const char *account_id, const char *kind,
				 const struct notice_cap *cap, bool *ret_queued)
{
	return notice_queue(conn, NOTICE_SQL("uuid", "id", ""), account_id, 0, kind, cap,
			    ret_queued);
}

enum err db_outbox_notice_by_email(PGconn *conn, const unsigned char bidx[32], const char *kind,
				   const struct notice_cap *cap, bool *ret_queued)
{
	/* the reply (202 either way) promises no mail, so this one
	 * transaction does not wait for its commit to be flushed: a mail
	 * queued would otherwise make the answer a WAL flush slower than
	 * one for an address without an account. A crash may forget the
	 * request; the professional asks again. */
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_command(conn, "SET LOCAL synchronous_commit = off");
	if (err == ERR_OK)
		err = notice_queue(conn,
				   NOTICE_SQL("bytea", "email_bidx", "AND a.role = 'professional'"),
				   (const char *)bidx, 32, kind, cap, ret_queued);
	return db_end(conn, err);
}

enum err db_outbox_claim(PGconn *conn, int max, int lease_seconds, struct outbox_row **ret_rows,
			 size_t *ret_n)
{
	char limit[16], lease[16];
	const char *params[2] = {limit, lease};
	struct outbox_row *rows = NULL;
	PGresult *res = NULL;
	size_t n = 0;
	enum err err;

	snprintf(limit, sizeof(limit), "%d", max);
	snprintf(lease, sizeof(lease), "%d", lease_seconds);
	err = db_exec(
		conn,
		"UPDATE outbox o SET next_attempt_at = now() + $2 * interval '1 second' "
		"FROM accounts a WHERE a.id = o.account_id AND o.id IN ("
		"  SELECT id FROM outbox WHERE sent_at IS NULL "
		"  AND attempts < " DB_STR(OUTBOX_MAX_ATTEMPTS) " AND next_attempt_at <= now() "
								"  ORDER BY next_attempt_at LIMIT "
								"$1::int FOR UPDATE SKIP LOCKED) "
								"RETURNING o.id, o.kind, "
								"o.payload_enc, " SEALED_COLUMNS(
									"a.") ", a.locale",
		2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) > 0 && (rows = calloc((size_t)PQntuples(res), sizeof(*rows))) == NULL)
		err = ERR_NOMEM;
	for (; err == ERR_OK && n < (size_t)PQntuples(res); n++) {
		struct outbox_row *row = &rows[n];

		row->id = strtoll(PQgetvalue(res, (int)n, 0), NULL, 10);
		snprintf(row->kind, sizeof(row->kind), "%s", PQgetvalue(res, (int)n, 1));
		err = db_cell_bytes(res, (int)n, 2, &row->payload, &row->payload_len);
		if (err == ERR_OK)
			err = db_sealed_read(res, (int)n, 3, &row->account);
		snprintf(row->locale, sizeof(row->locale), "%s",
			 PQgetvalue(res, (int)n, 3 + SEALED_NCOLUMNS));
	}
	PQclear(res);
	if (err != ERR_OK) { /* the rows claimed are due again after the lease */
		outbox_rows_free(rows, n);
		return err;
	}
	*ret_rows = rows;
	*ret_n = n;
	return ERR_OK;
}

enum err db_outbox_sent(PGconn *conn, long long id)
{
	char sid[24];
	const char *params[1] = {sid};

	snprintf(sid, sizeof(sid), "%lld", id);
	return db_exec(conn, "UPDATE outbox SET sent_at = now(), last_error = NULL WHERE id = $1",
		       1, params, NULL, NULL, NULL);
}

enum err db_outbox_failed(PGconn *conn, long long id, const char *error, bool final,
			  int *ret_attempts)
{
	char sid[24];
	const char *params[3] = {sid, error, final ? "t" : "f"};
	PGresult *res;
	enum err err;

	snprintf(sid, sizeof(sid), "%lld", id);
	/* in SET, attempts is the old value: the wait is 2^(new count) s */
	err = db_exec(conn,
		      "UPDATE outbox SET last_error = $2, "
		      "attempts = CASE WHEN $3::boolean THEN " DB_STR(
			      OUTBOX_MAX_ATTEMPTS) " "
						   "ELSE attempts + 1 END, "
						   "next_attempt_at = now() + "
						   "make_interval(secs => least(3600, power(2, "
						   "attempts + 1))) "
						   "WHERE id = $1 RETURNING attempts",
		      3, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 1)
		*ret_attempts = atoi(PQgetvalue(res, 0, 0));
	else
		err = ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum err db_outbox_release(PGconn *conn, long long id)
{
	char sid[24];
	const char *params[1] = {sid};

	snprintf(sid, sizeof(sid), "%lld", id);
	return db_exec(conn, "UPDATE outbox SET next_attempt_at = now() WHERE id = $1", 1, params,
		       NULL, NULL, NULL);
}

void outbox_rows_free(struct outbox_row *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		PQfreemem(rows[i].payload);
		sealed_account_release(&rows[i].account);
	}
	free(rows);
}
