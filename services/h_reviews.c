/*
 * h_reviews.c - admin review: the queue (GET /v1/admin/reviews), one item
 * (GET /v1/admin/reviews/{id}), decisions (POST .../decision), and the
 * professional's side of a request for information (GET /v1/me/review,
 * POST /v1/me/review-response). The rules are in review.h.
 *
 * Every view of an item and every decision is appended to the audit log
 * in the transaction that read or changed it, and every read of the queue
 * ("review.list", with its filters) before the page is sent: nothing is
 * shown or decided without its record. A decision names the ETag it was made on; the ETag
 * is recomputed under the account's row lock, so of two admins deciding
 * one item exactly one wins and the other gets 412. Replies hold personal
 * values; logs never do.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "audit.h"
#include "catalogue.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "mailer.h"
#include "outbox.h"
#include "paging.h"
#include "problem.h"
#include "review.h"
#include "reviews.h"
#include "validate.h"
#include "vault.h"

static bool one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Checks the queue's query string into q; a problem's detail otherwise. */
static const char *queue_query(struct req *r, struct review_query *q, char after_id[UUID_STR_LEN])
{
	static const char *const names[] = {"status", "country", "profession", "waiting_for",
					    "cursor", "limit",   "reason",     NULL};
	static const char *const statuses[] = {"flagged", "suspended", "approved", "rejected",
					       NULL};
	static const char *const waiting[] = {"admin", "professional", NULL};
	const char *v[7], *why = NULL;

	if (http_query(r, names, v, &why) != ERR_OK)
		return why;
	q->status = v[0] != NULL ? v[0] : "flagged";
	q->country = v[1];
	q->profession = v[2];
	q->waiting_for = v[3];
	q->reason = v[6];
	q->after = v[4] != NULL;
	q->after_id = after_id;
	if (!one_of(q->status, statuses))
		return "status must be flagged, suspended, approved or rejected";
	if (v[1] != NULL && !validate_country(v[1]))
		return "country must be an ISO 3166-1 alpha-2 code such as US";
	if (v[2] != NULL && !catalogue_profession_known(r->app->catalogue, v[2]))
		return "profession must be one of the catalogue's professions";
	if (v[3] != NULL && !one_of(v[3], waiting))
		return "waiting_for must be admin or professional";
	if (v[6] != NULL && !validate_token(v[6], '_', 64))
		return "reason must be a reason code such as manual_check or mismatch";
	return paging_query(v[4], v[5], &q->after_us, after_id, &q->limit);
}

static json_t *queue_item(PGresult *res, int row)
{
	json_t *reasons = json_loads(PQgetvalue(res, row, RQ_REASONS), 0, NULL);

	return json_pack("{s:s, s:s, s:s?, s:I, s:s, s:s?, s:s?, s:o}", "id",
			 PQgetvalue(res, row, RQ_ID), "status", PQgetvalue(res, row, RQ_STATUS),
			 "waiting_for", db_cell_text(res, row, RQ_WAITING_FOR), "waiting_seconds",
			 (json_int_t)strtoll(PQgetvalue(res, row, RQ_WAITING_SECONDS), NULL, 10),
			 "status_changed_at", PQgetvalue(res, row, RQ_STATUS_CHANGED_AT), "country",
			 db_cell_text(res, row, RQ_COUNTRY), "profession",
			 db_cell_text(res, row, RQ_PROFESSION), "reasons",
			 reasons != NULL ? reasons : json_array());
}

enum MHD_Result h_review_list(struct req *r)
{
	struct review_query q = {0};
	char after_id[UUID_STR_LEN] = "";
	const char *why = queue_query(r, &q, after_id);
	json_t *body, *filters;
	PGresult *res = NULL;
	PGconn *conn;
	enum err err;

	if (why != NULL)
		return problem_send(r, 400, "bad-request", why);
	/* what was asked for, never what was shown: no personal value */
	filters = json_pack("{s:s, s:s?, s:s?, s:s?, s:b, s:i}", "status", q.status, "country",
			    q.country, "profession", q.profession, "waiting_for", q.waiting_for,
			    "cursor", q.after, "limit", q.limit);
	if (filters != NULL && q.reason != NULL &&
	    json_object_set_new(filters, "reason", json_string(q.reason)) != 0) {
		json_decref(filters);
		filters = NULL;
	}
	if (filters == NULL)
		return problem_from_err(r, ERR_NOMEM);
	q.limit++; /* one more than shown: is there a next page? */
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_review_queue(conn, &q, &res);
		/* the page goes out only with its record */
		if (err == ERR_OK)
			err = db_audit_append(conn, &(struct audit_entry){
							    .actor = r->auth.sub,
							    .action = "review.list",
							    .request_id = r->id,
							    .details = filters,
						    });
		db_release(r->app->db, conn);
	}
	json_decref(filters);
	if (err != ERR_OK) {
		PQclear(res);
		return problem_from_err(r, err);
	}
	body = paging_reply(res, q.limit - 1, queue_item, RQ_CHANGED_US, RQ_ID);
	PQclear(res);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, body, NULL);
}

/* An admin's reason about the item's professional, sealed with their
 * data key for each place it is kept (an erasure then shreds both). */
struct sealed_reason {
	unsigned char *decision, *audit;
	size_t decision_len, audit_len;
};

static enum err seal_reason(const unsigned char key[CRYPTO_KEY_LEN], const char *id,
			    const char *reason, struct sealed_reason *ret)
{
	enum err err = vault_seal(key, id, "decision_reason", reason, strlen(reason),
				  &ret->decision, &ret->decision_len);

	if (err == ERR_OK)
		err = vault_seal(key, id, "audit_reason", reason, strlen(reason), &ret->audit,
				 &ret->audit_len);
	return err;
}

static void sealed_reason_release(struct sealed_reason *s)
{
	free(s->decision);
	free(s->audit);
}

/* Appends the caller's action on the item to the audit log, in the
 * transaction open on conn; reason may be NULL. */
static enum err audit_item_action(struct req *r, PGconn *conn, const char *action,
				  const struct sealed_reason *reason, json_t *details)
{
	return db_audit_append(conn,
			       &(struct audit_entry){
				       .actor = r->auth.sub,
				       .action = action,
				       .target = r->param,
				       .reason_enc = reason != NULL ? reason->audit : NULL,
				       .reason_enc_len = reason != NULL ? reason->audit_len : 0,
				       .request_id = r->id,
				       .details = details,
			       });
}

/* The path's item id: a UUID, else there is no such item. */
static bool item_id_ok(struct req *r)
{
	return validate_uuid(r->param);
}

/* The item's data key, opened before the transaction that reads the item
 * (the keystore is never read inside one): *ret_have is false once the
 * account is erased, or when there is no such account (the item's read
 * then says so). */
static enum err item_key(struct req *r, PGconn *conn, unsigned char key[CRYPTO_KEY_LEN],
			 bool *ret_have)
{
	enum err err = vault_account_key_by_id(r->app, conn, r->param, key);

	*ret_have = err == ERR_OK;
	return err == ERR_NOT_FOUND ? ERR_OK : err;
}

enum MHD_Result h_review_get(struct req *r)
{
	static const char *const none[] = {NULL};
	struct review_rows rows = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	bool have_key;
	char etag[REVIEW_ETAG_LEN];
	json_t *body = NULL, *details = NULL;
	const char *why;
	PGconn *conn;
	enum err err;

	if (http_query(r, none, NULL, &why) != ERR_OK)
		return problem_send(r, 400, "bad-request", why);
	if (!item_id_ok(r))
		return problem_send(r, 404, "not-found", "no such review item");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = item_key(r, conn, key, &have_key);
	/* one snapshot for every part of the item, and the view's record */
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = db_command(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
	if (err == ERR_OK) {
		err = db_review_load(conn, r->param, &rows);
		if (err == ERR_OK)
			err = review_build(have_key ? key : NULL, &rows, r->app->verifiers, &body,
					   etag);
		if (err == ERR_OK && (details = json_pack("{s:s}", "etag", etag)) == NULL)
			err = ERR_NOMEM;
		if (err == ERR_OK)
			err = audit_item_action(r, conn, "review.view", NULL, details);
	}
	err = db_end(conn, err);
	db_release(r->app->db, conn);
	explicit_bzero(key, sizeof(key));
	review_rows_release(&rows);
	json_decref(details);
	if (err != ERR_OK) {
		json_decref(body);
		return err == ERR_NOT_FOUND
			       ? problem_send(r, 404, "not-found", "no such review item")
			       : problem_from_err(r, err);
	}
	http_add_header(r, "ETag", "%s", etag);
	return http_reply_json(r, 200, body, NULL);
}

/* The notice a decision mails to the professional. */
static const char *notice_kind(const char *decision)
{
	if (strcmp(decision, "approve") == 0)
		return OUTBOX_REVIEW_APPROVED;
	if (strcmp(decision, "reject") == 0)
		return OUTBOX_REVIEW_REJECTED;
	return OUTBOX_REVIEW_INFO_REQUESTED;
}

/* Appends to errors what is wrong with the text of field (a reason or an
 * answer), if anything; NULL text was reported already. */
static void check_text(json_t *errors, const char *field, const char *text)
{
	const char *problem = text != NULL ? review_text_problem(text) : NULL;

	if (problem != NULL)
		json_error_add(errors, field, problem,
			       "use 1 to 2000 characters of text, not only white space, "
			       "without control characters other than line feed and tab");
}

/* Does the decision ask the professional for a licence document? */
static bool document_requested(struct req *r)
{
	return json_is_true(json_object_get(r->json, "document_requested"));
}

/* Checks a decision's body; problems go to errors. */
static void check_decision(struct req *r, json_t *errors)
{
	static const char *const keys[] = {"decision", "reason", "document_requested", NULL};
	static const char *const decisions[] = {"approve", "reject", "request_info", NULL};
	json_t *asks = json_object_get(r->json, "document_requested");
	const char *decision, *reason;

	json_body_check_keys(r->json, keys, errors);
	json_body_require_strings(r->json, (const char *const[]){"decision", "reason", NULL},
				  errors);
	decision = json_string_value(json_object_get(r->json, "decision"));
	reason = json_string_value(json_object_get(r->json, "reason"));
	if (decision != NULL && !one_of(decision, decisions))
		json_error_add(errors, "decision", "invalid",
			       "decision must be approve, reject or request_info");
	check_text(errors, "reason", reason);
	if (asks != NULL && !json_is_boolean(asks))
		json_error_add(errors, "document_requested", "type",
			       "document_requested must be true or false");
	else if (json_is_true(asks) && decision != NULL && strcmp(decision, "request_info") != 0)
		json_error_add(errors, "document_requested", "invalid",
			       "only request_info can ask for a document");
}

/* A decision in progress: what the transaction found and did. */
struct deciding {
	struct review_rows rows;
	json_t *body; /* the item as it was under the lock */
	char etag[REVIEW_ETAG_LEN];
	enum account_status from, to;
	enum status_event event;
	const char *why;
	bool awaiting;
	bool stale; /* If-Match does not name the current ETag */
	long long decision_id;
	char decided_at[40];
};

/* The decision's transaction. ERR_CONFLICT with d->stale when if_match
 * does not name the current ETag, or with d->why for a decision that does
 * not apply. */
static enum err decide(struct req *r, PGconn *conn, const char *if_match, struct deciding *d)
{
	const char *decision = json_string_value(json_object_get(r->json, "decision"));
	const char *reason = json_string_value(json_object_get(r->json, "reason"));
	struct sealed_reason sealed = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	bool have_key;
	json_t *details = NULL;
	enum err err = item_key(r, conn, key, &have_key);

	/* the reason, sealed before the transaction: nothing once erased */
	if (err == ERR_OK && have_key)
		err = seal_reason(key, r->param, reason, &sealed);
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err != ERR_OK) {
		explicit_bzero(key, sizeof(key));
		sealed_reason_release(&sealed);
		return err;
	}
	err = db_review_lock(conn, r->param);
	/* after the lock, so this sees every decision committed before it */
	if (err == ERR_OK)
		err = db_review_load(conn, r->param, &d->rows);
	if (err == ERR_OK)
		err = review_build(have_key ? key : NULL, &d->rows, r->app->verifiers, &d->body,
				   d->etag);
	explicit_bzero(key, sizeof(key));
	if (err == ERR_OK && !review_etag_matches(if_match, d->etag)) {
		d->stale = true;
		err = ERR_CONFLICT;
	}
	if (err == ERR_OK && !status_parse(d->rows.status, &d->from))
		err = ERR_DB;
	if (err == ERR_OK)
		err = review_transition(d->from, d->rows.email_verified, decision, &d->event,
					&d->to, &d->why);
	d->awaiting = d->event == EVENT_REQUEST_INFO;
	if (err == ERR_OK)
		err = db_review_decide(conn,
				       &(struct review_decision){
					       .account_id = r->param,
					       .admin_id = r->auth.sub,
					       .decision = decision,
					       .reason_enc = sealed.decision,
					       .reason_enc_len = sealed.decision_len,
					       .from = d->from,
					       .event = d->event,
					       .awaiting_professional = d->awaiting,
					       .document_requested = document_requested(r),
					       .request_id = r->id,
				       },
				       &d->decision_id, d->decided_at);
	if (err == ERR_OK &&
	    (details = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}", "decision", decision,
				 "from_status", d->rows.status, "to_status", status_name(d->to),
				 "decision_id", (json_int_t)d->decision_id, "etag", d->etag,
				 "document_requested", document_requested(r))) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = audit_item_action(r, conn, "review.decide", &sealed, details);
	if (err == ERR_OK)
		err = mailer_notice_queue(conn, d->rows.account.id, notice_kind(decision));
	json_decref(details);
	sealed_reason_release(&sealed);
	return db_end(conn, err);
}

enum MHD_Result h_review_decide(struct req *r)
{
	const char *if_match = http_header(r, "If-Match");
	struct deciding d = {0};
	json_t *errors, *reply = NULL;
	PGconn *conn;
	enum MHD_Result ret;
	enum err err;

	if (!item_id_ok(r))
		return problem_send(r, 404, "not-found", "no such review item");
	if (if_match == NULL)
		return problem_send(r, 428, "precondition-required",
				    "send the ETag of the item as you read it in If-Match");
	errors = json_array();
	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	check_decision(r, errors);
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = decide(r, conn, if_match, &d);
		db_release(r->app->db, conn);
	}
	if (err == ERR_OK)
		reply = json_pack(
			"{s:s, s:s, s:s?, s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b}}", "id",
			r->param, "status", status_name(d.to), "waiting_for",
			status_in_review(d.to) ? (d.awaiting ? "professional" : "admin") : NULL,
			"decision", "id", (json_int_t)d.decision_id, "admin_id", r->auth.sub,
			"decision", json_string_value(json_object_get(r->json, "decision")),
			"reason", json_string_value(json_object_get(r->json, "reason")),
			"from_status", d.rows.status, "to_status", status_name(d.to), "decided_at",
			d.decided_at, "document_requested", document_requested(r));
	if (err == ERR_OK && reply == NULL)
		err = ERR_NOMEM;
	if (err == ERR_NOT_FOUND)
		ret = problem_send(r, 404, "not-found", "no such review item");
	else if (err == ERR_CONFLICT && d.stale)
		ret = problem_send(r, 412, "precondition-failed",
				   "the item has changed since it was read: read it again, "
				   "then decide");
	else if (err == ERR_CONFLICT)
		ret = problem_send(r, 409, "conflict", d.why);
	else if (err != ERR_OK)
		ret = problem_from_err(r, err);
	else
		ret = http_reply_json(r, 200, reply, NULL);
	json_decref(d.body);
	review_rows_release(&d.rows);
	return ret;
}

enum MHD_Result h_me_review_get(struct req *r)
{
	struct review_mine mine = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	char *question = NULL;
	json_t *body;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_review_mine(conn, r->auth.sub, &mine);
		if (err == ERR_OK && mine.question_enc != NULL)
			err = vault_account_key_by_id(r->app, conn, r->auth.sub, key);
		db_release(r->app->db, conn);
	}
	if (err == ERR_OK && mine.question_enc != NULL)
		err = vault_open(key, r->auth.sub, "decision_reason", mine.question_enc,
				 mine.question_enc_len, &question, &(size_t){0});
	explicit_bzero(key, sizeof(key));
	PQfreemem(mine.question_enc);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	body = json_pack("{s:s, s:b, s:s?, s:s?, s:b}", "status", mine.status, "waiting_for_you",
			 mine.awaiting, "question", question, "asked_at",
			 question != NULL ? mine.asked_at : NULL, "document_requested",
			 mine.document_requested);
	vault_wipe_free(question);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, body, NULL);
}

enum MHD_Result h_me_review_respond(struct req *r)
{
	static const char *const keys[] = {"message", NULL};
	struct account_row row = {0};
	unsigned char key[CRYPTO_KEY_LEN], *enc = NULL;
	json_t *errors = json_array();
	const char *message;
	size_t len = 0;
	PGconn *conn;
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	json_body_check_keys(r->json, keys, errors);
	json_body_require_strings(r->json, keys, errors);
	message = json_string_value(json_object_get(r->json, "message"));
	check_text(errors, "message", message);
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_account_get(conn, r->auth.sub, &row);
	if (err == ERR_OK) /* ERR_NOT_FOUND once erased */
		err = vault_open_profile(r->app, &row.sealed, key, NULL, NULL);
	if (err == ERR_OK)
		err = vault_seal(key, r->auth.sub, "review_response", message, strlen(message),
				 &enc, &len);
	explicit_bzero(key, sizeof(key));
	if (err == ERR_OK)
		err = db_review_respond(conn, r->auth.sub, enc, len);
	db_release(r->app->db, conn);
	account_row_release(&row);
	free(enc);
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict",
				    "no question from an admin awaits your answer");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}
