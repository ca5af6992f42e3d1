/*
 * test_fhir_verification.c - services/fhir_verification.c: each outcome's
 * status, nextScheduled only for a validated check (reverify_days on, a
 * year's end crossed), the primary source, rows that are not
 * verifications left out, and no value from the row beyond its verifier,
 * outcome and time.
 */
#include <stdlib.h>
#include <string.h>

#include "fhir_verification.h"
#include "harness.h"

TEST(statuses)
{
	CHECK_STREQ(fhir_verification_status("verified"), "validated");
	CHECK_STREQ(fhir_verification_status("mismatch"), "val-fail");
	CHECK_STREQ(fhir_verification_status("excluded"), "val-fail");
	CHECK_STREQ(fhir_verification_status("error"), "req-revalid");
	CHECK(fhir_verification_status("maybe") == NULL);
	CHECK(fhir_verification_status(NULL) == NULL);
}

TEST(results)
{
	json_t *rows = json_loads(
		"[{\"verifier\": \"us-nppes\", \"outcome\": \"verified\", \"reason\": \"Ng "
		"matches\","
		"  \"checked_at\": \"2026-12-20T10:00:00.5+00:00\", \"evidence\": \"abcd\"},"
		" {\"verifier\": \"us-oig-leie\", \"outcome\": \"excluded\","
		"  \"checked_at\": \"2026-12-20T10:00:00+00:00\"},"
		" {\"verifier\": \"us-nppes\", \"outcome\": \"surprising\","
		"  \"checked_at\": \"2026-12-20T10:00:00+00:00\"},"
		" {\"outcome\": \"verified\"}]",
		0, NULL);
	json_t *out = fhir_verification_results("acc-1", rows, NULL, 30);
	json_t *first = json_array_get(out, 0), *second = json_array_get(out, 1);
	char *text = json_dumps(out, 0);

	CHECK(json_array_size(out) == 2); /* the unknown outcome and the empty row left out */
	CHECK_STREQ(json_string_value(json_object_get(first, "resourceType")),
		    "VerificationResult");
	CHECK_STREQ(json_string_value(json_object_get(first, "status")), "validated");
	CHECK_STREQ(json_string_value(json_object_get(
			    json_array_get(json_object_get(first, "target"), 0), "reference")),
		    "Practitioner/acc-1");
	CHECK_STREQ(json_string_value(json_object_get(first, "nextScheduled")), "2027-01-19");
	CHECK_STREQ(json_string_value(json_object_get(first, "lastPerformed")),
		    "2026-12-20T10:00:00.5+00:00");
	CHECK_STREQ(json_string_value(json_object_get(
			    json_array_get(json_object_get(json_object_get(first, "validationType"),
							   "coding"),
					   0),
			    "code")),
		    "primary");
	CHECK_STREQ(
		json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_array_get(json_object_get(first, "primarySource"), 0),
					"who"),
				"identifier"),
			"value")),
		"us-nppes");
	CHECK_STREQ(json_string_value(json_object_get(second, "status")), "val-fail");
	CHECK(json_object_get(second, "nextScheduled") == NULL); /* a failure is not re-checked */
	CHECK(text != NULL && strstr(text, "Ng matches") == NULL && strstr(text, "abcd") == NULL);
	free(text);
	json_decref(out);
	out = fhir_verification_results("acc-1", rows, NULL, 0); /* monitoring off */
	CHECK(json_object_get(json_array_get(out, 0), "nextScheduled") == NULL);
	json_decref(out);
	json_decref(rows);
}

int main(void)
{
	RUN(statuses);
	RUN(results);
	return harness_done();
}
