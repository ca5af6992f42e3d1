/*
 * test_breaker.c - a verifier's circuit (services/breaker.c): closed until
 * threshold failures in a row, failing fast while open, one probe after
 * the open time, and what GET /v1/admin/verifiers reads of it.
 */
#include <stddef.h>

#include "breaker.h"
#include "harness.h"

TEST(opens_after_threshold_failures_in_a_row)
{
	struct breaker b[1];

	breakers_reset(b, 1, true);
	CHECK_STREQ(breaker_circuit(0), "closed");
	breaker_note(b, 0, "v", 3, false, false, 1000);
	breaker_note(b, 0, "v", 3, false, false, 1000);
	CHECK(breaker_turn(b, 0, 1000, 500) == BREAKER_SEND);
	breaker_note(b, 0, "v", 3, false, true, 1000); /* an answer: the count starts again */
	breaker_note(b, 0, "v", 3, false, false, 1000);
	breaker_note(b, 0, "v", 3, false, false, 1000);
	CHECK(breaker_turn(b, 0, 1000, 500) == BREAKER_SEND);
	breaker_note(b, 0, "v", 3, false, false, 1000);
	CHECK(breaker_turn(b, 0, 1000, 500) == BREAKER_FAIL_FAST);
	CHECK_STREQ(breaker_circuit(0), "open");
	CHECK(breaker_turn(b, 0, 1499, 500) == BREAKER_FAIL_FAST);
}

TEST(one_probe_decides)
{
	struct breaker b[2];

	breakers_reset(b, 2, true);
	for (int i = 0; i < 2; i++)
		breaker_note(&b[1], 1, "v", 2, false, false, 0);
	CHECK(breaker_turn(&b[1], 1, 600, 500) == BREAKER_PROBE);
	CHECK_STREQ(breaker_circuit(1), "half_open");
	CHECK_STREQ(breaker_circuit(0), "closed");
	b[1].probing = true; /* the runner marks it when the probe waits to leave */
	CHECK(breaker_turn(&b[1], 1, 700, 500) == BREAKER_WAIT);
	breaker_note(&b[1], 1, "v", 2, true, false, 800); /* the probe failed: open again */
	CHECK(breaker_turn(&b[1], 1, 900, 500) == BREAKER_FAIL_FAST);
	CHECK(breaker_turn(&b[1], 1, 1300, 500) == BREAKER_PROBE);
	breaker_note(&b[1], 1, "v", 2, true, true, 1400); /* it answered: closed */
	CHECK(breaker_turn(&b[1], 1, 1400, 500) == BREAKER_SEND);
	CHECK_STREQ(breaker_circuit(1), "closed");
}

TEST(no_runner_no_circuit)
{
	struct breaker b[1];

	breakers_reset(b, 1, false);
	CHECK(breaker_circuit(0) == NULL);
	breakers_reset(b, 1, true);
	CHECK(breaker_circuit(BREAKERS_MAX) == NULL);
}

int main(void)
{
	RUN(opens_after_threshold_failures_in_a_row);
	RUN(one_probe_decides);
	RUN(no_runner_no_circuit);
	return harness_done();
}
