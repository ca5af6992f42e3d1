/*
 * fuzz_fhir_reply.c - a registry reply through the "fhir" parser
 * (verifiers/fhir.c) with the worked example's definition
 * (verifiers/examples/example-fhir-directory.json: revinclude on, so role
 * names are read too), under status 200 and 400, as the runner hands it
 * over. Properties: an answer is ERR_OK or ERR_UPSTREAM, never anything
 * else; an accepted one has a known outcome, a non-empty reason without
 * any registered value in it, checks only for fields it has, and an
 * expiry that is "" or a date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
#include "validate.h"
#include "verifier.h"

static struct catalogue *cat;
static struct verifier_set *set;
static json_t *fields;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[512];

	(void)argc;
	(void)argv;
	/* run from the repository root */
	setenv("HCPD_REGISTRY_URL_EXAMPLE_FHIR_DIRECTORY", "http://stub.invalid/fhir/v2", 1);
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK ||
	    verifier_set_from_json(
		    json_load_file("verifiers/examples/example-fhir-directory.json", 0, NULL),
		    "example-fhir-directory.json", cat, &set, why, sizeof(why)) != ERR_OK)
		abort();
	fields = json_pack("{s:s, s:s, s:s}", "rpps", "10005173140", "given_name", "Zyxwanda",
			   "family_name", "Pqlwrrn");
	if (fields == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400};
	const struct verifier *v = verifier_set_at(set, 0);

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct verifier_reply reply = {statuses[i], (const char *)data, size};
		struct verifier_result res = {0};
		const char *key;
		json_t *value;
		enum err err = v->ops->parse_reply(v, fields, &reply, &res);

		EXPECT(err == ERR_OK || err == ERR_UPSTREAM);
		if (err != ERR_OK)
			continue;
		EXPECT(res.outcome <= OUTCOME_ERROR);
		EXPECT(res.reason[0] != '\0');
		EXPECT(strstr(res.reason, "Pqlwrrn") == NULL &&
		       strstr(res.reason, "Zyxwanda") == NULL &&
		       strstr(res.reason, "10005173140") == NULL);
		EXPECT(res.expires[0] == '\0' || validate_date(res.expires));
		json_object_foreach (res.checks, key, value) {
			EXPECT(json_object_get(fields, key) != NULL);
			EXPECT(json_is_string(value));
		}
		verifier_result_release(&res);
	}
	return 0;
}
