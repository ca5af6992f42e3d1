/*
 * pace.c - turns at a rate (see pace.h). Owns nothing: the caller keeps
 * each series' next turn.
 */
#include "pace.h"

long long pace_interval_us(double rate, int burst, long long hold_ms)
{
	double us = 1e6 / rate, cap = 1e3 * (double)hold_ms / (burst > 0 ? burst : 1);

	us = us < cap ? us : cap;
	return us >= 1 ? (long long)us : 1;
}

bool pace_take(long long *turn_us, long long now_us, long long interval_us)
{
	long long from = now_us - interval_us / 2;

	if (now_us < *turn_us)
		return false;
	*turn_us = (*turn_us > from ? *turn_us : from) + interval_us;
	return true;
}
