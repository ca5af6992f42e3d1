/*
 * h_admin_page.c - GET /admin/ and its files: the admin web page, static
 * HTML, CSS and JavaScript that call the JSON API with a token kept in
 * memory (no cookies). Served from the allow-list loaded at start-up with
 * a strict Content-Security-Policy: scripts, styles and images from this
 * origin only, no inline code, no framing, no form posts.
 */
#include "adminpage.h"
#include "app.h"
#include "handlers.h"
#include "problem.h"

#define ADMIN_CSP                                                                                  \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "        \
	"require-trusted-types-for 'script'; trusted-types 'none'"

static enum MHD_Result serve(struct req *r, const char *name)
{
	const struct admin_asset *a =
		r->app->admin_page != NULL ? adminpage_find(r->app->admin_page, name) : NULL;

	if (a == NULL)
		return problem_send(r, 404, "not-found", "no such resource");
	http_add_header(r, "Content-Security-Policy", "%s", ADMIN_CSP);
	http_add_header(r, "Referrer-Policy", "no-referrer");
	http_add_header(r, "X-Frame-Options", "DENY");
	http_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	http_add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	return http_reply_static(r, 200, a->ctype, a->body, a->len);
}

enum MHD_Result h_admin_page_index(struct req *r)
{
	return serve(r, "");
}

enum MHD_Result h_admin_page_file(struct req *r)
{
	return serve(r, r->param);
}
