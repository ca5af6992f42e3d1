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
/* The account lifecycle (migration 0015): mails with a link and token
 * (reset, email change and its cancel link) and their notices. */
#define OUTBOX_PASSWORD_RESET      "password_reset"
#define OUTBOX_PASSWORD_CHANGED    "password_changed"
#define OUTBOX_EMAIL_CHANGE        "email_change"
#define OUTBOX_EMAIL_CHANGE_CANCEL "email_change_cancel"
#define OUTBOX_EMAIL_CHANGE_TAKEN  "email_change_taken"
/* A password changed by someone signed in (migration 0022). */
#define OUTBOX_PASSWORD_CHANGED_SIGNED_IN "password_changed_signed_in"
/* Admin review notices (migration 0007 adds them to outbox_kinds). */
#define OUTBOX_REVIEW_INFO_REQUESTED "review_info_requested"
#define OUTBOX_REVIEW_APPROVED       "review_approved"
#define OUTBOX_REVIEW_REJECTED       "review_rejected"
/* Monitoring notices (migration 0009). */
#define OUTBOX_ACCOUNT_SUSPENDED       "account_suspended"
#define OUTBOX_MONITORING_REFUSED      "monitoring_refused"
#define OUTBOX_LICENCE_EXPIRY_REMINDER "licence_expiry_reminder"
#define OUTBOX_DORMANCY_WARNING        "dormancy_warning"
#define OUTBOX_ADMIN_REVIEW_DIGEST     "admin_review_digest"
/* The admin console's notices (migration 0016). */
#define OUTBOX_ADMIN_SUSPENDED  "account_suspended_by_admin"
#define OUTBOX_ADMIN_REINSTATED "account_reinstated"
/* A new privacy notice version (migration 0023). */
#define OUTBOX_NOTICE_CHANGED "notice_changed"

/* Failed sends after which a row is given up (the outbox_due index and
 * the claim query spell it as a literal too). */
#define OUTBOX_MAX_ATTEMPTS 10

/* Token purposes (email_tokens.purpose) and lifetimes. */
#define TOKEN_CONFIRM_EMAIL        "confirm_email"       /* the address is the owner's */
#define TOKEN_PASSWORD_RESET       "password_reset"      /* a new password, no sign-in */
#define TOKEN_EMAIL_CHANGE         "email_change"        /* the new address is the owner's */
#define TOKEN_EMAIL_CHANGE_CANCEL  "email_change_cancel" /* the old address takes it back */
#define EMAIL_TOKEN_TTL_HOURS      24                    /* confirm_email, email_change */
#define PASSWORD_RESET_TTL_MINUTES 30
#define EMAIL_CHANGE_CANCEL_DAYS   7

/* Mints a token for a mail about to be sent: stores token_hash for
 * account_id with purpose, valid ttl_seconds, and - when supersede -
 * deletes the account's other unused tokens of that purpose, in one
 * statement, so only the newest link sent works. With target_bidx (an
 * email_change token), only while that blind index is the account's
 * pending address. *ret_minted is false, and nothing changed, for an
 * erased account or a target no longer pending. Blocks. */
enum err db_email_token_mint(PGconn *conn, const char *account_id, const char *purpose,
			     int ttl_seconds, const unsigned char token_hash[32],
			     const unsigned char *target_bidx, bool supersede, bool *ret_minted);

/* What a used (or peeked) token was for. */
struct token_use {
	char account_id[UUID_STR_LEN];
	char purpose[24];
	unsigned char target_bidx[32]; /* an email_change token's address */
	bool has_target;
};

/* Uses the token whose SHA-256 is token_hash: it must be unused,
 * unexpired, of one of purposes (NULL-terminated) and, when account_id is
 * non-NULL, that account's; it is marked used in the caller's transaction
 * (the row lock serialises two presentations of one token) and *ret says
 * what it was for. ERR_NOT_FOUND for any token that does not qualify.
 * Blocks. */
enum err db_email_token_use(PGconn *conn, const unsigned char token_hash[32],
			    const char *const *purposes, const char *account_id,
			    struct token_use *ret);

/* db_email_token_use() without using it: what a token that would qualify
 * now is for. Blocks. */
enum err db_email_token_peek(PGconn *conn, const unsigned char token_hash[32],
			     const char *const *purposes, struct token_use *ret);

/* Queues one message of kind for account_id; payload is sealed by the
 * caller, or NULL for a notice (the mailer opens the account's address).
 * Runs inside the caller's transaction, if any. Blocks. */
enum err db_outbox_insert(PGconn *conn, const char *account_id, const char *kind,
			  const unsigned char *payload, size_t len);

/* Queues a notice of kind (no payload: the mailer opens the address when
 * it sends) for account_id, unless the account is erased (it has no
 * address any more) or per_day > 0 and it already got per_day of that
 * kind in the last 24 hours: notices others can trigger at will (someone
 * registering the address again) must not make hcpd a mail bomb.
 * *ret_queued (may be NULL) says which. Blocks. */
enum err db_outbox_notice(PGconn *conn, const char *account_id, const char *kind, int per_day,
			  bool *ret_queued);

/* How often a mail anyone may ask for goes to one account. */
struct notice_cap {
	int per_day;         /* at most this many of the kind in 24 hours; 0: no cap */
	int min_gap_seconds; /* and none within this of the last one; 0: no gap */
	bool unconfirmed;    /* only to an account whose address is not confirmed */
};

/* db_outbox_notice() for the professional whose email blind index is
 * bidx, if any, within cap: one statement doing the same lookups whether
 * or not the address has an account, in a transaction of its own whose
 * commit does not wait for the WAL flush (so neither its work nor a mail
 * queued tells). Admins, made by an operator, get no such mail. Blocks. */
enum err db_outbox_notice_by_email(PGconn *conn, const unsigned char bidx[32], const char *kind,
				   const struct notice_cap *cap, bool *ret_queued);

/* db_outbox_notice() for account_id within cap. Blocks. */
enum err db_outbox_notice_capped(PGconn *conn, const char *account_id, const char *kind,
				 const struct notice_cap *cap, bool *ret_queued);

/* One claimed outbox row, still sealed. */
struct outbox_row {
	long long id;
	char kind[32];
	unsigned char *payload; /* sealed with the account's data key; NULL for a notice */
	size_t payload_len;
	struct sealed_account account; /* data_key NULL once erased */
	char locale[16];               /* the account's language (issue 24), "" when it has none */
};

/* Claims up to max due rows (unsent, fewer than OUTBOX_MAX_ATTEMPTS
 * failures, next_attempt_at passed), oldest due first, by moving their
 * next_attempt_at lease_seconds ahead in one statement (rows another
 * process is claiming are skipped): no transaction stays open while they
 * are sent. Report each with db_outbox_sent(), db_outbox_failed() or
 * db_outbox_release(); a row never reported is due again when its lease
 * runs out. *ret_rows is freed with outbox_rows_free(). Blocks. */
enum err db_outbox_claim(PGconn *conn, int max, int lease_seconds, struct outbox_row **ret_rows,
			 size_t *ret_n);

/* Marks a claimed row sent. */
enum err db_outbox_sent(PGconn *conn, long long id);

/* Records a failed send of a claimed row: error (a name, never content)
 * into last_error, one more attempt, and the next in 2^attempts seconds
 * (at most an hour). final gives the row up at once (its payload cannot
 * be opened). *ret_attempts is the row's new count. */
enum err db_outbox_failed(PGconn *conn, long long id, const char *error, bool final,
			  int *ret_attempts);

/* Hands a claimed row back unsent and due at once (the mailer stops). */
enum err db_outbox_release(PGconn *conn, long long id);

/* Frees n rows from db_outbox_claim(). Accepts NULL. */
void outbox_rows_free(struct outbox_row *rows, size_t n);

#endif
