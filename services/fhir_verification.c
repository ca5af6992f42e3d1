/*
 * fhir_verification.c - verifications as FHIR R4 VerificationResults (see
 * fhir_verification.h). Builds JSON only; owns nothing past the call.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fhir_verification.h"
#include "validate.h"

#define VALIDATION_TYPE_SYSTEM "http://terminology.hl7.org/CodeSystem/validation-type"
#define SOURCE_TYPE_SYSTEM     "http://terminology.hl7.org/CodeSystem/primary-source-type"
#define VERIFIER_SYSTEM        "urn:hcpd:verifier" /* hcpd's names of its verifiers */

const char *fhir_verification_status(const char *outcome)
{
	static const struct {
		const char *outcome, *status;
	} map[] = {
		{"verified", "validated"}, {"mismatch", "val-fail"}, {"not_found", "val-fail"},
		{"inactive", "val-fail"},  {"excluded", "val-fail"}, {"error", "req-revalid"},
	};

	for (size_t i = 0; outcome != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].outcome, outcome) == 0)
			return map[i].status;
	return NULL;
}

/* The date days after the date at the start of when (YYYY-MM-DD...),
 * into out; false when when does not start with a date. */
static bool date_after(const char *when, int days, char out[11])
{
	char date[11];
	struct tm tm = {0};
	time_t t;

	if (when == NULL || strlen(when) < 10)
		return false;
	snprintf(date, sizeof(date), "%.10s", when);
	if (!validate_date(date) ||
	    sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) + (time_t)days * 86400;
	return gmtime_r(&t, &tm) != NULL && strftime(out, 11, "%Y-%m-%d", &tm) == 10;
}

/* The primarySource: the verifier, by display name and hcpd's name. */
static json_t *primary_source(const char *name, const struct verifier_set *set)
{
	const struct verifier *v = verifier_lookup(set, name);
	const char *display = v != NULL && v->display_name != NULL ? v->display_name : name;

	return json_pack("[{s:{s:{s:s, s:s}, s:s}, s:[{s:[{s:s, s:s}], s:s}]}]", "who",
			 "identifier", "system", VERIFIER_SYSTEM, "value", name, "display", display,
			 "type", "coding", "system", SOURCE_TYPE_SYSTEM, "code", "reg-auth", "text",
			 "registry");
}

static json_t *one(const char *practitioner_id, json_t *check, const struct verifier_set *set,
		   int reverify_days)
{
	const char *verifier = json_string_value(json_object_get(check, "verifier"));
	const char *when = json_string_value(json_object_get(check, "checked_at"));
	const char *status =
		fhir_verification_status(json_string_value(json_object_get(check, "outcome")));
	char target[160], next[11];
	json_t *r;

	snprintf(target, sizeof(target), "Practitioner/%s", practitioner_id);
	r = json_pack("{s:s, s:[{s:s}], s:[s], s:s, s:s, s:{s:[{s:s, s:s}]}, s:s, s:o}",
		      "resourceType", "VerificationResult", "target", "reference", target,
		      "targetLocation", "Practitioner.qualification", "status", status,
		      "statusDate", when, "validationType", "coding", "system",
		      VALIDATION_TYPE_SYSTEM, "code", "primary", "lastPerformed", when,
		      "primarySource", primary_source(verifier, set));
	if (r != NULL && strcmp(status, "validated") == 0 && reverify_days > 0 &&
	    date_after(when, reverify_days, next) &&
	    json_object_set_new(r, "nextScheduled", json_string(next)) != 0) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

json_t *fhir_verification_results(const char *practitioner_id, json_t *verifications,
				  const struct verifier_set *set, int reverify_days)
{
	json_t *out = json_array(), *check;
	size_t i;

	json_array_foreach (verifications, i, check) {
		/* a row without a verifier, time or known outcome is left out, never guessed */
		if (out == NULL || json_string_value(json_object_get(check, "verifier")) == NULL ||
		    json_string_value(json_object_get(check, "checked_at")) == NULL ||
		    fhir_verification_status(
			    json_string_value(json_object_get(check, "outcome"))) == NULL)
			continue;
		if (json_array_append_new(out, one(practitioner_id, check, set, reverify_days)) !=
		    0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}
