/*
 * accounts.h - data access for accounts, consents and registration
 * idempotency. Values arrive already sealed or hashed: this layer never
 * sees a plaintext personal field or password.
 */
#ifndef HCPD_ACCOUNTS_H
#define HCPD_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"
#include "status.h"

#define UUID_STR_LEN 37 /* 36 characters and a NUL */

struct job_spec;      /* jobs.h */
struct field_indexes; /* accounts_search.h */
struct audit_entry;   /* audit.h */

struct consent_row {
	const char *purpose;
	bool granted;
};

/* One new account, everything sealed by the caller. */
struct account_new {
	char id[UUID_STR_LEN];
	const char *role;   /* "professional" or "admin" */
	const char *status; /* "pending_verification", ... */
	const unsigned char *email_bidx;
	size_t email_bidx_len;
	const unsigned char *email_enc;
	size_t email_enc_len;
	const unsigned char *data_key; /* sealed with the wrap key */
	size_t data_key_len;
	const unsigned char *profile_enc; /* may be NULL */
	size_t profile_enc_len;
	const char *profile_public; /* JSON text */
	const char *password_hash;
	const char *catalogue_version;
	const char *notice_version;
	const struct consent_row *consents;
	size_t nconsents;
	bool confirm;                /* queue its confirm_email mail (the mailer mints the token) */
	const struct job_spec *jobs; /* verification jobs to queue */
	size_t njobs;
	/* when none of jobs could be queued (none applies, or a roster is not
	 * loaded), the first round has nothing to wait for: the account moves
	 * from status by this event with this reason (verdict_unqueued()), in
	 * the same transaction. NULL reason: it stays (admins) */
	enum status_event unqueued_event;
	const char *unqueued_reason;
	const struct field_indexes *indexes; /* blind indexes of its searchable fields */
	const char *unique_within;       /* the duplicate identifier check's JSON (NULL: none) */
	const struct audit_entry *audit; /* appended with the account, its target the new
					    account's id (staff made by staff); may be NULL */
	const char *locale; /* the language its mail is written in (an i18n tag); NULL: none */
};

/* Idempotency: the key's SHA-256 and the request's MAC. */
struct idem {
	unsigned char key_hash[32];
	unsigned char request_mac[32];
};

/* Looks up a stored registration reply. ERR_NOT_FOUND when the key is new;
 * ERR_CONFLICT when it was used with another request; ERR_OK with the id
 * of the earlier reply otherwise. Blocks. */
enum err db_idempotency_get(PGconn *conn, const struct idem *idem, char ret_id[UUID_STR_LEN]);

/* Inserts the account, its consents, its verification jobs (or, when none
 * was queued, its first status change by acct->unqueued_event), (if idem
 * is non-NULL) the idempotency record and (if acct->confirm) its
 * confirm_email outbox row and (a professional) the account.created
 * webhook event, in one transaction.
 * When the email's blind index is taken - by an account, or as the
 * address an email change replaced within the days its cancel link works -
 * inserts no account: with idem, records acct->id (an id with no account)
 * so a replay gives the same reply; *ret_duplicate is set (the caller
 * tells the owner). When the idempotency key was taken meanwhile, returns
 * what db_idempotency_get() would. Blocks. */
enum err db_registration_insert(PGconn *conn, const struct account_new *acct,
				const struct idem *idem, bool *ret_duplicate,
				char ret_id[UUID_STR_LEN]);

/* An account's sealed values as stored, still sealed: the one struct
 * every reader of them fills (an account, a claimed job, a monitoring
 * pass, a review item, an outbox row) and vault_open_profile()
 * (services/vault.h) opens. */
struct sealed_account {
	char id[UUID_STR_LEN];
	unsigned char *data_key; /* sealed with the wrap key; NULL once erased */
	size_t data_key_len;
	unsigned char *email_enc;
	size_t email_enc_len;
	unsigned char *profile_enc; /* NULL: no personal field */
	size_t profile_enc_len;
	char *profile_public; /* the other fields, JSON object text; NULL when none */
};

/* The SEALED_NCOLUMNS columns db_sealed_read() reads, of the accounts
 * table under alias t ("a." or ""). */
#define SEALED_COLUMNS(t)                                                                          \
	t "id, " t "data_key, " t "email_enc, " t "profile_enc, " t "profile_public::text"
#define SEALED_NCOLUMNS 5

/* Reads SEALED_COLUMNS from row of res, starting at column col, into
 * *ret (copied: it outlives res). On error nothing is left allocated and
 * *ret is untouched. ERR_NOMEM. */
enum err db_sealed_read(PGresult *res, int row, int col, struct sealed_account *ret);

/* Frees and wipes what db_sealed_read() put in s (not s itself). Accepts
 * a zeroed struct. */
void sealed_account_release(struct sealed_account *s);

/* Frees an array of n sealed accounts, wiping each. Accepts NULL. */
void sealed_accounts_free(struct sealed_account *accounts, size_t n);

/* An account as stored: sealed values still sealed. */
struct account_row {
	struct sealed_account sealed; /* id and sealed values */
	char status[32];
	bool email_verified;
	char password_hash[192];
	char locale[16];         /* its language (issue 24), "" when none was stored; read by
				    db_account_get() and db_account_get_me() */
	char notice_version[64]; /* the notice version it last accepted (issue 25),
				    read by db_account_get_me() only */
};

/* Reads account id. ERR_NOT_FOUND when there is none. Release the row with
 * account_row_release(). Blocks. */
enum err db_account_get(PGconn *conn, const char *id, struct account_row *ret_row);

/* Reads the account whose email blind index is bidx (len bytes), unless
 * it is erased. ERR_NOT_FOUND when there is none. Release the row with
 * account_row_release(). Blocks. */
enum err db_account_get_by_email(PGconn *conn, const unsigned char *bidx, size_t len,
				 struct account_row *ret_row);

#define ACCOUNT_COLUMNS "status, email_verified, password_hash, " SEALED_COLUMNS("")

/* GET /v1/me's one statement (with jobs.h): the account $1 and its
 * verifications. Public for `make bench`, whose baseline is pgbench
 * running this very statement. */
/* clang-format off */
#define DB_ACCOUNT_ME_SQL                                                      \
	"SELECT " ACCOUNT_COLUMNS ", " DB_VERIFICATIONS_SUMMARY("$1")           \
	", locale, notice_version FROM accounts WHERE id = $1"
/* clang-format on */

/* db_account_get() with DB_ACCOUNT_ME_SQL, for GET /v1/me: the row, and
 * the verifications as a JSON array text malloc'd into
 * *ret_verifications. Blocks. */
enum err db_account_get_me(PGconn *conn, const char *id, struct account_row *ret_row,
			   char **ret_verifications);

/* Sets account id's language (issue 24: an i18n tag, or NULL for none).
 * ERR_NOT_FOUND when there is no such account. Blocks. */
enum err db_account_set_locale(PGconn *conn, const char *id, const char *locale);

/* Frees what db_account_get() put in row (not row itself). */
void account_row_release(struct account_row *row);

/* Locks account id's row (FOR UPDATE, in the caller's transaction) and
 * reads its status into *ret_status. ERR_NOT_FOUND when it is erased or
 * there is none. Blocks. */
enum err db_account_lock_status(PGconn *conn, const char *id, enum account_status *ret_status);

/* The facts of an account a refused check suspended or flagged (status
 * reason monitoring_refused or verification_refused), now that it may be
 * checked again: licensure_verification granted and processing not
 * restricted. Locks the row. ERR_NOT_FOUND when the account is not in that
 * state (never refused, decided since, or still refusing). Blocks. */
struct account_refusal {
	enum account_status status;
	char country[3];
	char profession[64];
};
enum err db_account_refusal_lifted(PGconn *conn, const char *id, struct account_refusal *ret);

/* The one write of an account's status: moves account id from status from
 * by event, as status_next() allows, in the caller's transaction (the
 * caller has read from with the row locked), keeps reason (a code such as
 * "monitoring_refused", or NULL) as the account's status_reason, appends
 * the change to account_status_history and queues the webhook event the
 * transition announces (status_announcement(), db_webhook_queue()). *ret_to (may be NULL) is
 * the new status. ERR_CONFLICT, with nothing written, when the table
 * refuses the pair or the stored status is no longer from. Blocks. */
enum err db_account_set_status(PGconn *conn, const char *id, enum account_status from,
			       enum status_event event, const char *reason,
			       enum account_status *ret_to);

#endif
