/*
 * test_fhir.c - the "fhir" kind: the recorded cases of
 * tests/verifiers/cases/fhir (Annuaire Santé-shaped replies, NDH and
 * NZ-style qualifications) through verifiers/examples/example-fhir-directory.json
 * and verifier_case_run(); the request as each setting builds it; the
 * replies that are not answers; the definition checks the kind adds.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "casefile.h"
#include "catalogue.h"
#include "harness.h"
#include "verifier.h"

#define CASES   "tests/verifiers/cases/fhir"
#define EXAMPLE "verifiers/examples/example-fhir-directory.json"

static struct catalogue *cat;

/* The example with its "fhir" section's key set to value (JSON text;
 * NULL value deletes key), loaded; why holds the refusal. */
static struct verifier_set *load(const char *key, const char *value, char *why, size_t why_len)
{
	struct verifier_set *set = NULL;
	json_t *doc = json_load_file(EXAMPLE, JSON_REJECT_DUPLICATES, NULL);
	json_t *section = json_object_get(doc, "fhir");

	if (key != NULL && value == NULL)
		json_object_del(section, key);
	else if (key != NULL)
		json_object_set_new(section, key, json_loads(value, JSON_DECODE_ANY, NULL));
	if (verifier_set_from_json(doc, "example-fhir-directory.json", cat, &set, why, why_len) !=
	    ERR_OK)
		return NULL;
	return set;
}

TEST(recorded_cases)
{
	char why[512] = "", path[512];
	struct verifier_set *set = load(NULL, NULL, why, sizeof(why));
	const struct verifier *v = verifier_set_at(set, 0);
	struct dirent **names;
	int n = scandir(CASES, &names, NULL, alphasort), ran = 0;

	if (set == NULL)
		fprintf(stderr, "  %s\n", why);
	CHECK(set != NULL);
	CHECK(n > 2);
	for (int i = 0; set != NULL && i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		json_t *c;

		if (len > 5 && strcmp(names[i]->d_name + len - 5, ".json") == 0) {
			snprintf(path, sizeof(path), "%s/%s", CASES, names[i]->d_name);
			c = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
			if (c == NULL || verifier_case_run(v, c, why, sizeof(why)) != ERR_OK) {
				fprintf(stderr, "  %s: %s\n", path, c == NULL ? "not JSON" : why);
				CHECK(false);
			}
			json_decref(c);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	CHECK(ran >= 14);
	verifier_set_free(set);
}

/* The request as send_system and revinclude_roles make it; only the
 * value template's field goes out. */
TEST(request_settings)
{
	static const struct {
		const char *key, *value, *url;
	} cases[] = {
		{"send_system", "false",
		 "http://stub.invalid/fhir/v2/Practitioner?identifier=810005173140"
		 "&_revinclude=PractitionerRole%3Apractitioner"},
		{"revinclude_roles", "false",
		 "http://stub.invalid/fhir/v2/Practitioner?identifier="
		 "urn%3Aoid%3A1.2.250.1.71.4.2.1%7C810005173140"},
		{"value", "\"{rpps}\"",
		 "http://stub.invalid/fhir/v2/Practitioner?identifier="
		 "urn%3Aoid%3A1.2.250.1.71.4.2.1%7C10005173140"
		 "&_revinclude=PractitionerRole%3Apractitioner"},
	};
	json_t *fields = json_pack("{s:s, s:s}", "rpps", "10005173140", "family_name", "Ng");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[512] = "";
		struct verifier_set *set = load(cases[i].key, cases[i].value, why, sizeof(why));
		const struct verifier *v = verifier_set_at(set, 0);
		struct verifier_request req = {0};
		json_t *sent = NULL, *local = NULL;

		CHECK(set != NULL);
		if (set == NULL)
			continue;
		CHECK(verifier_fields(v, fields, &sent, &local) == ERR_OK);
		CHECK(json_object_size(sent) == 1);
		CHECK(v->ops->build_request(v, sent, &req, why, sizeof(why)) == ERR_OK);
		CHECK_STREQ(req.url, cases[i].url);
		verifier_request_release(&req);
		json_decref(sent);
		json_decref(local);
		verifier_set_free(set);
	}
	{ /* a base URL with its own trailing slash: one slash */
		char why[512] = "";
		struct verifier_set *set;
		struct verifier_request req = {0};

		setenv("HCPD_REGISTRY_URL_EXAMPLE_FHIR_DIRECTORY", "http://stub.invalid/r4/", 1);
		set = load(NULL, NULL, why, sizeof(why));
		CHECK(set != NULL &&
		      verifier_set_at(set, 0)->ops->build_request(
			      verifier_set_at(set, 0), fields, &req, why, sizeof(why)) == ERR_OK);
		CHECK(req.url != NULL &&
		      strncmp(req.url, "http://stub.invalid/r4/Practitioner?", 36) == 0);
		verifier_request_release(&req);
		verifier_set_free(set);
		setenv("HCPD_REGISTRY_URL_EXAMPLE_FHIR_DIRECTORY", "http://stub.invalid/fhir/v2",
		       1);
	}
	json_decref(fields);
}

/* What is not an answer is retried (ERR_UPSTREAM), never judged. */
TEST(unreadable_replies)
{
	static const char *const bodies[] = {
		"{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": [", /* cut */
		"<html>Bad gateway</html>",
		"{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"total\": 3}",
		"{\"resourceType\": \"Bundle\", \"type\": \"history\", \"total\": 0}",
		"{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"total\": \"1\"}",
		"{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": {}}",
		"{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": [{}]}",
		"{\"resourceType\": \"Practitioner\", \"id\": \"x\"}",
		"{\"resourceType\": \"OperationOutcome\", \"issue\": []}",
		"{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": "
		"[{\"resource\": "
		"{\"resourceType\": \"Practitioner\", \"active\": \"yes\", \"identifier\": "
		"[{\"system\": \"urn:oid:1.2.250.1.71.4.2.1\", \"value\": \"810005173140\"}]}}]}",
		"[]",
	};
	char why[512] = "";
	struct verifier_set *set = load(NULL, NULL, why, sizeof(why));
	const struct verifier *v = verifier_set_at(set, 0);
	json_t *fields = json_pack("{s:s}", "rpps", "10005173140");
	struct verifier_result res = {0};

	CHECK(set != NULL);
	for (size_t i = 0; set != NULL && i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct verifier_reply r = {200, bodies[i], strlen(bodies[i])};

		if (v->ops->parse_reply(v, fields, &r, &res) != ERR_UPSTREAM) {
			fprintf(stderr, "  body %zu judged: %s\n", i, res.reason);
			CHECK(false);
			verifier_result_release(&res);
		}
	}
	if (set != NULL) { /* a Bundle under another status than 200 */
		static const char bundle[] = "{\"resourceType\": \"Bundle\", \"total\": 0}";
		struct verifier_reply r = {404, bundle, sizeof(bundle) - 1};

		CHECK(v->ops->parse_reply(v, fields, &r, &res) == ERR_UPSTREAM);
	}
	json_decref(fields);
	verifier_set_free(set);
}

/* The section is checked strictly, the message naming the key. */
TEST(definition_checks)
{
	static const struct {
		const char *key, *value, *why;
	} cases[] = {
		{"system", NULL, "\"system\""},
		{"system", "3", "\"system\""},
		{"value", "\"8\"", "\"value\""},
		{"value", "\"{family_name}\"", "a \"compares\" field"},
		{"value", "\"8 {rpps}\"", "URL characters"},
		{"value", "\"{npi}\"", "not in \"fields\""},
		{"send_system", "\"yes\"", "\"send_system\" must be a boolean"},
		{"revinclude_roles", "1", "\"revinclude_roles\" must be a boolean"},
		{"extra", "1", "only"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[512] = "";
		struct verifier_set *set = load(cases[i].key, cases[i].value, why, sizeof(why));

		CHECK(set == NULL);
		if (strstr(why, cases[i].why) == NULL || strstr(why, "\"fhir\"") == NULL) {
			fprintf(stderr, "  %s=%s: %s\n", cases[i].key, cases[i].value, why);
			CHECK(false);
		}
		verifier_set_free(set);
	}
}

int main(void)
{
	char why[512];

	setenv("HCPD_REGISTRY_URL_EXAMPLE_FHIR_DIRECTORY", "http://stub.invalid/fhir/v2", 1);
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "catalogue: %s\n", why);
		return 1;
	}
	RUN(recorded_cases);
	RUN(request_settings);
	RUN(unreadable_replies);
	RUN(definition_checks);
	catalogue_free(cat);
	return harness_done();
}
