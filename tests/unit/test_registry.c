/*
 * test_registry.c - unit tests for the set of verifier definitions
 * (verifiers/registry.c), run from the repository root: the common keys
 * of a definition, each refused with the message that names its file and
 * key (never a value), their defaults, two files with one name, and the
 * "which verifiers apply to whom" rule, verifier_applies(), and lint's
 * collection of every error of a definition, each with its JSON path.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalogue.h"
#include "lint.h"
#include "manual.h"
#include "harness.h"
#include "verifier.h"

#define NPPES_FILE  "verifiers/registries/us-nppes.json"
#define ROSTER_FILE "verifiers/registries/us-oig-leie.json"

static struct catalogue *cat;

/* The definition in file with the keys of patch (JSON text, NULL for
 * none) set; a key "-k" deletes k. */
static json_t *patched(const char *file, const char *patch)
{
	json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, NULL);
	json_t *p = patch != NULL ? json_loads(patch, 0, NULL) : NULL, *value;
	const char *key;

	if (patch != NULL && p == NULL)
		fprintf(stderr, "  bad patch in the test: %s\n", patch);
	json_object_foreach (p, key, value) {
		if (key[0] == '-')
			json_object_del(doc, key + 1);
		else
			json_object_set(doc, key, value);
	}
	json_decref(p);
	return doc;
}

/* Is file, so patched, refused with exactly "def.json: " want? */
static bool refused(const char *file, const char *patch, const char *want)
{
	struct verifier_set *set = NULL;
	char why[512] = "", expect[512];
	enum err err = verifier_set_from_json(patched(file, patch), "def.json", cat, &set, why,
					      sizeof(why));
	bool ok;

	snprintf(expect, sizeof(expect), "def.json: %s", want);
	ok = err == ERR_INVALID && set == NULL && strcmp(why, expect) == 0;
	if (!ok)
		fprintf(stderr, "  want \"%s\"\n   got \"%s\" (%s)\n", expect, why, err_name(err));
	verifier_set_free(set);
	return ok;
}

/* Each common key refused, with the whole message after "def.json: ". */
TEST(refusals)
{
	static const struct {
		const char *file, *patch, *want;
	} cases[] = {
		{NPPES_FILE, "{\"colour\": \"red\"}", "\"colour\" is not a known key"},
		{NPPES_FILE, "{\"name\": \"US NPPES\"}",
		 "\"name\" must be lower-case letters, digits and - (at most 63)"},
		{NPPES_FILE, "{\"name\": \"\"}",
		 "\"name\" must be lower-case letters, digits and - (at most 63)"},
		{NPPES_FILE, "{\"-name\": 0}",
		 "\"name\" must be lower-case letters, digits and - (at most 63)"},
		{NPPES_FILE, "{\"display_name\": 5}",
		 "\"display_name\" must be a non-empty string"},
		{NPPES_FILE, "{\"kind\": \"ldap\"}",
		 "\"kind\" must be nppes, http_json, roster_csv, process, manual or fhir"},
		{NPPES_FILE, "{\"process\": {}}", "\"process\" belongs to another kind"},
		{NPPES_FILE, "{\"countries\": []}",
		 "\"countries\" must be a non-empty array of ISO 3166-1 alpha-2 codes"},
		{NPPES_FILE, "{\"countries\": [\"USA\"]}",
		 "\"countries\" must be a non-empty array of ISO 3166-1 alpha-2 codes"},
		{NPPES_FILE, "{\"professions\": [\"astronaut\"]}",
		 "\"professions\" must be an array of catalogue professions (empty or absent: "
		 "all)"},
		{NPPES_FILE, "{\"fields\": [\"shoe_size\"]}",
		 "\"fields\" must be an array of distinct catalogue field names, at most 16"},
		{NPPES_FILE, "{\"fields\": []}",
		 "\"fields\" must be an array of distinct catalogue field names, at most 16"},
		{NPPES_FILE, "{\"compares\": [\"given_name\", \"given_name\"]}",
		 "\"compares\" must be an array of distinct catalogue field names, at most 16"},
		{NPPES_FILE, "{\"compares\": [\"npi\"]}",
		 "\"compares\" must not repeat a field of \"fields\""},
		{NPPES_FILE, "{\"-terms\": 0}",
		 "\"terms\" must be an object (this kind sends fields out)"},
		{ROSTER_FILE, "{\"terms\": {}}",
		 "\"terms\" must be absent: a local or manual check discloses nothing"},
		{NPPES_FILE, "{\"base_url\": \"ftp://x.example/\"}",
		 "\"base_url\" must be an http:// or https:// URL (or set "
		 "HCPD_REGISTRY_URL_<NAME>)"},
		{NPPES_FILE, "{\"-base_url\": 0}",
		 "\"base_url\" must be an http:// or https:// URL (or set "
		 "HCPD_REGISTRY_URL_<NAME>)"},
		{NPPES_FILE, "{\"connect_timeout_ms\": 99}",
		 "\"connect_timeout_ms\" must be an integer in range"},
		{NPPES_FILE, "{\"timeout_ms\": \"10\"}",
		 "\"timeout_ms\" must be an integer in range"},
		{NPPES_FILE, "{\"attempts\": 21}", "\"attempts\" must be an integer in range"},
		{NPPES_FILE, "{\"backoff_ms\": 0}", "\"backoff_ms\" must be an integer in range"},
		{NPPES_FILE, "{\"connect_timeout_ms\": 5000, \"timeout_ms\": 4000}",
		 "\"connect_timeout_ms\" must not exceed timeout_ms"},
		{NPPES_FILE, "{\"rate_limit\": {\"per_second\": 0}}",
		 "\"rate_limit\" must be {\"per_second\": number > 0 and <= 10000, \"burst\": "
		 "integer}"},
		{NPPES_FILE, "{\"rate_limit\": 5}",
		 "\"rate_limit\" must be {\"per_second\": number > 0 and <= 10000, \"burst\": "
		 "integer}"},
		/* an unknown key inside is named rather than the object's */
		{NPPES_FILE, "{\"rate_limit\": {\"per_second\": 1, \"every\": 2}}",
		 "\"every\" must be {\"per_second\": number > 0 and <= 10000, \"burst\": integer}"},
		{NPPES_FILE, "{\"rate_limit\": {\"per_second\": 1, \"burst\": 0}}",
		 "\"rate_limit\" \"burst\" must be an integer from 1 to 10000"},
		{NPPES_FILE, "{\"circuit_breaker\": {\"failures\": 0}}",
		 "\"circuit_breaker\" must be {\"failures\": 1..1000, \"open_ms\": 100..3600000}"},
		{NPPES_FILE, "{\"circuit_breaker\": []}",
		 "\"circuit_breaker\" must be {\"failures\": 1..1000, \"open_ms\": 100..3600000}"},
		{NPPES_FILE, "{\"circuit_breaker\": {\"open\": 1}}",
		 "\"open\" must be {\"failures\": 1..1000, \"open_ms\": 100..3600000}"},
	};
	struct verifier_set *set = NULL;
	char why[512] = "";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(refused(cases[i].file, cases[i].patch, cases[i].want));
	CHECK(verifier_set_from_json(json_array(), "def.json", cat, &set, why, sizeof(why)) ==
	      ERR_INVALID);
	CHECK_STREQ(why, "def.json: must be a JSON object");
	{
		json_t *doc = patched(NPPES_FILE, NULL);

		/* a field sent that the terms do not allow */
		json_array_set_new(json_object_get(json_object_get(doc, "terms"), "allowed_fields"),
				   0, json_string("family_name"));
		json_array_remove(json_object_get(doc, "compares"), 2);
		CHECK(verifier_set_from_json(doc, "def.json", cat, &set, why, sizeof(why)) ==
		      ERR_INVALID);
		CHECK_STREQ(why, "def.json: \"fields\": \"npi\" is not in terms.allowed_fields");
	}
}

TEST(defaults)
{
	struct verifier_set *set = NULL;
	char why[512] = "";
	const struct verifier *v;

	CHECK(verifier_set_from_json(patched(NPPES_FILE, "{\"-connect_timeout_ms\": 0, "
							 "\"-timeout_ms\": 0, \"-rate_limit\": 0, "
							 "\"-attempts\": 0, \"-backoff_ms\": 0, "
							 "\"-circuit_breaker\": 0}"),
				     "def.json", cat, &set, why, sizeof(why)) == ERR_OK);
	v = verifier_set_at(set, 0);
	CHECK(v != NULL);
	if (v == NULL) {
		fprintf(stderr, "  %s\n", why);
		return;
	}
	CHECK(v->connect_timeout_ms == 3000 && v->timeout_ms == 10000 && v->attempts == 4 &&
	      v->backoff_ms == 1000);
	CHECK(v->rate_per_second == 10 && v->burst == 2);
	CHECK(v->breaker_failures == 5 && v->breaker_open_ms == 30000);
	CHECK_STREQ(v->recipient.name, "us-nppes");
	verifier_set_free(set);
}

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(one_name_one_file)
{
	char dir[] = "/tmp/test_registry.XXXXXX", why[512] = "", want[512];
	struct verifier_set *set = NULL;
	json_t *doc = patched(NPPES_FILE, NULL);
	char *text = json_dumps(doc, 0);

	CHECK(mkdtemp(dir) != NULL && text != NULL);
	write_file(dir, "a.json", text);
	write_file(dir, "b.json", text);
	CHECK(verifier_set_load(dir, cat, &set, why, sizeof(why)) == ERR_INVALID && set == NULL);
	snprintf(want, sizeof(want), "%s/b.json: \"name\" is also the name in %s/a.json", dir, dir);
	CHECK_STREQ(why, want);
	/* the kind's own section is checked by the kind, its message prefixed */
	write_file(dir, "b.json",
		   "{\"name\": \"b\", \"display_name\": \"B\", \"kind\": "
		   "\"http_json\", \"countries\": [\"US\"], \"fields\": [\"npi\"], "
		   "\"terms\": {}, \"base_url\": \"https://b.example/\"}");
	CHECK(verifier_set_load(dir, cat, &set, why, sizeof(why)) == ERR_INVALID);
	CHECK(strncmp(why, dir, strlen(dir)) == 0 && strstr(why, "/b.json: \"terms\": ") != NULL);
	free(text);
	json_decref(doc);
	for (const char *const *n = (const char *const[]){"a.json", "b.json", NULL}; *n != NULL;
	     n++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
}

TEST(names_have)
{
	static const char *const names[] = {"npi", "family_name"};

	CHECK(verifier_names_have(names, 2, "npi") && verifier_names_have(names, 2, "family_name"));
	CHECK(!verifier_names_have(names, 2, "family") &&
	      !verifier_names_have(names, 1, "family_name"));
	CHECK(!verifier_names_have(names, 0, "npi"));
}

/* A verifier of DE and AT for physicians and pharmacists, and one of DE
 * for every profession. The first seven rows are the TABLE
 * tests/integration/test_applies.py holds the SQL twin to; the catalogue
 * would refuse a registration of the others. */
TEST(applies)
{
	static const struct {
		const char *country, *profession;
		bool some, all;
	} cases[] = {
		{"DE", "physician", true, true},    {"AT", "pharmacist", true, false},
		{"DE", "nurse", false, true},       {"AT", "nurse", false, false},
		{"CH", "physician", false, false},  {"AT", "physician", true, false},
		{"US", "pharmacist", false, false}, {"de", "physician", false, false},
		{NULL, "physician", false, false},  {"DE", NULL, false, true},
	};
	struct verifier_set *some = NULL, *all = NULL;
	char why[512] = "";

	CHECK(verifier_set_from_json(patched(NPPES_FILE, "{\"countries\": [\"DE\", \"AT\"], "
							 "\"professions\": [\"physician\", "
							 "\"pharmacist\"]}"),
				     "some.json", cat, &some, why, sizeof(why)) == ERR_OK);
	CHECK(verifier_set_from_json(
		      patched(NPPES_FILE, "{\"countries\": [\"DE\"], \"professions\": []}"),
		      "all.json", cat, &all, why, sizeof(why)) == ERR_OK);
	if (some == NULL || all == NULL) {
		fprintf(stderr, "  %s\n", why);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(verifier_applies(verifier_set_at(some, 0), cases[i].country,
				       cases[i].profession) == cases[i].some);
		CHECK(verifier_applies(verifier_set_at(all, 0), cases[i].country,
				       cases[i].profession) == cases[i].all);
	}
	verifier_set_free(some);
	verifier_set_free(all);
}

/* Issue 19: the manual kind. Every shipped manual definition loads (the
 * registries directory is loaded whole), its link is built by the one URL
 * encoder, and its section is checked strictly. */
TEST(manual_kind)
{
	static const char file[] = "verifiers/registries/sg-smc.json";
	struct verifier_set *set = NULL;
	json_t *profile = json_pack("{s:s, s:s}", "mcr_number", "M 1/2&x", "given_name", "Ana");
	char why[512] = "", *link = NULL;
	const struct verifier *v;

	CHECK(verifier_set_load("verifiers/registries", cat, &set, why, sizeof(why)) == ERR_OK);
	if (set == NULL)
		fprintf(stderr, "  %s\n", why);
	for (size_t i = 0; i < verifier_set_count(set); i++) {
		v = verifier_set_at(set, i);
		if (v->ops->transport == TRANSPORT_MANUAL)
			CHECK(json_array_size(json_object_get(v->doc, "source")) > 0 &&
			      manual_instructions(v)[0] != '\0');
	}
	verifier_set_free(set);
	set = NULL;
	/* a template filling the declared number, percent-encoded */
	CHECK(verifier_set_from_json(patched(file,
					     "{\"fields\": [\"mcr_number\"], \"compares\": "
					     "[\"family_name\"], \"base_url\": "
					     "\"https://register.example/search\", \"manual\": "
					     "{\"instructions\": \"i\", \"search_url\": "
					     "\"{base_url}?number={mcr_number}&x=1\"}}"),
				     "def.json", cat, &set, why, sizeof(why)) == ERR_OK);
	v = verifier_set_at(set, 0);
	CHECK(v != NULL && manual_link(v, profile, &link) == ERR_OK && link != NULL &&
	      strcmp(link, "https://register.example/search?number=M%201%2F2%26x&x=1") == 0);
	free(link);
	json_object_del(profile, "mcr_number"); /* not given: the page, to search by name */
	CHECK(v != NULL && manual_link(v, profile, &link) == ERR_OK && link != NULL &&
	      strcmp(link, "https://register.example/search") == 0);
	free(link);
	verifier_set_free(set);
	json_decref(profile);
	CHECK(refused(file, "{\"-source\": 1}",
		      "\"source\" must be a non-empty array of citations (strings)"));
	CHECK(refused(file, "{\"manual\": {\"instructions\": \"i\", \"other\": 1}}",
		      "\"manual\": must be an object of \"instructions\" and \"search_url\" only"));
	CHECK(refused(file, "{\"manual\": {}}",
		      "\"manual\": \"instructions\" must be a non-empty string"));
	CHECK(refused(file,
		      "{\"fields\": [\"mcr_number\"], \"compares\": [\"family_name\"], "
		      "\"base_url\": \"https://r.example/\", "
		      "\"manual\": {\"instructions\": \"i\", \"search_url\": "
		      "\"{base_url}{mcr_number}\"}}",
		      "\"manual\": \"search_url\" may fill fields in its query only"));
	CHECK(refused(file,
		      "{\"fields\": [\"mcr_number\"], \"compares\": [\"family_name\"], "
		      "\"base_url\": \"https://r.example/\", "
		      "\"manual\": {\"instructions\": \"i\", \"search_url\": \"{base_url}\"}}",
		      "\"manual\": every field in \"fields\" must be filled into \"search_url\""));
	CHECK(refused(file, "{\"fields\": [\"mcr_number\"], \"compares\": [\"family_name\"]}",
		      "\"manual\": without \"search_url\" a register has no \"fields\" and no "
		      "\"base_url\""));
	CHECK(refused(file, "{\"terms\": {}}",
		      "\"terms\" must be absent: a local or manual check discloses nothing"));
}

/* Does errs hold exactly the n texts of want, in order? */
static bool errors_are(const struct lint_errors *errs, const char *const *want, size_t n)
{
	bool ok = errs->n == n && errs->dropped == 0;

	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(errs->msg[i], want[i]) == 0;
	for (size_t i = 0; !ok && i < errs->n; i++)
		fprintf(stderr, "  got %s\n", errs->msg[i]);
	return ok;
}

/* Loads doc (the load takes it) collecting each error into errs: is it
 * refused, with exactly the n texts of want? why gets the first. */
static bool lint_refuses(json_t *doc, struct lint_errors *errs, const char *const *want, size_t n,
			 char *why, size_t why_len)
{
	struct verifier_set *set = NULL;
	enum err err;

	lint_collect(errs);
	err = verifier_set_from_json(doc, "def.json", cat, &set, why, why_len);
	lint_collect(NULL);
	return err == ERR_INVALID && set == NULL && errors_are(errs, want, n);
}

/* One definition with errors in the common keys, in http_json's headers,
 * map and rules: every one named with its path, the first still start-up's
 * message; and none collected when no collection is open. */
static void lint_every_error(void)
{
	static const char *const want[] = {
		"$.colour: is not a known key",
		"$.countries: must be a non-empty array of ISO 3166-1 alpha-2 codes",
		"$.attempts: must be an integer in range",
		"$.http_json.method: must be GET or POST",
		"$.http_json.headers.Host: may not be set: Host, Content-Length and the other "
		"headers that frame or route the request are not the definition's",
		"$.http_json.headers.X-Field: may not hold {field} placeholders or braces: fields "
		"go in url or body",
		"$.http_json.map.status: must be a JSON pointer (RFC 6901: \"\" or \"/a/0/b\", ~0 "
		"and ~1 escapes, at most 256 bytes)",
		"$.http_json.rules[0].outcome: must be mismatch, not_found, inactive, excluded or "
		"error (only \"compare\" verifies)",
	};
	struct lint_errors *errs = calloc(1, sizeof(*errs));
	struct verifier_set *set = NULL;
	json_t *doc = json_load_file("verifiers/examples/example-board.json", 0, NULL), *hj;
	char why[512] = "";

	setenv("EXAMPLE_BOARD_TOKEN", "t", 1);
	hj = json_object_get(doc, "http_json");
	json_object_set_new(doc, "colour", json_string("red"));
	json_object_set_new(doc, "countries", json_pack("[s]", "usa"));
	json_object_set_new(doc, "attempts", json_integer(0));
	json_object_set_new(hj, "method", json_string("PUT"));
	json_object_set_new(json_object_get(hj, "headers"), "Host", json_string("x"));
	json_object_set_new(json_object_get(hj, "headers"), "X-Field", json_string("{npi}"));
	json_object_set_new(json_object_get(hj, "map"), "status", json_string("no-slash"));
	json_object_set_new(json_array_get(json_object_get(hj, "rules"), 0), "outcome",
			    json_string("verified"));
	json_incref(doc);
	CHECK(lint_refuses(doc, errs, want, sizeof(want) / sizeof(want[0]), why, sizeof(why)));
	CHECK_STREQ(why, "def.json: \"colour\" is not a known key");
	/* start-up's load collects nothing and says the first */
	errs->n = 0;
	why[0] = '\0';
	CHECK(verifier_set_from_json(doc, "def.json", cat, &set, why, sizeof(why)) == ERR_INVALID);
	CHECK(errs->n == 0);
	CHECK_STREQ(why, "def.json: \"colour\" is not a known key");
	unsetenv("EXAMPLE_BOARD_TOKEN");
	free(errs);
}

/* A roster definition's section: each column role at fault named. */
static void lint_roster(void)
{
	static const char *const want[] = {
		"$.roster_csv.mode: must be exclusion, licensee or presence",
		"$.roster_csv.columns.given_name: must name a column (1 to 128 bytes, no control "
		"characters)",
		"$.roster_csv.columns.colour: is not a role (npi, family_name, given_name, "
		"middle_name, state, listed_on, reinstated_on, detail, identifier, status)",
	};
	struct lint_errors *errs = calloc(1, sizeof(*errs));
	json_t *doc = json_load_file(ROSTER_FILE, 0, NULL);
	json_t *section = json_object_get(doc, "roster_csv");
	char why[512] = "";

	json_object_set_new(section, "mode", json_string("sometimes"));
	json_object_set_new(json_object_get(section, "columns"), "colour", json_string("C"));
	json_object_set_new(json_object_get(section, "columns"), "given_name", json_string(""));
	CHECK(lint_refuses(doc, errs, want, sizeof(want) / sizeof(want[0]), why, sizeof(why)));
	free(errs);
}

/* A manual section: instructions and search_url each named. */
static void lint_manual(void)
{
	static const char *const want[] = {
		"$.manual.instructions: must be a non-empty string",
		"$.manual.search_url: has a '}' outside a placeholder",
	};
	struct lint_errors *errs = calloc(1, sizeof(*errs));
	json_t *doc = patched("verifiers/registries/sg-smc.json",
			      "{\"base_url\": \"https://smc.example.org/search\", "
			      "\"manual\": {\"instructions\": \"\", "
			      "\"search_url\": \"{base_url}?q=x}\"}}");
	char why[512] = "";

	CHECK(lint_refuses(doc, errs, want, sizeof(want) / sizeof(want[0]), why, sizeof(why)));
	free(errs);
}

/* The terms go on past an error too: each wrong key named; start-up's
 * message is the first. */
static void lint_terms(void)
{
	static const char *const want[] = {
		"$.terms.purpose: must be lower-case letters, digits and _",
		"$.terms.retention_days: must be an integer from 0 to 36500",
		"$.terms.onward_transfer: must be false: hcpd discloses only under terms that "
		"forbid "
		"onward transfer",
		"$.terms.allowed_fields: must be a non-empty array of distinct catalogue field "
		"names "
		"(or email)",
	};
	struct lint_errors *errs = calloc(1, sizeof(*errs));
	json_t *doc = json_load_file("verifiers/registries/us-nppes.json", 0, NULL), *terms;
	char why[512] = "";

	terms = json_object_get(doc, "terms");
	json_object_set_new(terms, "purpose", json_string("Licensure!"));
	json_object_set_new(terms, "retention_days", json_integer(-1));
	json_object_set_new(terms, "onward_transfer", json_true());
	json_object_set_new(terms, "allowed_fields", json_pack("[s]", "shoe_size"));
	CHECK(lint_refuses(doc, errs, want, sizeof(want) / sizeof(want[0]), why, sizeof(why)));
	CHECK_STREQ(why,
		    "def.json: \"terms\": \"purpose\" must be lower-case letters, digits and _");
	free(errs);
}

/* The transport section goes on past an error too: a bad header list,
 * a half client certificate, a bad OAuth2 section and its unset secrets
 * each named; every unset secret, unless the section says off_without_secrets (the
 * verifier is left out, and lint has nothing to name). */
static void lint_transport(void)
{
	static const char *const shape[] = {
		"$.transport.secret_headers: must be 1-8 distinct HTTP header names, none that "
		"frames the request (Host, Content-Length, ...)",
		"$.transport: a client certificate needs both HCPD_REGISTRY_CERT_<NAME> and "
		"HCPD_REGISTRY_KEY_<NAME> (\"client_certificate\" is true)",
		"$.transport.oauth2: must be {\"token_url\": an http(s) URL (or set "
		"HCPD_REGISTRY_TOKEN_URL_<NAME>), \"scope\": an optional string}",
		"$.transport: HCPD_REGISTRY_SECRET_US_NPPES_CLIENT_ID must name a file",
		"$.transport: HCPD_REGISTRY_SECRET_US_NPPES_CLIENT_SECRET must name a file",
	};
	static const char *const unset[] = {
		"$.transport: HCPD_REGISTRY_SECRET_US_NPPES_X_API_KEY must name a file",
		"$.transport: HCPD_REGISTRY_SECRET_US_NPPES_X_TENANT must name a file",
		"$.transport: HCPD_REGISTRY_SECRET_US_NPPES_CLIENT_ID must name a file",
		"$.transport: HCPD_REGISTRY_SECRET_US_NPPES_CLIENT_SECRET must name a file",
	};
	static const char *const secrets =
		"{\"transport\": {\"secret_headers\": [\"X-Api-Key\", \"X-Tenant\"], "
		"\"oauth2\": {\"token_url\": \"https://auth.example.org/token\"}%s}}";
	struct lint_errors *errs = calloc(1, sizeof(*errs));
	struct verifier_set *set = NULL;
	char why[512] = "", patch[512];
	json_t *doc;

	doc = patched("verifiers/registries/us-nppes.json",
		      "{\"transport\": {\"secret_headers\": [\"X-Api-Key\", \"x-api-key\"], "
		      "\"client_certificate\": true, \"oauth2\": {\"token_url\": \"ftp://x\"}}}");
	CHECK(lint_refuses(doc, errs, shape, sizeof(shape) / sizeof(shape[0]), why, sizeof(why)));
	CHECK_STREQ(why, "def.json: \"transport\": \"secret_headers\" must be 1-8 distinct HTTP "
			 "header names, none that frames the request (Host, Content-Length, ...)");
	snprintf(patch, sizeof(patch), secrets, "");
	why[0] = '\0';
	doc = patched("verifiers/registries/us-nppes.json", patch);
	CHECK(lint_refuses(doc, errs, unset, sizeof(unset) / sizeof(unset[0]), why, sizeof(why)));
	CHECK_STREQ(why, "def.json: \"transport\": HCPD_REGISTRY_SECRET_US_NPPES_X_API_KEY must "
			 "name a file");
	snprintf(patch, sizeof(patch), secrets, ", \"off_without_secrets\": true");
	why[0] = '\0';
	lint_collect(errs);
	CHECK(verifier_set_from_json(patched("verifiers/registries/us-nppes.json", patch),
				     "def.json", cat, &set, why, sizeof(why)) == ERR_NOT_FOUND);
	lint_collect(NULL);
	CHECK(set == NULL && errs->n == 0);
	free(errs);
}

/* lint_path(): the checks' messages as JSON paths. */
static void lint_paths(void)
{
	static const struct {
		const char *msg, *path, *rule;
	} cases[] = {
		{"\"name\" must be", "$.name", "must be"},
		{"\"http_json\": \"rules[2].field\" must be", "$.http_json.rules[2].field",
		 "must be"},
		{"\"roster_csv\": \"columns\": \"x\" is not", "$.roster_csv.columns.x", "is not"},
		{"\"fhir\": a fhir verifier sends", "$.fhir", "a fhir verifier sends"},
		{"\"process\": \"env\": X is not set", "$.process.env", "X is not set"},
		{"\"process\": \"env\"[3] must be", "$.process.env[3]", "must be"},
		{"no path here", "$", "no path here"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128];
		const char *rule;

		lint_path(cases[i].msg, path, sizeof(path), &rule);
		CHECK_STREQ(path, cases[i].path);
		CHECK_STREQ(rule, cases[i].rule);
	}
}

int main(void)
{
	char why[512];

	unsetenv("HCPD_REGISTRY_URL_US_NPPES");
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "catalogue: %s\n", why);
		return 1;
	}
	RUN(refusals);
	RUN(defaults);
	RUN(one_name_one_file);
	RUN(names_have);
	RUN(applies);
	RUN(manual_kind);
	RUN(lint_every_error);
	RUN(lint_roster);
	RUN(lint_manual);
	RUN(lint_terms);
	RUN(lint_transport);
	RUN(lint_paths);
	catalogue_free(cat);
	return harness_done();
}
