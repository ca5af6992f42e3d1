/*
 * catalogue.c - loads the field catalogue and validates profiles with it.
 * Owns the parsed document; every string in struct field is borrowed from
 * it. Error messages name fields and rules, never submitted values.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "crypto.h"
#include "fold.h"
#include "jsonbody.h"
#include "jsontext.h"
#include "validate.h"

enum format { F_TEXT, F_NAME, F_PROFESSION, F_COUNTRY, F_NPI, F_E164, F_CODE, F_DATE };

static const char *const format_names[] = {"text", "name", "profession", "country",
					   "npi",  "e164", "code",       "date"};

struct field {
	const char *name;
	enum format format;
	size_t max_length; /* in characters */
	bool personal;
	json_t *required;      /* true, false, or an array of conditions */
	bool searchable;       /* exact search through a blind index ("searchable") */
	bool identifier;       /* a licence identifier ("identifier"): searchable, and one
				  live account each within unique_within */
	json_t *unique_within; /* public field names; NULL: ["country"] */
};

struct catalogue {
	json_t *doc;
	char *body;
	size_t body_len;
	char etag[68];
	const char *version;
	const char *notice_version;
	json_t *professions; /* array of strings */
	json_t *consents;    /* array of {purpose, required, description} */
	struct field *fields;
	size_t nfields;
	json_t *reverify; /* field names whose change re-runs verification */
	json_t *kept;     /* public field names an erasure keeps */
};

static bool string_in(json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (array, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static bool array_of_strings(json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return false;
	json_array_foreach (a, i, v) {
		if (!json_is_string(v))
			return false;
	}
	return true;
}

/* A "required" value: true, false, or [{countries?, professions?}, ...]. */
static bool valid_required(json_t *req, json_t *professions, const char **ret_key)
{
	static const char *const cond_keys[] = {"countries", "professions", NULL};
	size_t i, j;
	json_t *cond, *v;

	if (json_is_boolean(req))
		return true;
	if (!json_is_array(req) || json_array_size(req) == 0)
		return false;
	json_array_foreach (req, i, cond) {
		json_t *countries = json_object_get(cond, "countries");
		json_t *profs = json_object_get(cond, "professions");

		if (!json_is_object(cond) || !json_only_keys(cond, cond_keys, ret_key))
			return false;
		if (countries != NULL) {
			if (!array_of_strings(countries))
				return false;
			json_array_foreach (countries, j, v) {
				if (!validate_country(json_string_value(v)))
					return false;
			}
		}
		if (profs != NULL) {
			if (!array_of_strings(profs))
				return false;
			json_array_foreach (profs, j, v) {
				if (!string_in(professions, json_string_value(v)))
					return false;
			}
		}
	}
	return true;
}

/* A field's search attributes. Which names unique_within gives is
 * checked once every field is loaded (check_unique_within()). */
static enum err load_search(struct field *out, json_t *f)
{
	json_t *searchable = json_object_get(f, "searchable");
	json_t *identifier = json_object_get(f, "identifier");
	json_t *within = json_object_get(f, "unique_within");

	if ((searchable != NULL && !json_is_boolean(searchable)) ||
	    (identifier != NULL && !json_is_boolean(identifier)) ||
	    (within != NULL && (!json_is_true(identifier) || !array_of_strings(within) ||
				json_array_size(within) == 0)))
		return ERR_INVALID;
	out->identifier = json_is_true(identifier);
	out->searchable = out->identifier || json_is_true(searchable);
	out->unique_within = within;
	return ERR_OK;
}

static enum err load_fields(struct catalogue *cat, json_t *fields, char *why, size_t why_len,
			    const char *name)
{
	static const char *const keys[] = {"name",       "type",          "format",  "max_length",
					   "personal",   "required",      "purpose", "searchable",
					   "identifier", "unique_within", NULL};
	size_t i;
	json_t *f;
	const char *bad = NULL;

	cat->fields = calloc(json_array_size(fields) + 1, sizeof(*cat->fields));
	if (cat->fields == NULL)
		return ERR_NOMEM;
	json_array_foreach (fields, i, f) {
		struct field *out = &cat->fields[i];
		const char *fname = json_string_value(json_object_get(f, "name"));
		const char *format = json_string_value(json_object_get(f, "format"));
		json_t *max = json_object_get(f, "max_length");
		size_t k;

		if (!json_is_object(f) || !json_only_keys(f, keys, &bad)) {
			snprintf(why, why_len, "%s: fields[%zu]: unknown key \"%s\"", name, i,
				 bad != NULL ? bad : "?");
			return ERR_INVALID;
		}
		if (fname == NULL || !islower((unsigned char)fname[0]) ||
		    strspn(fname, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(fname)) {
			snprintf(why, why_len, "%s: fields[%zu]: bad or missing \"name\"", name, i);
			return ERR_INVALID;
		}
		for (k = 0; k < i; k++) {
			if (strcmp(cat->fields[k].name, fname) == 0) {
				snprintf(why, why_len, "%s: field \"%s\" appears twice", name,
					 fname);
				return ERR_INVALID;
			}
		}
		out->name = fname;
		for (k = 0; format != NULL && k < sizeof(format_names) / sizeof(*format_names); k++)
			if (strcmp(format, format_names[k]) == 0)
				break;
		if (format == NULL || k == sizeof(format_names) / sizeof(*format_names)) {
			snprintf(why, why_len, "%s: field \"%s\": bad \"format\"", name, fname);
			return ERR_INVALID;
		}
		out->format = (enum format)k;
		if (!json_is_string(json_object_get(f, "type")) ||
		    strcmp(json_string_value(json_object_get(f, "type")), "string") != 0) {
			snprintf(why, why_len, "%s: field \"%s\": \"type\" must be \"string\"",
				 name, fname);
			return ERR_INVALID;
		}
		if (!json_is_integer(max) || json_integer_value(max) < 1 ||
		    json_integer_value(max) > 10000) {
			snprintf(why, why_len, "%s: field \"%s\": bad \"max_length\"", name, fname);
			return ERR_INVALID;
		}
		out->max_length = (size_t)json_integer_value(max);
		if (!json_is_boolean(json_object_get(f, "personal"))) {
			snprintf(why, why_len, "%s: field \"%s\": \"personal\" must be a boolean",
				 name, fname);
			return ERR_INVALID;
		}
		out->personal = json_is_true(json_object_get(f, "personal"));
		if (!json_is_string(json_object_get(f, "purpose"))) {
			snprintf(why, why_len, "%s: field \"%s\": \"purpose\" must be a string",
				 name, fname);
			return ERR_INVALID;
		}
		out->required = json_object_get(f, "required");
		bad = NULL;
		if (out->required == NULL ||
		    !valid_required(out->required, cat->professions, &bad)) {
			snprintf(why, why_len, "%s: field \"%s\": bad \"required\"%s%s", name,
				 fname, bad != NULL ? ": unknown key " : "",
				 bad != NULL ? bad : "");
			return ERR_INVALID;
		}
		if (load_search(out, f) != ERR_OK) {
			snprintf(why, why_len,
				 "%s: field \"%s\": \"searchable\" and \"identifier\" must be "
				 "booleans, \"unique_within\" (identifiers only) an array of names",
				 name, fname);
			return ERR_INVALID;
		}
		cat->nfields++;
	}
	return ERR_OK;
}

static enum err load_consents(struct catalogue *cat, char *why, size_t why_len, const char *name)
{
	static const char *const keys[] = {"purpose", "required", "description", NULL};
	const char *bad = "?";
	size_t i;
	json_t *c;

	if (!json_is_array(cat->consents)) {
		snprintf(why, why_len, "%s: \"consents\" must be an array", name);
		return ERR_INVALID;
	}
	json_array_foreach (cat->consents, i, c) {
		if (!json_is_object(c) || !json_only_keys(c, keys, &bad) ||
		    !json_is_string(json_object_get(c, "purpose")) ||
		    !json_is_boolean(json_object_get(c, "required")) ||
		    !json_is_string(json_object_get(c, "description"))) {
			snprintf(why, why_len,
				 "%s: consents[%zu]: needs purpose, required and description only",
				 name, i);
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

static const struct field *field_named(const struct catalogue *cat, const char *name)
{
	for (size_t i = 0; i < cat->nfields; i++)
		if (strcmp(cat->fields[i].name, name) == 0)
			return &cat->fields[i];
	return NULL;
}

/* Is list[i] the first occurrence of its string? */
static bool first_in(json_t *list, size_t i)
{
	const char *s = json_string_value(json_array_get(list, i));

	for (size_t j = 0; j < i; j++)
		if (strcmp(json_string_value(json_array_get(list, j)), s) == 0)
			return false;
	return true;
}

/* An optional top-level list of distinct field names (public ones only
 * when public_only), into *ret (borrowed; NULL when absent). */
static enum err load_field_list(const struct catalogue *cat, const char *key, bool public_only,
				json_t **ret, char *why, size_t why_len, const char *name)
{
	json_t *list = json_object_get(cat->doc, key), *v;
	size_t i;

	*ret = NULL;
	if (list == NULL)
		return ERR_OK;
	if (!array_of_strings(list)) {
		snprintf(why, why_len, "%s: \"%s\" must be an array of field names", name, key);
		return ERR_INVALID;
	}
	json_array_foreach (list, i, v) {
		const struct field *f = field_named(cat, json_string_value(v));

		if (f == NULL || (public_only && f->personal) || !first_in(list, i)) {
			snprintf(why, why_len, "%s: %s[%zu]: not a%s catalogue field, or repeated",
				 name, key, i, public_only ? " non-personal" : "");
			return ERR_INVALID;
		}
	}
	*ret = list;
	return ERR_OK;
}

/* An identifier is unique within non-personal fields only: the
 * duplicate check compares them in clear. */
static enum err check_unique_within(const struct catalogue *cat, char *why, size_t why_len,
				    const char *name)
{
	for (size_t i = 0; i < cat->nfields; i++) {
		size_t k;
		json_t *v;

		json_array_foreach (cat->fields[i].unique_within, k, v) {
			const struct field *f = field_named(cat, json_string_value(v));

			if (f == NULL || f->personal) {
				snprintf(why, why_len,
					 "%s: field \"%s\": unique_within[%zu] is not a "
					 "non-personal field",
					 name, cat->fields[i].name, k);
				return ERR_INVALID;
			}
		}
	}
	return ERR_OK;
}

enum err catalogue_from_json(json_t *doc, const char *name, struct catalogue **ret_cat, char *why,
			     size_t why_len)
{
	static const char *const keys[] = {
		"version", "notice_version",  "professions",        "consents",
		"fields",  "reverify_fields", "kept_after_erasure", NULL};
	struct catalogue *cat = calloc(1, sizeof(*cat));
	unsigned char digest[32];
	const char *bad = NULL;
	const struct field *f;
	enum err err = ERR_INVALID;

	if (cat == NULL) {
		json_decref(doc);
		return ERR_NOMEM;
	}
	cat->doc = doc;
	if (!json_is_object(doc) || !json_only_keys(doc, keys, &bad)) {
		snprintf(why, why_len, "%s: unknown key \"%s\"", name, bad != NULL ? bad : "?");
		goto out;
	}
	cat->version = json_string_value(json_object_get(doc, "version"));
	cat->notice_version = json_string_value(json_object_get(doc, "notice_version"));
	cat->professions = json_object_get(doc, "professions");
	cat->consents = json_object_get(doc, "consents");
	if (cat->version == NULL || cat->notice_version == NULL) {
		snprintf(why, why_len, "%s: \"version\" and \"notice_version\" must be strings",
			 name);
		goto out;
	}
	if (!array_of_strings(cat->professions) || json_array_size(cat->professions) == 0) {
		snprintf(why, why_len, "%s: \"professions\" must be an array of strings", name);
		goto out;
	}
	if (!json_is_array(json_object_get(doc, "fields"))) {
		snprintf(why, why_len, "%s: \"fields\" must be an array", name);
		goto out;
	}
	err = load_fields(cat, json_object_get(doc, "fields"), why, why_len, name);
	if (err == ERR_OK)
		err = load_consents(cat, why, why_len, name);
	if (err == ERR_OK)
		err = load_field_list(cat, "reverify_fields", false, &cat->reverify, why, why_len,
				      name);
	if (err == ERR_OK)
		err = load_field_list(cat, "kept_after_erasure", true, &cat->kept, why, why_len,
				      name);
	if (err == ERR_OK)
		err = check_unique_within(cat, why, why_len, name);
	if (err != ERR_OK)
		goto out;
	/* required-when conditions read these two fields */
	f = field_named(cat, "country");
	if (f == NULL || f->format != F_COUNTRY || !json_is_true(f->required) ||
	    (f = field_named(cat, "profession")) == NULL || f->format != F_PROFESSION ||
	    !json_is_true(f->required)) {
		snprintf(why, why_len,
			 "%s: needs required fields \"country\" (format country) and "
			 "\"profession\" (format profession)",
			 name);
		err = ERR_INVALID;
		goto out;
	}
	cat->body = json_text_dump(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (cat->body == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	cat->body_len = strlen(cat->body);
	crypto_sha256(cat->body, cat->body_len, digest);
	cat->etag[0] = '"';
	crypto_hex(digest, 16, cat->etag + 1);
	strcat(cat->etag, "\"");
	*ret_cat = cat;
	cat = NULL;
out:
	catalogue_free(cat);
	return err;
}

enum err catalogue_load(const char *path, struct catalogue **ret_cat, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL) {
		snprintf(why, why_len, "%s: line %d: %s", path, jerr.line, jerr.text);
		return ERR_IO;
	}
	return catalogue_from_json(doc, path, ret_cat, why, why_len);
}

void catalogue_free(struct catalogue *cat)
{
	if (cat == NULL)
		return;
	json_decref(cat->doc);
	free(cat->body);
	free(cat->fields);
	free(cat);
}

const char *catalogue_body(const struct catalogue *cat, size_t *ret_len)
{
	*ret_len = cat->body_len;
	return cat->body;
}

const char *catalogue_etag(const struct catalogue *cat)
{
	return cat->etag;
}

const char *catalogue_version(const struct catalogue *cat)
{
	return cat->version;
}

const char *catalogue_notice_version(const struct catalogue *cat)
{
	return cat->notice_version;
}

bool catalogue_field_is_public(const struct catalogue *cat, const char *name)
{
	const struct field *f = field_named(cat, name);

	return f != NULL && !f->personal;
}

bool catalogue_field_exists(const struct catalogue *cat, const char *name)
{
	return field_named(cat, name) != NULL;
}

bool catalogue_field_reverifies(const struct catalogue *cat, const char *name)
{
	return cat->reverify != NULL && string_in(cat->reverify, name);
}

size_t catalogue_kept_count(const struct catalogue *cat)
{
	return json_array_size(cat->kept);
}

const char *catalogue_kept_field(const struct catalogue *cat, size_t i)
{
	return json_string_value(json_array_get(cat->kept, i));
}

bool catalogue_consent_known(const struct catalogue *cat, const char *purpose, bool *ret_required)
{
	size_t i;
	json_t *c;

	json_array_foreach (cat->consents, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "purpose")), purpose) == 0) {
			if (ret_required != NULL)
				*ret_required = json_is_true(json_object_get(c, "required"));
			return true;
		}
	}
	return false;
}

json_t *catalogue_consents_current(const struct catalogue *cat, json_t *history)
{
	json_t *current = json_object(), *row;
	size_t i;

	for (i = 0; current != NULL && i < catalogue_consent_count(cat); i++)
		json_object_set_new(current, catalogue_consent_purpose(cat, i), json_false());
	/* oldest first: the latest row of a purpose is the last one set */
	json_array_foreach (history, i, row) {
		const char *purpose = json_string_value(json_object_get(row, "purpose"));

		if (current != NULL && purpose != NULL)
			json_object_set(current, purpose, json_object_get(row, "granted"));
	}
	return current;
}

size_t catalogue_consent_count(const struct catalogue *cat)
{
	return json_array_size(cat->consents);
}

const char *catalogue_consent_purpose(const struct catalogue *cat, size_t i)
{
	return json_string_value(json_object_get(json_array_get(cat->consents, i), "purpose"));
}

/* Characters (code points) in valid UTF-8. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static bool valid_code(const char *s)
{
	bool alnum = false;

	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s))
			alnum = true;
		else if (strchr(" ./-", *s) == NULL)
			return false;
	}
	return alnum;
}

static bool has_non_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ')
			return true;
	return false;
}

static bool format_ok(const struct catalogue *cat, enum format format, const char *v)
{
	switch (format) {
	case F_TEXT:
	case F_NAME:
		return validate_no_controls(v) && has_non_space(v);
	case F_PROFESSION:
		return string_in(cat->professions, v);
	case F_COUNTRY:
		return validate_country(v);
	case F_NPI:
		return validate_npi(v);
	case F_E164:
		return validate_e164(v);
	case F_CODE:
		return valid_code(v);
	case F_DATE:
		return validate_date(v) && atoi(v) <= 2200; /* a profile date, not 9999-12-31 */
	}
	return false;
}

/* Does any condition of a "required" value match country and profession? */
static bool is_required(json_t *required, const char *country, const char *profession)
{
	size_t i;
	json_t *cond;

	if (json_is_boolean(required))
		return json_is_true(required);
	json_array_foreach (required, i, cond) {
		json_t *countries = json_object_get(cond, "countries");
		json_t *profs = json_object_get(cond, "professions");

		if (countries != NULL && (country == NULL || !string_in(countries, country)))
			continue;
		if (profs != NULL && (profession == NULL || !string_in(profs, profession)))
			continue;
		return true;
	}
	return false;
}

/* Appends one error for field "<prefix>.<key>", or just prefix when key is
 * NULL or too long to echo back; records ERR_NOMEM in *err when it cannot. */
static void add_error(json_t *errors, const char *prefix, const char *key, const char *code,
		      const char *message, enum err *err)
{
	char field[96];

	if (key == NULL || strlen(key) > 64)
		snprintf(field, sizeof(field), "%s", prefix);
	else
		snprintf(field, sizeof(field), "%s.%s", prefix, key);
	if (json_error_add(errors, field, code, message) != ERR_OK)
		*err = ERR_NOMEM;
}

enum err catalogue_check_profile(const struct catalogue *cat, json_t *profile, json_t *errors,
				 json_t *personal, json_t *public)
{
	const char *key, *country, *profession;
	enum err err = ERR_OK;
	json_t *v;
	char msg[128];

	if (!json_is_object(profile)) {
		add_error(errors, "profile", NULL, profile ? "type" : "required",
			  "profile must be an object", &err);
		return err;
	}
	json_object_foreach (profile, key, v) {
		if (field_named(cat, key) == NULL)
			add_error(errors, "profile", key, "unknown_field",
				  "this field is not in the catalogue", &err);
	}
	country = json_string_value(json_object_get(profile, "country"));
	profession = json_string_value(json_object_get(profile, "profession"));
	for (size_t i = 0; i < cat->nfields; i++) {
		const struct field *f = &cat->fields[i];
		const char *s;

		v = json_object_get(profile, f->name);
		if (v == NULL || json_is_null(v) ||
		    (json_is_string(v) && json_string_length(v) == 0)) {
			if (is_required(f->required, country, profession))
				add_error(errors, "profile", f->name, "required",
					  "this field is required for your country and "
					  "profession",
					  &err);
			continue;
		}
		if (!json_is_string(v)) {
			add_error(errors, "profile", f->name, "type", "must be a string", &err);
			continue;
		}
		s = json_string_value(v);
		if (utf8_chars(s) > f->max_length) {
			snprintf(msg, sizeof(msg), "must be at most %zu characters", f->max_length);
			add_error(errors, "profile", f->name, "too_long", msg, &err);
			continue;
		}
		if (!format_ok(cat, f->format, s)) {
			snprintf(msg, sizeof(msg), "is not a valid %s", format_names[f->format]);
			add_error(errors, "profile", f->name, "invalid", msg, &err);
			continue;
		}
		if (json_object_set(f->personal ? personal : public, f->name, v) != 0)
			err = ERR_NOMEM; /* a field silently missing would be stored so */
	}
	return err;
}

enum err catalogue_check_consent_changes(const struct catalogue *cat, json_t *consents,
					 json_t *errors)
{
	enum err err = ERR_OK;
	const char *key;
	json_t *v;

	if (!json_is_object(consents)) {
		add_error(errors, "consents", NULL, consents ? "type" : "required",
			  "consents must be an object", &err);
		return err;
	}
	json_object_foreach (consents, key, v) {
		if (!catalogue_consent_known(cat, key, NULL))
			add_error(errors, "consents", key, "unknown_field",
				  "this consent purpose is not in the catalogue", &err);
		else if (!json_is_boolean(v))
			add_error(errors, "consents", key, "type", "must be true or false", &err);
	}
	return err;
}

enum err catalogue_check_consents(const struct catalogue *cat, json_t *consents, json_t *errors)
{
	enum err err = catalogue_check_consent_changes(cat, consents, errors);
	size_t i;
	json_t *c;

	if (!json_is_object(consents))
		return err;
	json_array_foreach (cat->consents, i, c) {
		const char *purpose = json_string_value(json_object_get(c, "purpose"));

		if (json_is_true(json_object_get(c, "required")) &&
		    !json_is_true(json_object_get(consents, purpose)))
			add_error(errors, "consents", purpose, "required",
				  "this consent is required to register", &err);
	}
	return err;
}

bool catalogue_profession_known(const struct catalogue *cat, const char *s)
{
	return string_in(cat->professions, s);
}

size_t catalogue_search_count(const struct catalogue *cat)
{
	size_t n = 0;

	for (size_t i = 0; i < cat->nfields; i++)
		n += cat->fields[i].searchable;
	return n;
}

const char *catalogue_search_field(const struct catalogue *cat, size_t i)
{
	for (size_t k = 0; k < cat->nfields; k++)
		if (cat->fields[k].searchable && i-- == 0)
			return cat->fields[k].name;
	return NULL;
}

bool catalogue_field_searchable(const struct catalogue *cat, const char *name)
{
	const struct field *f = field_named(cat, name);

	return f != NULL && f->searchable;
}

bool catalogue_field_is_identifier(const struct catalogue *cat, const char *name)
{
	const struct field *f = field_named(cat, name);

	return f != NULL && f->identifier;
}

json_t *catalogue_unique_within(const struct catalogue *cat)
{
	json_t *map = json_object();

	for (size_t i = 0; map != NULL && i < cat->nfields; i++) {
		const struct field *f = &cat->fields[i];
		json_t *within = f->unique_within != NULL ? json_copy(f->unique_within)
							  : json_pack("[s]", "country");

		if (f->identifier && json_object_set_new(map, f->name, within) != 0) {
			json_decref(map);
			map = NULL;
		} else if (!f->identifier) {
			json_decref(within);
		}
	}
	return map;
}

bool catalogue_index_value(const struct catalogue *cat, const char *name, const char *value,
			   char *out, size_t out_len)
{
	const struct field *f = field_named(cat, name);

	if (f == NULL || !f->searchable || value == NULL)
		return false;
	switch (f->format) {
	case F_NAME:
	case F_TEXT:
		return fold_name(value, out, out_len);
	case F_CODE:
		return fold_code(value, out, out_len);
	default:
		if (value[0] == '\0' || strlen(value) >= out_len)
			return false;
		strcpy(out, value); /* npi, dates ...: the validated form is the only one */
		return true;
	}
}
