/*
 * catalogue_int.h - the catalogue's parsed form, shared by the two files
 * that own it: catalogue.c (loading, accessors) and catalogue_check.c
 * (checking values, resolving for one country and profession). Nothing
 * else includes it: everyone else asks through catalogue.h.
 */
#ifndef HCPD_CATALOGUE_INT_H
#define HCPD_CATALOGUE_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "catalogue.h"

/* A field's format: how its value is checked (catalogue_format_ok()). */
enum format {
	F_TEXT,
	F_NAME,
	F_PROFESSION,
	F_COUNTRY,
	F_NPI,
	F_E164,
	F_CODE,
	F_DATE,
	F_RPPS,
	F_RIZIV,
	F_PATTERN,
};

struct field {
	const char *name;
	enum format format;
	size_t max_length; /* in characters */
	bool personal;
	json_t *required; /* true, false, or an array of conditions */
	json_t *applies;  /* NULL (everyone) or an array of conditions: whom it is asked of */
	regex_t pattern;  /* F_PATTERN: the field's "pattern", compiled */
	bool compiled;
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
	json_t *reverify;  /* field names whose change re-runs verification */
	json_t *kept;      /* public field names an erasure keeps */
	json_t *countries; /* {code: {professions, source}}: per-country professions, or NULL */
};

/* Is s one of array's strings? */
bool catalogue_string_in(json_t *array, const char *s);

/* The field named name, or NULL. */
const struct field *catalogue_field_named(const struct catalogue *cat, const char *name);

/* Does v (valid UTF-8) pass field f's format? Pure. */
bool catalogue_format_ok(const struct catalogue *cat, const struct field *f, const char *v);

/* Characters (code points) of valid UTF-8. */
size_t catalogue_utf8_chars(const char *s);

/* Does any condition of a "required" (or "applies") value match country
 * and profession (either may be NULL)? true and false stand for always
 * and never. */
bool catalogue_is_required(json_t *required, const char *country, const char *profession);

/* A field's search attributes from its definition f into out
 * (catalogue_search.c). ERR_INVALID when they are malformed. */
enum err catalogue_load_search(struct field *out, json_t *f);

/* Does every identifier's unique_within name non-personal fields? Once
 * every field is loaded; why (why_len) names the field otherwise. */
enum err catalogue_check_unique_within(const struct catalogue *cat, char *why, size_t why_len,
				       const char *name);

/* The formats' names, in enum format order (F_PATTERN + 1 of them). */
extern const char *const catalogue_format_names[];

#endif
