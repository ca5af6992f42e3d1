/*
 * dormancy.c - which accounts the retention rules erase or warn, and the
 * purge totals (see dormancy.h). Ids and counts only; nothing here logs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dormancy.h"

/* The last activity of the account aliased a (dormancy.h); greatest()
 * skips the NULL of an account that never signed in. */
#define LAST_ACTIVE                                                                                \
	"greatest(a.created_at, "                                                                  \
	"(SELECT max(s.created_at) FROM sessions s WHERE s.account_id = a.id), "                   \
	"(SELECT max(rt.created_at) FROM refresh_tokens rt JOIN sessions s "                       \
	"ON s.id = rt.session_id WHERE s.account_id = a.id))"

/* Professionals the purge may erase: not erased, not held. */
#define ERASABLE "a.role = 'professional' AND a.erased_at IS NULL AND a.legal_hold_at IS NULL "

/* Due a warning: inactive for $1 - DORMANCY_WARNING_DAYS days, not warned since. */
#define WARN_DUE                                                                                   \
	ERASABLE "AND a.email_verified AND " LAST_ACTIVE " < now() - make_interval(days => "       \
		 "$1::int - " DB_STR(                                                              \
			 DORMANCY_WARNING_DAYS) ") AND (a.dormancy_warned_at IS NULL "             \
						"OR a.dormancy_warned_at < " LAST_ACTIVE ")"

void db_ids_read(PGresult *res, size_t max, char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	size_t n = (size_t)PQntuples(res);

	for (size_t i = 0; i < n && i < max; i++)
		snprintf(ids[i], UUID_STR_LEN, "%s", PQgetvalue(res, (int)i, 0));
	*ret_n = n < max ? n : max;
}

enum err db_due_ids(PGconn *conn, const char *list_sql, const char *one_sql, int days,
		    const char *only, size_t max, char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	char num[16], lim[24];
	const char *params[3] = {num, lim, only};
	PGresult *res;
	enum err err;

	snprintf(num, sizeof(num), "%d", days);
	snprintf(lim, sizeof(lim), "%zu", max);
	err = db_exec(conn, only != NULL ? one_sql : list_sql, only != NULL ? 3 : 2, params, NULL,
		      NULL, &res);
	if (err != ERR_OK)
		return err;
	db_ids_read(res, max, ids, ret_n);
	PQclear(res);
	return ERR_OK;
}

#define REJECTED                                                                                   \
	ERASABLE "AND a.status = 'rejected' AND (SELECT max(h.changed_at) "                        \
		 "FROM account_status_history h WHERE h.account_id = a.id "                        \
		 "AND h.to_status = 'rejected') < now() - make_interval(days => $1::int)"

enum err db_rejected_due(PGconn *conn, int days, const char *only, size_t max,
			 char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	return db_due_ids(conn, DB_DUE_SQL(REJECTED), DB_STILL_DUE_SQL(REJECTED), days, only, max,
			  ids, ret_n);
}

enum err db_dormant_to_warn(PGconn *conn, int days, size_t max, char (*ids)[UUID_STR_LEN],
			    size_t *ret_n)
{
	return db_due_ids(conn, DB_DUE_SQL(WARN_DUE), NULL, days, NULL, max, ids, ret_n);
}

enum err db_dormancy_mark(PGconn *conn, const char *id, int days, bool *ret_marked)
{
	char num[16];
	const char *params[2] = {num, id};
	PGresult *res;
	enum err err;

	snprintf(num, sizeof(num), "%d", days);
	err = db_exec(
		conn,
		"UPDATE accounts a SET dormancy_warned_at = now() WHERE a.id = $2 AND " WARN_DUE, 2,
		params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	*ret_marked = atoll(PQcmdTuples(res)) == 1;
	PQclear(res);
	return ERR_OK;
}

/* the warning is what the account did last, and it went out
 * DORMANCY_WARNING_DAYS ago: a sign-in since (or a hold) saves it */
#define DORMANT                                                                                    \
	ERASABLE "AND a.dormancy_warned_at < now() - interval '" DB_STR(                           \
		DORMANCY_WARNING_DAYS) " days' AND a.dormancy_warned_at >= " LAST_ACTIVE           \
				       " AND " LAST_ACTIVE                                         \
				       " < now() - make_interval(days => $1::int)"

enum err db_dormant_due(PGconn *conn, int days, const char *only, size_t max,
			char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	return db_due_ids(conn, DB_DUE_SQL(DORMANT), DB_STILL_DUE_SQL(DORMANT), days, only, max,
			  ids, ret_n);
}

enum err db_purge_total_add(PGconn *conn, const char *what, long long n)
{
	char num[24];
	const char *params[2] = {what, num};

	if (n == 0)
		return ERR_OK;
	snprintf(num, sizeof(num), "%lld", n);
	return db_exec(
		conn,
		"INSERT INTO purge_totals (what, total) VALUES ($1, $2::bigint) "
		"ON CONFLICT (what) DO UPDATE SET total = purge_totals.total + EXCLUDED.total",
		2, params, NULL, NULL, NULL);
}

enum err db_purge_totals_render(PGconn *conn, FILE *f)
{
	PGresult *res;
	enum err err = db_exec(conn, "SELECT what, total FROM purge_totals ORDER BY what", 0, NULL,
			       NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	fprintf(f, "# HELP hcpd_retention_purged_total What retention purges removed, by kind, "
		   "across processes.\n"
		   "# TYPE hcpd_retention_purged_total counter\n");
	for (int i = 0; i < PQntuples(res); i++)
		fprintf(f, "hcpd_retention_purged_total{what=\"%s\"} %s\n", PQgetvalue(res, i, 0),
			PQgetvalue(res, i, 1));
	PQclear(res);
	return ERR_OK;
}
