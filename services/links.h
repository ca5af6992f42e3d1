/*
 * links.h - the links hcpd puts in mail: templates (HCPD_LINK_*) checked at
 * start-up and expanded with HCPD_PUBLIC_URL and a token when a mail is
 * sent. Pure: no I/O, no allocation.
 *
 * A template holds "{token}" once and may begin with "{public_url}";
 * otherwise it is an absolute http(s) URL. The token must not be in the
 * query string, which lands in access logs and Referer headers: put it in
 * the fragment (the default, "#token={token}"), which browsers never send,
 * or in the path of a page that is used once.
 */
#ifndef HCPD_LINKS_H
#define HCPD_LINKS_H

#include <stddef.h>

#include "err.h"

#define LINK_TEMPLATE_MAX 300 /* characters of a template */
#define LINK_MAX          640 /* bytes of an expanded link, NUL included */

/* NULL when tmpl is a usable template (see above), else why not (a static
 * string that never quotes the template). */
const char *link_template_check(const char *tmpl);

/* Expands a checked template into out (LINK_MAX bytes): "{public_url}"
 * becomes public_url, "{token}" token. ERR_TOO_BIG when it does not fit,
 * ERR_INVALID when token is not 1 to 64 base64url characters. out is
 * NUL-terminated on ERR_OK only. */
enum err link_build(const char *tmpl, const char *public_url, const char *token,
		    char out[LINK_MAX]);

#endif
