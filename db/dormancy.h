/*
 * dormancy.h - the SQL of the retention rules about whole accounts that
 * privacy.c's purge statements do not cover (issue 25 item 6): rejected
 * registrations past their retention, dormant accounts to warn and, once
 * warned long enough, to erase, and the purge totals /metrics shows.
 * Returns account ids only; erasure itself is db_account_erase().
 *
 * An account's last activity is the latest of its creation, its sign-ins
 * (sessions.created_at) and its session refreshes (refresh_tokens.created_at):
 * someone using an app that refreshes its session is not dormant.
 */
#ifndef HCPD_DB_DORMANCY_H
#define HCPD_DB_DORMANCY_H

#include <stddef.h>
#include <stdio.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"
#include "privacy.h"

/* How long a dormant account is warned before it is erased. */
#define DORMANCY_WARNING_DAYS 30

/* The first column of res's rows, up to max, into ids; *ret_n how many. */
void db_ids_read(PGresult *res, size_t max, char (*ids)[UUID_STR_LEN], size_t *ret_n);

/* A rule's two statements, from its condition on accounts a ($1: days):
 * the due accounts oldest first ($2: the limit), and one of them ($3). */
#define DB_DUE_SQL(cond)                                                                           \
	"SELECT a.id FROM accounts a WHERE " cond " ORDER BY a.created_at LIMIT $2::int"
#define DB_STILL_DUE_SQL(cond)                                                                     \
	"SELECT a.id FROM accounts a WHERE a.id = $3::uuid AND " cond " LIMIT $2::int"

/* The db_due_fn behind every rule here and in privacy.c: what list_sql
 * selects, or with only set what one_sql does (DB_DUE_SQL(),
 * DB_STILL_DUE_SQL() of one condition). Blocks. */
enum err db_due_ids(PGconn *conn, const char *list_sql, const char *one_sql, int days,
		    const char *only, size_t max, char (*ids)[UUID_STR_LEN], size_t *ret_n);

/* A db_due_fn: rejected professionals, not erased nor on legal hold, whose
 * latest rejection is more than days old. */
enum err db_rejected_due(PGconn *conn, int days, const char *only, size_t max,
			 char (*ids)[UUID_STR_LEN], size_t *ret_n);

/* Up to max professionals with a confirmed address, not erased nor on
 * legal hold, whose last activity is more than days - DORMANCY_WARNING_DAYS
 * days old and who were not warned since it. Blocks. */
enum err db_dormant_to_warn(PGconn *conn, int days, size_t max, char (*ids)[UUID_STR_LEN],
			    size_t *ret_n);

/* Marks account id warned now if it still is due a warning (the row lock
 * makes one of two racing processes win); *ret_marked says whether this
 * call did. Inside the caller's transaction, which queues the mail only
 * when marked. Blocks. */
enum err db_dormancy_mark(PGconn *conn, const char *id, int days, bool *ret_marked);

/* A db_due_fn: accounts warned more than DORMANCY_WARNING_DAYS days ago,
 * with no activity since the warning nor for days, not erased nor on
 * legal hold. */
enum err db_dormant_due(PGconn *conn, int days, const char *only, size_t max,
			char (*ids)[UUID_STR_LEN], size_t *ret_n);

/* Adds n to the purge total named what ([a-z_]). Blocks. */
enum err db_purge_total_add(PGconn *conn, const char *what, long long n);

/* Writes the purge totals as the Prometheus counter
 * hcpd_retention_purged_total{what="..."} to f. Blocks. */
enum err db_purge_totals_render(PGconn *conn, FILE *f);

#endif
