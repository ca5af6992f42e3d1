/*
 * runner.h - the verification job runner: one thread per hcpd process
 * (serve or worker) that claims due jobs, passes each through the
 * disclosure gate, reaches the registry through one libcurl multi handle
 * (or an external program, or PostgreSQL for rosters), and records the
 * outcome and the account's new status.
 *
 * Guarantees: the disclosure is recorded in the transaction that marks
 * the job running, before anything is sent; a job runs in one process at
 * a time (a lease longer than an attempt can take); its outcome is
 * recorded once, and only while the lease is still this process's; every
 * job ends in bounded time - after its verifier's attempts it is an error
 * that flags the account ("registry unavailable"). Per verifier: a rate
 * limit shared by every process (db_bucket_take), 429 Retry-After
 * honoured for the whole verifier, exponential back-off with jitter, and a
 * circuit breaker that fails attempts fast while the registry is down.
 */
#ifndef HCPD_RUNNER_H
#define HCPD_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "jobs.h"
#include "verifier.h"

#define RUNNER_JOBS_MAX 16 /* verifiers that may apply to one professional */

struct app;
struct runner;

/* Starts the runner thread with app->cfg.verify_concurrency checks in
 * flight at most. With 0, runs nothing: *ret_runner is NULL. Call after
 * the signal mask is set (the thread inherits it). ERR_NOMEM when the
 * thread cannot start. */
enum err runner_start(struct app *app, struct runner **ret_runner);

/* Stops the thread: checks in flight are abandoned and their jobs go
 * back to the queue at once. Blocks for about a database round trip.
 * Accepts NULL. */
void runner_stop(struct runner *r);

/* The jobs a professional of country and profession gets: one per
 * verifier of set that applies, roster verifiers only once their roster
 * is loaded (job_spec.needs_roster). Fills at most max specs, borrowed
 * from set; returns how many. */
size_t runner_jobs_for(const struct verifier_set *set, const char *country, const char *profession,
		       struct job_spec *specs, size_t max);

/* The status event (status.h) a job of occasion that ended with outcome
 * makes, given the account's jobs still open and whether each verifier's
 * latest job is verified, into *ret_event; false when it makes none. A
 * verified outcome passes the checks once none is open and all verified;
 * any other outcome of a first check, and an error of any check, fails
 * the check; a mismatch, not_found, inactive or excluded of a re-check
 * fails the re-check. The status table then decides what follows. Pure. */
bool runner_event(enum job_occasion occasion, enum outcome outcome, int open, bool all_verified,
		  enum status_event *ret_event);

/* Starts a new round of checks of account id in the caller's transaction
 * (its row locked, its status from): back to pending_verification by
 * EVENT_REVERIFY with reason (a code), checks still open for the old round
 * cancelled, and one job of occasion per verifier of app that applies to
 * country and profession queued. Blocks. */
enum err runner_reverify(struct app *app, PGconn *conn, const char *id, enum account_status from,
			 const char *reason, enum job_occasion occasion, const char *country,
			 const char *profession);

/* Once a professional whose account a refused check suspended or flagged
 * gives consent again or lifts the restriction, checks it again at once
 * (runner_reverify(), reason monitoring_restored), in a transaction of
 * its own on conn; nothing for any other account. Blocks. */
enum err runner_monitoring_restore(struct app *app, PGconn *conn, const char *id);

/* Milliseconds before attempt + 1, after attempt failed: backoff_ms
 * doubled per attempt, at most 5 minutes, with jitter (rnd picks a point
 * in the upper half), and never sooner than a Retry-After of
 * retry_after_s seconds (-1: none; at most an hour). Pure. */
long long runner_backoff_ms(int backoff_ms, int attempt, long retry_after_s, unsigned rnd);

/* One check of profile ({field: value}) by v, now: one attempt, no job
 * and no ledger entry (for `hcpd verifier check`, where an operator types
 * the values). conn is used by LOCAL kinds and may otherwise be NULL.
 * When no answer came, *ret_res is an error outcome whose reason says
 * why. ret_sha is the reply's SHA-256 in hex, "" without a reply. Blocks
 * for up to v->timeout_ms. */
enum err runner_check_once(const struct verifier *v, PGconn *conn, json_t *profile,
			   struct verifier_result *ret_res, char ret_sha[65]);

/* Writes this process's check counters in the Prometheus text format. */
void runner_metrics_render(const struct verifier_set *set, FILE *f);

#endif
