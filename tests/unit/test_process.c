/*
 * test_process.c - the "process" kind (verifiers/process.c) through
 * verifier_set_from_json with inline definitions: the section's
 * validation (keys, program, args, env, compares), the request body byte
 * for byte, the reply's strict checks (each outcome, each malformed
 * shape), and one round trip through spawn.c and
 * tests/verifiers/verifier-test. Run from the repository root.
 */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "harness.h"
#include "spawn.h"
#include "verifier.h"

#define TEST_FILE "tests/verifiers/registries-process/test-process.json"

static struct catalogue *cat;

/* A definition of kind process with the given "process" section (NULL:
 * none) and extra top-level members (e.g. "\"compares\": [...]," or ""). */
static enum err load(const char *name, const char *section, const char *extra, const char *file,
		     struct verifier_set **ret_set, char *why, size_t why_len)
{
	char text[4096];
	json_error_t jerr;
	json_t *doc;

	snprintf(text, sizeof(text),
		 "{\"name\": \"%s\", \"display_name\": \"Test\", \"kind\": \"process\","
		 " \"countries\": [\"US\"], \"fields\": [\"npi\", \"family_name\", "
		 "\"license_number\"], %s"
		 " \"terms\": {\"version\": \"1\", \"purpose\": \"licensure_verification\","
		 " \"allowed_fields\": [\"npi\", \"family_name\", \"license_number\"],"
		 " \"retention_days\": 0, \"onward_transfer\": false, \"legal_basis\": \"test\","
		 " \"recipient_country\": \"US\", \"effective_from\": \"2026-01-01\"}"
		 "%s%s}",
		 name, extra, section != NULL ? ", \"process\": " : "",
		 section != NULL ? section : "");
	doc = json_loads(text, 0, &jerr);
	if (doc == NULL) {
		snprintf(why, why_len, "test definition: %s", jerr.text);
		return ERR_INTERNAL;
	}
	why[0] = '\0';
	return verifier_set_from_json(doc, file, cat, ret_set, why, why_len);
}

/* load() that must fail with ERR_INVALID and a why holding each of
 * want (NULL-terminated) and none of the values in avoid (may be NULL). */
static bool refused(const char *section, const char *extra, const char *const *want,
		    const char *avoid)
{
	struct verifier_set *set = NULL;
	char why[512];
	enum err err = load("test-process", section, extra, TEST_FILE, &set, why, sizeof(why));
	bool ok = err == ERR_INVALID && set == NULL;

	for (size_t i = 0; ok && want[i] != NULL; i++)
		ok = strstr(why, want[i]) != NULL;
	if (ok && avoid != NULL)
		ok = strstr(why, avoid) == NULL;
	if (!ok)
		fprintf(stderr, "  refused(%s): err %d, why \"%s\"\n", section ? section : "-",
			(int)err, why);
	verifier_set_free(set);
	return ok;
}

static const struct verifier *one(struct verifier_set *set)
{
	return verifier_set_at(set, 0);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = s != NULL ? strlen(s) : 0, b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

TEST(init_defaults_and_paths)
{
	struct verifier_set *set = NULL;
	struct verifier_request req = {0};
	const struct verifier *v;
	json_t *fields = json_pack("{s:s}", "npi", "1234567893");
	char why[512];

	/* no section: program verifier-<name> beside the definition */
	CHECK(load("test", NULL, "", "tests/verifiers/inline.json", &set, why, sizeof(why)) ==
	      ERR_OK);
	v = one(set);
	CHECK(v != NULL && v->ops->transport == TRANSPORT_PROCESS);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK(req.argv != NULL && req.argv[0][0] == '/' &&
	      ends_with(req.argv[0], "/tests/verifiers/verifier-test") && req.argv[1] == NULL);
	CHECK(req.env != NULL && req.env[0] == NULL);
	verifier_request_release(&req);
	verifier_set_free(set);
	set = NULL;
	/* an empty section is the same */
	CHECK(load("test", "{}", "", "tests/verifiers/inline.json", &set, why, sizeof(why)) ==
	      ERR_OK);
	verifier_set_free(set);
	set = NULL;
	/* relative to the definition's directory, with arguments */
	CHECK(load("test-process",
		   "{\"program\": \"../verifier-test\", \"args\": [\"a\", \"\", \"c d\"]}", "",
		   TEST_FILE, &set, why, sizeof(why)) == ERR_OK);
	v = one(set);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK(req.argv != NULL && ends_with(req.argv[0], "/tests/verifiers/verifier-test"));
	CHECK(req.argv != NULL && req.argv[1] != NULL && strcmp(req.argv[1], "a") == 0 &&
	      strcmp(req.argv[2], "") == 0 && strcmp(req.argv[3], "c d") == 0 &&
	      req.argv[4] == NULL);
	verifier_request_release(&req);
	verifier_set_free(set);
	set = NULL;
	/* absolute */
	CHECK(load("test-process", "{\"program\": \"/bin/true\"}", "", TEST_FILE, &set, why,
		   sizeof(why)) == ERR_OK);
	v = one(set);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK(req.argv != NULL && ends_with(req.argv[0], "/true"));
	verifier_request_release(&req);
	verifier_set_free(set);
	json_decref(fields);
}

TEST(init_refusals)
{
	static const char *const program[] = {"test-process.json", "\"program\"", NULL};
	static const char *const bogus[] = {"test-process.json", "\"bogus\"", NULL};
	static const char *const section[] = {"\"process\"", NULL};
	static const char *const compares[] = {"\"compares\"", NULL};
	static const char *const args[] = {"\"args\"", NULL};
	static const char *const env[] = {"\"env\"", NULL};
	static const char *const unset[] = {"\"env\"", "HCPD_TEST_UNSET_VARIABLE_X", NULL};

	CHECK(refused("{\"program\": \"../no-such-program\"}", "", program, "no-such-program"));
	CHECK(refused("{\"program\": \"/nonexistent/verifier\"}", "", program, "nonexistent"));
	CHECK(refused("{\"program\": \"/bin\"}", "", program, NULL));            /* a directory */
	CHECK(refused("{\"program\": \"/etc/passwd\"}", "", program, "passwd")); /* not +x */
	CHECK(refused("{\"program\": \"\"}", "", program, NULL));
	CHECK(refused("{\"program\": 7}", "", program, NULL));
	CHECK(refused("{\"program\": null}", "", program, NULL));
	/* the default, verifier-test-process, does not exist beside the file */
	CHECK(refused(NULL, "", program, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"bogus\": 1}", "", bogus, NULL));
	CHECK(refused("[]", "", section, NULL));
	CHECK(refused("\"../verifier-test\"", "", section, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\"}", "\"compares\": [\"given_name\"],",
		      compares, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"args\": \"-v\"}", "", args, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"args\": [1]}", "", args, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"args\": "
		      "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\","
		      "\"13\",\"14\",\"15\",\"16\",\"17\"]}",
		      "", args, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"env\": \"KEY\"}", "", env, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"env\": [\"lower\"]}", "", env, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"env\": [\"1KEY\"]}", "", env, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"env\": [\"A=B\"]}", "", env, NULL));
	CHECK(refused("{\"program\": \"../verifier-test\", \"env\": [7]}", "", env, NULL));
	CHECK(refused(
		"{\"program\": \"../verifier-test\", \"env\": [\"HCPD_TEST_UNSET_VARIABLE_X\"]}",
		"", unset, NULL));
	unsetenv("TEST_PROCESS_UNSET_KEY");
	{
		static const char *const named[] = {"TEST_PROCESS_UNSET_KEY", "not set", NULL};

		CHECK(refused("{\"program\": \"../verifier-test\", \"env\": "
			      "[\"TEST_PROCESS_UNSET_KEY\"]}",
			      "", named, NULL));
	}
	/* hcpd's own settings are never passed, even when set */
	setenv("HCPD_TEST_SET", "secret-value", 1);
	{
		static const char *const own[] = {"HCPD_TEST_SET", NULL};

		CHECK(refused("{\"program\": \"../verifier-test\", \"env\": [\"HCPD_TEST_SET\"]}",
			      "", own, "secret-value"));
	}
	unsetenv("HCPD_TEST_SET");
	setenv("TEST_PROCESS_KEY", "k", 1);
	CHECK(refused("{\"program\": \"../verifier-test\", \"env\": [\"TEST_PROCESS_KEY\", "
		      "\"TEST_PROCESS_KEY\"]}",
		      "", env, NULL));
	unsetenv("TEST_PROCESS_KEY");
}

TEST(env_passed_from_start_up)
{
	struct verifier_set *set = NULL;
	struct verifier_request req = {0};
	const struct verifier *v;
	json_t *fields = json_object();
	char why[512];

	setenv("TEST_PROCESS_KEY", "key-at-start", 1);
	setenv("TEST_PROCESS_OTHER", "", 1);
	CHECK(load("test-process",
		   "{\"program\": \"../verifier-test\", \"env\": [\"TEST_PROCESS_KEY\", "
		   "\"TEST_PROCESS_OTHER\"]}",
		   "", TEST_FILE, &set, why, sizeof(why)) == ERR_OK);
	/* read at start-up: a later change is not seen */
	setenv("TEST_PROCESS_KEY", "changed", 1);
	v = one(set);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK(req.env != NULL && req.env[0] != NULL &&
	      strcmp(req.env[0], "TEST_PROCESS_KEY=key-at-start") == 0);
	CHECK(req.env != NULL && req.env[1] != NULL &&
	      strcmp(req.env[1], "TEST_PROCESS_OTHER=") == 0 && req.env[2] == NULL);
	verifier_request_release(&req);
	verifier_set_free(set);
	unsetenv("TEST_PROCESS_KEY");
	unsetenv("TEST_PROCESS_OTHER");
	json_decref(fields);
}

TEST(request_body)
{
	struct verifier_set *set = NULL;
	struct verifier_request req = {0};
	const struct verifier *v;
	json_t *fields = json_pack("{s:s, s:s, s:s}", "npi", "1234567893", "family_name", "Ng",
				   "license_number", "A12345");
	char why[512];

	CHECK(load("test-process", "{\"program\": \"../verifier-test\"}", "", TEST_FILE, &set, why,
		   sizeof(why)) == ERR_OK);
	v = one(set);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.body, "{\"version\":1,\"verifier\":\"test-process\",\"base_url\":null,"
			      "\"fields\":{\"npi\":\"1234567893\",\"family_name\":\"Ng\","
			      "\"license_number\":\"A12345\"}}");
	CHECK(req.body != NULL && req.body_len == strlen(req.body));
	CHECK(req.url == NULL && req.method == NULL && req.headers == NULL && req.nheaders == 0);
	verifier_request_release(&req);
	/* exactly the fields given: none, or only some */
	json_object_del(fields, "family_name");
	json_object_del(fields, "license_number");
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.body, "{\"version\":1,\"verifier\":\"test-process\",\"base_url\":null,"
			      "\"fields\":{\"npi\":\"1234567893\"}}");
	verifier_request_release(&req);
	json_object_clear(fields);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.body, "{\"version\":1,\"verifier\":\"test-process\",\"base_url\":null,"
			      "\"fields\":{}}");
	verifier_request_release(&req);
	/* not an object: nothing is made */
	req.body = (char *)"untouched";
	CHECK(v != NULL &&
	      v->ops->build_request(v, json_null(), &req, why, sizeof(why)) == ERR_INVALID);
	CHECK_STREQ(req.body, "untouched");
	verifier_set_free(set);
	set = NULL;
	/* a base_url, from the definition or HCPD_REGISTRY_URL_<NAME> */
	CHECK(load("test-process", "{\"program\": \"../verifier-test\"}",
		   "\"base_url\": \"https://registry.example/api\",", TEST_FILE, &set, why,
		   sizeof(why)) == ERR_OK);
	v = one(set);
	memset(&req, 0, sizeof(req));
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.body, "{\"version\":1,\"verifier\":\"test-process\","
			      "\"base_url\":\"https://registry.example/api\",\"fields\":{}}");
	verifier_request_release(&req);
	verifier_set_free(set);
	set = NULL;
	setenv("HCPD_REGISTRY_URL_TEST_PROCESS", "http://127.0.0.1:9/x", 1);
	CHECK(load("test-process", "{\"program\": \"../verifier-test\"}", "", TEST_FILE, &set, why,
		   sizeof(why)) == ERR_OK);
	unsetenv("HCPD_REGISTRY_URL_TEST_PROCESS");
	v = one(set);
	CHECK(v != NULL && v->ops->build_request(v, fields, &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.body, "{\"version\":1,\"verifier\":\"test-process\","
			      "\"base_url\":\"http://127.0.0.1:9/x\",\"fields\":{}}");
	verifier_request_release(&req);
	verifier_set_free(set);
	json_decref(fields);
}

static struct verifier_set *reply_set;

/* parse_reply of body (exit status status) into *res. */
static enum err parse(long status, const char *body, size_t len, struct verifier_result *res)
{
	const struct verifier *v = one(reply_set);
	struct verifier_reply reply = {.status = status, .body = body, .len = len};
	json_t *fields = json_pack("{s:s}", "npi", "1234567893");
	enum err err = v != NULL ? v->ops->parse_reply(v, fields, &reply, res) : ERR_INTERNAL;

	json_decref(fields);
	return err;
}

static enum err parse_str(const char *body, struct verifier_result *res)
{
	return parse(0, body, strlen(body), res);
}

TEST(reply_outcomes)
{
	static const char *const names[] = {"verified", "mismatch", "not_found",
					    "inactive", "excluded", "error"};
	struct verifier_result res;
	char body[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum outcome want;

		snprintf(body, sizeof(body), "{\"outcome\": \"%s\", \"reason\": \"because %zu\"}",
			 names[i], i);
		memset(&res, 0, sizeof(res));
		CHECK(parse_str(body, &res) == ERR_OK);
		CHECK(outcome_parse(names[i], &want) && res.outcome == want);
		snprintf(body, sizeof(body), "because %zu", i);
		CHECK_STREQ(res.reason, body);
		CHECK(json_is_object(res.checks) && json_object_size(res.checks) == 0);
		CHECK(json_is_object(res.evidence) && json_object_size(res.evidence) == 0);
		CHECK_STREQ(res.expires, "");
		verifier_result_release(&res);
	}
}

TEST(reply_full)
{
	static const char body[] =
		"{\"outcome\": \"mismatch\", \"reason\": \"family name differs\",\n"
		" \"checks\": {\"npi\": \"match\", \"family_name\": \"mismatch\","
		" \"license_number\": \"absent\"},\n"
		" \"evidence\": {\"family_name\": {\"registration\": \"NG\", \"registry\": "
		"\"NGUYEN\"}},\n"
		" \"expires\": \"2031-12-31\"}\n \t\r\n";
	struct verifier_result res = {0};
	json_t *want_checks = json_pack("{s:s, s:s, s:s}", "npi", "match", "family_name",
					"mismatch", "license_number", "absent");
	json_t *want_evidence = json_pack("{s:{s:s, s:s}}", "family_name", "registration", "NG",
					  "registry", "NGUYEN");

	CHECK(parse_str(body, &res) == ERR_OK);
	CHECK(res.outcome == OUTCOME_MISMATCH);
	CHECK_STREQ(res.reason, "family name differs");
	CHECK(json_equal(res.checks, want_checks));
	CHECK(json_equal(res.evidence, want_evidence));
	CHECK_STREQ(res.expires, "2031-12-31");
	verifier_result_release(&res);
	/* expires null, a 127-byte reason, UTF-8 beyond ASCII, 255-byte evidence */
	{
		char reason[128], value[256], text[1024];

		memset(reason, 'r', 127);
		reason[127] = '\0';
		memset(value, 'v', 255);
		value[255] = '\0';
		snprintf(
			text, sizeof(text),
			"{\"outcome\": \"verified\", \"reason\": \"%s\", \"expires\": null,"
			" \"evidence\": {\"npi\": {\"registration\": \"%s\", \"registry\": \"\"}}}",
			reason, value);
		CHECK(parse_str(text, &res) == ERR_OK);
		CHECK_STREQ(res.reason, reason);
		CHECK_STREQ(res.expires, "");
		verifier_result_release(&res);
		CHECK(parse_str("{\"outcome\": \"verified\", \"reason\": \"Gr\xc3\xbc\xc3\x9f"
				"e \xe2\x9c\x93\"}",
				&res) == ERR_OK);
		verifier_result_release(&res);
	}
	json_decref(want_checks);
	json_decref(want_evidence);
}

/* Each must be ERR_UPSTREAM, leaving the result alone. */
TEST(reply_malformed)
{
	static const char *const bodies[] = {
		"",
		" ",
		"not json",
		"[]",
		"\"verified\"",
		"null",
		"{\"outcome\": \"verified\", \"reason\": \"ok\"",
		"{\"outcome\": \"verified\", \"reason\": \"ok\"} {}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\"}{\"outcome\": \"verified\", "
		"\"reason\": \"ok\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\"} x",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"extra\": 1}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"Outcome\": \"verified\"}",
		"{\"reason\": \"ok\"}",
		"{\"outcome\": \"verified\"}",
		"{\"outcome\": \"queued\", \"reason\": \"ok\"}",
		"{\"outcome\": \"VERIFIED\", \"reason\": \"ok\"}",
		"{\"outcome\": 0, \"reason\": \"ok\"}",
		"{\"outcome\": null, \"reason\": \"ok\"}",
		"{\"outcome\": \"verified\", \"reason\": \"\"}",
		"{\"outcome\": \"verified\", \"reason\": 5}",
		"{\"outcome\": \"verified\", \"reason\": \"two\\nlines\"}",
		"{\"outcome\": \"verified\", \"reason\": \"tab\\there\"}",
		"{\"outcome\": \"verified\", \"reason\": \"del\\u007f\"}",
		"{\"outcome\": \"verified\", \"reason\": \"c1\\u0085\"}",
		"{\"outcome\": \"verified\", \"reason\": \"nul\\u0000\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": []}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": null}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": {\"email\": "
		"\"match\"}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": {\"given_name\": "
		"\"match\"}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": {\"npi\": \"maybe\"}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": {\"npi\": true}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": []}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"npi\": \"x\"}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"npi\": "
		"{\"registration\": \"a\"}}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"npi\": "
		"{\"registry\": \"a\"}}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"npi\": "
		"{\"registration\": \"a\", \"registry\": \"b\", \"note\": \"c\"}}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"npi\": "
		"{\"registration\": 1, \"registry\": \"b\"}}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"phone\": "
		"{\"registration\": \"a\", \"registry\": \"b\"}}}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": \"2031-02-30\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": \"2031-1-01\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": \"31-12-2031\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": "
		"\"2031-12-31T00:00:00Z\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": \"+031-12-31\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": \"\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"expires\": 20311231}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"outcome\": \"verified\"}",
		"{\"outcome\": \"verified\", \"reason\": \"bad utf-8 \xc3\x28\"}",
		"{\"outcome\": \"verified\", \"reason\": \"ok\", \"checks\": {\"npi\": "
		"[[[[[[\"x\"]]]]]]}}",
		NULL};
	struct verifier_result res, untouched;
	char long_reason[300], long_evidence[600];

	memset(&untouched, 0x5a, sizeof(untouched));
	for (size_t i = 0; bodies[i] != NULL; i++) {
		res = untouched;
		if (parse_str(bodies[i], &res) != ERR_UPSTREAM) {
			fprintf(stderr, "  accepted: %s\n", bodies[i]);
			CHECK(0);
		}
		CHECK(memcmp(&res, &untouched, sizeof(res)) == 0);
	}
	/* a raw NUL inside, which strlen() would hide */
	res = untouched;
	CHECK(parse(0, "{\"outcome\": \"verified\", \"reason\": \"ok\"}\0", 41, &res) ==
	      ERR_UPSTREAM);
	/* a reason of 128 bytes, evidence of 256 */
	memset(long_reason, 'r', 128);
	long_reason[128] = '\0';
	snprintf(long_evidence, sizeof(long_evidence),
		 "{\"outcome\": \"verified\", \"reason\": \"%s\"}", long_reason);
	CHECK(parse_str(long_evidence, &res) == ERR_UPSTREAM);
	memset(long_reason, 'v', 256);
	long_reason[256] = '\0';
	snprintf(long_evidence, sizeof(long_evidence),
		 "{\"outcome\": \"verified\", \"reason\": \"ok\", \"evidence\": {\"npi\": "
		 "{\"registration\": \"%s\", \"registry\": \"b\"}}}",
		 long_reason);
	CHECK(parse_str(long_evidence, &res) == ERR_UPSTREAM);
	CHECK(memcmp(&res, &untouched, sizeof(res)) == 0);
}

TEST(reply_exit_status)
{
	static const char ok[] = "{\"outcome\": \"verified\", \"reason\": \"ok\"}";
	struct verifier_result res = {0};

	/* the answer counts only when the program exited 0 */
	CHECK(parse(1, ok, strlen(ok), &res) == ERR_UPSTREAM);
	CHECK(parse(3, ok, strlen(ok), &res) == ERR_UPSTREAM);
	CHECK(parse(127, ok, strlen(ok), &res) == ERR_UPSTREAM);
	CHECK(parse(-1, ok, strlen(ok), &res) == ERR_UPSTREAM);
	CHECK(parse(200, ok, strlen(ok), &res) == ERR_UPSTREAM);
	CHECK(parse(0, NULL, 0, &res) == ERR_UPSTREAM);
	CHECK(parse(0, ok, strlen(ok), &res) == ERR_OK && res.outcome == OUTCOME_VERIFIED);
	verifier_result_release(&res);
}

/* build_request, spawn_run and parse_reply, as the runner and `hcpd
 * verifier check` put them together, with the test program. */
static enum err round_trip(const char *family_name, struct verifier_result *res,
			   enum spawn_status *ret_status)
{
	const struct verifier *v = one(reply_set);
	struct verifier_request req = {0};
	struct verifier_reply reply = {0};
	struct spawn *s = NULL;
	json_t *fields = json_pack("{s:s, s:s, s:s}", "npi", "1234567893", "family_name",
				   family_name, "license_number", "A12345");
	char why[256];
	enum err err;

	err = v->ops->build_request(v, fields, &req, why, sizeof(why));
	if (err != ERR_OK)
		goto out;
	err = spawn_run(req.argv, req.env, req.body, req.body_len, VERIFIER_REPLY_MAX,
			v->timeout_ms, &s);
	if (err != ERR_OK)
		goto out;
	*ret_status = spawn_step(s);
	err = ERR_UPSTREAM;
	if (*ret_status != SPAWN_EXITED)
		goto out;
	reply.status = spawn_exit_code(s);
	reply.body = spawn_output(s, &reply.len);
	err = v->ops->parse_reply(v, fields, &reply, res);
out:
	spawn_free(s);
	verifier_request_release(&req);
	json_decref(fields);
	return err;
}

TEST(program_round_trip)
{
	struct verifier_result res = {0};
	enum spawn_status st = SPAWN_RUNNING;

	setenv("HCPD_LEAK_CHECK", "1", 1);
	CHECK(round_trip("Ng", &res, &st) == ERR_OK && st == SPAWN_EXITED);
	CHECK(res.outcome == OUTCOME_VERIFIED);
	CHECK_STREQ(json_string_value(json_object_get(res.checks, "family_name")), "match");
	CHECK_STREQ(json_string_value(json_object_get(
			    json_object_get(res.evidence, "license_number"), "registry")),
		    "A12345");
	verifier_result_release(&res);
	CHECK(round_trip("Mismatch", &res, &st) == ERR_OK && res.outcome == OUTCOME_MISMATCH);
	verifier_result_release(&res);
	CHECK(round_trip("expires", &res, &st) == ERR_OK);
	CHECK_STREQ(res.expires, "2031-12-31");
	verifier_result_release(&res);
	CHECK(round_trip("not_found", &res, &st) == ERR_OK && res.outcome == OUTCOME_NOT_FOUND);
	verifier_result_release(&res);
	CHECK(round_trip("ignore", &res, &st) == ERR_OK && res.outcome == OUTCOME_VERIFIED);
	verifier_result_release(&res);
	/* the request as the program saw it */
	CHECK(round_trip("request", &res, &st) == ERR_OK);
	CHECK_STREQ(res.reason, "version=1 verifier=test-process base_url=null "
				"fields=family_name,license_number,npi");
	verifier_result_release(&res);
	/* none of hcpd's environment reaches it */
	CHECK(round_trip("environ", &res, &st) == ERR_OK);
	CHECK_STREQ(res.reason, "hcpd=no names=LANG,PATH");
	verifier_result_release(&res);
	unsetenv("HCPD_LEAK_CHECK");
	/* what the runner retries */
	CHECK(round_trip("invalid", &res, &st) == ERR_UPSTREAM && st == SPAWN_EXITED);
	CHECK(round_trip("two", &res, &st) == ERR_UPSTREAM && st == SPAWN_EXITED);
	CHECK(round_trip("exit3", &res, &st) == ERR_UPSTREAM && st == SPAWN_EXITED);
	CHECK(round_trip("crash", &res, &st) == ERR_UPSTREAM && st == SPAWN_FAILED);
	CHECK(round_trip("endless", &res, &st) == ERR_UPSTREAM && st == SPAWN_TOO_BIG);
}

int main(void)
{
	char why[512];

	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "catalogue: %s (run from the repository root)\n", why);
		return 1;
	}
	if (load("test-process", "{\"program\": \"../verifier-test\"}", "", TEST_FILE, &reply_set,
		 why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "definition: %s\n", why);
		return 1;
	}
	RUN(init_defaults_and_paths);
	RUN(init_refusals);
	RUN(env_passed_from_start_up);
	RUN(request_body);
	RUN(reply_outcomes);
	RUN(reply_full);
	RUN(reply_malformed);
	RUN(reply_exit_status);
	RUN(program_round_trip);
	verifier_set_free(reply_set);
	catalogue_free(cat);
	return harness_done();
}
