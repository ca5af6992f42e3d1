/*
 * mime.c - RFC 2047 header words and base64 bodies for mail text
 * (mime.h).
 */
#include <string.h>

#include "crypto.h"
#include "mime.h"

#define WORD_BYTES 45 /* text bytes per encoded-word: 60 base64 + 12 = 72 <= 75 */
#define LINE_BYTES 57 /* body bytes per base64 line: 76 characters */

bool mime_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Appends len bytes of s at *at in out; false when it does not fit. */
static bool put(char *out, size_t out_len, size_t *at, const char *s, size_t len)
{
	if (len >= out_len - *at)
		return false;
	memcpy(out + *at, s, len);
	*at += len;
	out[*at] = '\0';
	return true;
}

bool mime_header_encode(const char *text, char *out, size_t out_len)
{
	char b64[4 * ((WORD_BYTES + 2) / 3) + 1];
	size_t at = 0, len = strlen(text);

	if (out_len == 0)
		return false;
	out[0] = '\0';
	if (mime_is_ascii(text))
		return put(out, out_len, &at, text, len);
	while (len > 0) {
		size_t n = len < WORD_BYTES ? len : WORD_BYTES;

		/* never between a lead byte and its continuation bytes */
		while (n < len && n > 1 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
		crypto_base64((const unsigned char *)text, n, b64);
		if ((at > 0 && !put(out, out_len, &at, "\r\n ", 3)) ||
		    !put(out, out_len, &at, "=?UTF-8?B?", 10) ||
		    !put(out, out_len, &at, b64, strlen(b64)) || !put(out, out_len, &at, "?=", 2))
			return false;
		text += n;
		len -= n;
	}
	return true;
}

/* The body as base64 of its CRLF form, LINE_BYTES of it per line. */
static bool body_base64(const char *text, char *out, size_t out_len, size_t *at)
{
	unsigned char chunk[LINE_BYTES];
	char b64[4 * ((LINE_BYTES + 2) / 3) + 1];
	size_t n = 0;
	bool cr_due = false; /* an LF's CR went out, the LF is next */

	while (*text != '\0' || cr_due || n > 0) {
		while (n < LINE_BYTES && (*text != '\0' || cr_due)) {
			if (cr_due) {
				chunk[n++] = '\n';
				cr_due = false;
				text++;
			} else if (*text == '\n') {
				chunk[n++] = '\r';
				cr_due = true;
			} else {
				chunk[n++] = (unsigned char)*text++;
			}
		}
		crypto_base64(chunk, n, b64);
		if (!put(out, out_len, at, b64, strlen(b64)) || !put(out, out_len, at, "\r\n", 2))
			return false;
		n = 0;
	}
	return true;
}

bool mime_body_encode(const char *text, char *out, size_t out_len, size_t *ret_len,
		      const char **ret_encoding)
{
	size_t at = 0;
	bool ascii = mime_is_ascii(text);

	if (out_len == 0)
		return false;
	out[0] = '\0';
	if (!ascii && !body_base64(text, out, out_len, &at))
		return false;
	for (; ascii && *text != '\0'; text++) {
		size_t span = strcspn(text, "\n");

		if (!put(out, out_len, &at, text, span))
			return false;
		text += span;
		if (*text == '\0')
			break;
		if (!put(out, out_len, &at, "\r\n", 2))
			return false;
	}
	*ret_len = at;
	*ret_encoding = ascii ? "7bit" : "base64";
	return true;
}
