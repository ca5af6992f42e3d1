/*
 * mime.h - text that is not ASCII in a mail (issue 24: translated mail):
 * a header value as RFC 2047 encoded-words, a body as base64 (RFC 2045
 * section 6.8) with CRLF line ends. ASCII text is left as it is, so an
 * English mail reads exactly as before. Pure; no allocation.
 */
#ifndef HCPD_MIME_H
#define HCPD_MIME_H

#include <stdbool.h>
#include <stddef.h>

/* Is s (NUL-terminated) 7-bit ASCII? */
bool mime_is_ascii(const char *s);

/* The header value text (UTF-8) into out (out_len bytes, NUL-terminated):
 * as it is when ASCII, else "=?UTF-8?B?...?=" words of at most 75
 * characters, each holding whole UTF-8 characters, folded with CRLF SP.
 * false when it does not fit. */
bool mime_header_encode(const char *text, char *out, size_t out_len);

/* The body text (UTF-8, lines ending in LF) into out, lines ending in
 * CRLF: as it is when ASCII (*ret_encoding "7bit"), else base64 in lines
 * of 76 characters (*ret_encoding "base64"). The length written into
 * *ret_len (out is NUL-terminated too). false when it does not fit. */
bool mime_body_encode(const char *text, char *out, size_t out_len, size_t *ret_len,
		      const char **ret_encoding);

#endif
