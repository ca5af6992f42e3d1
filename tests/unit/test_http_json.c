/*
 * test_http_json.c - unit tests for the "http_json" verifier kind
 * (verifiers/http_json.c, http_json_def.c) and its JSON Pointer resolver
 * (verifiers/jsonptr.c), run from the repository root.
 *
 * Every case file of tests/verifiers/cases/http_json/ is loaded through
 * verifier_set_from_json() and run as the runner runs it: build_request
 * from the fields the definition sends (URL, method, headers and body
 * checked exactly; compared-only values must appear nowhere in it), then
 * parse_reply of the recorded reply (outcome, reason, checks, evidence,
 * expiry); a case whose "request" is {"refused": why} expects
 * build_request to refuse the fields with exactly that why, nothing
 * built. Then definitions that must be refused at start-up, each with
 * the key its message must name; percent- and JSON-encoding of hostile
 * values; and the RFC 6901 examples.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "harness.h"
#include "jsonptr.h"
#include "verifier.h"

#define CATALOGUE_FILE "services/catalogue.json"
#define CASES_DIR      "tests/verifiers/cases/http_json"
#define EXAMPLE_FILE   "verifiers/examples/example-board.json"
#define TOKEN          "test-token-not-a-secret"

static struct catalogue *cat;

/* Loads a definition (stolen) into a set; NULL with why on failure. */
static struct verifier_set *load(json_t *doc, char *why, size_t why_len, enum err *ret_err)
{
	struct verifier_set *set = NULL;
	enum err err;

	why[0] = '\0';
	err = verifier_set_from_json(doc, "def.json", cat, &set, why, why_len);
	if (ret_err != NULL)
		*ret_err = err;
	return err == ERR_OK ? set : NULL;
}

static json_t *example_doc(void)
{
	return json_load_file(EXAMPLE_FILE, JSON_REJECT_DUPLICATES, NULL);
}

/* Is needle (at least 4 bytes, as written or percent-encoded as
 * http_json encodes) anywhere in hay? */
static bool leaks(const char *hay, const char *needle)
{
	char enc[1024];
	size_t n = 0;

	if (hay == NULL || needle == NULL || strlen(needle) < 4)
		return false;
	if (strstr(hay, needle) != NULL)
		return true;
	for (const unsigned char *p = (const unsigned char *)needle;
	     *p != '\0' && n + 4 < sizeof(enc); p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			enc[n++] = (char)*p;
		else
			n += (size_t)snprintf(enc + n, sizeof(enc) - n, "%%%02X", *p);
	}
	enc[n] = '\0';
	return strstr(hay, enc) != NULL;
}

/* Checks req against the case's "request". */
static void check_request(const char *name, const struct verifier_request *req, json_t *want)
{
	json_t *headers = json_object_get(want, "headers"), *value, *body;
	const char *hname;
	size_t i = 0;

	CHECK_STREQ(req->method != NULL ? req->method : "GET",
		    json_string_value(json_object_get(want, "method")));
	CHECK_STREQ(req->url, json_string_value(json_object_get(want, "url")));
	CHECK(req->nheaders == json_object_size(headers));
	json_object_foreach (headers, hname, value) {
		char line[1024];

		snprintf(line, sizeof(line), "%s: %s", hname, json_string_value(value));
		CHECK(i < req->nheaders);
		if (i < req->nheaders)
			CHECK_STREQ(req->headers[i], line);
		i++;
	}
	if (json_object_get(want, "body") == NULL) {
		CHECK(req->body == NULL && req->body_len == 0);
		return;
	}
	body = req->body != NULL
		       ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL)
		       : NULL;
	CHECK(body != NULL && json_equal(body, json_object_get(want, "body")));
	if (body == NULL || !json_equal(body, json_object_get(want, "body")))
		fprintf(stderr, "  %s: body %s\n", name, req->body != NULL ? req->body : "(none)");
	json_decref(body);
}

/* Do two requests hold the same bytes? */
static bool same_request(const struct verifier_request *a, const struct verifier_request *b)
{
	if (strcmp(a->url, b->url) != 0 || a->nheaders != b->nheaders ||
	    a->body_len != b->body_len || (a->body == NULL) != (b->body == NULL) ||
	    (a->body != NULL && memcmp(a->body, b->body, a->body_len) != 0))
		return false;
	for (size_t i = 0; i < a->nheaders; i++)
		if (strcmp(a->headers[i], b->headers[i]) != 0)
			return false;
	return true;
}

/* Runs one case file; returns whether it was runnable at all. */
static void run_case(const char *path, const char *name)
{
	json_t *c = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	json_t *def = json_object_get(c, "definition"), *env = json_object_get(c, "env");
	json_t *fields = json_object_get(c, "fields"), *reply_j = json_object_get(c, "reply");
	json_t *expect = json_object_get(c, "expect"), *body_j, *value, *sent = NULL, *local = NULL;
	const char *refusal =
		json_string_value(json_object_get(json_object_get(c, "request"), "refused"));
	struct verifier_request req = {0}, req2 = {0};
	struct verifier_result res = {0};
	struct verifier_reply reply = {0};
	struct verifier_set *set = NULL;
	const struct verifier *v;
	char why[512], *raw = NULL;
	const char *key;
	enum err err;

	CHECK(c != NULL && json_is_object(fields) &&
	      (refusal != NULL || (json_is_object(reply_j) && json_is_object(expect))));
	if (c == NULL)
		return;
	json_object_foreach (env, key, value)
		setenv(key, json_string_value(value), 1);
	set = load(json_is_string(def)
			   ? json_load_file(json_string_value(def), JSON_REJECT_DUPLICATES, NULL)
			   : json_deep_copy(def),
		   why, sizeof(why), NULL);
	if (set == NULL)
		fprintf(stderr, "  %s: definition refused: %s\n", name, why);
	CHECK(set != NULL);
	if (set == NULL)
		goto out;
	v = verifier_set_at(set, 0);
	CHECK(verifier_fields(v, fields, &sent, &local) == ERR_OK);

	/* the request, from the sent fields; the same from every field */
	err = v->ops->build_request(v, sent, &req, why, sizeof(why));
	if (refusal != NULL) {
		CHECK(err == ERR_INVALID && req.url == NULL);
		CHECK_STREQ(why, refusal);
		goto out;
	}
	CHECK(err == ERR_OK);
	if (err != ERR_OK) {
		fprintf(stderr, "  %s: build_request: %s\n", name, why);
		goto out;
	}
	check_request(name, &req, json_object_get(c, "request"));
	CHECK(v->ops->build_request(v, local, &req2, why, sizeof(why)) == ERR_OK);
	CHECK(req2.url != NULL && same_request(&req, &req2));
	for (size_t i = 0; i < v->ncompares; i++) {
		const char *s = json_string_value(json_object_get(local, v->compares[i]));

		CHECK(!leaks(req.url, s) && !leaks(req.body, s));
		for (size_t h = 0; h < req.nheaders; h++)
			CHECK(!leaks(req.headers[h], s));
	}

	/* the reply */
	reply.status = (long)json_integer_value(json_object_get(reply_j, "status"));
	body_j = json_object_get(reply_j, "body");
	if (json_is_string(body_j)) {
		reply.body = json_string_value(body_j);
		reply.len = json_string_length(body_j);
	} else {
		raw = json_dumps(body_j, JSON_COMPACT | JSON_ENCODE_ANY);
		reply.body = raw;
		reply.len = raw != NULL ? strlen(raw) : 0;
	}
	err = v->ops->parse_reply(v, local, &reply, &res);
	if (json_object_get(expect, "error") != NULL) {
		CHECK_STREQ(err_name(err), json_string_value(json_object_get(expect, "error")));
		goto out;
	}
	CHECK(err == ERR_OK);
	if (err != ERR_OK) {
		fprintf(stderr, "  %s: parse_reply: %s\n", name, err_name(err));
		goto out;
	}
	CHECK_STREQ(outcome_name(res.outcome),
		    json_string_value(json_object_get(expect, "outcome")));
	CHECK_STREQ(res.reason, json_string_value(json_object_get(expect, "reason")));
	CHECK(json_equal(res.checks, json_object_get(expect, "checks")));
	if (!json_equal(res.checks, json_object_get(expect, "checks"))) {
		char *got = json_dumps(res.checks, JSON_COMPACT);

		fprintf(stderr, "  %s: checks %s\n", name, got);
		free(got);
	}
	if (json_object_get(expect, "evidence") != NULL)
		CHECK(json_equal(res.evidence, json_object_get(expect, "evidence")));
	CHECK_STREQ(res.expires, json_object_get(expect, "expires") != NULL
					 ? json_string_value(json_object_get(expect, "expires"))
					 : "");
	/* no personal value ever in a reason */
	json_object_foreach (local, key, value)
		CHECK(!leaks(res.reason, json_string_value(value)));
out:
	verifier_result_release(&res);
	verifier_request_release(&req);
	verifier_request_release(&req2);
	free(raw);
	json_decref(sent);
	json_decref(local);
	verifier_set_free(set);
	json_decref(c);
}

static int case_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".json") == 0;
}

TEST(case_files)
{
	struct dirent **names = NULL;
	int n = scandir(CASES_DIR, &names, case_file, alphasort);

	CHECK(n >= 30);
	for (int i = 0; i < n; i++) {
		char path[512];
		int before = harness_current;

		snprintf(path, sizeof(path), "%s/%s", CASES_DIR, names[i]->d_name);
		harness_current = 0;
		run_case(path, names[i]->d_name);
		if (harness_current)
			fprintf(stderr, "  ^ in case %s\n", names[i]->d_name);
		harness_current |= before;
		free(names[i]);
	}
	free(names);
}

/* The example with its "http_json" section updated by section (JSON
 * text, NULL for none) and the document by top; a key "-k" deletes k. */
static json_t *patched(const char *section, const char *top)
{
	json_t *doc = example_doc();
	const char *texts[2] = {section, top};

	for (int i = 0; i < 2; i++) {
		json_t *into = i == 0 ? json_object_get(doc, "http_json") : doc;
		json_t *patch = texts[i] != NULL ? json_loads(texts[i], 0, NULL) : NULL, *value;
		const char *key;

		if (texts[i] != NULL && patch == NULL)
			fprintf(stderr, "  bad patch in the test: %s\n", texts[i]);
		json_object_foreach (patch, key, value) {
			if (key[0] == '-')
				json_object_del(into, key + 1);
			else
				json_object_set(into, key, value);
		}
		json_decref(patch);
	}
	return doc;
}

/* Is the example, so patched, refused with a message holding want (and
 * never the secret)? */
static bool refused(const char *section, const char *top, const char *want)
{
	char why[512];
	enum err err = ERR_OK;
	struct verifier_set *set = load(patched(section, top), why, sizeof(why), &err);
	bool ok = set == NULL && err == ERR_INVALID && strstr(why, want) != NULL &&
		  strstr(why, TOKEN) == NULL && strncmp(why, "def.json: ", 10) == 0;

	if (!ok)
		fprintf(stderr, "  want \"%s\"\n   got \"%s\" (%s)\n", want, why, err_name(err));
	verifier_set_free(set);
	return ok;
}

TEST(example_loads)
{
	char why[512];
	struct verifier_set *set = load(example_doc(), why, sizeof(why), NULL);
	const struct verifier *v = verifier_set_at(set, 0);

	CHECK(set != NULL);
	if (set == NULL) {
		fprintf(stderr, "  %s\n", why);
		return;
	}
	CHECK_STREQ(v->name, "example-board");
	CHECK(v->ops->transport == TRANSPORT_HTTP);
	CHECK(v->nfields == 2 && v->ncompares == 2);
	CHECK(verifier_applies(v, "US", "physician") && !verifier_applies(v, "US", "dentist"));
	verifier_set_free(set);
}

TEST(init_url)
{
	CHECK(refused("{\"url\": \"https://evil.example/{license_number}/{license_region}\"}", NULL,
		      "\"http_json\": \"url\" must start with {base_url}"));
	CHECK(refused(
		"{\"url\": \"{base_url}x?f={family_name}&n={license_number}&s={license_region}\"}",
		NULL, "\"url\" sends {family_name}, a \"compares\" field"));
	CHECK(refused("{\"url\": \"{base_url}x?n={license_number}&s={license_region}&i={npi}\"}",
		      NULL, "\"url\" sends {npi}, which is not in \"fields\""));
	CHECK(refused("{\"url\": \"{base_url}x?n={license_number&s={license_region}\"}", NULL,
		      "\"url\" has a placeholder that is not {name}"));
	CHECK(refused("{\"url\": \"{base_url}x?n={License}&s={license_region}\"}", NULL,
		      "\"url\" has a placeholder that is not {name}"));
	CHECK(refused("{\"url\": \"{base_url}x?n={license_number}}&s={license_region}\"}", NULL,
		      "\"url\" has a '}' outside a placeholder"));
	CHECK(refused("{\"url\": \"{base_url}a b?n={license_number}&s={license_region}\"}", NULL,
		      "\"url\" may hold only URL characters"));
	CHECK(refused("{\"url\": \"{base_url}x?n={license_number}#s={license_region}\"}", NULL,
		      "\"url\" may hold only URL characters"));
	CHECK(refused("{\"url\": \"{base_url}\\u00e9?n={license_number}&s={license_region}\"}",
		      NULL, "\"url\" may hold only URL characters"));
	CHECK(refused("{\"url\": \"{base_url}x%zz?n={license_number}&s={license_region}\"}", NULL,
		      "\"url\" has a '%' that is not %XX"));
	CHECK(refused("{\"url\": \"{base_url}{base_url}?n={license_number}&s={license_region}\"}",
		      NULL, "{base_url} only at its start"));
	CHECK(refused("{\"url\": \"{base_url}x?n={license_number}\"}", NULL,
		      "must send every field of \"fields\" (license_region is never sent)"));
	CHECK(refused("{\"url\": 5}", NULL, "\"url\" must be a string"));
	CHECK(refused("{\"-url\": 0}", NULL, "\"url\" must be a string"));
}

TEST(init_method_body)
{
	CHECK(refused("{\"method\": \"PUT\"}", NULL, "\"method\" must be GET or POST"));
	CHECK(refused("{\"method\": \"get\"}", NULL, "\"method\" must be GET or POST"));
	CHECK(refused("{\"body\": {\"n\": \"{license_number}\"}}", NULL,
		      "\"body\" must be null or absent for GET"));
	CHECK(refused("{\"method\": \"POST\"}", NULL,
		      "\"body\" must be a JSON object or array template for POST"));
	CHECK(refused("{\"method\": \"POST\", \"body\": \"{license_number}\"}", NULL,
		      "\"body\" must be a JSON object or array template"));
	CHECK(refused("{\"method\": \"POST\", \"body\": {\"x\": 1.5}}", NULL,
		      "\"body\" may hold integers but not fractions"));
	CHECK(refused("{\"method\": \"POST\", \"body\": {\"{license_number}\": 1}}", NULL,
		      "\"body\" has a key with a brace"));
	CHECK(refused("{\"method\": \"POST\", \"url\": \"{base_url}v\", "
		      "\"body\": {\"n\": \"{license_number}\", \"g\": \"{given_name}\"}}",
		      NULL, "\"body\" sends {given_name}, a \"compares\" field"));
	CHECK(refused("{\"method\": \"POST\", \"url\": \"{base_url}v\", "
		      "\"body\": {\"n\": \"{license_number}\"}}",
		      NULL, "(license_region is never sent)"));
	CHECK(refused("{\"method\": \"POST\", \"url\": \"{base_url}v\", "
		      "\"body\": [[[[[[[[[\"{license_number}{license_region}\"]]]]]]]]]}",
		      NULL, "\"body\" is too large"));
}

TEST(init_headers)
{
	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	setenv("HJ_TEST_CRLF", "tok\r\nInjected: yes", 1);
	unsetenv("HJ_TEST_UNSET");
	CHECK(refused("{\"headers\": {\"X-A\": \"a\\r\\nInjected: yes\"}}", NULL,
		      "\"http_json\": \"headers.X-A\" must be printable ASCII (no CR, LF"));
	CHECK(refused("{\"headers\": {\"X-A\": \"a\\u0001b\"}}", NULL, "\"headers"));
	CHECK(refused("{\"headers\": {\"Authorization\": \"Bearer ${HJ_TEST_UNSET}\"}}", NULL,
		      "\"headers.Authorization\" needs the environment variable HJ_TEST_UNSET, "
		      "which is not set"));
	CHECK(refused("{\"headers\": {\"Authorization\": \"Bearer ${HJ_TEST_CRLF}\"}}", NULL,
		      "\"headers.Authorization\": the environment variable HJ_TEST_CRLF holds a "
		      "control"));
	CHECK(refused("{\"headers\": {\"Authorization\": \"${HJ_TEST_CRLF}\"}}", NULL,
		      "HJ_TEST_CRLF"));
	{
		/* the message names the variable, never its value */
		char why[512];
		struct verifier_set *set = load(
			patched("{\"headers\": {\"Authorization\": \"${HJ_TEST_CRLF}\"}}", NULL),
			why, sizeof(why), NULL);

		CHECK(set == NULL && strstr(why, "tok") == NULL && strstr(why, "Injected") == NULL);
		verifier_set_free(set);
	}
	CHECK(refused("{\"headers\": {\"X\": \"${lower}\"}}", NULL,
		      "\"headers.X\" has a ${...} that is not ${NAME}"));
	CHECK(refused("{\"headers\": {\"X\": \"${UNCLOSED\"}}", NULL,
		      "\"headers.X\" has a ${...} that is not ${NAME}"));
	CHECK(refused("{\"headers\": {\"Host\": \"evil.example\"}}", NULL,
		      "\"headers.Host\" may not be set"));
	CHECK(refused("{\"headers\": {\"content-length\": \"5\"}}", NULL,
		      "\"headers.content-length\" may not be set"));
	CHECK(refused("{\"headers\": {\"Bad Name\": \"x\"}}", NULL,
		      "\"headers\" has a name that is not an HTTP token"));
	CHECK(refused("{\"headers\": {\"X:Y\": \"x\"}}", NULL,
		      "\"headers\" has a name that is not an HTTP token"));
	CHECK(refused("{\"headers\": {\"Accept\": \"a\", \"accept\": \"b\"}}", NULL,
		      "\"headers.accept\" names a header already given"));
	CHECK(refused("{\"headers\": {\"X-L\": \"{license_number}\"}}", NULL,
		      "\"headers.X-L\" may not hold {field} placeholders"));
	CHECK(refused("{\"headers\": {\"X-L\": 5}}", NULL, "\"headers.X-L\" must be a string"));
	CHECK(refused("{\"headers\": [\"Accept: x\"]}", NULL, "\"headers\" must be an object"));
	/* a secret that did expand is not in a later message either */
	CHECK(refused("{\"record\": \"bad\"}", NULL, "\"record\" must be a JSON pointer"));
}

TEST(init_statuses_pointers)
{
	CHECK(refused("{\"not_found_status\": [200]}", NULL,
		      "\"not_found_status\" must hold HTTP statuses from 201 to 499 but 429"));
	CHECK(refused("{\"not_found_status\": [429]}", NULL, "\"not_found_status\" must hold"));
	CHECK(refused("{\"not_found_status\": [503]}", NULL, "\"not_found_status\" must hold"));
	CHECK(refused("{\"not_found_status\": [\"404\"]}", NULL, "\"not_found_status\" must hold"));
	CHECK(refused("{\"not_found_status\": [404, 404]}", NULL,
		      "\"not_found_status\" repeats a status"));
	CHECK(refused("{\"not_found_status\": 404}", NULL,
		      "\"not_found_status\" must be an array"));
	CHECK(refused("{\"record\": \"results/0\"}", NULL, "\"record\" must be a JSON pointer"));
	CHECK(refused("{\"record\": \"/results/~2\"}", NULL, "\"record\" must be a JSON pointer"));
	CHECK(refused("{\"record\": null}", NULL, "\"record\" must be a JSON pointer"));
	CHECK(refused("{\"envelope\": 5}", NULL, "\"envelope\" must be a JSON pointer"));
	CHECK(refused("{\"map\": {}}", NULL, "\"map\" must be an object of 1 to 32"));
	CHECK(refused("{\"map\": [\"/a\"]}", NULL, "\"map\" must be an object of 1 to 32"));
	CHECK(refused("{\"map\": {\"Family\": \"/a\"}}", NULL,
		      "\"map\" has a name that is not lower-case letters"));
	CHECK(refused("{\"map\": {\"family_name\": \"last_name\"}}", NULL,
		      "\"map.family_name\" must be a JSON pointer"));
	CHECK(refused(
		"{\"map\": {\"family_name\": \"/last_name\", \"given_name\": \"/first_name\", "
		"\"license_number\": \"/n\", \"license_region\": \"/s\", \"status\": \"/st\", "
		"\"disciplined\": \"/d\", \"expires\": \"/e\", \"extra\": \"/x\"}}",
		NULL, "\"map.extra\" is used by no rule and no compare"));
	CHECK(refused("{\"timeout\": 5}", NULL, "\"http_json\": \"timeout\" is not a known key"));
	CHECK(refused(NULL, "{\"-http_json\": 0}", "\"http_json\": this kind needs its section"));
	CHECK(refused(NULL, "{\"http_json\": []}", "\"http_json\": this kind needs its section"));
}

TEST(init_rules_compare)
{
	const char *base = "{\"rules\": [{\"field\": \"status\", \"in\": [\"revoked\"], "
			   "\"outcome\": \"inactive\", \"reason\": \"r\"}, %s]}";
	char patch[1024], reason[200];
	static const struct {
		const char *rule, *want;
	} bad_rules[] = {
		{"{\"field\": \"status\", \"in\": [\"x\"], \"outcome\": \"verified\", \"reason\": "
		 "\"r\"}",
		 "\"rules[1].outcome\" must be mismatch, not_found, inactive, excluded or error"},
		{"{\"field\": \"status\", \"in\": [\"x\"], \"outcome\": \"fine\", \"reason\": "
		 "\"r\"}",
		 "\"rules[1].outcome\" must be"},
		{"{\"field\": \"status\", \"in\": [\"x\"], \"equals\": \"y\", \"outcome\": "
		 "\"error\", "
		 "\"reason\": \"r\"}",
		 "\"rules[1]\" must have exactly one of in, not_in, equals, missing"},
		{"{\"field\": \"status\", \"outcome\": \"error\", \"reason\": \"r\"}",
		 "\"rules[1]\" must have exactly one of"},
		{"{\"field\": \"nope\", \"missing\": true, \"outcome\": \"error\", \"reason\": "
		 "\"r\"}",
		 "\"rules[1].field\" must be a name of \"map\""},
		{"{\"field\": \"status\", \"missing\": false, \"outcome\": \"error\", \"reason\": "
		 "\"r\"}",
		 "\"rules[1].missing\" must be true"},
		{"{\"field\": \"status\", \"equals\": 1.5, \"outcome\": \"error\", \"reason\": "
		 "\"r\"}",
		 "\"rules[1].equals\" must be a string (at most 256 bytes), an integer"},
		{"{\"field\": \"status\", \"equals\": [1], \"outcome\": \"error\", \"reason\": "
		 "\"r\"}",
		 "\"rules[1].equals\" must be"},
		{"{\"field\": \"status\", \"in\": [], \"outcome\": \"error\", \"reason\": \"r\"}",
		 "\"rules[1].in\" must be 1 to 32 distinct strings"},
		{"{\"field\": \"status\", \"in\": [1], \"outcome\": \"error\", \"reason\": \"r\"}",
		 "\"rules[1].in\" must be 1 to 32 distinct strings"},
		{"{\"field\": \"status\", \"not_in\": [\"a\", \"A\"], \"outcome\": \"error\", "
		 "\"reason\": \"r\"}",
		 "\"rules[1].not_in\" must be 1 to 32 distinct strings"},
		{"{\"field\": \"status\", \"in\": [\"x\"], \"outcome\": \"error\", \"reason\": "
		 "\"\"}",
		 "\"rules[1].reason\" must be a text of 1 to 127 bytes"},
		{"{\"field\": \"status\", \"in\": [\"x\"], \"outcome\": \"error\", \"reason\": "
		 "\"a\\nb\"}",
		 "\"rules[1].reason\" must be a text of 1 to 127 bytes"},
		{"{\"field\": \"status\", \"in\": [\"x\"], \"outcome\": \"error\"}",
		 "\"rules[1].reason\" must be a text"},
		{"{\"field\": \"status\", \"in\": [\"x\"], \"outcome\": \"error\", \"reason\": "
		 "\"r\", "
		 "\"because\": 1}",
		 "\"rules[1].because\" is not a known key"},
		{"\"status\"", "\"rules[1]\" must be an object"},
	};

	for (size_t i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		snprintf(patch, sizeof(patch), base, bad_rules[i].rule);
		CHECK(refused(patch, NULL, bad_rules[i].want));
	}
	memset(reason, 'x', 128);
	reason[128] = '\0';
	snprintf(patch, sizeof(patch),
		 "{\"rules\": [{\"field\": \"status\", \"missing\": true, \"outcome\": \"error\", "
		 "\"reason\": \"%s\"}]}",
		 reason);
	CHECK(refused(patch, NULL, "\"rules[0].reason\" must be a text of 1 to 127 bytes"));
	reason[127] = '\0';
	snprintf(patch, sizeof(patch),
		 "{\"rules\": [{\"field\": \"status\", \"missing\": true, \"outcome\": \"error\", "
		 "\"reason\": \"%s\"}, {\"field\": \"disciplined\", \"equals\": true, \"outcome\": "
		 "\"excluded\", \"reason\": \"r\"}]}",
		 reason);
	{
		char why[512];
		struct verifier_set *set = load(patched(patch, NULL), why, sizeof(why), NULL);

		CHECK(set != NULL); /* 127 bytes is the most */
		if (set == NULL)
			fprintf(stderr, "  %s\n", why);
		verifier_set_free(set);
	}
	CHECK(refused("{\"rules\": {}}", NULL, "\"rules\" must be an array of at most 32 rules"));
	CHECK(refused("{\"compare\": {\"status\": \"code\", \"family_name\": \"name\"}}", NULL,
		      "\"compare.status\" must name a field of \"fields\" or \"compares\""));
	CHECK(refused("{\"compare\": {\"family_name\": \"fuzzy\"}}", NULL,
		      "\"compare.family_name\" must be name, given_name, code or exact"));
	CHECK(refused("{\"compare\": {\"nope\": \"name\"}}", NULL,
		      "\"compare\" has a name that is not a name of \"map\""));
	CHECK(refused("{\"compare\": {}}", NULL, "\"compare\" must be an object of at least one"));
	CHECK(refused("{\"-compare\": 0}", NULL, "\"compare\" must be an object of at least one"));
	/* a compared field must be a registered one; the rest of the file as is */
	CHECK(refused(NULL, "{\"compares\": [\"family_name\"]}",
		      "\"compare.given_name\" must name a field of \"fields\" or \"compares\""));
}

/* The example's request for fields (JSON text); ERR_* and why. */
static enum err example_request(const char *fields_text, struct verifier_request *req, char *why,
				size_t why_len)
{
	char lwhy[512];
	struct verifier_set *set = load(example_doc(), lwhy, sizeof(lwhy), NULL);
	json_t *fields = json_loads(fields_text, 0, NULL);
	enum err err = ERR_INTERNAL;

	if (set != NULL && fields != NULL) {
		const struct verifier *v = verifier_set_at(set, 0);

		err = v->ops->build_request(v, fields, req, why, why_len);
	}
	json_decref(fields);
	verifier_set_free(set);
	return err;
}

TEST(percent_encoding)
{
	struct verifier_request req = {0};
	char why[256] = "";

	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	CHECK(example_request("{\"license_number\": \"A&B?C#D/E F{license_region}\\u00fc%+=\", "
			      "\"license_region\": \"a~b-c.d_e\"}",
			      &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "https://board.example.org/api/v1/licensees?"
			     "number=A%26B%3FC%23D%2FE%20F%7Blicense_region%7D%C3%BC%25%2B%3D"
			     "&state=a~b-c.d_e");
	verifier_request_release(&req);
	CHECK(example_request("{\"license_number\": \"\\u6f22\\u5b57\\r\\n\", "
			      "\"license_region\": \"\\\"<>\\\\^`|\"}",
			      &req, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "https://board.example.org/api/v1/licensees?"
			     "number=%E6%BC%A2%E5%AD%97%0D%0A&state=%22%3C%3E%5C%5E%60%7C");
	verifier_request_release(&req);
	/* {base_url} is replaced verbatim, from HCPD_REGISTRY_URL_<NAME> */
	setenv("HCPD_REGISTRY_URL_EXAMPLE_BOARD", "http://127.0.0.1:9/x%20y/", 1);
	CHECK(example_request("{\"license_number\": \"1\", \"license_region\": \"CA\"}", &req, why,
			      sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "http://127.0.0.1:9/x%20y/v1/licensees?number=1&state=CA");
	unsetenv("HCPD_REGISTRY_URL_EXAMPLE_BOARD");
	verifier_request_release(&req);
}

TEST(missing_fields)
{
	struct verifier_request req = {.url = (char *)"untouched"};
	char why[256] = "";

	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	CHECK(example_request("{\"license_number\": \"MD-1\"}", &req, why, sizeof(why)) ==
	      ERR_INVALID);
	CHECK_STREQ(why, "missing license_region");
	CHECK_STREQ(req.url, "untouched");
	CHECK(example_request("{\"license_number\": \"\", \"license_region\": \"CA\"}", &req, why,
			      sizeof(why)) == ERR_INVALID);
	CHECK_STREQ(why, "missing license_number");
	CHECK(example_request("{\"license_number\": 5, \"license_region\": \"CA\"}", &req, why,
			      sizeof(why)) == ERR_INVALID);
	CHECK_STREQ(why, "missing license_number");
	CHECK_STREQ(req.url, "untouched");
}

/* The example with url set to template: its request for fields (JSON
 * text); ERR_* and why. */
static enum err url_request(const char *template, const char *fields_text,
			    struct verifier_request *req, char *why, size_t why_len)
{
	json_t *doc = example_doc(), *fields = json_loads(fields_text, 0, NULL);
	struct verifier_set *set;
	enum err err = ERR_INTERNAL;

	json_object_set_new(json_object_get(doc, "http_json"), "url", json_string(template));
	set = load(doc, why, why_len, NULL);
	if (set != NULL && fields != NULL)
		err = verifier_set_at(set, 0)->ops->build_request(verifier_set_at(set, 0), fields,
								  req, why, why_len);
	json_decref(fields);
	verifier_set_free(set);
	return err;
}

/* Issue 18 item 10: a value of dots alone in the path would be a dot
 * segment libcurl removes, so the registry would get another path than
 * the template's: refused, nothing built. In the query, or with a byte
 * that is not a dot, it is sent as it is. */
TEST(dot_segments)
{
	static const char *const path =
		"{base_url}v1/licensees/{license_number}?s={license_region}";
	static const char *const dots[] = {"..", ".", "...", "...."};
	struct verifier_request req = {0};
	char why[256], fields[256];

	for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++) {
		snprintf(fields, sizeof(fields),
			 "{\"license_number\": \"%s\", \"license_region\": \"CA\"}", dots[i]);
		why[0] = '\0';
		CHECK(url_request(path, fields, &req, why, sizeof(why)) == ERR_INVALID);
		CHECK_STREQ(why, "license_number is dots alone, which a URL path cannot carry");
		CHECK(req.url == NULL);
	}
	/* the template's own dot beside the value would make ".." */
	CHECK(url_request("{base_url}v1/.{license_number}?s={license_region}",
			  "{\"license_number\": \".\", \"license_region\": \"CA\"}", &req, why,
			  sizeof(why)) == ERR_INVALID);
	/* a byte that is not a dot: no dot segment */
	CHECK(url_request(path, "{\"license_number\": \"..1\", \"license_region\": \"..\"}", &req,
			  why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "https://board.example.org/api/v1/licensees/..1?s=..");
	verifier_request_release(&req);
	CHECK(url_request(path, "{\"license_number\": \"./\", \"license_region\": \"CA\"}", &req,
			  why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "https://board.example.org/api/v1/licensees/.%2F?s=CA");
	verifier_request_release(&req);
	/* the example puts both in the query */
	CHECK(example_request("{\"license_number\": \"..\", \"license_region\": \".\"}", &req, why,
			      sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "https://board.example.org/api/v1/licensees?number=..&state=.");
	verifier_request_release(&req);
	/* a base URL with a query puts every placeholder in it */
	setenv("HCPD_REGISTRY_URL_EXAMPLE_BOARD", "http://127.0.0.1:9/find?key=1", 1);
	CHECK(url_request("{base_url}&n={license_number}&s={license_region}",
			  "{\"license_number\": \"..\", \"license_region\": \"CA\"}", &req, why,
			  sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.url, "http://127.0.0.1:9/find?key=1&n=..&s=CA");
	unsetenv("HCPD_REGISTRY_URL_EXAMPLE_BOARD");
	verifier_request_release(&req);
}

TEST(url_cap)
{
	struct verifier_request req = {0};
	char why[256] = "", *fields = malloc(20000);
	size_t n;

	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	/* 3000 '&' encode to 9000 bytes: over the cap */
	n = (size_t)snprintf(fields, 20000, "{\"license_region\": \"CA\", \"license_number\": \"");
	memset(fields + n, '&', 3000);
	snprintf(fields + n + 3000, 20000 - n - 3000, "\"}");
	CHECK(example_request(fields, &req, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "URL would be longer") != NULL && strchr(why, '&') == NULL);
	CHECK(req.url == NULL);
	free(fields);
}

TEST(post_body_escaping)
{
	json_t *doc = example_doc(), *fields, *body;
	struct verifier_request req = {0};
	struct verifier_set *set;
	char why[512];

	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	json_object_set_new(json_object_get(doc, "http_json"), "method", json_string("POST"));
	json_object_set_new(json_object_get(doc, "http_json"), "url", json_string("{base_url}q"));
	json_object_set_new(json_object_get(doc, "http_json"), "body",
			    json_pack("{s:s, s:[s, i, b, n]}", "n", "no. {license_number}!", "list",
				      "{license_region}", 7, 1));
	set = load(doc, why, sizeof(why), NULL);
	CHECK(set != NULL);
	if (set == NULL) {
		fprintf(stderr, "  %s\n", why);
		return;
	}
	fields = json_pack("{s:s, s:s}", "license_number", "\"}{\\\n\xe2\x80\xa8 {license_region}",
			   "license_region", "</script>");
	CHECK(verifier_set_at(set, 0)->ops->build_request(verifier_set_at(set, 0), fields, &req,
							  why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(req.method, "POST");
	CHECK(req.nheaders == 3);
	if (req.nheaders == 3)
		CHECK_STREQ(req.headers[2], "Content-Type: application/json");
	body = json_loadb(req.body, req.body_len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(body != NULL);
	CHECK_STREQ(json_string_value(json_object_get(body, "n")),
		    "no. \"}{\\\n\xe2\x80\xa8 {license_region}!");
	CHECK_STREQ(json_string_value(json_array_get(json_object_get(body, "list"), 0)),
		    "</script>");
	CHECK(json_integer_value(json_array_get(json_object_get(body, "list"), 1)) == 7);
	CHECK(json_is_true(json_array_get(json_object_get(body, "list"), 2)));
	CHECK(json_is_null(json_array_get(json_object_get(body, "list"), 3)));
	json_decref(body);
	json_decref(fields);
	verifier_request_release(&req);
	verifier_set_free(set);
}

/* parse_reply of the example for a raw body. */
static enum err example_reply(long status, const char *body, size_t len,
			      struct verifier_result *res)
{
	char why[512];
	struct verifier_set *set = load(example_doc(), why, sizeof(why), NULL);
	json_t *fields =
		json_pack("{s:s, s:s, s:s, s:s}", "license_number", "MD1", "license_region", "CA",
			  "family_name", "Okafor", "given_name", "Chidinma");
	struct verifier_reply reply = {.status = status, .body = body, .len = len};
	enum err err = ERR_INTERNAL;

	if (set != NULL)
		err = verifier_set_at(set, 0)->ops->parse_reply(verifier_set_at(set, 0), fields,
								&reply, res);
	json_decref(fields);
	verifier_set_free(set);
	return err;
}

TEST(hostile_replies)
{
	static const char good[] = "{\"results\": [{\"first_name\": \"Chidinma\", \"last_name\": "
				   "\"Okafor\", \"license\": {\"number\": \"MD1\", \"state\": "
				   "\"CA\", \"status\": \"active\"}}]}";
	static const char huge[] =
		"{\"results\": [{\"license\": {\"number\": 123456789012345678901234}}]}";
	struct verifier_result res = {0};
	char *deep = malloc(200), *big;

	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	CHECK(example_reply(200, good, strlen(good), &res) == ERR_OK);
	CHECK(res.outcome == OUTCOME_VERIFIED);
	verifier_result_release(&res);
	/* a NUL byte after the document */
	CHECK(example_reply(200, "{\"results\": []}\0x", 17, &res) == ERR_UPSTREAM);
	/* trailing data */
	CHECK(example_reply(200, "{\"results\": []} {}", 18, &res) == ERR_UPSTREAM);
	CHECK(example_reply(200, "", 0, &res) == ERR_UPSTREAM);
	CHECK(example_reply(200, NULL, 0, &res) == ERR_UPSTREAM);
	/* nesting past the cap, checked before jansson parses it */
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK(example_reply(200, deep, 200, &res) == ERR_UPSTREAM);
	/* an integer too large for jansson is not understood */
	CHECK(example_reply(200, huge, strlen(huge), &res) == ERR_UPSTREAM);
	/* more than the reply cap */
	big = malloc(VERIFIER_REPLY_MAX + 1);
	memset(big, ' ', VERIFIER_REPLY_MAX + 1);
	memcpy(big, good, strlen(good));
	CHECK(example_reply(200, big, VERIFIER_REPLY_MAX + 1, &res) == ERR_UPSTREAM);
	CHECK(example_reply(200, big, VERIFIER_REPLY_MAX, &res) == ERR_OK);
	verifier_result_release(&res);
	/* statuses: 404 is not_found whatever the body; 204, 500, 429 are not understood */
	CHECK(example_reply(404, "\xff", 1, &res) == ERR_OK && res.outcome == OUTCOME_NOT_FOUND);
	verifier_result_release(&res);
	CHECK(example_reply(204, "", 0, &res) == ERR_UPSTREAM);
	CHECK(example_reply(500, good, strlen(good), &res) == ERR_UPSTREAM);
	CHECK(example_reply(429, good, strlen(good), &res) == ERR_UPSTREAM);
	/* a record that is a string: its mapped members are absent */
	CHECK(example_reply(200, "{\"results\": [\"Okafor\"]}", 23, &res) == ERR_OK);
	CHECK(res.outcome == OUTCOME_ERROR); /* no status, by rule 2 */
	verifier_result_release(&res);
	free(big);
	free(deep);
}

TEST(jsonptr_rfc6901)
{
	json_t *doc = json_loads("{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, "
				 "\"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, "
				 "\"m~n\": 8, \"~1\": 9, \"n\": null, \"o\": {\"p\": [[10]]}}",
				 0, NULL);

	CHECK(jsonptr_get(doc, "") == doc);
	CHECK(jsonptr_get(doc, "/foo") == json_object_get(doc, "foo"));
	CHECK_STREQ(json_string_value(jsonptr_get(doc, "/foo/0")), "bar");
	CHECK_STREQ(json_string_value(jsonptr_get(doc, "/foo/1")), "baz");
	CHECK(json_integer_value(jsonptr_get(doc, "/")) == 0);
	CHECK(json_integer_value(jsonptr_get(doc, "/a~1b")) == 1);
	CHECK(json_integer_value(jsonptr_get(doc, "/c%d")) == 2);
	CHECK(json_integer_value(jsonptr_get(doc, "/e^f")) == 3);
	CHECK(json_integer_value(jsonptr_get(doc, "/g|h")) == 4);
	CHECK(json_integer_value(jsonptr_get(doc, "/i\\j")) == 5);
	CHECK(json_integer_value(jsonptr_get(doc, "/k\"l")) == 6);
	CHECK(json_integer_value(jsonptr_get(doc, "/ ")) == 7);
	CHECK(json_integer_value(jsonptr_get(doc, "/m~0n")) == 8);
	CHECK(json_integer_value(jsonptr_get(doc, "/~01")) == 9); /* ~01 is "~1", not "/" */
	CHECK(json_is_null(jsonptr_get(doc, "/n")));
	CHECK(json_integer_value(jsonptr_get(doc, "/o/p/0/0")) == 10);
	/* absent: NULL */
	CHECK(jsonptr_get(doc, "/foo/2") == NULL);
	CHECK(jsonptr_get(doc, "/foo/01") == NULL);
	CHECK(jsonptr_get(doc, "/foo/-") == NULL);
	CHECK(jsonptr_get(doc, "/foo/-1") == NULL);
	CHECK(jsonptr_get(doc, "/foo/") == NULL);
	CHECK(jsonptr_get(doc, "/foo/1e0") == NULL);
	CHECK(jsonptr_get(doc, "/foo/99999999999999999999999999") == NULL);
	CHECK(jsonptr_get(doc, "/foo/0/x") == NULL);
	CHECK(jsonptr_get(doc, "/n/x") == NULL);
	CHECK(jsonptr_get(doc, "/a/b") == NULL);
	CHECK(jsonptr_get(doc, "/m~n") == NULL); /* malformed */
	CHECK(jsonptr_get(doc, "/m~") == NULL);
	CHECK(jsonptr_get(doc, "foo") == NULL);
	CHECK(jsonptr_get(doc, NULL) == NULL);
	CHECK(jsonptr_get(NULL, "") == NULL);
	CHECK(jsonptr_valid("") && jsonptr_valid("/") && jsonptr_valid("/a~0~1/0"));
	CHECK(!jsonptr_valid("a") && !jsonptr_valid("/~") && !jsonptr_valid("/~2") &&
	      !jsonptr_valid(NULL));
	json_decref(doc);
}

int main(void)
{
	char why[512];

	if (catalogue_load(CATALOGUE_FILE, &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	setenv("EXAMPLE_BOARD_TOKEN", TOKEN, 1);
	unsetenv("HCPD_REGISTRY_URL_EXAMPLE_BOARD");
	unsetenv("HCPD_REGISTRY_URL_EXAMPLE_POST");
	RUN(case_files);
	RUN(example_loads);
	RUN(init_url);
	RUN(init_method_body);
	RUN(init_headers);
	RUN(init_statuses_pointers);
	RUN(init_rules_compare);
	RUN(percent_encoding);
	RUN(missing_fields);
	RUN(dot_segments);
	RUN(url_cap);
	RUN(post_body_escaping);
	RUN(hostile_replies);
	RUN(jsonptr_rfc6901);
	catalogue_free(cat);
	return harness_done();
}
