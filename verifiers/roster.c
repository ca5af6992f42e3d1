/*
 * roster.c - the "roster_csv" kind (see roster.h): a roster file loaded
 * into PostgreSQL and matched locally, in one of two modes.
 *
 *   exclusion  (e.g. the OIG LEIE) a matching row that is not reinstated
 *              is OUTCOME_EXCLUDED; no such row is OUTCOME_VERIFIED.
 *   licensee   (a board's roster) a matching row is OUTCOME_VERIFIED
 *              (OUTCOME_MISMATCH when a compared name differs); none is
 *              OUTCOME_NOT_FOUND.
 *
 * A row matches by NPI, or, when the row has no NPI, by normalised family
 * name + given name + state (each of these only when the definition maps
 * its column). A listing dated after today still counts (an exclusion
 * about to take effect is worth an admin's look); a reinstatement dated
 * after the load does not count until a later load. Owns nothing beyond
 * v->priv (strings borrowed from the definition) and, during a load, its
 * fixed buffers. Never logs; reasons carry dates and the roster's detail
 * column, never a name or a number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "compare.h"
#include "crypto.h"
#include "csv.h"
#include "jsonbody.h"
#include "roster.h"
#include "validate.h"

#define COLUMN_NAME_MAX 128   /* bytes of a column name in a definition */
#define READ_CHUNK      65536 /* bytes of the file read at once */
#define REASON_DETAIL   96    /* bytes of the detail column shown in a reason */

_Static_assert(ROSTER_TEXT_MAX == COMPARE_TEXT_MAX, "stored names are compare_normalise()'s");

enum roster_mode {
	MODE_EXCLUSION,
	MODE_LICENSEE,
};

enum date_format {
	DATE_ISO,      /* YYYY-MM-DD */
	DATE_YYYYMMDD, /* LEIE's */
};

struct roster_priv {
	enum roster_mode mode;
	enum date_format date_format;
	const char
		*columns[ROSTER_ROLES]; /* header names, borrowed from the definition; NULL: none */
};

extern const struct verifier_ops verifier_roster_csv;

static const char *const role_names[ROSTER_ROLES] = {
	"npi",   "family_name", "given_name",    "middle_name",
	"state", "listed_on",   "reinstated_on", "detail",
};

/* The professional's field a role is matched with; NULL: none. */
static const char *const role_fields[ROSTER_ROLES] = {
	"npi", "family_name", "given_name", NULL, "license_region", NULL, NULL, NULL,
};

bool roster_is(const struct verifier *v)
{
	return v != NULL && v->ops == &verifier_roster_csv;
}

/* Is the field one a roster verifier reads? */
static bool field_read(const char *name)
{
	for (int r = 0; r < ROSTER_ROLES; r++)
		if (role_fields[r] != NULL && strcmp(role_fields[r], name) == 0)
			return true;
	return false;
}

/* A column name: non-empty text without control characters. */
static bool column_name_ok(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > COLUMN_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return false;
	return true;
}

/* Fills p->columns from the "columns" object. */
static enum err init_columns(struct roster_priv *p, json_t *columns, char *why, size_t why_len)
{
	const char *key;
	json_t *value;

	if (!json_is_object(columns)) {
		snprintf(why, why_len,
			 "\"roster_csv\": \"columns\" must be an object {role: column}");
		return ERR_INVALID;
	}
	json_object_foreach (columns, key, value) {
		const char *name = json_string_value(value);
		int r;

		for (r = 0; r < ROSTER_ROLES && strcmp(role_names[r], key) != 0; r++)
			;
		if (r == ROSTER_ROLES) {
			snprintf(why, why_len,
				 "\"roster_csv\": \"columns\": \"%.64s\" is not a role (npi, "
				 "family_name, given_name, middle_name, state, listed_on, "
				 "reinstated_on, detail)",
				 key);
			return ERR_INVALID;
		}
		if (!column_name_ok(name)) {
			snprintf(why, why_len,
				 "\"roster_csv\": \"columns\": \"%s\" must name a column (1 to %d "
				 "bytes, no control characters)",
				 key, COLUMN_NAME_MAX);
			return ERR_INVALID;
		}
		for (int o = 0; o < ROSTER_ROLES; o++)
			if (p->columns[o] != NULL && strcmp(p->columns[o], name) == 0) {
				snprintf(
					why, why_len,
					"\"roster_csv\": \"columns\": \"%s\" names the same column "
					"as \"%s\"",
					key, role_names[o]);
				return ERR_INVALID;
			}
		p->columns[r] = name;
	}
	if (p->columns[ROSTER_FAMILY_NAME] == NULL) {
		snprintf(why, why_len, "\"roster_csv\": \"columns\": \"family_name\" is required");
		return ERR_INVALID;
	}
	return ERR_OK;
}

static enum err roster_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {"mode", "columns", "date_format", NULL};
	struct roster_priv *p = v->priv;
	const char *bad = NULL, *mode, *format;
	enum err err;

	if (!json_is_object(conf)) {
		snprintf(why, why_len,
			 "\"roster_csv\": required, an object with \"mode\" and \"columns\"");
		return ERR_INVALID;
	}
	if (!json_only_keys(conf, keys, &bad)) {
		snprintf(why, why_len, "\"roster_csv\": \"%.64s\" is not a known key", bad);
		return ERR_INVALID;
	}
	mode = json_string_value(json_object_get(conf, "mode"));
	if (mode != NULL && strcmp(mode, "exclusion") == 0) {
		p->mode = MODE_EXCLUSION;
	} else if (mode != NULL && strcmp(mode, "licensee") == 0) {
		p->mode = MODE_LICENSEE;
	} else {
		snprintf(why, why_len, "\"roster_csv\": \"mode\" must be exclusion or licensee");
		return ERR_INVALID;
	}
	format = json_string_value(json_object_get(conf, "date_format"));
	if (json_object_get(conf, "date_format") == NULL ||
	    (format != NULL && strcmp(format, "YYYY-MM-DD") == 0)) {
		p->date_format = DATE_ISO;
	} else if (format != NULL && strcmp(format, "YYYYMMDD") == 0) {
		p->date_format = DATE_YYYYMMDD;
	} else {
		snprintf(why, why_len,
			 "\"roster_csv\": \"date_format\" must be YYYYMMDD or YYYY-MM-DD");
		return ERR_INVALID;
	}
	err = init_columns(p, json_object_get(conf, "columns"), why, why_len);
	if (err != ERR_OK)
		return err;
	/* it reads what it matches on, and nothing else */
	for (size_t i = 0; i < v->nfields + v->ncompares; i++) {
		const char *f = i < v->nfields ? v->fields[i] : v->compares[i - v->nfields];

		if (!field_read(f)) {
			snprintf(why, why_len,
				 "\"%s\": \"%s\" is not read by a roster verifier (npi, "
				 "family_name, given_name, license_region)",
				 i < v->nfields ? "fields" : "compares", f);
			return ERR_INVALID;
		}
	}
	for (int r = 0; r < ROSTER_ROLES; r++)
		if (p->columns[r] != NULL && role_fields[r] != NULL &&
		    !verifier_names_have(v->fields, v->nfields, role_fields[r]) &&
		    !verifier_names_have(v->compares, v->ncompares, role_fields[r])) {
			snprintf(why, why_len,
				 "\"fields\": must list \"%s\" (\"roster_csv\": \"columns\" maps "
				 "\"%s\")",
				 role_fields[r], role_names[r]);
			return ERR_INVALID;
		}
	return ERR_OK;
}

/* Is s[0..len) well-formed UTF-8 (no overlong forms, no surrogates)? */
static bool utf8_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (len - i <= n)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* Up to max - 1 bytes of the UTF-8 text s[0..len) into out, cut at a
 * character boundary. */
static void utf8_cut(const char *s, size_t len, char *out, size_t max)
{
	size_t n = len < max - 1 ? len : max - 1;

	if (n < len)
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* s[0..*len) without leading and trailing spaces and tabs. */
static const char *trim(const char *s, size_t *len)
{
	while (*len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

static bool all_of(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (strchr(set, s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

static enum err parse_date(enum date_format format, const char *s, size_t len, char out[11])
{
	s = trim(s, &len);
	/* no date: "", LEIE's 00000000, or its ISO spelling */
	if (len == 0 || ((len == 8 || len == 10) && all_of(s, len, "0-") &&
			 (len == 8 ? all_of(s, len, "0") : s[4] == '-' && s[7] == '-'))) {
		out[0] = '\0';
		return ERR_OK;
	}
	if (format == DATE_YYYYMMDD) {
		if (len != 8 || !all_of(s, len, "0123456789"))
			return ERR_INVALID;
		/* the digits as they are, in ISO form, for the one date check */
		memcpy(out, s, 4);
		out[4] = '-';
		memcpy(out + 5, s + 4, 2);
		out[7] = '-';
		memcpy(out + 8, s + 6, 2);
	} else {
		if (len != 10)
			return ERR_INVALID;
		memcpy(out, s, 10);
	}
	out[10] = '\0';
	return validate_date(out) ? ERR_OK : ERR_INVALID;
}

enum err roster_parse_date(const struct verifier *v, const char *s, char ret_date[11])
{
	const struct roster_priv *p = v->priv;
	char out[11];
	enum err err = parse_date(p->date_format, s, strlen(s), out);

	if (err == ERR_OK)
		memcpy(ret_date, out, sizeof(out));
	return err;
}

enum err roster_map_header(const struct verifier *v, const char *const *fields, size_t n,
			   struct roster_map *ret_map, char *why, size_t why_len)
{
	const struct roster_priv *p = v->priv;
	struct roster_map map = {.ncolumns = n};

	for (int r = 0; r < ROSTER_ROLES; r++) {
		map.column[r] = -1;
		for (size_t i = 0; p->columns[r] != NULL && i < n; i++) {
			if (strcmp(fields[i], p->columns[r]) != 0)
				continue;
			if (map.column[r] >= 0) {
				snprintf(why, why_len, "the header has the column \"%s\" twice",
					 p->columns[r]);
				return ERR_INVALID;
			}
			map.column[r] = (int)i;
		}
		if (p->columns[r] != NULL && map.column[r] < 0) {
			snprintf(why, why_len, "the header has no column \"%s\" (%s)",
				 p->columns[r], role_names[r]);
			return ERR_INVALID;
		}
	}
	*ret_map = map;
	return ERR_OK;
}

/* The detail column for admins: control characters as spaces, cut. */
static void detail_of(const char *s, size_t len, char out[ROSTER_DETAIL_MAX])
{
	s = trim(s, &len);
	utf8_cut(s, len, out, ROSTER_DETAIL_MAX);
	for (char *c = out; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7F)
			*c = ' ';
}

enum err roster_map_record(const struct verifier *v, const struct roster_map *map,
			   const char *today, const char *const *fields, const size_t *lens,
			   size_t n, struct roster_row *ret_row, char *why, size_t why_len)
{
	const struct roster_priv *p = v->priv;
	struct roster_row row;
	char reinstated[11] = "";
	const int *col = map->column;
	const char *s;
	size_t len;
	int bad = -1;

	if (n == 1 && lens[0] == 0)
		return ERR_NOT_FOUND; /* an empty line */
	if (n != map->ncolumns) {
		snprintf(why, why_len, "%zu fields where the header has %zu", n, map->ncolumns);
		return ERR_INVALID;
	}
	for (int r = 0; r < ROSTER_ROLES; r++)
		if (col[r] >= 0 && !utf8_ok(fields[col[r]], lens[col[r]])) {
			snprintf(why, why_len, "column \"%s\" is not UTF-8 text (convert the file)",
				 p->columns[r]);
			return ERR_INVALID;
		}
	memset(&row, 0, sizeof(row));
	compare_normalise(fields[col[ROSTER_FAMILY_NAME]], row.family_name);
	if (row.family_name[0] == '\0')
		return ERR_NOT_FOUND; /* not an individual (LEIE's entities) */
	if (col[ROSTER_GIVEN_NAME] >= 0)
		compare_normalise(fields[col[ROSTER_GIVEN_NAME]], row.given_name);
	if (col[ROSTER_STATE] >= 0)
		compare_normalise(fields[col[ROSTER_STATE]], row.state);
	if (col[ROSTER_NPI] >= 0) {
		len = lens[col[ROSTER_NPI]];
		s = trim(fields[col[ROSTER_NPI]], &len);
		if (len == 10 && all_of(s, len, "0123456789") && !all_of(s, len, "0"))
			memcpy(row.npi, s, 10);
		else if (!all_of(s, len, "0"))
			bad = ROSTER_NPI; /* "" and "0000000000" are none */
	}
	if (bad < 0 && col[ROSTER_LISTED_ON] >= 0 &&
	    parse_date(p->date_format, fields[col[ROSTER_LISTED_ON]], lens[col[ROSTER_LISTED_ON]],
		       row.listed_on) != ERR_OK)
		bad = ROSTER_LISTED_ON;
	if (bad < 0 && col[ROSTER_REINSTATED_ON] >= 0 &&
	    parse_date(p->date_format, fields[col[ROSTER_REINSTATED_ON]],
		       lens[col[ROSTER_REINSTATED_ON]], reinstated) != ERR_OK)
		bad = ROSTER_REINSTATED_ON;
	if (bad >= 0) {
		snprintf(why, why_len, "column \"%s\" is not %s", p->columns[bad],
			 bad == ROSTER_NPI                 ? "a ten-digit NPI"
			 : p->date_format == DATE_YYYYMMDD ? "a date (YYYYMMDD)"
							   : "a date (YYYY-MM-DD)");
		return ERR_INVALID;
	}
	if (col[ROSTER_DETAIL] >= 0)
		detail_of(fields[col[ROSTER_DETAIL]], lens[col[ROSTER_DETAIL]], row.detail);
	*ret_row = row;
	ret_row->entry = (struct roster_entry){
		.npi = ret_row->npi[0] != '\0' ? ret_row->npi : NULL,
		.family_name = ret_row->family_name,
		.given_name = ret_row->given_name,
		.state = ret_row->state,
		.listed_on = ret_row->listed_on[0] != '\0' ? ret_row->listed_on : NULL,
		/* in force from its date: one dated later is not yet */
		.reinstated = reinstated[0] != '\0' && strcmp(reinstated, today) <= 0,
		.detail = ret_row->detail,
	};
	return ERR_OK;
}

/* The reason of an exclusion: its date and detail, never a name. */
static void listed_reason(const struct roster_hit *hit, char *out, size_t size)
{
	char detail[REASON_DETAIL];

	utf8_cut(hit->detail, strlen(hit->detail), detail, sizeof(detail));
	if (hit->listed_on[0] != '\0' && detail[0] != '\0')
		snprintf(out, size, "listed %s %s (%s)", hit->listed_later ? "from" : "since",
			 hit->listed_on, detail);
	else if (hit->listed_on[0] != '\0')
		snprintf(out, size, "listed %s %s", hit->listed_later ? "from" : "since",
			 hit->listed_on);
	else if (detail[0] != '\0')
		snprintf(out, size, "listed (%s)", detail);
	else
		snprintf(out, size, "on the exclusion list");
}

/* The outcome for a matching row, with the compared fields. */
static enum err judge(const struct roster_priv *p, const json_t *fields, const char *npi,
		      const struct roster_hit *hit, struct verifier_result *ret_res)
{
	const char *family = json_string_value(json_object_get(fields, "family_name"));
	const char *given = json_string_value(json_object_get(fields, "given_name"));
	const char *region = json_string_value(json_object_get(fields, "license_region"));
	const char *differs = NULL;
	struct verifier_result res;
	char reason[VERIFIER_REASON_MAX];
	enum err err;

	if (p->mode == MODE_EXCLUSION && !hit->reinstated) {
		listed_reason(hit, reason, sizeof(reason));
		err = verifier_result_init(&res, OUTCOME_EXCLUDED, "%s", reason);
	} else if (p->mode == MODE_EXCLUSION) {
		err = verifier_result_init(&res, OUTCOME_VERIFIED, "reinstated: not excluded");
	} else {
		err = verifier_result_init(&res, OUTCOME_VERIFIED, "on the roster");
	}
	if (err != ERR_OK)
		return err;
	if (npi != NULL && hit->npi[0] != '\0')
		compare_record(res.checks, res.evidence, "npi", npi, hit->npi,
			       strcmp(npi, hit->npi) == 0, &err);
	if (family != NULL &&
	    !compare_record(res.checks, res.evidence, "family_name", family, hit->family_name,
			    compare_names(family, hit->family_name), &err))
		differs = "family name differs";
	if (p->columns[ROSTER_GIVEN_NAME] != NULL && given != NULL &&
	    !compare_record(res.checks, res.evidence, "given_name", given, hit->given_name,
			    compare_given_names(given, hit->given_name), &err) &&
	    differs == NULL)
		differs = "given name differs";
	if (p->columns[ROSTER_STATE] != NULL && region != NULL &&
	    !compare_record(res.checks, res.evidence, "license_region", region, hit->state,
			    compare_names(region, hit->state), &err) &&
	    differs == NULL)
		differs = "state differs";
	if (err != ERR_OK) {
		verifier_result_release(&res);
		return err;
	}
	/* an exclusion found by NPI stands whatever the names say (the checks
	 * show it); a licensee row must agree with the registration */
	if (p->mode == MODE_LICENSEE && differs != NULL) {
		res.outcome = OUTCOME_MISMATCH;
		snprintf(res.reason, sizeof(res.reason), "%s", differs);
	}
	*ret_res = res;
	return ERR_OK;
}

static enum err roster_check_local(const struct verifier *v, PGconn *conn, const json_t *fields,
				   struct verifier_result *ret_res)
{
	const struct roster_priv *p = v->priv;
	const char *npi = json_string_value(json_object_get(fields, "npi"));
	char family[COMPARE_TEXT_MAX], given[COMPARE_TEXT_MAX] = "", state[COMPARE_TEXT_MAX] = "";
	struct roster_query q = {0};
	struct roster_hit hit;
	bool loaded = false, by_name;
	enum err err;

	err = db_roster_loaded(conn, v->name, &loaded);
	if (err != ERR_OK)
		return err;
	if (!loaded)
		return verifier_result_init(ret_res, OUTCOME_ERROR, "roster not loaded");
	if (npi != NULL &&
	    (strlen(npi) != 10 || !all_of(npi, 10, "0123456789") || all_of(npi, 10, "0")))
		npi = NULL;
	if (p->columns[ROSTER_NPI] != NULL)
		q.npi = npi;
	compare_normalise(json_string_value(json_object_get(fields, "family_name")), family);
	by_name = family[0] != '\0';
	if (p->columns[ROSTER_GIVEN_NAME] != NULL) {
		compare_normalise(json_string_value(json_object_get(fields, "given_name")), given);
		by_name = by_name && given[0] != '\0';
	}
	if (p->columns[ROSTER_STATE] != NULL) {
		compare_normalise(json_string_value(json_object_get(fields, "license_region")),
				  state);
		by_name = by_name && state[0] != '\0';
	}
	if (by_name) {
		q.family_name = family;
		q.given_name = given;
		q.state = state;
	}
	if (q.npi == NULL && !by_name)
		return verifier_result_init(ret_res, OUTCOME_ERROR,
					    "no NPI and no full name to match");
	err = db_roster_match(conn, v->name, &q, &hit);
	if (err == ERR_NOT_FOUND)
		return p->mode == MODE_EXCLUSION
			       ? verifier_result_init(ret_res, OUTCOME_VERIFIED, "not on the list")
			       : verifier_result_init(ret_res, OUTCOME_NOT_FOUND,
						      "not on the roster");
	if (err != ERR_OK)
		return err;
	return judge(p, fields, q.npi, &hit, ret_res);
}

/* A load in progress: the file, its digest, the parser, the COPY. */
struct load {
	const struct verifier *v;
	int fd;
	EVP_MD_CTX *md;
	struct csv_parser *csv;
	struct db_roster_copy *copy; /* lent by db_roster_load() */
	struct roster_map map;
	bool have_header;
	char today[11];
	long long entries;
	unsigned char sha256[32];
	char *why;
	size_t why_len;
	struct roster_row row;
	unsigned char chunk[READ_CHUNK];
};

static enum err on_record(void *ctx, size_t line, const char *const *fields, const size_t *lens,
			  size_t n)
{
	struct load *l = ctx;
	char what[256] = "";
	enum err err;

	if (!l->have_header) {
		err = roster_map_header(l->v, fields, n, &l->map, what, sizeof(what));
		l->have_header = err == ERR_OK;
	} else {
		err = roster_map_record(l->v, &l->map, l->today, fields, lens, n, &l->row, what,
					sizeof(what));
		if (err == ERR_NOT_FOUND)
			return ERR_OK; /* skipped */
		if (err == ERR_OK) {
			err = db_roster_put(l->copy, &l->row.entry);
			l->entries += err == ERR_OK;
			if (err == ERR_INVALID)
				snprintf(what, sizeof(what), "the row cannot be stored");
		}
	}
	if (err != ERR_OK && what[0] != '\0')
		snprintf(l->why, l->why_len, "line %zu: %s", line, what);
	return err;
}

/* db_roster_producer: the file through the digest, the parser, on_record. */
static enum err produce(void *ctx, struct db_roster_copy *copy, unsigned char ret_sha256[32])
{
	struct load *l = ctx;
	unsigned int md_len = 0;
	enum err err = ERR_OK;
	ssize_t got;

	l->copy = copy;
	for (;;) {
		got = read(l->fd, l->chunk, sizeof(l->chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(l->why, l->why_len, "the file cannot be read (%s)",
				 strerror(errno));
			return ERR_IO;
		}
		if (got == 0)
			break;
		if (EVP_DigestUpdate(l->md, l->chunk, (size_t)got) != 1)
			return ERR_CRYPTO;
		err = csv_feed(l->csv, l->chunk, (size_t)got);
		if (err != ERR_OK)
			goto out;
	}
	err = csv_finish(l->csv);
	if (err != ERR_OK)
		goto out;
	if (!l->have_header || l->entries == 0) {
		snprintf(l->why, l->why_len,
			 !l->have_header ? "the file is empty"
					 : "no entries after the header line");
		return ERR_INVALID;
	}
	if (EVP_DigestFinal_ex(l->md, l->sha256, &md_len) != 1 || md_len != sizeof(l->sha256))
		return ERR_CRYPTO;
	memcpy(ret_sha256, l->sha256, sizeof(l->sha256));
out:
	if (err != ERR_OK && l->why[0] == '\0' && csv_error_text(l->csv)[0] != '\0')
		snprintf(l->why, l->why_len, "line %zu: %s", csv_error_line(l->csv),
			 csv_error_text(l->csv));
	return err;
}

enum err roster_load(PGconn *conn, const struct verifier *v, const char *path,
		     struct roster_report *ret_report, char *why, size_t why_len)
{
	struct load *l = NULL;
	struct roster_report report = {0};
	struct db_roster_target t = {0};
	char *countries = NULL, *professions = NULL;
	time_t now = time(NULL);
	struct tm tm;
	enum err err = ERR_NOMEM;

	why[0] = '\0';
	if (!roster_is(v)) {
		snprintf(why, why_len, "not a roster_csv verifier");
		return ERR_INVALID;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ERR_NOMEM;
	l->v = v;
	l->why = why;
	l->why_len = why_len;
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0) {
		snprintf(why, why_len, "%s: cannot open (%s)", path, strerror(errno));
		err = ERR_IO;
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(l->today, sizeof(l->today), "%Y-%m-%d", &tm);
	l->md = EVP_MD_CTX_new();
	countries = json_dumps(v->countries, JSON_COMPACT);
	professions =
		v->professions != NULL ? json_dumps(v->professions, JSON_COMPACT) : strdup("[]");
	if (l->md == NULL || countries == NULL || professions == NULL ||
	    csv_parser_new(on_record, l, &l->csv) != ERR_OK)
		goto out;
	if (EVP_DigestInit_ex(l->md, EVP_sha256(), NULL) != 1) {
		err = ERR_CRYPTO;
		goto out;
	}
	t.name = v->name;
	t.countries = countries;
	t.professions = professions;
	err = db_roster_load(conn, &t, produce, l, &report.entries, &report.queued);
	if (err != ERR_OK)
		goto out;
	crypto_hex(l->sha256, sizeof(l->sha256), report.sha256);
	*ret_report = report;
out:
	if (l->fd >= 0)
		close(l->fd);
	csv_parser_free(l->csv);
	EVP_MD_CTX_free(l->md);
	free(countries);
	free(professions);
	free(l);
	return err;
}

const struct verifier_ops verifier_roster_csv = {
	.kind = "roster_csv",
	.transport = TRANSPORT_LOCAL,            /* matched in PostgreSQL: nothing is sent */
	.priv_size = sizeof(struct roster_priv), /* mode, date format, column names */
	.init = roster_init,                     /* the "roster_csv" section and the fields */
	.build_request = NULL,                   /* local */
	.parse_reply = NULL,                     /* local */
	.check_local = roster_check_local,       /* NPI, else name + state, in roster_entries */
	.cleanup = NULL,                         /* priv only borrows from the definition */
};
