/*
 * verdict.h - what verification decides about an account: which jobs a
 * professional gets, which status event a finished or refused check makes
 * (the status table, services/base/status.h, decides what follows), and
 * new rounds of checks (rectification, monitoring restored, an email
 * confirmed after the checks). The one place of these rules: the job
 * runner, the handlers and the scheduler call it.
 */
#ifndef HCPD_VERDICT_H
#define HCPD_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"
#include "jobs.h"
#include "verifier.h"

#define VERDICT_JOBS_MAX 16 /* verifiers that may apply to one professional */

struct app;

/* The jobs a professional of country and profession gets: one per
 * automated verifier of set that applies, roster verifiers only once their
 * roster is loaded (job_spec.needs_roster); a manual register
 * (TRANSPORT_MANUAL) gets none. Fills at most max specs, borrowed from
 * set; returns how many. */
size_t verdict_jobs_for(const struct verifier_set *set, const char *country, const char *profession,
			struct job_spec *specs, size_t max);

/* Does a manual register of set (an admin checks it by hand) apply to a
 * professional of country and profession? */
bool verdict_manual_applies(const struct verifier_set *set, const char *country,
			    const char *profession);

/* Issue 19, every registration reaches a decision: the event and reason
 * (a status_reason code) of a first round of checks that queued no job at
 * all. A manual register applies: EVENT_MANUAL_CHECK, "manual_check";
 * otherwise no register could check the licence: EVENT_NO_REGISTRY,
 * "no_registry". Either goes to an admin at once. Pure. */
void verdict_unqueued(bool manual, enum status_event *ret_event, const char **ret_reason);

/* The status event (status.h) a job of occasion that ended with outcome
 * makes, given the account's jobs still open, whether each verifier's
 * latest job is verified, whether its email is confirmed and whether a
 * manual register applies to it, into *ret_event; false when it makes
 * none. A verified outcome, once none is open and all verified, sends the
 * account to an admin when a manual register applies (EVENT_MANUAL_CHECK:
 * the automated checks have all answered, and only a person can check the
 * rest), and otherwise passes the checks when the email is confirmed (an
 * address nobody has shown to be theirs is never a verified account:
 * verdict_email_confirmed() passes them then);
 * any other outcome of a first check, and an error of any check, fails
 * the check; a mismatch, not_found, inactive or excluded of a re-check
 * fails the re-check. The status table then decides what follows. Pure. */
bool verdict_event(enum job_occasion occasion, enum outcome outcome, int open, bool all_verified,
		   bool email_verified, bool manual, enum status_event *ret_event);

/* Starts a new round of checks of account id in the caller's transaction
 * (its row locked, its status from): back to pending_verification by
 * EVENT_REVERIFY with reason (a code), checks still open for the old round
 * cancelled, and one job of occasion per verifier of app that applies to
 * country and profession queued; when none could be, straight on to an
 * admin by verdict_unqueued(). Blocks. */
enum err verdict_reverify(struct app *app, PGconn *conn, const char *id, enum account_status from,
			  const char *reason, enum job_occasion occasion, const char *country,
			  const char *profession);

/* verdict_reverify() by another event that leads to a new round (an
 * admin's reinstate): ERR_CONFLICT, nothing written, when the status
 * table refuses event from from. Blocks. */
enum err verdict_round(struct app *app, PGconn *conn, const char *id, enum account_status from,
		       enum status_event event, const char *reason, enum job_occasion occasion,
		       const char *country, const char *profession);

/* Once a professional whose account a refused check suspended or flagged
 * gives consent again or lifts the restriction, checks it again at once
 * (verdict_reverify(), reason monitoring_restored), in a transaction of
 * its own on conn; nothing for any other account. Blocks. */
enum err verdict_restore(struct app *app, PGconn *conn, const char *id);

/* Account id's email was just confirmed: a pending account whose checks
 * have all verified becomes verified now (reason email_confirmed), in a
 * transaction of its own on conn; nothing for any other. Blocks. */
enum err verdict_email_confirmed(PGconn *conn, const char *id);

/* verdict_email_confirmed() in the caller's transaction: for a change
 * that confirms the address along with other writes (a confirmation or
 * recovery link). Blocks. */
enum err verdict_email_confirmed_in(PGconn *conn, const char *id);

/* A check of account_id ended with outcome (facts: db_job_done()'s, the
 * row locked): moves the status by verdict_event() and the table (set
 * tells whether a manual register applies), and tells a suspended
 * professional. *ret_moved says whether it moved, and *ret_to then where.
 * In the caller's transaction. Blocks. */
enum err verdict_checked(PGconn *conn, const struct verifier_set *set, const char *account_id,
			 const struct job_facts *facts, enum outcome outcome, bool *ret_moved,
			 enum account_status *ret_to);

/* A check of account_id may not run (consent withdrawn, processing
 * restricted, terms not in force): no good check, so the account moves by
 * EVENT_CHECK_REFUSED. A verified or approved account is suspended (reason
 * monitoring_refused) and told how to restore it; a pending one goes to
 * an admin (verification_refused); nothing for an erased account or one
 * already in the queue. Locks the row, in the caller's transaction.
 * Blocks. */
enum err verdict_refused(PGconn *conn, const char *account_id);

#endif
