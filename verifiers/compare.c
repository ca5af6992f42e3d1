/*
 * compare.c - normalised comparison of names and codes (see compare.h).
 */
#include <string.h>

#include "compare.h"

/* U+00C0 to U+017F without their accents, upper case; "" for signs. */
static const char *const latin[] = {
	"A", "A", "A",  "A",  "A", "A", "AE", "C",
	"E", "E", "E",  "E",  "I", "I", "I",  "I", /* U+00C0 */
	"D", "N", "O",  "O",  "O", "O", "O",  "",
	"O", "U", "U",  "U",  "U", "Y", "TH", "SS", /* U+00D0 */
	"A", "A", "A",  "A",  "A", "A", "AE", "C",
	"E", "E", "E",  "E",  "I", "I", "I",  "I", /* U+00E0 */
	"D", "N", "O",  "O",  "O", "O", "O",  "",
	"O", "U", "U",  "U",  "U", "Y", "TH", "Y", /* U+00F0 */
	"A", "A", "A",  "A",  "A", "A", "C",  "C",
	"C", "C", "C",  "C",  "C", "C", "D",  "D", /* U+0100 */
	"D", "D", "E",  "E",  "E", "E", "E",  "E",
	"E", "E", "E",  "E",  "G", "G", "G",  "G", /* U+0110 */
	"G", "G", "G",  "G",  "H", "H", "H",  "H",
	"I", "I", "I",  "I",  "I", "I", "I",  "I", /* U+0120 */
	"I", "I", "IJ", "IJ", "J", "J", "K",  "K",
	"K", "L", "L",  "L",  "L", "L", "L",  "L", /* U+0130 */
	"L", "L", "L",  "N",  "N", "N", "N",  "N",
	"N", "N", "N",  "N",  "O", "O", "O",  "O", /* U+0140 */
	"O", "O", "OE", "OE", "R", "R", "R",  "R",
	"R", "R", "S",  "S",  "S", "S", "S",  "S", /* U+0150 */
	"S", "S", "T",  "T",  "T", "T", "T",  "T",
	"U", "U", "U",  "U",  "U", "U", "U",  "U", /* U+0160 */
	"U", "U", "U",  "U",  "W", "W", "Y",  "Y",
	"Y", "Z", "Z",  "Z",  "Z", "Z", "Z",  "S", /* U+0170 */
};

/* The length of the UTF-8 sequence s starts (1 for a stray byte) and its
 * code point. */
static size_t decode(const unsigned char *s, unsigned *ret_cp)
{
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
	unsigned cp = len == 1 ? s[0] : s[0] & (0x3F >> (len - 1));

	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*ret_cp = s[0];
			return 1;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*ret_cp = cp;
	return len;
}

void compare_normalise(const char *s, char out[COMPARE_TEXT_MAX])
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = 0;

	while (*p != '\0') {
		unsigned cp;
		size_t len = decode(p, &cp);
		const char *add = NULL;
		char one[2] = "";
		size_t add_len;

		if (cp < 0x80) { /* most names: no table, no strlen (a roster load's hot path) */
			if ((cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
				one[0] = (char)cp;
			else if (cp >= 'a' && cp <= 'z')
				one[0] = (char)(cp - 'a' + 'A');
			p += len;
			if (one[0] == '\0')
				continue;
			if (n + 1 >= COMPARE_TEXT_MAX)
				break;
			out[n++] = one[0];
			continue;
		} else if (cp >= 0xC0 && cp <= 0x17F) {
			add = latin[cp - 0xC0];
		} else if (cp > 0x17F) {
			add = NULL; /* another script: kept byte for byte */
		} else {
			add = ""; /* Latin-1 signs and spaces */
		}
		add_len = add != NULL ? strlen(add) : len;
		if (n + add_len >= COMPARE_TEXT_MAX)
			break;
		memcpy(out + n, add != NULL ? add : (const char *)p, add_len);
		n += add_len;
		p += len;
	}
	out[n] = '\0';
}

bool compare_names(const char *registered, const char *registry)
{
	char a[COMPARE_TEXT_MAX], b[COMPARE_TEXT_MAX];

	compare_normalise(registered, a);
	compare_normalise(registry, b);
	return a[0] != '\0' && strcmp(a, b) == 0;
}

bool compare_given_names(const char *registered, const char *registry)
{
	char a[COMPARE_TEXT_MAX], b[COMPARE_TEXT_MAX];

	compare_normalise(registered, a);
	compare_normalise(registry, b);
	if (a[0] == '\0' || b[0] == '\0')
		return false;
	if ((a[1] == '\0' || b[1] == '\0') && a[0] == b[0])
		return true; /* an initial */
	return strcmp(a, b) == 0;
}

bool compare_record(json_t *checks, json_t *evidence, const char *field, const char *registered,
		    const char *registry, bool match, enum err *ret_err)
{
	char a[COMPARE_TEXT_MAX], b[COMPARE_TEXT_MAX];
	bool absent = registry == NULL || registry[0] == '\0';

	if (json_object_set_new(checks, field,
				json_string(absent  ? "absent"
					    : match ? "match"
						    : "mismatch")) != 0)
		*ret_err = ERR_NOMEM;
	if (absent)
		return true;
	compare_normalise(registered, a);
	compare_normalise(registry, b);
	if (json_object_set_new(evidence, field,
				json_pack("{s:s, s:s}", "registration", a, "registry", b)) != 0)
		*ret_err = ERR_NOMEM;
	return match;
}
