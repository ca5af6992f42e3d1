/*
 * log.c - JSON lines on stderr. Owns the level threshold. Never formats
 * request bodies: callers hand over only the fields they chose to log.
 * The access line, one per request, is formatted here directly (the same
 * object log_json() would write for it) rather than built and encoded
 * with jansson: it is written more often than everything else together.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsontext.h"
#include "log.h"

static enum log_level threshold = LOG_INFO;

static void timestamp(char *ts, size_t size);
static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_set_level(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			threshold = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_enabled(enum log_level level)
{
	return level >= threshold;
}

void log_json(enum log_level level, const char *msg, json_t *fields)
{
	char ts[64];
	char *line;

	if (!log_enabled(level)) {
		json_decref(fields);
		return;
	}
	if (fields == NULL)
		fields = json_object();
	if (fields == NULL)
		return;
	timestamp(ts, sizeof(ts));
	json_object_set_new(fields, "ts", json_string(ts));
	json_object_set_new(fields, "level", json_string(level_names[level]));
	json_object_set_new(fields, "msg", json_string(msg));
	line = json_text_dump(fields, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(fields);
	if (line == NULL)
		return;
	size_t len = strlen(line);
	line[len] = '\n'; /* replaces the NUL: one write(2) keeps lines whole */
	if (write(STDERR_FILENO, line, len + 1) < 0) {
		/* nowhere left to report it */
	}
	free(line);
}

/* The log's timestamp: RFC 3339, UTC, milliseconds. */
static void timestamp(char *ts, size_t size)
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (now.tv_nsec / 1000000) % 1000);
}

/* s as the inside of a JSON string, at most size - 1 bytes (cut short, never
 * mid-escape). Bytes outside printable ASCII become '?': what is logged
 * here is a method and a route pattern, never text to keep exactly. */
static void escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 2 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else {
			out[n++] = c < 0x20 || c > 0x7e ? '?' : (char)c;
		}
	}
	out[n] = '\0';
}

void log_access(const char *request_id, const char *method, const char *route, int status,
		double duration_ms, long long bytes_in, bool completed)
{
	char ts[64], m[64], rt[160], ms[32], id[72], line[512];
	int len;

	if (!log_enabled(LOG_INFO))
		return;
	timestamp(ts, sizeof(ts));
	escape(id, sizeof(id), request_id);
	escape(m, sizeof(m), method);
	escape(rt, sizeof(rt), route);
	/* as jansson writes a real with JSON_REAL_PRECISION(6) */
	snprintf(ms, sizeof(ms), "%.6g", duration_ms);
	if (strpbrk(ms, ".eE") == NULL)
		strcat(ms, ".0");
	len = snprintf(line, sizeof(line),
		       "{\"request_id\":\"%s\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,"
		       "\"duration_ms\":%s,\"bytes_in\":%lld,\"completed\":%s,\"ts\":\"%s\","
		       "\"level\":\"info\",\"msg\":\"request\"}\n",
		       id, m, rt, status, ms, bytes_in, completed ? "true" : "false", ts);
	if (len <= 0 || (size_t)len >= sizeof(line))
		return;
	if (write(STDERR_FILENO, line, (size_t)len) < 0) {
		/* nowhere left to report it */
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_json(level, buf, NULL);
}
