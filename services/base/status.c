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

static const struct transition {
	enum status_event event;
	enum account_status from, to;
} transitions[] = {
	{EVENT_CHECKS_PASSED, P, V},
	{EVENT_CHECK_FAILED, P, F},
	{EVENT_RECHECK_FAILED, P, F},
	{EVENT_RECHECK_FAILED, V, S},
	{EVENT_RECHECK_FAILED, A, S},
	{EVENT_APPROVE, F, A},
	{EVENT_APPROVE, S, A},
	{EVENT_APPROVE, R, A},
	{EVENT_REJECT, F, R},
	{EVENT_REJECT, S, R},
	{EVENT_REJECT, A, R},
	{EVENT_REQUEST_INFO, F, F},
	{EVENT_REQUEST_INFO, S, S},
	{EVENT_ANSWER, F, F},
	{EVENT_ANSWER, S, F},
	/* changed licence data is checked afresh, whatever was decided on the old */
	{EVENT_REVERIFY, P, P},
	{EVENT_REVERIFY, V, P},
	{EVENT_REVERIFY, F, P},
	{EVENT_REVERIFY, A, P},
	{EVENT_REVERIFY, R, P},
	{EVENT_REVERIFY, S, P},
	/* a check that may not run is no good check: the account leaves
	 * verified and approved, and a first check goes to an admin */
	{EVENT_CHECK_REFUSED, P, F},
	{EVENT_CHECK_REFUSED, V, S},
	{EVENT_CHECK_REFUSED, A, S},
	/* issue 19: every first check reaches a decision. With nothing an
	 * automated check can decide, the account goes to an admin at once;
	 * a re-check never needs this (the account was decided already) */
	{EVENT_NO_REGISTRY, P, F},
	{EVENT_MANUAL_CHECK, P, F},
	/* one licence identifier on two live accounts: an admin decides which
	 * is whose; an account already in the queue stays where it is */
	{EVENT_DUPLICATE_IDENTIFIER, P, F},
	{EVENT_DUPLICATE_IDENTIFIER, V, F},
	{EVENT_DUPLICATE_IDENTIFIER, F, F},
	{EVENT_DUPLICATE_IDENTIFIER, A, F},
	{EVENT_DUPLICATE_IDENTIFIER, S, S},
	/* the admin console: anything not rejected or suspended already can
	 * be suspended; only a suspended account is reinstated, and then its
	 * checks decide again (its licence may have lapsed meanwhile) */
	{EVENT_SUSPEND, P, S},
	{EVENT_SUSPEND, V, S},
	{EVENT_SUSPEND, F, S},
	{EVENT_SUSPEND, A, S},
	{EVENT_REINSTATE, S, P},
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
