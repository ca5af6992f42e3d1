/*
 * terms.c - checks a recipient's limited-use terms (terms.h). Pure: reads
 * a parsed JSON object and the catalogue, writes the struct it is given.
 */
#include <string.h>

#include "catalogue.h"
#include "jsonbody.h"
#include "terms.h"
#include "validate.h"

#define RETENTION_MAX 36500 /* days: a hundred years */

bool terms_field_known(const struct catalogue *cat, const char *name)
{
	/* completion_status: an activity enrolment's outcome (issue 25), which
	 * CME sponsors and accreditors receive */
	return strcmp(name, "email") == 0 || strcmp(name, "completion_status") == 0 ||
	       catalogue_field_exists(cat, name);
}

/* A date or time (validate_timestamp()) from 1970 on, as Unix seconds. */
static bool unix_time(json_t *v, long long *ret_seconds)
{
	long long seconds;

	if (!json_is_string(v) || !validate_timestamp(json_string_value(v), &seconds) ||
	    seconds < 0)
		return false;
	*ret_seconds = seconds;
	return true;
}

/* The checks of one terms object: the first refusal, and whether to go on
 * past it (a note callback takes every one). */
struct tcheck {
	const char **bad, **rule;
	terms_note_fn note;
	void *ctx;
	bool ok;
};

/* Refuses key; true when the checks go on to the next key. */
static bool refuse(struct tcheck *c, const char *key, const char *rule)
{
	if (c->ok) {
		*c->bad = key;
		*c->rule = rule;
	}
	c->ok = false;
	if (c->note != NULL)
		c->note(c->ctx, key, rule);
	return c->note != NULL;
}

/* allowed_fields: distinct known names, borrowed into fields. */
static bool allowed_parse(json_t *allowed, const struct catalogue *cat, const char **fields)
{
	json_t *v;
	size_t i;

	if (!json_is_array(allowed) || json_array_size(allowed) == 0)
		return false;
	json_array_foreach (allowed, i, v) {
		const char *name = json_string_value(v);

		if (name == NULL || !terms_field_known(cat, name))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(fields[j], name) == 0)
				return false;
		fields[i] = name;
	}
	return true;
}

bool terms_parse(json_t *terms, const struct catalogue *cat, const char **fields,
		 struct recipient_terms_def *t, const char **ret_bad, const char **ret_rule,
		 terms_note_fn note, void *ctx)
{
	static const char *const keys[] = {
		"version",         "purpose",     "allowed_fields",    "retention_days",
		"onward_transfer", "legal_basis", "recipient_country", "effective_from",
		"effective_to",    NULL};
	static const char *const text = "must be a non-empty string";
	json_t *allowed = json_object_get(terms, "allowed_fields");
	json_t *retention = json_object_get(terms, "retention_days");
	json_t *to = json_object_get(terms, "effective_to");
	struct tcheck c = {ret_bad, ret_rule, note, ctx, true};
	const char *unknown;

	if (!json_only_keys(terms, keys, &unknown) && !refuse(&c, unknown, "unknown key"))
		return false;
	if ((t->version = json_text(terms, "version", 64)) == NULL && !refuse(&c, "version", text))
		return false;
	if ((t->legal_basis = json_text(terms, "legal_basis", 200)) == NULL &&
	    !refuse(&c, "legal_basis", text))
		return false;
	t->purpose = json_text(terms, "purpose", 64);
	if ((t->purpose == NULL || !validate_token(t->purpose, '_', 64)) &&
	    !refuse(&c, "purpose", "must be lower-case letters, digits and _"))
		return false;
	t->recipient_country = json_text(terms, "recipient_country", 2);
	if ((t->recipient_country == NULL || !validate_country(t->recipient_country)) &&
	    !refuse(&c, "recipient_country", "must be an ISO 3166-1 alpha-2 code (upper case)"))
		return false;
	if ((!json_is_integer(retention) || json_integer_value(retention) < 0 ||
	     json_integer_value(retention) > RETENTION_MAX) &&
	    !refuse(&c, "retention_days", "must be an integer from 0 to 36500"))
		return false;
	t->retention_days = (int)json_integer_value(retention);
	t->onward_transfer = false;
	if (!json_is_false(json_object_get(terms, "onward_transfer")) &&
	    !refuse(&c, "onward_transfer",
		    "must be false: hcpd discloses only under terms that forbid onward transfer"))
		return false;
	t->effective_to = 0;
	if (!unix_time(json_object_get(terms, "effective_from"), &t->effective_from)) {
		if (!refuse(&c, "effective_from",
			    "must be a date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"))
			return false;
	} else if (to != NULL && !json_is_null(to) &&
		   (!unix_time(to, &t->effective_to) || t->effective_to <= t->effective_from) &&
		   !refuse(&c, "effective_to", "must be null or a date after effective_from")) {
		return false;
	}
	if (!allowed_parse(allowed, cat, fields) &&
	    !refuse(&c, "allowed_fields",
		    "must be a non-empty array of distinct catalogue field names (or email)"))
		return false;
	t->allowed_fields = fields;
	t->nallowed = json_array_size(allowed);
	return c.ok;
}
