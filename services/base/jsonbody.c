/*
 * jsonbody.c - strict request-body parsing (see jsonbody.h). Error
 * messages are fixed strings: jansson's own text quotes the input, which
 * may hold a password, so it is never passed on.
 */
#include <string.h>

#include "i18n.h"
#include "jsonbody.h"
#include "validate.h"

bool json_nesting_exceeds(const char *buf, size_t len, int max_depth)
{
	bool in_string = false, escaped = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if ((c == '{' || c == '[') && ++depth > max_depth) {
			return true; /* no need to read further */
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return false;
}

enum err json_body_parse(const char *buf, size_t len, int max_depth, json_t **ret_obj,
			 const char **ret_why)
{
	json_error_t jerr;
	json_t *obj;

	if (len == 0) {
		*ret_why = N_("the request body is empty");
		return ERR_INVALID;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*ret_why = N_("the request body contains a NUL byte");
		return ERR_INVALID;
	}
	if (json_nesting_exceeds(buf, len, max_depth)) {
		*ret_why = N_("the JSON body is nested too deeply");
		return ERR_INVALID;
	}
	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		switch (json_error_code(&jerr)) {
		case json_error_duplicate_key:
			*ret_why = N_("the JSON body repeats a key");
			break;
		case json_error_invalid_utf8:
			*ret_why = N_("the request body is not valid UTF-8");
			break;
		case json_error_null_character:
		case json_error_null_byte_in_key:
			*ret_why = N_("the JSON body contains a NUL character");
			break;
		case json_error_out_of_memory:
			return ERR_NOMEM;
		default:
			*ret_why = N_("the request body is not valid JSON");
			break;
		}
		return ERR_INVALID;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		*ret_why = N_("the JSON body must be an object");
		return ERR_INVALID;
	}
	*ret_obj = obj;
	return ERR_OK;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
	while (*allowed != NULL && strcmp(*allowed, key) != 0)
		allowed++;
	return *allowed != NULL;
}

bool json_only_keys(json_t *obj, const char *const *allowed, const char **ret_bad)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		if (!key_allowed(key, allowed)) {
			*ret_bad = key;
			return false;
		}
	}
	return true;
}

const char *json_text(json_t *obj, const char *key, size_t max)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && s[0] != '\0' && strlen(s) <= max ? s : NULL;
}

enum err json_error_add(json_t *errors, const char *field, const char *code, const char *message)
{
	if (json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
						    "message", message)) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

enum err json_body_check_keys(json_t *obj, const char *const *allowed, json_t *errors)
{
	enum err err = ERR_OK;
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		if (!key_allowed(key, allowed) &&
		    json_error_add(errors, strlen(key) <= 64 ? key : "(body)", "unknown_field",
				   "this field is not accepted") != ERR_OK)
			err = ERR_NOMEM;
	}
	return err;
}

const char *json_body_reason(json_t *obj, size_t max, json_t *errors)
{
	static const char *const keys[] = {"reason", NULL};
	const char *reason = json_string_value(json_object_get(obj, "reason"));
	size_t before = json_array_size(errors);
	char message[80];

	json_body_check_keys(obj, keys, errors);
	json_body_require_strings(obj, keys, errors);
	if (reason != NULL &&
	    (reason[0] == '\0' || strlen(reason) > max || !validate_no_controls(reason))) {
		snprintf(message, sizeof(message),
			 "give a reason of 1 to %zu bytes without control characters", max);
		json_error_add(errors, "reason", "invalid", message);
	}
	return json_array_size(errors) == before ? reason : NULL;
}

enum err json_body_require_strings(json_t *obj, const char *const *keys, json_t *errors)
{
	enum err err = ERR_OK;

	for (size_t i = 0; keys[i] != NULL; i++) {
		json_t *v = json_object_get(obj, keys[i]);

		if (!json_is_string(v) && json_error_add(errors, keys[i], v ? "type" : "required",
							 "a string is required") != ERR_OK)
			err = ERR_NOMEM;
	}
	return err;
}
