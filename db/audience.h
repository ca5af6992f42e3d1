/*
 * audience.h - who a marketing channel may reach now (issue 25 item 3):
 * professionals whose latest consent on the channel grants it, with a
 * confirmed address, not restricted, not erased. Ids only; the gate then
 * decides each release again (ledger.h).
 */
#ifndef HCPD_DB_AUDIENCE_H
#define HCPD_DB_AUDIENCE_H

#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* Up to max ids (*ret_n how many) of the audience of channel, in id order,
 * after the id after (NULL: from the start). An account that has not
 * accepted notice_version (the current privacy notice) waits outside it
 * (issue 25 item 5). Blocks. */
enum err db_marketing_audience(PGconn *conn, const char *channel, const char *notice_version,
			       const char *after, size_t max, char (*ids)[UUID_STR_LEN],
			       size_t *ret_n);

/* The same for the opted-out of channel: professionals not erased whose
 * latest consent record on it withholds it (the suppression list). */
enum err db_marketing_opted_out(PGconn *conn, const char *channel, const char *after, size_t max,
				char (*ids)[UUID_STR_LEN], size_t *ret_n);

#endif
