/*
 * reviews.h - data access for admin review (migration 0007): the queue,
 * one item with everything an admin sees of it, decisions and the
 * professional's answers. Sealed values stay sealed here (the service
 * layer opens them); nothing here logs.
 */
#ifndef HCPD_REVIEWS_H
#define HCPD_REVIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* One page of the queue. Strings are borrowed; NULL means "any". */
struct review_query {
	const char *status;      /* flagged|suspended|approved|rejected */
	const char *country;     /* profile_public country */
	const char *profession;  /* profile_public profession */
	const char *waiting_for; /* "admin" or "professional" */
	const char *reason;      /* a reason code (issue 19): the account's status reason
				    (no_registry, manual_check, ...) or a verifier's latest
				    outcome (mismatch, not_found, ...) */
	bool after;              /* false: from the start */
	long long after_us;      /* the cursor: status_changed_at, microseconds since 1970 */
	const char *after_id;    /* and the id, as tie-break */
	int limit;               /* rows to return */
};

/* Columns of db_review_queue()'s rows. */
enum review_queue_col {
	RQ_ID,
	RQ_STATUS,
	RQ_WAITING_FOR, /* NULL for approved, rejected */
	RQ_WAITING_SECONDS,
	RQ_STATUS_CHANGED_AT, /* RFC 3339, UTC */
	RQ_CHANGED_US,        /* for the next cursor */
	RQ_COUNTRY,
	RQ_PROFESSION,
	RQ_REASONS, /* JSON array text of {verifier, outcome, reason} */
};

/* Up to q->limit professionals' accounts, oldest status change first (id
 * as tie-break), after the cursor. *ret_res is the caller's to PQclear.
 * Blocks. */
enum err db_review_queue(PGconn *conn, const struct review_query *q, PGresult **ret_res);

/* One finished verification of an item; strings borrowed from the rows. */
struct review_verification {
	const char *id, *verifier, *occasion, *outcome, *reason, *checks, *checked_at;
	const char *reply_sha256;    /* hex, or NULL */
	unsigned char *evidence_enc; /* sealed; NULL once past retention or erased */
	size_t evidence_len;
};

/* One answer of the professional: a message, or a document uploaded. */
struct review_response {
	const char *id, *decision_id, *received_at;
	unsigned char *message_enc; /* sealed; NULL for a document */
	size_t message_len;
	const char *document_id; /* the document that answered; NULL for a message */
};

/* Everything an admin sees of an item, as stored. */
struct review_rows {
	struct sealed_account account; /* its id and sealed values; data_key NULL once erased */
	const char *status, *waiting_for, *status_changed_at, *created_at;
	long long waiting_seconds;
	bool email_verified, processing_restricted;
	const char *reasons;     /* JSON array text, as in the queue */
	const char *disclosures; /* JSON array text of the ledger rows of the subject */
	const char *decisions;   /* JSON array text of the past decisions, each reason
				    sealed as hex in "reason_enc" */
	const char *documents;   /* JSON array text of the documents (DB_DOCUMENTS_JSON) */
	struct review_verification *verifications;
	size_t nverifications;
	struct review_response *responses;
	size_t nresponses;
	PGresult *res[3]; /* own the strings above */
};

/* Reads professional account id's item. ERR_NOT_FOUND when there is no
 * such professional or its status is not one the review covers (flagged,
 * suspended, approved, rejected). Several statements: run it inside a
 * REPEATABLE READ transaction for one consistent picture, or after
 * db_review_lock() in a READ COMMITTED one for the latest. Release with
 * review_rows_release(). Blocks. */
enum err db_review_load(PGconn *conn, const char *id, struct review_rows *ret_rows);

/* Frees what db_review_load() put in rows (not rows itself). Accepts a
 * zeroed struct. */
/* db_review_load() of any status with any_status (the admin console's
 * account view: a pending or verified account too). */
enum err db_account_load(PGconn *conn, const char *id, bool any_status,
			 struct review_rows *ret_rows);

void review_rows_release(struct review_rows *rows);

/* Locks professional account id's row FOR UPDATE inside the caller's
 * transaction, so deciders of one item queue up here. ERR_NOT_FOUND when
 * there is none. Blocks (while another transaction holds the lock). */
enum err db_review_lock(PGconn *conn, const char *id);

/* A decision, applied inside the caller's transaction (after
 * db_review_lock()). */
struct review_decision {
	const char *account_id;
	const char *admin_id;
	const char *decision;            /* approve|reject|request_info */
	const unsigned char *reason_enc; /* the admin's reason, sealed; NULL once erased */
	size_t reason_enc_len;
	enum account_status from;   /* as read under the lock */
	enum status_event event;    /* the decision's (review_transition()) */
	bool awaiting_professional; /* the new value of the flag */
	bool document_requested;    /* request_info asks for a document */
	const char *request_id;     /* may be NULL */
};

/* Moves the account's status by the decision's event
 * (db_account_set_status()), sets its awaiting flag and appends the
 * decision; *ret_id and *ret_decided_at (RFC 3339, UTC) describe the new
 * row. ERR_CONFLICT when the status table refuses. Blocks. */
enum err db_review_decide(PGconn *conn, const struct review_decision *d, long long *ret_id,
			  char ret_decided_at[40]);

/* An answer of the professional to the latest request_info: a sealed
 * message, or a document uploaded (which answers only a request that
 * asked for one). */
struct review_answer {
	const char *account_id;
	const unsigned char *message_enc; /* NULL with document_id */
	size_t message_len;
	const char *document_id; /* NULL with message_enc */
};

/* Inside the caller's transaction: when account a->account_id awaits the
 * answer (and, for a document, the request asked for one), locks its row,
 * stores the answer and puts the item back in the queue (EVENT_ANSWER:
 * status flagged, no longer awaiting the professional, status_changed_at
 * now); *ret_answered tells whether it did. Otherwise writes nothing.
 * Blocks. */
enum err db_review_answer(PGconn *conn, const struct review_answer *a, bool *ret_answered);

/* db_review_answer() of a sealed message in a transaction of its own.
 * ERR_CONFLICT when the account is not awaiting an answer (none asked,
 * already answered, or decided since). Blocks. */
enum err db_review_respond(PGconn *conn, const char *id, const unsigned char *message_enc,
			   size_t len);

/* What the professional sees of their own review: the status, whether a
 * question awaits their answer, and (while it does) that question and
 * when it was asked. */
struct review_mine {
	char status[32];
	bool awaiting;
	bool document_requested;     /* while awaiting: the question asks for a document */
	unsigned char *question_enc; /* sealed; NULL when not awaiting (PQfreemem it) */
	size_t question_enc_len;
	char asked_at[40];
};

/* Reads account id's review_mine; PQfreemem question_enc. ERR_NOT_FOUND
 * when there is no account. Blocks. */
enum err db_review_mine(PGconn *conn, const char *id, struct review_mine *ret);

#endif
