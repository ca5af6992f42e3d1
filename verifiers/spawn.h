/*
 * spawn.h - runs an external verifier program: one JSON request written to
 * its stdin, its stdout read into a capped buffer, a deadline after which
 * it and everything it started are killed. Non-blocking, so the runner
 * polls a program's output beside its HTTP transfers; spawn_run() is the
 * blocking form for `hcpd verifier check`.
 *
 * The program gets a clean environment (PATH, LANG and only the variables
 * its definition names): none of hcpd's settings, keys or paths. Its
 * stderr is discarded: it may hold personal values. Nothing here logs.
 */
#ifndef HCPD_SPAWN_H
#define HCPD_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum spawn_status {
	SPAWN_RUNNING = 0, /* not finished yet */
	SPAWN_EXITED,      /* exited by itself: see exit_code */
	SPAWN_TIMEOUT,     /* killed at its deadline */
	SPAWN_TOO_BIG,     /* killed: its output exceeded the cap */
	SPAWN_FAILED,      /* could not be started, or was killed by a signal */
};

/* "running", "exited", "timeout", "too_big", "failed": static strings. */
const char *spawn_status_name(enum spawn_status status);

struct spawn;

/* Starts argv[0] (an absolute path) with argv and an environment of PATH,
 * LANG and the NULL-terminated "NAME=value" strings of env (may be NULL),
 * in a process group of its own, with input on its stdin (written at
 * once: at most 64 KiB, ERR_TOO_BIG beyond) and stdin then closed. Its
 * output is kept up to max_output bytes; it is killed after timeout_ms.
 * ERR_NOMEM, or ERR_IO when the pipes cannot be made (a program that
 * cannot be executed ends as SPAWN_FAILED instead). Does not block. */
enum err spawn_start(char *const argv[], char *const env[], const char *input, size_t input_len,
		     size_t max_output, int timeout_ms, struct spawn **ret_spawn);

/* The descriptor to poll for input (POLLIN), or -1 once output is closed. */
int spawn_fd(const struct spawn *s);

/* Milliseconds until s next needs spawn_step() even without input: its
 * deadline, or a few milliseconds while its exit is awaited. 0: now. */
int spawn_wait_ms(const struct spawn *s);

/* Reads what output is ready, reaps the program once it has exited, and
 * kills it at its deadline or when its output is too big. Returns the
 * status: SPAWN_RUNNING until it is finished. Does not block. */
enum spawn_status spawn_step(struct spawn *s);

/* What a finished program left: its exit code (for SPAWN_EXITED) and
 * output (borrowed from s). */
int spawn_exit_code(const struct spawn *s);
const char *spawn_output(const struct spawn *s, size_t *ret_len);

/* Kills the program if it still runs, reaps it and frees s. Accepts NULL. */
void spawn_free(struct spawn *s);

/* spawn_start() and spawn_step() until finished, polling in between.
 * Blocks for at most timeout_ms and a little. *ret_spawn is finished. */
enum err spawn_run(char *const argv[], char *const env[], const char *input, size_t input_len,
		   size_t max_output, int timeout_ms, struct spawn **ret_spawn);

#endif
