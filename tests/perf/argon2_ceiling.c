/*
 * argon2_ceiling.c - the most argon2id hashes a second this machine can
 * do with hcpd's parameters: the baseline of `make bench`'s registration
 * and login bars. No HTTP, no database: THREADS threads call
 * password_hash() (the very function hcpd's hashing pool runs) for
 * SECONDS, all at once.
 *
 *   bin/tests/perf_argon2_ceiling [SECONDS [THREADS [MEMORY_KIB [ITERATIONS]]]]
 *
 * Defaults: 5 s, one thread per online core, and HCPD_ARGON2_MEMORY_KIB /
 * HCPD_ARGON2_ITERATIONS as hcpd reads them (19456 KiB, 2). Prints one
 * JSON object: hashes, seconds, hashes_per_s, threads, memory_kib,
 * iterations, ms_per_hash (one thread's mean). Each thread keeps its
 * working memory from hash to hash (password_memory_keep), as the
 * hashing pool's threads do while they have work: the ceiling is the
 * hashing alone, not the mapping of 19 MiB.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "password.h"

struct ceiling {
	int memory_kib, iterations;
	double until; /* monotonic seconds at which threads stop */
	atomic_long hashes;
	atomic_int failed;
	pthread_barrier_t start;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int arg_int(int argc, char **argv, int i, const char *env, int dflt)
{
	const char *s = argc > i ? argv[i] : getenv(env != NULL ? env : "");

	return s != NULL && atoi(s) > 0 ? atoi(s) : dflt;
}

static void *hasher(void *arg)
{
	struct ceiling *c = arg;
	char encoded[PASSWORD_ENCODED_MAX];

	password_memory_keep(true);
	pthread_barrier_wait(&c->start);
	while (now() < c->until) {
		if (password_hash("correct horse battery staple 2024", c->memory_kib, c->iterations,
				  encoded) != ERR_OK) {
			atomic_store(&c->failed, 1);
			break;
		}
		atomic_fetch_add(&c->hashes, 1);
	}
	password_memory_keep(false);
	return NULL;
}

int main(int argc, char **argv)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int seconds = arg_int(argc, argv, 1, NULL, 5);
	int threads = arg_int(argc, argv, 2, NULL, cores > 0 ? (int)cores : 1);
	struct ceiling c = {
		.memory_kib = arg_int(argc, argv, 3, "HCPD_ARGON2_MEMORY_KIB", 19456),
		.iterations = arg_int(argc, argv, 4, "HCPD_ARGON2_ITERATIONS", 2),
	};
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	double t0, took;
	long n;
	int started = 0;

	if (tids == NULL || pthread_barrier_init(&c.start, NULL, (unsigned)threads + 1) != 0) {
		fprintf(stderr, "argon2_ceiling: out of memory\n");
		return 1;
	}
	for (; started < threads; started++)
		if (pthread_create(&tids[started], NULL, hasher, &c) != 0)
			break;
	if (started < threads) {
		fprintf(stderr, "argon2_ceiling: cannot start %d threads\n", threads);
		return 1;
	}
	/* the barrier publishes until to the threads */
	t0 = now();
	c.until = t0 + seconds;
	pthread_barrier_wait(&c.start);
	for (int i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	took = now() - t0;
	n = atomic_load(&c.hashes);
	pthread_barrier_destroy(&c.start);
	free(tids);
	if (atomic_load(&c.failed)) {
		fprintf(stderr, "argon2_ceiling: a hash failed\n");
		return 1;
	}
	printf("{\"hashes\": %ld, \"seconds\": %.3f, \"hashes_per_s\": %.2f, \"threads\": %d, "
	       "\"memory_kib\": %d, \"iterations\": %d, \"ms_per_hash\": %.2f}\n",
	       n, took, (double)n / took, threads, c.memory_kib, c.iterations,
	       n > 0 ? took * 1e3 * threads / (double)n : 0.0);
	return 0;
}
