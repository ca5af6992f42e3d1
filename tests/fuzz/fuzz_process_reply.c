/*
 * fuzz_process_reply.c - a "process" verifier program's stdout through
 * parse_reply (verifiers/process.c), as the runner hands it over. The
 * first byte, when it is a digit, is the exit status (the rest the
 * output): anything but 0 must be refused. An accepted reply must give
 * a known outcome, a short reason without control characters, checks
 * and evidence only for the definition's fields, and an empty or
 * ten-byte expiry.
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
	static const char def[] =
		"{\"name\": \"fuzz-process\", \"display_name\": \"Fuzz\", \"kind\": \"process\","
		" \"countries\": [\"US\"], \"fields\": [\"npi\", \"family_name\", "
		"\"license_number\"],"
		" \"terms\": {\"version\": \"1\", \"purpose\": \"licensure_verification\","
		" \"allowed_fields\": [\"npi\", \"family_name\", \"license_number\"],"
		" \"retention_days\": 0, \"onward_transfer\": false, \"legal_basis\": \"fuzz\","
		" \"recipient_country\": \"US\", \"effective_from\": \"2026-01-01\"},"
		" \"process\": {\"program\": \"/bin/true\"}}";
	char why[512];

	(void)argc;
	(void)argv;
	/* run from the repository root */
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK ||
	    verifier_set_from_json(json_loads(def, 0, NULL), "fuzz-process.json", cat, &set, why,
				   sizeof(why)) != ERR_OK)
		abort();
	fields = json_pack("{s:s, s:s, s:s}", "npi", "1234567893", "family_name", "Ng",
			   "license_number", "A12345");
	if (fields == NULL)
		abort();
	return 0;
}

static bool field_of(const struct verifier *v, const char *name)
{
	for (size_t i = 0; i < v->nfields; i++)
		if (strcmp(v->fields[i], name) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct verifier *v = verifier_set_at(set, 0);
	struct verifier_reply reply = {.status = 0, .body = (const char *)data, .len = size};
	struct verifier_result res;
	const char *key;
	json_t *value;
	enum err err;

	if (size > 0 && data[0] >= '0' && data[0] <= '9') {
		reply.status = data[0] - '0';
		reply.body++;
		reply.len--;
	}
	memset(&res, 0, sizeof(res));
	err = v->ops->parse_reply(v, fields, &reply, &res);
	EXPECT(err == ERR_OK || err == ERR_UPSTREAM || err == ERR_NOMEM);
	if (err != ERR_OK) {
		EXPECT(res.checks == NULL && res.evidence == NULL);
		return 0;
	}
	EXPECT(reply.status == 0);
	EXPECT((unsigned)res.outcome <= OUTCOME_ERROR);
	EXPECT(res.reason[0] != '\0' && strlen(res.reason) < VERIFIER_REASON_MAX);
	for (const char *p = res.reason; *p != '\0'; p++)
		EXPECT((unsigned char)*p >= 0x20 && *p != 0x7F);
	EXPECT(res.expires[0] == '\0' || strlen(res.expires) == 10);
	EXPECT(json_is_object(res.checks) && json_is_object(res.evidence));
	json_object_foreach (res.checks, key, value) {
		EXPECT(field_of(v, key) && json_is_string(value));
	}
	json_object_foreach (res.evidence, key, value) {
		EXPECT(field_of(v, key) && json_is_object(value));
		EXPECT(json_string_length(json_object_get(value, "registration")) <= 255);
		EXPECT(json_string_length(json_object_get(value, "registry")) <= 255);
	}
	verifier_result_release(&res);
	return 0;
}
