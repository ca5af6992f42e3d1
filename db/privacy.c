/*
 * privacy.c - SQL for rectification, restriction, legal hold, erasure,
 * export and retention (see privacy.h). Every statement is parameterised;
 * audit rows are appended in the transaction of the change they record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "documents.h"
#include "deliveries.h"
#include "dormancy.h"
#include "keystore.h"
#include "privacy.h"

/* Runs sql ($1 = id) and tells whether it touched a row. */
static enum err exec_id(PGconn *conn, const char *sql, const char *id, bool *ret_found)
{
	const char *params[1] = {id};
	PGresult *res;
	enum err err = db_exec(conn, sql, 1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (ret_found != NULL)
		*ret_found = PQntuples(res) > 0 || atoll(PQcmdTuples(res)) > 0;
	PQclear(res);
	return ERR_OK;
}

enum err db_account_lock(PGconn *conn, const char *id)
{
	bool found = false;
	enum err err = exec_id(
		conn, "SELECT 1 FROM accounts WHERE id = $1 AND erased_at IS NULL FOR UPDATE", id,
		&found);

	return err == ERR_OK && !found ? ERR_NOT_FOUND : err;
}

enum err db_profile_store(PGconn *conn, const char *id, const unsigned char *profile_enc,
			  size_t len, const char *profile_public, const char *catalogue_version)
{
	const char *params[4] = {id, (const char *)profile_enc, profile_public, catalogue_version};
	const int lengths[4] = {0, (int)len, 0, 0};
	const int formats[4] = {0, 1, 0, 0};

	return db_exec(conn,
		       "UPDATE accounts SET profile_enc = $2, profile_public = $3::jsonb, "
		       "catalogue_version = $4, updated_at = now() WHERE id = $1",
		       4, params, lengths, formats, NULL);
}

enum err db_restriction_set(PGconn *conn, const char *id, bool restricted, const char *request_id,
			    bool *ret_changed)
{
	const char *params[2] = {id, restricted ? "t" : "f"};
	PGresult *res = NULL;
	bool changed = false;
	enum err err = db_begin(conn);

	if (err != ERR_OK)
		return err;
	err = db_account_lock(conn, id);
	if (err == ERR_OK)
		err = db_exec(conn,
			      "UPDATE accounts SET processing_restricted = $2, updated_at = now() "
			      "WHERE id = $1 AND processing_restricted <> $2::boolean RETURNING 1",
			      2, params, NULL, NULL, &res);
	if (err == ERR_OK) {
		changed = PQntuples(res) == 1;
		PQclear(res);
	}
	if (err == ERR_OK && changed)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = id,
						    .action = restricted ? "restriction.set"
									 : "restriction.lifted",
						    .target = id,
						    .request_id = request_id,
					    });
	err = db_end(conn, err);
	if (err == ERR_OK)
		*ret_changed = changed;
	return err;
}

enum err db_legal_hold(PGconn *conn, const char *id, const char *admin_id,
		       const struct hold_reason *reason, const char *request_id)
{
	const char *params[3] = {id, admin_id,
				 reason != NULL ? (const char *)reason->account_enc : NULL};
	const int lengths[3] = {0, 0, reason != NULL ? (int)reason->account_enc_len : 0};
	const int formats[3] = {0, 0, 1};
	PGresult *res = NULL;
	bool changed = false;
	enum err err = db_begin(conn);

	if (err != ERR_OK)
		return err;
	/* lifting a hold that is not there changes nothing and records nothing */
	err = db_exec(
		conn,
		reason != NULL
			? "UPDATE accounts SET legal_hold_at = coalesce(legal_hold_at, now()), "
			  "legal_hold_by = $2, "
			  "legal_hold_reason_enc = $3 WHERE id = $1 AND role = 'professional' "
			  "AND erased_at IS NULL RETURNING true"
			: "SELECT legal_hold_at IS NOT NULL FROM accounts WHERE id = $1 "
			  "AND role = 'professional' AND erased_at IS NULL FOR UPDATE",
		reason != NULL ? 3 : 1, params, lengths, formats, &res);
	if (err == ERR_OK) {
		if (PQntuples(res) == 0)
			err = ERR_NOT_FOUND;
		else
			changed = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
	}
	if (err == ERR_OK && changed && reason == NULL)
		err = exec_id(conn,
			      "UPDATE accounts SET legal_hold_at = NULL, legal_hold_by = NULL, "
			      "legal_hold_reason_enc = NULL WHERE id = $1",
			      id, NULL);
	if (err == ERR_OK && changed)
		err = db_audit_append(
			conn,
			&(struct audit_entry){
				.actor = admin_id,
				.action = reason != NULL ? "legal_hold.set" : "legal_hold.lifted",
				.target = id,
				.reason_enc = reason != NULL ? reason->audit_enc : NULL,
				.reason_enc_len = reason != NULL ? reason->audit_enc_len : 0,
				.request_id = request_id,
			});
	return db_end(conn, err);
}

enum err db_erasure_check(PGconn *conn, const char *id, struct erasure_check *ret_check)
{
	const char *params[1] = {id};
	struct erasure_check c = {0};
	unsigned char *bidx;
	size_t len = 0;
	PGresult *res;
	enum err err = db_exec(conn,
			       "SELECT password_hash, email_bidx, legal_hold_at IS NOT NULL "
			       "FROM accounts WHERE id = $1 AND erased_at IS NULL "
			       "AND email_bidx IS NOT NULL",
			       1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	snprintf(c.password_hash, sizeof(c.password_hash), "%s", PQgetvalue(res, 0, 0));
	bidx = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1), &len);
	if (bidx != NULL && len == sizeof(c.email_bidx))
		memcpy(c.email_bidx, bidx, len);
	else
		err = bidx == NULL ? ERR_NOMEM : ERR_INTERNAL;
	c.held = PQgetvalue(res, 0, 2)[0] == 't';
	PQfreemem(bidx);
	PQclear(res);
	if (err == ERR_OK)
		*ret_check = c;
	explicit_bzero(&c, sizeof(c));
	return err;
}

enum err db_account_erase(PGconn *conn, const struct erasure *e)
{
	/* everything that still points at the person, table by table ($1 = id) */
	static const char *const shred[] = {
		"UPDATE sessions SET revoked_at = now(), revoked_reason = 'erasure' "
		"WHERE account_id = $1 AND revoked_at IS NULL",
		"DELETE FROM refresh_tokens WHERE session_id IN "
		"(SELECT id FROM sessions WHERE account_id = $1)",
		"DELETE FROM email_tokens WHERE account_id = $1",
		"DELETE FROM unsubscribe_tokens WHERE account_id = $1",
		"DELETE FROM idempotency_keys WHERE account_id = $1",
		/* nothing left to find it by */
		"DELETE FROM account_search_index WHERE account_id = $1",
		/* the sign-in throttle knows the address by its blind index */
		"DELETE FROM login_throttle WHERE email_bidx = "
		"(SELECT email_bidx FROM accounts WHERE id = $1)",
		"UPDATE verification_jobs SET state = 'cancelled', finished_at = now() "
		"WHERE account_id = $1 AND state = 'queued'",
		"UPDATE verifications SET evidence_enc = NULL, reply_sha256 = NULL "
		"WHERE account_id = $1",
		/* sealed under the destroyed key already; their chunks go with them */
		"DELETE FROM documents WHERE account_id = $1",
		/* enrolments end: nothing more is released for them (their rows
		 * stay, naming the account id only, as consents do) */
		"UPDATE activity_releases SET cancelled_at = now(), last_error = 'erased' "
		"WHERE enrolment_id IN (SELECT id FROM enrolments WHERE account_id = $1) "
		"AND delivered_at IS NULL AND given_up_at IS NULL AND cancelled_at IS NULL",
		"UPDATE enrolments SET status = 'withdrawn', withdrawn_at = now() "
		"WHERE account_id = $1 AND status <> 'withdrawn'",
	};
	const char *params[2] = {e->id, e->kept};
	const char *lock[1] = {e->id};
	PGresult *res = NULL;
	enum err err = db_begin(conn);

	if (err != ERR_OK)
		return err;
	err = db_exec(conn,
		      "SELECT legal_hold_at IS NOT NULL FROM accounts "
		      "WHERE id = $1 AND erased_at IS NULL FOR UPDATE",
		      1, lock, NULL, NULL, &res);
	if (err == ERR_OK) {
		if (PQntuples(res) == 0)
			err = ERR_NOT_FOUND;
		else if (PQgetvalue(res, 0, 0)[0] == 't')
			err = ERR_CONFLICT;
		PQclear(res);
	}
	/* a sign-in's session holds the row until it commits: this statement
	 * sees it (a new snapshot), and the purge lets the account be */
	if (err == ERR_OK && e->due != NULL) {
		char due[1][UUID_STR_LEN];
		size_t n = 0;

		err = e->due(conn, e->due_days, e->id, 1, due, &n);
		if (err == ERR_OK && n == 0)
			err = ERR_CONFLICT;
	}
	/* the secret goes first, while the row lock keeps a legal hold from
	 * being set: every value sealed under the account's data key, here or
	 * in any dump of this database, can no longer be opened. A failure
	 * after it leaves an account that can be erased again. */
	if (err == ERR_OK)
		err = keystore_destroy(e->keys, e->id);
	for (size_t i = 0; err == ERR_OK && i < sizeof(shred) / sizeof(shred[0]); i++)
		err = exec_id(conn, shred[i], e->id, NULL);
	if (err == ERR_OK)
		err = db_exec(
			conn,
			"UPDATE accounts SET data_key = NULL, email_enc = NULL, "
			"profile_enc = NULL, email_bidx = NULL, password_hash = '', "
			"email_verified = false, erased_at = now(), updated_at = now(), "
			"profile_public = (SELECT coalesce(jsonb_object_agg(k, v), '{}') "
			"FROM jsonb_each(profile_public) AS f(k, v) WHERE k = ANY($2::text[])) "
			"WHERE id = $1",
			2, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = e->actor,
						    .action = e->action,
						    .target = e->id,
						    .request_id = e->request_id,
					    });
	if (err == ERR_OK)
		err = db_webhook_queue(conn, e->id, WEBHOOK_ACCOUNT_ERASED, NULL);
	return db_end(conn, err);
}

/* The export's records in one statement; evidence, questions and answers
 * stay sealed (hex). Timestamps become RFC 3339 strings in the JSON. An admin's
 * reason leaves only as the question of a request_info (the professional
 * reads it at GET /v1/me/review already); approve and reject reasons are
 * internal notes, and which admin decided is not said. */
static const char export_sql[] =
	"SELECT json_build_object("
	"'account', json_build_object('id', a.id, 'status', a.status, "
	"'email_verified', a.email_verified, 'processing_restricted', a.processing_restricted, "
	"'created_at', a.created_at, 'updated_at', a.updated_at, "
	"'status_changed_at', a.status_changed_at, 'catalogue_version', a.catalogue_version, "
	"'notice_version', a.notice_version, 'legal_hold_since', a.legal_hold_at, "
	"'notice_acceptances', (SELECT coalesce(json_agg(json_build_object('version', n.version, "
	"'accepted_at', n.accepted_at) ORDER BY n.id), '[]') FROM notice_acceptances n "
	"WHERE n.account_id = a.id)), "
	"'verifications', (SELECT coalesce(json_agg(json_build_object("
	"'verifier', v.verifier, 'outcome', v.outcome, 'reason', v.reason, 'checks', v.checks, "
	"'evidence', encode(v.evidence_enc, 'hex'), 'reply_sha256', encode(v.reply_sha256, 'hex'), "
	"'checked_at', v.checked_at) ORDER BY v.id), '[]') "
	"FROM verifications v WHERE v.account_id = a.id), "
	"'disclosures', (SELECT coalesce(json_agg(json_build_object("
	"'recipient', d.recipient, 'fields', d.fields, 'purpose', d.purpose, "
	"'terms_version', d.terms_version, 'legal_basis', d.legal_basis, "
	"'recipient_country', d.recipient_country, 'disclosed_at', d.disclosed_at) "
	"ORDER BY d.id), '[]') FROM disclosures d WHERE d.subject = a.id), "
	"'decisions', (SELECT coalesce(json_agg(json_build_object("
	"'id', x.id, 'decision', x.decision, 'from_status', x.from_status, "
	"'to_status', x.to_status, 'decided_at', x.decided_at, "
	"'question', CASE WHEN x.decision = 'request_info' THEN encode(x.reason_enc, 'hex') END, "
	"'document_requested', x.document_requested) "
	"ORDER BY x.id), '[]') FROM review_decisions x WHERE x.account_id = a.id), "
	"'review_responses', (SELECT coalesce(json_agg(json_build_object("
	"'id', p.id, 'decision_id', p.decision_id, 'message', encode(p.message_enc, 'hex'), "
	"'document_id', p.document_id, 'received_at', p.received_at) ORDER BY p.id), '[]') "
	"FROM review_responses p WHERE p.account_id = a.id), "
	"'documents', " DB_DOCUMENTS_JSON("a.id") ") FROM accounts a WHERE a.id = $1";

enum err db_export_records(PGconn *conn, const char *id, json_t **ret_records)
{
	const char *params[1] = {id};
	PGresult *res;
	json_t *records;
	enum err err = db_exec(conn, export_sql, 1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	records = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (records == NULL)
		return ERR_NOMEM;
	*ret_records = records;
	return ERR_OK;
}

/* Runs one purge statement (param: its $1, or NULL for none); adds the
 * rows it touched to *count. */
static enum err purge_one(PGconn *conn, const char *sql, const char *param, long long *count)
{
	PGresult *res;
	enum err err = db_exec(conn, sql, param != NULL ? 1 : 0, &param, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	*count += atoll(PQcmdTuples(res));
	PQclear(res);
	return ERR_OK;
}

enum err db_purge_expired(PGconn *conn, const struct purge_limits *l, struct purge_counts *counts)
{
	char days[16], hours[16];
	enum err err;

	snprintf(days, sizeof(days), "%d", l->evidence_days);
	snprintf(hours, sizeof(hours), "%d", l->idempotency_hours);
	/* the retention of the verifier's terms in force when it checked */
	err = purge_one(conn,
			"UPDATE verifications v SET evidence_enc = NULL "
			"WHERE v.evidence_enc IS NOT NULL AND v.checked_at < now() - "
			"make_interval(days => coalesce((SELECT min(t.retention_days) "
			"FROM recipient_terms t WHERE t.recipient = v.verifier "
			"AND t.effective_from <= v.checked_at AND (t.effective_to IS NULL "
			"OR t.effective_to > v.checked_at)), $1::int))",
			days, &counts->evidence);
	if (err == ERR_OK)
		err = purge_one(conn, "DELETE FROM email_tokens WHERE expires_at < now()", NULL,
				&counts->email_tokens);
	if (err == ERR_OK)
		err = purge_one(conn,
				"DELETE FROM refresh_tokens rt USING sessions s "
				"WHERE rt.session_id = s.id "
				"AND (s.revoked_at IS NOT NULL OR s.expires_at < now())",
				NULL, &counts->refresh_tokens);
	if (err == ERR_OK)
		err = purge_one(conn,
				"DELETE FROM idempotency_keys "
				"WHERE created_at < now() - make_interval(hours => $1::int)",
				hours, &counts->idempotency_keys);
	if (err == ERR_OK)
		err = purge_one(
			conn,
			"DELETE FROM login_throttle WHERE last_failure_at < now() - "
			"interval '1 day' AND (locked_until IS NULL OR locked_until < now())",
			NULL, &counts->login_throttle);
	snprintf(days, sizeof(days), "%d", l->documents_days);
	if (err == ERR_OK)
		err = purge_one(conn, DB_DOCUMENTS_PURGE, days, &counts->documents);
	snprintf(days, sizeof(days), "%d", l->webhooks_days);
	if (err == ERR_OK)
		err = purge_one(conn,
				"WITH done AS (SELECT id FROM webhook_deliveries "
				"WHERE coalesce(delivered_at, given_up_at) < now() - "
				"make_interval(days => $1::int)), "
				"a AS (DELETE FROM webhook_attempts WHERE delivery_id IN "
				"(SELECT id FROM done)) "
				"DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM done)",
				days, &counts->webhooks);
	if (err == ERR_OK)
		err = purge_one(conn,
				"DELETE FROM activity_releases "
				"WHERE coalesce(delivered_at, given_up_at, cancelled_at) < now() - "
				"make_interval(days => $1::int)",
				days, &counts->releases);
	return err;
}

#define UNCOMPLETED                                                                                \
	"NOT a.email_verified AND a.erased_at IS NULL AND a.role = 'professional' "                \
	"AND a.legal_hold_at IS NULL AND a.created_at < now() - make_interval(days => $1::int)"

enum err db_uncompleted_registrations(PGconn *conn, int days, const char *only, size_t max,
				      char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	return db_due_ids(conn, DB_DUE_SQL(UNCOMPLETED), DB_STILL_DUE_SQL(UNCOMPLETED), days, only,
			  max, ids, ret_n);
}
