/*
 * test_bgthread.c - services/base/bgthread.c: passes run one after
 * another, a pass sees its own handle and the stop, and a stop ends a long
 * wait at once (the test would hang otherwise).
 */
#include <stdatomic.h>

#include "bgthread.h"
#include "harness.h"

struct counter {
	struct bgthread *self; /* read by the pass: set before the first one */
	atomic_int passes;
	atomic_bool saw_self;
	long wait_ms;
	int until; /* passes before the pass starts waiting for the stop itself */
};

static long count_pass(void *arg)
{
	struct counter *c = arg;
	int n = atomic_fetch_add(&c->passes, 1) + 1;

	if (c->self != NULL)
		atomic_store(&c->saw_self, true);
	if (c->until > 0 && n >= c->until)
		while (!bgthread_stopping(c->self))
			; /* a long pass that ends when asked to */
	return c->wait_ms;
}

TEST(passes_repeat_until_stopped)
{
	struct counter c = {.wait_ms = 0, .until = 5};

	CHECK(bgthread_start(count_pass, &c, &c.self) == ERR_OK && c.self != NULL);
	while (atomic_load(&c.passes) < 5)
		;
	bgthread_stop(c.self);
	CHECK(atomic_load(&c.passes) == 5);
}

TEST(stop_wakes_a_long_wait)
{
	struct counter c = {.wait_ms = 3600 * 1000L};

	CHECK(bgthread_start(count_pass, &c, &c.self) == ERR_OK);
	while (atomic_load(&c.passes) < 1)
		;
	bgthread_stop(c.self); /* an hour's wait: returns only if woken */
	CHECK(atomic_load(&c.passes) == 1);
	CHECK(atomic_load(&c.saw_self)); /* the handle was there at the first pass */
	bgthread_stop(NULL);
}

int main(void)
{
	RUN(passes_repeat_until_stopped);
	RUN(stop_wakes_a_long_wait);
	return harness_done();
}
