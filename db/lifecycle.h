/*
 * lifecycle.h - data access for the account lifecycle of issue 20: an
 * address confirmed by its link, an email change (asked, confirmed by the
 * new address, cancelled by the old one), a password recovered by link.
 * Each runs in the caller's transaction, which has used the link's token
 * (outbox.h) first; values arrive sealed or hashed.
 *
 * An email change keeps the new address apart (pending_email_*) until
 * its link is used; the address it replaces stays for
 * EMAIL_CHANGE_CANCEL_DAYS (previous_email_*), taken for everyone else,
 * so that the cancel link mailed to it can give it back.
 */
#ifndef HCPD_LIFECYCLE_H
#define HCPD_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"

/* Marks account id's address confirmed (row locked). *ret_newly: it was
 * not before. ERR_NOT_FOUND for an erased account. Blocks. */
enum err db_email_confirmed(PGconn *conn, const char *id, bool *ret_newly);

/* Stores a pending change of account id's address to the one sealed in
 * enc (as its "email") with blind index bidx, unless that address is
 * taken: another account's, or one an email change replaced within its
 * cancel days (*ret_taken; nothing stored). Blocks. */
enum err db_email_change_request(PGconn *conn, const char *id, const unsigned char *enc, size_t len,
				 const unsigned char bidx[32], bool *ret_taken);

/* Applies account id's pending change to the address whose blind index
 * is target: it becomes the account's (confirmed), and the address it
 * replaces is kept for the cancel link (the first one, when a change
 * within the cancel days replaced it already). *ret_newly as above.
 * ERR_NOT_FOUND when that address is no longer pending, ERR_CONFLICT when
 * another account took it meanwhile. Blocks. */
enum err db_email_change_apply(PGconn *conn, const char *id, const unsigned char target[32],
			       bool *ret_newly);

/* Cancels account id's email change: a pending one is dropped, and an
 * address replaced within the cancel days comes back (confirmed:
 * *ret_restored); the other cancel links die. ERR_NOT_FOUND for an erased
 * account. Blocks. */
enum err db_email_change_cancel(PGconn *conn, const char *id, bool *ret_restored);

/* Sets account id's password hash after a recovery and confirms its
 * address (the link proved the inbox). *ret_newly as above. Blocks. */
enum err db_password_recovered(PGconn *conn, const char *id, const char *hash, bool *ret_newly);

#endif
