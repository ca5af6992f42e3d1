/*
 * monitor.c - SQL for continuous monitoring (see monitor.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applies.h"
#include "db.h"
#include "monitor.h"
#include "outbox.h"

/* A 64-bit advisory lock key of its own: "hcpd.mon". */
#define MONITOR_LOCK "7526737891620532078"

enum err db_monitor_lock(PGconn *conn, bool wait, bool *ret_got)
{
	const char *params[1] = {MONITOR_LOCK};
	PGresult *res;
	enum err err;

	if (wait) {
		err = db_exec(conn, "SELECT pg_advisory_lock($1::bigint)", 1, params, NULL, NULL,
			      NULL);
		if (err == ERR_OK)
			*ret_got = true;
		return err;
	}
	err = db_exec(conn, "SELECT pg_try_advisory_lock($1::bigint)", 1, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	*ret_got = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return ERR_OK;
}

enum err db_monitor_unlock(PGconn *conn)
{
	const char *params[1] = {MONITOR_LOCK};

	return db_exec(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, params, NULL, NULL, NULL);
}

/* A text[] literal of n simple strings (codes and names: no quoting
 * needed, checked at load), malloc'd. */
static char *text_array(const char *const *items, size_t n)
{
	size_t len = 3;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(items[i]) + 3;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	p = s;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"%s\"", i > 0 ? "," : "", items[i]);
	*p++ = '}';
	*p = '\0';
	return s;
}

/* verifier_applies() in SQL (applies.h): accounts a, the verifier's
 * countries $2 and professions $3 */
#define APPLIES_TO_A DB_VERIFIER_APPLIES("a", "$2::text[]", "$3::text[]")

enum err db_monitor_queue_due(PGconn *conn, const struct monitor_scope *s, int days, bool all,
			      long long *ret_queued)
{
	char sdays[16];
	char *countries = text_array(s->countries, s->ncountries);
	char *professions = text_array(s->professions, s->nprofessions);
	const char *params[6] = {s->verifier,     countries,
				 professions,     s->needs_roster ? "t" : "f",
				 all ? "t" : "f", sdays};
	PGresult *res;
	enum err err = ERR_NOMEM;

	snprintf(sdays, sizeof(sdays), "%d", days);
	if (countries == NULL || professions == NULL)
		goto out;
	err = db_exec(conn,
		      "INSERT INTO verification_jobs (account_id, verifier, occasion) "
		      "SELECT a.id, $1, 'reverification' FROM accounts a "
		      "WHERE a.role = 'professional' AND a.status IN ('verified', 'approved') "
		      "AND a.data_key IS NOT NULL "
		      "AND " APPLIES_TO_A " "
		      "AND (NOT $4::boolean OR EXISTS (SELECT 1 FROM rosters WHERE name = $1)) "
		      /* open in this statement's snapshot: a job that ends while it
		       * runs is no conflict by the time of the insert, yet its
		       * check is new (ON CONFLICT alone queued such accounts twice) */
		      "AND NOT EXISTS (SELECT 1 FROM verification_jobs j WHERE j.account_id = a.id "
		      "  AND j.verifier = $1 AND j.state IN ('queued', 'running')) "
		      "AND ($5::boolean OR NOT EXISTS (SELECT 1 FROM verifications v "
		      "  WHERE v.account_id = a.id AND v.verifier = $1 AND v.outcome <> 'error' "
		      "  AND v.checked_at > now() - $6 * interval '1 day') "
		      "  OR (SELECT v.outcome FROM verifications v WHERE v.account_id = a.id "
		      "      AND v.verifier = $1 ORDER BY v.id DESC LIMIT 1) = 'error') "
		      "ON CONFLICT (account_id, verifier) WHERE state IN ('queued', 'running') "
		      "DO NOTHING",
		      6, params, NULL, NULL, &res);
	if (err == ERR_OK) {
		*ret_queued = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
out:
	free(countries);
	free(professions);
	return err;
}

/* Fills accounts from rows of country, profession, registry expiry,
 * expiry_reminded_enc, then SEALED_COLUMNS. */
static enum err accounts_from(PGresult *res, struct monitor_account **ret_accounts, size_t *ret_n)
{
	size_t n = (size_t)PQntuples(res);
	struct monitor_account *a = n > 0 ? calloc(n, sizeof(*a)) : NULL;
	enum err err = n > 0 && a == NULL ? ERR_NOMEM : ERR_OK;

	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		int row = (int)i;

		snprintf(a[i].country, sizeof(a[i].country), "%s", PQgetvalue(res, row, 0));
		snprintf(a[i].profession, sizeof(a[i].profession), "%s", PQgetvalue(res, row, 1));
		snprintf(a[i].registry_expiry, sizeof(a[i].registry_expiry), "%s",
			 PQgetvalue(res, row, 2));
		err = db_cell_bytes(res, row, 3, &a[i].reminded_enc, &a[i].reminded_enc_len);
		if (err == ERR_OK)
			err = db_sealed_read(res, row, 4, &a[i].account);
	}
	if (err != ERR_OK) {
		monitor_accounts_free(a, n);
		return err;
	}
	*ret_accounts = a;
	*ret_n = n;
	return ERR_OK;
}

enum err db_monitor_accounts(PGconn *conn, const char *after, int max,
			     struct monitor_account **ret_accounts, size_t *ret_n)
{
	char smax[16];
	const char *params[2] = {after[0] != '\0' ? after : "00000000-0000-0000-0000-000000000000",
				 smax};
	PGresult *res;
	enum err err;

	snprintf(smax, sizeof(smax), "%d", max);
	err = db_exec(
		conn,
		"SELECT coalesce(a.profile_public->>'country', ''), "
		"coalesce(a.profile_public->>'profession', ''), "
		"coalesce((SELECT min(v.licence_expires)::text FROM verifications v "
		"  WHERE v.account_id = a.id AND v.licence_expires >= current_date), ''), "
		"a.expiry_reminded_enc, " SEALED_COLUMNS(
			"a.") " "
			      "FROM accounts a WHERE a.role = 'professional' "
			      "AND a.status IN ('verified', 'approved') AND a.data_key IS NOT NULL "
			      "AND a.id > $1::uuid ORDER BY a.id LIMIT $2",
		2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	err = accounts_from(res, ret_accounts, ret_n);
	PQclear(res);
	return err;
}

void monitor_accounts_free(struct monitor_account *accounts, size_t n)
{
	for (size_t i = 0; accounts != NULL && i < n; i++) {
		PQfreemem(accounts[i].reminded_enc);
		sealed_account_release(&accounts[i].account);
	}
	free(accounts);
}

enum err db_monitor_reminded(PGconn *conn, const char *account_id, const unsigned char *sealed,
			     size_t len)
{
	const char *params[2] = {account_id, (const char *)sealed};
	const int lengths[2] = {0, (int)len};
	const int formats[2] = {0, 1};

	return db_exec(conn, "UPDATE accounts SET expiry_reminded_enc = $2 WHERE id = $1", 2,
		       params, lengths, formats, NULL);
}

enum err db_monitor_digest_due(PGconn *conn, int hours, struct monitor_account **ret_admins,
			       size_t *ret_n)
{
	char shours[16];
	const char *params[1] = {shours};
	PGresult *res;
	enum err err;

	snprintf(shours, sizeof(shours), "%d", hours);
	err = db_exec(
		conn,
		"UPDATE accounts a SET digest_sent_at = now() WHERE a.role = 'admin' "
		"AND a.data_key IS NOT NULL "
		"AND (a.digest_sent_at IS NULL OR a.digest_sent_at < now() - interval '1 day') "
		"AND EXISTS (SELECT 1 FROM accounts q WHERE q.status IN ('flagged', "
		"'suspended') AND NOT q.review_awaiting_professional "
		"AND q.status_changed_at < now() - $1 * interval '1 hour') "
		"RETURNING '', '', '', NULL::bytea, a.id, a.data_key, a.email_enc, NULL::bytea, "
		"NULL::text",
		1, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	err = accounts_from(res, ret_admins, ret_n);
	PQclear(res);
	return err;
}

/* The invariant of issue 19 (the view stuck_accounts, migration 0013):
 * how many accounts wait with nothing to move them, the oldest of them,
 * and the oldest pending account (stuck or not). */
static enum err stuck_gauges(PGconn *conn, FILE *f)
{
	PGresult *res;
	enum err err = db_exec(
		conn,
		"SELECT (SELECT count(*) FROM stuck_accounts), "
		"(SELECT coalesce(extract(epoch FROM now() - min(status_changed_at))::bigint, 0) "
		"FROM stuck_accounts), "
		"(SELECT coalesce(extract(epoch FROM now() - min(status_changed_at))::bigint, 0) "
		"FROM accounts WHERE status = 'pending_verification' AND role = 'professional' "
		"AND erased_at IS NULL)",
		0, NULL, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	fprintf(f,
		"# HELP hcpd_accounts_stuck Pending accounts with no open job and no review item "
		"(must be 0).\n"
		"# TYPE hcpd_accounts_stuck gauge\n"
		"hcpd_accounts_stuck %s\n"
		"# HELP hcpd_accounts_stuck_oldest_seconds How long the oldest stuck account has "
		"waited.\n"
		"# TYPE hcpd_accounts_stuck_oldest_seconds gauge\n"
		"hcpd_accounts_stuck_oldest_seconds %s\n"
		"# HELP hcpd_accounts_oldest_pending_seconds How long the oldest pending account "
		"has waited.\n"
		"# TYPE hcpd_accounts_oldest_pending_seconds gauge\n"
		"hcpd_accounts_oldest_pending_seconds %s\n",
		PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
	return ERR_OK;
}

#define MAIL_PENDING "attempts < " DB_STR(OUTBOX_MAX_ATTEMPTS)

/* kind, destination, waiting, given up, the oldest waiting one's age */
static const char deliveries_sql[] =
	"SELECT 'mail', '', count(*) FILTER (WHERE " MAIL_PENDING "), "
	"count(*) FILTER (WHERE NOT " MAIL_PENDING "), coalesce(extract(epoch FROM "
	"now() - min(created_at) FILTER (WHERE " MAIL_PENDING "))::bigint, 0) "
	"FROM outbox WHERE sent_at IS NULL "
	"UNION ALL SELECT 'webhook', endpoint, count(*) FILTER (WHERE given_up_at IS NULL), "
	"count(given_up_at), coalesce(extract(epoch FROM now() - min(occurred_at) FILTER "
	"(WHERE given_up_at IS NULL))::bigint, 0) "
	"FROM webhook_deliveries WHERE delivered_at IS NULL GROUP BY endpoint "
	"UNION ALL SELECT 'release', r.recipient, count(*) FILTER (WHERE r.given_up_at IS NULL), "
	"count(r.given_up_at), coalesce(extract(epoch FROM now() - min(d.disclosed_at) FILTER "
	"(WHERE r.given_up_at IS NULL))::bigint, 0) "
	"FROM activity_releases r JOIN disclosures d ON d.id = r.disclosure_id "
	"WHERE r.delivered_at IS NULL AND r.cancelled_at IS NULL GROUP BY r.recipient "
	"ORDER BY 1, 2";

/* A label's value in the text format: \, " and newline escaped. */
static void label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
}

/* The outbound deliveries still owed (mail, webhooks, activity releases),
 * by kind and destination (an endpoint's or recipient's configured name;
 * none for mail, whose addresses are personal). */
static enum err delivery_gauges(PGconn *conn, FILE *f)
{
	static const char *const states[2] = {"pending", "given_up"};
	PGresult *res;
	enum err err = db_exec(conn, deliveries_sql, 0, NULL, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	fputs("# HELP hcpd_deliveries Mail, webhook deliveries and activity releases not "
	      "delivered: still tried (pending) or given up.\n"
	      "# TYPE hcpd_deliveries gauge\n",
	      f);
	for (int i = 0; i < PQntuples(res); i++)
		for (int s = 0; s < 2; s++) {
			fprintf(f, "hcpd_deliveries{kind=\"%s\",to=\"", PQgetvalue(res, i, 0));
			label_value(f, PQgetvalue(res, i, 1));
			fprintf(f, "\",state=\"%s\"} %s\n", states[s], PQgetvalue(res, i, 2 + s));
		}
	fputs("# HELP hcpd_deliveries_oldest_pending_seconds Age of the oldest delivery still "
	      "tried.\n"
	      "# TYPE hcpd_deliveries_oldest_pending_seconds gauge\n",
	      f);
	for (int i = 0; i < PQntuples(res); i++) {
		fprintf(f, "hcpd_deliveries_oldest_pending_seconds{kind=\"%s\",to=\"",
			PQgetvalue(res, i, 0));
		label_value(f, PQgetvalue(res, i, 1));
		fprintf(f, "\"} %s\n", PQgetvalue(res, i, 4));
	}
	PQclear(res);
	return ERR_OK;
}

enum err db_monitor_gauges(PGconn *conn, FILE *f)
{
	PGresult *res;
	enum err err = db_exec(conn,
			       "SELECT status, count(*) FROM accounts WHERE role = 'professional' "
			       "GROUP BY status ORDER BY status",
			       0, NULL, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	fputs("# HELP hcpd_accounts Professionals' accounts by status.\n"
	      "# TYPE hcpd_accounts gauge\n",
	      f);
	for (int i = 0; i < PQntuples(res); i++)
		fprintf(f, "hcpd_accounts{status=\"%s\"} %s\n", PQgetvalue(res, i, 0),
			PQgetvalue(res, i, 1));
	PQclear(res);
	err = db_exec(conn,
		      "SELECT count(*) FILTER (WHERE state = 'queued'), "
		      "count(*) FILTER (WHERE state = 'running'), "
		      "coalesce(extract(epoch FROM now() - min(created_at) FILTER "
		      "(WHERE state = 'queued'))::bigint, 0) "
		      "FROM verification_jobs WHERE state IN ('queued', 'running')",
		      0, NULL, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	fprintf(f,
		"# HELP hcpd_verification_jobs Verification jobs waiting and running.\n"
		"# TYPE hcpd_verification_jobs gauge\n"
		"hcpd_verification_jobs{state=\"queued\"} %s\n"
		"hcpd_verification_jobs{state=\"running\"} %s\n"
		"# HELP hcpd_verification_oldest_queued_seconds Age of the oldest queued job.\n"
		"# TYPE hcpd_verification_oldest_queued_seconds gauge\n"
		"hcpd_verification_oldest_queued_seconds %s\n",
		PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
	err = stuck_gauges(conn, f);
	return err == ERR_OK ? delivery_gauges(conn, f) : err;
}
