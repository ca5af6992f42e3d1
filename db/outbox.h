/*
 * outbox.h - data access for single-use email tokens and the notification
 * outbox (migration 0003). Tokens arrive hashed and payloads sealed: this
 * layer never sees an address or a token in clear.
 */
#ifndef HCPD_OUTBOX_H
#define HCPD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* Outbox kinds (the outbox.kind column). */
#define OUTBOX_CONFIRM_EMAIL      "confirm_email"
#define OUTBOX_ALREADY_REGISTERED "already_registered"
/* Admin review notices (migration 0007 adds them to outbox_kinds). */
#define OUTBOX_REVIEW_INFO_REQUESTED "review_info_requested"
#define OUTBOX_REVIEW_APPROVED       "review_approved"
#define OUTBOX_REVIEW_REJECTED       "review_rejected"
/* Monitoring notices (migration 0009). */
#define OUTBOX_ACCOUNT_SUSPENDED       "account_suspended"
#define OUTBOX_MONITORING_REFUSED      "monitoring_refused"
#define OUTBOX_LICENCE_EXPIRY_REMINDER "licence_expiry_reminder"
#define OUTBOX_ADMIN_REVIEW_DIGEST     "admin_review_digest"

/* Failed sends after which a row is given up (the outbox_due index and
 * the claim query spell it as a literal too). */
#define OUTBOX_MAX_ATTEMPTS 10

/* Lifetime of an email-confirmation token. */
#define EMAIL_TOKEN_TTL_HOURS 24

/* Stores a 'confirm_email' token (by its SHA-256) for account_id, valid for
 * EMAIL_TOKEN_TTL_HOURS. Runs inside the caller's transaction, if any.
 * Blocks. */
enum err db_email_token_insert(PGconn *conn, const unsigned char token_hash[32],
			       const char *account_id);

/* Queues one message of kind for account_id; payload is sealed by the
 * caller. Runs inside the caller's transaction, if any. Blocks. */
enum err db_outbox_insert(PGconn *conn, const char *account_id, const char *kind,
			  const unsigned char *payload, size_t len);

/* Uses a 'confirm_email' token: it must be account_id's, unused and
 * unexpired; it is marked used and the account's email_verified set, in
 * one transaction. ERR_NOT_FOUND for any token that does not qualify.
 * Blocks. */
enum err db_email_confirm(PGconn *conn, const char *account_id, const unsigned char token_hash[32]);

/* One claimed outbox row, still sealed. */
struct outbox_row {
	long long id;
	char kind[32];
	unsigned char *payload; /* sealed with the account's data key */
	size_t payload_len;
	struct sealed_account account; /* data_key NULL once erased */
};

/* Begins a transaction and claims up to max due rows (unsent, fewer than
 * OUTBOX_MAX_ATTEMPTS failures, next_attempt_at passed), locking them FOR
 * UPDATE SKIP LOCKED so another process claims others. Report each with
 * db_outbox_sent() or db_outbox_failed(), then end the transaction with
 * db_outbox_finish(). *ret_rows is freed with outbox_rows_free(); on
 * error no transaction is left open. Blocks. */
enum err db_outbox_claim(PGconn *conn, int max, struct outbox_row **ret_rows, size_t *ret_n);

/* Marks a claimed row sent. */
enum err db_outbox_sent(PGconn *conn, long long id);

/* Records a failed send of a claimed row: error (a name, never content)
 * into last_error, one more attempt, and the next in 2^attempts seconds
 * (at most an hour). final gives the row up at once (its payload cannot
 * be opened). *ret_attempts is the row's new count. */
enum err db_outbox_failed(PGconn *conn, long long id, const char *error, bool final,
			  int *ret_attempts);

/* Commits what was reported since db_outbox_claim(); rolls back (every
 * report undone) when the commit fails or ok is false. */
enum err db_outbox_finish(PGconn *conn, bool ok);

/* Frees n rows from db_outbox_claim(). Accepts NULL. */
void outbox_rows_free(struct outbox_row *rows, size_t n);

#endif
