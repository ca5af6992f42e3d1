/*
 * catalogue_check.c - checks values against a loaded catalogue (profiles,
 * consents) and resolves it for one country and profession (GET
 * /v1/registration/schema?country=&profession=). Reads the parsed form of
 * catalogue_int.h and never changes it. Error messages name fields and
 * rules, never submitted values.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue_int.h"
#include "jsonbody.h"
#include "validate.h"

size_t catalogue_utf8_chars(const char *s)
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

bool catalogue_format_ok(const struct catalogue *cat, const struct field *f, const char *v)
{
	switch (f->format) {
	case F_TEXT:
	case F_NAME:
		return validate_no_controls(v) && has_non_space(v);
	case F_PROFESSION:
		return catalogue_string_in(cat->professions, v);
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
	case F_RPPS:
		return validate_rpps(v);
	case F_RIZIV:
		return validate_riziv(v);
	case F_PATTERN:
		return regexec(&f->pattern, v, 0, NULL, 0) == 0;
	}
	return false;
}

bool catalogue_is_required(json_t *required, const char *country, const char *profession)
{
	size_t i;
	json_t *cond;

	if (json_is_boolean(required))
		return json_is_true(required);
	json_array_foreach (required, i, cond) {
		json_t *countries = json_object_get(cond, "countries");
		json_t *profs = json_object_get(cond, "professions");

		if (countries != NULL &&
		    (country == NULL || !catalogue_string_in(countries, country)))
			continue;
		if (profs != NULL &&
		    (profession == NULL || !catalogue_string_in(profs, profession)))
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

/* Why a value fails its field's format, without the value. */
static void invalid_message(const struct field *f, char *msg, size_t len)
{
	switch (f->format) {
	case F_NPI:
	case F_RPPS:
	case F_RIZIV:
		snprintf(msg, len, "is not a valid %s: wrong length, characters or check digit",
			 catalogue_format_names[f->format]);
		break;
	case F_PATTERN:
		snprintf(msg, len, "does not have the format its register issues (see the schema)");
		break;
	default:
		snprintf(msg, len, "is not a valid %s", catalogue_format_names[f->format]);
	}
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
		if (catalogue_field_named(cat, key) == NULL)
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
			if (catalogue_is_required(f->required, country, profession))
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
		if (catalogue_utf8_chars(s) > f->max_length) {
			snprintf(msg, sizeof(msg), "must be at most %zu characters", f->max_length);
			add_error(errors, "profile", f->name, "too_long", msg, &err);
			continue;
		}
		if (!catalogue_format_ok(cat, f, s)) {
			invalid_message(f, msg, sizeof(msg));
			add_error(errors, "profile", f->name, "invalid", msg, &err);
			continue;
		}
		if (json_object_set(f->personal ? personal : public, f->name, v) != 0)
			err = ERR_NOMEM; /* a field silently missing would be stored so */
	}
	if (country != NULL && profession != NULL && catalogue_profession_known(cat, profession) &&
	    !catalogue_profession_in(cat, country, profession))
		add_error(errors, "profile", "profession", "invalid",
			  "is not a profession hcpd registers in this country", &err);
	return err;
}

/* Purposes hcpd once offered and no longer does: named as retired, not
 * as unknown, so a client learns what replaced them (migration 0024). */
static const char *const retired_consents[] = {"cme_sponsor_sharing", NULL};

static bool consent_retired(const char *purpose)
{
	for (size_t i = 0; retired_consents[i] != NULL; i++)
		if (strcmp(retired_consents[i], purpose) == 0)
			return true;
	return false;
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
		if (consent_retired(key) && !catalogue_consent_known(cat, key, NULL))
			add_error(errors, "consents", key, "retired",
				  "this consent purpose is retired: enrolling in an activity "
				  "(POST /v1/me/enrolments) replaces it",
				  &err);
		else if (!catalogue_consent_known(cat, key, NULL))
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
	return catalogue_string_in(cat->professions, s);
}

bool catalogue_profession_in(const struct catalogue *cat, const char *country,
			     const char *profession)
{
	json_t *c = json_object_get(cat->countries, country);
	json_t *list = c != NULL ? json_object_get(c, "professions") : cat->professions;

	return profession != NULL && catalogue_string_in(list, profession);
}

/* One field as GET /v1/registration/schema?country=&profession= shows it:
 * required evaluated for them. */
static json_t *resolved_field(const struct catalogue *cat, size_t i, const char *country,
			      const char *profession)
{
	static const char *const optional[] = {"pattern", "source", NULL};
	const struct field *f = &cat->fields[i];
	json_t *def = json_array_get(json_object_get(cat->doc, "fields"), i);
	json_t *out =
		json_pack("{s:s, s:O, s:O, s:s, s:s, s:I, s:b, s:b, s:O}", "name", f->name, "label",
			  json_object_get(def, "label"), "purpose", json_object_get(def, "purpose"),
			  "type", "string", "format", catalogue_format_names[f->format],
			  "max_length", (json_int_t)f->max_length, "required",
			  catalogue_is_required(f->required, country, profession), "personal",
			  f->personal, "example", json_object_get(def, "example"));

	/* present only where the field has them */
	for (size_t k = 0; out != NULL && optional[k] != NULL; k++) {
		json_t *v = json_object_get(def, optional[k]);

		if (v != NULL && json_object_set(out, optional[k], v) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

enum err catalogue_resolve(const struct catalogue *cat, const char *country, const char *profession,
			   json_t **ret_doc, const char **ret_bad)
{
	json_t *doc, *fields;

	if (country == NULL || !validate_country(country)) {
		*ret_bad = "country";
		return ERR_INVALID;
	}
	if (!catalogue_profession_in(cat, country, profession)) {
		*ret_bad = "profession";
		return ERR_INVALID;
	}
	fields = json_array();
	doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:O}", "version", cat->version, "notice_version",
			cat->notice_version, "country", country, "profession", profession, "fields",
			fields, "consents", cat->consents);
	if (doc == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < cat->nfields; i++) {
		json_t *f;

		if (cat->fields[i].applies != NULL &&
		    !catalogue_is_required(cat->fields[i].applies, country, profession))
			continue; /* not asked of this country and profession */
		f = resolved_field(cat, i, country, profession);
		if (f == NULL || json_array_append_new(fields, f) != 0) {
			json_decref(doc);
			return ERR_NOMEM;
		}
	}
	*ret_doc = doc;
	return ERR_OK;
}
