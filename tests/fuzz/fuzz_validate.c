/*
 * fuzz_validate.c - the field validators of services/base/validate.c on
 * arbitrary bytes, each checked against what its header promises: an
 * accepted value has the documented shape, and validate_utf8 agrees with
 * a plain reference decoder written here from RFC 3629.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "validate.h"

/* RFC 3629: shortest forms only, no surrogates, at most U+10FFFF; and no
 * NUL, as validate.h adds. */
static int reference_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t n;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC0 && c <= 0xDF) {
			n = 1, cp = c & 0x1F, min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, cp = c & 0x0F, min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF7) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int count(const char *s, char c)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

static int all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t len;

	if (s == NULL)
		return 0;
	EXPECT(validate_utf8((const char *)data, size) == reference_utf8(data, size));
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	if (validate_no_controls(s))
		for (size_t i = 0; i < len; i++)
			EXPECT((unsigned char)s[i] >= 0x20 && s[i] != 0x7F);
	if (validate_email(s)) {
		EXPECT(len >= 3 && len <= 254 && count(s, '@') == 1);
		EXPECT(strcspn(s, "@") >= 1 && strcspn(s, "@") <= 64);
		EXPECT(strchr(strchr(s, '@'), '.') != NULL);
		EXPECT(strpbrk(s, " \r\n\t\"(),:;<>[\\]") == NULL);
	}
	if (validate_e164(s))
		EXPECT(s[0] == '+' && s[1] >= '1' && s[1] <= '9' && len >= 9 && len <= 16 &&
		       all_digits(s + 1));
	if (validate_country(s))
		EXPECT(len == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z');
	if (validate_npi(s))
		EXPECT(len == 10 && all_digits(s));
	if (validate_rpps(s))
		EXPECT(len == 11 && all_digits(s));
	if (validate_riziv(s))
		EXPECT(len == 11 && all_digits(s) && s[0] != '0');
	free(s);
	return 0;
}
