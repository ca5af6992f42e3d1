/*
 * nppes.c - the "nppes" kind: the US NPPES NPI Registry API v2.1, looked
 * up by NPI (GET {base}?version=2.1&number=NPI). Only the NPI is sent; the
 * names and licence fields the definition lists under "compares" are
 * compared here with the record.
 *
 * Two reply shapes are seen in the wild and both are read: the older one
 * (number and *_epoch as JSON numbers, empty strings for no value) and
 * the current one (strings, epoch milliseconds, null licence or state,
 * "--" placeholders). Neither number nor licence is ever turned into an
 * integer: an NPI or a licence number is text. An HTTP-200 body holding
 * {"Errors": [...]} is the registry refusing the query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "validate.h"
#include "verifier.h"

#define NUMBER_MAX 32 /* bytes of a number or licence as text */

static enum err nppes_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	if (conf != NULL) {
		snprintf(why, why_len, "\"nppes\": this kind takes no settings");
		return ERR_INVALID;
	}
	if (v->nfields != 1 || strcmp(v->fields[0], "npi") != 0) {
		snprintf(why, why_len, "\"fields\": an nppes verifier sends exactly [\"npi\"]");
		return ERR_INVALID;
	}
	return ERR_OK;
}

static enum err nppes_build_request(const struct verifier *v, const json_t *fields,
				    struct verifier_request *ret_req, char *why, size_t why_len)
{
	const char *npi = json_string_value(json_object_get(fields, "npi"));
	const char *sep = strchr(v->base_url, '?') != NULL ? "&" : "?";
	struct verifier_request req = {0};
	int len;

	if (!validate_npi(npi)) {
		snprintf(why, why_len, "no valid NPI to look up");
		return ERR_INVALID;
	}
	/* ten digits: nothing to escape */
	len = snprintf(NULL, 0, "%s%sversion=2.1&number=%s", v->base_url, sep, npi);
	req.url = malloc((size_t)len + 1);
	if (req.url == NULL)
		return ERR_NOMEM;
	snprintf(req.url, (size_t)len + 1, "%s%sversion=2.1&number=%s", v->base_url, sep, npi);
	*ret_req = req;
	return ERR_OK;
}

/* A value as text: a string (placeholders "--" and "" are no value), or
 * an integer written in decimal (the older shape's numbers). NULL for
 * anything else. */
static const char *text_of(json_t *value, char buf[NUMBER_MAX])
{
	const char *s;

	if (json_is_integer(value)) {
		snprintf(buf, NUMBER_MAX, "%lld", (long long)json_integer_value(value));
		return buf;
	}
	s = json_string_value(value);
	if (s == NULL || s[0] == '\0' || strcmp(s, "--") == 0)
		return NULL;
	return s;
}

/* Does the family name match the record's last name or one of its other
 * (former) names? */
static bool family_matches(const char *registered, json_t *basic, json_t *other_names)
{
	char buf[NUMBER_MAX];
	json_t *o;
	size_t i;

	if (compare_names(registered, text_of(json_object_get(basic, "last_name"), buf)))
		return true;
	json_array_foreach (other_names, i, o) {
		if (compare_names(registered, text_of(json_object_get(o, "last_name"), buf)))
			return true;
	}
	return false;
}

/* The licence check against taxonomies[]: the registered number (and
 * region, when given) must be one of the record's licences. Records with
 * no licence at all neither confirm nor contradict. */
static bool licence_matches(json_t *taxonomies, const char *number, const char *region,
			    bool *ret_any, char seen[COMPARE_TEXT_MAX])
{
	char a[COMPARE_TEXT_MAX], b[COMPARE_TEXT_MAX], lbuf[NUMBER_MAX], sbuf[NUMBER_MAX];
	json_t *t;
	size_t i;

	*ret_any = false;
	compare_normalise(number, a);
	json_array_foreach (taxonomies, i, t) {
		const char *license = text_of(json_object_get(t, "license"), lbuf);
		const char *state = text_of(json_object_get(t, "state"), sbuf);
		bool here = region == NULL || (state != NULL && compare_names(region, state));

		if (license == NULL)
			continue;
		/* the evidence shows the licence of the region asked about */
		if (!*ret_any || here)
			snprintf(seen, COMPARE_TEXT_MAX, "%s", license);
		*ret_any = true;
		compare_normalise(license, b);
		if (strcmp(a, b) == 0 && here)
			return true;
	}
	return false;
}

/* Does region appear as the state of one of the record's taxonomies?
 * *ret_any tells whether any taxonomy names a state. */
static bool region_listed(json_t *taxonomies, const char *region, bool *ret_any)
{
	char sbuf[NUMBER_MAX];
	json_t *t;
	size_t i;

	*ret_any = false;
	json_array_foreach (taxonomies, i, t) {
		const char *state = text_of(json_object_get(t, "state"), sbuf);

		if (state == NULL)
			continue;
		*ret_any = true;
		if (compare_names(region, state))
			return true;
	}
	return false;
}

/* Compares the record with the registered fields into res. */
static enum err judge(const json_t *fields, json_t *record, const char *npi,
		      struct verifier_result *res)
{
	/* given and middle name: compared alike, each against its own member */
	static const struct {
		const char *field, *member, *differs;
	} given_names[] = {
		{"given_name", "first_name", "given name differs"},
		{"middle_name", "middle_name", "middle name differs"},
	};
	json_t *basic = json_object_get(record, "basic");
	json_t *taxonomies = json_object_get(record, "taxonomies");
	const char *family = json_string_value(json_object_get(fields, "family_name"));
	const char *number = json_string_value(json_object_get(fields, "license_number"));
	const char *region = json_string_value(json_object_get(fields, "license_region"));
	char nbuf[NUMBER_MAX], buf[NUMBER_MAX];
	const char *got = text_of(json_object_get(record, "number"), nbuf);
	const char *type = json_string_value(json_object_get(record, "enumeration_type"));
	const char *status = json_string_value(json_object_get(basic, "status"));
	const char *differs = NULL;
	enum err err = ERR_OK;
	bool any;

	if (!json_is_object(basic) || got == NULL || type == NULL)
		return ERR_UPSTREAM;
	if (strcmp(got, npi) != 0)
		return verifier_result_init(res, OUTCOME_MISMATCH,
					    "the registry answered for another NPI");
	if (strcmp(type, "NPI-1") != 0)
		return verifier_result_init(res, OUTCOME_MISMATCH,
					    "the NPI belongs to an organisation, not a person");
	if (status == NULL || strcmp(status, "A") != 0)
		return verifier_result_init(res, OUTCOME_INACTIVE, "the NPI is not active");
	err = verifier_result_init(res, OUTCOME_VERIFIED, "the NPI record matches");
	if (err != ERR_OK)
		return err;
	compare_record(res->checks, res->evidence, "npi", npi, got, true, &err);
	if (family != NULL &&
	    !compare_record(res->checks, res->evidence, "family_name", family,
			    text_of(json_object_get(basic, "last_name"), buf),
			    family_matches(family, basic, json_object_get(record, "other_names")),
			    &err))
		differs = "family name differs";
	for (size_t i = 0; i < sizeof(given_names) / sizeof(given_names[0]); i++) {
		const char *name = given_names[i].field;
		const char *registered = json_string_value(json_object_get(fields, name));
		const char *seen = text_of(json_object_get(basic, given_names[i].member), buf);

		if (registered != NULL &&
		    !compare_record(res->checks, res->evidence, name, registered, seen,
				    compare_given_names(registered, seen), &err) &&
		    differs == NULL)
			differs = given_names[i].differs;
	}
	if (number != NULL) {
		char seen[COMPARE_TEXT_MAX] = "";
		bool match = licence_matches(taxonomies, number, region, &any, seen);

		if (!compare_record(res->checks, res->evidence, "license_number", number,
				    any ? seen : NULL, match, &err) &&
		    differs == NULL)
			differs = "licence not listed for that region";
	} else if (region != NULL) {
		bool match = region_listed(taxonomies, region, &any);

		if (!compare_record(res->checks, res->evidence, "license_region", region,
				    any ? region : NULL, match, &err) &&
		    differs == NULL)
			differs = "no licence listed for that region";
	}
	if (err != ERR_OK) {
		verifier_result_release(res);
		return err;
	}
	if (differs != NULL) {
		res->outcome = OUTCOME_MISMATCH;
		snprintf(res->reason, sizeof(res->reason), "%s", differs);
	}
	return ERR_OK;
}

/* result_count, a number in either shape (older: integer; some proxies
 * send it as a string); -1 when absent or malformed. */
static long long result_count(json_t *doc)
{
	json_t *v = json_object_get(doc, "result_count");
	const char *s = json_string_value(v);
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (s == NULL || s[0] == '\0')
		return -1;
	n = strtoll(s, &end, 10);
	return *end == '\0' && n >= 0 ? n : -1;
}

static enum err nppes_parse_reply(const struct verifier *v, const json_t *fields,
				  const struct verifier_reply *reply,
				  struct verifier_result *ret_res)
{
	const char *npi = json_string_value(json_object_get(fields, "npi"));
	json_t *doc, *errors, *results, *record;
	long long count;
	enum err err = ERR_UPSTREAM;

	(void)v;
	if (reply->status != 200 || npi == NULL)
		return ERR_UPSTREAM;
	doc = json_loadb(reply->body, reply->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc))
		goto out;
	errors = json_object_get(doc, "Errors");
	if (errors != NULL) {
		err = json_is_array(errors) && json_array_size(errors) > 0
			      ? verifier_result_init(ret_res, OUTCOME_ERROR,
						     "the registry refused the query")
			      : ERR_UPSTREAM;
		goto out;
	}
	count = result_count(doc);
	results = json_object_get(doc, "results");
	if (count < 0 || (results != NULL && !json_is_array(results)))
		goto out;
	if (count == 0 || json_array_size(results) == 0) {
		err = count == 0 ? verifier_result_init(ret_res, OUTCOME_NOT_FOUND,
							"no NPI record with that number")
				 : ERR_UPSTREAM;
		goto out;
	}
	record = json_array_get(results, 0);
	if (json_is_object(record))
		err = judge(fields, record, npi, ret_res);
out:
	json_decref(doc);
	return err;
}

const struct verifier_ops verifier_nppes = {
	.kind = "nppes",
	.transport = TRANSPORT_HTTP,
	.priv_size = 0,                       /* nothing beyond the definition */
	.init = nppes_init,                   /* checks fields is ["npi"] */
	.build_request = nppes_build_request, /* the NPI, and only it, in the URL */
	.parse_reply = nppes_parse_reply,     /* pure: both reply shapes, the Errors envelope */
	.check_local = NULL,                  /* remote */
	.cleanup = NULL,                      /* no private state */
};
