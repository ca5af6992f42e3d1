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
 * limit shared by every process (db_bucket_take, when jobs are claimed)
 * and, in each process, requests that leave one interval (1/rate) apart,
 * never less than half of one (pace.h: jobs claimed together, or apart
 * by a loop running late, do not leave together), 429 Retry-After
 * honoured for the whole verifier, exponential back-off with jitter, and
 * a circuit breaker that fails attempts fast while the registry is down.
 */
#ifndef HCPD_RUNNER_H
#define HCPD_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "jobs.h"
#include "verifier.h"

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

/* Milliseconds before attempt + 1, after attempt failed: backoff_ms
 * doubled per attempt, at most 5 minutes, with jitter (rnd picks a point
 * in the upper half), and never sooner than a Retry-After of
 * retry_after_s seconds (-1: none; at most an hour). Pure. */
long long runner_backoff_ms(int backoff_ms, int attempt, long retry_after_s, unsigned rnd);

/* Writes this process's check counters in the Prometheus text format. */
void runner_metrics_render(const struct verifier_set *set, FILE *f);

#endif
