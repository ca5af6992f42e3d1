/*
 * accounts_search.h - the blind indexes of searchable fields (table
 * account_search_index, migration 0016) and what reads them: the admin
 * console's account search and the duplicate licence identifier check.
 *
 * An index is an HMAC the service layer computed (services/search.h):
 * this layer never sees the value it was taken of.
 */
#ifndef HCPD_ACCOUNTS_SEARCH_H
#define HCPD_ACCOUNTS_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

#define SEARCH_FIELDS_MAX 32 /* searchable fields a catalogue may declare */
/* other accounts flagged for one identifier write, at most */
#define SEARCH_DUPES_SQL_LIMIT "16"

/* One field's blind index. */
struct field_index {
	const char *field; /* a catalogue field name ([a-z0-9_]), borrowed */
	unsigned char bidx[32];
};

/* An account's indexes, one per searchable field it has a value of. */
struct field_indexes {
	struct field_index e[SEARCH_FIELDS_MAX];
	size_t n;
};

/* Replaces account id's index rows with idx and marks the account
 * indexed, in the caller's transaction. Blocks. */
enum err db_search_index_write(PGconn *conn, const char *id, const struct field_indexes *idx);

/* The duplicate licence identifier check, in the caller's transaction
 * after db_search_index_write(): when another live professional
 * (not erased, not rejected; account id not rejected either) has the same index of an identifier
 * field and the same values of that field's unique_within fields (within, a JSON object text
 * {field: [names]}, catalogue_unique_within()), account id and each such account move by
 * EVENT_DUPLICATE_IDENTIFIER (reason duplicate_identifier) where the status table allows it, each
 * with a system audit row naming the field and the other account. Identifier writes of one value
 * are serialised by an advisory lock, so two registrations at once still see each other.
 * The other accounts' rows are locked in ascending id order, one order for every transaction
 * that locks several (a verification claim waits for none: db_jobs_claim() skips a held one).
 * *ret_flagged (may be NULL) counts the accounts that moved.
 * Blocks. */
enum err db_identifier_duplicates(PGconn *conn, const char *id, const char *within,
				  int *ret_flagged);

/* Up to max accounts (ids into ids[]) not indexed yet (created before
 * migration 0016), with their sealed values into sealed[] (release each
 * with sealed_account_release()). *ret_n is how many. Blocks. */
enum err db_search_unindexed(PGconn *conn, size_t max, struct sealed_account *sealed,
			     size_t *ret_n);

/* An account search (GET /v1/admin/accounts): every condition given
 * must hold; NULL or n 0 for none. Only professionals who are not erased
 * are found. */
struct account_query {
	const unsigned char *email_bidx; /* 32 bytes, vault_email_index() */
	const struct field_indexes *idx; /* searchable fields' indexes */
	const char *status, *country, *profession, *reason;
	const char *created_after, *created_before; /* YYYY-MM-DD, UTC days */
	bool after;                                 /* a cursor: rows before it, newest first */
	long long after_us; /* created_at of the last row shown, microseconds */
	const char *after_id;
	int limit;   /* rows to return */
	bool sealed; /* also SEALED_COLUMNS, to open the personal fields asked for */
};

/* Columns of db_account_search()'s rows; SEALED_COLUMNS follow at
 * AQ_SEALED when asked for. */
enum account_query_col {
	AQ_ID,
	AQ_STATUS,
	AQ_REASON, /* status_reason, or NULL */
	AQ_COUNTRY,
	AQ_PROFESSION,
	AQ_EMAIL_VERIFIED,
	AQ_CREATED_AT, /* RFC 3339 */
	AQ_CREATED_US, /* for the next cursor */
	AQ_SEALED,
};

/* Newest first, up to q->limit rows; *ret_res is the caller's. Blocks. */
enum err db_account_search(PGconn *conn, const struct account_query *q, PGresult **ret_res);

/* What the account view adds to the review item's parts, as JSON texts
 * (owned by res): the role, the status reason, when it was erased, the
 * legal hold (its reason sealed, hex), the status history (each change
 * with its actor, read from the audit row its transaction wrote, and that
 * row's sealed note, hex), the sessions (live count, last sign-in). */
struct account_extras {
	const char *role, *status_reason, *erased_at, *legal_hold_at, *legal_hold_reason_enc;
	const char *history;  /* JSON array text */
	const char *sessions; /* JSON object text */
	PGresult *res;
};

/* Reads account id's extras, in the caller's transaction. ERR_NOT_FOUND
 * when there is no such account. Release with account_extras_release().
 * Blocks. */
enum err db_account_extras(PGconn *conn, const char *id, struct account_extras *ret);

/* Accepts a zeroed struct. */
void account_extras_release(struct account_extras *x);

#endif
