/*
 * log.h - one JSON object per line on stderr.
 *
 * Every line has "ts" (RFC 3339, UTC, milliseconds), "level" and "msg";
 * request lines add "request_id". Callers must never pass a password,
 * token, key or personal field: log what happened and to which route, not
 * to whom.
 */
#ifndef HCPD_LOG_H
#define HCPD_LOG_H

#include <stdbool.h>
#include <jansson.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the threshold from "debug", "info", "warn" or "error". Returns -1
 * (and leaves the level alone) for any other name. Not thread-safe: call at
 * start-up. */
int log_set_level(const char *name);

/* True when a line at level would be written. */
int log_enabled(enum log_level level);

/* Writes one line: fields (may be NULL) plus ts, level and msg. Steals the
 * reference to fields. Thread-safe: a line is written with one write(2). */
void log_json(enum log_level level, const char *msg, json_t *fields);

/* The access line of one request, at info: the object log_json() would
 * write for {request_id, method, route, status, duration_ms, bytes_in,
 * completed} and msg "request", formatted without building it. route is
 * the route's pattern, never the path. Thread-safe like log_json(). */
void log_access(const char *request_id, const char *method, const char *route, int status,
		double duration_ms, long long bytes_in, bool completed);

/* printf-style convenience: {"msg": <formatted>}. For start-up and
 * shutdown messages, never for request data. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
