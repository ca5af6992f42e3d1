/*
 * workpool.c - owns its threads and a ring of tasks. One mutex guards the
 * ring and the counters; the work itself runs outside it.
 */
#include <pthread.h>
#include <stdlib.h>

#include "workpool.h"

struct task {
	void (*fn)(void *arg);
	void *arg;
};

struct workpool {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	pthread_t *threads;
	int nthreads;
	struct task *ring;
	int capacity;
	int head, count; /* tasks in the ring */
	int reserved;    /* places taken but not yet pushed */
	int running;
	unsigned long rejected;
	bool stopping;
};

static void *worker(void *arg)
{
	struct workpool *pool = arg;
	struct task t;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (pool->count == 0 && !(pool->stopping && pool->reserved == 0))
			pthread_cond_wait(&pool->ready, &pool->lock);
		if (pool->count == 0) {
			/* stopping, nothing left to come: wake the others to see it too */
			pthread_cond_broadcast(&pool->ready);
			break;
		}
		t = pool->ring[pool->head];
		pool->head = (pool->head + 1) % pool->capacity;
		pool->count--;
		pool->running++;
		pthread_mutex_unlock(&pool->lock);
		t.fn(t.arg);
		pthread_mutex_lock(&pool->lock);
		pool->running--;
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

enum err workpool_new(int threads, int capacity, struct workpool **ret_pool)
{
	struct workpool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return ERR_NOMEM;
	pool->ring = calloc((size_t)capacity, sizeof(*pool->ring));
	pool->threads = calloc((size_t)threads, sizeof(*pool->threads));
	if (pool->ring == NULL || pool->threads == NULL) {
		free(pool->ring);
		free(pool->threads);
		free(pool);
		return ERR_NOMEM;
	}
	pool->capacity = capacity;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->ready, NULL);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0)
			break;
		pool->nthreads++;
	}
	if (pool->nthreads == 0) {
		workpool_free(pool);
		return ERR_NOMEM;
	}
	*ret_pool = pool;
	return ERR_OK;
}

bool workpool_reserve(struct workpool *pool)
{
	bool ok;

	pthread_mutex_lock(&pool->lock);
	ok = !pool->stopping && pool->count + pool->reserved < pool->capacity;
	if (ok)
		pool->reserved++;
	else
		pool->rejected++;
	pthread_mutex_unlock(&pool->lock);
	return ok;
}

void workpool_push(struct workpool *pool, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&pool->lock);
	pool->reserved--;
	pool->ring[(pool->head + pool->count) % pool->capacity] = (struct task){fn, arg};
	pool->count++;
	pthread_cond_signal(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
}

void workpool_free(struct workpool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->ready);
	free(pool->threads);
	free(pool->ring);
	free(pool);
}

void workpool_stats(struct workpool *pool, struct workpool_stats *ret_stats)
{
	pthread_mutex_lock(&pool->lock);
	ret_stats->queued = pool->count + pool->reserved;
	ret_stats->running = pool->running;
	ret_stats->capacity = pool->capacity;
	ret_stats->rejected = pool->rejected;
	pthread_mutex_unlock(&pool->lock);
}
