/*
 * roster.c - the "roster_csv" kind (see roster.h): a roster file loaded
 * into PostgreSQL (roster_load.c) and matched locally, in one of these
 * modes.
 *
 *   exclusion  (e.g. the OIG LEIE) a matching row that is not reinstated
 *              is OUTCOME_EXCLUDED; no such row is OUTCOME_VERIFIED.
 *   licensee   (a board's roster) a matching row is OUTCOME_VERIFIED
 *              (OUTCOME_MISMATCH when a compared name differs); none is
 *              OUTCOME_NOT_FOUND.
 *   presence   the same judgement, named for lists of the people in
 *              practice that carry no status (France's RPPS extract):
 *              listed is verified, absent is not_found.
 *
 * A row matches by NPI (or by the register's own number, the identifier
 * column, matched with the field "identifier_field" names), or, when the
 * row has none, by normalised family name + given name + state (each of
 * these only when the definition maps its column). A listing dated after today still counts (an
 * exclusion about to take effect is worth an admin's look); a reinstatement dated after the load
 * does not count until a later load. Owns nothing beyond v->priv (strings borrowed from the
 * definition) and, during a load, its fixed buffers. Never logs; reasons carry dates and the
 * roster's detail column, never a name or a number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "compare.h"
#include "jsonbody.h"
#include "lint.h"
#include "roster.h"
#include "validate.h"

#define COLUMN_NAME_MAX 128 /* bytes of a column name in a definition */
#define REASON_DETAIL   96  /* bytes of the detail column shown in a reason */

_Static_assert(ROSTER_TEXT_MAX == COMPARE_TEXT_MAX, "stored names are compare_normalise()'s");

enum roster_mode {
	MODE_EXCLUSION,
	MODE_LICENSEE,
	MODE_PRESENCE,
};

enum date_format {
	DATE_ISO,      /* YYYY-MM-DD */
	DATE_YYYYMMDD, /* LEIE's */
	DATE_US,       /* MM/DD/YYYY, SAM.gov's; "Indefinite" is no date (no end) */
};

struct roster_priv {
	enum roster_mode mode;
	enum date_format date_format;
	struct roster_format format;  /* encoding borrowed from the definition */
	const char *identifier_field; /* the field the identifier column matches; NULL: none */
	json_t *in_force;             /* the status values in force, borrowed; NULL: none */
	const char *attribution;      /* what its terms of reuse ask to cite ("RPPS"); NULL */
	const char
		*columns[ROSTER_ROLES]; /* header names, borrowed from the definition; NULL: none */
};

extern const struct verifier_ops verifier_roster_csv;

static const char *const role_names[ROSTER_ROLES] = {
	"npi",       "family_name",   "given_name", "middle_name", "state",
	"listed_on", "reinstated_on", "detail",     "identifier",  "status",
};

/* The professional's field a role is matched with; NULL: none (the
 * identifier's is the definition's "identifier_field"). */
static const char *const role_fields[ROSTER_ROLES] = {
	"npi", "family_name", "given_name", NULL, "license_region", NULL, NULL, NULL, NULL, NULL,
};

bool roster_is(const struct verifier *v)
{
	return v != NULL && v->ops == &verifier_roster_csv;
}

/* Is the field one a roster verifier reads? */
static bool field_read(const struct roster_priv *p, const char *name)
{
	if (p->identifier_field != NULL && strcmp(p->identifier_field, name) == 0)
		return true;
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
	enum err err = ERR_OK;

	if (!json_is_object(columns)) {
		lint_refuse(why, why_len,
			    "\"roster_csv\": \"columns\" must be an object {role: column}");
		return ERR_INVALID;
	}
	json_object_foreach (columns, key, value) {
		const char *name = json_string_value(value);
		int r;

		for (r = 0; r < ROSTER_ROLES && strcmp(role_names[r], key) != 0; r++)
			;
		/* each role checked, so that lint names every one at fault */
		if (r == ROSTER_ROLES) {
			err = lint_refuse(
				why, why_len,
				"\"roster_csv\": \"columns\": \"%.64s\" is not a role (npi, "
				"family_name, given_name, middle_name, state, listed_on, "
				"reinstated_on, detail, identifier, status)",
				key);
			continue;
		}
		if (!column_name_ok(name)) {
			err = lint_refuse(
				why, why_len,
				"\"roster_csv\": \"columns\": \"%s\" must name a column (1 to %d "
				"bytes, no control characters)",
				key, COLUMN_NAME_MAX);
			continue;
		}
		for (int o = 0; o < ROSTER_ROLES; o++)
			if (p->columns[o] != NULL && strcmp(p->columns[o], name) == 0)
				err = lint_refuse(
					why, why_len,
					"\"roster_csv\": \"columns\": \"%s\" names the same column "
					"as \"%s\"",
					key, role_names[o]);
		p->columns[r] = name;
	}
	if (p->columns[ROSTER_FAMILY_NAME] == NULL)
		err = lint_refuse(why, why_len,
				  "\"roster_csv\": \"columns\": \"family_name\" is required");
	return err;
}

/* delimiter, quoting, trailing_delimiter, encoding, identifier_field. */
static enum err init_format(struct roster_priv *p, json_t *conf, char *why, size_t why_len)
{
	static const char *const encodings[] = {"UTF-8", "WINDOWS-1252", "ISO-8859-1", NULL};
	const char *delimiter = json_string_value(json_object_get(conf, "delimiter"));
	const char *encoding = json_string_value(json_object_get(conf, "encoding"));
	json_t *quoting = json_object_get(conf, "quoting");
	json_t *trailing = json_object_get(conf, "trailing_delimiter");
	json_t *field = json_object_get(conf, "identifier_field");
	size_t e = 0;

	p->format.delimiter = ',';
	if (json_object_get(conf, "delimiter") != NULL) {
		if (delimiter == NULL || strlen(delimiter) != 1 ||
		    strchr(",;|\t", *delimiter) == NULL)
			goto bad;
		p->format.delimiter = *delimiter;
	}
	if ((quoting != NULL && !json_is_boolean(quoting)) ||
	    (trailing != NULL && !json_is_boolean(trailing)))
		goto bad;
	p->format.quoting = quoting == NULL || json_is_true(quoting);
	p->format.trailing_delimiter = json_is_true(trailing);
	while (encoding != NULL && encodings[e] != NULL && strcmp(encodings[e], encoding) != 0)
		e++;
	if (json_object_get(conf, "encoding") != NULL && (encoding == NULL || encodings[e] == NULL))
		goto bad;
	p->format.encoding = e > 0 ? encodings[e] : NULL;
	if (field != NULL && json_text(conf, "identifier_field", VERIFIER_NAME_MAX) == NULL)
		goto bad;
	p->identifier_field = json_string_value(field);
	return ERR_OK;
bad:
	lint_refuse(why, why_len,
		    "\"roster_csv\": \"delimiter\" must be one of , ; | or a tab, \"quoting\" and "
		    "\"trailing_delimiter\" booleans, \"encoding\" UTF-8, WINDOWS-1252 or "
		    "ISO-8859-1, \"identifier_field\" a field name");
	return ERR_INVALID;
}

/* "in_force": the status values of a record in force, with the status
 * column (and only with it). */
static enum err init_in_force(struct roster_priv *p, json_t *list, char *why, size_t why_len)
{
	json_t *item;
	size_t i;

	if ((list == NULL) != (p->columns[ROSTER_STATUS] == NULL) ||
	    (list != NULL &&
	     (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 32)))
		goto bad;
	json_array_foreach (list, i, item)
		if (!json_is_string(item) || json_string_length(item) == 0 ||
		    json_string_length(item) > 128)
			goto bad;
	p->in_force = list;
	return ERR_OK;
bad:
	lint_refuse(why, why_len,
		    "\"roster_csv\": \"in_force\" (1-32 status values) and \"columns\": "
		    "\"status\" go together");
	return ERR_INVALID;
}

struct roster_format roster_file_format(const struct verifier *v)
{
	const struct roster_priv *p = v->priv;

	return p->format;
}

static enum err roster_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {"mode",        "columns",
					   "date_format", "delimiter",
					   "quoting",     "trailing_delimiter",
					   "encoding",    "identifier_field",
					   "in_force",    "attribution",
					   NULL};
	struct roster_priv *p = v->priv;
	const char *bad = NULL, *mode, *format;
	enum err err = ERR_OK;

	if (!json_is_object(conf)) {
		lint_refuse(why, why_len,
			    "\"roster_csv\": required, an object with \"mode\" and \"columns\"");
		return ERR_INVALID;
	}
	if (!json_only_keys(conf, keys, &bad)) {
		lint_refuse(why, why_len, "\"roster_csv\": \"%.64s\" is not a known key", bad);
		return ERR_INVALID;
	}
	mode = json_string_value(json_object_get(conf, "mode"));
	if (mode != NULL && strcmp(mode, "exclusion") == 0) {
		p->mode = MODE_EXCLUSION;
	} else if (mode != NULL && strcmp(mode, "licensee") == 0) {
		p->mode = MODE_LICENSEE;
	} else if (mode != NULL && strcmp(mode, "presence") == 0) {
		p->mode = MODE_PRESENCE;
	} else {
		err = lint_refuse(
			why, why_len,
			"\"roster_csv\": \"mode\" must be exclusion, licensee or presence");
	}
	/* mode, format, date format and columns each checked, so that lint
	 * names every error; what follows reads the columns */
	if (init_format(p, conf, why, why_len) != ERR_OK)
		err = ERR_INVALID;
	format = json_string_value(json_object_get(conf, "date_format"));
	if (json_object_get(conf, "date_format") == NULL ||
	    (format != NULL && strcmp(format, "YYYY-MM-DD") == 0)) {
		p->date_format = DATE_ISO;
	} else if (format != NULL && strcmp(format, "YYYYMMDD") == 0) {
		p->date_format = DATE_YYYYMMDD;
	} else if (format != NULL && strcmp(format, "MM/DD/YYYY") == 0) {
		p->date_format = DATE_US;
	} else {
		err = lint_refuse(why, why_len,
				  "\"roster_csv\": \"date_format\" must be YYYYMMDD, YYYY-MM-DD or "
				  "MM/DD/YYYY");
	}
	if (json_object_get(conf, "attribution") != NULL &&
	    (p->attribution = json_text(conf, "attribution", 200)) == NULL)
		err = lint_refuse(
			why, why_len,
			"\"roster_csv\": \"attribution\" must be a text of 1 to 200 bytes");
	if (init_columns(p, json_object_get(conf, "columns"), why, why_len) != ERR_OK ||
	    err != ERR_OK)
		return ERR_INVALID;
	if ((p->identifier_field != NULL) != (p->columns[ROSTER_IDENTIFIER] != NULL) ||
	    (p->columns[ROSTER_IDENTIFIER] != NULL && p->columns[ROSTER_NPI] != NULL)) {
		lint_refuse(why, why_len,
			    "\"roster_csv\": \"identifier_field\" and \"columns\": \"identifier\" "
			    "go together, and not with \"npi\"");
		return ERR_INVALID;
	}
	if (init_in_force(p, json_object_get(conf, "in_force"), why, why_len) != ERR_OK)
		return ERR_INVALID;
	if (p->identifier_field != NULL &&
	    !verifier_names_have(v->fields, v->nfields, p->identifier_field)) {
		lint_refuse(why, why_len, "\"fields\": must list \"%s\" (its \"identifier_field\")",
			    p->identifier_field);
		return ERR_INVALID;
	}
	/* it reads what it matches on, and nothing else */
	for (size_t i = 0; i < v->nfields + v->ncompares; i++) {
		const char *f = i < v->nfields ? v->fields[i] : v->compares[i - v->nfields];

		if (!field_read(p, f)) {
			lint_refuse(
				why, why_len,
				"\"%s\": \"%s\" is not read by a roster verifier (npi, "
				"family_name, given_name, license_region, its identifier_field)",
				i < v->nfields ? "fields" : "compares", f);
			return ERR_INVALID;
		}
	}
	for (int r = 0; r < ROSTER_ROLES; r++)
		if (p->columns[r] != NULL && role_fields[r] != NULL &&
		    !verifier_names_have(v->fields, v->nfields, role_fields[r]) &&
		    !verifier_names_have(v->compares, v->ncompares, role_fields[r])) {
			lint_refuse(
				why, why_len,
				"\"fields\": must list \"%s\" (\"roster_csv\": \"columns\" maps "
				"\"%s\")",
				role_fields[r], role_names[r]);
			return ERR_INVALID;
		}
	return ERR_OK;
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
	if (format == DATE_US && len == 10 && strncasecmp(s, "Indefinite", 10) == 0) {
		out[0] = '\0'; /* an exclusion with no end */
		return ERR_OK;
	}
	if (format == DATE_US) {
		if (len != 10 || s[2] != '/' || s[5] != '/')
			return ERR_INVALID;
		memcpy(out, s + 6, 4);
		out[4] = '-';
		memcpy(out + 5, s, 2);
		out[7] = '-';
		memcpy(out + 8, s + 3, 2);
	} else if (format == DATE_YYYYMMDD) {
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
	struct roster_map map;

	/* a trailing delimiter makes an empty last field: not a column */
	if (p->format.trailing_delimiter && n > 1 && fields[n - 1][0] == '\0')
		n--;
	map.ncolumns = n;

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

/* ASCII letters and digits only (len may be 0). */
static bool identifier_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

/* Is a status one of "in_force" (ASCII case and outer spaces aside)? */
static bool in_force(const struct roster_priv *p, const char *s, size_t len)
{
	json_t *item;
	size_t i;

	s = trim(s, &len);
	json_array_foreach (p->in_force, i, item)
		if (json_string_length(item) == len &&
		    strncasecmp(json_string_value(item), s, len) == 0)
			return true;
	return false;
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
	if (p->format.trailing_delimiter && n == map->ncolumns + 1 && lens[n - 1] == 0)
		n--;
	if (n != map->ncolumns) {
		snprintf(why, why_len, "%zu fields where the header has %zu", n, map->ncolumns);
		return ERR_INVALID;
	}
	for (int r = 0; r < ROSTER_ROLES; r++)
		if (col[r] >= 0 && !validate_utf8(fields[col[r]], lens[col[r]])) {
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
	if (col[ROSTER_IDENTIFIER] >= 0) {
		len = lens[col[ROSTER_IDENTIFIER]];
		s = trim(fields[col[ROSTER_IDENTIFIER]], &len);
		if (len <= ROSTER_ID_MAX && identifier_ok(s, len))
			memcpy(row.npi, s, len); /* "" is none */
		else
			bad = ROSTER_IDENTIFIER;
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
			 : bad == ROSTER_IDENTIFIER        ? "an identifier (at most 32 letters "
							     "and digits)"
			 : p->date_format == DATE_YYYYMMDD ? "a date (YYYYMMDD)"
			 : p->date_format == DATE_US       ? "a date (MM/DD/YYYY or Indefinite)"
							   : "a date (YYYY-MM-DD)");
		return ERR_INVALID;
	}
	if (col[ROSTER_DETAIL] >= 0)
		detail_of(fields[col[ROSTER_DETAIL]], lens[col[ROSTER_DETAIL]], row.detail);
	if (col[ROSTER_STATUS] >= 0 &&
	    !in_force(p, fields[col[ROSTER_STATUS]], lens[col[ROSTER_STATUS]]))
		reinstated[0] = '!'; /* no longer in force: stored like a reinstatement */
	*ret_row = row;
	ret_row->entry = (struct roster_entry){
		.npi = ret_row->npi[0] != '\0' ? ret_row->npi : NULL,
		.family_name = ret_row->family_name,
		.given_name = ret_row->given_name,
		.state = ret_row->state,
		.listed_on = ret_row->listed_on[0] != '\0' ? ret_row->listed_on : NULL,
		/* in force from its date: one dated later is not yet */
		.reinstated = reinstated[0] == '!' ||
			      (reinstated[0] != '\0' && strcmp(reinstated, today) <= 0),
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
	} else if (hit->reinstated) { /* a status not in force */
		err = verifier_result_init(&res, OUTCOME_INACTIVE, "listed, not in force");
	} else {
		err = verifier_result_init(&res, OUTCOME_VERIFIED, "on the roster");
	}
	if (err != ERR_OK)
		return err;
	if (npi != NULL && hit->npi[0] != '\0')
		compare_record(res.checks, res.evidence,
			       p->identifier_field != NULL ? p->identifier_field : "npi", npi,
			       hit->npi, strcmp(npi, hit->npi) == 0, &err);
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
	if (p->mode != MODE_EXCLUSION && res.outcome == OUTCOME_VERIFIED && differs != NULL) {
		res.outcome = OUTCOME_MISMATCH;
		snprintf(res.reason, sizeof(res.reason), "%s", differs);
	}
	*ret_res = res;
	return ERR_OK;
}

/* The professional's values a roster is searched by. */
struct roster_search {
	struct roster_query q;
	char family[COMPARE_TEXT_MAX], given[COMPARE_TEXT_MAX], state[COMPARE_TEXT_MAX];
};

/* What fields search v's roster by: the NPI (or identifier) and, when
 * complete, the normalised name and state. false, with *ret_res an error
 * outcome, when there is nothing to search by (or ERR_NOMEM in *ret_err). */
static bool search_of(const struct verifier *v, const json_t *fields, struct roster_search *s,
		      struct verifier_result *ret_res, enum err *ret_err)
{
	const struct roster_priv *p = v->priv;
	const char *npi = json_string_value(json_object_get(fields, "npi"));
	bool by_name;

	memset(s, 0, sizeof(*s));
	if (npi != NULL &&
	    (strlen(npi) != 10 || !all_of(npi, 10, "0123456789") || all_of(npi, 10, "0")))
		npi = NULL;
	if (p->columns[ROSTER_NPI] != NULL)
		s->q.npi = npi;
	if (p->identifier_field != NULL) {
		const char *id = json_string_value(json_object_get(fields, p->identifier_field));

		s->q.npi = id != NULL && id[0] != '\0' && strlen(id) <= ROSTER_ID_MAX &&
					   identifier_ok(id, strlen(id))
				   ? id
				   : NULL;
	}
	compare_normalise(json_string_value(json_object_get(fields, "family_name")), s->family);
	by_name = s->family[0] != '\0';
	if (p->columns[ROSTER_GIVEN_NAME] != NULL) {
		compare_normalise(json_string_value(json_object_get(fields, "given_name")),
				  s->given);
		by_name = by_name && s->given[0] != '\0';
	}
	if (p->columns[ROSTER_STATE] != NULL) {
		compare_normalise(json_string_value(json_object_get(fields, "license_region")),
				  s->state);
		by_name = by_name && s->state[0] != '\0';
	}
	if (by_name) {
		s->q.family_name = s->family;
		s->q.given_name = s->given;
		s->q.state = s->state;
	}
	if (s->q.npi != NULL || by_name)
		return true;
	*ret_err = verifier_result_init(ret_res, OUTCOME_ERROR,
					p->identifier_field != NULL
						? "no identifier and no full name to match"
						: "no NPI and no full name to match");
	return false;
}

/* The outcome of a search that found hit (ERR_OK) or nothing
 * (ERR_NOT_FOUND); any other found is returned as it is. */
static enum err decide(const struct verifier *v, const json_t *fields,
		       const struct roster_search *s, enum err found, const struct roster_hit *hit,
		       struct verifier_result *ret_res)
{
	const struct roster_priv *p = v->priv;

	if (found == ERR_NOT_FOUND)
		return p->mode == MODE_EXCLUSION
			       ? verifier_result_init(ret_res, OUTCOME_VERIFIED, "not on the list")
			       : verifier_result_init(ret_res, OUTCOME_NOT_FOUND,
						      "not on the roster");
	if (found != ERR_OK)
		return found;
	return judge(p, fields, s->q.npi, hit, ret_res);
}

const char *roster_attribution(const struct verifier *v)
{
	const struct roster_priv *p = v->priv;

	return p->attribution;
}

static enum err roster_check_local(const struct verifier *v, PGconn *conn, const json_t *fields,
				   struct verifier_result *ret_res)
{
	const struct roster_priv *p = v->priv;
	struct db_roster_info info;
	struct roster_search s;
	struct roster_hit hit;
	enum err err;

	err = db_roster_info(conn, v->name, &info);
	if (err != ERR_OK)
		return err;
	if (!info.loaded)
		return verifier_result_init(ret_res, OUTCOME_ERROR, "roster not loaded");
	if (!search_of(v, fields, &s, ret_res, &err))
		return err;
	err = db_roster_match(conn, v->name, &s.q, &hit);
	err = decide(v, fields, &s, err, &hit, ret_res);
	/* the register's terms of reuse: cite it and the extract's date */
	if (err == ERR_OK && p->attribution != NULL &&
	    json_object_set_new(
		    ret_res->evidence, "attribution",
		    json_pack("{s:s, s:s?}", "source", p->attribution, "extract_date",
			      info.extract_date[0] != '\0' ? info.extract_date : NULL)) != 0) {
		verifier_result_release(ret_res);
		err = ERR_NOMEM;
	}
	return err;
}

enum err roster_check_rows(const struct verifier *v, const struct roster_hit *rows, size_t n,
			   const json_t *fields, struct verifier_result *ret_res)
{
	struct roster_search s;
	struct roster_hit hit;
	enum err err = ERR_OK;

	if (!search_of(v, fields, &s, ret_res, &err))
		return err;
	err = db_roster_pick(&s.q, rows, n, &hit);
	return decide(v, fields, &s, err, &hit, ret_res);
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
