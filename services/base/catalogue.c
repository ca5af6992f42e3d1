/*
 * catalogue.c - loads the field catalogue and validates profiles with it.
 * Owns the parsed document; every string in struct field is borrowed from
 * it. Error messages name fields and rules, never submitted values.
 */
#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue_int.h"
#include "crypto.h"
#include "jsonbody.h"
#include "jsontext.h"
#include "validate.h"

const char *const catalogue_format_names[] = {"text", "name",  "profession", "country",
					      "npi",  "e164",  "code",       "date",
					      "rpps", "riziv", "pattern"};

bool catalogue_string_in(json_t *array, const char *s)
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
				if (!catalogue_string_in(professions, json_string_value(v)))
					return false;
			}
		}
	}
	return true;
}

/* A field's display and its format rule: "label" and "example" (both
 * required), "pattern" (a POSIX extended regular expression anchored at
 * both ends, with format "pattern" only) and "source" (where the rule
 * comes from: required of every format with a published rule, npi, rpps,
 * riziv and pattern). */
static enum err load_rule(struct field *out, json_t *f, char *why, size_t why_len, const char *name)
{
	const char *pattern = json_string_value(json_object_get(f, "pattern"));
	json_t *source = json_object_get(f, "source");
	bool ruled = out->format == F_NPI || out->format == F_RPPS || out->format == F_RIZIV ||
		     out->format == F_PATTERN;

	if (json_text(f, "label", 100) == NULL || json_text(f, "example", 300) == NULL) {
		snprintf(why, why_len, "%s: field \"%s\": needs a \"label\" and an \"example\"",
			 name, out->name);
		return ERR_INVALID;
	}
	if ((source != NULL && json_text(f, "source", 2000) == NULL) || (ruled && source == NULL)) {
		snprintf(why, why_len,
			 "%s: field \"%s\": \"source\" must say where its format rule is "
			 "published",
			 name, out->name);
		return ERR_INVALID;
	}
	if ((out->format == F_PATTERN) != (json_object_get(f, "pattern") != NULL) ||
	    (pattern != NULL &&
	     (pattern[0] != '^' || pattern[strlen(pattern) - 1] != '$' || strlen(pattern) > 200))) {
		snprintf(why, why_len,
			 "%s: field \"%s\": \"pattern\" (^...$, at most 200 bytes) goes with "
			 "format \"pattern\" only",
			 name, out->name);
		return ERR_INVALID;
	}
	if (pattern != NULL) {
		if (regcomp(&out->pattern, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
			snprintf(why, why_len, "%s: field \"%s\": \"pattern\" does not compile",
				 name, out->name);
			return ERR_INVALID;
		}
		out->compiled = true;
	}
	return ERR_OK;
}

static enum err load_fields(struct catalogue *cat, json_t *fields, char *why, size_t why_len,
			    const char *name)
{
	static const char *const keys[] = {
		"name",       "type",       "format",        "max_length", "personal", "required",
		"purpose",    "label",      "example",       "source",     "pattern",  "applies",
		"searchable", "identifier", "unique_within", NULL};
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
		for (k = 0; format != NULL && k < (size_t)F_PATTERN + 1; k++)
			if (strcmp(format, catalogue_format_names[k]) == 0)
				break;
		if (format == NULL || k == (size_t)F_PATTERN + 1) {
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
		out->applies = json_object_get(f, "applies");
		if (out->applies != NULL &&
		    (!json_is_array(out->applies) ||
		     !valid_required(out->applies, cat->professions, &bad))) {
			snprintf(why, why_len, "%s: field \"%s\": bad \"applies\"", name, fname);
			return ERR_INVALID;
		}
		if (catalogue_load_search(out, f) != ERR_OK) {
			snprintf(why, why_len,
				 "%s: field \"%s\": \"searchable\" and \"identifier\" must be "
				 "booleans, \"unique_within\" (identifiers only) an array of names",
				 name, fname);
			return ERR_INVALID;
		}
		cat->nfields++; /* catalogue_free() frees what load_rule() compiles */
		if (load_rule(out, f, why, why_len, name) != ERR_OK)
			return ERR_INVALID;
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

const struct field *catalogue_field_named(const struct catalogue *cat, const char *name)
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
		const struct field *f = catalogue_field_named(cat, json_string_value(v));

		if (f == NULL || (public_only && f->personal) || !first_in(list, i)) {
			snprintf(why, why_len, "%s: %s[%zu]: not a%s catalogue field, or repeated",
				 name, key, i, public_only ? " non-personal" : "");
			return ERR_INVALID;
		}
	}
	*ret = list;
	return ERR_OK;
}

/* The optional "countries": {ISO code: {"professions": [...], "source":
 * "..."}}, each list a non-empty subset of the catalogue's professions:
 * who may register in that country (one global list does not fit every
 * country's regulated professions). A country not listed takes them all. */
static enum err load_countries(struct catalogue *cat, char *why, size_t why_len, const char *name)
{
	static const char *const keys[] = {"professions", "source", NULL};
	const char *code, *bad = NULL;
	json_t *c, *v;
	size_t i;

	cat->countries = json_object_get(cat->doc, "countries");
	if (cat->countries == NULL)
		return ERR_OK;
	if (!json_is_object(cat->countries)) {
		snprintf(why, why_len, "%s: \"countries\" must be an object", name);
		return ERR_INVALID;
	}
	json_object_foreach (cat->countries, code, c) {
		json_t *profs = json_object_get(c, "professions");
		bool ok = validate_country(code) && json_is_object(c) &&
			  json_only_keys(c, keys, &bad) && array_of_strings(profs) &&
			  json_array_size(profs) > 0 && json_text(c, "source", 2000) != NULL;

		json_array_foreach (profs, i, v) {
			if (ok && (!catalogue_string_in(cat->professions, json_string_value(v)) ||
				   !first_in(profs, i)))
				ok = false;
		}
		if (!ok) {
			snprintf(why, why_len,
				 "%s: countries.%.8s: needs a country code, \"professions\" "
				 "(distinct "
				 "catalogue professions) and \"source\" only",
				 name, code);
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

/* Every field's example passes its own format and length: a front end may
 * show it as a placeholder, so it must be something hcpd accepts. */
static enum err check_examples(const struct catalogue *cat, char *why, size_t why_len,
			       const char *name)
{
	for (size_t i = 0; i < cat->nfields; i++) {
		const struct field *f = &cat->fields[i];
		json_t *obj = json_array_get(json_object_get(cat->doc, "fields"), i);
		const char *example = json_string_value(json_object_get(obj, "example"));

		if (catalogue_utf8_chars(example) > f->max_length ||
		    !catalogue_format_ok(cat, f, example)) {
			snprintf(why, why_len,
				 "%s: field \"%s\": \"example\" fails the field's own format", name,
				 f->name);
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

enum err catalogue_from_json(json_t *doc, const char *name, struct catalogue **ret_cat, char *why,
			     size_t why_len)
{
	static const char *const keys[] = {
		"version",         "notice_version",     "professions", "consents", "fields",
		"reverify_fields", "kept_after_erasure", "countries",   NULL};
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
		err = load_countries(cat, why, why_len, name);
	if (err == ERR_OK)
		err = check_examples(cat, why, why_len, name);
	if (err == ERR_OK)
		err = catalogue_check_unique_within(cat, why, why_len, name);
	if (err != ERR_OK)
		goto out;
	/* required-when conditions read these two fields */
	f = catalogue_field_named(cat, "country");
	if (f == NULL || f->format != F_COUNTRY || !json_is_true(f->required) ||
	    (f = catalogue_field_named(cat, "profession")) == NULL || f->format != F_PROFESSION ||
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
	for (size_t i = 0; cat->fields != NULL && i < cat->nfields; i++)
		if (cat->fields[i].compiled)
			regfree(&cat->fields[i].pattern);
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
	const struct field *f = catalogue_field_named(cat, name);

	return f != NULL && !f->personal;
}

bool catalogue_field_exists(const struct catalogue *cat, const char *name)
{
	return catalogue_field_named(cat, name) != NULL;
}

bool catalogue_field_reverifies(const struct catalogue *cat, const char *name)
{
	return cat->reverify != NULL && catalogue_string_in(cat->reverify, name);
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

		/* a retired purpose (migration 0024) stays in the history only */
		if (current != NULL && purpose != NULL && json_object_get(current, purpose) != NULL)
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
