/*
 * test_pace.c - unit tests for services/base/pace.c: the interval of a
 * rate and its cap, turns taken on time, a little late and much late,
 * and the bound on turns in any span, over a simulated clock.
 */
#include "harness.h"
#include "pace.h"

TEST(interval)
{
	CHECK(pace_interval_us(50, 2, 1000) == 20000);
	CHECK(pace_interval_us(3, 1, 1000) == 333333);
	/* a slow registry's burst would wait 2 x 10 s: shortened to fit 1 s */
	CHECK(pace_interval_us(0.1, 2, 1000) == 500000);
	CHECK(pace_interval_us(1, 100, 1000) == 10000);
	/* never 0, whatever the rate */
	CHECK(pace_interval_us(1e7, 1, 1000) == 1);
	CHECK(pace_interval_us(5, 0, 1000) == 200000);
}

TEST(turns_on_time)
{
	long long turn = 0;

	/* the first at once, the second half an interval on (as after any
	 * pause), then one interval apart, never before */
	CHECK(pace_take(&turn, 1000000, 20000) && turn == 1010000);
	CHECK(!pace_take(&turn, 1000000, 20000) && turn == 1010000);
	CHECK(!pace_take(&turn, 1009999, 20000) && turn == 1010000);
	CHECK(pace_take(&turn, 1010000, 20000) && turn == 1030000);
	CHECK(!pace_take(&turn, 1029999, 20000));
	CHECK(pace_take(&turn, 1030000, 20000) && turn == 1050000);
}

TEST(late_turns)
{
	long long turn = 1000000;

	/* late by less than half an interval: the rhythm is kept */
	CHECK(pace_take(&turn, 1009000, 20000) && turn == 1020000);
	/* later: the next turn moves, at least half an interval on */
	CHECK(pace_take(&turn, 1050000, 20000) && turn == 1060000);
	CHECK(!pace_take(&turn, 1059999, 20000));
	/* after a long pause, no run of catching up: one now, the next
	 * half an interval later, then the rate */
	CHECK(pace_take(&turn, 5000000, 20000) && turn == 5010000);
	CHECK(pace_take(&turn, 5010000, 20000) && turn == 5030000);
}

TEST(never_above_the_rate)
{
	/* A caller polling at uneven moments (as a busy loop does), always
	 * with something ready: at most 1 + (T + iv/2) / iv turns in any
	 * span T, never two less than iv/2 apart, and the rate kept over
	 * the long run. */
	long long turn = 0, now = 0, iv = 20000, taken[600];
	unsigned seed = 7;
	int n = 0, i, j;

	while (n < 600) {
		seed = seed * 1103515245u + 12345u;
		now += 1 + (long long)(seed >> 8) % 7000; /* 1 us to 7 ms later */
		if (pace_take(&turn, now, iv))
			taken[n++] = now;
	}
	for (i = 1; i < n; i++)
		CHECK(taken[i] - taken[i - 1] >= iv / 2);
	for (i = 0; i < n; i += 37)
		for (j = i; j < n; j++)
			CHECK(j - i + 1 <= 1 + (taken[j] - taken[i] + iv / 2) / iv);
	CHECK((taken[n - 1] - taken[0]) / (n - 1) <= iv + 7000);
}

int main(void)
{
	RUN(interval);
	RUN(turns_on_time);
	RUN(late_turns);
	RUN(never_above_the_rate);
	return harness_done();
}
