/*
 * test_fhir_practitioner.c - unit tests for services/fhir_practitioner.c:
 * where each catalogue field lands in the FHIR R4 Practitioner, and that
 * absent fields leave no empty element behind (FHIR forbids them). The
 * integration tests validate the result against the FHIR R4 JSON schema.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fhir_practitioner.h"
#include "harness.h"

#define ID "5b1e4a0e-6f1c-4a43-9a44-7d1d7f1a2b3c"

/* Does v hold an empty array, object or string anywhere? */
static bool has_empty(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v))
		return json_string_length(v) == 0;
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			return true;
		json_array_foreach (v, i, item) {
			if (has_empty(item))
				return true;
		}
	}
	if (json_is_object(v)) {
		if (json_object_size(v) == 0)
			return true;
		json_object_foreach (v, key, item) {
			if (has_empty(item))
				return true;
		}
	}
	return false;
}

static const char *at(json_t *root, const char *path)
{
	json_t *v = root;
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = strtok_r(buf, "/", &save); p != NULL && v != NULL;
	     p = strtok_r(NULL, "/", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(p)) : json_object_get(v, p);
	return json_string_value(v);
}

TEST(full_profile)
{
	json_t *profile =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "given_name",
			  "Ana", "middle_name", "Jo", "family_name", "Ng", "profession",
			  "physician", "country", "US", "npi", "1234567893", "license_number",
			  "A12345", "license_region", "CA", "license_expiry", "2027-06-30", "phone",
			  "+14155550100", "postal_address", "1 Main St");
	json_t *p = fhir_practitioner(ID, "ana@example.org", profile);

	CHECK(p != NULL);
	CHECK_STREQ(at(p, "resourceType"), "Practitioner");
	CHECK_STREQ(at(p, "id"), ID);
	CHECK_STREQ(at(p, "identifier/0/system"), FHIR_SYSTEM_NPI);
	CHECK_STREQ(at(p, "identifier/0/value"), "1234567893");
	CHECK_STREQ(at(p, "identifier/0/type/coding/0/code"), "NPI");
	CHECK_STREQ(at(p, "name/0/family"), "Ng");
	CHECK_STREQ(at(p, "name/0/given/0"), "Ana");
	CHECK_STREQ(at(p, "name/0/given/1"), "Jo");
	CHECK_STREQ(at(p, "telecom/0/system"), "email");
	CHECK_STREQ(at(p, "telecom/0/value"), "ana@example.org");
	CHECK_STREQ(at(p, "telecom/1/system"), "phone");
	CHECK_STREQ(at(p, "telecom/1/value"), "+14155550100");
	CHECK_STREQ(at(p, "address/0/text"), "1 Main St");
	CHECK_STREQ(at(p, "qualification/0/identifier/0/system"), FHIR_SYSTEM_NPI);
	CHECK_STREQ(at(p, "qualification/0/identifier/0/value"), "1234567893");
	CHECK(at(p, "qualification/0/code/coding/0/code") != NULL);
	CHECK_STREQ(at(p, "qualification/1/identifier/0/value"), "A12345");
	CHECK_STREQ(at(p, "qualification/1/code/coding/0/code"), "physician");
	CHECK_STREQ(at(p, "qualification/1/code/text"), "physician licence");
	CHECK_STREQ(at(p, "qualification/1/issuer/display"), "US-CA");
	CHECK_STREQ(at(p, "qualification/1/period/end"), "2027-06-30");
	CHECK(!has_empty(p));
	json_decref(p);
	json_decref(profile);
}

TEST(absent_fields_leave_nothing_empty)
{
	json_t *profile = json_pack("{s:s, s:s, s:s, s:s}", "given_name", "Sam", "family_name",
				    "Lee", "profession", "nurse", "country", "GB");
	json_t *p = fhir_practitioner(ID, "sam@example.org", profile), *bare;

	CHECK(p != NULL && !has_empty(p));
	CHECK(json_object_get(p, "identifier") == NULL);
	CHECK(json_object_get(p, "qualification") == NULL); /* nothing known of a licence */
	CHECK(json_object_get(p, "address") == NULL);
	CHECK(json_array_size(json_object_get(p, "telecom")) == 1);
	CHECK(json_array_size(json_object_get(json_array_get(json_object_get(p, "name"), 0),
					      "given")) == 1);
	json_decref(p);
	/* no email, no names: no telecom, no name */
	bare = json_object();
	p = fhir_practitioner(ID, NULL, bare);
	CHECK(p != NULL && !has_empty(p) && json_object_size(p) == 2);
	json_decref(p);
	json_decref(bare);
	json_decref(profile);
}

TEST(licence_without_profession_or_region)
{
	json_t *profile = json_pack("{s:s}", "license_expiry", "2030-01-31");
	json_t *p = fhir_practitioner(ID, NULL, profile);

	CHECK_STREQ(at(p, "qualification/0/code/text"), "professional licence");
	CHECK_STREQ(at(p, "qualification/0/period/end"), "2030-01-31");
	CHECK(at(p, "qualification/0/issuer/display") == NULL);
	CHECK(!has_empty(p));
	json_decref(p);
	json_decref(profile);
}

int main(void)
{
	RUN(full_profile);
	RUN(absent_fields_leave_nothing_empty);
	RUN(licence_without_profession_or_region);
	return harness_done();
}
