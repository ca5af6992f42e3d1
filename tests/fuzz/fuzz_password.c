/*
 * fuzz_password.c - the password policy (password_check) on arbitrary
 * text. The input is split at newlines into password, email and up to
 * three names; the password must be valid UTF-8 without NUL, as the JSON
 * parser guarantees before the policy ever runs. Checked: the call never
 * fails for want of memory here, every error it reports is one password.h
 * names, and the length rules hold exactly: under 15 characters is
 * too_short and alone, over 128 too_long and alone, in between neither.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "password.h"
#include "validate.h"

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const codes[] = {"too_short",      "too_long",      "too_common",
					    "contains_email", "contains_name", NULL};
	char *text, *part[5] = {NULL};
	const char *names[4] = {NULL};
	json_t *errors, *e;
	size_t chars, i;
	int nparts = 0, short_seen = 0, long_seen = 0;

	/* the policy's input: 1 KiB is already 8 times the longest password */
	if (size > 1024 || !validate_utf8((const char *)data, size))
		return 0;
	text = malloc(size + 1);
	errors = json_array();
	if (text == NULL || errors == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	/* split by hand: strtok_r would merge empty fields */
	part[nparts++] = text;
	for (char *p = text; *p != '\0' && nparts < 5; p++) {
		if (*p == '\n') {
			*p = '\0';
			part[nparts++] = p + 1;
		}
	}
	for (i = 2; i < (size_t)nparts; i++)
		names[i - 2] = part[i];
	EXPECT(password_check(part[0], nparts > 1 ? part[1] : NULL, names, errors) == ERR_OK);
	chars = utf8_chars(part[0]);
	json_array_foreach (errors, i, e) {
		const char *field = json_string_value(json_object_get(e, "field"));
		const char *code = json_string_value(json_object_get(e, "code"));
		size_t k = 0;

		EXPECT(field != NULL && strcmp(field, "password") == 0 && code != NULL);
		while (codes[k] != NULL && strcmp(codes[k], code) != 0)
			k++;
		EXPECT(codes[k] != NULL);
		short_seen += k == 0;
		long_seen += k == 1;
	}
	EXPECT(short_seen == (chars < PASSWORD_MIN_CHARS));
	EXPECT(long_seen == (chars > PASSWORD_MAX_CHARS));
	if (short_seen || long_seen)
		EXPECT(json_array_size(errors) == 1);
	json_decref(errors);
	free(text);
	return 0;
}
