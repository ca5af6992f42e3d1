/*
 * jobs.c - SQL for verification jobs, verifications and rate-limit buckets
 * (see jobs.h). Every statement is parameterised; sealed values travel as
 * binary parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "jobs.h"

static const char *const occasion_names[OCCASION_COUNT] = {
	[OCCASION_REGISTRATION] = "registration",
	[OCCASION_RECTIFICATION] = "rectification",
	[OCCASION_REVERIFICATION] = "reverification",
	[OCCASION_ROSTER_RELOAD] = "roster_reload",
};

const char *job_occasion_name(enum job_occasion occasion)
{
	return (unsigned)occasion < OCCASION_COUNT ? occasion_names[occasion] : "?";
}

bool job_occasion_is_recheck(enum job_occasion occasion)
{
	return occasion == OCCASION_REVERIFICATION || occasion == OCCASION_ROSTER_RELOAD;
}

enum err db_jobs_enqueue(PGconn *conn, const char *account_id, enum job_occasion occasion,
			 const struct job_spec *specs, size_t n, int *ret_queued)
{
	int queued = 0;
	enum err err = ERR_OK;

	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		const char *params[4] = {account_id, specs[i].verifier, job_occasion_name(occasion),
					 specs[i].needs_roster ? "t" : "f"};
		PGresult *res;

		err = db_exec(
			conn,
			"INSERT INTO verification_jobs (account_id, verifier, occasion) "
			"SELECT $1, $2, $3 WHERE NOT $4::boolean OR EXISTS "
			"(SELECT 1 FROM rosters WHERE name = $2) "
			"ON CONFLICT (account_id, verifier) WHERE state IN ('queued', 'running') "
			"DO NOTHING RETURNING id",
			4, params, NULL, NULL, &res);
		if (err == ERR_OK) {
			queued += PQntuples(res);
			PQclear(res);
		}
	}
	if (err == ERR_OK && ret_queued != NULL)
		*ret_queued = queued;
	return err;
}

enum err db_jobs_cancel_open(PGconn *conn, const char *account_id, const char *why)
{
	const char *params[2] = {account_id, why};

	return db_exec(conn,
		       "UPDATE verification_jobs SET state = 'cancelled', finished_at = now(), "
		       "last_error = $2, lease_owner = NULL, lease_until = NULL "
		       "WHERE account_id = $1 AND state IN ('queued', 'running')",
		       2, params, NULL, NULL, NULL);
}

/* The due jobs of verifier $1, oldest first: what a claim takes next.
 * A suspended verifier's jobs wait (the kill-switch, suspensions.h). */
#define JOBS_DUE                                                                                   \
	"j.verifier = $1 AND j.state IN ('queued', 'running') AND j.next_attempt_at <= now() "     \
	"AND NOT EXISTS (SELECT 1 FROM recipients s WHERE s.name = j.verifier "                    \
	"AND s.suspended_at IS NOT NULL) "                                                         \
	"AND (j.state = 'queued' OR j.lease_until < now()) ORDER BY j.next_attempt_at, j.id "      \
	"LIMIT $2"

enum err db_jobs_due_accounts(PGconn *conn, const char *verifier, int max,
			      struct sealed_account **ret_accounts, size_t *ret_n)
{
	char limit[16];
	const char *params[2] = {verifier, limit};
	struct sealed_account *accounts = NULL;
	PGresult *res;
	size_t n = 0;
	enum err err;

	snprintf(limit, sizeof(limit), "%d", max);
	err = db_exec(conn,
		      "SELECT " SEALED_COLUMNS(
			      "a.") " FROM accounts a WHERE a.id IN "
				    "(SELECT j.account_id FROM verification_jobs j WHERE " JOBS_DUE
				    ")",
		      2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) > 0 &&
	    (accounts = calloc((size_t)PQntuples(res), sizeof(*accounts))) == NULL)
		err = ERR_NOMEM;
	for (; err == ERR_OK && n < (size_t)PQntuples(res); n++)
		err = db_sealed_read(res, (int)n, 0, &accounts[n]);
	PQclear(res);
	if (err != ERR_OK) {
		sealed_accounts_free(accounts, n);
		return err;
	}
	*ret_accounts = accounts;
	*ret_n = n;
	return ERR_OK;
}

enum err db_jobs_claim(PGconn *conn, const char *verifier, int max, struct job_claim **ret_claims,
		       size_t *ret_n)
{
	char limit[16];
	const char *params[2] = {verifier, limit};
	struct job_claim *claims = NULL;
	PGresult *res;
	size_t n;
	enum err err;

	snprintf(limit, sizeof(limit), "%d", max);
	err = db_exec(conn,
		      "SELECT j.id, j.attempts, " SEALED_COLUMNS(
			      "a.") " FROM verification_jobs j "
				    "JOIN accounts a ON a.id = j.account_id WHERE " JOBS_DUE
				    " FOR UPDATE OF j, a SKIP LOCKED",
		      2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	n = (size_t)PQntuples(res);
	if (n > 0 && (claims = calloc(n, sizeof(*claims))) == NULL)
		err = ERR_NOMEM;
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		struct job_claim *c = &claims[i];

		c->id = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
		c->attempts = atoi(PQgetvalue(res, (int)i, 1));
		err = db_sealed_read(res, (int)i, 2, &c->account);
	}
	PQclear(res);
	if (err != ERR_OK) {
		job_claims_free(claims, n);
		return err;
	}
	*ret_claims = claims;
	*ret_n = n;
	return ERR_OK;
}

void job_claims_free(struct job_claim *claims, size_t n)
{
	for (size_t i = 0; claims != NULL && i < n; i++)
		sealed_account_release(&claims[i].account);
	if (claims != NULL)
		explicit_bzero(claims, n * sizeof(*claims));
	free(claims);
}

enum err db_job_start(PGconn *conn, long long id, const char *owner, int lease_ms, bool attempt)
{
	char sid[24], lease[24];
	const char *params[4] = {sid, owner, lease, attempt ? "1" : "0"};

	snprintf(sid, sizeof(sid), "%lld", id);
	snprintf(lease, sizeof(lease), "%d", lease_ms);
	return db_exec(conn,
		       "UPDATE verification_jobs SET state = 'running', attempts = attempts + $4, "
		       "lease_owner = $2, lease_until = clock_timestamp() + $3 * interval '1 ms' "
		       "WHERE id = $1",
		       4, params, NULL, NULL, NULL);
}

enum err db_job_cancel(PGconn *conn, long long id, const char *why)
{
	char sid[24];
	const char *params[2] = {sid, why};

	snprintf(sid, sizeof(sid), "%lld", id);
	return db_exec(conn,
		       "UPDATE verification_jobs SET state = 'cancelled', finished_at = now(), "
		       "last_error = $2, lease_owner = NULL, lease_until = NULL WHERE id = $1",
		       2, params, NULL, NULL, NULL);
}

/* A statement that must change exactly one row of owner's job. */
static enum err owned_update(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult *res;
	enum err err = db_exec(conn, sql, n, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	err = PQntuples(res) == 1 ? ERR_OK : ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum err db_job_retry(PGconn *conn, long long id, const char *owner, long long delay_ms,
		      const char *error)
{
	char sid[24], delay[24];
	const char *params[4] = {sid, owner, delay, error};

	snprintf(sid, sizeof(sid), "%lld", id);
	snprintf(delay, sizeof(delay), "%lld", delay_ms);
	return owned_update(conn,
			    "UPDATE verification_jobs SET state = 'queued', lease_owner = NULL, "
			    "lease_until = NULL, last_error = $4, "
			    "next_attempt_at = clock_timestamp() + $3 * interval '1 ms' "
			    "WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING id",
			    4, params);
}

enum err db_jobs_release(PGconn *conn, const char *owner)
{
	const char *params[1] = {owner};

	return db_exec(conn,
		       "UPDATE verification_jobs SET state = 'queued', lease_owner = NULL, "
		       "lease_until = NULL, next_attempt_at = now() "
		       "WHERE state = 'running' AND lease_owner = $1",
		       1, params, NULL, NULL, NULL);
}

enum err db_account_checks(PGconn *conn, const char *account_id, int *ret_open,
			   bool *ret_all_verified)
{
	const char *params[1] = {account_id};
	PGresult *res;
	enum err err = db_exec(
		conn,
		"SELECT count(*) FILTER (WHERE state IN ('queued', 'running')), "
		"coalesce(bool_and(state = 'done' AND outcome = 'verified'), false) "
		"FROM (SELECT DISTINCT ON (verifier) state, outcome FROM verification_jobs "
		"WHERE account_id = $1 AND state <> 'cancelled' ORDER BY verifier, id DESC) l",
		1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	*ret_open = atoi(PQgetvalue(res, 0, 0));
	*ret_all_verified = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	return ERR_OK;
}

enum err db_job_done(PGconn *conn, long long id, const char *owner, const char *account_id,
		     const struct job_outcome *o, struct job_facts *ret_facts)
{
	char sid[24];
	const char *lock[1] = {account_id};
	const char *mark[4] = {sid, owner, o->outcome, o->error};
	const char *store[7] = {sid,
				o->outcome,
				o->reason,
				o->checks,
				(const char *)o->evidence_enc,
				(const char *)o->reply_sha256,
				o->licence_expires};
	const int lengths[7] = {0, 0, 0, 0, (int)o->evidence_len, o->reply_sha256 != NULL ? 32 : 0};
	const int formats[7] = {0, 0, 0, 0, 1, 1, 0};
	struct job_facts facts = {0};
	PGresult *res = NULL;
	enum err err;

	snprintf(sid, sizeof(sid), "%lld", id);
	/* the account first: completions of one account's jobs take turns */
	err = db_exec_row(
		conn,
		"SELECT status, email_verified, coalesce(profile_public->>'country', ''), "
		"coalesce(profile_public->>'profession', '') FROM accounts WHERE id = $1 "
		"AND data_key IS NOT NULL FOR UPDATE",
		1, lock, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (!status_parse(PQgetvalue(res, 0, 0), &facts.status))
		err = ERR_DB; /* the CHECK constraint holds the names status_parse() knows */
	facts.email_verified = PQgetvalue(res, 0, 1)[0] == 't';
	snprintf(facts.country, sizeof(facts.country), "%s", PQgetvalue(res, 0, 2));
	snprintf(facts.profession, sizeof(facts.profession), "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	if (err != ERR_OK)
		return err;
	err = db_exec_row(
		conn,
		"UPDATE verification_jobs SET state = 'done', outcome = $3, last_error = $4, "
		"finished_at = now(), lease_owner = NULL, lease_until = NULL "
		"WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING occasion",
		4, mark, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	err = ERR_DB;
	for (int i = 0; i < OCCASION_COUNT; i++)
		if (strcmp(PQgetvalue(res, 0, 0), occasion_names[i]) == 0) {
			facts.occasion = (enum job_occasion)i;
			err = ERR_OK;
		}
	PQclear(res);
	if (err != ERR_OK)
		return err;
	err = db_exec(conn,
		      "INSERT INTO verifications (account_id, job_id, verifier, outcome, reason, "
		      "checks, evidence_enc, reply_sha256, licence_expires) "
		      "SELECT account_id, id, verifier, $2, $3, $4::jsonb, $5, $6, $7::date "
		      "FROM verification_jobs WHERE id = $1",
		      7, store, lengths, formats, NULL);
	if (err != ERR_OK)
		return err;
	err = db_account_checks(conn, account_id, &facts.open, &facts.all_verified);
	if (err != ERR_OK)
		return err;
	*ret_facts = facts;
	return ERR_OK;
}

/* Refills verifier's bucket and reads it: tokens now, and milliseconds
 * left of a pause. ERR_NOT_FOUND when it has no row yet. */
static enum err bucket_read(PGconn *conn, const char *const params[3], double *ret_tokens,
			    double *ret_paused_ms)
{
	PGresult *res;
	enum err err = db_exec(
		conn,
		"WITH t AS (SELECT clock_timestamp() AS now) "
		"UPDATE verifier_buckets b SET tokens = LEAST($3::float8, b.tokens + $2::float8 * "
		"EXTRACT(EPOCH FROM (t.now - b.refilled_at))::float8), refilled_at = t.now FROM t "
		"WHERE b.verifier = $1 RETURNING b.tokens, "
		"coalesce(GREATEST(EXTRACT(EPOCH FROM (b.paused_until - t.now))::float8 * 1000, "
		"0), 0)",
		3, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	*ret_tokens = strtod(PQgetvalue(res, 0, 0), NULL);
	*ret_paused_ms = strtod(PQgetvalue(res, 0, 1), NULL);
	PQclear(res);
	return ERR_OK;
}

enum err db_bucket_take(PGconn *conn, const char *verifier, double rate, int burst, int want,
			int *ret_granted, long long *ret_wait_ms)
{
	char srate[32], sburst[16], staken[16];
	const char *params[3] = {verifier, srate, sburst};
	const char *take[2] = {verifier, staken};
	double tokens = 0, paused_ms = 0;
	int granted = 0;
	enum err err;

	snprintf(srate, sizeof(srate), "%.17g", rate);
	snprintf(sburst, sizeof(sburst), "%d", burst);
	err = bucket_read(conn, params, &tokens, &paused_ms);
	if (err == ERR_NOT_FOUND) {
		const char *fill[2] = {verifier, sburst};

		err = db_exec(conn,
			      "INSERT INTO verifier_buckets (verifier, tokens, refilled_at) "
			      "VALUES ($1, $2::float8, clock_timestamp()) ON CONFLICT DO NOTHING",
			      2, fill, NULL, NULL, NULL);
		if (err == ERR_OK)
			err = bucket_read(conn, params, &tokens, &paused_ms);
	}
	if (err != ERR_OK)
		return err;
	if (paused_ms <= 0)
		granted = tokens >= want ? want : (int)floor(tokens);
	if (granted > 0) {
		snprintf(staken, sizeof(staken), "%d", granted);
		err = db_exec(conn,
			      "UPDATE verifier_buckets SET tokens = tokens - $2::float8 "
			      "WHERE verifier = $1",
			      2, take, NULL, NULL, NULL);
		if (err != ERR_OK)
			return err;
	}
	*ret_granted = granted;
	*ret_wait_ms = paused_ms > 0
			       ? (long long)ceil(paused_ms)
			       : (long long)ceil((1.0 - (tokens - floor(tokens))) / rate * 1000);
	return ERR_OK;
}

enum err db_bucket_pause(PGconn *conn, const char *verifier, long seconds)
{
	char s[24];
	const char *params[2] = {verifier, s};

	snprintf(s, sizeof(s), "%ld", seconds);
	return db_exec(conn,
		       "UPDATE verifier_buckets SET paused_until = GREATEST(coalesce(paused_until, "
		       "'-infinity'), clock_timestamp() + $2 * interval '1 s') WHERE verifier = $1",
		       2, params, NULL, NULL, NULL);
}

enum err db_jobs_health(PGconn *conn, struct job_health **ret_health, size_t *ret_n)
{
	static const char sql[] =
		"SELECT verifier, count(*) FILTER (WHERE state IN ('queued', 'running')), "
		"coalesce(to_char(max(finished_at) FILTER (WHERE state = 'done' AND outcome <> "
		"'error') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
		"count(*) FILTER (WHERE state = 'done' AND finished_at > now() - interval '24 "
		"hours'), "
		"count(*) FILTER (WHERE state = 'done' AND outcome = 'error' AND finished_at > "
		"now() - interval '24 hours') "
		"FROM verification_jobs GROUP BY verifier ORDER BY verifier";
	struct job_health *h = NULL;
	PGresult *res = NULL;
	enum err err = db_exec(conn, sql, 0, NULL, NULL, NULL, &res);
	int n;

	if (err != ERR_OK)
		return err;
	n = PQntuples(res);
	h = calloc(n > 0 ? (size_t)n : 1, sizeof(*h));
	if (h == NULL) {
		PQclear(res);
		return ERR_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		snprintf(h[i].verifier, sizeof(h[i].verifier), "%s", PQgetvalue(res, i, 0));
		h[i].queue_depth = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		snprintf(h[i].last_success, sizeof(h[i].last_success), "%s", PQgetvalue(res, i, 2));
		h[i].checks_24h = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		h[i].errors_24h = strtoll(PQgetvalue(res, i, 4), NULL, 10);
	}
	PQclear(res);
	*ret_health = h;
	*ret_n = (size_t)n;
	return ERR_OK;
}
