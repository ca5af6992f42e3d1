/*
 * test_throttle.c - unit tests for the sign-in throttle's decision
 * (db/sessions.c throttle_wait()): a client waits out its own lock; past
 * the email-wide cap only clients with next to no failures may try
 * (issue 18 item 9: nobody can lock anybody out).
 */
#include "harness.h"
#include "sessions.h"

static int wait_for(int client_failures, int client_locked_s, int email_failures)
{
	struct throttle_facts f = {client_failures, client_locked_s, email_failures};

	return throttle_wait(&f);
}

TEST(a_client_waits_out_its_own_lock)
{
	CHECK(wait_for(0, 0, 0) == 0);
	CHECK(wait_for(9, 0, 9) == 0);
	CHECK(wait_for(10, 1, 10) == 1);
	CHECK(wait_for(12, 4, 12) == 4);
	/* the lock is the client's own: another client's lock is not in its facts */
	CHECK(wait_for(0, 0, 12) == 0);
}

TEST(past_the_email_cap_only_clean_clients_try)
{
	CHECK(wait_for(LOGIN_CLEAN_FAILURES - 1, 0, LOGIN_EMAIL_FAILURES_CAP - 1) == 0);
	CHECK(wait_for(LOGIN_CLEAN_FAILURES, 0, LOGIN_EMAIL_FAILURES_CAP - 1) == 0);
	CHECK(wait_for(0, 0, LOGIN_EMAIL_FAILURES_CAP) == 0);
	CHECK(wait_for(LOGIN_CLEAN_FAILURES - 1, 0, LOGIN_EMAIL_FAILURES_CAP * 10) == 0);
	CHECK(wait_for(LOGIN_CLEAN_FAILURES, 0, LOGIN_EMAIL_FAILURES_CAP) == LOGIN_CAPPED_WAIT_S);
	/* a running lock says how long itself */
	CHECK(wait_for(LOGIN_FAILURES_BEFORE_LOCK, 2, LOGIN_EMAIL_FAILURES_CAP) == 2);
}

int main(void)
{
	RUN(a_client_waits_out_its_own_lock);
	RUN(past_the_email_cap_only_clean_clients_try);
	return harness_done();
}
