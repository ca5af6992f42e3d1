/*
 * links.c - mail link templates (see links.h). Owns nothing; a template
 * is checked once, at start-up, and expanded by the mailer for each mail.
 */
#include <stdbool.h>
#include <string.h>

#include "links.h"

#define PUBLIC_URL "{public_url}"
#define TOKEN      "{token}"
#define TOKEN_MAX  64

/* What may appear in a link besides the placeholders: printable ASCII but
 * space and what would end a URL in a mail or an HTML attribute. */
static bool url_char(char c)
{
	return c > 0x20 && c < 0x7F && strchr("\"'<>\\^`{|}", c) == NULL;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what))
		n++;
	return n;
}

const char *link_template_check(const char *tmpl)
{
	size_t len = strnlen(tmpl, LINK_TEMPLATE_MAX + 1);
	const char *token = strstr(tmpl, TOKEN), *query, *fragment;
	size_t from = strncmp(tmpl, PUBLIC_URL, strlen(PUBLIC_URL)) == 0 ? strlen(PUBLIC_URL) : 0;

	if (len == 0 || len > LINK_TEMPLATE_MAX)
		return "must be 1 to 300 characters";
	if (from == 0 && strncmp(tmpl, "https://", 8) != 0 && strncmp(tmpl, "http://", 7) != 0)
		return "must begin with {public_url}, https:// or http://";
	if (count(tmpl, PUBLIC_URL) > (from > 0 ? 1u : 0u))
		return "may hold {public_url} only at its beginning";
	if (token == NULL || count(tmpl, TOKEN) != 1)
		return "must hold {token} exactly once";
	for (size_t i = from; i < len; i++) {
		if (tmpl + i == token) {
			i += strlen(TOKEN) - 1;
			continue;
		}
		if (!url_char(tmpl[i]))
			return "may hold only printable ASCII without spaces, quotes, <, >, \\, ^, "
			       "`, "
			       "|, or braces other than its placeholders";
	}
	/* the query is logged and sent as Referer; the fragment never leaves
	 * the browser */
	query = memchr(tmpl, '?', (size_t)(token - tmpl));
	fragment = memchr(tmpl, '#', (size_t)(token - tmpl));
	if (query != NULL && fragment == NULL)
		return "must not put {token} in the query string (use the fragment: "
		       "#token={token})";
	return NULL;
}

enum err link_build(const char *tmpl, const char *public_url, const char *token, char out[LINK_MAX])
{
	size_t tlen = strnlen(token, TOKEN_MAX + 1), n = 0;

	if (tlen == 0 || tlen > TOKEN_MAX ||
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    tlen)
		return ERR_INVALID;
	for (const char *p = tmpl; *p != '\0';) {
		const char *piece = p;
		size_t len = 1, skip = 1;

		if (strncmp(p, PUBLIC_URL, strlen(PUBLIC_URL)) == 0) {
			piece = public_url;
			len = strlen(public_url);
			skip = strlen(PUBLIC_URL);
		} else if (strncmp(p, TOKEN, strlen(TOKEN)) == 0) {
			piece = token;
			len = tlen;
			skip = strlen(TOKEN);
		}
		if (n + len >= LINK_MAX)
			return ERR_TOO_BIG;
		memcpy(out + n, piece, len);
		n += len;
		p += skip;
	}
	out[n] = '\0';
	return ERR_OK;
}
