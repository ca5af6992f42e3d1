/*
 * notices.h - privacy notice versions (issue 25 item 5): who must be told
 * of a new notice, the one-mail-per-account-and-version mark, and an
 * account's acceptance of a version. The current version is the
 * catalogue's; the database knows only what each account accepted
 * (accounts.notice_version).
 */
#ifndef HCPD_DB_NOTICES_H
#define HCPD_DB_NOTICES_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* The SQL condition "account a must accept notice version n" (a
 * parameter such as "$4"): its accepted version differs. For the
 * statements of flows that wait for the acceptance (audience.c). */
#define NOTICE_PENDING(n) "(a.notice_version <> " n "::text)"

/* Up to max registered, not erased professionals who must accept version
 * and were not mailed about it yet. Blocks. */
enum err db_notice_to_mail(PGconn *conn, const char *version, size_t max, char (*ids)[UUID_STR_LEN],
			   size_t *ret_n);

/* Records that account id was mailed about version; *ret_marked is false
 * when it already was (another process or pass did it). Call it in the
 * transaction that queues the mail. Blocks. */
enum err db_notice_mail_mark(PGconn *conn, const char *id, const char *version, bool *ret_marked);

/* Records account id's acceptance of version (a notice_acceptances row,
 * and accounts.notice_version), in one transaction. ERR_NOT_FOUND for an
 * erased or unknown account. Blocks. */
enum err db_notice_accept(PGconn *conn, const char *id, const char *version);

#endif
