/*
 * status.h - the account status machine: the one table of which event
 * moves an account from which status to which. Every status change goes
 * through status_next(); db_account_set_status() (db/accounts.h) is the
 * one write and refuses a change the table does not allow.
 *
 * The database keeps the names (accounts.status, CHECK constraint in
 * db/migrations/0001_accounts.sql); C code uses the enum.
 */
#ifndef HCPD_STATUS_H
#define HCPD_STATUS_H

#include <stdbool.h>

#include "err.h"

enum account_status {
	STATUS_PENDING_VERIFICATION = 0, /* checks running, none failed yet */
	STATUS_VERIFIED,                 /* every automated check verified */
	STATUS_FLAGGED,                  /* in the admin queue after a check */
	STATUS_APPROVED,                 /* an admin approved */
	STATUS_REJECTED,                 /* an admin rejected */
	STATUS_SUSPENDED,                /* a re-check failed: in the admin queue */
	STATUS_COUNT
};

enum status_event {
	EVENT_CHECKS_PASSED = 0, /* the last open check verified, and every verifier's latest did */
	EVENT_CHECK_FAILED,      /* a first check (registration, rectification) did not verify,
				    or any check ended in error */
	EVENT_RECHECK_FAILED,    /* a re-check (schedule, roster reload) found the licence
				    mismatched, absent, inactive or excluded */
	EVENT_APPROVE,           /* an admin's decision */
	EVENT_REJECT,            /* an admin's decision */
	EVENT_REQUEST_INFO,      /* an admin asks the professional; the item waits for them */
	EVENT_ANSWER,            /* the professional answered: back to an admin */
	EVENT_REVERIFY,          /* licence fields changed, or a refused check may run again:
				    every check runs again */
	EVENT_CHECK_REFUSED,     /* a check may not run (consent withdrawn, processing
				    restricted): monitoring cannot go on, so nothing stays decided */
	EVENT_NO_REGISTRY,       /* no register applies to the professional at all (or none
				    could be asked): only an admin can decide (issue 19) */
	EVENT_MANUAL_CHECK,      /* a register an admin checks by hand applies, and every
				    automated check (if any) has answered: to an admin (issue 19) */
	EVENT_DUPLICATE_IDENTIFIER, /* another live account holds the same licence identifier:
				       both go to an admin, whatever was decided */
	EVENT_SUSPEND,              /* an admin suspends the account (the admin console) */
	EVENT_REINSTATE,            /* an admin reinstates a suspended account: checks run again */
	EVENT_COUNT
};

/* What status event does from status from: ERR_OK with *ret_to (which may
 * equal from: request_info keeps the status), or ERR_CONFLICT when the
 * table has no such transition (*ret_to untouched). Pure. */
enum err status_next(enum account_status from, enum status_event event,
		     enum account_status *ret_to);

/* The webhook event ("account.verified", "account.reinstated" ...) the
 * transition of event from from announces, or NULL when it announces
 * none (or the table has no such transition). Static strings. Pure. */
const char *status_announcement(enum account_status from, enum status_event event);

/* "pending_verification", "verified", ...: the names the API and the
 * database use. Static strings; "?" for a value out of range. */
const char *status_name(enum account_status status);

/* "checks_passed", "check_failed", ... Static strings. */
const char *status_event_name(enum status_event event);

/* The status named s, into *ret_status; false (untouched) for an unknown
 * name. */
bool status_parse(const char *s, enum account_status *ret_status);

/* Is an account of this status in the admin queue (flagged, suspended)? */
bool status_in_review(enum account_status status);

#endif
