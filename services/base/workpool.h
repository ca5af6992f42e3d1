/*
 * workpool.h - a fixed set of threads fed by a bounded queue, for
 * CPU-bound work that must not run on server threads (argon2id).
 *
 * Callers first reserve a place (workpool_reserve), which fails at once
 * when the queue is full - the caller answers 503 - and only then park
 * their connection and push the task, which can no longer fail. This
 * ordering means a task never finishes before its connection is parked.
 * The threads run niced (workpool.c), below the server threads.
 */
#ifndef HCPD_WORKPOOL_H
#define HCPD_WORKPOOL_H

#include <stdbool.h>

#include "err.h"

struct workpool;

struct workpool_stats {
	int queued;             /* tasks reserved or waiting */
	int running;            /* tasks being run */
	int capacity;           /* the queue's bound */
	unsigned long rejected; /* reservations refused */
};

/* Starts threads workers over a queue of capacity tasks. */
enum err workpool_new(int threads, int capacity, struct workpool **ret_pool);

/* Takes a place in the queue. False when full or stopping (counted in
 * rejected). Never blocks. */
bool workpool_reserve(struct workpool *pool);

/* Would workpool_reserve() fail now (full or stopping)? A true answer is
 * counted in rejected: the caller is expected to shed the work. Never
 * blocks. */
bool workpool_full(struct workpool *pool);

/* Queues fn(arg) into a reserved place. Never fails, never blocks long. */
void workpool_push(struct workpool *pool, void (*fn)(void *arg), void *arg);

/* Refuses new reservations (workpool_reserve() fails from now on), runs
 * every task already queued and joins the threads. Blocks. */
void workpool_stop(struct workpool *pool);

/* workpool_stop() unless done, then frees the pool. Accepts NULL. */
void workpool_free(struct workpool *pool);

void workpool_stats(struct workpool *pool, struct workpool_stats *ret_stats);

#endif
