/*
 * problem.c - builds problem+json bodies. Owns the err -> status mapping;
 * no other file decides what status an internal error becomes, and the
 * translation of every problem text (issue 24): title, detail and each
 * errors[].message are looked up in the reply's language (http_lang())
 * here, once; type, code, field and status never change with it.
 */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "i18n.h"
#include "jsonbody.h"
#include "log.h"
#include "problem.h"

static const char *title_for(unsigned status)
{
	switch (status) {
	case 400:
		return N_("Bad Request");
	case 401:
		return N_("Unauthorized");
	case 403:
		return N_("Forbidden");
	case 404:
		return N_("Not Found");
	case 405:
		return N_("Method Not Allowed");
	case 409:
		return N_("Conflict");
	case 412:
		return N_("Precondition Failed");
	case 413:
		return N_("Content Too Large");
	case 415:
		return N_("Unsupported Media Type");
	case 422:
		return N_("Unprocessable Content");
	case 428:
		return N_("Precondition Required");
	case 429:
		return N_("Too Many Requests");
	case 502:
		return N_("Bad Gateway");
	case 503:
		return N_("Service Unavailable");
	default:
		return status >= 500 ? N_("Internal Server Error") : N_("Bad Request");
	}
}

/* The problem document, or NULL when memory runs out (http_reply_json
 * then sends its last-resort 503): never one with a member missing. */
static json_t *problem_body(struct req *r, unsigned status, const char *slug, const char *detail,
			    bool translate)
{
	const char *lang = http_lang(r);
	json_t *body = json_object();

	if (body == NULL ||
	    json_object_set_new(body, "type", json_sprintf("urn:hcpd:problem:%s", slug)) != 0 ||
	    json_object_set_new(body, "title", json_string(i18n_text(lang, title_for(status)))) !=
		    0 ||
	    json_object_set_new(body, "status", json_integer(status)) != 0 ||
	    (detail != NULL &&
	     json_object_set_new(body, "detail",
				 json_string(translate ? i18n_text(lang, detail) : detail)) != 0) ||
	    json_object_set_new(body, "request_id", json_string(r->id)) != 0) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* problem_send() with a detail already in the reply's language (built
 * from a translated format, e.g. with a count): not looked up again. */
static enum MHD_Result problem_send_translated(struct req *r, unsigned status, const char *slug,
					       const char *detail)
{
	return http_reply_json(r, status, problem_body(r, status, slug, detail, false),
			       "application/problem+json");
}

enum MHD_Result problem_send(struct req *r, unsigned status, const char *slug, const char *detail)
{
	return http_reply_json(r, status, problem_body(r, status, slug, detail, true),
			       "application/problem+json");
}

enum MHD_Result problem_throttled(struct req *r, int retry_after)
{
	const char *lang = http_lang(r);
	char detail[256];
	unsigned long n = retry_after > 0 ? (unsigned long)retry_after : 0;

	http_add_header(r, "Retry-After", "%d", retry_after);
	/* a count in the text: the language's plural form (issue 24) */
	snprintf(detail, sizeof(detail),
		 i18n_ntext(lang,
			    "too many wrong passwords for this account; wait %lu second before "
			    "trying again",
			    "too many wrong passwords for this account; wait %lu seconds before "
			    "trying again",
			    n),
		 n);
	return problem_send_translated(r, 429, "too-many-attempts", detail);
}

enum MHD_Result problem_invalid_token(struct req *r)
{
	return problem_send(
		r, 400, "invalid-token",
		"this link does not work: it is unknown, was used already, has expired, "
		"or a newer one was sent; ask for a new one");
}

/* Messages made with a value in them (services/base/catalogue_check.c
 * puts in a field's format name or maximum length): each a msgid, matched
 * by the text around the value, translated whole with the value put back.
 * The one without a value is here for xgettext (it is made by snprintf). */
static const char *const templates[] = {
	N_("is not a valid %s: wrong length, characters or check digit"),
	N_("is not a valid %s"),
	N_("must be at most %s characters"),
	N_("does not have the format its register issues (see the schema)"),
};

/* msg in lang: its translation, or the translation of the template it was
 * made from (into buf), or msg itself. */
static const char *translate_message(const char *lang, const char *msg, char *buf, size_t len)
{
	const char *text = i18n_text(lang, msg);
	size_t mlen = msg != NULL ? strlen(msg) : 0;

	if (text != msg || msg == NULL || strcmp(lang, I18N_DEFAULT) == 0)
		return text;
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		const char *t = templates[i], *hole = strstr(t, "%s");
		size_t pre = hole != NULL ? (size_t)(hole - t) : 0, post;
		char value[64];

		if (hole == NULL)
			continue;
		post = strlen(hole + 2);
		if (mlen <= pre + post || mlen - pre - post >= sizeof(value) ||
		    strncmp(msg, t, pre) != 0 || strcmp(msg + mlen - post, hole + 2) != 0 ||
		    memchr(msg + pre, ' ', mlen - pre - post) != NULL)
			continue;
		snprintf(value, sizeof(value), "%.*s", (int)(mlen - pre - post), msg + pre);
		snprintf(buf, len, i18n_text(lang, t), value);
		return buf;
	}
	return msg;
}

/* Each errors[].message in lang, in place; false when memory runs out. */
static bool translate_messages(const char *lang, json_t *errors)
{
	size_t i;
	json_t *e;

	json_array_foreach (errors, i, e) {
		const char *msg = json_string_value(json_object_get(e, "message"));
		char buf[512];
		const char *text = translate_message(lang, msg, buf, sizeof(buf));

		if (text != msg && json_object_set_new(e, "message", json_string(text)) != 0)
			return false;
	}
	return true;
}

enum MHD_Result problem_send_errors(struct req *r, json_t *errors)
{
	json_t *body = problem_body(r, 422, "validation",
				    N_("the request has invalid fields; see errors"), true);

	if (body != NULL && !translate_messages(r->lang, errors)) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL) {
		json_decref(errors);
	} else if (json_object_set_new(body, "errors", errors) != 0) {
		json_decref(body); /* set_new released errors too */
		body = NULL;
	}
	return http_reply_json(r, 422, body, "application/problem+json");
}

enum MHD_Result problem_from_err(struct req *r, enum err err)
{
	switch (err) {
	case ERR_OK:
	case ERR_INTERNAL:
	case ERR_DB:
	case ERR_CRYPTO:
	case ERR_IO:
		break;
	case ERR_INVALID:
		return problem_send(r, 400, "bad-request", NULL);
	case ERR_NOT_FOUND:
		return problem_send(r, 404, "not-found", NULL);
	case ERR_CONFLICT:
		return problem_send(r, 409, "conflict", NULL);
	case ERR_TOO_BIG:
		return problem_send(r, 413, "too-big", NULL);
	case ERR_BUSY:
		http_add_header(r, "Retry-After", "1");
		return problem_send(r, 503, "busy", "the service is at capacity; retry shortly");
	case ERR_NOMEM:
		/* transient like a full queue: the same request may well succeed */
		http_add_header(r, "Retry-After", "1");
		return problem_send(r, 503, "out-of-memory",
				    "the service is short of memory; retry shortly");
	case ERR_UNAVAILABLE:
		http_add_header(r, "Retry-After", "2");
		return problem_send(r, 503, "unavailable",
				    "a dependency is unavailable; retry shortly");
	case ERR_UPSTREAM:
		return problem_send(r, 502, "upstream", NULL);
	}
	log_json(LOG_ERROR, "internal error",
		 json_pack("{s:s, s:s}", "request_id", r->id, "error", err_name(err)));
	return problem_send(r, 500, "internal", "an internal error occurred");
}

enum MHD_Result problem_send_field(struct req *r, const char *field, const char *code,
				   const char *message)
{
	json_t *errors = json_array();

	if (errors == NULL || json_error_add(errors, field, code, message) != ERR_OK) {
		json_decref(errors);
		return problem_from_err(r, ERR_NOMEM);
	}
	return problem_send_errors(r, errors);
}

bool problem_check_failed(struct req *r, enum err err, json_t *errors, enum MHD_Result *ret_reply)
{
	if (err == ERR_OK && errors == NULL)
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		json_decref(errors);
		*ret_reply = problem_from_err(r, err);
		return true;
	}
	if (json_array_size(errors) > 0) {
		*ret_reply = problem_send_errors(r, errors);
		return true;
	}
	json_decref(errors);
	return false;
}

bool problem_check_strings(struct req *r, const char *const *keys, enum MHD_Result *ret_reply)
{
	json_t *errors = json_array();
	enum err err = ERR_OK;

	if (errors != NULL && (json_body_check_keys(r->json, keys, errors) != ERR_OK ||
			       json_body_require_strings(r->json, keys, errors) != ERR_OK))
		err = ERR_NOMEM;
	return !problem_check_failed(r, err, errors, ret_reply);
}
