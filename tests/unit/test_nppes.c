/*
 * test_nppes.c - the us-nppes verifier against its recorded cases
 * (the files of tests/verifiers/cases/nppes: the registered fields, the request
 * expected, the registry's reply, the outcome expected), through the
 * shipped definition; plus the definition checks the kind adds.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "harness.h"
#include "verifier.h"

#define CASES "tests/verifiers/cases/nppes"

static struct catalogue *cat;

static struct verifier_set *load_nppes(void)
{
	struct verifier_set *set = NULL;
	char why[512] = "";
	json_t *doc = json_load_file("verifiers/registries/us-nppes.json", 0, NULL);

	if (doc == NULL ||
	    verifier_set_from_json(doc, "us-nppes.json", cat, &set, why, sizeof(why)) != ERR_OK)
		fprintf(stderr, "  cannot load us-nppes.json: %s\n", why);
	return set;
}

/* One case file: request and outcome as recorded. */
static int run_case(const struct verifier *v, const char *path)
{
	json_t *c = json_load_file(path, 0, NULL);
	json_t *fields = json_object_get(c, "fields"), *expect = json_object_get(c, "expect");
	json_t *reply = json_object_get(c, "reply"), *body = json_object_get(reply, "body");
	json_t *sent = NULL, *local = NULL;
	struct verifier_request req = {0};
	struct verifier_result res = {0};
	char why[128], *text = NULL, url[512];
	int bad = 0;

	if (c == NULL || verifier_fields(v, fields, &sent, &local) != ERR_OK)
		return 1;
	snprintf(url, sizeof(url), "http://stub.invalid%s",
		 json_string_value(json_object_get(json_object_get(c, "request"), "path")));
	if (v->ops->build_request(v, sent, &req, why, sizeof(why)) != ERR_OK ||
	    strcmp(req.url, url) != 0) {
		fprintf(stderr, "  %s: request %s, expected %s\n", path, req.url, url);
		bad = 1;
	}
	text = json_is_string(body) ? strdup(json_string_value(body)) : json_dumps(body, 0);
	{
		struct verifier_reply r = {json_integer_value(json_object_get(reply, "status")),
					   text, strlen(text)};

		if (v->ops->parse_reply(v, local, &r, &res) != ERR_OK) {
			fprintf(stderr, "  %s: reply not understood\n", path);
			bad = 1;
		}
	}
	if (!bad &&
	    (strcmp(outcome_name(res.outcome),
		    json_string_value(json_object_get(expect, "outcome"))) != 0 ||
	     strcmp(res.reason, json_string_value(json_object_get(expect, "reason"))) != 0 ||
	     (json_object_get(expect, "checks") != NULL &&
	      !json_equal(json_object_get(expect, "checks"), res.checks)))) {
		char *got = json_dumps(res.checks, JSON_COMPACT);

		fprintf(stderr, "  %s: got %s (%s) %s\n", path, outcome_name(res.outcome),
			res.reason, got);
		free(got);
		bad = 1;
	}
	/* evidence holds normalised values of compared fields only */
	if (!bad && json_object_get(res.evidence, "phone") != NULL)
		bad = 1;
	free(text);
	verifier_request_release(&req);
	verifier_result_release(&res);
	json_decref(sent);
	json_decref(local);
	json_decref(c);
	return bad;
}

TEST(recorded_cases)
{
	struct verifier_set *set = load_nppes();
	const struct verifier *v = verifier_lookup(set, "us-nppes");
	struct dirent **names;
	int n = scandir(CASES, &names, NULL, alphasort), ran = 0;
	char path[512];

	CHECK(v != NULL);
	CHECK(n > 2);
	for (int i = 0; v != NULL && i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		if (len > 5 && strcmp(names[i]->d_name + len - 5, ".json") == 0) {
			snprintf(path, sizeof(path), "%s/%s", CASES, names[i]->d_name);
			CHECK(run_case(v, path) == 0);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	CHECK(ran >= 12);
	verifier_set_free(set);
}

/* Only the NPI goes out, and only a valid one. */
TEST(sends_only_a_valid_npi)
{
	struct verifier_set *set = load_nppes();
	const struct verifier *v = verifier_lookup(set, "us-nppes");
	json_t *fields = json_pack("{s:s, s:s}", "npi", "1234567890", "family_name", "Ng");
	json_t *sent = NULL, *local = NULL;
	struct verifier_request req = {0};
	char why[128] = "";

	CHECK(v != NULL && v->nfields == 1);
	CHECK(verifier_fields(v, fields, &sent, &local) == ERR_OK);
	CHECK(json_object_size(sent) == 1); /* the family name stays here */
	CHECK(json_object_get(local, "family_name") != NULL);
	CHECK(v->ops->build_request(v, sent, &req, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "1234567890") == NULL); /* no value in the reason */
	json_decref(fields);
	json_decref(sent);
	json_decref(local);
	verifier_set_free(set);
}

/* What the registry sends that is not an answer is retried, never judged. */
TEST(unreadable_replies)
{
	struct verifier_set *set = load_nppes();
	const struct verifier *v = verifier_lookup(set, "us-nppes");
	json_t *fields = json_pack("{s:s}", "npi", "1234567893");
	static const char *const bodies[] = {
		"{\"result_count\": 1, \"results\": [",   /* truncated */
		"<html>Service Unavailable</html>",       /* not JSON */
		"{\"result_count\": 1, \"results\": []}", /* a count with nothing */
		"{\"result_count\": \"x\"}",
		"{\"Errors\": []}",
		"{\"result_count\": 1, \"results\": [{\"number\": \"1234567893\"}]}",
		"[]",
	};
	struct verifier_result res = {0};

	for (size_t i = 0; v != NULL && i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct verifier_reply r = {200, bodies[i], strlen(bodies[i])};

		CHECK(v->ops->parse_reply(v, fields, &r, &res) == ERR_UPSTREAM);
	}
	{
		struct verifier_reply r = {404, "{}", 2};

		CHECK(v->ops->parse_reply(v, fields, &r, &res) == ERR_UPSTREAM);
	}
	json_decref(fields);
	verifier_set_free(set);
}

/* An nppes definition that would send more than the NPI is refused. */
TEST(definition_sends_exactly_the_npi)
{
	struct verifier_set *set = NULL;
	char why[512] = "";
	json_t *doc = json_load_file("verifiers/registries/us-nppes.json", 0, NULL);

	json_array_append_new(json_object_get(doc, "fields"), json_string("family_name"));
	json_array_append_new(json_object_get(json_object_get(doc, "terms"), "allowed_fields"),
			      json_string("family_name"));
	json_array_remove(json_object_get(doc, "compares"), 2);
	CHECK(verifier_set_from_json(doc, "x.json", cat, &set, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "x.json") != NULL && strstr(why, "\"fields\"") != NULL);
}

int main(void)
{
	char why[512];

	setenv("HCPD_REGISTRY_URL_US_NPPES", "http://stub.invalid/api/", 1);
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "catalogue: %s\n", why);
		return 1;
	}
	RUN(recorded_cases);
	RUN(sends_only_a_valid_npi);
	RUN(unreadable_replies);
	RUN(definition_sends_exactly_the_npi);
	catalogue_free(cat);
	return harness_done();
}
