/*
 * log.c - JSON lines on stderr. Owns the level threshold. Never formats
 * request bodies: callers hand over only the fields they chose to log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsontext.h"
#include "log.h"

static enum log_level threshold = LOG_INFO;
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
	struct timespec now;
	struct tm tm;
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
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (now.tv_nsec / 1000000) % 1000);
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
