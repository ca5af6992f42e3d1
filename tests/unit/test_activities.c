/*
 * test_activities.c - the activities file's validation (services/
 * activities.c): the shipped sample loads; each mistake stops loading
 * with a message naming the file and the JSON path at fault.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "activities.h"
#include "catalogue.h"
#include "harness.h"
#include "recipients.h"

static struct catalogue *cat;
static struct recipients *rcp;

/* The shipped sample, parsed (a new reference). */
static json_t *sample(void)
{
	json_error_t jerr;

	return json_load_file("services/activities.json", JSON_REJECT_DUPLICATES, &jerr);
}

/* Loads doc (stolen); ERR_OK or the message in why. */
static enum err load(json_t *doc, char *why, size_t len)
{
	struct activities *set = NULL;
	enum err err = activities_from_json(doc, "a.json", rcp, &set, why, len);

	activities_free(set);
	return err;
}

/* Does the sample with one change at path fail, naming want? */
static int refused(json_t *doc, const char *want)
{
	char why[512] = "";
	enum err err = load(doc, why, sizeof(why));

	if (err == ERR_INVALID && strstr(why, want) != NULL && strstr(why, "a.json") != NULL)
		return 1;
	fprintf(stderr, "  wanted %s, got %s\n", want, why);
	return 0;
}

static json_t *first(json_t *doc)
{
	return json_array_get(json_object_get(doc, "activities"), 0);
}

TEST(the_sample_loads)
{
	struct activities *set = NULL;
	const struct activity *a;
	char why[256] = "";

	CHECK(activities_from_json(sample(), "a.json", rcp, &set, why, sizeof(why)) == ERR_OK);
	a = activities_find(set, "example-cme-module");
	CHECK(a != NULL && a->ntargets == 2);
	if (a != NULL) {
		CHECK_STREQ(a->targets[0].role, "sponsor");
		CHECK_STREQ(a->targets[1].recipient, "example-accreditor");
		CHECK(a->targets[0].def != NULL && a->targets[0].nfields == 5);
		CHECK_STREQ(a->system_client, "cme-platform");
	}
	CHECK(activities_find(set, "nope") == NULL && activities_find(NULL, "x") == NULL);
	CHECK(activities_name_recipient(set, "example-accreditor"));
	CHECK(!activities_name_recipient(set, "example-advertiser"));
	activities_free(set);
	activities_free(NULL);
}

TEST(each_mistake_names_its_path)
{
	json_t *d;

	d = sample();
	json_object_set_new(first(d), "colour", json_string("red"));
	CHECK(refused(d, "activities[0].colour"));
	d = sample();
	json_object_set_new(first(d), "id", json_string("Bad Id"));
	CHECK(refused(d, "activities[0].id"));
	d = sample();
	json_array_append(json_object_get(d, "activities"), first(d));
	CHECK(refused(d, "activities[1].id is used twice"));
	d = sample();
	json_object_set_new(first(d), "kind", json_string("webinar"));
	CHECK(refused(d, "activities[0].kind"));
	d = sample();
	json_object_del(first(d), "system_client");
	CHECK(refused(d, "activities[0].system_client"));
	d = sample();
	json_array_append_new(json_object_get(json_object_get(first(d), "sponsor"), "fields"),
			      json_string("npi"));
	CHECK(refused(d, "activities[0].sponsor.fields[5] is not in the recipient's terms"));
	d = sample();
	json_array_append_new(json_object_get(json_object_get(first(d), "sponsor"), "fields"),
			      json_string("given_name"));
	CHECK(refused(d, "activities[0].sponsor.fields[5] is listed twice"));
	d = sample();
	json_array_append_new(json_object_get(json_object_get(first(d), "sponsor"), "fields"),
			      json_string("completion_status"));
	CHECK(refused(d, "activities[0].sponsor.fields[5]"));
	d = sample();
	json_object_set_new(json_object_get(first(d), "sponsor"), "recipient",
			    json_string("example-accreditor"));
	CHECK(refused(d, "activities[0].sponsor.recipient must name a cme_sponsor"));
	d = sample();
	json_object_set_new(json_array_get(json_object_get(first(d), "accreditors"), 0),
			    "recipient", json_string("example-advertiser"));
	CHECK(refused(d, "activities[0].accreditors[0].recipient must name an accreditor"));
	d = sample();
	json_object_set_new(json_object_get(first(d), "sponsor"), "recipient",
			    json_string("nobody"));
	CHECK(refused(d, "activities[0].sponsor.recipient"));
	d = sample();
	json_object_set_new(json_object_get(first(d), "sponsor"), "url",
			    json_string("http://sponsor.example/releases"));
	CHECK(refused(d, "activities[0].sponsor.url"));
	d = sample();
	json_object_set_new(json_object_get(first(d), "sponsor"), "secret", json_string("x"));
	CHECK(refused(d, "activities[0].sponsor.secret"));
	d = sample();
	json_object_set_new(d, "more", json_true());
	CHECK(refused(d, "a.json: must be an object"));
}

TEST(terms_without_completion_status_are_refused)
{
	json_error_t jerr;
	json_t *doc = json_load_file("services/recipients.json", 0, &jerr);
	json_t *r = json_array_get(json_object_get(doc, "recipients"), 1), *fields;
	struct recipients *without = NULL;
	struct activities *set = NULL;
	char why[512] = "";

	fields = json_object_get(json_object_get(r, "terms"), "allowed_fields");
	json_array_remove(fields, json_array_size(fields) - 1); /* completion_status */
	CHECK(recipients_from_json(doc, "r.json", cat, &without, why, sizeof(why)) == ERR_OK);
	CHECK(activities_from_json(sample(), "a.json", without, &set, why, sizeof(why)) ==
	      ERR_INVALID);
	CHECK(strstr(why, "activities[0].sponsor.recipient") != NULL &&
	      strstr(why, "completion_status") != NULL);
	activities_free(set);
	recipients_free(without);
}

int main(void)
{
	char why[512];

	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK ||
	    recipients_load("services/recipients.json", cat, &rcp, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	RUN(the_sample_loads);
	RUN(each_mistake_names_its_path);
	RUN(terms_without_completion_status_are_refused);
	recipients_free(rcp);
	catalogue_free(cat);
	return harness_done();
}
