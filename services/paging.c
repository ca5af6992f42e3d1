/*
 * paging.c - opaque cursors and page sizes (see paging.h). Owns nothing;
 * never logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "paging.h"
#include "validate.h"

#define NUMBER_MAX 18 /* digits of a position: below 10^18 fits a long long */

void paging_cursor_encode(long long n, const char *uuid, char out[PAGING_CURSOR_MAX])
{
	char plain[PAGING_CURSOR_MAX / 2];
	int len = uuid != NULL ? snprintf(plain, sizeof(plain), "%lld/%s", n, uuid)
			       : snprintf(plain, sizeof(plain), "%lld", n);

	if (len < 0 || (size_t)len >= sizeof(plain))
		len = 0; /* cannot happen with a UUID and a long long */
	crypto_hex((const unsigned char *)plain, (size_t)len, out);
}

enum err paging_cursor_decode(const char *s, long long *ret_n, char *ret_uuid)
{
	char plain[PAGING_CURSOR_MAX / 2];
	size_t len = strnlen(s, PAGING_CURSOR_MAX), digits;

	/* only what paging_cursor_encode makes: lower-case hex */
	if (len == 0 || len >= PAGING_CURSOR_MAX || strspn(s, "0123456789abcdef") != len ||
	    crypto_unhex(s, len, (unsigned char *)plain) != ERR_OK)
		return ERR_INVALID;
	if (memchr(plain, '\0', len / 2) != NULL)
		return ERR_INVALID; /* a NUL that would hide the rest */
	plain[len / 2] = '\0';
	digits = strspn(plain, "0123456789");
	if (digits == 0 || digits > NUMBER_MAX || (digits > 1 && plain[0] == '0'))
		return ERR_INVALID;
	if (ret_uuid != NULL ? plain[digits] != '/' || !validate_uuid(plain + digits + 1)
			     : plain[digits] != '\0')
		return ERR_INVALID;
	if (ret_uuid != NULL)
		memcpy(ret_uuid, plain + digits + 1, 37);
	plain[digits] = '\0';
	*ret_n = strtoll(plain, NULL, 10);
	return ERR_OK;
}

enum err paging_limit(const char *s, int *ret_limit)
{
	size_t digits;
	long n;

	if (s == NULL) {
		*ret_limit = PAGING_LIMIT_DEFAULT;
		return ERR_OK;
	}
	digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 3 || s[digits] != '\0')
		return ERR_INVALID;
	n = strtol(s, NULL, 10);
	if (n < 1 || n > PAGING_LIMIT_MAX)
		return ERR_INVALID;
	*ret_limit = (int)n;
	return ERR_OK;
}

const char *paging_query(const char *cursor, const char *limit, long long *ret_n, char *ret_uuid,
			 int *ret_limit)
{
	if (cursor != NULL && paging_cursor_decode(cursor, ret_n, ret_uuid) != ERR_OK)
		return "cursor must be a next_cursor this route gave";
	if (paging_limit(limit, ret_limit) != ERR_OK)
		return "limit must be an integer from 1 to 100";
	return NULL;
}

json_t *paging_reply(PGresult *res, int limit, json_t *(*item)(PGresult *res, int row), int n_col,
		     int id_col)
{
	char next[PAGING_CURSOR_MAX];
	int n = PQntuples(res), shown = n < limit ? n : limit;
	json_t *items = json_array();

	for (int i = 0; items != NULL && i < shown; i++)
		json_array_append_new(items, item(res, i));
	if (n > shown)
		paging_cursor_encode(strtoll(PQgetvalue(res, shown - 1, n_col), NULL, 10),
				     id_col >= 0 ? PQgetvalue(res, shown - 1, id_col) : NULL, next);
	return json_pack("{s:o, s:s?}", "items", items, "next_cursor", n > shown ? next : NULL);
}
