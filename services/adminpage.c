/*
 * adminpage.c - loads the admin page's allow-listed files (see
 * adminpage.h). Owns their bytes for the process's life. A request's file
 * name is only ever compared with the list, never joined to a path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adminpage.h"

/* The allow-list: every file the page has, and its media type. */
static const struct {
	const char *name, *ctype;
} files[] = {
	{"index.html", "text/html; charset=utf-8"},
	{"admin.css", "text/css; charset=utf-8"},
	{"admin.js", "text/javascript; charset=utf-8"},
	{"console.js", "text/javascript; charset=utf-8"},
	{"favicon.svg", "image/svg+xml"},
};

#define NFILES (sizeof(files) / sizeof(files[0]))

struct admin_page {
	struct admin_asset assets[NFILES];
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

enum err adminpage_load(const char *dir, struct admin_page **ret_page, char *why, size_t why_len)
{
	struct admin_page *page = calloc(1, sizeof(*page));
	char path[4096];
	enum err err = ERR_OK;

	if (page == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; err == ERR_OK && i < NFILES; i++) {
		struct admin_asset *a = &page->assets[i];

		a->name = files[i].name;
		a->ctype = files[i].ctype;
		if (snprintf(path, sizeof(path), "%s/%s", dir, a->name) >= (int)sizeof(path))
			err = ERR_IO;
		else
			err = read_file(path, &a->body, &a->len);
		if (err != ERR_OK)
			snprintf(why, why_len, "%s/%s: %s", dir, a->name,
				 err == ERR_TOO_BIG ? "larger than 256 KiB" : "cannot be read");
	}
	if (err != ERR_OK) {
		adminpage_free(page);
		return err;
	}
	*ret_page = page;
	return ERR_OK;
}

void adminpage_free(struct admin_page *page)
{
	if (page == NULL)
		return;
	for (size_t i = 0; i < NFILES; i++)
		free(page->assets[i].body);
	free(page);
}

const struct admin_asset *adminpage_find(const struct admin_page *page, const char *name)
{
	if (name[0] == '\0')
		name = "index.html";
	for (size_t i = 0; i < NFILES; i++)
		if (strcmp(page->assets[i].name, name) == 0)
			return &page->assets[i];
	return NULL;
}
