/*
 * adminpage.h - the static web pages hcpd serves: the admin page
 * (HCPD_ADMIN_DIR) and the account pages a mailed link opens
 * (HCPD_PAGES_DIR). Each is a fixed allow-list of files read once at
 * start-up and served from memory, so no request ever names a path on
 * disk, with one strict Content-Security-Policy.
 */
#ifndef HCPD_ADMINPAGE_H
#define HCPD_ADMINPAGE_H

#include <stddef.h>

#include "err.h"
#include "http.h"

#define ADMINPAGE_DEFAULT_DIR "services/admin"
#define PAGES_DEFAULT_DIR     "services/pages"
#define ADMINPAGE_FILE_MAX    (256 * 1024) /* bytes of one file */

struct admin_asset {
	const char *name;  /* the file's name in the URL ("admin.js", "confirm-email") */
	const char *ctype; /* its Content-Type */
	char *body;        /* its bytes */
	size_t len;
};

struct admin_page;

/* Reads every allow-listed file of the admin page from dir. ERR_IO (or
 * ERR_TOO_BIG past ADMINPAGE_FILE_MAX) with why naming the file when one
 * cannot be read. Blocks (file reads). */
enum err adminpage_load(const char *dir, struct admin_page **ret_page, char *why, size_t why_len);

/* The same for the account pages: confirm-email, reset-password,
 * cancel-email-change and unsubscribe (each NAME.html), account.js,
 * account.css and favicon.svg. */
enum err adminpage_load_account(const char *dir, struct admin_page **ret_page, char *why,
				size_t why_len);

/* Accepts NULL. */
void adminpage_free(struct admin_page *page);

/* The file called name ("" is the first of the list, index.html for the
 * admin page), or NULL when name is not on the allow-list. */
const struct admin_asset *adminpage_find(const struct admin_page *page, const char *name);

/* Replies with page's file name, with the pages' headers (CSP: scripts,
 * styles, images and fetches from this origin only, no inline code, no
 * framing, no form posts); a 404 problem when page is NULL or name is not
 * on its list. */
enum MHD_Result adminpage_reply(struct req *r, const struct admin_page *page, const char *name);

/* body (stolen) as application/json with the pages' headers (their CSP):
 * a file of the pages made per request (issue 24: pagetext.h). */
enum MHD_Result adminpage_reply_json(struct req *r, json_t *body);

#endif
