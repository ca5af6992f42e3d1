/*
 * adminpage.c - loads and serves the allow-listed files of hcpd's static
 * pages, the admin page and the account pages (see adminpage.h). Owns
 * their bytes for the process's life. A request's file name is only ever
 * compared with the list, never joined to a path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adminpage.h"
#include "problem.h"

/* An allow-list entry: the name in the URL, the file, its media type. */
struct page_file {
	const char *name, *file, *ctype;
};

#define HTML "text/html; charset=utf-8"

/* Every file the admin page has. */
static const struct page_file admin_files[] = {
	{"index.html", "index.html", HTML},
	{"admin.css", "admin.css", "text/css; charset=utf-8"},
	{"admin.js", "admin.js", "text/javascript; charset=utf-8"},
	{"console.js", "console.js", "text/javascript; charset=utf-8"},
	{"favicon.svg", "favicon.svg", "image/svg+xml"},
};

/* Every file of the account pages (the URL names the page, not its file). */
static const struct page_file account_files[] = {
	{"confirm-email", "confirm-email.html", HTML},
	{"reset-password", "reset-password.html", HTML},
	{"cancel-email-change", "cancel-email-change.html", HTML},
	{"unsubscribe", "unsubscribe.html", HTML},
	{"account.js", "account.js", "text/javascript; charset=utf-8"},
	{"account.css", "account.css", "text/css; charset=utf-8"},
	{"favicon.svg", "favicon.svg", "image/svg+xml"},
};

struct admin_page {
	size_t n;
	struct admin_asset assets[];
};

/* Reads path whole into *ret_body (malloc'd). */
static enum err read_file(const char *path, char **ret_body, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *body = NULL;
	size_t len;
	enum err err = ERR_IO;

	if (f == NULL)
		return ERR_IO;
	body = malloc(ADMINPAGE_FILE_MAX + 1);
	if (body == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	len = fread(body, 1, ADMINPAGE_FILE_MAX + 1, f);
	if (ferror(f))
		goto out;
	if (len > ADMINPAGE_FILE_MAX) {
		err = ERR_TOO_BIG;
		goto out;
	}
	*ret_body = body;
	*ret_len = len;
	body = NULL;
	err = ERR_OK;
out:
	free(body);
	fclose(f);
	return err;
}

static enum err load_files(const char *dir, const struct page_file *files, size_t n,
			   struct admin_page **ret_page, char *why, size_t why_len)
{
	struct admin_page *page = calloc(1, sizeof(*page) + n * sizeof(page->assets[0]));
	char path[4096];
	enum err err = ERR_OK;

	if (page == NULL)
		return ERR_NOMEM;
	page->n = n;
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		struct admin_asset *a = &page->assets[i];

		a->name = files[i].name;
		a->ctype = files[i].ctype;
		if (snprintf(path, sizeof(path), "%s/%s", dir, files[i].file) >= (int)sizeof(path))
			err = ERR_IO;
		else
			err = read_file(path, &a->body, &a->len);
		if (err != ERR_OK)
			snprintf(why, why_len, "%s/%s: %s", dir, files[i].file,
				 err == ERR_TOO_BIG ? "larger than 256 KiB" : "cannot be read");
	}
	if (err != ERR_OK) {
		adminpage_free(page);
		return err;
	}
	*ret_page = page;
	return ERR_OK;
}

enum err adminpage_load(const char *dir, struct admin_page **ret_page, char *why, size_t why_len)
{
	return load_files(dir, admin_files, sizeof(admin_files) / sizeof(admin_files[0]), ret_page,
			  why, why_len);
}

enum err adminpage_load_account(const char *dir, struct admin_page **ret_page, char *why,
				size_t why_len)
{
	return load_files(dir, account_files, sizeof(account_files) / sizeof(account_files[0]),
			  ret_page, why, why_len);
}

void adminpage_free(struct admin_page *page)
{
	if (page == NULL)
		return;
	for (size_t i = 0; i < page->n; i++)
		free(page->assets[i].body);
	free(page);
}

const struct admin_asset *adminpage_find(const struct admin_page *page, const char *name)
{
	if (name[0] == '\0')
		return page->n > 0 ? &page->assets[0] : NULL;
	for (size_t i = 0; i < page->n; i++)
		if (strcmp(page->assets[i].name, name) == 0)
			return &page->assets[i];
	return NULL;
}

#define PAGE_CSP                                                                                   \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "        \
	"require-trusted-types-for 'script'; trusted-types 'none'"

/* The headers every page file carries. */
static void page_headers(struct req *r)
{
	http_add_header(r, "Content-Security-Policy", "%s", PAGE_CSP);
	http_add_header(r, "Referrer-Policy", "no-referrer");
	http_add_header(r, "X-Frame-Options", "DENY");
	http_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	http_add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
}

enum MHD_Result adminpage_reply(struct req *r, const struct admin_page *page, const char *name)
{
	const struct admin_asset *a = page != NULL ? adminpage_find(page, name) : NULL;

	if (a == NULL)
		return problem_send(r, 404, "not-found", "no such resource");
	page_headers(r);
	return http_reply_static(r, 200, a->ctype, a->body, a->len);
}

enum MHD_Result adminpage_reply_json(struct req *r, json_t *body)
{
	page_headers(r);
	return http_reply_json(r, 200, body, NULL);
}
