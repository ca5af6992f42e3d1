/*
 * breaker.c - verifiers' circuit breakers (see breaker.h). Owns the
 * published circuit states; the breakers themselves are the runner's.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <string.h>

#include "breaker.h"
#include "log.h"

enum circuit { CIRCUIT_CLOSED, CIRCUIT_OPEN, CIRCUIT_HALF_OPEN };

/* What the runner thread last left, for GET /v1/admin/verifiers. */
static atomic_int circuit[BREAKERS_MAX];
static atomic_bool runner_on;

enum breaker_turn breaker_turn(struct breaker *b, size_t vi, long long now, int open_ms)
{
	if (!b->open)
		return BREAKER_SEND;
	if (b->probing)
		return BREAKER_WAIT;
	if (now - b->opened < open_ms)
		return BREAKER_FAIL_FAST;
	atomic_store(&circuit[vi], CIRCUIT_HALF_OPEN);
	return BREAKER_PROBE;
}

void breaker_note(struct breaker *b, size_t vi, const char *verifier, int threshold, bool probe,
		  bool answered, long long now)
{
	if (probe)
		b->probing = false;
	if (answered) {
		b->failures = 0;
		b->open = false;
		atomic_store(&circuit[vi], CIRCUIT_CLOSED);
		return;
	}
	if (++b->failures >= threshold || probe) {
		if (!b->open)
			log_json(LOG_WARN, "circuit open: registry failing",
				 json_pack("{s:s, s:i}", "verifier", verifier, "failures",
					   b->failures));
		b->open = true;
		b->opened = now;
		atomic_store(&circuit[vi], CIRCUIT_OPEN);
	}
}

void breakers_reset(struct breaker *b, size_t n, bool on)
{
	memset(b, 0, n * sizeof(*b));
	for (size_t i = 0; i < BREAKERS_MAX; i++)
		atomic_store(&circuit[i], CIRCUIT_CLOSED);
	atomic_store(&runner_on, on);
}

const char *breaker_circuit(size_t vi)
{
	static const char *const names[] = {"closed", "open", "half_open"};

	if (!atomic_load(&runner_on) || vi >= BREAKERS_MAX)
		return NULL;
	return names[atomic_load(&circuit[vi])];
}
