/*
 * lint.h - every error of a verifier definition, each with its JSON path
 * (`hcpd verifier lint`, issue 22 item 5). The start-up checks (registry.c
 * and each kind's init) keep their one-message `why` for start-up's log;
 * while a collection is open on the thread, each refusal is also noted
 * here as "$.http_json.headers.Accept: must be ...", and the checks go
 * on to the next key where what follows does not depend on it.
 *
 * The collection is per thread rather than a parameter because the kinds'
 * init takes one message buffer (verifier.h); six kinds and their helpers
 * would otherwise all change signature for a tool. Nothing here logs.
 */
#ifndef HCPD_LINT_H
#define HCPD_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define LINT_ERRORS_MAX 64  /* errors kept; more are counted in dropped */
#define LINT_ERROR_LEN  320 /* bytes of one message */

/* The errors of one definition. */
struct lint_errors {
	size_t n;
	size_t dropped; /* errors past LINT_ERRORS_MAX */
	char msg[LINT_ERRORS_MAX][LINT_ERROR_LEN];
};

/* Starts collecting this thread's refusals into errs (emptied), or stops
 * with NULL. */
void lint_collect(struct lint_errors *errs);

/* Notes a refusal written the checks' way - `"section": "key" rule`,
 * `"a": "b": "c" rule` or `"section": rule` (keys may hold .x and [n]) -
 * as "$.section.key: rule". A no-op when no collection is open. */
void lint_note(const char *msg);

/* Refuses a definition with a message written the checks' way: why
 * (why_len bytes, "" until then) takes the first refusal, and each is
 * noted (lint_note()). Returns ERR_INVALID. */
enum err lint_refuse(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The path a message written the checks' way names ("$.a.b") and where
 * its rule starts, for lint_note() and its tests. */
void lint_path(const char *msg, char *ret_path, size_t path_len, const char **ret_rule);

#endif
