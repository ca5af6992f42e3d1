/*
 * fuzz_profile.c - the catalogue's profile and consent checks
 * (catalogue_check_profile, catalogue_check_consents) on profiles built
 * from the input bytes: each step sets a catalogue field, an unknown key
 * or a consent to a string, a wrong type or a boolean. Building values
 * directly reaches the field rules far more often than JSON text would
 * (fuzz_jsonbody covers the text). Strings are valid UTF-8 without NUL,
 * as the JSON parser guarantees first.
 *
 * Checked: no ERR_NOMEM; every error names "profile[.<field>]" or
 * "consents[.<purpose>]" with a documented code; every field given as a
 * non-empty string ends up either copied (into personal or public, as
 * the catalogue says, the very value given) or with an error, never both
 * and never neither; nothing else is copied.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "catalogue.h"

#define FIELDS_MAX 64

static struct catalogue *cat;
static const char *fields[FIELDS_MAX];
static size_t nfields;
static json_t *schema; /* owns the field names */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256];
	size_t len, i;
	const char *body;
	json_t *f;

	(void)argc;
	(void)argv;
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK)
		abort(); /* run from the repository root */
	body = catalogue_body(cat, &len);
	schema = json_loadb(body, len, 0, NULL);
	json_array_foreach (json_object_get(schema, "fields"), i, f) {
		if (nfields < FIELDS_MAX)
			fields[nfields++] = json_string_value(json_object_get(f, "name"));
	}
	EXPECT(nfields > 0 && catalogue_consent_count(cat) > 0);
	return 0;
}

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned next(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/* Up to 255 bytes of the input as a JSON string; NULL when they are not
 * valid UTF-8 or hold a NUL (the parser refuses those). */
static json_t *next_string(struct input *in)
{
	size_t n = next(in);

	if (n > in->left)
		n = in->left;
	in->p += n;
	in->left -= n;
	if (memchr(in->p - n, '\0', n) != NULL)
		return NULL;
	return json_stringn((const char *)in->p - n, n);
}

static json_t *wrong_type(unsigned kind)
{
	switch (kind % 6) {
	case 0:
		return json_null();
	case 1:
		return json_integer(kind);
	case 2:
		return json_real(0.5);
	case 3:
		return json_boolean(kind & 8);
	case 4:
		return json_array();
	default:
		return json_object();
	}
}

static int has_error(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach (errors, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return 1;
	}
	return 0;
}

static void check_errors(json_t *errors)
{
	static const char *const codes[] = {"required", "type",          "too_long",
					    "invalid",  "unknown_field", NULL};
	size_t i, k;
	json_t *e;

	json_array_foreach (errors, i, e) {
		const char *field = json_string_value(json_object_get(e, "field"));
		const char *code = json_string_value(json_object_get(e, "code"));

		EXPECT(field != NULL && code != NULL &&
		       json_is_string(json_object_get(e, "message")));
		EXPECT(strncmp(field, "profile", 7) == 0 || strncmp(field, "consents", 8) == 0);
		for (k = 0; codes[k] != NULL && strcmp(codes[k], code) != 0; k++)
			;
		EXPECT(codes[k] != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	unsigned shape = next(&in);
	json_t *profile = shape % 16 == 0 ? wrong_type(shape / 16) : json_object();
	json_t *consents = shape % 16 == 1 ? wrong_type(shape / 16) : json_object();
	json_t *errors = json_array(), *personal = json_object(), *public = json_object();
	const char *key;
	char field[96];
	size_t i;
	json_t *v;

	while (in.left > 0) {
		unsigned op = next(&in), which = next(&in);
		size_t np = catalogue_consent_count(cat);
		json_t *s;

		switch (op % 8) {
		case 0:
		case 1:
		case 2:
		case 3: /* a catalogue field, as a string */
			s = next_string(&in);
			if (s != NULL && json_is_object(profile))
				json_object_set_new(profile, fields[which % nfields], s);
			else
				json_decref(s);
			break;
		case 4: /* a catalogue field of another type */
			if (json_is_object(profile))
				json_object_set_new(profile, fields[which % nfields],
						    wrong_type(next(&in)));
			break;
		case 5: /* a key outside the catalogue */
			s = next_string(&in);
			if (s != NULL && json_is_object(profile))
				json_object_set_new(profile, json_string_value(s), json_true());
			json_decref(s);
			break;
		case 6: /* a consent purpose */
			if (json_is_object(consents))
				json_object_set_new(
					consents, catalogue_consent_purpose(cat, which % np),
					which & 0x80 ? wrong_type(which) : json_boolean(which & 1));
			break;
		default: /* an unknown purpose */
			s = next_string(&in);
			if (s != NULL && json_is_object(consents))
				json_object_set_new(consents, json_string_value(s), json_true());
			json_decref(s);
			break;
		}
	}

	EXPECT(catalogue_check_profile(cat, profile, errors, personal, public) == ERR_OK);
	EXPECT(catalogue_check_consents(cat, consents, errors) == ERR_OK);
	check_errors(errors);
	if (!json_is_object(profile))
		EXPECT(has_error(errors, "profile") && json_object_size(personal) == 0 &&
		       json_object_size(public) == 0);
	if (!json_is_object(consents))
		EXPECT(has_error(errors, "consents"));
	/* nothing copied but catalogue fields, each the value given, each where
	 * the catalogue puts it */
	json_object_foreach (personal, key, v) {
		EXPECT(v == json_object_get(profile, key) && !catalogue_field_is_public(cat, key));
	}
	json_object_foreach (public, key, v) {
		EXPECT(v == json_object_get(profile, key) && catalogue_field_is_public(cat, key));
	}
	/* a field given as a non-empty string is copied or refused, not both */
	for (i = 0; i < nfields && json_is_object(profile); i++) {
		v = json_object_get(profile, fields[i]);
		if (!json_is_string(v) || json_string_length(v) == 0)
			continue;
		snprintf(field, sizeof(field), "profile.%s", fields[i]);
		EXPECT((json_object_get(personal, fields[i]) != NULL ||
			json_object_get(public, fields[i]) != NULL) != has_error(errors, field));
	}
	json_decref(profile);
	json_decref(consents);
	json_decref(errors);
	json_decref(personal);
	json_decref(public);
	return 0;
}
