/*
 * h_unsubscribe_page.c - GET /v1/unsubscribe/{token}?channel=... (issue 25
 * item 4): a browser opening a List-Unsubscribe link gets the unsubscribe
 * page (/account/unsubscribe), whose one button makes the RFC 8058 POST to
 * the same URL. The GET itself changes nothing, so a mail scanner that
 * follows links unsubscribes no one.
 */
#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "marketing.h"
#include "problem.h"

/* A token as marketing.h makes them: base64url, MARKETING_TOKEN_LEN long,
 * so it can go into a header as it is. */
static bool token_shape(const char *s)
{
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	return s != NULL && strlen(s) == MARKETING_TOKEN_LEN && strspn(s, b64url) == strlen(s);
}

enum MHD_Result h_unsubscribe_page(struct req *r)
{
	const char *channel =
		MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "channel");

	/* marketing channels are catalogue purposes, [a-z_]: header-safe */
	if (!marketing_channel_ok(r->app, channel) || !token_shape(r->param))
		return problem_send(r, 400, "bad-request",
				    "this unsubscribe link is incomplete: it needs the token of "
				    "a message and ?channel=marketing_...");
	/* the token goes in the fragment, which the page reads and then
	 * drops from the address bar; no cache keeps the redirect */
	http_add_header(r, "Location", "/account/unsubscribe#token=%s&channel=%s", r->param,
			channel);
	http_add_header(r, "Cache-Control", "no-store");
	http_add_header(r, "Referrer-Policy", "no-referrer");
	return http_reply_static(r, 303, NULL, "", 0);
}
