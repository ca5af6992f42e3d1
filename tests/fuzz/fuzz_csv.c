/*
 * fuzz_csv.c - bytes through the streaming CSV parser, whole and in
 * chunks whose sizes come from the input, and every record through the
 * us-oig-leie row mapping, as `hcpd roster load` runs them. Properties
 * beyond not crashing: chunking changes neither the records nor the
 * error (nor its line); fields respect the caps and hold no NUL; a mapped
 * entry is within the limits db_roster_put() checks, its text UTF-8
 * without control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "csv.h"
#include "fuzz.h"
#include "roster.h"

static struct catalogue *cat;
static struct verifier_set *set;
static const struct verifier *leie;
static struct roster_map leie_map;

static const char *const header[] = {
	"LASTNAME", "FIRSTNAME", "MIDNAME",  "BUSNAME",  "GENERAL",    "SPECIALTY",
	"UPIN",     "NPI",       "DOB",      "ADDRESS",  "CITY",       "STATE",
	"ZIP",      "EXCLTYPE",  "EXCLDATE", "REINDATE", "WAIVERDATE", "WVRSTATE",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[512];
	json_t *doc;

	(void)argc;
	(void)argv;
	/* run from the repository root */
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK)
		abort();
	doc = json_load_file("verifiers/registries/us-oig-leie.json", 0, NULL);
	if (doc == NULL ||
	    verifier_set_from_json(doc, "us-oig-leie.json", cat, &set, why, sizeof(why)) != ERR_OK)
		abort();
	leie = verifier_lookup(set, "us-oig-leie");
	if (leie == NULL || roster_map_header(leie, header, sizeof(header) / sizeof(header[0]),
					      &leie_map, why, sizeof(why)) != ERR_OK)
		abort();
	return 0;
}

/* What one pass saw: a running hash of every record, and their count. */
struct pass {
	uint64_t hash;
	size_t records;
	bool map; /* also map each record */
};

static uint64_t mix(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL; /* FNV-1a */
	return h;
}

static bool clean_text(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len >= max)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	return true;
}

static void check_row(const struct roster_row *row)
{
	const struct roster_entry *e = &row->entry;

	EXPECT(e->family_name != NULL && e->family_name[0] != '\0');
	EXPECT(clean_text(e->family_name, ROSTER_TEXT_MAX));
	EXPECT(clean_text(e->given_name, ROSTER_TEXT_MAX));
	EXPECT(clean_text(e->state, ROSTER_TEXT_MAX));
	EXPECT(clean_text(e->detail, ROSTER_DETAIL_MAX));
	EXPECT(e->npi == NULL || (strlen(e->npi) == 10 && strspn(e->npi, "0123456789") == 10 &&
				  strcmp(e->npi, "0000000000") != 0));
	EXPECT(e->listed_on == NULL ||
	       (strlen(e->listed_on) == 10 && e->listed_on[4] == '-' && e->listed_on[7] == '-'));
}

static enum err on_record(void *ctx, size_t line, const char *const *fields, const size_t *lens,
			  size_t n)
{
	struct pass *p = ctx;

	EXPECT(n >= 1 && n <= CSV_FIELDS_MAX);
	p->records++;
	p->hash = mix(p->hash, &line, sizeof(line));
	p->hash = mix(p->hash, &n, sizeof(n));
	for (size_t i = 0; i < n; i++) {
		EXPECT(lens[i] <= CSV_FIELD_MAX);
		EXPECT(strlen(fields[i]) == lens[i]);
		p->hash = mix(p->hash, &lens[i], sizeof(lens[i]));
		p->hash = mix(p->hash, fields[i], lens[i]);
	}
	if (p->map) {
		struct roster_row row;
		char why[256] = "";
		enum err err = roster_map_record(leie, &leie_map, "2026-01-01", fields, lens, n,
						 &row, why, sizeof(why));

		EXPECT(err == ERR_OK || err == ERR_NOT_FOUND || err == ERR_INVALID);
		if (err == ERR_OK)
			check_row(&row);
		if (err == ERR_INVALID)
			EXPECT(why[0] != '\0');
	}
	return ERR_OK;
}

/* One pass over data in chunks of chunk bytes (0: at once). */
static enum err run(const uint8_t *data, size_t size, size_t chunk, struct pass *p,
		    size_t *ret_line)
{
	struct csv_parser *parser = NULL;
	enum err err;

	if (csv_parser_new(on_record, p, &parser) != ERR_OK)
		return ERR_NOMEM;
	err = ERR_OK;
	for (size_t i = 0; err == ERR_OK && i<size; i += chunk> 0 ? chunk : size)
		err = csv_feed(parser, data + i, chunk > 0 && size - i > chunk ? chunk : size - i);
	if (err == ERR_OK)
		err = csv_finish(parser);
	*ret_line = err != ERR_OK ? csv_error_line(parser) : 0;
	if (err != ERR_OK)
		EXPECT(csv_error_text(parser)[0] != '\0');
	csv_parser_free(parser);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pass whole = {.hash = 14695981039346656037ULL, .map = true};
	struct pass parts = {.hash = 14695981039346656037ULL};
	size_t chunk = size > 0 ? 1 + data[0] % 61 : 1, line_a, line_b;
	enum err a, b;

	a = run(data, size, 0, &whole, &line_a);
	b = run(data, size, chunk, &parts, &line_b);
	EXPECT(a == ERR_OK || a == ERR_INVALID || a == ERR_TOO_BIG);
	EXPECT(a == b && line_a == line_b);
	EXPECT(whole.records == parts.records && whole.hash == parts.hash);
	return 0;
}
