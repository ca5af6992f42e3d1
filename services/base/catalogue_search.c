/*
 * catalogue_search.c - which catalogue fields admins can search by and
 * which are licence identifiers (the "searchable", "identifier" and
 * "unique_within" attributes), and the normalised form a blind index is
 * taken of (see catalogue.h). Reads the parsed catalogue
 * (catalogue_int.h); owns nothing.
 */
#include <stdio.h>
#include <string.h>

#include "catalogue_int.h"
#include "fold.h"

static bool array_of_strings(json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return false;
	json_array_foreach (a, i, v) {
		if (!json_is_string(v))
			return false;
	}
	return true;
}

enum err catalogue_load_search(struct field *out, json_t *f)
{
	json_t *searchable = json_object_get(f, "searchable");
	json_t *identifier = json_object_get(f, "identifier");
	json_t *within = json_object_get(f, "unique_within");

	if ((searchable != NULL && !json_is_boolean(searchable)) ||
	    (identifier != NULL && !json_is_boolean(identifier)) ||
	    (within != NULL && (!json_is_true(identifier) || !array_of_strings(within))))
		return ERR_INVALID;
	out->identifier = json_is_true(identifier);
	out->searchable = out->identifier || json_is_true(searchable);
	out->unique_within = within;
	return ERR_OK;
}

/* An identifier is unique within non-personal fields only: the duplicate
 * check compares them in clear. */
enum err catalogue_check_unique_within(const struct catalogue *cat, char *why, size_t why_len,
				       const char *name)
{
	for (size_t i = 0; i < cat->nfields; i++) {
		size_t k;
		json_t *v;

		json_array_foreach (cat->fields[i].unique_within, k, v) {
			const struct field *f = catalogue_field_named(cat, json_string_value(v));

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
	const struct field *f = catalogue_field_named(cat, name);

	return f != NULL && f->searchable;
}

bool catalogue_field_is_identifier(const struct catalogue *cat, const char *name)
{
	const struct field *f = catalogue_field_named(cat, name);

	return f != NULL && f->identifier;
}

json_t *catalogue_unique_within(const struct catalogue *cat)
{
	json_t *map = json_object();

	for (size_t i = 0; map != NULL && i < cat->nfields; i++) {
		const struct field *f = &cat->fields[i];
		json_t *within;

		if (!f->identifier)
			continue;
		within = f->unique_within != NULL ? json_copy(f->unique_within)
						  : json_pack("[s]", "country");
		if (json_object_set_new(map, f->name, within) != 0) {
			json_decref(map);
			map = NULL;
		}
	}
	return map;
}

bool catalogue_index_value(const struct catalogue *cat, const char *name, const char *value,
			   char *out, size_t out_len)
{
	const struct field *f = catalogue_field_named(cat, name);

	if (f == NULL || !f->searchable || value == NULL)
		return false;
	switch (f->format) {
	case F_NAME:
	case F_TEXT:
		return fold_name(value, out, out_len);
	case F_CODE:
	case F_PATTERN:
		return fold_code(value, out, out_len);
	default:
		if (value[0] == '\0' || strlen(value) >= out_len)
			return false;
		strcpy(out, value); /* npi, rpps ...: the validated form is the only one */
		return true;
	}
}
