/*
 * status.c - the account status transition table (see status.h). Owns
 * only constant tables; a pair that is not listed is refused.
 */
#include <string.h>

#include "status.h"

#define P STATUS_PENDING_VERIFICATION
#define V STATUS_VERIFIED
#define F STATUS_FLAGGED
#define A STATUS_APPROVED
#define R STATUS_REJECTED
#define S STATUS_SUSPENDED

/* What each transition announces to webhook endpoints (db/webhooks.h);
 * NULL: nothing (the status stays, or goes back to checking). */
#define VERIFIED   "account.verified"
#define FLAGGED    "account.flagged"
#define APPROVED   "account.approved"
#define REJECTED   "account.rejected"
#define SUSPENDED  "account.suspended"
#define REINSTATED "account.reinstated"

static const struct transition {
	enum status_event event;
	enum account_status from, to;
	const char *announce;
} transitions[] = {
	{EVENT_CHECKS_PASSED, P, V, VERIFIED},
	{EVENT_CHECK_FAILED, P, F, FLAGGED},
	{EVENT_RECHECK_FAILED, P, F, FLAGGED},
	{EVENT_RECHECK_FAILED, V, S, SUSPENDED},
	{EVENT_RECHECK_FAILED, A, S, SUSPENDED},
	{EVENT_APPROVE, F, A, APPROVED},
	/* out of suspended to approved: the account is back in good standing */
	{EVENT_APPROVE, S, A, REINSTATED},
	{EVENT_APPROVE, R, A, APPROVED},
	{EVENT_REJECT, F, R, REJECTED},
	{EVENT_REJECT, S, R, REJECTED},
	{EVENT_REJECT, A, R, REJECTED},
	{EVENT_REQUEST_INFO, F, F, NULL},
	{EVENT_REQUEST_INFO, S, S, NULL},
	{EVENT_ANSWER, F, F, NULL},
	{EVENT_ANSWER, S, F, FLAGGED},
	/* changed licence data is checked afresh, whatever was decided on the old */
	{EVENT_REVERIFY, P, P, NULL},
	{EVENT_REVERIFY, V, P, NULL},
	{EVENT_REVERIFY, F, P, NULL},
	{EVENT_REVERIFY, A, P, NULL},
	{EVENT_REVERIFY, R, P, NULL},
	{EVENT_REVERIFY, S, P, NULL},
	/* a check that may not run is no good check: the account leaves
	 * verified and approved, and a first check goes to an admin */
	{EVENT_CHECK_REFUSED, P, F, FLAGGED},
	{EVENT_CHECK_REFUSED, V, S, SUSPENDED},
	{EVENT_CHECK_REFUSED, A, S, SUSPENDED},
	/* issue 19: every first check reaches a decision. With nothing an
	 * automated check can decide, the account goes to an admin at once;
	 * a re-check never needs this (the account was decided already) */
	{EVENT_NO_REGISTRY, P, F, FLAGGED},
	{EVENT_MANUAL_CHECK, P, F, FLAGGED},
	/* one licence identifier on two live accounts: an admin decides which
	 * is whose; an account already in the queue stays where it is */
	{EVENT_DUPLICATE_IDENTIFIER, P, F, FLAGGED},
	{EVENT_DUPLICATE_IDENTIFIER, V, F, FLAGGED},
	{EVENT_DUPLICATE_IDENTIFIER, F, F, NULL},
	{EVENT_DUPLICATE_IDENTIFIER, A, F, FLAGGED},
	{EVENT_DUPLICATE_IDENTIFIER, S, S, NULL},
	/* the admin console: anything not rejected or suspended already can
	 * be suspended; only a suspended account is reinstated, and then its
	 * checks decide again (its licence may have lapsed meanwhile): it is
	 * back in good standing as far as an admin can say */
	{EVENT_SUSPEND, P, S, SUSPENDED},
	{EVENT_SUSPEND, V, S, SUSPENDED},
	{EVENT_SUSPEND, F, S, SUSPENDED},
	{EVENT_SUSPEND, A, S, SUSPENDED},
	{EVENT_REINSTATE, S, P, REINSTATED},
};

static const char *const status_names[STATUS_COUNT] = {
	[P] = "pending_verification",
	[V] = "verified",
	[F] = "flagged",
	[A] = "approved",
	[R] = "rejected",
	[S] = "suspended",
};

static const char *const event_names[EVENT_COUNT] = {
	[EVENT_CHECKS_PASSED] = "checks_passed",
	[EVENT_CHECK_FAILED] = "check_failed",
	[EVENT_RECHECK_FAILED] = "recheck_failed",
	[EVENT_APPROVE] = "approve",
	[EVENT_REJECT] = "reject",
	[EVENT_REQUEST_INFO] = "request_info",
	[EVENT_ANSWER] = "answer",
	[EVENT_REVERIFY] = "reverify",
	[EVENT_CHECK_REFUSED] = "check_refused",
	[EVENT_NO_REGISTRY] = "no_registry",
	[EVENT_MANUAL_CHECK] = "manual_check",
	[EVENT_DUPLICATE_IDENTIFIER] = "duplicate_identifier",
	[EVENT_SUSPEND] = "suspend",
	[EVENT_REINSTATE] = "reinstate",
};

enum err status_next(enum account_status from, enum status_event event, enum account_status *ret_to)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].event == event && transitions[i].from == from) {
			*ret_to = transitions[i].to;
			return ERR_OK;
		}
	return ERR_CONFLICT;
}

const char *status_announcement(enum account_status from, enum status_event event)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].event == event && transitions[i].from == from)
			return transitions[i].announce;
	return NULL;
}

const char *status_name(enum account_status status)
{
	return (unsigned)status < STATUS_COUNT ? status_names[status] : "?";
}

const char *status_event_name(enum status_event event)
{
	return (unsigned)event < EVENT_COUNT ? event_names[event] : "?";
}

bool status_parse(const char *s, enum account_status *ret_status)
{
	for (int i = 0; i < STATUS_COUNT; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*ret_status = (enum account_status)i;
			return true;
		}
	return false;
}

bool status_in_review(enum account_status status)
{
	return status == F || status == S;
}
