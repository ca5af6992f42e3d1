/*
 * process.c - the "process" kind: an external program, verifier-<name> in
 * any language, that reads one JSON request on stdin and writes one JSON
 * reply on stdout (spawn.c runs it). The definition's section:
 *
 *   "process": {"program": "verifier-<name>", "args": ["..."], "env": ["NAME"]}
 *
 * program is absolute or relative to the definition's directory and must
 * be executable at start-up; args (at most 16) follow it; env names hcpd
 * environment variables (registry API keys) passed to it as NAME=value,
 * read once at start-up and wiped at clean-up. hcpd's own settings
 * (HCPD_*) are never passed. Everything the program gets counts as
 * disclosed, so a process verifier only has "fields", never "compares".
 *
 * The request: {"version": 1, "verifier": name, "base_url": url or null,
 * "fields": {...}}. The reply: {"outcome", "reason", "checks"?,
 * "evidence"?, "expires"?}, checked strictly: anything else is
 * ERR_UPSTREAM. Owns v->priv's copies of the path, arguments and
 * environment; never logs, never puts a value into a message.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonbody.h"
#include "lint.h"
#include "validate.h"
#include "verifier.h"

#define PROCESS_ARGS_MAX     16    /* arguments after the program */
#define PROCESS_ENV_MAX      16    /* variables passed on */
#define PROCESS_ARG_LEN      1024  /* bytes of one argument or of the program's path as written */
#define PROCESS_ENV_NAME_MAX 64    /* bytes of a variable's name */
#define PROCESS_ENV_VALUE    8192  /* bytes of a variable's value */
#define PROCESS_REQUEST_MAX  65536 /* bytes of a request (spawn.c's stdin cap) */
#define PROCESS_REPLY_DEPTH  4     /* {evidence: {field: {...}}} is 3 deep */
#define PROCESS_EVIDENCE_MAX 255   /* bytes of an evidence value */

struct process_priv {
	char *argv[1 + PROCESS_ARGS_MAX + 1]; /* the program's absolute path, args, NULL */
	char *env[PROCESS_ENV_MAX + 1];       /* "NAME=value", NULL; wiped at clean-up */
	size_t nenv;
};

static void process_cleanup(struct verifier *v)
{
	struct process_priv *p = v->priv;

	for (size_t i = 0; i < sizeof(p->argv) / sizeof(p->argv[0]); i++)
		free(p->argv[i]);
	for (size_t i = 0; i < p->nenv; i++) {
		explicit_bzero(p->env[i], strlen(p->env[i]));
		free(p->env[i]);
	}
	memset(p, 0, sizeof(*p));
}

/* A non-empty string of at most PROCESS_ARG_LEN bytes, or NULL. */
static const char *arg_text(json_t *value)
{
	const char *s = json_string_value(value);

	return s != NULL && s[0] != '\0' && strlen(s) <= PROCESS_ARG_LEN ? s : NULL;
}

/* The absolute path of program (relative ones from file's directory),
 * malloc'd, when it is an executable regular file; NULL otherwise (errno
 * ENOMEM when that is why). */
static char *program_path(const char *program, const char *file)
{
	const char *slash = strrchr(file, '/');
	char *joined = NULL, *real;
	struct stat st;
	int len;

	if (program[0] != '/') {
		/* "dir/" + program; a file name without a directory is in "." */
		len = slash != NULL ? (int)(slash - file) + 1 : 2;
		joined = malloc((size_t)len + strlen(program) + 1);
		if (joined == NULL)
			return NULL;
		if (slash != NULL)
			memcpy(joined, file, (size_t)len);
		else
			memcpy(joined, "./", 2);
		strcpy(joined + len, program);
		program = joined;
	}
	errno = 0;
	real = realpath(program, NULL);
	free(joined);
	if (real == NULL)
		return NULL;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode) || access(real, X_OK) != 0) {
		free(real);
		errno = 0;
		return NULL;
	}
	return real;
}

/* [A-Z_][A-Z0-9_]* of at most PROCESS_ENV_NAME_MAX bytes. */
static bool env_name_ok(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > PROCESS_ENV_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == len;
}

/* "args" (at most PROCESS_ARGS_MAX strings) copied after the program in
 * p->argv. */
static enum err args_init(struct process_priv *p, json_t *args, char *why, size_t why_len)
{
	json_t *item;
	size_t i;
	enum err err = ERR_OK;

	if (args != NULL && (!json_is_array(args) || json_array_size(args) > PROCESS_ARGS_MAX)) {
		lint_refuse(why, why_len,
			    "\"process\": \"args\" must be an array of at most %d strings",
			    PROCESS_ARGS_MAX);
		return ERR_INVALID;
	}
	json_array_foreach (args, i, item) {
		if (!json_is_string(item) || strlen(json_string_value(item)) > PROCESS_ARG_LEN) {
			err = lint_refuse(
				why, why_len,
				"\"process\": \"args\"[%zu] must be a string of at most %d bytes",
				i, PROCESS_ARG_LEN);
			continue; /* each argument checked, so that lint names every one */
		}
		p->argv[1 + i] = strdup(json_string_value(item));
		if (p->argv[1 + i] == NULL)
			return ERR_NOMEM;
	}
	return err;
}

/* The variable named by "env"[i] as "NAME=value" in p->env[i]: a name
 * hcpd does not own, listed once, set, not too long. */
static enum err env_add(struct process_priv *p, json_t *env, size_t i, char *why, size_t why_len)
{
	const char *name = json_string_value(json_array_get(env, i)), *value;

	if (!env_name_ok(name)) {
		lint_refuse(why, why_len,
			    "\"process\": \"env\"[%zu] must be a variable name ([A-Z_][A-Z0-9_]*)",
			    i);
		return ERR_INVALID;
	}
	if (strncmp(name, "HCPD_", 5) == 0) {
		lint_refuse(why, why_len,
			    "\"process\": \"env\": %s: hcpd's own settings are never passed to a "
			    "program",
			    name);
		return ERR_INVALID;
	}
	for (size_t j = 0; j < i; j++)
		if (strcmp(json_string_value(json_array_get(env, j)), name) == 0) {
			lint_refuse(why, why_len, "\"process\": \"env\": %s is listed twice", name);
			return ERR_INVALID;
		}
	value = getenv(name);
	if (value == NULL) {
		lint_refuse(why, why_len, "\"process\": \"env\": %s is not set", name);
		return ERR_INVALID;
	}
	if (strlen(value) > PROCESS_ENV_VALUE) {
		lint_refuse(why, why_len, "\"process\": \"env\": %s is longer than %d bytes", name,
			    PROCESS_ENV_VALUE);
		return ERR_INVALID;
	}
	p->env[i] = malloc(strlen(name) + 1 + strlen(value) + 1);
	if (p->env[i] == NULL)
		return ERR_NOMEM;
	sprintf(p->env[i], "%s=%s", name, value);
	p->nenv = i + 1;
	return ERR_OK;
}

/* "env" (at most PROCESS_ENV_MAX names) into p->env. */
static enum err env_init(struct process_priv *p, json_t *env, char *why, size_t why_len)
{
	enum err err = ERR_OK;

	if (env != NULL && (!json_is_array(env) || json_array_size(env) > PROCESS_ENV_MAX)) {
		lint_refuse(why, why_len,
			    "\"process\": \"env\" must be an array of at most %d names",
			    PROCESS_ENV_MAX);
		return ERR_INVALID;
	}
	/* each name checked, so that lint names every one at fault */
	for (size_t i = 0; err != ERR_NOMEM && i < json_array_size(env); i++) {
		enum err one = env_add(p, env, i, why, why_len);

		err = err != ERR_OK && one != ERR_NOMEM ? err : one;
	}
	return err;
}

static enum err process_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {"program", "args", "env", NULL};
	struct process_priv *p = v->priv;
	json_t *program = json_object_get(conf, "program");
	char dflt[sizeof("verifier-") + VERIFIER_NAME_MAX];
	const char *bad = NULL, *path;
	enum err err = ERR_INVALID;

	if (v->ncompares > 0) {
		lint_refuse(why, why_len,
			    "\"compares\": a process verifier compares nothing itself (all it gets "
			    "is disclosed): list what it needs under \"fields\"");
		goto out;
	}
	if (conf != NULL && !json_is_object(conf)) {
		lint_refuse(why, why_len, "\"process\" must be an object");
		goto out;
	}
	if (conf != NULL && !json_only_keys(conf, keys, &bad)) {
		lint_refuse(why, why_len, "\"process\": \"%s\" is not a known key", bad);
		goto out;
	}
	snprintf(dflt, sizeof(dflt), "verifier-%s", v->name);
	path = program != NULL ? arg_text(program) : dflt;
	if (path == NULL) {
		lint_refuse(why, why_len, "\"process\": \"program\" must be a non-empty string");
		goto out;
	}
	p->argv[0] = program_path(path, v->file);
	if (p->argv[0] == NULL) {
		err = errno == ENOMEM ? ERR_NOMEM : ERR_INVALID;
		lint_refuse(why, why_len,
			    "\"process\": \"program\" must be an executable file (absolute, or "
			    "relative to the definition's directory)");
		goto out;
	}
	err = args_init(p, json_object_get(conf, "args"), why, why_len);
	if (err != ERR_NOMEM) {
		enum err env = env_init(p, json_object_get(conf, "env"), why, why_len);

		err = err != ERR_OK && env != ERR_NOMEM ? err : env;
	}
out:
	/* on failure the core calls process_cleanup, which frees what is set */
	return err;
}

static enum err process_build_request(const struct verifier *v, const json_t *fields,
				      struct verifier_request *ret_req, char *why, size_t why_len)
{
	struct process_priv *p = v->priv;
	struct verifier_request req = {0};
	json_t *doc = NULL, *copy = json_deep_copy(fields);
	enum err err = ERR_NOMEM;

	if (!json_is_object(fields)) {
		err = ERR_INVALID;
		snprintf(why, why_len, "the fields to send are not an object");
		goto out;
	}
	if (copy == NULL)
		goto out;
	doc = json_pack("{s:i, s:s, s:s?, s:o}", "version", 1, "verifier", v->name, "base_url",
			v->base_url, "fields", copy);
	copy = NULL; /* json_pack's "o" stole it, even on failure */
	if (doc == NULL)
		goto out;
	req.body = json_dumps(doc, JSON_COMPACT);
	if (req.body == NULL)
		goto out;
	req.body_len = strlen(req.body);
	if (req.body_len > PROCESS_REQUEST_MAX) {
		err = ERR_INVALID;
		snprintf(why, why_len, "the request is longer than %d bytes", PROCESS_REQUEST_MAX);
		verifier_request_release(&req);
		goto out;
	}
	req.argv = p->argv;
	req.env = p->env;
	*ret_req = req;
	err = ERR_OK;
out:
	json_decref(copy);
	json_decref(doc);
	return err;
}

/* 1..VERIFIER_REASON_MAX-1 bytes with no C0 or C1 control character. */
static bool reason_ok(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len >= VERIFIER_REASON_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7F ||
		    (c == 0xC2 && (unsigned char)s[i + 1] >= 0x80 &&
		     (unsigned char)s[i + 1] <= 0x9F))
			return false;
	}
	return true;
}

/* "checks": {field: "match" | "mismatch" | "absent"}, fields of v only. */
static bool checks_ok(const struct verifier *v, json_t *checks)
{
	const char *key, *s;
	json_t *value;

	if (!json_is_object(checks))
		return false;
	json_object_foreach (checks, key, value) {
		s = json_string_value(value);
		if (!verifier_names_have(v->fields, v->nfields, key) || s == NULL ||
		    (strcmp(s, "match") != 0 && strcmp(s, "mismatch") != 0 &&
		     strcmp(s, "absent") != 0))
			return false;
	}
	return true;
}

/* "evidence": {field: {"registration": s, "registry": s}}, fields of v
 * only, each string at most PROCESS_EVIDENCE_MAX bytes. */
static bool evidence_ok(const struct verifier *v, json_t *evidence)
{
	static const char *const keys[] = {"registration", "registry", NULL};
	const char *key, *bad;
	json_t *value;

	if (!json_is_object(evidence))
		return false;
	json_object_foreach (evidence, key, value) {
		if (!verifier_names_have(v->fields, v->nfields, key) || !json_is_object(value) ||
		    !json_only_keys(value, keys, &bad))
			return false;
		for (size_t i = 0; keys[i] != NULL; i++) {
			json_t *s = json_object_get(value, keys[i]);

			if (!json_is_string(s) || json_string_length(s) > PROCESS_EVIDENCE_MAX)
				return false;
		}
	}
	return true;
}

/* "expires": absent or null (""), or a real date YYYY-MM-DD. */
static bool expires_ok(json_t *expires, char out[11])
{
	const char *s = json_string_value(expires);

	out[0] = '\0';
	if (expires == NULL || json_is_null(expires))
		return true;
	if (s == NULL || !validate_date(s))
		return false;
	memcpy(out, s, 11);
	return true;
}

static enum err process_parse_reply(const struct verifier *v, const json_t *fields,
				    const struct verifier_reply *reply,
				    struct verifier_result *ret_res)
{
	static const char *const keys[] = {"outcome",  "reason",  "checks",
					   "evidence", "expires", NULL};
	struct verifier_result res = {0};
	json_t *doc = NULL, *checks, *evidence;
	const char *bad, *why, *reason;
	char expires[11];
	enum outcome outcome;
	enum err err = ERR_UPSTREAM;

	(void)fields;
	if (reply->status != 0 || reply->body == NULL || reply->len > VERIFIER_REPLY_MAX)
		goto out;
	/* one object and nothing but whitespace after it, no NUL, no
	 * repeated key, valid UTF-8, shallow */
	err = json_body_parse(reply->body, reply->len, PROCESS_REPLY_DEPTH, &doc, &why);
	if (err != ERR_OK) {
		err = err == ERR_NOMEM ? ERR_NOMEM : ERR_UPSTREAM;
		goto out;
	}
	err = ERR_UPSTREAM;
	reason = json_string_value(json_object_get(doc, "reason"));
	checks = json_object_get(doc, "checks");
	evidence = json_object_get(doc, "evidence");
	if (!json_only_keys(doc, keys, &bad) ||
	    !outcome_parse(json_string_value(json_object_get(doc, "outcome")), &outcome) ||
	    !reason_ok(reason) || (checks != NULL && !checks_ok(v, checks)) ||
	    (evidence != NULL && !evidence_ok(v, evidence)) ||
	    !expires_ok(json_object_get(doc, "expires"), expires))
		goto out;
	err = verifier_result_init(&res, outcome, "%s", reason);
	if (err != ERR_OK)
		goto out;
	memcpy(res.expires, expires, sizeof(res.expires));
	if ((checks != NULL && json_object_update(res.checks, checks) != 0) ||
	    (evidence != NULL && json_object_update(res.evidence, evidence) != 0)) {
		verifier_result_release(&res);
		err = ERR_NOMEM;
		goto out;
	}
	*ret_res = res;
out:
	json_decref(doc);
	return err;
}

const struct verifier_ops verifier_process = {
	.kind = "process",
	.transport = TRANSPORT_PROCESS,
	.priv_size = sizeof(struct process_priv), /* path, arguments, environment */
	.init = process_init,                     /* the section, the program, the variables */
	.build_request = process_build_request,   /* the fields, as they are, on stdin */
	.parse_reply = process_parse_reply,       /* pure: the exit status, one strict object */
	.check_local = NULL,                      /* remote (from hcpd's point of view) */
	.cleanup = process_cleanup,               /* frees and wipes priv */
};
