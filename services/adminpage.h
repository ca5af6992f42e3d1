/*
 * adminpage.h - the admin web page's files (HTML, CSS, JavaScript, icon):
 * a fixed allow-list read once from HCPD_ADMIN_DIR at start-up and served
 * from memory, so no request ever names a path on disk.
 */
#ifndef HCPD_ADMINPAGE_H
#define HCPD_ADMINPAGE_H

#include <stddef.h>

#include "err.h"

#define ADMINPAGE_DEFAULT_DIR "services/admin"
#define ADMINPAGE_FILE_MAX    (256 * 1024) /* bytes of one file */

struct admin_asset {
	const char *name;  /* the file name, as in the URL ("admin.js") */
	const char *ctype; /* its Content-Type */
	char *body;        /* its bytes */
	size_t len;
};

struct admin_page;

/* Reads every allow-listed file from dir. ERR_IO (or ERR_TOO_BIG past
 * ADMINPAGE_FILE_MAX) with why naming the file when one cannot be read.
 * Blocks (file reads). */
enum err adminpage_load(const char *dir, struct admin_page **ret_page, char *why, size_t why_len);

/* Accepts NULL. */
void adminpage_free(struct admin_page *page);

/* The file called name ("" is index.html), or NULL when name is not on
 * the allow-list. */
const struct admin_asset *adminpage_find(const struct admin_page *page, const char *name);

#endif
