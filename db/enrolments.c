/*
 * enrolments.c - SQL for activity enrolments and their releases (see
 * enrolments.h). Every statement is parameterised; nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "enrolments.h"
#include "jsontext.h"
#include "validate.h"

/* clang-format off */
#define ITEM_SQL(e) \
	"jsonb_strip_nulls(jsonb_build_object('id', " e ".id, 'activity', " e ".activity, " \
	"'status', " e ".status, 'notice_version', " e ".notice_version, " \
	"'enrolled_at', " DB_RFC3339(e ".enrolled_at") ", " \
	"'completed_at', " DB_RFC3339(e ".completed_at") ", " \
	"'withdrawn_at', " DB_RFC3339(e ".withdrawn_at") "))"

/* $1 account, $2 activity, $3 notice version, $4 preview */
static const char insert_sql[] =
	"WITH e AS (INSERT INTO enrolments (account_id, activity, notice_version, preview) "
	"  VALUES ($1, $2, $3, $4::jsonb) RETURNING *), "
	"r AS (INSERT INTO enrolment_recipients (enrolment_id, recipient, role, fields) "
	"  SELECT e.id, p.recipient, p.role, ARRAY(SELECT jsonb_array_elements_text(p.fields)) "
	"  FROM e, jsonb_to_recordset($4::jsonb) AS p(recipient text, role text, fields jsonb)) "
	"SELECT " ITEM_SQL("e") "::text FROM e";

static const char list_sql[] =
	"SELECT coalesce(json_agg(" ITEM_SQL("e") " || jsonb_build_object('recipients', "
	"  e.preview) ORDER BY e.enrolled_at DESC, e.id), '[]')::text "
	"FROM enrolments e WHERE e.account_id = $1";

/* $1 account, $2 id */
static const char withdraw_sql[] =
	"WITH old AS (SELECT id, status, activity FROM enrolments "
	"  WHERE id = $2::uuid AND account_id = $1 FOR UPDATE), "
	"w AS (UPDATE enrolments SET status = 'withdrawn', withdrawn_at = now() "
	"  WHERE id IN (SELECT id FROM old WHERE status <> 'withdrawn') RETURNING id), "
	"c AS (UPDATE activity_releases SET cancelled_at = now(), last_error = 'withdrawn' "
	"  WHERE enrolment_id IN (SELECT id FROM w) AND delivered_at IS NULL "
	"  AND given_up_at IS NULL AND cancelled_at IS NULL) "
	"SELECT old.status, old.activity FROM old";

/* $1 subject, $2 recipient, $3 enrolment or NULL; each field once, in
 * the order the (first) enrolment stored it */
static const char fields_sql[] =
	"SELECT count(*) > 0, coalesce(json_agg(f ORDER BY n), '[]')::text FROM ("
	"  SELECT u.f, min(u.n) AS n FROM enrolments e "
	"  JOIN enrolment_recipients r ON r.enrolment_id = e.id "
	"  CROSS JOIN LATERAL unnest(r.fields) WITH ORDINALITY AS u(f, n) "
	"  WHERE e.account_id = $1 AND r.recipient = $2 AND e.status <> 'withdrawn' "
	"  AND ($3::uuid IS NULL OR e.id = $3::uuid) GROUP BY u.f) x";

static const char claim_sql[] =
	"UPDATE activity_releases d SET next_attempt_at = now() + $1 * interval '1 second' "
	"FROM enrolments e WHERE e.id = d.enrolment_id AND d.id = (SELECT r.id "
	"  FROM activity_releases r JOIN enrolments en ON en.id = r.enrolment_id "
	"  JOIN recipients rc ON rc.name = r.recipient "
	"  WHERE r.delivered_at IS NULL AND r.given_up_at IS NULL AND r.cancelled_at IS NULL "
	"  AND r.next_attempt_at <= now() AND en.status <> 'withdrawn' "
	"  AND rc.suspended_at IS NULL " /* the kill-switch holds queued releases too */
	"  ORDER BY r.next_attempt_at, r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED) "
	"RETURNING d.id, d.msg_id, d.enrolment_id, e.account_id, e.activity, d.recipient, "
	"d.completion_status, d.disclosure_id, array_to_json(d.fields)::text, d.attempts";

/* $1 id, $2 error (NULL: delivered); in SET, attempts is the old count */
static const char attempt_sql[] =
	"UPDATE activity_releases SET "
	"attempts = attempts + CASE WHEN $2::text IS NULL THEN 0 ELSE 1 END, "
	"delivered_at = CASE WHEN $2::text IS NULL THEN now() END, last_error = $2::text, "
	"given_up_at = CASE WHEN $2::text IS NOT NULL AND attempts + 1 >= "
	DB_STR(RELEASE_MAX_ATTEMPTS) " THEN now() END, "
	"next_attempt_at = now() + make_interval(secs => least(" DB_STR(RELEASE_BACKOFF_MAX_S)
	", power(2, attempts + 1))) "
	"WHERE id = $1::bigint RETURNING given_up_at IS NOT NULL";
/* clang-format on */

enum err db_enrolment_insert(PGconn *conn, const char *account, const char *activity,
			     const char *notice_version, json_t *preview, json_t **ret_item)
{
	char *text = json_text_dump(preview, JSON_COMPACT);
	const char *params[4] = {account, activity, notice_version, text};
	PGresult *res = NULL;
	json_t *item;
	enum err err;

	if (text == NULL)
		return ERR_NOMEM;
	err = db_exec_row(conn, insert_sql, 4, params, NULL, NULL, &res);
	free(text);
	if (err != ERR_OK)
		return err;
	item = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (item == NULL)
		return ERR_NOMEM;
	*ret_item = item;
	return ERR_OK;
}

enum err db_enrolments_list(PGconn *conn, const char *account, json_t **ret_items)
{
	const char *params[1] = {account};
	PGresult *res = NULL;
	json_t *items;
	enum err err = db_exec(conn, list_sql, 1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (items == NULL)
		return ERR_NOMEM;
	*ret_items = items;
	return ERR_OK;
}

enum err db_enrolment_withdraw(PGconn *conn, const char *account, const char *id,
			       char *ret_activity)
{
	const char *params[2] = {account, id};
	PGresult *res = NULL;
	enum err err;

	if (!validate_uuid(id))
		return ERR_NOT_FOUND;
	err = db_exec(conn, withdraw_sql, 2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	else if (strcmp(PQgetvalue(res, 0, 0), "withdrawn") == 0)
		err = ERR_CONFLICT;
	else
		snprintf(ret_activity, 64, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return err;
}

enum err db_enrolment_lock(PGconn *conn, const char *id, struct enrolment_state *ret_state)
{
	const char *params[1] = {id};
	PGresult *res = NULL;
	enum err err;

	if (!validate_uuid(id))
		return ERR_NOT_FOUND;
	err = db_exec_row(conn,
			  "SELECT account_id, activity, status FROM enrolments "
			  "WHERE id = $1::uuid FOR UPDATE",
			  1, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	snprintf(ret_state->account, sizeof(ret_state->account), "%s", PQgetvalue(res, 0, 0));
	snprintf(ret_state->activity, sizeof(ret_state->activity), "%s", PQgetvalue(res, 0, 1));
	snprintf(ret_state->status, sizeof(ret_state->status), "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	return ERR_OK;
}

enum err db_enrolment_complete(PGconn *conn, const char *id)
{
	const char *params[1] = {id};
	PGresult *res = NULL;
	enum err err = db_exec(conn,
			       "UPDATE enrolments SET status = 'completed', completed_at = now() "
			       "WHERE id = $1::uuid",
			       1, params, NULL, NULL, &res);

	PQclear(res);
	return err;
}

enum err db_enrolment_fields(PGconn *conn, const char *subject, const char *recipient,
			     const char *enrolment, json_t **ret_fields)
{
	const char *params[3] = {subject, recipient, enrolment};
	PGresult *res = NULL;
	json_t *fields = NULL;
	enum err err;

	if (enrolment != NULL && !validate_uuid(enrolment)) {
		*ret_fields = NULL;
		return ERR_OK;
	}
	err = db_exec(conn, fields_sql, 3, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQgetvalue(res, 0, 0)[0] == 't' &&
	    (fields = json_loads(PQgetvalue(res, 0, 1), 0, NULL)) == NULL)
		err = ERR_NOMEM;
	PQclear(res);
	if (err == ERR_OK)
		*ret_fields = fields;
	return err;
}

enum err db_release_queue(PGconn *conn, const char *enrolment, const char *recipient,
			  long long disclosure_id, json_t *fields, const char *completion_status)
{
	char *text = json_text_dump(fields, JSON_COMPACT), id[24];
	const char *params[5] = {enrolment, recipient, id, text, completion_status};
	PGresult *res = NULL;
	enum err err;

	if (text == NULL)
		return ERR_NOMEM;
	snprintf(id, sizeof(id), "%lld", disclosure_id);
	err = db_exec(
		conn,
		"INSERT INTO activity_releases (enrolment_id, recipient, disclosure_id, fields, "
		"completion_status) VALUES ($1::uuid, $2, $3::bigint, "
		"ARRAY(SELECT json_array_elements_text($4::json)), $5)",
		5, params, NULL, NULL, &res);
	free(text);
	PQclear(res);
	return err;
}

enum err db_release_claim(PGconn *conn, int lease_seconds, struct release_row *ret_row)
{
	char lease[16];
	const char *params[1] = {lease};
	struct release_row w = {0};
	PGresult *res = NULL;
	enum err err;

	snprintf(lease, sizeof(lease), "%d", lease_seconds);
	err = db_exec(conn, claim_sql, 1, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	w.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(w.msg_id, sizeof(w.msg_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(w.enrolment, sizeof(w.enrolment), "%s", PQgetvalue(res, 0, 2));
	snprintf(w.account, sizeof(w.account), "%s", PQgetvalue(res, 0, 3));
	snprintf(w.activity, sizeof(w.activity), "%s", PQgetvalue(res, 0, 4));
	snprintf(w.recipient, sizeof(w.recipient), "%s", PQgetvalue(res, 0, 5));
	snprintf(w.completion_status, sizeof(w.completion_status), "%s", PQgetvalue(res, 0, 6));
	w.disclosure_id = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
	w.fields = json_loads(PQgetvalue(res, 0, 8), 0, NULL);
	w.attempts = atoi(PQgetvalue(res, 0, 9));
	PQclear(res);
	if (w.fields == NULL)
		return ERR_NOMEM; /* due again after the lease */
	*ret_row = w;
	return ERR_OK;
}

enum err db_release_attempt(PGconn *conn, long long id, const char *error, bool *ret_given_up)
{
	char sid[24];
	const char *params[2] = {sid, error};
	PGresult *res = NULL;
	enum err err;

	snprintf(sid, sizeof(sid), "%lld", id);
	err = db_exec_row(conn, attempt_sql, 2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	*ret_given_up = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return ERR_OK;
}

enum err db_release_cancel(PGconn *conn, long long id, const char *why)
{
	char sid[24];
	const char *params[2] = {sid, why};
	PGresult *res = NULL;
	enum err err;

	snprintf(sid, sizeof(sid), "%lld", id);
	err = db_exec(conn,
		      "UPDATE activity_releases SET cancelled_at = now(), last_error = $2 "
		      "WHERE id = $1::bigint",
		      2, params, NULL, NULL, &res);
	PQclear(res);
	return err;
}

void release_row_release(struct release_row *row)
{
	json_decref(row->fields);
	row->fields = NULL;
}

enum err db_enrolment_account(PGconn *conn, const char *account, bool *ret_restricted,
			      char *ret_notice_version)
{
	const char *params[1] = {account};
	PGresult *res = NULL;
	enum err err = db_exec_row(conn,
				   "SELECT processing_restricted, notice_version FROM accounts "
				   "WHERE id = $1 AND erased_at IS NULL FOR UPDATE",
				   1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	*ret_restricted = PQgetvalue(res, 0, 0)[0] == 't';
	snprintf(ret_notice_version, 64, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return ERR_OK;
}

/* clang-format off */
/* A release's state, from the time that ended it. */
#define RELEASE_STATE                                                                              \
	"CASE WHEN r.delivered_at IS NOT NULL THEN 'delivered' "                                   \
	"WHEN r.given_up_at IS NOT NULL THEN 'given_up' "                                          \
	"WHEN r.cancelled_at IS NOT NULL THEN 'cancelled' ELSE 'pending' END"

static const char release_list_sql[] =
	"SELECT r.id, json_build_object('id', r.id, 'msg_id', r.msg_id, "
	"'recipient', r.recipient, 'activity', e.activity, 'enrolment', r.enrolment_id, "
	"'account_id', e.account_id, 'fields', r.fields, "
	"'completion_status', r.completion_status, 'disclosure_id', r.disclosure_id, "
	"'state', " RELEASE_STATE ", 'attempts', r.attempts, 'last_error', r.last_error, "
	"'next_attempt_at', CASE WHEN " RELEASE_STATE " = 'pending' "
	"  THEN " DB_RFC3339("r.next_attempt_at") " END, "
	"'ended_at', " DB_RFC3339("coalesce(r.delivered_at, r.given_up_at, r.cancelled_at)")
	")::text FROM activity_releases r JOIN enrolments e ON e.id = r.enrolment_id "
	"WHERE ($1::text IS NULL OR r.recipient = $1) "
	"AND ($2::text IS NULL OR " RELEASE_STATE " = $2) "
	"AND ($3::bigint = 0 OR r.id < $3::bigint) ORDER BY r.id DESC LIMIT $4::int";
/* clang-format on */

enum err db_release_list(PGconn *conn, const char *recipient, const char *state,
			 long long before_id, int limit, PGresult **ret_res)
{
	char before[24], lim[16];
	const char *params[4] = {recipient, state, before, lim};

	snprintf(before, sizeof(before), "%lld", before_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	return db_exec(conn, release_list_sql, 4, params, NULL, NULL, ret_res);
}
