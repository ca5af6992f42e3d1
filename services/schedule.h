/*
 * schedule.h - continuous monitoring: re-verification on a schedule and
 * before a licence expires, expiry reminders and the admins' review
 * digest, by passes that one process at a time runs (an advisory lock).
 *
 * A pass, in one transaction:
 *   - queues a 'reverification' job, per verifier, for every verified or
 *     approved professional it applies to whose last good check of it is
 *     older than HCPD_REVERIFY_DAYS (or who has none; an error does not
 *     count, so it is retried at the next pass);
 *   - for each whose known licence expiry (the one they declared, or the
 *     earliest a registry reported) is within SCHEDULE_EXPIRY_DAYS and who
 *     was not reminded of that date yet: queues a re-check by every
 *     verifier that applies and a reminder message;
 *   - queues the review digest to every admin who had none in a day, when
 *     an item has waited for an admin longer than HCPD_REVIEW_DIGEST_HOURS.
 * The jobs then run through the runner like first checks: the same gate,
 * ledger, retries and status rules (runner.h: a re-check that does not
 * verify suspends).
 */
#ifndef HCPD_SCHEDULE_H
#define HCPD_SCHEDULE_H

#include <stdbool.h>
#include <stdio.h>
#include <libpq-fe.h>

#include "err.h"

#define SCHEDULE_EXPIRY_DAYS 30 /* re-check and remind this long before expiry */

struct app;
struct bgthread;

/* What a pass did. */
struct schedule_counts {
	long long queued;    /* re-verification jobs queued */
	long long reminders; /* expiry reminders queued */
	long long digests;   /* review digests queued */
	bool ran;            /* false: another process held the lock */
};

/* One pass on conn (outside any transaction). all: every verified or
 * approved account is due, whatever its schedule. wait: wait for the lock
 * rather than skip the pass when another process holds it. Blocks. */
enum err schedule_pass(struct app *app, PGconn *conn, bool all, bool wait,
		       struct schedule_counts *ret_counts);

/* Starts the thread (bgthread.h) that runs a pass at start and every
 * HCPD_REVERIFY_INTERVAL_SECONDS; bgthread_stop() stops it. ERR_NOMEM when
 * it cannot start. Call after the signal mask is set. */
enum err schedule_start(struct app *app, struct bgthread **ret_thread);

/* The monitoring gauges for /metrics (see db_monitor_gauges()); nothing
 * when the database cannot be had. Blocks. */
void schedule_metrics_render(struct app *app, FILE *f);

#endif
