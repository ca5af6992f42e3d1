/*
 * test_verdict.c - the pure parts of services/verdict.c and runner.c:
 * which status event a finished job makes (the status table,
 * test_status.c, then decides), and the runner's retry back-off.
 */
#include "harness.h"
#include "runner.h"
#include "verdict.h"

TEST(events_of_first_checks)
{
	enum status_event e = EVENT_COUNT;

	CHECK(verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, 0, true, true, false, &e) &&
	      e == EVENT_CHECKS_PASSED);
	e = EVENT_COUNT;
	CHECK(!verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, 1, true, true, false,
			     &e)); /* one open */
	CHECK(!verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, 0, false, true, false, &e));
	CHECK(e == EVENT_COUNT);
	/* issue 18: all verified, but nobody has shown the address is theirs */
	CHECK(!verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, 0, true, false, false, &e));
	CHECK(e == EVENT_COUNT);
	/* issue 19: a manual register applies: to an admin once every
	 * automated check has answered, whether the email is confirmed or not */
	CHECK(verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, 0, true, false, true, &e) &&
	      e == EVENT_MANUAL_CHECK);
	e = EVENT_COUNT;
	CHECK(!verdict_event(OCCASION_REGISTRATION, OUTCOME_VERIFIED, 1, true, true, true, &e));
	CHECK(e == EVENT_COUNT);
	for (enum outcome o = OUTCOME_MISMATCH; o <= OUTCOME_ERROR; o++) {
		CHECK(verdict_event(OCCASION_REGISTRATION, o, 0, false, true, true, &e) &&
		      e == EVENT_CHECK_FAILED);
		CHECK(verdict_event(OCCASION_REGISTRATION, o, 1, false, true, false, &e) &&
		      e == EVENT_CHECK_FAILED);
		CHECK(verdict_event(OCCASION_RECTIFICATION, o, 0, false, true, false, &e) &&
		      e == EVENT_CHECK_FAILED);
	}
}

TEST(events_of_rechecks)
{
	enum status_event e = EVENT_COUNT;

	for (enum outcome o = OUTCOME_MISMATCH; o < OUTCOME_ERROR; o++) {
		CHECK(verdict_event(OCCASION_REVERIFICATION, o, 0, false, true, false, &e) &&
		      e == EVENT_RECHECK_FAILED);
		CHECK(verdict_event(OCCASION_ROSTER_RELOAD, o, 0, false, true, false, &e) &&
		      e == EVENT_RECHECK_FAILED);
	}
	/* an error is no finding about the licence: the table keeps verified */
	CHECK(verdict_event(OCCASION_REVERIFICATION, OUTCOME_ERROR, 0, false, true, false, &e) &&
	      e == EVENT_CHECK_FAILED);
	CHECK(verdict_event(OCCASION_REVERIFICATION, OUTCOME_VERIFIED, 0, true, true, false, &e) &&
	      e == EVENT_CHECKS_PASSED);
}

TEST(nothing_to_wait_for)
{
	enum status_event e = EVENT_COUNT;
	const char *why = NULL;

	verdict_unqueued(false, &e, &why);
	CHECK(e == EVENT_NO_REGISTRY && strcmp(why, "no_registry") == 0);
	verdict_unqueued(true, &e, &why);
	CHECK(e == EVENT_MANUAL_CHECK && strcmp(why, "manual_check") == 0);
}

TEST(backoff)
{
	CHECK(runner_backoff_ms(1000, 1, -1, 0) == 500);
	CHECK(runner_backoff_ms(1000, 1, -1, 500) == 1000);
	CHECK(runner_backoff_ms(1000, 3, -1, 0) == 2000);
	CHECK(runner_backoff_ms(1000, 30, -1, 0) == 150000); /* capped at 5 minutes */
	CHECK(runner_backoff_ms(1000, 1, 7, 0) == 7000);     /* Retry-After wins */
	CHECK(runner_backoff_ms(1000, 1, 99999, 0) == 3600000);
}

int main(void)
{
	RUN(events_of_first_checks);
	RUN(events_of_rechecks);
	RUN(nothing_to_wait_for);
	RUN(backoff);
	return harness_done();
}
