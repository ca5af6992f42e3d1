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

bool terms_parse(json_t *terms, const struct catalogue *cat, const char **fields,
		 struct recipient_terms_def *t, const char **ret_bad, const char **ret_rule)
{
	static const char *const keys[] = {
		"version",         "purpose",     "allowed_fields",    "retention_days",
		"onward_transfer", "legal_basis", "recipient_country", "effective_from",
		"effective_to",    NULL};
	json_t *allowed = json_object_get(terms, "allowed_fields"), *v;
	json_t *retention = json_object_get(terms, "retention_days");
	json_t *onward = json_object_get(terms, "onward_transfer");
	json_t *to = json_object_get(terms, "effective_to");
	size_t i;

	*ret_rule = "unknown key";
	if (!json_only_keys(terms, keys, ret_bad))
		return false;
	*ret_rule = "must be a non-empty string";
	if ((t->version = json_text(terms, *ret_bad = "version", 64)) == NULL ||
	    (t->legal_basis = json_text(terms, *ret_bad = "legal_basis", 200)) == NULL)
		return false;
	*ret_rule = "must be lower-case letters, digits and _";
	t->purpose = json_text(terms, *ret_bad = "purpose", 64);
	if (t->purpose == NULL || !validate_token(t->purpose, '_', 64))
		return false;
	*ret_rule = "must be an ISO 3166-1 alpha-2 code (upper case)";
	t->recipient_country = json_text(terms, *ret_bad = "recipient_country", 2);
	if (t->recipient_country == NULL || !validate_country(t->recipient_country))
		return false;
	*ret_bad = "retention_days";
	*ret_rule = "must be an integer from 0 to 36500";
	if (!json_is_integer(retention) || json_integer_value(retention) < 0 ||
	    json_integer_value(retention) > RETENTION_MAX)
		return false;
	t->retention_days = (int)json_integer_value(retention);
	*ret_bad = "onward_transfer";
	*ret_rule = "must be false: hcpd discloses only under terms that forbid onward transfer";
	if (!json_is_false(onward))
		return false;
	t->onward_transfer = false;
	*ret_bad = "effective_from";
	*ret_rule = "must be a date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ";
	if (!unix_time(json_object_get(terms, "effective_from"), &t->effective_from))
		return false;
	*ret_bad = "effective_to";
	t->effective_to = 0;
	if (to != NULL && !json_is_null(to)) {
		*ret_rule = "must be null or a date after effective_from";
		if (!unix_time(to, &t->effective_to) || t->effective_to <= t->effective_from)
			return false;
	}
	*ret_bad = "allowed_fields";
	*ret_rule = "must be a non-empty array of distinct catalogue field names (or email)";
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
	t->allowed_fields = fields;
	t->nallowed = json_array_size(allowed);
	return true;
}
