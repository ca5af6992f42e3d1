/*
 * lint.c - see lint.h: the per-thread collection of a definition's
 * errors, and the conversion of the checks' messages to JSON paths.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lint.h"

static _Thread_local struct lint_errors *collecting;

void lint_collect(struct lint_errors *errs)
{
	if (errs != NULL) {
		errs->n = 0;
		errs->dropped = 0;
	}
	collecting = errs;
}

/* Appends s[0..len) to path (a key: ".key", an index already "[n]"). */
static void path_add(char *path, size_t size, const char *s, size_t len)
{
	size_t used = strlen(path);

	if (used + len + 2 > size)
		return;
	if (s[0] != '[')
		path[used++] = '.';
	memcpy(path + used, s, len);
	path[used + len] = '\0';
}

void lint_path(const char *msg, char *ret_path, size_t path_len, const char **ret_rule)
{
	const char *p = msg;

	snprintf(ret_path, path_len, "$");
	/* leading quoted keys, each followed by ": " or " " */
	while (p[0] == '"') {
		const char *end = strchr(p + 1, '"');

		if (end == NULL || end == p + 1 ||
		    (end[1] != ':' && end[1] != ' ' && end[1] != '[') ||
		    memchr(p + 1, ' ', (size_t)(end - p - 1)) != NULL)
			break;
		path_add(ret_path, path_len, p + 1, (size_t)(end - p - 1));
		p = end + 1;
		/* an index after the quotes, "args"[2], is the path's too */
		if (p[0] == '[' && strchr(p, ']') != NULL) {
			path_add(ret_path, path_len, p, (size_t)(strchr(p, ']') - p + 1));
			p = strchr(p, ']') + 1;
		}
		if (p[0] == ':')
			p++;
		while (p[0] == ' ')
			p++;
	}
	*ret_rule = p;
}

void lint_note(const char *msg)
{
	char path[LINT_ERROR_LEN], line[LINT_ERROR_LEN];
	const char *rule;

	if (collecting == NULL)
		return;
	lint_path(msg, path, sizeof(path), &rule);
	/* a message too long is cut: it still names its path */
	if (snprintf(line, sizeof(line), "%s: %s", path, rule) < 0)
		return;
	/* the same refusal reached twice (a kind and the loader) is one error */
	for (size_t i = 0; i < collecting->n; i++)
		if (strcmp(collecting->msg[i], line) == 0)
			return;
	if (collecting->n == LINT_ERRORS_MAX) {
		collecting->dropped++;
		return;
	}
	memcpy(collecting->msg[collecting->n++], line, sizeof(line));
}

enum err lint_refuse(char *why, size_t why_len, const char *fmt, ...)
{
	char msg[2 * LINT_ERROR_LEN]; /* a long rule is cut by lint_note() only */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why[0] == '\0') /* the first refusal */
		snprintf(why, why_len, "%s", msg);
	lint_note(msg);
	return ERR_INVALID;
}
