/*
 * pace.h - turns at a rate: when the next of a series of events (a
 * verifier's requests from one process) may happen, so that the series
 * follows the rate rather than the moments its events became ready.
 * Pure arithmetic on a turn the caller keeps: no state, clock or lock of
 * its own.
 */
#ifndef HCPD_PACE_H
#define HCPD_PACE_H

#include <stdbool.h>

/* Microseconds between two turns at rate a second (> 0): 1e6 / rate,
 * shortened only so that burst turns (>= 1) fit in hold_ms. At least 1. */
long long pace_interval_us(double rate, int burst, long long hold_ms);

/* Takes the turn *turn_us if it has come (now_us >= *turn_us): moves
 * *turn_us one interval on - from *turn_us, or from now_us less half an
 * interval when the turn is taken later than that (a little lateness
 * keeps the rhythm, more moves it) - and returns true. Returns false,
 * *turn_us untouched, when it has not come. So two turns are never less
 * than half an interval apart, and any span of T microseconds holds at
 * most 1 + (T + interval / 2) / interval of them. A series starts with
 * *turn_us = 0: its first turn is at once and, as after any pause, the
 * second half an interval later. */
bool pace_take(long long *turn_us, long long now_us, long long interval_us);

#endif
