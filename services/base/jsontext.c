/*
 * jsontext.c - json_text_dump() (see jsontext.h). Owns nothing; the text
 * it returns belongs to the caller.
 */
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

/* Most documents (replies, log lines) fit: one encoding pass for them. */
#define FIRST_TRY 2048

char *json_text_dump(const json_t *json, size_t flags)
{
	char first[FIRST_TRY];
	size_t len, again;
	char *text;

	if (json == NULL)
		return NULL;
	len = json_dumpb(json, first, sizeof(first), flags);
	if (len == 0)
		return NULL; /* not encodable, or out of memory */
	text = malloc(len + 1);
	if (text == NULL)
		return NULL;
	if (len <= sizeof(first)) {
		memcpy(text, first, len);
	} else {
		again = json_dumpb(json, text, len, flags);
		if (again != len) {
			free(text);
			return NULL;
		}
	}
	text[len] = '\0';
	return text;
}
