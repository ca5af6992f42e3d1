/*
 * accounts_search.c - blind index rows, the duplicate identifier check
 * and the account search (see accounts_search.h). Every value arrives as
 * an index; field names are catalogue names, checked by the table's
 * CHECK constraint as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts_search.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "status.h"

/* idx as two PostgreSQL array literals: field names and hex indexes.
 * Names are [a-z0-9_] and hex is [0-9a-f], so neither needs quoting. */
static enum err index_arrays(const struct field_indexes *idx, char **ret_fields, char **ret_bidx)
{
	char *fields = malloc(idx->n * 50 + 3), *bidx = malloc(idx->n * 66 + 3);
	size_t nf = 0, nb = 0;

	if (fields == NULL || bidx == NULL) {
		free(fields);
		free(bidx);
		return ERR_NOMEM;
	}
	fields[nf++] = '{';
	bidx[nb++] = '{';
	for (size_t i = 0; i < idx->n; i++) {
		nf += (size_t)snprintf(fields + nf, 50, "%s%.47s", i > 0 ? "," : "",
				       idx->e[i].field);
		if (i > 0)
			bidx[nb++] = ',';
		crypto_hex(idx->e[i].bidx, 32, bidx + nb);
		nb += 64;
	}
	fields[nf++] = '}';
	fields[nf] = '\0';
	bidx[nb++] = '}';
	bidx[nb] = '\0';
	*ret_fields = fields;
	*ret_bidx = bidx;
	return ERR_OK;
}

enum err db_search_index_write(PGconn *conn, const char *id, const struct field_indexes *idx)
{
	char *fields = NULL, *bidx = NULL;
	const char *params[3] = {id};
	enum err err = index_arrays(idx, &fields, &bidx);

	if (err == ERR_OK)
		err = db_exec(conn, "DELETE FROM account_search_index WHERE account_id = $1", 1,
			      params, NULL, NULL, NULL);
	params[1] = fields;
	params[2] = bidx;
	if (err == ERR_OK && idx->n > 0)
		err = db_exec(conn,
			      "INSERT INTO account_search_index (account_id, field, bidx) "
			      "SELECT $1, f, decode(b, 'hex') FROM unnest($2::text[], $3::text[]) "
			      "AS u(f, b)",
			      3, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_exec(conn, "UPDATE accounts SET search_indexed = true WHERE id = $1", 1,
			      params, NULL, NULL, NULL);
	free(fields);
	free(bidx);
	return err;
}

/* Moves account id by EVENT_DUPLICATE_IDENTIFIER and tells the audit log
 * which field it shares with which account. A status the table keeps
 * (rejected, or gone meanwhile) is left alone. */
static enum err flag_one(PGconn *conn, const char *id, const char *field, const char *other,
			 int *flagged)
{
	enum account_status from;
	json_t *details = json_pack("{s:s, s:s}", "field", field, "other_account", other);
	enum err err = details != NULL ? db_account_lock_status(conn, id, &from) : ERR_NOMEM;

	if (err == ERR_OK)
		err = db_account_set_status(conn, id, from, EVENT_DUPLICATE_IDENTIFIER,
					    "duplicate_identifier", NULL);
	if (err == ERR_OK) {
		(*flagged)++;
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = AUDIT_ACTOR_SYSTEM,
						    .action = "account.duplicate_identifier",
						    .target = id,
						    .details = details,
					    });
	}
	json_decref(details);
	return err == ERR_CONFLICT || err == ERR_NOT_FOUND ? ERR_OK : err;
}

enum err db_identifier_duplicates(PGconn *conn, const char *id, const char *within,
				  int *ret_flagged)
{
	const char *params[2] = {id, within};
	PGresult *res = NULL;
	int flagged = 0, n;
	enum err err;

	/* one identifier value at a time, in a fixed order: a registration
	 * of the same value waits here, then sees this one committed */
	err = db_exec(conn,
		      "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT "
		      "hashtextextended(field || ':' || encode(bidx, 'hex'), 21) AS k "
		      "FROM account_search_index WHERE account_id = $1 AND field IN "
		      "(SELECT jsonb_object_keys($2::jsonb)) ORDER BY k) AS l",
		      2, params, NULL, NULL, &res);
	PQclear(res);
	res = NULL;
	if (err == ERR_OK)
		err = db_exec(
			conn,
			"SELECT o.account_id, o.field FROM account_search_index m "
			"JOIN account_search_index o ON o.field = m.field AND o.bidx = m.bidx "
			"AND o.account_id <> m.account_id "
			"JOIN accounts me ON me.id = m.account_id "
			"JOIN accounts a ON a.id = o.account_id "
			"WHERE m.account_id = $1 AND $2::jsonb ? m.field "
			"AND a.role = 'professional' AND a.data_key IS NOT NULL "
			"AND a.status <> 'rejected' AND me.status <> 'rejected' AND NOT EXISTS "
			"(SELECT 1 FROM "
			"jsonb_array_elements_text($2::jsonb -> m.field) AS w(f) "
			"WHERE a.profile_public ->> w.f IS DISTINCT FROM me.profile_public ->> "
			"w.f) "
			"ORDER BY o.account_id LIMIT " SEARCH_DUPES_SQL_LIMIT,
			2, params, NULL, NULL, &res);
	n = err == ERR_OK ? PQntuples(res) : 0;
	if (n > 0)
		err = flag_one(conn, id, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), &flagged);
	for (int i = 0; err == ERR_OK && i < n; i++)
		err = flag_one(conn, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), id, &flagged);
	PQclear(res);
	if (err == ERR_OK && ret_flagged != NULL)
		*ret_flagged = flagged;
	return err;
}

enum err db_search_unindexed(PGconn *conn, size_t max, struct sealed_account *sealed, size_t *ret_n)
{
	char limit[24];
	const char *params[1] = {limit};
	PGresult *res = NULL;
	size_t n = 0;
	enum err err;

	snprintf(limit, sizeof(limit), "%zu", max);
	err = db_exec(conn,
		      "SELECT " SEALED_COLUMNS("") " FROM accounts WHERE NOT search_indexed "
						   "ORDER BY id LIMIT $1::int",
		      1, params, NULL, NULL, &res);
	for (int i = 0; err == ERR_OK && i < PQntuples(res); i++) {
		err = db_sealed_read(res, i, 0, &sealed[n]);
		if (err == ERR_OK)
			n++;
	}
	PQclear(res);
	if (err != ERR_OK) {
		while (n > 0)
			sealed_account_release(&sealed[--n]);
		return err;
	}
	*ret_n = n;
	return ERR_OK;
}

/* Appends " AND <cond>" with its one parameter; cond names it $%d. */
static void where(char *sql, size_t size, const char **params, int *n, const char *cond,
		  const char *value)
{
	size_t len = strlen(sql);

	params[*n] = value;
	(*n)++;
	snprintf(sql + len, size - len, " AND ");
	len = strlen(sql);
	snprintf(sql + len, size - len, cond, *n);
}

enum err db_account_search(PGconn *conn, const struct account_query *q, PGresult **ret_res)
{
	/* each index as two parameters: field and hex, and a few more */
	const char *params[2 * SEARCH_FIELDS_MAX + 16];
	char sql[8192], bidx_hex[SEARCH_FIELDS_MAX + 1][65], cursor[2][40], limit[16];
	int n = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT a.id, a.status, a.status_reason, a.profile_public->>'country', "
		 "a.profile_public->>'profession', a.email_verified, " DB_RFC3339(
			 "a.created_at") ", "
					 "(extract(epoch FROM a.created_at) * 1000000)::bigint%s "
					 "FROM accounts a WHERE a.role = 'professional' AND "
					 "a.data_key IS NOT NULL",
		 q->sealed ? ", " SEALED_COLUMNS("a.") : "");
	if (q->email_bidx != NULL) {
		crypto_hex(q->email_bidx, 32, bidx_hex[SEARCH_FIELDS_MAX]);
		where(sql, sizeof(sql), params, &n, "a.email_bidx = decode($%d, 'hex')",
		      bidx_hex[SEARCH_FIELDS_MAX]);
	}
	for (size_t i = 0; q->idx != NULL && i < q->idx->n; i++) {
		size_t len = strlen(sql);

		crypto_hex(q->idx->e[i].bidx, 32, bidx_hex[i]);
		params[n++] = q->idx->e[i].field;
		params[n++] = bidx_hex[i];
		snprintf(sql + len, sizeof(sql) - len,
			 " AND EXISTS (SELECT 1 FROM account_search_index s WHERE s.account_id = "
			 "a.id AND s.field = $%d AND s.bidx = decode($%d, 'hex'))",
			 n - 1, n);
	}
	if (q->status != NULL)
		where(sql, sizeof(sql), params, &n, "a.status = $%d", q->status);
	if (q->country != NULL)
		where(sql, sizeof(sql), params, &n, "a.profile_public->>'country' = $%d",
		      q->country);
	if (q->profession != NULL)
		where(sql, sizeof(sql), params, &n, "a.profile_public->>'profession' = $%d",
		      q->profession);
	if (q->reason != NULL)
		where(sql, sizeof(sql), params, &n, "a.status_reason = $%d", q->reason);
	if (q->created_after != NULL)
		where(sql, sizeof(sql), params, &n,
		      "a.created_at >= ($%d::date)::timestamp AT TIME ZONE 'UTC'",
		      q->created_after);
	if (q->created_before != NULL)
		where(sql, sizeof(sql), params, &n,
		      "a.created_at < ($%d::date)::timestamp AT TIME ZONE 'UTC'",
		      q->created_before);
	if (q->after) {
		size_t len = strlen(sql);

		snprintf(cursor[0], sizeof(cursor[0]), "%lld", q->after_us);
		snprintf(cursor[1], sizeof(cursor[1]), "%s", q->after_id);
		params[n++] = cursor[0];
		params[n++] = cursor[1];
		snprintf(sql + len, sizeof(sql) - len,
			 " AND ((extract(epoch FROM a.created_at) * 1000000)::bigint, a.id) < "
			 "($%d::bigint, $%d::uuid)",
			 n - 1, n);
	}
	snprintf(limit, sizeof(limit), "%d", q->limit);
	params[n++] = limit;
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		 " ORDER BY a.created_at DESC, a.id DESC LIMIT $%d::int", n);
	return db_exec(conn, sql, n, params, NULL, NULL, ret_res);
}

enum err db_account_extras(PGconn *conn, const char *id, struct account_extras *ret)
{
	const char *params[1] = {id};
	PGresult *res = NULL;
	enum err err = db_exec_row(
		conn,
		"SELECT a.role, a.status_reason, " DB_RFC3339("a.erased_at") ", " DB_RFC3339(
			"a.legal_hold_at") ", encode(a.legal_hold_reason_enc, 'hex'), "
					   "(SELECT "
					   "coalesce(json_agg(json_build_object('from_status', "
					   "h.from_status, "
					   "'to_status', h.to_status, 'event', h.event, 'reason', "
					   "h.reason, 'changed_at', " DB_RFC3339(
						   "h.changed_at") ", 'actor', coalesce(w.actor, "
								   "'system'), "
								   "'note_enc', w.note) ORDER BY "
								   "h.id), '[]') FROM "
								   "account_status_history h "
								   "LEFT JOIN LATERAL (SELECT "
								   "l.actor, encode(l.reason_enc, "
								   "'hex') AS note "
								   "FROM audit_log l WHERE "
								   "l.target = h.account_id::text "
								   "AND l.created_at = "
								   "h.changed_at AND l.actor <> "
								   "'system' ORDER BY l.id LIMIT "
								   "1) w ON true "
								   "WHERE h.account_id = a.id), "
								   "(SELECT "
								   "json_build_object('live', "
								   "count(*) FILTER (WHERE "
								   "s.revoked_at IS NULL "
								   "AND s.expires_at > now()), "
								   "'last_sign_in', " DB_RFC3339(
									   "max(s.created_at)") ") "
												"FR"
												"OM"
												" s"
												"es"
												"si"
												"on"
												"s "
												"s "
												"WH"
												"ER"
												"E "
												"s."
												"ac"
												"co"
												"un"
												"t_"
												"id"
												" ="
												" a"
												".i"
												"d)"
												" "
												"FR"
												"OM"
												" a"
												"cc"
												"ou"
												"nt"
												"s "
												"a "
												"WH"
												"ER"
												"E "
												"a."
												"id"
												" ="
												" $"
												"1",
		1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	ret->role = PQgetvalue(res, 0, 0);
	ret->status_reason = db_cell_text(res, 0, 1);
	ret->erased_at = db_cell_text(res, 0, 2);
	ret->legal_hold_at = db_cell_text(res, 0, 3);
	ret->legal_hold_reason_enc = db_cell_text(res, 0, 4);
	ret->history = PQgetvalue(res, 0, 5);
	ret->sessions = PQgetvalue(res, 0, 6);
	ret->res = res;
	return ERR_OK;
}

void account_extras_release(struct account_extras *x)
{
	PQclear(x->res);
	x->res = NULL;
}
