/*
 * h_admin.c - admin routes (ROUTE_ADMIN: 401 without a token, 403 for a
 * professional's). GET /v1/admin/stats: de-identified counts of
 * professionals by up to three non-personal catalogue fields, for
 * sponsors' aggregate reports.
 *
 * No figure may let a small group be singled out, from one reply or by
 * combining many: hiding the cells under STATS_MIN_CELL is not enough
 * when the totals they belong to are exact (US = 15 beside US/physician =
 * 12 gives US/dentist = 3 away). So every figure is counted from one fixed
 * partition, the finest there is: professionals with the same whole
 * profile_public (every non-personal field, so finer than any grouping by
 * can ask for). Parts of that partition under STATS_MIN_CELL are left out
 * of every figure, totals included; each released cell is a sum of parts
 * of at least STATS_MIN_CELL. What is released is then a function of the
 * released parts alone: no subtraction or other combination of figures
 * says anything about a part left out, not even that it exists. The price
 * is that coarse counts are lower bounds. Each request is audited
 * ("stats.view", with the grouping).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "catalogue.h"
#include "db.h"
#include "handlers.h"
#include "problem.h"

#define STATS_MIN_CELL 10
#define STATS_MAX_BY   3

/* Splits "a,b,c" into at most STATS_MAX_BY public field names. */
static int parse_by(const struct catalogue *cat, const char *by, char names[][48])
{
	int n = 0;

	while (by != NULL && *by != '\0') {
		size_t len = strcspn(by, ",");

		if (n == STATS_MAX_BY || len == 0 || len >= 48)
			return -1;
		memcpy(names[n], by, len);
		names[n][len] = '\0';
		if (!catalogue_field_is_public(cat, names[n]))
			return -1;
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], names[n]) == 0)
				return -1;
		n++;
		by += len;
		if (*by == ',')
			by++;
	}
	return n;
}

/* The finest partition's parts of at least $1 professionals. */
#define STATS_BASE                                                                                 \
	"WITH base AS (SELECT profile_public AS cell, count(*) AS n FROM accounts "                \
	"WHERE role = 'professional' GROUP BY profile_public HAVING count(*) >= $1::int) "

/* The field names as a new JSON array; NULL when out of memory. */
static json_t *by_json(char names[][48], int n)
{
	json_t *fields = json_array();

	for (int i = 0; fields != NULL && i < n; i++)
		if (json_array_append_new(fields, json_string(names[i])) != 0) {
			json_decref(fields);
			fields = NULL;
		}
	return fields;
}

/* One row as a cell {field: value or null, ..., count}; NULL when out of
 * memory. */
static json_t *stats_cell(PGresult *res, int row, char names[][48], int n)
{
	json_t *cell = json_object();
	bool ok = cell != NULL;

	/* the _new setters take the reference even when they fail */
	for (int i = 0; ok && i < n; i++)
		ok = json_object_set_new(cell, names[i],
					 PQgetisnull(res, row, i)
						 ? json_null()
						 : json_string(PQgetvalue(res, row, i))) == 0;
	if (ok)
		ok = json_object_set_new(
			     cell, "count",
			     json_integer(strtoll(PQgetvalue(res, row, n), NULL, 10))) == 0;
	if (!ok) {
		json_decref(cell);
		return NULL;
	}
	return cell;
}

/* {by, min_cell, cells} from the rows of one grouping by names[0..n). */
static json_t *stats_body(PGresult *res, char names[][48], int n)
{
	json_t *body = json_pack("{s:o, s:i, s:[]}", "by", by_json(names, n), "min_cell",
				 STATS_MIN_CELL, "cells");
	json_t *cells = json_object_get(body, "cells");

	for (int row = 0; body != NULL && row < PQntuples(res); row++)
		if (json_array_append_new(cells, stats_cell(res, row, names, n)) != 0) {
			json_decref(body);
			body = NULL;
		}
	return body;
}

enum MHD_Result h_admin_stats(struct req *r)
{
	/* field names are parameters ($2..$4), never spliced into the SQL */
	static const char *const sql[] = {
		STATS_BASE "SELECT sum(n) FROM base HAVING count(*) > 0",
		STATS_BASE "SELECT cell->>$2, sum(n) FROM base GROUP BY 1 ORDER BY 1",
		STATS_BASE "SELECT cell->>$2, cell->>$3, sum(n) FROM base GROUP BY 1, 2 "
			   "ORDER BY 1, 2",
		STATS_BASE "SELECT cell->>$2, cell->>$3, cell->>$4, sum(n) FROM base "
			   "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
	};
	const char *by = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "by");
	char names[STATS_MAX_BY][48], min_cell[16];
	const char *params[STATS_MAX_BY + 1] = {min_cell};
	json_t *body = NULL, *details;
	PGresult *res = NULL;
	PGconn *conn;
	int n = parse_by(r->app->catalogue, by, names);
	enum err err;

	if (n < 0)
		return problem_send(r, 400, "bad-request",
				    "by must list up to three non-personal catalogue fields, "
				    "comma-separated (e.g. country,profession,specialty)");
	snprintf(min_cell, sizeof(min_cell), "%d", STATS_MIN_CELL);
	for (int i = 0; i < n; i++)
		params[i + 1] = names[i];
	details = json_pack("{s:o}", "by", by_json(names, n));
	if (details == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_exec(conn, sql[n], n + 1, params, NULL, NULL, &res);
		/* the figures go out only with their record */
		if (err == ERR_OK)
			err = db_audit_append(conn, &(struct audit_entry){
							    .actor = r->auth.sub,
							    .action = "stats.view",
							    .request_id = r->id,
							    .details = details,
						    });
		db_release(r->app->db, conn);
	}
	json_decref(details);
	if (err == ERR_OK && (body = stats_body(res, names, n)) == NULL)
		err = ERR_NOMEM;
	PQclear(res);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, body, NULL);
}
