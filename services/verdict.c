/*
 * verdict.c - what verification decides about an account (see verdict.h):
 * the jobs it gets, the status event a finished or refused check makes,
 * and new rounds of checks. Decides with pure functions and the status
 * table (services/base/status.c), then writes in the caller's transaction
 * or in one of its own; the job runner, the handlers and the scheduler
 * call it, so each rule is written once.
 */
#include "app.h"
#include "db.h"
#include "mailer.h"
#include "outbox.h"
#include "verdict.h"

size_t verdict_jobs_for(const struct verifier_set *set, const char *country, const char *profession,
			struct job_spec *specs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < verifier_set_count(set) && n < max; i++) {
		const struct verifier *v = verifier_set_at(set, i);

		if (v->ops->transport == TRANSPORT_MANUAL ||
		    !verifier_applies(v, country, profession))
			continue;
		specs[n].verifier = v->name;
		specs[n].needs_roster = v->ops->transport == TRANSPORT_LOCAL;
		n++;
	}
	return n;
}

bool verdict_manual_applies(const struct verifier_set *set, const char *country,
			    const char *profession)
{
	for (size_t i = 0; i < verifier_set_count(set); i++) {
		const struct verifier *v = verifier_set_at(set, i);

		if (v->ops->transport == TRANSPORT_MANUAL &&
		    verifier_applies(v, country, profession))
			return true;
	}
	return false;
}

void verdict_unqueued(bool manual, enum status_event *ret_event, const char **ret_reason)
{
	*ret_event = manual ? EVENT_MANUAL_CHECK : EVENT_NO_REGISTRY;
	*ret_reason = manual ? "manual_check" : "no_registry";
}

bool verdict_event(enum job_occasion occasion, enum outcome outcome, int open, bool all_verified,
		   bool email_verified, bool manual, enum status_event *ret_event)
{
	if (outcome == OUTCOME_VERIFIED) {
		if (open != 0 || !all_verified)
			return false;
		if (manual) {
			/* the table moves only a pending account: a re-check of a
			 * decided one changes nothing */
			*ret_event = EVENT_MANUAL_CHECK;
			return true;
		}
		if (!email_verified)
			return false;
		*ret_event = EVENT_CHECKS_PASSED;
	} else if (job_occasion_is_recheck(occasion) && outcome != OUTCOME_ERROR) {
		*ret_event = EVENT_RECHECK_FAILED;
	} else {
		*ret_event = EVENT_CHECK_FAILED;
	}
	return true;
}

enum err verdict_reverify(struct app *app, PGconn *conn, const char *id, enum account_status from,
			  const char *reason, enum job_occasion occasion, const char *country,
			  const char *profession)
{
	return verdict_round(app, conn, id, from, EVENT_REVERIFY, reason, occasion, country,
			     profession);
}

enum err verdict_round(struct app *app, PGconn *conn, const char *id, enum account_status from,
		       enum status_event event, const char *reason, enum job_occasion occasion,
		       const char *country, const char *profession)
{
	struct job_spec specs[VERDICT_JOBS_MAX];
	const struct verifier_set *set = app->verifiers; /* read once: a reload swaps it */
	size_t n = verdict_jobs_for(set, country, profession, specs, VERDICT_JOBS_MAX);
	enum err err = db_account_set_status(conn, id, from, event, reason, NULL);
	enum status_event next;
	const char *why;
	int queued = 0;

	if (err == ERR_OK)
		err = db_jobs_cancel_open(conn, id, "superseded");
	if (err == ERR_OK)
		err = db_jobs_enqueue(conn, id, occasion, specs, n, &queued);
	if (err == ERR_OK && queued == 0) {
		verdict_unqueued(verdict_manual_applies(set, country, profession), &next, &why);
		err = db_account_set_status(conn, id, STATUS_PENDING_VERIFICATION, next, why, NULL);
	}
	return err;
}

enum err verdict_restore(struct app *app, PGconn *conn, const char *id)
{
	struct account_refusal a;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_account_refusal_lifted(conn, id, &a);
	if (err == ERR_OK)
		err = verdict_reverify(app, conn, id, a.status, "monitoring_restored",
				       OCCASION_REVERIFICATION, a.country, a.profession);
	err = db_end(conn, err);
	return err == ERR_NOT_FOUND ? ERR_OK : err;
}

enum err verdict_email_confirmed(PGconn *conn, const char *id)
{
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = verdict_email_confirmed_in(conn, id);
	return db_end(conn, err);
}

enum err verdict_email_confirmed_in(PGconn *conn, const char *id)
{
	enum account_status from;
	enum status_event event;
	bool all_verified = false;
	int open = 1;
	enum err err = db_account_lock_status(conn, id, &from);

	if (err == ERR_OK && from == STATUS_PENDING_VERIFICATION)
		err = db_account_checks(conn, id, &open, &all_verified);
	if (err == ERR_OK && from == STATUS_PENDING_VERIFICATION &&
	    /* no manual register: one would have sent the account to an admin
	     * when its last automated check answered, so it is not pending */
	    verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, open, all_verified, true, false,
			  &event))
		err = db_account_set_status(conn, id, from, event, "email_confirmed", NULL);
	return err == ERR_NOT_FOUND ? ERR_OK : err;
}

enum err verdict_checked(PGconn *conn, const struct verifier_set *set, const char *account_id,
			 const struct job_facts *facts, enum outcome outcome, bool *ret_moved,
			 enum account_status *ret_to)
{
	bool manual = verdict_manual_applies(set, facts->country, facts->profession);
	enum status_event event;
	enum err err = ERR_OK;

	*ret_moved = false;
	if (!verdict_event(facts->occasion, outcome, facts->open, facts->all_verified,
			   facts->email_verified, manual, &event))
		return ERR_OK;
	err = db_account_set_status(conn, account_id, facts->status, event,
				    event == EVENT_MANUAL_CHECK ? "manual_check" : NULL, ret_to);
	if (err == ERR_CONFLICT) /* the table keeps this status (the row is locked) */
		return ERR_OK;
	if (err == ERR_OK)
		*ret_moved = true;
	if (err == ERR_OK && *ret_to == STATUS_SUSPENDED)
		err = mailer_notice_queue(conn, account_id, OUTBOX_ACCOUNT_SUSPENDED);
	return err;
}

enum err verdict_refused(PGconn *conn, const char *account_id)
{
	enum account_status from, to;
	enum err err = db_account_lock_status(conn, account_id, &from);

	if (err == ERR_OK)
		err = db_account_set_status(conn, account_id, from, EVENT_CHECK_REFUSED,
					    from == STATUS_PENDING_VERIFICATION
						    ? "verification_refused"
						    : "monitoring_refused",
					    &to);
	if (err == ERR_OK && to == STATUS_SUSPENDED)
		err = mailer_notice_queue(conn, account_id, OUTBOX_MONITORING_REFUSED);
	return err == ERR_NOT_FOUND || err == ERR_CONFLICT ? ERR_OK : err;
}
