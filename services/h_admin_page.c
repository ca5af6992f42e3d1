/*
 * h_admin_page.c - GET /admin/ and its files: the admin web page, static
 * HTML, CSS and JavaScript that call the JSON API with a token kept in
 * memory (no cookies); and GET /account/{page}, the pages a mailed link
 * opens (confirm an address, reset a password, cancel an email change,
 * unsubscribe), which read the link's token from the URL fragment. Served
 * from the allow-lists loaded at start-up with a strict
 * Content-Security-Policy (adminpage.h).
 */
#include <string.h>

#include "adminpage.h"
#include "app.h"
#include "handlers.h"
#include "pagetext.h"

enum MHD_Result h_admin_page_index(struct req *r)
{
	return adminpage_reply(r, r->app->admin_page, "");
}

enum MHD_Result h_admin_page_file(struct req *r)
{
	return adminpage_reply(r, r->app->admin_page, r->param);
}

enum MHD_Result h_account_page(struct req *r)
{
	/* the pages' texts in the reader's language (issue 24) */
	if (r->app->account_pages != NULL && strcmp(r->param, "strings.json") == 0)
		return pagetext_reply(r);
	return adminpage_reply(r, r->app->account_pages, r->param);
}
