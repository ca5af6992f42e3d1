/*
 * retention.h - how personal data leaves hcpd: erasure of one account
 * (crypto-shredding, see db_account_erase) and the retention purge, run
 * hourly by a thread of `hcpd serve` and at once by `hcpd purge --now`.
 *
 * The purge (durations are settings, README's configuration table):
 *   - registrations never completed - email never confirmed and status
 *     still pending_verification - HCPD_RETENTION_UNCOMPLETED_DAYS after
 *     they were made are erased like DELETE /v1/me would (their pseudonymous
 *     shell and consent history stay, since consent history is never
 *     deleted); accounts under a legal hold are skipped;
 *   - verification evidence older than the retention_days of its
 *     verifier's terms (HCPD_RETENTION_EVIDENCE_DAYS without terms);
 *   - expired email tokens, refresh tokens of revoked or expired sessions,
 *     idempotency keys older than HCPD_RETENTION_IDEMPOTENCY_HOURS;
 *   - licence documents HCPD_RETENTION_DOCUMENTS_DAYS after the decision
 *     (approve or reject) that ended their account's review, when they
 *     were uploaded before it (documents.h);
 *   - sign-in throttle rows a day past their last failure that no longer lock;
 *   - rejected registrations HCPD_RETENTION_REJECTED_DAYS after their
 *     rejection, erased like the never completed ones (issue 25 item 6);
 *   - dormant accounts (dormancy.h: no sign-in nor refresh for
 *     HCPD_RETENTION_DORMANT_DAYS): warned by one payload-less mail
 *     DORMANCY_WARNING_DAYS ahead, erased once the warning is that old
 *     unless they signed in since; legal holds are skipped.
 * Each pass adds what it removed to purge_totals, which /metrics shows
 * summed over every process (retention_metrics_render).
 * Ledger, audit and consent rows are never purged.
 */
#ifndef HCPD_RETENTION_H
#define HCPD_RETENTION_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>

#include "err.h"
#include "privacy.h"

struct app;
struct bgthread;

/* Erases account e->id (db_account_erase()), keeping in profile_public
 * only the catalogue's kept_after_erasure fields (e->kept and e->keys are
 * set here).
 * ERR_CONFLICT under a legal hold or when e->due no longer finds it due,
 * ERR_NOT_FOUND when already erased. Blocks. */
enum err retention_erase(const struct app *app, PGconn *conn, const struct erasure *e);

/* What a purge pass removed, as a JSON object (a new reference, NULL when
 * out of memory): the log line's details and `hcpd purge --now`'s output. */
json_t *retention_counts_json(const struct purge_counts *c);

/* One purge pass; *ret_counts says what went. Blocks. */
enum err retention_purge(const struct app *app, PGconn *conn, struct purge_counts *ret_counts);

/* Writes the purge totals (hcpd_retention_purged_total) to f: read now
 * when a pooled connection is free at once, else as last read (nothing
 * before the first read). Never waits for the pool; blocks for one
 * statement. */
void retention_metrics_render(struct app *app, FILE *f);

/* Starts the thread (bgthread.h) that purges every cfg.purge_interval
 * seconds, the first pass at once; bgthread_stop() stops it. Call after
 * the signal mask is set. ERR_NOMEM when the thread cannot start. */
enum err retention_start(struct app *app, struct bgthread **ret_thread);

#endif
