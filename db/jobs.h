/*
 * jobs.h - data access for verification jobs, their outcomes and the
 * verifiers' shared rate-limit buckets (migrations 0004 and 0008).
 *
 * A job is queued, then claimed (FOR UPDATE SKIP LOCKED, so two processes
 * never claim one job) and held by a lease: lease_owner names the process
 * and lease_until when the claim lapses, after which the job is due again
 * (its worker died). A result is recorded only while the lease is still
 * the recorder's, so a job's effect happens once. Sealed values stay
 * sealed here; nothing logs.
 */
#ifndef HCPD_JOBS_H
#define HCPD_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "db.h"
#include "err.h"

#define JOB_OWNER_MAX 64 /* bytes of a lease owner's name */

/* Why a job was queued (verification_jobs.occasion). */
enum job_occasion {
	OCCASION_REGISTRATION = 0, /* a first check, at registration */
	OCCASION_RECTIFICATION,    /* a first check of changed licence data */
	OCCASION_REVERIFICATION,   /* a re-check by the monitoring schedule */
	OCCASION_ROSTER_RELOAD,    /* a re-check against a roster loaded anew */
	OCCASION_COUNT
};

/* "registration", "rectification", "reverification", "roster_reload":
 * the names the database keeps. Static strings. */
const char *job_occasion_name(enum job_occasion occasion);

/* Is a job of occasion a re-check of an account already decided? */
bool job_occasion_is_recheck(enum job_occasion occasion);

/* What to queue for one verifier. */
struct job_spec {
	const char *verifier;
	bool needs_roster; /* queue only once the verifier's roster is loaded */
};

/* Queues one job of occasion per spec for account_id, in the caller's
 * transaction; a verifier with an open job already gets no second one.
 * *ret_queued (may be NULL) counts the jobs queued. Blocks. */
enum err db_jobs_enqueue(PGconn *conn, const char *account_id, enum job_occasion occasion,
			 const struct job_spec *specs, size_t n, int *ret_queued);

/* Cancels account_id's open jobs (why: a short name, e.g. "superseded"),
 * in the caller's transaction; a worker running one then drops its result.
 * Blocks. */
enum err db_jobs_cancel_open(PGconn *conn, const char *account_id, const char *why);

/* One claimed job and its account's sealed values. */
struct job_claim {
	long long id;
	int attempts;                  /* attempts made before this claim */
	struct sealed_account account; /* data_key NULL once the account is erased */
};

/* The accounts of up to max due jobs of verifier - those db_jobs_claim()
 * would take next - read without a lock, so that their data keys can be
 * opened (the keystore is another database) before the claim's
 * transaction begins. Free with sealed_accounts_free(). Blocks. */
enum err db_jobs_due_accounts(PGconn *conn, const char *verifier, int max,
			      struct sealed_account **ret_accounts, size_t *ret_n);

/* Locks up to max due jobs of verifier (queued, or running with a lapsed
 * lease, next_attempt_at passed), oldest first, and each one's account,
 * skipping a job whose row or account row another transaction holds: a
 * claim then never waits for an account while it holds jobs, so one
 * holding an account and waiting for its job (a profile change cancelling
 * it, a registration flagging duplicates) cannot deadlock with it; the
 * job skipped is due still, for the next claim. Inside the caller's
 * transaction; mark each with db_job_start() or db_job_cancel() before
 * committing. *ret_claims is freed with job_claims_free(). Blocks. */
enum err db_jobs_claim(PGconn *conn, const char *verifier, int max, struct job_claim **ret_claims,
		       size_t *ret_n);

/* Frees n claims and wipes their sealed values. Accepts NULL. */
void job_claims_free(struct job_claim *claims, size_t n);

/* A claimed job is running under owner's lease for lease_ms, and (when
 * attempt is set) one more attempt is counted. Blocks. */
enum err db_job_start(PGconn *conn, long long id, const char *owner, int lease_ms, bool attempt);

/* Ends a claimed job without an outcome (why: "consent_withdrawn",
 * "erased", ...: a name, never content). Blocks. */
enum err db_job_cancel(PGconn *conn, long long id, const char *why);

/* Puts owner's running job back in the queue for another attempt in
 * delay_ms, recording error (a name). ERR_NOT_FOUND when the job is no
 * longer owner's (cancelled, or its lease lapsed and another took it).
 * Blocks. */
enum err db_job_retry(PGconn *conn, long long id, const char *owner, long long delay_ms,
		      const char *error);

/* Every job owner still runs goes back to the queue at once (a clean
 * shutdown: the next process need not wait for the leases). Blocks. */
enum err db_jobs_release(PGconn *conn, const char *owner);

/* A finished check, ready to store: evidence sealed, checks as JSON text
 * holding no values. */
/* One verifier's job figures, for GET /v1/admin/verifiers. */
struct job_health {
	char verifier[64];
	long long queue_depth; /* jobs queued or running */
	char last_success[40]; /* finished_at of its latest answer (not an error), ISO 8601; "" none
				*/
	long long checks_24h;  /* jobs finished in the last 24 hours */
	long long errors_24h;  /* of those, ended as errors */
};

/* Every verifier's job figures into *ret_health (malloc'd, *ret_n of
 * them; free()). Scans verification_jobs: an admin's occasional read.
 * ERR_NOMEM, ERR_UNAVAILABLE, ERR_DB. Blocks. */
enum err db_jobs_health(PGconn *conn, struct job_health **ret_health, size_t *ret_n);

struct job_outcome {
	const char *outcome;
	const char *reason;
	const char *checks; /* JSON text */
	const unsigned char *evidence_enc;
	size_t evidence_len;
	const unsigned char *reply_sha256; /* 32 bytes, or NULL */
	const char *licence_expires;       /* YYYY-MM-DD, or NULL */
	const char *error;                 /* last_error for an error outcome, or NULL */
};

/* What the account's status depends on once a job is done. */
struct job_facts {
	enum account_status status; /* the account's (its row is locked) */
	bool email_verified;        /* the account's */
	enum job_occasion occasion;
	int open;            /* the account's jobs still queued or running */
	bool all_verified;   /* each verifier's latest job is done and verified */
	char country[3];     /* the account's profile_public country, or "" */
	char profession[48]; /* and profession, or "": which registers apply */
};

/* Where account_id's checks stand: *ret_open jobs still queued or
 * running, and whether each verifier's latest job is done and verified
 * (false when it has none). Blocks. */
enum err db_account_checks(PGconn *conn, const char *account_id, int *ret_open,
			   bool *ret_all_verified);

/* Records owner's running job as done with o, in the caller's
 * transaction: locks the account row, marks the job, inserts its
 * verification and reads what the status depends on into *ret_facts.
 * ERR_NOT_FOUND when the job is no longer owner's or the account is
 * erased: record nothing then (roll back). Blocks. */
enum err db_job_done(PGconn *conn, long long id, const char *owner, const char *account_id,
		     const struct job_outcome *o, struct job_facts *ret_facts);

/* Takes up to want tokens from verifier's bucket (refilled at rate a
 * second up to burst since it was last read), in the caller's
 * transaction, which holds the bucket's row until it ends. *ret_granted
 * may be 0; then *ret_wait_ms says how long until a token (or a pause
 * set by db_bucket_pause()) frees up. Blocks. */
enum err db_bucket_take(PGconn *conn, const char *verifier, double rate, int burst, int want,
			int *ret_granted, long long *ret_wait_ms);

/* No request to verifier before seconds from now (a 429's Retry-After).
 * Blocks. */
enum err db_bucket_pause(PGconn *conn, const char *verifier, long seconds);

/* SQL for the professional's verifications, one per verifier, as a JSON
 * array text [{verifier, outcome, checked_at}] (outcome "queued" while a
 * job is open, checked_at then null), for the account id in parameter
 * param (e.g. "$1"). A scalar sub-select: GET /v1/me reads it with the
 * account in one statement (db_account_get_me()). checked_at is the
 * job's finished_at: db_job_done() sets it and inserts the check's
 * verifications row (checked_at now()) in one transaction, so the two
 * are the same instant, and reading it here spares a join per verifier
 * (with the join the statement ran at 0.25-0.3x of a primary-key lookup
 * in pgbench while the verifications table had never held a row, 0.8x
 * without; make bench's "GET /v1/me's statement" row). */
#define DB_VERIFICATIONS_SUMMARY(param)                                                            \
	"(SELECT coalesce(json_agg(json_build_object('verifier', l.verifier, 'outcome', "          \
	"l.outcome, 'checked_at', l.checked_at) ORDER BY l.verifier), '[]')::text FROM "           \
	"(SELECT DISTINCT ON (j.verifier) j.verifier, CASE WHEN j.state IN ('queued', "            \
	"'running') THEN 'queued' ELSE j.outcome END AS outcome, CASE WHEN j.state = 'done' "      \
	"THEN " DB_RFC3339("j.finished_at") " END AS checked_at FROM verification_jobs j "         \
					    "WHERE j.account_id = " param                          \
					    " AND j.state <> 'cancelled' "                         \
					    "ORDER BY j.verifier, j.id DESC) l)"

#endif
