/*
 * workpool.c - owns its threads and a ring of tasks. One mutex guards the
 * ring and the counters; the work itself runs outside it.
 *
 * The threads run at nice WORKPOOL_NICE: the work is CPU-bound and long
 * (argon2id, ~20 ms), the server threads' is short and waited for, so a
 * server thread that wakes up gets a core at once instead of queueing
 * behind hashes (a GET /v1/me during a registration flood). Alone on the
 * machine the pool still gets every core.
 *
 * While it has work a thread keeps argon2id's working memory from one
 * task to the next (password_memory_keep), and returns it once the queue
 * has been empty for KEEP_IDLE_S (password_memory_release): hashing at
 * full speed under load, nothing held when idle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "password.h"
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

#define WORKPOOL_NICE 10
#define KEEP_IDLE_S   1 /* an idle thread keeps its hashing memory this long */

static void *worker(void *arg)
{
	struct workpool *pool = arg;
	struct task t;

	/* Linux: a thread's own nice value; no privilege is needed to raise
	 * it, and failing to changes nothing but latency */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKPOOL_NICE);
	password_memory_keep(true);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		if (pool->count == 0 && !pool->stopping) {
			/* idle: keep the memory KEEP_IDLE_S for a next task, then
			 * give it back */
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += KEEP_IDLE_S;
			while (pool->count == 0 && !pool->stopping &&
			       pthread_cond_timedwait(&pool->ready, &pool->lock, &until) !=
				       ETIMEDOUT)
				;
			if (pool->count == 0) {
				pthread_mutex_unlock(&pool->lock);
				password_memory_release();
				pthread_mutex_lock(&pool->lock);
			}
		}
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
	password_memory_keep(false);
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

bool workpool_full(struct workpool *pool)
{
	bool full;

	pthread_mutex_lock(&pool->lock);
	full = pool->stopping || pool->count + pool->reserved >= pool->capacity;
	if (full)
		pool->rejected++;
	pthread_mutex_unlock(&pool->lock);
	return full;
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

void workpool_stop(struct workpool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pool->nthreads = 0;
}

void workpool_free(struct workpool *pool)
{
	if (pool == NULL)
		return;
	workpool_stop(pool);
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
