/*
 * casefile.c - one recorded case against a verifier (see casefile.h):
 * the request built from the case's fields compared with the one
 * recorded, the recorded reply judged, the outcome compared with the one
 * expected. Owns nothing past the call; never touches the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "casefile.h"
#include "check.h"
#include "roster.h"
#include "validate.h"

#define CASE_ROSTER_ROWS_MAX 100000 /* rows of a case's roster file held in memory */

static enum err differs(char *why, size_t why_len, const char *what, const char *got,
			const char *want)
{
	snprintf(why, why_len, "%s: got %s, expected %s", what, got != NULL ? got : "(none)",
		 want != NULL ? want : "(none)");
	return ERR_INVALID;
}

/* The request's path and query: the URL from the first '/' after its
 * authority ("" when it has none). */
static const char *path_of(const char *url)
{
	const char *p = strstr(url, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;

	return slash != NULL ? slash : "";
}

static enum err check_request(const struct verifier *v, json_t *sent, json_t *want, char *why,
			      size_t why_len)
{
	const char *path = json_string_value(json_object_get(want, "path"));
	const char *method = json_string_value(json_object_get(want, "method"));
	struct verifier_request req = {0};
	enum err err;

	if (path == NULL)
		return differs(why, why_len, "request.path", "nothing", "a string");
	err = v->ops->build_request(v, sent, &req, why, why_len);
	if (err != ERR_OK) {
		if (err == ERR_INVALID) {
			char reason[VERIFIER_REASON_MAX];

			snprintf(reason, sizeof(reason), "%s", why);
			snprintf(why, why_len, "request: refused (%s)", reason);
		}
		goto out;
	}
	if (strcmp(path_of(req.url), path) != 0)
		err = differs(why, why_len, "request.path", path_of(req.url), path);
	else if (method != NULL && strcmp(req.method != NULL ? req.method : "GET", method) != 0)
		err = differs(why, why_len, "request.method",
			      req.method != NULL ? req.method : "GET", method);
out:
	verifier_request_release(&req);
	return err;
}

static enum err check_result(const struct verifier_result *res, json_t *want, char *why,
			     size_t why_len)
{
	const char *outcome = json_string_value(json_object_get(want, "outcome"));
	const char *reason = json_string_value(json_object_get(want, "reason"));
	const char *expires = json_string_value(json_object_get(want, "expires"));
	json_t *checks = json_object_get(want, "checks");
	enum err err = ERR_OK;
	char *got;

	if (outcome == NULL || strcmp(outcome_name(res->outcome), outcome) != 0)
		return differs(why, why_len, "expect.outcome", outcome_name(res->outcome), outcome);
	if (reason == NULL || strcmp(res->reason, reason) != 0)
		return differs(why, why_len, "expect.reason", res->reason, reason);
	if (expires != NULL && strcmp(res->expires, expires) != 0)
		return differs(why, why_len, "expect.expires", res->expires, expires);
	if (checks != NULL && !json_equal(checks, res->checks)) {
		got = json_dumps(res->checks, JSON_COMPACT | JSON_SORT_KEYS);
		err = got == NULL
			      ? ERR_NOMEM
			      : differs(why, why_len, "expect.checks", got, "the recorded ones");
		free(got);
	}
	return err;
}

enum err verifier_case_run(const struct verifier *v, json_t *c, char *why, size_t why_len)
{
	json_t *reply = json_object_get(c, "reply"), *body = json_object_get(reply, "body");
	json_t *status = json_object_get(reply, "status"), *sent = NULL, *local = NULL;
	struct verifier_result res = {0};
	char *text = NULL;
	enum err err;

	if (v->ops->transport != TRANSPORT_HTTP)
		return differs(why, why_len, "kind", v->ops->kind, "an HTTP kind");
	if (!json_is_object(json_object_get(c, "fields")) || !json_is_integer(status) ||
	    body == NULL || !json_is_object(json_object_get(c, "expect")))
		return differs(why, why_len, "case", "a malformed one",
			       "fields, request, reply {status, body} and expect");
	err = verifier_fields(v, json_object_get(c, "fields"), &sent, &local);
	if (err != ERR_OK)
		return err;
	err = check_request(v, sent, json_object_get(c, "request"), why, why_len);
	if (err != ERR_OK)
		goto out;
	text = json_is_string(body) ? strdup(json_string_value(body)) : json_dumps(body, 0);
	if (text == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	{
		struct verifier_reply r = {json_integer_value(status), text, strlen(text)};

		err = v->ops->parse_reply(v, local, &r, &res);
	}
	if (err == ERR_UPSTREAM)
		err = differs(why, why_len, "reply", "not understood", "an answer");
	else if (err == ERR_OK)
		err = check_result(&res, json_object_get(c, "expect"), why, why_len);
out:
	verifier_result_release(&res);
	free(text);
	json_decref(sent);
	json_decref(local);
	return err;
}

/* A roster file read into memory: the rows as the table would hold them. */
struct rows {
	struct roster_hit *row;
	size_t n, cap;
	const char *today;
};

static enum err add_row(void *ctx, const struct roster_row *r)
{
	struct rows *rows = ctx;
	struct roster_hit *h;

	if (!db_roster_entry_ok(&r->entry))
		return ERR_INVALID; /* as the COPY refuses it */
	if (rows->n == rows->cap) {
		size_t cap = rows->cap == 0 ? 64 : rows->cap * 2;
		struct roster_hit *more = rows->n < CASE_ROSTER_ROWS_MAX
						  ? realloc(rows->row, cap * sizeof(*more))
						  : NULL;

		if (more == NULL)
			return ERR_NOMEM;
		rows->row = more;
		rows->cap = cap;
	}
	h = &rows->row[rows->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->npi, sizeof(h->npi), "%s", r->entry.npi != NULL ? r->entry.npi : "");
	snprintf(h->family_name, sizeof(h->family_name), "%s", r->entry.family_name);
	snprintf(h->given_name, sizeof(h->given_name), "%s", r->entry.given_name);
	snprintf(h->state, sizeof(h->state), "%s", r->entry.state);
	snprintf(h->listed_on, sizeof(h->listed_on), "%s",
		 r->entry.listed_on != NULL ? r->entry.listed_on : "");
	/* what db_roster_match() reads as listed_on > current_date */
	h->listed_later = h->listed_on[0] != '\0' && strcmp(h->listed_on, rows->today) > 0;
	h->reinstated = r->entry.reinstated;
	snprintf(h->detail, sizeof(h->detail), "%s", r->entry.detail);
	return ERR_OK;
}

enum err verifier_case_run_roster(const struct verifier *v, json_t *c, const char *dir, char *why,
				  size_t why_len)
{
	const char *file = json_string_value(json_object_get(c, "roster"));
	const char *today = json_string_value(json_object_get(c, "today"));
	struct rows rows = {0};
	struct verifier_result res = {0};
	json_t *sent = NULL, *local = NULL;
	char path[4096], now[11], rwhy[256] = "";
	time_t t = time(NULL);
	struct tm tm;
	enum err err;

	if (!roster_is(v))
		return differs(why, why_len, "kind", v->ops->kind, "roster_csv");
	if (file == NULL || file[0] == '\0' || !json_is_object(json_object_get(c, "fields")) ||
	    !json_is_object(json_object_get(c, "expect")) ||
	    (json_object_get(c, "today") != NULL && (today == NULL || !validate_date(today))))
		return differs(why, why_len, "case", "a malformed one",
			       "roster (a file's path), today (YYYY-MM-DD, optional), fields and "
			       "expect");
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d", &tm);
	rows.today = today != NULL ? today : now;
	snprintf(path, sizeof(path), "%s%s%s", file[0] == '/' ? "" : dir, file[0] == '/' ? "" : "/",
		 file);
	err = roster_read(v, path, rows.today, add_row, &rows, rwhy, sizeof(rwhy));
	if (err != ERR_OK) {
		snprintf(why, why_len, "roster: %s", rwhy[0] != '\0' ? rwhy : err_name(err));
		err = err == ERR_NOMEM ? err : ERR_INVALID;
		goto out;
	}
	err = verifier_fields(v, json_object_get(c, "fields"), &sent, &local);
	if (err == ERR_OK)
		err = roster_check_rows(v, rows.row, rows.n, local, &res);
	if (err == ERR_OK)
		err = check_result(&res, json_object_get(c, "expect"), why, why_len);
out:
	verifier_result_release(&res);
	json_decref(sent);
	json_decref(local);
	free(rows.row);
	return err;
}

/* Does the request sent match want's method, path, headers (names in
 * any case) and body_contains / body_lacks? */
static enum err check_sent(json_t *want, json_t *sent, char *why, size_t why_len)
{
	const char *method = json_string_value(json_object_get(want, "method"));
	const char *path = json_string_value(json_object_get(want, "path"));
	const char *body = json_string_value(json_object_get(sent, "body"));
	json_t *headers = json_object_get(sent, "headers"), *value;
	const char *name;
	size_t i;

	if (method != NULL &&
	    strcmp(method, json_string_value(json_object_get(sent, "method"))) != 0)
		return differs(why, why_len, "request.method",
			       json_string_value(json_object_get(sent, "method")), method);
	if (path != NULL && strcmp(path, json_string_value(json_object_get(sent, "path"))) != 0)
		return differs(why, why_len, "request.path",
			       json_string_value(json_object_get(sent, "path")), path);
	json_object_foreach (json_object_get(want, "headers"), name, value) {
		const char *got = NULL, *key;
		json_t *h;

		json_object_foreach (headers, key, h)
			if (strcasecmp(key, name) == 0)
				got = json_string_value(h);
		if (got == NULL || !json_is_string(value) ||
		    strcmp(got, json_string_value(value)) != 0)
			return differs(why, why_len, "request.headers", got,
				       json_string_value(value));
	}
	json_array_foreach (json_object_get(want, "body_contains"), i, value)
		if (!json_is_string(value) || strstr(body, json_string_value(value)) == NULL)
			return differs(why, why_len, "request.body_contains", "a body without it",
				       json_string_value(value));
	json_array_foreach (json_object_get(want, "body_lacks"), i, value)
		if (!json_is_string(value) || strstr(body, json_string_value(value)) != NULL)
			return differs(why, why_len, "request.body_lacks", "a body with it",
				       json_string_value(value));
	return ERR_OK;
}

enum err verifier_case_run_process(const struct verifier *v, json_t *c, const char *origin,
				   json_t *(*sent)(void *ctx), void *ctx, char *why, size_t why_len)
{
	const char *base = v->base_url != NULL ? path_of(v->base_url) : "/";
	struct verifier there = *v;
	struct verifier_result res = {0};
	char url[4096], sha[65];
	json_t *requests = NULL;
	enum err err;

	if (v->ops->transport != TRANSPORT_PROCESS)
		return differs(why, why_len, "kind", v->ops->kind, "a process kind");
	if (!json_is_object(json_object_get(c, "fields")) ||
	    !json_is_object(json_object_get(c, "request")) ||
	    !json_is_object(json_object_get(c, "expect")))
		return differs(why, why_len, "case", "a malformed one",
			       "fields, request, reply {status, body} and expect");
	/* the program asks the stub, at the path it would ask its register */
	snprintf(url, sizeof(url), "%s%s", origin, base[0] != '\0' ? base : "/");
	there.base_url = url;
	err = verifier_check_once(&there, NULL, json_object_get(c, "fields"), &res, sha);
	if (err != ERR_OK)
		goto out;
	requests = sent(ctx);
	if (requests == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	if (json_array_size(requests) != 1) {
		char n[32];

		snprintf(n, sizeof(n), "%zu requests", json_array_size(requests));
		err = differs(why, why_len, "request", n, "1 request");
		goto out;
	}
	err = check_sent(json_object_get(c, "request"), json_array_get(requests, 0), why, why_len);
	if (err == ERR_OK)
		err = check_result(&res, json_object_get(c, "expect"), why, why_len);
out:
	json_decref(requests);
	verifier_result_release(&res);
	return err;
}
