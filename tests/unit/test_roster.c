/*
 * test_roster.c - the roster_csv kind without a database: its definition
 * checks (through verifier_set_from_json, as HCPD_REGISTRIES_DIR is
 * loaded), the header and row mapping of the shipped us-oig-leie
 * definition, date parsing, and the sample LEIE file end to end through
 * the CSV parser and the mapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "csv.h"
#include "harness.h"
#include "roster.h"
#include "verifier.h"

#define LEIE_DEF    "verifiers/registries/us-oig-leie.json"
#define LEIE_SAMPLE "tests/data/leie/UPDATED-sample.csv"
#define TODAY       "2026-06-01"

static struct catalogue *cat;

/* The shipped definition, changed by edit (may be NULL) before loading. */
static enum err load(void (*edit)(json_t *doc), struct verifier_set **ret_set, char *why,
		     size_t why_len)
{
	json_t *doc = json_load_file(LEIE_DEF, JSON_REJECT_DUPLICATES, NULL);

	why[0] = '\0';
	if (doc == NULL)
		return ERR_IO;
	if (edit != NULL)
		edit(doc);
	return verifier_set_from_json(doc, "us-oig-leie.json", cat, ret_set, why, why_len);
}

static json_t *section(json_t *doc)
{
	return json_object_get(doc, "roster_csv");
}

static json_t *columns(json_t *doc)
{
	return json_object_get(section(doc), "columns");
}

static void unknown_key(json_t *doc)
{
	json_object_set_new(section(doc), "separator", json_string(";"));
}

static void unknown_role(json_t *doc)
{
	json_object_set_new(columns(doc), "date_of_birth", json_string("DOB"));
}

static void no_family(json_t *doc)
{
	json_object_del(columns(doc), "family_name");
}

static void bad_mode(json_t *doc)
{
	json_object_set_new(section(doc), "mode", json_string("sanctions"));
}

static void bad_format(json_t *doc)
{
	json_object_set_new(section(doc), "date_format", json_string("DD.MM.YYYY"));
}

static void column_not_string(json_t *doc)
{
	json_object_set_new(columns(doc), "npi", json_integer(7));
}

static void same_column_twice(json_t *doc)
{
	json_object_set_new(columns(doc), "detail", json_string("LASTNAME"));
}

static void no_section(json_t *doc)
{
	json_object_del(doc, "roster_csv");
}

static void with_terms(json_t *doc)
{
	json_object_set_new(doc, "terms", json_object());
}

static void reads_licence(json_t *doc)
{
	json_array_append_new(json_object_get(doc, "fields"), json_string("license_number"));
}

static void state_not_read(json_t *doc)
{
	json_array_remove(json_object_get(doc, "fields"), 3); /* license_region */
}

static void licensee_minimal(json_t *doc)
{
	json_t *cols = json_pack("{s:s, s:s}", "family_name", "SURNAME", "state", "ST");

	json_object_set_new(section(doc), "mode", json_string("licensee"));
	json_object_del(section(doc), "date_format");
	json_object_set_new(section(doc), "columns", cols);
	json_object_set_new(doc, "fields", json_pack("[s, s]", "family_name", "license_region"));
}

/* Loading fails, why names the key and says nothing else from the file. */
static void expect_invalid(void (*edit)(json_t *doc), const char *names)
{
	struct verifier_set *set = NULL;
	char why[512];
	enum err err = load(edit, &set, why, sizeof(why));

	CHECK(err == ERR_INVALID);
	CHECK(set == NULL);
	if (strstr(why, names) == NULL) {
		fprintf(stderr, "  why \"%s\" does not name %s\n", why, names);
		CHECK(0);
	}
	verifier_set_free(set);
}

TEST(shipped_definition_loads)
{
	struct verifier_set *set = NULL;
	const struct verifier *v;
	char why[512];

	CHECK(load(NULL, &set, why, sizeof(why)) == ERR_OK);
	if (why[0] != '\0')
		fprintf(stderr, "  %s\n", why);
	v = verifier_lookup(set, "us-oig-leie");
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK(roster_is(v));
		CHECK(v->ops->transport == TRANSPORT_LOCAL);
		CHECK(v->ops->check_local != NULL);
		CHECK(verifier_applies(v, "US", "physician"));
		CHECK(!verifier_applies(v, "GB", "physician"));
	}
	/* a local kind discloses nothing: no recipient */
	{
		size_t n = 99;

		verifier_set_recipients(set, &n);
		CHECK(n == 0);
	}
	CHECK(!roster_is(NULL));
	verifier_set_free(set);
	CHECK(load(licensee_minimal, &set, why, sizeof(why)) == ERR_OK);
	verifier_set_free(set);
}

TEST(definition_checks)
{
	expect_invalid(unknown_key, "\"separator\"");
	expect_invalid(unknown_role, "\"date_of_birth\"");
	expect_invalid(no_family, "\"family_name\"");
	expect_invalid(bad_mode, "\"mode\"");
	expect_invalid(bad_format, "\"date_format\"");
	expect_invalid(column_not_string, "\"npi\"");
	expect_invalid(same_column_twice, "\"detail\"");
	expect_invalid(no_section, "\"roster_csv\"");
	expect_invalid(with_terms, "\"terms\"");
	expect_invalid(reads_licence, "\"license_number\"");
	expect_invalid(state_not_read, "\"license_region\"");
}

static const char *const header[] = {
	"LASTNAME", "FIRSTNAME", "MIDNAME",  "BUSNAME",  "GENERAL",    "SPECIALTY",
	"UPIN",     "NPI",       "DOB",      "ADDRESS",  "CITY",       "STATE",
	"ZIP",      "EXCLTYPE",  "EXCLDATE", "REINDATE", "WAIVERDATE", "WVRSTATE",
};
#define NCOLS (sizeof(header) / sizeof(header[0]))

static struct verifier_set *leie;

static const struct verifier *leie_v(void)
{
	return verifier_lookup(leie, "us-oig-leie");
}

/* A LEIE record from its parts (the rest empty). */
struct rec {
	const char *fields[NCOLS];
	size_t lens[NCOLS];
};

static void rec_make(struct rec *r, const char *last, const char *first, const char *npi,
		     const char *state, const char *type, const char *excl, const char *rein)
{
	for (size_t i = 0; i < NCOLS; i++)
		r->fields[i] = "";
	r->fields[0] = last;
	r->fields[1] = first;
	r->fields[7] = npi;
	r->fields[11] = state;
	r->fields[13] = type;
	r->fields[14] = excl;
	r->fields[15] = rein;
	for (size_t i = 0; i < NCOLS; i++)
		r->lens[i] = strlen(r->fields[i]);
}

static enum err map(const struct rec *r, size_t n, struct roster_row *row, char *why)
{
	struct roster_map m;
	char hwhy[256];

	if (roster_map_header(leie_v(), header, NCOLS, &m, hwhy, sizeof(hwhy)) != ERR_OK)
		return ERR_INTERNAL;
	return roster_map_record(leie_v(), &m, TODAY, r->fields, r->lens, n, row, why, 256);
}

TEST(header_mapping)
{
	struct roster_map m;
	const char *h[NCOLS];
	char why[256] = "";

	CHECK(roster_map_header(leie_v(), header, NCOLS, &m, why, sizeof(why)) == ERR_OK);
	CHECK(m.ncolumns == NCOLS);
	CHECK(m.column[ROSTER_FAMILY_NAME] == 0);
	CHECK(m.column[ROSTER_NPI] == 7);
	CHECK(m.column[ROSTER_STATE] == 11);
	CHECK(m.column[ROSTER_REINSTATED_ON] == 15);
	memcpy(h, header, sizeof(h));
	h[7] = "NPI_NUMBER";
	CHECK(roster_map_header(leie_v(), h, NCOLS, &m, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "\"NPI\"") != NULL);
	h[7] = "NPI";
	h[3] = "LASTNAME";
	CHECK(roster_map_header(leie_v(), h, NCOLS, &m, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "twice") != NULL);
}

TEST(row_mapping)
{
	struct roster_row row;
	struct rec r;
	char why[256] = "";

	rec_make(&r, "QUARTERMAINE", "ALDOUS", "1900000013", "IL", "1128a1", "20190418",
		 "00000000");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK_STREQ(row.entry.npi, "1900000013");
	CHECK_STREQ(row.entry.family_name, "QUARTERMAINE");
	CHECK_STREQ(row.entry.given_name, "ALDOUS");
	CHECK_STREQ(row.entry.state, "IL");
	CHECK_STREQ(row.entry.listed_on, "2019-04-18");
	CHECK(!row.entry.reinstated);
	CHECK_STREQ(row.entry.detail, "1128a1");
	/* names normalised as compare.h does; NPI zeros and empty are none */
	rec_make(&r, "Müller-Zimmer", "José", "0000000000", " or ", " 1128b4 ", "", "");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK(row.entry.npi == NULL);
	CHECK_STREQ(row.entry.family_name, "MULLERZIMMER");
	CHECK_STREQ(row.entry.given_name, "JOSE");
	CHECK_STREQ(row.entry.state, "OR");
	CHECK(row.entry.listed_on == NULL);
	CHECK_STREQ(row.entry.detail, "1128b4");
	rec_make(&r, "O'HALLORAN-SMYTHE", "DELPHINE", "", "NY", "", "20171109", "");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK(row.entry.npi == NULL);
	CHECK_STREQ(row.entry.family_name, "OHALLORANSMYTHE");
	/* reinstated on or before the day of the load; one dated later is not yet */
	rec_make(&r, "VANTREMONT", "CORNELIUS", "1900000021", "TX", "1128a1", "20150301",
		 "20210601");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK(row.entry.reinstated);
	rec_make(&r, "X", "Y", "1900000021", "TX", "1128a1", "20150301", "20260601");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK(row.entry.reinstated);
	rec_make(&r, "X", "Y", "1900000021", "TX", "1128a1", "20150301", "20260602");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK(!row.entry.reinstated);
	/* control characters in the detail do not reach the database */
	rec_make(&r, "X", "Y", "", "TX", "a\tb\nc", "", "");
	CHECK(map(&r, NCOLS, &row, why) == ERR_OK);
	CHECK_STREQ(row.entry.detail, "a b c");
}

TEST(rows_skipped)
{
	struct roster_row row;
	struct rec r;
	char why[256] = "";
	const char *blank[1] = {""};
	size_t zero[1] = {0};
	struct roster_map m;

	/* LEIE entities: a business name and no LASTNAME */
	rec_make(&r, "", "", "0000000000", "FL", "1128b7", "20180101", "00000000");
	r.fields[3] = "ACME HOME HEALTH, LLC";
	r.lens[3] = strlen(r.fields[3]);
	CHECK(map(&r, NCOLS, &row, why) == ERR_NOT_FOUND);
	rec_make(&r, " - ", "", "", "FL", "", "", "");
	CHECK(map(&r, NCOLS, &row, why) == ERR_NOT_FOUND);
	/* an empty line */
	CHECK(roster_map_header(leie_v(), header, NCOLS, &m, why, sizeof(why)) == ERR_OK);
	CHECK(roster_map_record(leie_v(), &m, TODAY, blank, zero, 1, &row, why, sizeof(why)) ==
	      ERR_NOT_FOUND);
}

/* The record is refused; why names column (when given) and never value. */
static void expect_bad(struct rec *r, size_t n, const char *column, const char *value)
{
	struct roster_row row;
	char why[256] = "";

	memset(&row, 0x5A, sizeof(row));
	CHECK(map(r, n, &row, why) == ERR_INVALID);
	CHECK(row.family_name[0] == 0x5A); /* untouched */
	if (column != NULL && strstr(why, column) == NULL) {
		fprintf(stderr, "  why \"%s\" does not name %s\n", why, column);
		CHECK(0);
	}
	if (value != NULL && value[0] != '\0' && strstr(why, value) != NULL) {
		fprintf(stderr, "  why \"%s\" holds the value\n", why);
		CHECK(0);
	}
}

TEST(rows_refused)
{
	struct rec r;

	rec_make(&r, "SECRETNAME", "A", "12345", "TX", "", "", "");
	expect_bad(&r, NCOLS, "\"NPI\"", "12345");
	rec_make(&r, "SECRETNAME", "A", "19000000131", "TX", "", "", "");
	expect_bad(&r, NCOLS, "\"NPI\"", "19000000131");
	rec_make(&r, "SECRETNAME", "A", "", "TX", "", "20191341", "");
	expect_bad(&r, NCOLS, "\"EXCLDATE\"", "20191341");
	rec_make(&r, "SECRETNAME", "A", "", "TX", "", "2019-04-18", "");
	expect_bad(&r, NCOLS, "\"EXCLDATE\"", "2019-04-18");
	rec_make(&r, "SECRETNAME", "A", "", "TX", "", "", "2019041");
	expect_bad(&r, NCOLS, "\"REINDATE\"", "2019041");
	rec_make(&r, "SECRETNAME", "A", "", "TX", "", "", "");
	expect_bad(&r, NCOLS - 1, "17 fields where the header has 18", "SECRETNAME");
	rec_make(&r, "SECRET\xC3(NAME", "A", "", "TX", "", "", "");
	expect_bad(&r, NCOLS, "\"LASTNAME\"", "SECRET");
	rec_make(&r, "SECRETNAME", "\xED\xA0\x80", "", "TX", "", "", ""); /* a surrogate */
	expect_bad(&r, NCOLS, "\"FIRSTNAME\"", NULL);
	rec_make(&r, "SECRETNAME", "\xC0\xAF", "", "TX", "", "", ""); /* overlong */
	expect_bad(&r, NCOLS, "\"FIRSTNAME\"", NULL);
}

static void iso_dates(json_t *doc)
{
	json_object_set_new(section(doc), "date_format", json_string("YYYY-MM-DD"));
}

static void us_date_format(json_t *doc)
{
	json_object_set_new(section(doc), "date_format", json_string("MM/DD/YYYY"));
}

/* The extract's date from its file name (the RPPS's attribution). */
TEST(extract_date)
{
	char d[11];

	roster_extract_date("/srv/PS_LibreAcces_Personne_activite_202612011732.txt", d);
	CHECK_STREQ(d, "2026-12-01");
	roster_extract_date("export_20261201.csv", d);
	CHECK_STREQ(d, "2026-12-01");
	roster_extract_date("/data/20261201/UPDATED.csv", d); /* a directory's is not the file's */
	CHECK_STREQ(d, "");
	roster_extract_date("SAM_Exclusions_Public_Extract_V2_26341.CSV", d);
	CHECK_STREQ(d, "");
	roster_extract_date("v12345678_20250229_20240229.txt", d); /* the first that is a date */
	CHECK_STREQ(d, "2024-02-29");
	roster_extract_date("x_2026120117321.txt", d); /* 13 digits: no date */
	CHECK_STREQ(d, "");
	roster_extract_date(NULL, d);
	CHECK_STREQ(d, "");
}

/* db_roster_pick(), the match both PostgreSQL's rows and a roster read
 * into memory go through: the rule, then the preference - not
 * reinstated, by NPI, earliest listed, an undated one last. */
TEST(pick)
{
	struct roster_hit rows[6] = {
		{.npi = "1900000013",
		 .family_name = "A",
		 .listed_on = "2019-01-01",
		 .reinstated = true},
		{.npi = "", .family_name = "A", .given_name = "B", .state = "IL", .listed_on = ""},
		{.npi = "",
		 .family_name = "A",
		 .given_name = "B",
		 .state = "IL",
		 .listed_on = "2018-05-05"},
		{.npi = "1900000013", .family_name = "Z", .listed_on = "2020-01-01"},
		{.npi = "1900000021", .family_name = "A", .given_name = "B", .state = "IL"},
		{.npi = "", .family_name = "A", .given_name = "B", .state = "TX"},
	};
	struct roster_query by_both = {"1900000013", "A", "B", "IL"};
	struct roster_query by_name = {NULL, "A", "B", "IL"};
	struct roster_query none = {"1900000039", "A", "B", "NY"};
	struct roster_hit hit;

	CHECK(db_roster_pick(&by_both, rows, 6, &hit) == ERR_OK);
	CHECK(hit.by_npi && strcmp(hit.family_name, "Z") == 0); /* in force, by NPI */
	CHECK(db_roster_pick(&by_both, rows, 3, &hit) == ERR_OK);
	CHECK(!hit.by_npi && strcmp(hit.listed_on, "2018-05-05") == 0); /* not reinstated */
	CHECK(db_roster_pick(&by_name, rows, 6, &hit) == ERR_OK);
	CHECK(!hit.by_npi && strcmp(hit.listed_on, "2018-05-05") == 0); /* dated first */
	CHECK(db_roster_pick(&by_name, rows, 2, &hit) == ERR_OK);
	CHECK(hit.listed_on[0] == '\0');
	memset(&hit, 0x5A, sizeof(hit));
	CHECK(db_roster_pick(&none, rows, 6, &hit) == ERR_NOT_FOUND);
	CHECK(hit.npi[0] == 0x5A);                         /* untouched */
	CHECK(!db_roster_row_matches(&by_name, &rows[4])); /* a row with an NPI: by NPI only */
	CHECK(db_roster_row_matches(&by_both, &rows[0]));
}

/* SAM.gov's MM/DD/YYYY, and its Termination Date "Indefinite" (no end). */
TEST(us_dates)
{
	struct verifier_set *us = NULL;
	const struct verifier *v;
	char d[11], why[512];

	CHECK(load(us_date_format, &us, why, sizeof(why)) == ERR_OK);
	v = verifier_lookup(us, "us-oig-leie");
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK(roster_parse_date(v, "04/18/2019", d) == ERR_OK);
		CHECK_STREQ(d, "2019-04-18");
		CHECK(roster_parse_date(v, " 02/29/2020 ", d) == ERR_OK);
		CHECK_STREQ(d, "2020-02-29");
		CHECK(roster_parse_date(v, "Indefinite", d) == ERR_OK);
		CHECK_STREQ(d, "");
		CHECK(roster_parse_date(v, "INDEFINITE", d) == ERR_OK);
		CHECK_STREQ(d, "");
		CHECK(roster_parse_date(v, "", d) == ERR_OK);
		CHECK_STREQ(d, "");
		CHECK(roster_parse_date(v, "02/29/2019", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "18/04/2019", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "2019-04-18", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "4/18/2019", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "04-18-2019", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "Indefinitely", d) == ERR_INVALID);
	}
	verifier_set_free(us);
}

TEST(dates)
{
	struct verifier_set *iso = NULL;
	const struct verifier *v = leie_v();
	char d[11], why[512];

	CHECK(roster_parse_date(v, "20190418", d) == ERR_OK);
	CHECK_STREQ(d, "2019-04-18");
	CHECK(roster_parse_date(v, " 20200229 ", d) == ERR_OK);
	CHECK_STREQ(d, "2020-02-29");
	CHECK(roster_parse_date(v, "20000229", d) == ERR_OK);
	CHECK(roster_parse_date(v, "00000000", d) == ERR_OK);
	CHECK_STREQ(d, "");
	CHECK(roster_parse_date(v, "", d) == ERR_OK);
	CHECK_STREQ(d, "");
	CHECK(roster_parse_date(v, "0000-00-00", d) == ERR_OK);
	CHECK_STREQ(d, "");
	memcpy(d, "untouched", 10);
	CHECK(roster_parse_date(v, "20190229", d) == ERR_INVALID);
	CHECK_STREQ(d, "untouched");
	CHECK(roster_parse_date(v, "19000229", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "20191301", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "20190400", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "20190431", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "09990101", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "2019-04-18", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "2019041x", d) == ERR_INVALID);
	CHECK(roster_parse_date(v, "+2019041", d) == ERR_INVALID);
	CHECK(load(iso_dates, &iso, why, sizeof(why)) == ERR_OK);
	v = verifier_lookup(iso, "us-oig-leie");
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK(roster_parse_date(v, "2019-04-18", d) == ERR_OK);
		CHECK_STREQ(d, "2019-04-18");
		CHECK(roster_parse_date(v, "2019-12-31", d) == ERR_OK);
		CHECK(roster_parse_date(v, "20190418", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "2019-4-18", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "2019-04-1a", d) == ERR_INVALID);
		CHECK(roster_parse_date(v, "00000000", d) == ERR_OK);
		CHECK_STREQ(d, "");
	}
	verifier_set_free(iso);
}

/* The sample file through the parser and the mapping, as a load does. */
struct sample {
	struct roster_map map;
	bool have_header;
	int entries, skipped, with_npi, reinstated;
	char last_detail[ROSTER_DETAIL_MAX];
};

static enum err on_sample(void *ctx, size_t line, const char *const *fields, const size_t *lens,
			  size_t n)
{
	struct sample *s = ctx;
	struct roster_row row;
	char why[256] = "";
	enum err err;

	if (!s->have_header) {
		s->have_header = true;
		return roster_map_header(leie_v(), fields, n, &s->map, why, sizeof(why));
	}
	err = roster_map_record(leie_v(), &s->map, TODAY, fields, lens, n, &row, why, sizeof(why));
	if (err == ERR_NOT_FOUND) {
		s->skipped++;
		return ERR_OK;
	}
	if (err != ERR_OK) {
		fprintf(stderr, "  line %zu: %s\n", line, why);
		return err;
	}
	s->entries++;
	s->with_npi += row.entry.npi != NULL;
	s->reinstated += row.entry.reinstated;
	return ERR_OK;
}

TEST(sample_file)
{
	static char buf[16384];
	struct csv_parser *p = NULL;
	struct sample s = {0};
	FILE *f = fopen(LEIE_SAMPLE, "rb");
	size_t len = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f != NULL)
		fclose(f);
	CHECK(len > 0 && len < sizeof(buf));
	CHECK(csv_parser_new(on_sample, &s, &p) == ERR_OK);
	CHECK(csv_feed(p, buf, len) == ERR_OK);
	CHECK(csv_finish(p) == ERR_OK);
	csv_parser_free(p);
	CHECK(s.have_header);
	CHECK(s.entries == 11); /* thirteen rows, two of them entities */
	CHECK(s.skipped == 2);
	CHECK(s.with_npi == 7);
	CHECK(s.reinstated == 2); /* the third, dated 2099, is not yet */
}

/* An RPPS-shaped presence roster: '|' with a trailing one, accented
 * header names, the register's own number matched with "rpps". */
static const char rpps_def[] =
	"{\"name\": \"fr-rpps-test\", \"display_name\": \"RPPS test\", \"kind\": \"roster_csv\","
	" \"countries\": [\"FR\"], \"fields\": [\"rpps\", \"family_name\", \"given_name\"],"
	" \"roster_csv\": {\"mode\": \"presence\", \"delimiter\": \"|\", \"quoting\": false,"
	" \"trailing_delimiter\": true, \"identifier_field\": \"rpps\", \"columns\": {"
	" \"identifier\": \"Identifiant PP\", \"family_name\": \"Nom d'exercice\","
	" \"given_name\": \"Pr\u00e9nom d'exercice\"}}}";

/* rpps_def with key of its section set to value (JSON; NULL deletes). */
static enum err load_rpps(const char *key, const char *value, struct verifier_set **ret_set,
			  char *why)
{
	json_t *doc = json_loads(rpps_def, 0, NULL);

	if (key != NULL && value == NULL)
		json_object_del(section(doc), key);
	else if (key != NULL)
		json_object_set_new(section(doc), key, json_loads(value, JSON_DECODE_ANY, NULL));
	return verifier_set_from_json(doc, "fr-rpps-test.json", cat, ret_set, why, 256);
}

TEST(file_format_and_identifier)
{
	static const char *const head[] = {"Type d'identifiant PP", "Identifiant PP",
					   "Nom d'exercice", "Pr\u00e9nom d'exercice", ""};
	const char *rec[] = {"8", "10005173140", "LEF\u00c8VRE", "\u00c9lodie", ""};
	size_t lens[5];
	struct verifier_set *set = NULL;
	const struct verifier *v;
	struct roster_map m;
	struct roster_row row;
	char why[256] = "";

	CHECK(load_rpps(NULL, NULL, &set, why) == ERR_OK);
	v = verifier_set_at(set, 0);
	CHECK(v != NULL && roster_file_format(v).delimiter == '|' &&
	      !roster_file_format(v).quoting && roster_file_format(v).trailing_delimiter &&
	      roster_file_format(v).encoding == NULL);
	/* the trailing '|' makes no column */
	CHECK(roster_map_header(v, head, 5, &m, why, sizeof(why)) == ERR_OK);
	CHECK(m.ncolumns == 4 && m.column[ROSTER_IDENTIFIER] == 1);
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(rec[i]);
	CHECK(roster_map_record(v, &m, TODAY, rec, lens, 5, &row, why, sizeof(why)) == ERR_OK);
	CHECK_STREQ(row.entry.npi, "10005173140");
	CHECK_STREQ(row.entry.family_name, "LEFEVRE");
	rec[1] = "1000517314-0";
	lens[1] = strlen(rec[1]);
	CHECK(roster_map_record(v, &m, TODAY, rec, lens, 5, &row, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "Identifiant PP") != NULL && strstr(why, "1000517314") == NULL);
	verifier_set_free(set);

	set = NULL;
	CHECK(load_rpps("encoding", "\"WINDOWS-1252\"", &set, why) == ERR_OK);
	CHECK(set != NULL &&
	      strcmp(roster_file_format(verifier_set_at(set, 0)).encoding, "WINDOWS-1252") == 0);
	verifier_set_free(set);
	{
		static const struct {
			const char *key, *value, *names;
		} bad[] = {
			{"delimiter", "\"::\"", "\"delimiter\""},
			{"delimiter", "\"x\"", "\"delimiter\""},
			{"quoting", "\"no\"", "\"quoting\""},
			{"encoding", "\"UTF-16\"", "\"encoding\""},
			{"identifier_field", NULL, "\"identifier_field\""},
			{"identifier_field", "\"npi\"", "\"npi\""},
			{"mode", "\"present\"", "presence"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			set = NULL;
			CHECK(load_rpps(bad[i].key, bad[i].value, &set, why) == ERR_INVALID);
			if (strstr(why, bad[i].names) == NULL) {
				fprintf(stderr, "  %s: %s\n", bad[i].key, why);
				CHECK(0);
			}
			verifier_set_free(set);
		}
	}
}

int main(void)
{
	char why[512];

	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "cannot load the catalogue (run from the repository root): %s\n",
			why);
		return 1;
	}
	if (load(NULL, &leie, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "cannot load %s: %s\n", LEIE_DEF, why);
		return 1;
	}
	RUN(shipped_definition_loads);
	RUN(definition_checks);
	RUN(header_mapping);
	RUN(row_mapping);
	RUN(rows_skipped);
	RUN(rows_refused);
	RUN(dates);
	RUN(us_dates);
	RUN(pick);
	RUN(extract_date);
	RUN(sample_file);
	RUN(file_format_and_identifier);
	verifier_set_free(leie);
	catalogue_free(cat);
	return harness_done();
}
