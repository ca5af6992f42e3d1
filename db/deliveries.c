/*
 * deliveries.c - SQL for status webhooks (see deliveries.h). Every statement
 * is parameterised; nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "deliveries.h"

const char *const db_webhook_events[] = {
	WEBHOOK_ACCOUNT_CREATED, WEBHOOK_ACCOUNT_EMAIL_VERIFIED,
	"account.verified",      "account.flagged",
	"account.approved",      "account.rejected",
	"account.suspended",     "account.reinstated",
	WEBHOOK_ACCOUNT_ERASED,  NULL,
};

/* clang-format off */
/* $1 account, $2 type, $3 the change's reason (or NULL). The status is
 * read as the transaction sees it: after the change it tells of. */
static const char queue_sql[] =
	"INSERT INTO webhook_deliveries (endpoint, account_id, type, status, reasons) "
	"SELECT w.name, a.id, $2, a.status, ARRAY("
	"  SELECT r FROM (SELECT $3::text AS r, 0 AS o WHERE $3::text IS NOT NULL "
	"  UNION ALL SELECT v.verifier || ':' || v.outcome, 1 FROM ("
	"    SELECT DISTINCT ON (verifier) verifier, outcome FROM verifications "
	"    WHERE account_id = a.id ORDER BY verifier, id DESC) v "
	"    WHERE v.outcome <> 'verified' AND a.status IN ('flagged', 'suspended')) x "
	"  ORDER BY o, r) "
	"FROM accounts a, webhook_endpoints w "
	"WHERE a.id = $1 AND w.active AND $2 = ANY (w.events) ORDER BY w.name";

/* $1 the endpoint names this process sends to, $2 how many, $3 lease */
static const char claim_sql[] =
	"UPDATE webhook_deliveries d SET next_attempt_at = now() + $3 * interval '1 second' "
	"WHERE d.id IN (SELECT w.id FROM webhook_deliveries w "
	"  WHERE w.delivered_at IS NULL AND w.given_up_at IS NULL "
	"  AND w.next_attempt_at <= now() AND w.endpoint = ANY ($1::text[]) "
	"  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint = w.endpoint "
	"    AND e.account_id = w.account_id AND e.id < w.id "
	"    AND e.delivered_at IS NULL AND e.given_up_at IS NULL) "
	"  ORDER BY w.next_attempt_at, w.id LIMIT $2::int FOR UPDATE SKIP LOCKED) "
	"RETURNING d.id, d.msg_id, d.endpoint, d.account_id, d.type, d.status, "
	DB_RFC3339("d.occurred_at") ", array_to_json(d.reasons)::text, d.attempts";

/* $1 delivery, $2 HTTP status (0: none), $3 error (NULL: delivered),
 * $4 milliseconds. In SET, attempts is the old count. */
static const char attempt_sql[] =
	"WITH a AS (INSERT INTO webhook_attempts (delivery_id, http_status, error, duration_ms) "
	"  VALUES ($1, nullif($2::int, 0), $3, $4::int)) "
	"UPDATE webhook_deliveries SET attempts = attempts + CASE WHEN $3 IS NULL THEN 0 ELSE 1 END, "
	"delivered_at = CASE WHEN $3 IS NULL THEN now() END, last_error = $3, "
	"given_up_at = CASE WHEN $3 IS NOT NULL AND attempts + 1 >= "
	DB_STR(WEBHOOK_MAX_ATTEMPTS) " THEN now() END, "
	"next_attempt_at = now() + make_interval(secs => least(" DB_STR(WEBHOOK_BACKOFF_MAX_S)
	", power(2, attempts + 1)) * (0.9 + random() * 0.2)) "
	"WHERE id = $1 RETURNING given_up_at IS NOT NULL";

/* $1 endpoint or NULL, $2 below this id (0: none), $3 how many */
static const char list_sql[] =
	"SELECT d.id, json_build_object('id', d.id, 'msg_id', d.msg_id, 'endpoint', d.endpoint, "
	"'type', d.type, 'account_id', d.account_id, 'status', d.status, "
	"'reasons', d.reasons, 'occurred_at', " DB_RFC3339("d.occurred_at") ", "
	"'state', CASE WHEN d.delivered_at IS NOT NULL THEN 'delivered' "
	"  WHEN d.given_up_at IS NOT NULL THEN 'given_up' ELSE 'pending' END, "
	"'attempts', (SELECT coalesce(json_agg(json_build_object("
	"  'attempted_at', " DB_RFC3339("t.attempted_at") ", 'http_status', t.http_status, "
	"  'error', t.error, 'duration_ms', t.duration_ms) ORDER BY t.id), '[]') "
	"  FROM webhook_attempts t WHERE t.delivery_id = d.id))::text "
	"FROM webhook_deliveries d WHERE ($1::text IS NULL OR d.endpoint = $1) "
	"AND ($2::bigint = 0 OR d.id < $2::bigint) ORDER BY d.id DESC LIMIT $3::int";
/* clang-format on */

enum err db_webhook_queue(PGconn *conn, const char *account_id, const char *type,
			  const char *reason)
{
	const char *params[3] = {account_id, type, reason};

	return db_exec(conn, queue_sql, 3, params, NULL, NULL, NULL);
}

enum err db_webhook_endpoints_sync(PGconn *conn, const char *endpoints_json)
{
	const char *params[1] = {endpoints_json};
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_exec(conn,
			      "INSERT INTO webhook_endpoints (name, events) "
			      "SELECT e.name, ARRAY(SELECT json_array_elements_text(e.events)) "
			      "FROM json_to_recordset($1::json) AS e(name text, events json) "
			      "ON CONFLICT (name) DO UPDATE SET events = excluded.events, "
			      "active = true, updated_at = now()",
			      1, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_exec(conn,
			      "UPDATE webhook_endpoints SET active = false, updated_at = now() "
			      "WHERE active AND name NOT IN (SELECT e.name FROM "
			      "json_to_recordset($1::json) AS e(name text))",
			      1, params, NULL, NULL, NULL);
	return db_end(conn, err);
}

enum err db_webhook_claim(PGconn *conn, const char *names_literal, int max, int lease_seconds,
			  struct webhook_row **ret_rows, size_t *ret_n)
{
	char limit[16], lease[16];
	const char *params[3] = {names_literal, limit, lease};
	struct webhook_row *rows = NULL;
	PGresult *res;
	size_t n = 0;
	enum err err;

	snprintf(limit, sizeof(limit), "%d", max);
	snprintf(lease, sizeof(lease), "%d", lease_seconds);
	err = db_exec(conn, claim_sql, 3, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) > 0 && (rows = calloc((size_t)PQntuples(res), sizeof(*rows))) == NULL)
		err = ERR_NOMEM;
	for (; err == ERR_OK && n < (size_t)PQntuples(res); n++) {
		struct webhook_row *w = &rows[n];
		int i = (int)n;

		w->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		snprintf(w->msg_id, sizeof(w->msg_id), "%s", PQgetvalue(res, i, 1));
		snprintf(w->endpoint, sizeof(w->endpoint), "%s", PQgetvalue(res, i, 2));
		snprintf(w->account_id, sizeof(w->account_id), "%s", PQgetvalue(res, i, 3));
		snprintf(w->type, sizeof(w->type), "%s", PQgetvalue(res, i, 4));
		snprintf(w->status, sizeof(w->status), "%s", PQgetvalue(res, i, 5));
		snprintf(w->occurred_at, sizeof(w->occurred_at), "%s", PQgetvalue(res, i, 6));
		w->attempts = atoi(PQgetvalue(res, i, 8));
		if ((w->reasons_json = strdup(PQgetvalue(res, i, 7))) == NULL)
			err = ERR_NOMEM;
	}
	PQclear(res);
	if (err != ERR_OK) { /* the rows claimed are due again after the lease */
		webhook_rows_free(rows, n);
		return err;
	}
	*ret_rows = rows;
	*ret_n = n;
	return ERR_OK;
}

enum err db_webhook_attempt(PGconn *conn, long long id, long http_status, const char *error,
			    int duration_ms, bool *ret_given_up)
{
	char sid[24], status[16], ms[16];
	const char *params[4] = {sid, status, error, ms};
	PGresult *res;
	enum err err;

	snprintf(sid, sizeof(sid), "%lld", id);
	snprintf(status, sizeof(status), "%ld", http_status);
	snprintf(ms, sizeof(ms), "%d", duration_ms);
	err = db_exec(conn, attempt_sql, 4, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 1)
		*ret_given_up = PQgetvalue(res, 0, 0)[0] == 't';
	else
		err = ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum err db_webhook_release(PGconn *conn, long long id)
{
	char sid[24];
	const char *params[1] = {sid};

	snprintf(sid, sizeof(sid), "%lld", id);
	return db_exec(conn, "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1",
		       1, params, NULL, NULL, NULL);
}

void webhook_rows_free(struct webhook_row *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].reasons_json);
	free(rows);
}

enum err db_webhook_list(PGconn *conn, const char *endpoint, long long before_id, int limit,
			 PGresult **ret_res)
{
	char before[24], lim[16];
	const char *params[3] = {endpoint, before, lim};

	snprintf(before, sizeof(before), "%lld", before_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	return db_exec(conn, list_sql, 3, params, NULL, NULL, ret_res);
}
