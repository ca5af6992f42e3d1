/*
 * paging.h - cursors and page sizes for listed resources (the review
 * queue, the audit log).
 *
 * A cursor is opaque to clients: the position after the last item of a
 * page (a number, and a UUID as tie-break where the order needs one),
 * hex-encoded. Decoding is strict, so a cursor that paging_cursor_encode()
 * could not have made is ERR_INVALID, never a surprise in SQL. Pure but
 * for paging_reply(), which reads a result.
 */
#ifndef HCPD_PAGING_H
#define HCPD_PAGING_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"

#define PAGING_CURSOR_MAX    128 /* bytes of an encoded cursor with its NUL */
#define PAGING_LIMIT_DEFAULT 50  /* items a page when the client does not say */
#define PAGING_LIMIT_MAX     100 /* items a page at most */

/* Encodes n and (if uuid is non-NULL) a UUID as a cursor into out. */
void paging_cursor_encode(long long n, const char *uuid, char out[PAGING_CURSOR_MAX]);

/* Decodes a cursor made by paging_cursor_encode() with a UUID (ret_uuid
 * non-NULL, 37 bytes) or without one (ret_uuid NULL). ERR_INVALID for
 * anything else; the outputs are then untouched. */
enum err paging_cursor_decode(const char *s, long long *ret_n, char *ret_uuid);

/* A "limit" query value: NULL gives PAGING_LIMIT_DEFAULT; otherwise 1 to
 * PAGING_LIMIT_MAX in plain decimal digits, else ERR_INVALID. */
enum err paging_limit(const char *s, int *ret_limit);

/* Reads a page's "cursor" and "limit" query values (either may be NULL)
 * as paging_cursor_decode() and paging_limit() do. NULL when both are
 * fine, else a problem's detail (static) naming the bad one. */
const char *paging_query(const char *cursor, const char *limit, long long *ret_n, char *ret_uuid,
			 int *ret_limit);

/* The body of one page, {"items": [...], "next_cursor": ...}: item(res,
 * row) for each of the first limit rows of res. Ask the database for
 * limit + 1 rows: when there are more than limit, next_cursor is the
 * position after the last one shown, its number from column n_col and
 * (when id_col >= 0) its UUID from id_col; else null. NULL when out of
 * memory. */
json_t *paging_reply(PGresult *res, int limit, json_t *(*item)(PGresult *res, int row), int n_col,
		     int id_col);

#endif
