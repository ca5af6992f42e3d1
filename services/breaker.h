/*
 * breaker.h - each verifier's circuit breaker in the job runner: after
 * a number of failed attempts in a row the circuit opens and its jobs fail
 * fast; after the open time one probe decides (half open). Each process
 * keeps its own circuits. The runner thread alone moves them; what it
 * last left is readable from any thread (breaker_circuit()).
 */
#ifndef HCPD_BREAKER_H
#define HCPD_BREAKER_H

#include <stdbool.h>
#include <stddef.h>

#define BREAKERS_MAX 64 /* verifiers a runner runs */

struct breaker {
	int failures; /* consecutive */
	bool open;
	long long opened; /* monotonic ms */
	bool probing;     /* the one half-open request is in flight */
};

/* What a claim for the vi-th verifier may do now. */
enum breaker_turn {
	BREAKER_SEND,      /* closed: claim as usual */
	BREAKER_PROBE,     /* half open: claim one job, its request decides */
	BREAKER_FAIL_FAST, /* open: claimed jobs fail without a request */
	BREAKER_WAIT,      /* the probe is in flight: claim nothing */
};

/* Decides the vi-th verifier's turn at now (monotonic ms), open_ms after
 * the circuit opened; BREAKER_PROBE marks the circuit half open. */
enum breaker_turn breaker_turn(struct breaker *b, size_t vi, long long now, int open_ms);

/* An attempt of the vi-th verifier (named verifier, opening after
 * threshold failures) ended at now: answered (any reply it meant) or
 * failed; probe says it was the half-open probe. Logs when the circuit
 * opens. */
void breaker_note(struct breaker *b, size_t vi, const char *verifier, int threshold, bool probe,
		  bool answered, long long now);

/* Closes n circuits from b on, and says whether a runner runs (on). */
void breakers_reset(struct breaker *b, size_t n, bool on);

/* The vi-th verifier's circuit as the runner last left it: "closed",
 * "open" (failing fast) or "half_open" (one probe in flight); NULL when
 * no runner runs in this process. Thread-safe. */
const char *breaker_circuit(size_t vi);

#endif
