/*
 * fuzz_accept_language.c - i18n_lookup() over arbitrary Accept-Language
 * values (issue 24). Input: the header text (a NUL-terminated copy).
 *
 * Checked: the answer is -1 (the default) or an index of the tag list;
 * a chosen tag is the range or a prefix of a range in the header, up to
 * a '-', compared without case (lookup never invents a language).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "i18n.h"

static bool header_names(const char *header, const char *tag)
{
	size_t len = strlen(tag);

	for (const char *p = header; *p != '\0'; p++)
		if (strncasecmp(p, tag, len) == 0 &&
		    (p[len] == '\0' || p[len] == '-' || p[len] == ';' || p[len] == ',' ||
		     p[len] == ' ' || p[len] == '\t'))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = {"en", "de", "fr", "nl", "zh-CN", "ms", "id"};
	const size_t ntags = sizeof(tags) / sizeof(tags[0]);
	char *text = malloc(size + 1);
	int i;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	i = i18n_lookup(text, tags, ntags);
	EXPECT(i >= -1 && i < (int)ntags);
	if (i >= 0)
		EXPECT(header_names(text, tags[i]));
	free(text);
	return 0;
}
