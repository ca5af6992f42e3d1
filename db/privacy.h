/*
 * privacy.h - data access for the professional's privacy rights:
 * rectification (profile store, back to pending_verification),
 * restriction of processing, legal hold, erasure (crypto-shredding), the
 * export's records, and the retention purge.
 *
 * Values arrive sealed; nothing here sees a personal value in clear.
 * Every change a person asked for is recorded in audit_log in the same
 * transaction. Ledger (disclosures), audit_log and consents rows are never
 * updated or deleted here.
 */
#ifndef HCPD_PRIVACY_H
#define HCPD_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* Locks account id's row until the caller's transaction ends (FOR
 * UPDATE). ERR_NOT_FOUND when it does not exist or is erased. Blocks. */
enum err db_account_lock(PGconn *conn, const char *id);

/* Stores a rectified profile: profile_enc (sealed with the account's data
 * key), profile_public (JSON text) and the catalogue version that checked
 * it. Inside the caller's transaction. Blocks. */
enum err db_profile_store(PGconn *conn, const char *id, const unsigned char *profile_enc,
			  size_t len, const char *profile_public, const char *catalogue_version);

/* Sets or clears processing_restricted; when it changes, appends
 * "restriction.set" / "restriction.lifted" to the audit log with the
 * account as actor, in one transaction. *ret_changed tells whether it
 * changed. ERR_NOT_FOUND for an unknown or erased account. Blocks. */
enum err db_restriction_set(PGconn *conn, const char *id, bool restricted, const char *request_id,
			    bool *ret_changed);

/* A legal hold's reason, sealed by the caller with the account's data
 * key for each place it is kept: the account row ("legal_hold_reason") and
 * the audit log ("audit_reason"). */
struct hold_reason {
	const unsigned char *account_enc, *audit_enc;
	size_t account_enc_len, audit_enc_len;
};

/* Sets (reason non-NULL) or lifts (reason NULL) a legal hold on a
 * professional's account, audited as "legal_hold.set" / "legal_hold.lifted"
 * with admin_id as actor and the sealed reason, in one transaction.
 * Setting it again replaces the reason (the hold's start stays).
 * ERR_NOT_FOUND for no such professional or an erased one. Blocks. */
enum err db_legal_hold(PGconn *conn, const char *id, const char *admin_id,
		       const struct hold_reason *reason, const char *request_id);

/* What DELETE /v1/me needs before it may erase. */
struct erasure_check {
	char password_hash[192];
	unsigned char email_bidx[32]; /* for the login throttle */
	bool held;                    /* a legal hold applies */
};

/* Reads it for a live (not erased) account. ERR_NOT_FOUND otherwise.
 * Blocks. */
enum err db_erasure_check(PGconn *conn, const char *id, struct erasure_check *ret_check);

/* A retention rule's question: up to max ids (*ret_n how many) of the
 * accounts due under it after days; with only set, only that account,
 * if it is due. Blocks. */
typedef enum err (*db_due_fn)(PGconn *conn, int days, const char *only, size_t max,
			      char (*ids)[UUID_STR_LEN], size_t *ret_n);

/* One erasure. */
struct keystore;

struct erasure {
	const char *id;
	const char *kept;       /* text[] literal of profile_public keys to keep: "{country}" */
	const char *actor;      /* the account itself, or AUDIT_ACTOR_SYSTEM */
	const char *action;     /* "account.erased", "account.purged" */
	const char *request_id; /* may be NULL */
	struct keystore *keys;  /* the account's secret is destroyed there */
	db_due_fn due;          /* NULL, or the rule that found the account due, */
	int due_days;           /* asked again under the row lock */
};

/* Erases an account in one transaction: revokes every session (reason
 * "erasure") and deletes their refresh tokens; deletes its email,
 * unsubscribe and idempotency tokens; cancels its queued verification
 * jobs; drops verification evidence and reply hashes; destroys the
 * account's secret in e->keys, the sealed data key, email and profile, blind index and password
 * hash, and its licence documents; keeps in profile_public only e->kept; sets erased_at; appends
 * e->action to the audit log. Ledger, audit and consent rows stay (pseudonymous). ERR_CONFLICT when
 * a legal hold applies or e->due no longer finds it due (it signed in, confirmed its address
 * between the purge's question and the lock: nothing changes), ERR_NOT_FOUND when the account
 * does not exist or is already erased. Blocks. */
enum err db_account_erase(PGconn *conn, const struct erasure *e);

/* The export's records about account id, as a new JSON object:
 * account (id, status, email_verified, processing_restricted, created_at,
 * updated_at, status_changed_at, catalogue_version, notice_version,
 * legal_hold_since), verifications [{verifier, outcome, reason, checks,
 * evidence (still sealed: hex of evidence_enc, or null), reply_sha256,
 * checked_at}], disclosures [{recipient, fields, purpose, terms_version,
 * legal_basis, recipient_country, disclosed_at}], decisions (the admin
 * review decisions about it, from review_decisions: [{id, decision,
 * from_status, to_status, decided_at, question}], question being the
 * admin's reason for request_info and null otherwise: approve and reject
 * reasons and the admin's id stay internal; document_requested) and
 * review_responses [{id, decision_id, message (still sealed: hex of
 * message_enc, or null), document_id (the document that answered, or
 * null), received_at}], and documents (DB_DOCUMENTS_JSON).
 * ERR_NOT_FOUND when there is no such account. Blocks. */
enum err db_export_records(PGconn *conn, const char *id, json_t **ret_records);

/* Retention periods of one purge run. */
struct purge_limits {
	int evidence_days;     /* for a verifier with no terms in force */
	int idempotency_hours; /* age of idempotency keys */
	int documents_days;    /* licence documents, after the review's decision */
	int webhooks_days;     /* webhook deliveries and activity releases, once ended */
};

/* What one purge run removed. */
struct purge_counts {
	long long registrations;  /* never-completed registrations erased */
	long long evidence;       /* verifications whose evidence was dropped */
	long long email_tokens;   /* expired email tokens deleted */
	long long refresh_tokens; /* refresh tokens of ended sessions deleted */
	long long idempotency_keys;
	long long login_throttle;    /* sign-in throttle rows a day past their last failure */
	long long documents;         /* licence documents past l->documents_days (documents.h) */
	long long rejected;          /* rejected registrations erased (dormancy.h) */
	long long dormancy_warnings; /* dormant accounts warned by mail */
	long long dormant;           /* dormant accounts erased after their warning */
	long long webhooks; /* webhook deliveries done that long ago, with their attempts */
	long long releases; /* activity releases delivered, given up or cancelled as long ago */
};

/* Drops verification evidence older than its verifier's retention
 * (recipient_terms.retention_days of the terms in force when it was
 * checked; l->evidence_days without terms), and deletes expired email
 * tokens, refresh tokens of revoked or expired sessions, idempotency
 * keys older than l->idempotency_hours, sign-in throttle rows a day
 * past their last failure that no longer lock, and licence documents
 * l->documents_days after the decision that ended their account's review
 * (documents.h), and webhook deliveries delivered or given up
 * l->webhooks_days ago, with their attempts, and activity releases
 * (releases.h) delivered, given up or cancelled as long ago: they hold
 * field names, the ledger keeps the disclosure. Adds to *counts. Each statement
 * commits on its own. Blocks. */
enum err db_purge_expired(PGconn *conn, const struct purge_limits *l, struct purge_counts *counts);

/* A db_due_fn: registrations never completed within days: a
 * professional whose email was never confirmed, whatever the status (an
 * address squatted with someone's public licence data is purged even when
 * its checks passed or an admin looked at it), created more than days ago,
 * not erased, not under a legal hold. */
enum err db_uncompleted_registrations(PGconn *conn, int days, const char *only, size_t max,
				      char (*ids)[UUID_STR_LEN], size_t *ret_n);

#endif
