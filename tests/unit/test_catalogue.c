/*
 * test_catalogue.c - unit tests for services/base/catalogue.c against the real
 * services/catalogue.json (tests run from the repository root): profile
 * and consent checks, each error code, and catalogue documents that must
 * be refused at start-up with a reason naming the key at fault.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "harness.h"

#define CATALOGUE_FILE "services/catalogue.json"

static struct catalogue *cat;

/* The SPEC's example profile, a new object. */
static json_t *example_profile(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "given_name", "Ana",
			 "family_name", "Ng", "profession", "physician", "country", "US", "npi",
			 "1234567893", "license_number", "A12345", "license_region", "CA",
			 "specialty", "cardiology", "phone", "+14155550100");
}

/* Runs catalogue_check_profile on profile (stolen); returns the errors. */
static json_t *check(json_t *profile)
{
	json_t *errors = json_array();
	json_t *personal = json_object();
	json_t *public = json_object();

	catalogue_check_profile(cat, profile, errors, personal, public);
	json_decref(profile);
	json_decref(personal);
	json_decref(public);
	return errors;
}

/* The example profile with key set to value (stolen; NULL deletes it). */
static json_t *example_with(const char *key, json_t *value)
{
	json_t *p = example_profile();

	if (value == NULL)
		json_object_del(p, key);
	else
		json_object_set_new(p, key, value);
	return p;
}

/* Does errors hold exactly one entry, {field, code, message}? Frees errors. */
static int one_error(json_t *errors, const char *field, const char *code)
{
	json_t *e = json_array_get(errors, 0);
	int ok = json_array_size(errors) == 1 &&
		 strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
		 strcmp(json_string_value(json_object_get(e, "code")), code) == 0 &&
		 json_is_string(json_object_get(e, "message"));

	if (!ok) {
		char *s = json_dumps(errors, JSON_COMPACT);

		fprintf(stderr, "  expected one %s/%s, got %s\n", field, code, s ? s : "?");
		free(s);
	}
	json_decref(errors);
	return ok;
}

/* Does errors hold an entry with field and code? Leaves errors alone. */
static int has_error(json_t *errors, const char *field, const char *code)
{
	size_t i;
	json_t *e;

	json_array_foreach (errors, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
			return 1;
	}
	return 0;
}

static int no_errors(json_t *errors)
{
	int ok = json_array_size(errors) == 0;

	if (!ok) {
		char *s = json_dumps(errors, JSON_COMPACT);

		fprintf(stderr, "  expected no errors, got %s\n", s ? s : "?");
		free(s);
	}
	json_decref(errors);
	return ok;
}

/* Checks the profile with field key set to the string value. */
static json_t *check_string(const char *key, const char *value)
{
	return check(example_with(key, json_string(value)));
}

TEST(load_real_catalogue)
{
	char why[256] = "";
	enum err err = catalogue_load(CATALOGUE_FILE, &cat, why, sizeof(why));

	CHECK(err == ERR_OK);
	if (err != ERR_OK) {
		fprintf(stderr, "  %s\n", why);
		cat = NULL;
		return;
	}
	CHECK(catalogue_version(cat) != NULL && catalogue_version(cat)[0] != '\0');
	CHECK(catalogue_notice_version(cat) != NULL && catalogue_notice_version(cat)[0] != '\0');
	CHECK(catalogue_consent_count(cat) >= 1);
	CHECK_STREQ(catalogue_consent_purpose(cat, 0), "licensure_verification");
}

TEST(load_missing_file)
{
	struct catalogue *c = NULL;
	char why[256] = "";

	CHECK(catalogue_load("/nonexistent/catalogue.json", &c, why, sizeof(why)) != ERR_OK);
	CHECK(c == NULL);
	CHECK(strstr(why, "/nonexistent/catalogue.json") != NULL);
}

TEST(example_profile_splits_fields)
{
	json_t *errors = json_array();
	json_t *personal = json_object();
	json_t *public = json_object();
	json_t *profile = example_profile();
	static const char *const personal_keys[] = {"given_name", "family_name", "npi",
						    "license_number", "phone"};
	static const char *const public_keys[] = {"profession", "country", "license_region",
						  "specialty"};

	catalogue_check_profile(cat, profile, errors, personal, public);
	CHECK(json_array_size(errors) == 0);
	CHECK(json_object_size(personal) == 5);
	CHECK(json_object_size(public) == 4);
	for (size_t i = 0; i < sizeof(personal_keys) / sizeof(*personal_keys); i++) {
		CHECK(json_object_get(personal, personal_keys[i]) != NULL);
		CHECK(json_object_get(public, personal_keys[i]) == NULL);
	}
	for (size_t i = 0; i < sizeof(public_keys) / sizeof(*public_keys); i++) {
		CHECK(json_object_get(public, public_keys[i]) != NULL);
		CHECK(json_object_get(personal, public_keys[i]) == NULL);
	}
	CHECK_STREQ(json_string_value(json_object_get(personal, "given_name")), "Ana");
	CHECK_STREQ(json_string_value(json_object_get(public, "license_region")), "CA");
	json_decref(profile);
	json_decref(errors);
	json_decref(personal);
	json_decref(public);
}

TEST(npi_required_in_us_only)
{
	json_t *p;

	CHECK(one_error(check(example_with("npi", NULL)), "profile.npi", "required"));
	/* an empty string or null counts as missing */
	CHECK(one_error(check_string("npi", ""), "profile.npi", "required"));
	CHECK(one_error(check(example_with("npi", json_null())), "profile.npi", "required"));
	p = example_with("npi", NULL);
	json_object_set_new(p, "country", json_string("NZ"));
	json_object_del(p, "license_region");
	CHECK(no_errors(check(p)));
}

TEST(required_fields)
{
	CHECK(one_error(check(example_with("given_name", NULL)), "profile.given_name", "required"));
	CHECK(one_error(check(example_with("family_name", NULL)), "profile.family_name",
			"required"));
	CHECK(one_error(check(example_with("profession", NULL)), "profile.profession", "required"));
	CHECK(one_error(check(example_with("license_region", NULL)), "profile.license_region",
			"required"));
}

TEST(invalid_npi)
{
	CHECK(one_error(check_string("npi", "1234567890"), "profile.npi", "invalid"));
	CHECK(one_error(check_string("npi", "123456789"), "profile.npi", "invalid"));
}

TEST(unknown_field)
{
	CHECK(one_error(check(example_with("favourite_colour", json_string("blue"))),
			"profile.favourite_colour", "unknown_field"));
}

TEST(wrong_type)
{
	CHECK(one_error(check(example_with("npi", json_integer(1234567893))), "profile.npi",
			"type"));
	CHECK(one_error(check(example_with("given_name", json_true())), "profile.given_name",
			"type"));
	CHECK(one_error(check(example_with("specialty", json_object())), "profile.specialty",
			"type"));
}

TEST(too_long_counts_characters)
{
	char name[2 * 101 + 1];

	memset(name, 'a', 101);
	name[101] = '\0';
	CHECK(one_error(check_string("given_name", name), "profile.given_name", "too_long"));
	name[100] = '\0';
	CHECK(no_errors(check_string("given_name", name)));
	/* 100 x U+00E9: 200 bytes but 100 characters */
	for (int i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[200] = '\0';
	CHECK(no_errors(check_string("given_name", name)));
	/* 101 of them is one too many */
	memcpy(name + 200, "\xc3\xa9", 2);
	name[202] = '\0';
	CHECK(one_error(check_string("given_name", name), "profile.given_name", "too_long"));
}

TEST(country_format)
{
	CHECK(one_error(check_string("country", "us"), "profile.country", "invalid"));
	CHECK(one_error(check_string("country", "XX"), "profile.country", "invalid"));
	CHECK(one_error(check_string("country", "USA"), "profile.country", "too_long"));
}

TEST(profession_format)
{
	CHECK(one_error(check_string("profession", "wizard"), "profile.profession", "invalid"));
	CHECK(no_errors(check_string("profession", "dentist")));
}

TEST(date_format)
{
	CHECK(one_error(check_string("license_expiry", "2026-02-29"), "profile.license_expiry",
			"invalid"));
	CHECK(no_errors(check_string("license_expiry", "2028-02-29")));
	CHECK(no_errors(check_string("license_expiry", "2000-02-29")));
	CHECK(one_error(check_string("license_expiry", "2100-02-29"), "profile.license_expiry",
			"invalid"));
	CHECK(one_error(check_string("license_expiry", "2027-04-31"), "profile.license_expiry",
			"invalid"));
	CHECK(one_error(check_string("license_expiry", "2027-13-01"), "profile.license_expiry",
			"invalid"));
	CHECK(one_error(check_string("license_expiry", "27-01-2027"), "profile.license_expiry",
			"invalid"));
}

TEST(phone_format)
{
	CHECK(one_error(check_string("phone", "4155550100"), "profile.phone", "invalid"));
	CHECK(no_errors(check_string("phone", "+442071838750")));
}

TEST(name_format)
{
	CHECK(one_error(check_string("given_name", "An\na"), "profile.given_name", "invalid"));
	CHECK(one_error(check_string("given_name", "   "), "profile.given_name", "invalid"));
	CHECK(no_errors(check_string("given_name", "Anne-Marie O'Neil")));
}

TEST(code_format)
{
	CHECK(one_error(check_string("license_number", "A1;2"), "profile.license_number",
			"invalid"));
	CHECK(one_error(check_string("license_number", "--"), "profile.license_number", "invalid"));
	CHECK(no_errors(check_string("license_number", "MD 12.345/B-6")));
}

TEST(profile_not_an_object)
{
	CHECK(one_error(check(json_array()), "profile", "type"));
	CHECK(one_error(check(json_string("Ana")), "profile", "type"));
	CHECK(one_error(check(NULL), "profile", "required"));
}

TEST(errors_are_collected)
{
	json_t *p = example_with("npi", json_string("1234567890"));
	json_t *errors;

	json_object_set_new(p, "country", json_string("us"));
	json_object_set_new(p, "nickname", json_string("x"));
	errors = check(p);
	CHECK(json_array_size(errors) == 3);
	CHECK(has_error(errors, "profile.npi", "invalid"));
	CHECK(has_error(errors, "profile.country", "invalid"));
	CHECK(has_error(errors, "profile.nickname", "unknown_field"));
	json_decref(errors);
}

/* The catalogue's consents: licensure_verification true, the rest as given. */
static json_t *check_consents(json_t *consents)
{
	json_t *errors = json_array();

	catalogue_check_consents(cat, consents, errors);
	json_decref(consents);
	return errors;
}

TEST(consents)
{
	json_t *errors;

	CHECK(no_errors(check_consents(json_pack("{s:b}", "licensure_verification", 1))));
	CHECK(no_errors(check_consents(json_pack("{s:b, s:b, s:b}", "licensure_verification", 1,
						 "marketing_email", 0, "marketing_sms", 1))));
	CHECK(one_error(check_consents(json_object()), "consents.licensure_verification",
			"required"));
	CHECK(one_error(check_consents(json_pack("{s:b, s:b}", "licensure_verification", 0,
						 "marketing_email", 1)),
			"consents.licensure_verification", "required"));
	CHECK(one_error(check_consents(json_pack("{s:b, s:b}", "licensure_verification", 1,
						 "carrier_pigeon", 1)),
			"consents.carrier_pigeon", "unknown_field"));
	CHECK(one_error(check_consents(json_pack("{s:b, s:s}", "licensure_verification", 1,
						 "marketing_email", "yes")),
			"consents.marketing_email", "type"));
	/* a non-boolean required consent is both the wrong type and not given */
	errors = check_consents(json_pack("{s:i}", "licensure_verification", 1));
	CHECK(has_error(errors, "consents.licensure_verification", "type"));
	CHECK(has_error(errors, "consents.licensure_verification", "required"));
	json_decref(errors);
	CHECK(one_error(check_consents(json_array()), "consents", "type"));
	CHECK(one_error(check_consents(NULL), "consents", "required"));
}

TEST(etag_and_body)
{
	struct catalogue *again = NULL;
	char why[256];
	const char *etag = catalogue_etag(cat);
	const char *body;
	size_t len = 0;
	json_t *doc;
	json_error_t jerr;

	CHECK(etag != NULL && strlen(etag) == 34);
	if (etag == NULL || strlen(etag) != 34)
		return;
	CHECK(etag[0] == '"' && etag[33] == '"');
	for (int i = 1; i < 33; i++)
		CHECK(isxdigit((unsigned char)etag[i]) && !isupper((unsigned char)etag[i]));
	CHECK(catalogue_load(CATALOGUE_FILE, &again, why, sizeof(why)) == ERR_OK);
	if (again != NULL) {
		CHECK_STREQ(catalogue_etag(again), etag);
		catalogue_free(again);
	}
	body = catalogue_body(cat, &len);
	CHECK(body != NULL && len == strlen(body));
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	CHECK(json_is_object(doc));
	CHECK(json_is_array(json_object_get(doc, "fields")));
	CHECK_STREQ(json_string_value(json_object_get(doc, "version")), catalogue_version(cat));
	json_decref(doc);
}

TEST(free_accepts_null)
{
	catalogue_free(NULL);
}

/*
 * Bad documents. A minimal valid document is edited by text replacement;
 * each must be refused with ERR_INVALID and a reason naming what is wrong.
 */
static const char minimal[] =
	"{\"version\":\"1\",\"notice_version\":\"1\","
	"\"professions\":[\"physician\",\"nurse\"],"
	"\"consents\":[{\"purpose\":\"licensure_verification\",\"required\":true,"
	"\"description\":\"d\"}],"
	"\"fields\":["
	"{\"name\":\"profession\",\"type\":\"string\",\"format\":\"profession\","
	"\"max_length\":40,\"personal\":false,\"required\":true,\"label\":\"l\","
	"\"example\":\"nurse\",\"purpose\":\"p\"},"
	"{\"name\":\"country\",\"type\":\"string\",\"format\":\"country\","
	"\"max_length\":2,\"personal\":false,\"required\":true,\"label\":\"l\","
	"\"example\":\"SG\",\"purpose\":\"p\"},"
	"{\"name\":\"npi\",\"type\":\"string\",\"format\":\"npi\",\"max_length\":10,"
	"\"personal\":true,\"required\":[{\"countries\":[\"US\"],"
	"\"professions\":[\"physician\"]}],\"label\":\"l\",\"example\":\"1234567893\","
	"\"source\":\"s\",\"purpose\":\"p\"}"
	"]}";

/* minimal with the first occurrence of from replaced by to, then loaded. */
static enum err load_edited(const char *from, const char *to, char *why, size_t why_len)
{
	char text[2048];
	const char *at = strstr(minimal, from);
	struct catalogue *c = NULL;
	json_error_t jerr;
	json_t *doc;
	enum err err;

	why[0] = '\0';
	if (at == NULL || sizeof(minimal) + strlen(to) > sizeof(text)) {
		fprintf(stderr, "  test bug: \"%s\" not in the minimal document\n", from);
		return ERR_INTERNAL;
	}
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - minimal), minimal, to,
		 at + strlen(from));
	doc = json_loads(text, 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "  test bug: edited document does not parse: %s\n", jerr.text);
		return ERR_INTERNAL;
	}
	err = catalogue_from_json(doc, "test.json", &c, why, why_len);
	if (err == ERR_OK)
		catalogue_free(c);
	else if (c != NULL)
		fprintf(stderr, "  ret_cat was set on failure\n");
	return err;
}

/* Is the edited document refused with a reason containing each of names? */
static int refused(const char *from, const char *to, const char *name1, const char *name2)
{
	char why[256];
	enum err err = load_edited(from, to, why, sizeof(why));
	int ok = err == ERR_INVALID && strstr(why, "test.json") != NULL &&
		 strstr(why, name1) != NULL && (name2 == NULL || strstr(why, name2) != NULL);

	if (!ok)
		fprintf(stderr, "  \"%s\" -> \"%s\": %s, why \"%s\"\n", from, to, err_name(err),
			why);
	return ok;
}

TEST(minimal_document_loads)
{
	char why[256];

	CHECK(load_edited("\"version\"", "\"version\"", why, sizeof(why)) == ERR_OK);
}

TEST(bad_documents)
{
	CHECK(refused("\"version\":\"1\",", "\"version\":\"1\",\"extra\":1,", "extra", NULL));
	CHECK(refused("\"purpose\":\"p\"}", "\"purpose\":\"p\",\"hidden\":true}", "hidden", NULL));
	CHECK(refused("\"format\":\"npi\"", "\"format\":\"ssn\"", "npi", "format"));
	CHECK(refused("{\"name\":\"npi\"", "{\"name\":\"country\"", "country", NULL));
	CHECK(refused("[\"US\"]", "[\"XX\"]", "npi", "required"));
	CHECK(refused("[{\"countries\"", "[{\"states\":[\"CA\"],\"countries\"", "npi", "states"));
	CHECK(refused("\"professions\":[\"physician\",\"nurse\"]", "\"professions\":\"physician\"",
		      "professions", NULL));
	CHECK(refused("{\"name\":\"country\",\"type\":\"string\",\"format\":\"country\","
		      "\"max_length\":2,\"personal\":false,\"required\":true,\"label\":\"l\","
		      "\"example\":\"SG\",\"purpose\":\"p\"},",
		      "", "country", NULL));
	/* issue 19: a label and an example that passes, a source for a rule */
	CHECK(refused("\"label\":\"l\",\"example\":\"nurse\",", "", "profession", "label"));
	CHECK(refused("\"example\":\"SG\"", "\"example\":\"XX\"", "country", "example"));
	CHECK(refused("\"example\":\"1234567893\"", "\"example\":\"1234567890\"", "npi",
		      "example"));
	CHECK(refused("\"source\":\"s\",", "", "npi", "source"));
	CHECK(refused("\"format\":\"npi\"", "\"format\":\"pattern\"", "npi", "pattern"));
	CHECK(refused("\"source\":\"s\",", "\"source\":\"s\",\"pattern\":\"[0-9]+\",", "npi",
		      "pattern"));
	CHECK(refused("\"format\":\"npi\"", "\"format\":\"pattern\",\"pattern\":\"^[0-9$\"", "npi",
		      "compile"));
	CHECK(refused("\"format\":\"npi\"", "\"format\":\"pattern\",\"pattern\":\"^[A-Z]{10}$\"",
		      "npi", "example"));
	CHECK(refused("\"fields\"",
		      "\"countries\":{\"SG\":{\"professions\":[\"wizard\"],"
		      "\"source\":\"s\"}},\"fields\"",
		      "countries.SG", NULL));
	CHECK(refused("\"fields\"",
		      "\"countries\":{\"XX\":{\"professions\":[\"nurse\"],"
		      "\"source\":\"s\"}},\"fields\"",
		      "countries.XX", NULL));
	CHECK(refused("\"fields\"",
		      "\"countries\":{\"SG\":{\"professions\":[\"nurse\"]}},"
		      "\"fields\"",
		      "countries.SG", "source"));
	/* the required-when professions must be listed ones */
	CHECK(refused("[\"physician\"]}]", "[\"wizard\"]}]", "npi", "required"));
	/* country must be unconditionally required */
	CHECK(refused("\"max_length\":2,\"personal\":false,\"required\":true",
		      "\"max_length\":2,\"personal\":false,\"required\":false", "country", NULL));
	CHECK(refused("\"max_length\":10", "\"max_length\":0", "npi", "max_length"));
	CHECK(refused("\"type\":\"string\",\"format\":\"npi\"",
		      "\"type\":\"integer\",\"format\":\"npi\"", "npi", "type"));
	CHECK(refused("{\"name\":\"npi\"", "{\"name\":\"Npi\"", "name", NULL));
	CHECK(refused("\"description\":\"d\"", "\"description\":\"d\",\"extra\":1", "consents",
		      NULL));
}

TEST(search_attributes)
{
	json_t *within = catalogue_unique_within(cat), *npi_within = json_pack("[s]", "country");
	char out[64];

	/* the shipped catalogue: family_name searchable, npi and license_number identifiers */
	CHECK(catalogue_field_searchable(cat, "family_name"));
	CHECK(!catalogue_field_is_identifier(cat, "family_name"));
	CHECK(catalogue_field_is_identifier(cat, "npi"));
	CHECK(catalogue_field_is_identifier(cat, "license_number"));
	CHECK(!catalogue_field_searchable(cat, "phone"));
	/* family_name and the ten identifiers: npi, rpps, riziv_number,
	 * big_number, ahpra_number, gmc_number, nmc_pin, gphc_number,
	 * mcr_number, license_number */
	CHECK(catalogue_search_count(cat) == 11);
	CHECK_STREQ(catalogue_search_field(cat, 0), "family_name");
	CHECK(catalogue_field_is_identifier(cat, "rpps"));
	CHECK(catalogue_field_is_identifier(cat, "ahpra_number"));
	CHECK(catalogue_search_field(cat, 11) == NULL);
	CHECK(json_equal(json_object_get(within, "npi"), npi_within) == 1);
	CHECK(json_array_size(json_object_get(within, "license_number")) == 2);
	json_decref(npi_within);
	json_decref(within);
	CHECK(catalogue_index_value(cat, "family_name", " Dupré ", out, sizeof(out)));
	CHECK_STREQ(out, "dupre");
	CHECK(catalogue_index_value(cat, "license_number", "a-12 34", out, sizeof(out)));
	CHECK_STREQ(out, "A1234");
	CHECK(catalogue_index_value(cat, "npi", "1234567893", out, sizeof(out)));
	CHECK_STREQ(out, "1234567893");
	CHECK(!catalogue_index_value(cat, "phone", "+14155550100", out, sizeof(out)));
	CHECK(catalogue_index_value(cat, "ahpra_number", "med0001234567", out, sizeof(out)));
	CHECK_STREQ(out, "MED0001234567");
	CHECK(!catalogue_index_value(cat, "family_name", "  ", out, sizeof(out)));
	/* refused (the edit lands on the first field, profession): a non-boolean, unique_within
	 * without identifier or naming a personal field */
	CHECK(refused("\"purpose\":\"p\"}", "\"purpose\":\"p\",\"searchable\":1}", "profession",
		      "searchable"));
	CHECK(refused("\"purpose\":\"p\"}", "\"purpose\":\"p\",\"unique_within\":[\"country\"]}",
		      "profession", "unique_within"));
	CHECK(refused("\"purpose\":\"p\"}",
		      "\"purpose\":\"p\",\"identifier\":true,\"unique_within\":[\"npi\"]}",
		      "profession", "unique_within"));
	CHECK(refused("\"purpose\":\"p\"}",
		      "\"purpose\":\"p\",\"identifier\":true,\"unique_within\":[\"nope\"]}",
		      "profession", "unique_within"));
}

/* The privacy lists: which fields re-run verification, which an erasure
 * keeps; and the consent purposes by name. */
TEST(privacy_lists)
{
	CHECK(catalogue_field_reverifies(cat, "family_name"));
	CHECK(catalogue_field_reverifies(cat, "license_expiry"));
	CHECK(catalogue_field_reverifies(cat, "npi"));
	CHECK(!catalogue_field_reverifies(cat, "specialty"));
	CHECK(!catalogue_field_reverifies(cat, "phone"));
	CHECK(!catalogue_field_reverifies(cat, "nope"));
	CHECK(catalogue_kept_count(cat) == 2);
	CHECK_STREQ(catalogue_kept_field(cat, 0), "country");
	CHECK_STREQ(catalogue_kept_field(cat, 1), "profession");
	CHECK(catalogue_kept_field(cat, 2) == NULL);
	for (size_t i = 0; i < catalogue_kept_count(cat); i++)
		CHECK(catalogue_field_is_public(cat, catalogue_kept_field(cat, i)));
}

TEST(consent_purposes_by_name)
{
	bool required = false;

	CHECK(catalogue_consent_known(cat, "licensure_verification", &required) && required);
	CHECK(catalogue_consent_known(cat, "marketing_email", &required) && !required);
	CHECK(catalogue_consent_known(cat, "advertiser_contact", NULL));
	CHECK(!catalogue_consent_known(cat, "marketing_pigeon", &required));
	/* retired by migration 0024: enrolment in an activity replaced it */
	CHECK(!catalogue_consent_known(cat, "cme_sponsor_sharing", NULL));
}

/* A change of consents: any subset, required ones may be withdrawn. */
TEST(consent_changes)
{
	json_t *errors = json_array();
	json_t *ok = json_pack("{s:b, s:b}", "licensure_verification", 0, "marketing_sms", 1);
	json_t *bad =
		json_pack("{s:b, s:s, s:n}", "nope", 1, "marketing_email", "yes", "marketing_fax");

	catalogue_check_consent_changes(cat, ok, errors);
	CHECK(json_array_size(errors) == 0);
	catalogue_check_consent_changes(cat, bad, errors);
	CHECK(json_array_size(errors) == 3);
	json_array_clear(errors);
	catalogue_check_consent_changes(cat, NULL, errors);
	CHECK(one_error(errors, "consents", "required"));
	errors = json_array();
	/* a retired purpose is named as retired, not as unknown */
	json_decref(bad);
	bad = json_pack("{s:b}", "cme_sponsor_sharing", 1);
	catalogue_check_consent_changes(cat, bad, errors);
	CHECK(one_error(errors, "consents.cme_sponsor_sharing", "retired"));
	errors = json_array();
	/* registration still insists on the required purpose */
	catalogue_check_consents(cat, ok, errors);
	CHECK(one_error(errors, "consents.licensure_verification", "required"));
	json_decref(ok);
	json_decref(bad);
}

/* The latest history row of a purpose wins; unrecorded purposes are false. */
TEST(consents_current_from_history)
{
	json_t *history =
		json_pack("[{s:s, s:b}, {s:s, s:b}, {s:s, s:b}, {s:s, s:b}]", "purpose",
			  "licensure_verification", "granted", 1, "purpose", "marketing_email",
			  "granted", 1, "purpose", "marketing_email", "granted", 0, "purpose",
			  "licensure_verification", "granted", 0);
	json_t *current = catalogue_consents_current(cat, history);

	CHECK(json_object_size(current) == catalogue_consent_count(cat));
	CHECK(json_is_false(json_object_get(current, "licensure_verification")));
	CHECK(json_is_false(json_object_get(current, "marketing_email")));
	CHECK(json_is_false(json_object_get(current, "advertiser_contact")));
	json_array_append_new(
		history, json_pack("{s:s, s:b}", "purpose", "advertiser_contact", "granted", 1));
	/* a retired purpose stays in the history only, not in the state */
	json_array_append_new(
		history, json_pack("{s:s, s:b}", "purpose", "cme_sponsor_sharing", "granted", 1));
	json_decref(current);
	current = catalogue_consents_current(cat, history);
	CHECK(json_is_true(json_object_get(current, "advertiser_contact")));
	CHECK(json_object_get(current, "cme_sponsor_sharing") == NULL);
	CHECK(json_object_size(current) == catalogue_consent_count(cat));
	json_decref(current);
	json_decref(history);
}

TEST(bad_privacy_lists)
{
	const char *end = "\"p\"}]}"; /* the end of the minimal document */
	char to[256];

	snprintf(to, sizeof(to), "\"p\"}],\"reverify_fields\":[\"npi\",\"nope\"]}");
	CHECK(refused(end, to, "reverify_fields[1]", NULL));
	snprintf(to, sizeof(to), "\"p\"}],\"reverify_fields\":[\"npi\",\"npi\"]}");
	CHECK(refused(end, to, "reverify_fields[1]", "repeated"));
	snprintf(to, sizeof(to), "\"p\"}],\"reverify_fields\":\"npi\"}");
	CHECK(refused(end, to, "reverify_fields", NULL));
	/* an erased account may keep only non-personal fields */
	snprintf(to, sizeof(to), "\"p\"}],\"kept_after_erasure\":[\"country\",\"npi\"]}");
	CHECK(refused(end, to, "kept_after_erasure[1]", "non-personal"));
	snprintf(to, sizeof(to),
		 "\"p\"}],\"kept_after_erasure\":[\"country\"],\"reverify_fields\":[\"npi\"]}");
	{
		char why[256];

		CHECK(load_edited(end, to, why, sizeof(why)) == ERR_OK);
	}
}

/* Issue 19: for every country the catalogue lists and every profession
 * it allows there, a profile made of every resolved field's example
 * (country and profession set to theirs) passes the checks: a front end
 * may show each example, and each must be accepted. */
TEST(every_example_validates)
{
	size_t len, i, n = 0;
	const char *body = catalogue_body(cat, &len), *country;
	json_t *all = json_loadb(body, len, 0, NULL), *c, *prof;

	json_object_foreach (json_object_get(all, "countries"), country, c) {
		json_array_foreach (json_object_get(c, "professions"), i, prof) {
			const char *bad = NULL;
			json_t *doc = NULL, *f, *profile = json_object();
			size_t k;

			CHECK(catalogue_resolve(cat, country, json_string_value(prof), &doc,
						&bad) == ERR_OK);
			json_array_foreach (json_object_get(doc, "fields"), k, f)
				json_object_set(profile,
						json_string_value(json_object_get(f, "name")),
						json_object_get(f, "example"));
			json_object_set_new(profile, "country", json_string(country));
			json_object_set(profile, "profession", prof);
			if (!no_errors(check(profile)))
				fprintf(stderr, "  examples of %s/%s\n", country,
					json_string_value(prof));
			json_decref(doc);
			n++;
		}
	}
	json_decref(all);
	CHECK(n >= 40);
}

TEST(resolved_schema)
{
	const char *bad = NULL;
	json_t *doc = NULL, *f;
	size_t i;
	bool mcr = false, rpps = false;

	CHECK(catalogue_resolve(cat, "SG", "physician", &doc, &bad) == ERR_OK);
	json_array_foreach (json_object_get(doc, "fields"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));

		CHECK(json_is_boolean(json_object_get(f, "required")));
		CHECK(json_is_string(json_object_get(f, "label")));
		CHECK(json_is_integer(json_object_get(f, "max_length")));
		if (strcmp(name, "mcr_number") == 0)
			mcr = json_is_true(json_object_get(f, "required"));
		rpps |= strcmp(name, "rpps") == 0;
		CHECK(strcmp(name, "npi") != 0); /* asked of the US only */
	}
	CHECK(mcr && !rpps);
	json_decref(doc);
	CHECK(catalogue_resolve(cat, "XX", "physician", &doc, &bad) == ERR_INVALID &&
	      strcmp(bad, "country") == 0);
	CHECK(catalogue_resolve(cat, "SG", "wizard", &doc, &bad) == ERR_INVALID &&
	      strcmp(bad, "profession") == 0);
	/* a profession the country does not register */
	CHECK(catalogue_resolve(cat, "SG", "podiatrist", &doc, &bad) == ERR_INVALID &&
	      strcmp(bad, "profession") == 0);
	/* a country the catalogue does not list: every profession */
	CHECK(catalogue_resolve(cat, "NZ", "podiatrist", &doc, &bad) == ERR_OK);
	json_decref(doc);
}

/* The example profile moved to country, with key set to value (NULL:
 * nothing more), checked; returns the errors. */
static json_t *check_in(const char *country, const char *key, const char *value)
{
	json_t *p = example_with("npi", NULL);

	json_object_del(p, "license_region");
	json_object_set_new(p, "country", json_string(country));
	if (key != NULL)
		json_object_set_new(p, key, json_string(value));
	return check(p);
}

TEST(country_professions_and_check_digits)
{
	json_t *p = example_with("npi", NULL);

	json_object_set_new(p, "country", json_string("SG"));
	json_object_set_new(p, "profession", json_string("podiatrist"));
	json_object_set_new(p, "license_number", json_string("A1"));
	CHECK(one_error(check(p), "profile.profession", "invalid"));
	CHECK(one_error(check_in("BE", "riziv_number", "1234562400"), "profile.riziv_number",
			"invalid"));
	CHECK(one_error(check_in("FR", NULL, NULL), "profile.rpps", "required"));
	CHECK(one_error(check_in("AU", "ahpra_number", "med0000932846"), "profile.ahpra_number",
			"invalid"));
}

int main(void)
{
	RUN(load_real_catalogue);
	if (cat == NULL)
		return harness_done();
	RUN(load_missing_file);
	RUN(search_attributes);
	RUN(example_profile_splits_fields);
	RUN(npi_required_in_us_only);
	RUN(required_fields);
	RUN(invalid_npi);
	RUN(unknown_field);
	RUN(wrong_type);
	RUN(too_long_counts_characters);
	RUN(country_format);
	RUN(profession_format);
	RUN(date_format);
	RUN(phone_format);
	RUN(name_format);
	RUN(code_format);
	RUN(profile_not_an_object);
	RUN(errors_are_collected);
	RUN(consents);
	RUN(etag_and_body);
	RUN(free_accepts_null);
	RUN(minimal_document_loads);
	RUN(every_example_validates);
	RUN(resolved_schema);
	RUN(country_professions_and_check_digits);
	RUN(bad_documents);
	RUN(privacy_lists);
	RUN(consent_purposes_by_name);
	RUN(consent_changes);
	RUN(consents_current_from_history);
	RUN(bad_privacy_lists);
	catalogue_free(cat);
	return harness_done();
}
