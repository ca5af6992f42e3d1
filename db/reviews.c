/*
 * reviews.c - SQL for admin review (see reviews.h). Every statement is
 * parameterised; sealed values come and go as bytea. Times leave as
 * RFC 3339 text in UTC with microseconds, so a representation built from
 * them is the same byte for byte each time it is read. Nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "documents.h"
#include "reviews.h"

/* The times the statements return, as RFC 3339 text. */
#define CHANGED_AT   DB_RFC3339("a.status_changed_at")
#define CREATED_AT   DB_RFC3339("a.created_at")
#define DISCLOSED_AT DB_RFC3339("d.disclosed_at")
#define DECIDED_AT_X DB_RFC3339("x.decided_at")
#define DECIDED_AT_D DB_RFC3339("d.decided_at")
#define DECIDED_AT   DB_RFC3339("decided_at")
#define CHECKED_AT   DB_RFC3339("v.checked_at")
#define RECEIVED_AT  DB_RFC3339("received_at")

/* Who the item waits for: an admin, the professional, or nobody. */
#define WAITING_FOR                                                                                \
	"CASE WHEN a.status IN ('flagged', 'suspended') THEN CASE WHEN "                           \
	"a.review_awaiting_professional THEN 'professional' ELSE 'admin' END END"

/* Seconds since the status changed. */
#define WAITING_SECONDS "floor(extract(epoch FROM now() - a.status_changed_at))::bigint"

/* The reasons an item is in the queue (CONTRACTS.md): the account's status
 * reason when its last change had one (e.g. monitoring_refused, with no
 * verifier), then the latest verification per verifier whose outcome is
 * not verified. */
#define REASONS                                                                                    \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('verifier', v.verifier, 'outcome', "        \
	"v.outcome, 'reason', v.reason) ORDER BY v.verifier NULLS FIRST), '[]')::text FROM "       \
	"(SELECT NULL AS verifier, NULL AS outcome, a.status_reason AS reason "                    \
	"WHERE a.status_reason IS NOT NULL UNION ALL (SELECT DISTINCT ON (verifier) verifier, "    \
	"outcome, reason FROM verifications WHERE account_id = a.id "                              \
	"ORDER BY verifier, id DESC)) v WHERE v.outcome IS DISTINCT FROM 'verified')"

/* Columns as in enum review_queue_col. The cursor is the position after
 * ($5 microseconds since 1970, $6 id). */
static const char queue_sql[] =
	"SELECT a.id, a.status, " WAITING_FOR ", " WAITING_SECONDS ", " CHANGED_AT ", "
	"(extract(epoch FROM a.status_changed_at) * 1000000)::bigint, "
	"a.profile_public->>'country', a.profile_public->>'profession', " REASONS " "
	"FROM accounts a WHERE a.role = 'professional' AND a.status = $1 "
	"AND ($2::text IS NULL OR a.profile_public->>'country' = $2) "
	"AND ($3::text IS NULL OR a.profile_public->>'profession' = $3) "
	"AND ($4::text IS NULL OR " WAITING_FOR " = $4) "
	"AND ($5::bigint IS NULL OR (a.status_changed_at, a.id) > "
	"('epoch'::timestamptz + $5::bigint * interval '1 microsecond', $6::uuid)) "
	"AND ($8::text IS NULL OR a.status_reason = $8 OR EXISTS (SELECT 1 FROM "
	"(SELECT DISTINCT ON (verifier) outcome FROM verifications WHERE account_id = a.id "
	"ORDER BY verifier, id DESC) l WHERE l.outcome = $8)) "
	"ORDER BY a.status_changed_at, a.id LIMIT $7::int";

/* The licence documents of the item (documents.h). */
#define ITEM_DOCUMENTS DB_DOCUMENTS_JSON("a.id")

/* The account's row, with the disclosure history, past decisions and
 * documents as JSON arrays; for review, only professionals under review. */
/* clang-format off */
#define ACCOUNT_SQL \
	"SELECT a.status, " WAITING_FOR ", " WAITING_SECONDS ", " CHANGED_AT ", " CREATED_AT ", " \
	"a.email_verified, a.processing_restricted, " SEALED_COLUMNS("a.") ", " REASONS ", " \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'recipient', d.recipient, " \
	"'fields', d.fields, 'purpose', d.purpose, 'terms_version', d.terms_version, " \
	"'legal_basis', d.legal_basis, 'recipient_country', d.recipient_country, " \
	"'disclosed_at', " DISCLOSED_AT ") ORDER BY d.id), '[]')::text " \
	"FROM disclosures d WHERE d.subject = a.id), " \
	/* the reasons sealed (hex): review.c opens them with the account's key */ \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'admin_id', x.admin_id, " \
	"'decision', x.decision, 'reason_enc', encode(x.reason_enc, 'hex'), " \
	"'from_status', x.from_status, 'to_status', x.to_status, 'decided_at', " DECIDED_AT_X ", " \
	"'document_requested', x.document_requested) ORDER BY x.id), '[]')::text " \
	"FROM review_decisions x WHERE x.account_id = a.id), " ITEM_DOCUMENTS "::text " \
	"FROM accounts a WHERE a.id = $1 AND a.role = 'professional' "
static const char account_sql[] =
	ACCOUNT_SQL "AND a.status IN ('flagged', 'suspended', 'approved', 'rejected')";
/* the admin console's account view: whatever the status */
static const char account_any_sql[] = ACCOUNT_SQL;
/* clang-format on */

static const char verifications_sql[] =
	"SELECT v.id, v.verifier, j.occasion, v.outcome, v.reason, v.checks::text, "
	"encode(v.reply_sha256, 'hex'), " CHECKED_AT ", v.evidence_enc "
	"FROM verifications v LEFT JOIN verification_jobs j ON j.id = v.job_id "
	"WHERE v.account_id = $1 ORDER BY v.id";

static const char responses_sql[] =
	"SELECT id, decision_id, " RECEIVED_AT ", message_enc, document_id FROM review_responses "
	"WHERE account_id = $1 ORDER BY id";

static const char decision_sql[] =
	"INSERT INTO review_decisions (account_id, admin_id, decision, reason_enc, from_status, "
	"to_status, request_id, document_requested) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	"$8::boolean) RETURNING id, " DECIDED_AT;

/* The latest question, joined only while the account awaits its answer. */
static const char mine_sql[] =
	"SELECT a.status, a.review_awaiting_professional, d.reason_enc, " DECIDED_AT_D ", "
	"coalesce(d.document_requested, false) "
	"FROM accounts a LEFT JOIN LATERAL (SELECT reason_enc, decided_at, document_requested "
	"FROM review_decisions "
	"WHERE account_id = a.id AND decision = 'request_info' ORDER BY id DESC LIMIT 1) d "
	"ON a.review_awaiting_professional WHERE a.id = $1";

enum err db_review_queue(PGconn *conn, const struct review_query *q, PGresult **ret_res)
{
	char after_us[24], limit[16];
	const char *params[8] = {q->status,
				 q->country,
				 q->profession,
				 q->waiting_for,
				 q->after ? after_us : NULL,
				 q->after ? q->after_id : NULL,
				 limit,
				 q->reason};

	snprintf(after_us, sizeof(after_us), "%lld", q->after_us);
	snprintf(limit, sizeof(limit), "%d", q->limit);
	return db_exec(conn, queue_sql, 8, params, NULL, NULL, ret_res);
}

static enum err load_account(PGconn *conn, struct review_rows *rows, bool any)
{
	const char *params[1] = {rows->account.id};
	PGresult *res;
	enum err err =
		db_exec(conn, any ? account_any_sql : account_sql, 1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	rows->res[0] = res;
	if (PQntuples(res) != 1)
		return ERR_NOT_FOUND;
	rows->status = db_cell_text(res, 0, 0);
	rows->waiting_for = db_cell_text(res, 0, 1);
	rows->waiting_seconds = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	rows->status_changed_at = db_cell_text(res, 0, 3);
	rows->created_at = db_cell_text(res, 0, 4);
	rows->email_verified = PQgetvalue(res, 0, 5)[0] == 't';
	rows->processing_restricted = PQgetvalue(res, 0, 6)[0] == 't';
	rows->reasons = db_cell_text(res, 0, 7 + SEALED_NCOLUMNS);
	rows->disclosures = db_cell_text(res, 0, 8 + SEALED_NCOLUMNS);
	rows->decisions = db_cell_text(res, 0, 9 + SEALED_NCOLUMNS);
	rows->documents = db_cell_text(res, 0, 10 + SEALED_NCOLUMNS);
	return db_sealed_read(res, 0, 7, &rows->account);
}

static enum err load_verifications(PGconn *conn, struct review_rows *rows)
{
	const char *params[1] = {rows->account.id};
	PGresult *res;
	enum err err = db_exec(conn, verifications_sql, 1, params, NULL, NULL, &res);
	int n;

	if (err != ERR_OK)
		return err;
	rows->res[1] = res;
	n = PQntuples(res);
	if (n == 0)
		return ERR_OK;
	rows->verifications = calloc((size_t)n, sizeof(*rows->verifications));
	if (rows->verifications == NULL)
		return ERR_NOMEM;
	for (int i = 0; err == ERR_OK && i < n; i++) {
		struct review_verification *v = &rows->verifications[i];

		v->id = db_cell_text(res, i, 0);
		v->verifier = db_cell_text(res, i, 1);
		v->occasion = db_cell_text(res, i, 2);
		v->outcome = db_cell_text(res, i, 3);
		v->reason = db_cell_text(res, i, 4);
		v->checks = db_cell_text(res, i, 5);
		v->reply_sha256 = db_cell_text(res, i, 6);
		v->checked_at = db_cell_text(res, i, 7);
		err = db_cell_bytes(res, i, 8, &v->evidence_enc, &v->evidence_len);
		rows->nverifications++;
	}
	return err;
}

static enum err load_responses(PGconn *conn, struct review_rows *rows)
{
	const char *params[1] = {rows->account.id};
	PGresult *res;
	enum err err = db_exec(conn, responses_sql, 1, params, NULL, NULL, &res);
	int n;

	if (err != ERR_OK)
		return err;
	rows->res[2] = res;
	n = PQntuples(res);
	if (n == 0)
		return ERR_OK;
	rows->responses = calloc((size_t)n, sizeof(*rows->responses));
	if (rows->responses == NULL)
		return ERR_NOMEM;
	for (int i = 0; err == ERR_OK && i < n; i++) {
		struct review_response *p = &rows->responses[i];

		p->id = db_cell_text(res, i, 0);
		p->decision_id = db_cell_text(res, i, 1);
		p->received_at = db_cell_text(res, i, 2);
		p->document_id = db_cell_text(res, i, 4);
		err = db_cell_bytes(res, i, 3, &p->message_enc, &p->message_len);
		rows->nresponses++;
	}
	return err;
}

enum err db_review_load(PGconn *conn, const char *id, struct review_rows *ret_rows)
{
	return db_account_load(conn, id, false, ret_rows);
}

enum err db_account_load(PGconn *conn, const char *id, bool any_status,
			 struct review_rows *ret_rows)
{
	struct review_rows rows = {0};
	enum err err;

	snprintf(rows.account.id, sizeof(rows.account.id), "%s", id);
	err = load_account(conn, &rows, any_status);
	if (err == ERR_OK)
		err = load_verifications(conn, &rows);
	if (err == ERR_OK)
		err = load_responses(conn, &rows);
	if (err != ERR_OK) {
		review_rows_release(&rows);
		return err;
	}
	*ret_rows = rows;
	return ERR_OK;
}

void review_rows_release(struct review_rows *rows)
{
	sealed_account_release(&rows->account);
	for (size_t i = 0; i < rows->nverifications; i++)
		PQfreemem(rows->verifications[i].evidence_enc);
	free(rows->verifications);
	for (size_t i = 0; i < rows->nresponses; i++)
		PQfreemem(rows->responses[i].message_enc);
	free(rows->responses);
	for (size_t i = 0; i < sizeof(rows->res) / sizeof(rows->res[0]); i++)
		PQclear(rows->res[i]);
	memset(rows, 0, sizeof(*rows));
}

enum err db_review_lock(PGconn *conn, const char *id)
{
	const char *params[1] = {id};
	PGresult *res;
	enum err err = db_exec_row(conn,
				   "SELECT 1 FROM accounts WHERE id = $1 AND role = 'professional' "
				   "FOR UPDATE",
				   1, params, NULL, NULL, &res);

	if (err == ERR_OK)
		PQclear(res);
	return err;
}

enum err db_review_decide(PGconn *conn, const struct review_decision *d, long long *ret_id,
			  char ret_decided_at[40])
{
	const char *update[2] = {d->account_id, d->awaiting_professional ? "t" : "f"};
	const char *insert[8] = {d->account_id,        d->admin_id,
				 d->decision,          (const char *)d->reason_enc,
				 status_name(d->from), NULL,
				 d->request_id,        d->document_requested ? "t" : "f"};
	const int lengths[8] = {0, 0, 0, (int)d->reason_enc_len, 0, 0, 0, 0};
	const int formats[8] = {0, 0, 0, 1, 0, 0, 0, 0};
	enum account_status to;
	PGresult *res;
	enum err err = db_account_set_status(conn, d->account_id, d->from, d->event, NULL, &to);

	if (err != ERR_OK)
		return err;
	insert[5] = status_name(to);
	err = db_exec(
		conn,
		"UPDATE accounts SET review_awaiting_professional = $2::boolean WHERE id = $1", 2,
		update, NULL, NULL, NULL);
	if (err != ERR_OK)
		return err;
	err = db_exec(conn, decision_sql, 8, insert, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	*ret_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(ret_decided_at, 40, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return ERR_OK;
}

enum err db_review_answer(PGconn *conn, const struct review_answer *a, bool *ret_answered)
{
	const char *params[3] = {a->account_id, (const char *)a->message_enc, a->document_id};
	const int lengths[3] = {0, (int)a->message_len, 0};
	const int formats[3] = {0, 1, 0};
	enum account_status from;
	PGresult *res = NULL;
	bool asked;
	/* the row lock orders this against a decision on the same item */
	enum err err =
		db_exec(conn,
			"SELECT a.status, coalesce(d.document_requested, false) FROM accounts a "
			"LEFT JOIN LATERAL (SELECT document_requested FROM review_decisions "
			"WHERE account_id = a.id AND decision = 'request_info' ORDER BY id DESC "
			"LIMIT 1) d ON true WHERE a.id = $1 AND a.review_awaiting_professional "
			"FOR UPDATE OF a",
			1, params, NULL, NULL, &res);

	*ret_answered = false;
	if (err != ERR_OK)
		return err;
	asked = PQntuples(res) == 1 && status_parse(PQgetvalue(res, 0, 0), &from) &&
		(a->document_id == NULL || PQgetvalue(res, 0, 1)[0] == 't');
	PQclear(res);
	if (!asked)
		return ERR_OK; /* nothing awaits this answer: nothing written */
	err = db_exec(conn,
		      "INSERT INTO review_responses (account_id, decision_id, message_enc, "
		      "document_id) SELECT $1, max(id), $2, $3::uuid FROM review_decisions WHERE "
		      "account_id = $1 AND decision = 'request_info'",
		      3, params, lengths, formats, NULL);
	if (err == ERR_OK)
		err = db_account_set_status(conn, a->account_id, from, EVENT_ANSWER, NULL, NULL);
	/* back in the queue, waiting for an admin from now */
	if (err == ERR_OK)
		err = db_exec(conn,
			      "UPDATE accounts SET review_awaiting_professional = false, "
			      "status_changed_at = now() WHERE id = $1",
			      1, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		*ret_answered = true;
	return err;
}

enum err db_review_respond(PGconn *conn, const char *id, const unsigned char *message_enc,
			   size_t len)
{
	bool answered = false;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_review_answer(conn,
				       &(struct review_answer){.account_id = id,
							       .message_enc = message_enc,
							       .message_len = len},
				       &answered);
	if (err == ERR_OK && !answered)
		err = ERR_CONFLICT;
	return db_end(conn, err);
}

enum err db_review_mine(PGconn *conn, const char *id, struct review_mine *ret)
{
	const char *params[1] = {id};
	struct review_mine mine = {0};
	PGresult *res;
	enum err err = db_exec(conn, mine_sql, 1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	snprintf(mine.status, sizeof(mine.status), "%s", PQgetvalue(res, 0, 0));
	mine.awaiting = PQgetvalue(res, 0, 1)[0] == 't';
	mine.document_requested = mine.awaiting && PQgetvalue(res, 0, 4)[0] == 't';
	if (mine.awaiting) {
		err = db_cell_bytes(res, 0, 2, &mine.question_enc, &mine.question_enc_len);
		snprintf(mine.asked_at, sizeof(mine.asked_at), "%s", PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	if (err == ERR_OK)
		*ret = mine;
	return err;
}
