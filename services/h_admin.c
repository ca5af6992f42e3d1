/*
 * h_admin.c - admin routes (ROUTE_ADMIN: 401 without a token, 403 for a
 * professional's). GET /v1/admin/stats: de-identified counts of
 * professionals by up to three non-personal catalogue fields, for
 * sponsors' aggregate reports. A cell under STATS_MIN_CELL is left out
 * (only how many were left out is said), so no small group can be singled
 * out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
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

enum MHD_Result h_admin_stats(struct req *r)
{
	/* field names are parameters ($1..$3), never spliced into the SQL */
	static const char *const sql[] = {
		"SELECT count(*) FROM accounts WHERE role = 'professional'",
		"SELECT profile_public->>$1, count(*) FROM accounts "
		"WHERE role = 'professional' GROUP BY 1 ORDER BY 1",
		"SELECT profile_public->>$1, profile_public->>$2, count(*) FROM accounts "
		"WHERE role = 'professional' GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT profile_public->>$1, profile_public->>$2, profile_public->>$3, count(*) "
		"FROM accounts WHERE role = 'professional' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
	};
	const char *by = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "by");
	char names[STATS_MAX_BY][48];
	const char *params[STATS_MAX_BY];
	json_t *body, *cells, *fields;
	PGresult *res = NULL;
	PGconn *conn;
	int n = parse_by(r->app->catalogue, by, names), suppressed = 0;
	enum err err;

	if (n < 0)
		return problem_send(r, 400, "bad-request",
				    "by must list up to three non-personal catalogue fields, "
				    "comma-separated (e.g. country,profession,specialty)");
	for (int i = 0; i < n; i++)
		params[i] = names[i];
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_exec(conn, sql[n], n, params, NULL, NULL, &res);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	body = json_object();
	cells = json_array();
	fields = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(fields, json_string(names[i]));
	for (int row = 0; row < PQntuples(res); row++) {
		long long count = strtoll(PQgetvalue(res, row, n), NULL, 10);
		json_t *cell;

		if (count < STATS_MIN_CELL) {
			suppressed++;
			continue;
		}
		cell = json_object();
		for (int i = 0; i < n; i++)
			json_object_set_new(cell, names[i],
					    PQgetisnull(res, row, i)
						    ? json_null()
						    : json_string(PQgetvalue(res, row, i)));
		json_object_set_new(cell, "count", json_integer(count));
		json_array_append_new(cells, cell);
	}
	PQclear(res);
	json_object_set_new(body, "by", fields);
	json_object_set_new(body, "min_cell", json_integer(STATS_MIN_CELL));
	json_object_set_new(body, "cells", cells);
	json_object_set_new(body, "suppressed_cells", json_integer(suppressed));
	return http_reply_json(r, 200, body, NULL);
}
