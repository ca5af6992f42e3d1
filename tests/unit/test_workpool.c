/*
 * test_workpool.c - unit tests for services/base/workpool.c: the queue bound
 * and its statistics, every pushed task running exactly once, and
 * workpool_free draining the queue before it returns.
 *
 * Determinism: a "blocker" task posts a semaphore once it runs and then
 * waits on a gate the test opens, so the test knows the single worker is
 * busy before it fills the queue. Every wait has a one-second deadline so
 * a broken pool fails a check instead of hanging the suite.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "harness.h"
#include "workpool.h"

#define NTASKS 64

static sem_t started; /* posted by a blocker once it runs */
static sem_t gate;    /* a blocker waits here until the test opens it */
static sem_t done;    /* posted by every task when it finishes */
static atomic_int runs[NTASKS];
static atomic_int total;

/* sem_wait with a one-second deadline; false on timeout. */
static bool wait_1s(sem_t *sem)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	while ((rc = sem_timedwait(sem, &ts)) != 0 && errno == EINTR)
		;
	return rc == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Counts one run of task *(int *)arg. */
static void count_task(void *arg)
{
	int i = *(int *)arg;

	atomic_fetch_add(&runs[i], 1);
	atomic_fetch_add(&total, 1);
	sem_post(&done);
}

/* Says it started, waits for the gate, then counts like count_task. */
static void blocker_task(void *arg)
{
	sem_post(&started);
	wait_1s(&gate);
	count_task(arg);
}

static int ids[NTASKS];

static void reset(void)
{
	sem_init(&started, 0, 0);
	sem_init(&gate, 0, 0);
	sem_init(&done, 0, 0);
	for (int i = 0; i < NTASKS; i++) {
		atomic_store(&runs[i], 0);
		ids[i] = i;
	}
	atomic_store(&total, 0);
}

static void destroy_sems(void)
{
	sem_destroy(&started);
	sem_destroy(&gate);
	sem_destroy(&done);
}

/* Polls until no task is running (the counter drops just after fn returns). */
static bool idle_within_1s(struct workpool *pool)
{
	struct workpool_stats st;

	for (int i = 0; i < 1000; i++) {
		workpool_stats(pool, &st);
		if (st.running == 0 && st.queued == 0)
			return true;
		sleep_ms(1);
	}
	return false;
}

static bool each_ran_once(int n)
{
	for (int i = 0; i < n; i++)
		if (atomic_load(&runs[i]) != 1)
			return false;
	for (int i = n; i < NTASKS; i++)
		if (atomic_load(&runs[i]) != 0)
			return false;
	return atomic_load(&total) == n;
}

TEST(free_null)
{
	workpool_free(NULL);
}

TEST(bound_and_stats)
{
	struct workpool *pool = NULL;
	struct workpool_stats st;

	reset();
	CHECK(workpool_new(1, 4, &pool) == ERR_OK);
	if (pool == NULL)
		return;
	workpool_stats(pool, &st);
	CHECK(st.queued == 0 && st.running == 0 && st.capacity == 4 && st.rejected == 0);

	/* the one worker takes the blocker and holds it */
	CHECK(workpool_reserve(pool));
	workpool_push(pool, blocker_task, &ids[0]);
	CHECK(wait_1s(&started));
	workpool_stats(pool, &st);
	CHECK(st.queued == 0 && st.running == 1 && st.rejected == 0);

	/* four places in the queue, then it is full */
	for (int i = 0; i < 4; i++)
		CHECK(workpool_reserve(pool));
	workpool_stats(pool, &st);
	CHECK(st.queued == 4 && st.running == 1 && st.capacity == 4 && st.rejected == 0);
	CHECK(!workpool_reserve(pool));
	CHECK(!workpool_reserve(pool));
	workpool_stats(pool, &st);
	CHECK(st.queued == 4 && st.running == 1 && st.rejected == 2);

	/* pushing fills reserved places: the count of queued does not change */
	for (int i = 1; i <= 4; i++)
		workpool_push(pool, count_task, &ids[i]);
	workpool_stats(pool, &st);
	CHECK(st.queued == 4 && st.running == 1 && st.rejected == 2);
	CHECK(!workpool_reserve(pool));
	CHECK(atomic_load(&total) == 0);

	/* open the gate: everything runs, once */
	sem_post(&gate);
	for (int i = 0; i < 5; i++)
		CHECK(wait_1s(&done));
	CHECK(idle_within_1s(pool));
	CHECK(each_ran_once(5));
	workpool_stats(pool, &st);
	CHECK(st.queued == 0 && st.running == 0 && st.capacity == 4 && st.rejected == 3);

	/* places are free again */
	for (int i = 0; i < 4; i++)
		CHECK(workpool_reserve(pool));
	CHECK(!workpool_reserve(pool));
	for (int i = 5; i < 9; i++)
		workpool_push(pool, count_task, &ids[i]);
	for (int i = 0; i < 4; i++)
		CHECK(wait_1s(&done));
	CHECK(idle_within_1s(pool));
	CHECK(each_ran_once(9));
	workpool_free(pool);
	destroy_sems();
}

TEST(many_threads_each_task_once)
{
	struct workpool *pool = NULL;
	struct workpool_stats st;

	reset();
	CHECK(workpool_new(4, NTASKS, &pool) == ERR_OK);
	if (pool == NULL)
		return;
	for (int i = 0; i < NTASKS; i++) {
		CHECK(workpool_reserve(pool));
		workpool_push(pool, count_task, &ids[i]);
	}
	for (int i = 0; i < NTASKS; i++)
		CHECK(wait_1s(&done));
	CHECK(idle_within_1s(pool));
	CHECK(each_ran_once(NTASKS));
	workpool_stats(pool, &st);
	CHECK(st.rejected == 0 && st.capacity == NTASKS);
	workpool_free(pool);
	destroy_sems();
}

struct freer {
	struct workpool *pool;
	atomic_bool returned;
};

static void *free_thread(void *arg)
{
	struct freer *f = arg;

	workpool_free(f->pool);
	atomic_store(&f->returned, true);
	return NULL;
}

TEST(free_runs_queued_tasks)
{
	struct freer f = {NULL, false};
	pthread_t t;

	reset();
	CHECK(workpool_new(1, 8, &f.pool) == ERR_OK);
	if (f.pool == NULL)
		return;
	CHECK(workpool_reserve(f.pool));
	workpool_push(f.pool, blocker_task, &ids[0]);
	CHECK(wait_1s(&started));
	for (int i = 1; i <= 6; i++) {
		CHECK(workpool_reserve(f.pool));
		workpool_push(f.pool, count_task, &ids[i]);
	}
	CHECK(pthread_create(&t, NULL, free_thread, &f) == 0);
	/* free cannot return while the blocker holds the only worker */
	sleep_ms(20);
	CHECK(!atomic_load(&f.returned));
	CHECK(atomic_load(&total) == 0);
	sem_post(&gate);
	pthread_join(t, NULL);
	CHECK(atomic_load(&f.returned));
	CHECK(each_ran_once(7));
	destroy_sems();
}

TEST(free_waits_for_reserved_place)
{
	struct freer f = {NULL, false};
	pthread_t t;

	/* a place reserved before stopping is still pushed and run */
	reset();
	CHECK(workpool_new(2, 4, &f.pool) == ERR_OK);
	if (f.pool == NULL)
		return;
	CHECK(workpool_reserve(f.pool));
	CHECK(pthread_create(&t, NULL, free_thread, &f) == 0);
	sleep_ms(20);
	CHECK(!atomic_load(&f.returned));
	if (!atomic_load(&f.returned)) /* else the pool is gone */
		workpool_push(f.pool, count_task, &ids[0]);
	pthread_join(t, NULL);
	CHECK(atomic_load(&f.returned));
	CHECK(each_ran_once(1));
	destroy_sems();
}

TEST(free_idle_pool)
{
	struct workpool *pool = NULL;

	CHECK(workpool_new(3, 2, &pool) == ERR_OK);
	workpool_free(pool);
}

int main(void)
{
	RUN(free_null);
	RUN(bound_and_stats);
	RUN(many_threads_each_task_once);
	RUN(free_runs_queued_tasks);
	RUN(free_waits_for_reserved_place);
	RUN(free_idle_pool);
	return harness_done();
}
