/*
 * jsonptr.c - RFC 6901 JSON Pointer resolution (see jsonptr.h). Works on
 * the pointer text in place: a token is never copied, escaped ones are
 * compared with each key as they are decoded.
 */
#include <string.h>

#include "jsonptr.h"

bool jsonptr_valid(const char *pointer)
{
	if (pointer == NULL || (pointer[0] != '\0' && pointer[0] != '/'))
		return false;
	for (const char *p = pointer; *p != '\0'; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return false;
	return true;
}

/* Does the escaped token tok (len bytes) decode to key (key_len bytes)? */
static bool token_is(const char *tok, size_t len, const char *key, size_t key_len)
{
	size_t i = 0, k = 0;

	while (i < len) {
		char c = tok[i++];

		if (c == '~')
			c = tok[i++] == '0' ? '~' : '/'; /* valid: only ~0 and ~1 */
		if (k == key_len || key[k++] != c)
			return false;
	}
	return k == key_len;
}

/* The member of obj the escaped token names, or NULL. */
static json_t *member(const json_t *obj, const char *tok, size_t len)
{
	void *it;

	if (memchr(tok, '~', len) == NULL)
		return json_object_getn(obj, tok, len);
	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it))
		if (token_is(tok, len, json_object_iter_key(it), json_object_iter_key_len(it)))
			return json_object_iter_value(it);
	return NULL;
}

/* The element of arr the token names, or NULL: "0" or [1-9][0-9]*. */
static json_t *element(const json_t *arr, const char *tok, size_t len)
{
	size_t index = 0, size = json_array_size(arr);

	if (len == 0 || (tok[0] == '0' && len > 1))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return NULL;
		index = index * 10 + (size_t)(tok[i] - '0');
		if (index >= size)
			return NULL; /* and no overflow: size is far below SIZE_MAX / 10 */
	}
	return json_array_get(arr, index);
}

json_t *jsonptr_get(const json_t *doc, const char *pointer)
{
	const json_t *at = doc;
	const char *p = pointer;

	if (doc == NULL || !jsonptr_valid(pointer))
		return NULL;
	while (*p == '/' && at != NULL) {
		const char *tok = p + 1;
		size_t len = strcspn(tok, "/");

		if (json_is_object(at))
			at = member(at, tok, len);
		else if (json_is_array(at))
			at = element(at, tok, len);
		else
			at = NULL;
		p = tok + len;
	}
	return (json_t *)at;
}
