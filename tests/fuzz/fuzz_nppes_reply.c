/*
 * fuzz_nppes_reply.c - a registry reply through the us-nppes parser
 * (verifiers/nppes.c) with the shipped definition, as the runner hands it
 * over. Properties: an answer is ERR_OK or ERR_UPSTREAM, never anything
 * else; an accepted one has a known outcome, a non-empty reason without
 * any registered value in it, and checks only for compared fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
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
	setenv("HCPD_REGISTRY_URL_US_NPPES", "http://stub.invalid/api/", 1);
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK ||
	    verifier_set_from_json(json_load_file("verifiers/registries/us-nppes.json", 0, NULL),
				   "us-nppes.json", cat, &set, why, sizeof(why)) != ERR_OK)
		abort();
	fields = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "npi", "1234567893", "given_name",
			   "Zyxwanda", "middle_name", "Qorvel", "family_name", "Pqlwrrn",
			   "license_number", "XK5501", "license_region", "CA");
	if (fields == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct verifier *v = verifier_set_at(set, 0);
	struct verifier_reply reply = {.status = 200, .body = (const char *)data, .len = size};
	struct verifier_result res = {0};
	const char *key;
	json_t *value;
	enum err err = v->ops->parse_reply(v, fields, &reply, &res);

	EXPECT(err == ERR_OK || err == ERR_UPSTREAM);
	if (err != ERR_OK)
		return 0;
	EXPECT(res.outcome <= OUTCOME_ERROR);
	EXPECT(res.reason[0] != '\0');
	EXPECT(strstr(res.reason, "Pqlwrrn") == NULL && strstr(res.reason, "XK5501") == NULL &&
	       strstr(res.reason, "1234567893") == NULL);
	json_object_foreach (res.checks, key, value) {
		EXPECT(json_object_get(fields, key) != NULL);
		EXPECT(json_is_string(value));
	}
	verifier_result_release(&res);
	return 0;
}
