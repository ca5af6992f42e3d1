/*
 * fuzz_jsonbody.c - request bodies through the strict JSON parser and,
 * when they parse, through registration's field checks (catalogue,
 * consents, password policy), as the server runs them.
 */
#include <stdint.h>
#include <stdlib.h>

#include "catalogue.h"
#include "jsonbody.h"
#include "password.h"

static struct catalogue *cat;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256];

	(void)argc;
	(void)argv;
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK)
		abort(); /* run from the repository root */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = NULL, *errors, *personal, *public, *password;
	const char *why;

	if (json_body_parse((const char *)data, size, 16, &body, &why) != ERR_OK)
		return 0;
	errors = json_array();
	personal = json_object();
	public = json_object();
	catalogue_check_profile(cat, json_object_get(body, "profile"), errors, personal, public);
	catalogue_check_consents(cat, json_object_get(body, "consents"), errors);
	password = json_object_get(body, "password");
	if (json_is_string(password))
		password_check(json_string_value(password),
			       json_string_value(json_object_get(body, "email")), NULL, errors);
	json_decref(errors);
	json_decref(personal);
	json_decref(public);
	json_decref(body);
	return 0;
}
