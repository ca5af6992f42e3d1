/*
 * bgthread.h - the one way hcpd runs a background thread that does a
 * pass now and then (the mailer, the monitoring scheduler, the retention
 * purge): start, the wait between passes, and a stop that wakes the wait.
 */
#ifndef HCPD_BGTHREAD_H
#define HCPD_BGTHREAD_H

#include <stdbool.h>

#include "err.h"

struct bgthread;

/* Starts a thread that calls pass(arg) at once and again after each wait:
 * pass returns the milliseconds to wait before the next (0 or less: at
 * once). *ret_thread is set before the first pass begins, so a pass may
 * read it. Call after the signal mask is set (the thread inherits it).
 * ERR_NOMEM when the thread cannot start. */
enum err bgthread_start(long (*pass)(void *arg), void *arg, struct bgthread **ret_thread);

/* Has bgthread_stop() been called? For a long pass (a batch, a transfer)
 * to end early. Thread-safe. */
bool bgthread_stopping(struct bgthread *t);

/* Wakes the wait, lets the pass under way return, joins the thread and
 * frees it. Blocks for as long as that pass takes. Accepts NULL. */
void bgthread_stop(struct bgthread *t);

#endif
