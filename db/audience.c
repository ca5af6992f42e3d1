/*
 * audience.c - a marketing channel's audience (see audience.h).
 */
#include <stdio.h>

#include "audience.h"
#include "db.h"
#include "dormancy.h"
#include "notices.h"

/* The ids who of the rest of the statement (a WHERE on accounts a, with
 * $1 the channel, $2 the cursor, $3 the limit and, when not NULL, $4 the
 * notice version) selects. */
static enum err ids_of(PGconn *conn, const char *who, const char *channel, const char *version,
		       const char *after, size_t max, char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	char lim[24];
	const char *params[4] = {channel, after, lim, version};
	PGresult *res;
	enum err err;

	snprintf(lim, sizeof(lim), "%zu", max);
	err = db_exec(conn, who, version != NULL ? 4 : 3, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	db_ids_read(res, max, ids, ret_n);
	PQclear(res);
	return ERR_OK;
}

/* The latest consent record of account a on channel $1 (NULL: none). */
#define LATEST                                                                                     \
	"(SELECT c.granted FROM consents c WHERE c.account_id = a.id "                             \
	"AND c.purpose = $1 ORDER BY c.id DESC LIMIT 1)"

#define PAGE "AND ($2::uuid IS NULL OR a.id > $2::uuid) ORDER BY a.id LIMIT $3::int"

enum err db_marketing_audience(PGconn *conn, const char *channel, const char *notice_version,
			       const char *after, size_t max, char (*ids)[UUID_STR_LEN],
			       size_t *ret_n)
{
	return ids_of(conn,
		      "SELECT a.id FROM accounts a WHERE a.role = 'professional' "
		      "AND a.erased_at IS NULL AND a.data_key IS NOT NULL AND a.email_verified "
		      "AND NOT a.processing_restricted AND NOT " NOTICE_PENDING(
			      "$4") " AND coalesce(" LATEST ", false) " PAGE,
		      channel, notice_version, after, max, ids, ret_n);
}

enum err db_marketing_opted_out(PGconn *conn, const char *channel, const char *after, size_t max,
				char (*ids)[UUID_STR_LEN], size_t *ret_n)
{
	return ids_of(conn,
		      "SELECT a.id FROM accounts a WHERE a.role = 'professional' "
		      "AND a.erased_at IS NULL AND a.data_key IS NOT NULL "
		      "AND NOT coalesce(" LATEST ", true) " PAGE,
		      channel, NULL, after, max, ids, ret_n);
}
