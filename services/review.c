/*
 * review.c - the review state model, input rules for reasons and answers,
 * If-Match matching, and the representation of an item (see review.h).
 *
 * review_build() opens personal values: clear keys and serialised text
 * are wiped before it returns, and nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "crypto.h"
#include "jsontext.h"
#include "manual.h"
#include "review.h"
#include "validate.h"
#include "vault.h"

static const struct {
	const char *name;
	enum status_event event;
} decisions[] = {
	{"approve", EVENT_APPROVE},
	{"reject", EVENT_REJECT},
	{"request_info", EVENT_REQUEST_INFO},
};

enum err review_transition(enum account_status status, bool email_verified, const char *decision,
			   enum status_event *ret_event, enum account_status *ret_to,
			   const char **ret_why)
{
	for (size_t i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++) {
		enum status_event event = decisions[i].event;

		if (strcmp(decisions[i].name, decision) != 0)
			continue;
		if (event == EVENT_APPROVE && !email_verified &&
		    status_next(status, event, ret_to) == ERR_OK) {
			*ret_why =
				"the professional has not confirmed their email address: an "
				"account "
				"is approved only with a confirmed one (reject, or ask for it with "
				"request_info)";
			return ERR_CONFLICT;
		}
		if (status_next(status, event, ret_to) == ERR_OK) {
			*ret_event = event;
			return ERR_OK;
		}
		if (status == STATUS_APPROVED && event == EVENT_APPROVE)
			*ret_why = "the item is already approved";
		else if (status == STATUS_REJECTED && event == EVENT_REJECT)
			*ret_why = "the item is already rejected";
		else if (status == STATUS_APPROVED || status == STATUS_REJECTED)
			*ret_why = "request_info applies only to items waiting in the queue "
				   "(flagged or suspended)";
		else
			*ret_why = "the account is not under review";
		return ERR_CONFLICT;
	}
	*ret_why = "decision must be approve, reject or request_info";
	return ERR_INVALID;
}

const char *review_text_problem(const char *text)
{
	bool blank = true;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
			return "invalid";
		blank = blank && (*p == ' ' || *p == '\n' || *p == '\t');
	}
	if (blank)
		return "required";
	return validate_utf8_chars(text) > REVIEW_TEXT_MAX ? "too_long" : NULL;
}

bool review_etag_matches(const char *if_match, const char *etag)
{
	size_t etag_len = strlen(etag);
	const char *p = if_match;

	while (*p != '\0') {
		const char *end;

		p += strspn(p, " \t,");
		if (*p != '"')
			return false; /* "*", a weak tag or garbage: never a match */
		end = strchr(p + 1, '"');
		if (end == NULL)
			return false;
		if (end[1] != '\0' && end[1] != ',' && end[1] != ' ' && end[1] != '\t')
			return false;
		if ((size_t)(end + 1 - p) == etag_len && memcmp(p, etag, etag_len) == 0)
			return true;
		p = end + 1;
	}
	return false;
}

/* Opens one sealed value of the item as text; NULL when absent or when it
 * does not open. The caller wipes and frees it. */
static char *open_text(const unsigned char *key, const char *id, const char *what,
		       const unsigned char *sealed, size_t len)
{
	char *text = NULL;
	size_t text_len;

	if (key == NULL || sealed == NULL ||
	    vault_open(key, id, what, sealed, len, &text, &text_len) != ERR_OK)
		return NULL;
	return text;
}

static void wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* JSON text from the database (jsonb output), or null if it does not parse. */
static json_t *json_text(const char *text)
{
	json_t *v = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

	return v != NULL ? v : json_null();
}

/* A string or null. */
static json_t *json_str(const char *s)
{
	json_t *v = s != NULL ? json_string(s) : NULL;

	return v != NULL ? v : json_null();
}

/* The email and the whole profile (public fields and opened personal
 * ones), or nulls once erased; steals profile. */
static enum err add_personal(json_t *body, const char *email, json_t *profile)
{
	if (json_object_set_new(body, "email", json_str(email)) != 0 ||
	    json_object_set_new(body, "profile", profile != NULL ? profile : json_null()) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

/* Each verification, its evidence opened: JSON as the verifier stored it,
 * or its text when it is not JSON. */
static json_t *verifications_json(const struct review_rows *rows, const unsigned char *key)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < rows->nverifications; i++) {
		const struct review_verification *v = &rows->verifications[i];
		char *text = open_text(key, rows->account.id, "evidence", v->evidence_enc,
				       v->evidence_len);
		json_t *evidence = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

		if (evidence == NULL)
			evidence = json_str(text);
		wipe_free(text);
		json_array_append_new(
			list, json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:s}", "id",
					(json_int_t)strtoll(v->id, NULL, 10), "verifier",
					v->verifier, "occasion", json_str(v->occasion), "outcome",
					v->outcome, "reason", json_str(v->reason), "checks",
					json_text(v->checks), "evidence", evidence, "reply_sha256",
					json_str(v->reply_sha256), "checked_at", v->checked_at));
	}
	return list;
}

/* The past decisions, each with its reason opened (null once erased, or
 * when it does not open). */
static json_t *decisions_json(const struct review_rows *rows, const unsigned char *key)
{
	json_t *list = json_text(rows->decisions), *d;
	size_t i;

	json_array_foreach (list, i, d) {
		const char *hex = json_string_value(json_object_get(d, "reason_enc"));
		char *text = NULL;

		if (key != NULL && hex != NULL)
			vault_open_hex(key, rows->account.id, "decision_reason", hex, &text);
		json_object_set_new(d, "reason", json_str(text));
		json_object_del(d, "reason_enc");
		wipe_free(text);
	}
	return list;
}

/* The professional's answers, opened. */
static json_t *responses_json(const struct review_rows *rows, const unsigned char *key)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < rows->nresponses; i++) {
		const struct review_response *p = &rows->responses[i];
		char *text = open_text(key, rows->account.id, "review_response", p->message_enc,
				       p->message_len);

		json_array_append_new(
			list, json_pack("{s:I, s:I, s:o, s:o, s:s}", "id",
					(json_int_t)strtoll(p->id, NULL, 10), "decision_id",
					(json_int_t)strtoll(p->decision_id, NULL, 10), "message",
					json_str(text), "document_id", json_str(p->document_id),
					"received_at", p->received_at));
		wipe_free(text);
	}
	return list;
}

enum err review_etag_of(json_t *body, char ret_etag[REVIEW_ETAG_LEN])
{
	unsigned char digest[32];
	char *text = json_text_dump(body, JSON_COMPACT | JSON_SORT_KEYS);

	if (text == NULL)
		return ERR_NOMEM;
	crypto_sha256(text, strlen(text), digest);
	wipe_free(text);
	ret_etag[0] = '"';
	crypto_hex(digest, 16, ret_etag + 1);
	ret_etag[33] = '"';
	ret_etag[34] = '\0';
	return ERR_OK;
}

/* Issue 19: each manual register of set that applies to the profile's
 * country and profession, as the admin acts on it: which register, the
 * link to its search page with the declared number filled in (or null
 * where it publishes none), the instructions, the fields to compare and
 * where the register's facts come from. An erased profile (null) has
 * none. */
static json_t *manual_checks_json(const struct verifier_set *set, json_t *profile)
{
	const char *country = json_string_value(json_object_get(profile, "country"));
	const char *profession = json_string_value(json_object_get(profile, "profession"));
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < verifier_set_count(set); i++) {
		const struct verifier *v = verifier_set_at(set, i);
		json_t *compares, *item;
		char *link = NULL;

		if (v->ops->transport != TRANSPORT_MANUAL ||
		    !verifier_applies(v, country, profession))
			continue;
		compares = json_array();
		for (size_t k = 0; compares != NULL && k < v->nfields + v->ncompares; k++)
			json_array_append_new(compares,
					      json_string(k < v->nfields
								  ? v->fields[k]
								  : v->compares[k - v->nfields]));
		if (manual_link(v, profile, &link) != ERR_OK || compares == NULL) {
			json_decref(compares);
			json_decref(list);
			return NULL;
		}
		item = json_pack("{s:s, s:s, s:o, s:s, s:o, s:O}", "verifier", v->name,
				 "display_name", v->display_name, "link", json_str(link),
				 "instructions", manual_instructions(v), "compare", compares,
				 "source", json_object_get(v->doc, "source"));
		free(link);
		if (item == NULL || json_array_append_new(list, item) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

enum err review_build(const unsigned char *key, const struct review_rows *rows,
		      const struct verifier_set *set, json_t **ret_body,
		      char ret_etag[REVIEW_ETAG_LEN])
{
	char *email = NULL;
	json_t *body, *profile = NULL;
	enum err err = key != NULL ? vault_open_values(key, &rows->account, &email, &profile)
				   : ERR_NOT_FOUND;
	bool have_key = err == ERR_OK;

	if (err == ERR_NOT_FOUND) /* erased: nulls */
		err = ERR_OK;
	body = json_pack("{s:s, s:s, s:o, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o}", "id",
			 rows->account.id, "status", rows->status, "waiting_for",
			 json_str(rows->waiting_for), "status_changed_at", rows->status_changed_at,
			 "registered_at", rows->created_at, "email_verified", rows->email_verified,
			 "processing_restricted", rows->processing_restricted, "reasons",
			 json_text(rows->reasons), "disclosures", json_text(rows->disclosures),
			 "decisions", decisions_json(rows, have_key ? key : NULL), "documents",
			 json_text(rows->documents), "responses",
			 responses_json(rows, have_key ? key : NULL));
	if (err == ERR_OK && body == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK) {
		err = add_personal(body, email, profile);
		profile = NULL;
	}
	json_decref(profile);
	wipe_free(email);
	if (err == ERR_OK &&
	    json_object_set_new(body, "verifications",
				verifications_json(rows, have_key ? key : NULL)) != 0)
		err = ERR_NOMEM;
	if (err == ERR_OK &&
	    json_object_set_new(body, "manual_checks",
				manual_checks_json(set, json_object_get(body, "profile"))) != 0)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = review_etag_of(body, ret_etag);
	if (err == ERR_OK)
		err = json_object_set_new(body, "waiting_seconds",
					  json_integer(rows->waiting_seconds)) == 0
			      ? ERR_OK
			      : ERR_NOMEM;
	if (err != ERR_OK) {
		json_decref(body);
		return err;
	}
	*ret_body = body;
	return ERR_OK;
}
