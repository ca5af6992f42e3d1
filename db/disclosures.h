/*
 * db/disclosures.h - SQL and row format of the limited-use disclosure ledger
 * (tables recipients, recipient_terms, disclosures; migration 0004).
 *
 * Owns the hash chain: how a row is encoded, hashed and linked, how an
 * append is serialised across processes, and how the chain is read back
 * in id order with bounded memory. Rows hold field names, never values.
 * Nothing here decides whether a disclosure may happen (services/ledger.c
 * does) and nothing here logs.
 *
 * Canonical row encoding (version 1). The row is a sequence of items, each
 * a 4-byte big-endian length followed by that many bytes; an SQL NULL is
 * the length 0xFFFFFFFF and no bytes. Numbers are ASCII decimal. In order:
 *   "hcpd.disclosure.v1"
 *   id
 *   subject              (the UUID in lower case, with dashes)
 *   recipient
 *   n, the number of field names, then the n names in stored order
 *   purpose
 *   terms_version
 *   legal_basis
 *   recipient_country
 *   job_id               (NULL when the row is not a verification job's)
 *   disclosed_at         (microseconds since 1970-01-01T00:00:00Z)
 * row_hash = SHA-256(encoding || prev_hash), where prev_hash is the
 * row_hash of row id - 1 and 32 zero bytes for id 1. Every item is
 * length-prefixed, so no two different rows encode alike.
 */
#ifndef HCPD_DISCLOSURES_H
#define HCPD_DISCLOSURES_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>
#include <jansson.h>

#include "err.h"

#define LEDGER_HASH_LEN 32
#define LEDGER_ENCODING "hcpd.disclosure.v1"

/* One ledger row's chained content. Strings are borrowed. */
struct ledger_row {
	long long id;
	const char *subject; /* lower-case UUID */
	const char *recipient;
	const char *const *fields;
	size_t nfields;
	const char *purpose;
	const char *terms_version;
	const char *legal_basis;
	const char *recipient_country;
	long long job_id;       /* 0: none (stored as NULL) */
	long long disclosed_us; /* microseconds since the Unix epoch */
};

/* Writes row's canonical encoding into buf (size bytes) when it fits and
 * returns its length either way, like snprintf. Pure. */
size_t ledger_row_encode(const struct ledger_row *row, unsigned char *buf, size_t size);

/* row_hash = SHA-256(encoding || prev). ERR_NOMEM only for a row too big
 * for the stack buffer whose heap buffer cannot be had. Pure. */
enum err ledger_row_hash(const struct ledger_row *row, const unsigned char prev[LEDGER_HASH_LEN],
			 unsigned char ret_hash[LEDGER_HASH_LEN]);

/* Where a chain first breaks. */
enum chain_fault {
	CHAIN_OK = 0,
	CHAIN_GAP,     /* the id is not the previous id + 1 (or 1 for the first row) */
	CHAIN_LINK,    /* prev_hash is not the previous row's row_hash */
	CHAIN_CONTENT, /* row_hash is not the hash of the row's content and prev_hash */
};

/* The state of a walk along the chain: start zeroed. */
struct chain_walk {
	long long last_id;                        /* 0 before the first row */
	unsigned char last_hash[LEDGER_HASH_LEN]; /* zeros before the first row */
	long long rows;                           /* rows accepted so far */
};

/* Checks the next stored row (its content, prev_hash and row_hash) against
 * the walk and advances it when the row is sound. Pure. */
enum chain_fault ledger_chain_step(struct chain_walk *walk, const struct ledger_row *row,
				   const unsigned char prev[LEDGER_HASH_LEN],
				   const unsigned char hash[LEDGER_HASH_LEN]);

/* What the gate needs to know about a (subject, recipient) pair, read in
 * one statement. Strings are borrowed from the struct's own result. */
struct gate_facts {
	const char *kind;              /* the recipient's kind; NULL: no such recipient */
	const char *terms_version;     /* the terms in force now; NULL: none */
	const char *purpose;           /* of those terms */
	const char *legal_basis;       /* of those terms */
	const char *recipient_country; /* of those terms */
	const char **allowed;          /* the terms' allowed_fields */
	size_t nallowed;
	bool account_found;
	bool erased;                /* the account has no data key */
	bool restricted;            /* accounts.processing_restricted */
	bool suspended;             /* the recipient is suspended (recipients.suspended_at) */
	const char *notice_version; /* the notice the account accepted; NULL: none */
	const char **granted;       /* consent purposes whose latest row grants */
	size_t ngranted;
	/* For a cme_sponsor or an accreditor (issue 25): the fields it may
	 * receive under the subject's enrolments in force that name it
	 * (disclosure_req.enrolment's only, when set); NULL: not enrolled. */
	const char **enrolled;
	size_t nenrolled;
	PGresult *res;         /* owns the strings above */
	json_t *arrays;        /* owns allowed/granted's strings */
	json_t *enrolled_json; /* owns enrolled's strings */
};

/* Reads the facts for subject (a UUID) and recipient at the database's
 * now() (all but enrolled, which services/ledger.c adds from
 * db/enrolments.h). Release them with gate_facts_release(). Blocks. */
enum err db_gate_facts(PGconn *conn, const char *subject, const char *recipient,
		       struct gate_facts *ret_facts);

/* Frees what db_gate_facts() put in facts (not facts itself). */
void gate_facts_release(struct gate_facts *facts);

/* Appends row to the ledger inside the caller's open transaction, which
 * must be READ COMMITTED (the default). Takes the ledger's
 * transaction-level advisory lock first, so appends from every process
 * are serialised until the caller commits or rolls back; then sets
 * row->id (the last id + 1) and row->disclosed_us (the clock now), links
 * and hashes the row and inserts it. ERR_INVALID outside a transaction.
 * Blocks (on the lock too). */
enum err db_ledger_append(PGconn *conn, struct ledger_row *row);

/* Called by db_ledger_scan() for each row, in id order; row, prev and
 * hash die when it returns. A non-zero return stops the scan. */
typedef int (*ledger_scan_fn)(void *ctx, const struct ledger_row *row,
			      const unsigned char prev[LEDGER_HASH_LEN],
			      const unsigned char hash[LEDGER_HASH_LEN]);

/* Streams the rows with id > after, in id order, chunk rows per query (so
 * memory stays bounded whatever the table's size). ERR_INVALID when a
 * stored row cannot be read as a row (a hash of the wrong length). Blocks. */
enum err db_ledger_scan(PGconn *conn, long long after, int chunk, ledger_scan_fn fn, void *ctx);

/* Which disclosures db_disclosures_list() reads. */
struct disclosure_filter {
	const char *subject;   /* a UUID, or NULL for any */
	const char *recipient; /* a recipient's name, or NULL for any */
	long long before;      /* only ids below this; 0: from the newest */
	int limit;             /* at most this many rows */
	const char *from;      /* disclosed at or after (a validate_timestamp() form); NULL: any */
	const char *to;        /* disclosed before it; NULL: any */
};

/* The columns of db_disclosures_list()'s result. */
enum disclosure_col {
	DCOL_ID,
	DCOL_SUBJECT,
	DCOL_RECIPIENT,
	DCOL_DISPLAY_NAME, /* the recipient's display name now */
	DCOL_FIELDS,       /* a JSON array of field names */
	DCOL_PURPOSE,
	DCOL_TERMS_VERSION,
	DCOL_LEGAL_BASIS,
	DCOL_COUNTRY,      /* recipient_country */
	DCOL_JOB_ID,       /* NULL when not a verification job's */
	DCOL_DISCLOSED_AT, /* RFC 3339 UTC with microseconds */
};

/* Disclosures matching f, newest first, in *ret_res (PQclear it).
 * Blocks. */
enum err db_disclosures_list(PGconn *conn, const struct disclosure_filter *f, PGresult **ret_res);

/* Stores a recipient, or updates its kind, display name and country.
 * Blocks. */
enum err db_recipient_upsert(PGconn *conn, const char *name, const char *kind,
			     const char *display_name, const char *country);

/* The kind of recipient name. ERR_NOT_FOUND when there is none. Blocks. */
enum err db_recipient_kind(PGconn *conn, const char *name, char ret_kind[16]);

/* One recipient and its current limited-use terms, as read from a
 * verifier definition or the recipients file. */
struct recipient_def {
	const char *name; /* [a-z0-9-], the recipients.name */
	const char *kind; /* verifier|advertiser|cme_sponsor|accreditor|authority */
	const char *display_name;
	const char *country; /* ISO 3166-1 alpha-2 of the recipient */
	struct recipient_terms_def {
		const char *version;
		const char *purpose;               /* e.g. "licensure_verification" */
		const char *const *allowed_fields; /* catalogue field names */
		size_t nallowed;
		int retention_days;
		bool onward_transfer;
		const char *legal_basis;
		const char *recipient_country;
		long long effective_from; /* unix seconds */
		long long effective_to;   /* unix seconds; 0: open-ended */
	} terms;
};

/* Inserts recipient's terms version t unless it is stored already; *ret_same is false
 * when a stored version of that name has other content (allowed fields
 * compare as sets). Blocks. */
enum err db_terms_insert(PGconn *conn, const char *recipient, const struct recipient_terms_def *t,
			 bool *ret_same);

#endif
