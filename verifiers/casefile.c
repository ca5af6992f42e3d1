/*
 * casefile.c - one recorded case against a verifier (see casefile.h):
 * the request built from the case's fields compared with the one
 * recorded, the recorded reply judged, the outcome compared with the one
 * expected. Owns nothing past the call; never touches the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefile.h"

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
