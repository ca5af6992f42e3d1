/*
 * bgthread.c - background threads with a pass and a wait (see
 * bgthread.h). Owns the thread, its lock and its condition variable; the
 * pass owns everything else.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "bgthread.h"

struct bgthread {
	pthread_t thread;
	pthread_mutex_t lock; /* with wake: the wait between passes */
	pthread_cond_t wake;
	atomic_bool stopping;
	long (*pass)(void *arg);
	void *arg;
};

static void *bgthread_main(void *p)
{
	struct bgthread *t = p;

	/* start holds the lock until *ret_thread is set */
	pthread_mutex_lock(&t->lock);
	while (!atomic_load(&t->stopping)) {
		struct timespec until;
		long ms;

		pthread_mutex_unlock(&t->lock);
		ms = t->pass(t->arg);
		pthread_mutex_lock(&t->lock);
		if (ms <= 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!atomic_load(&t->stopping) &&
		       pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0)
			; /* woken early (stop, or spuriously): wait on unless stopping */
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

enum err bgthread_start(long (*pass)(void *arg), void *arg, struct bgthread **ret_thread)
{
	pthread_condattr_t attr;
	struct bgthread *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return ERR_NOMEM;
	t->pass = pass;
	t->arg = arg;
	atomic_init(&t->stopping, false);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&t->lock);
	if (pthread_create(&t->thread, NULL, bgthread_main, t) != 0) {
		pthread_mutex_unlock(&t->lock);
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return ERR_NOMEM;
	}
	*ret_thread = t;
	pthread_mutex_unlock(&t->lock);
	return ERR_OK;
}

bool bgthread_stopping(struct bgthread *t)
{
	return atomic_load(&t->stopping);
}

void bgthread_stop(struct bgthread *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->stopping, true);
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
