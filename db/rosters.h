/*
 * rosters.h - data access for roster verifiers (migration 0008): a
 * roster's entries replaced as a whole in one transaction, the re-checks
 * a reload queues, and the lookups a local check makes.
 *
 * Entries are the roster publisher's public records, reduced to what
 * matching needs, with names already normalised by the caller
 * (verifiers/compare.h) so that matching is an equality. This layer knows
 * nothing of CSV: the caller produces entries while the COPY is open.
 * Nothing here logs.
 */
#ifndef HCPD_ROSTERS_H
#define HCPD_ROSTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"

#define ROSTER_TEXT_MAX   256 /* bytes of a stored name or state, NUL included */
#define ROSTER_DETAIL_MAX 128 /* bytes of a stored detail, NUL included */
#define ROSTER_ID_MAX     32  /* bytes of a stored NPI or identifier: ASCII letters, digits */

/* One roster row, as db_roster_put() stores it. Strings are borrowed. */
struct roster_entry {
	const char *npi;         /* an NPI or the register's own number (1-32 ASCII
				    letters and digits), or NULL for none */
	const char *family_name; /* normalised, non-empty, < ROSTER_TEXT_MAX bytes */
	const char *given_name;  /* normalised, "" when the roster has none */
	const char *state;       /* normalised, "" when the roster has none */
	const char *listed_on;   /* YYYY-MM-DD, or NULL for no date */
	bool reinstated;         /* taken off the list */
	const char *detail;      /* free text for admins (e.g. the exclusion type), may be "" */
};

/* What a reload replaces and whose accounts it queues for a re-check. */
struct db_roster_target {
	const char *name;         /* the verifier: rosters.name and the jobs' verifier */
	const char *countries;    /* a JSON array of ISO 3166-1 codes */
	const char *professions;  /* a JSON array of professions; "[]": every profession */
	const char *extract_date; /* YYYY-MM-DD the publisher's extract is of; NULL: unknown */
};

/* An open COPY into roster_entries, lent to a producer. */
struct db_roster_copy;

/* Produces the entries, calling db_roster_put() once for each, and sets
 * ret_sha256 to the SHA-256 of the file they came from. Any return but
 * ERR_OK abandons the load. */
typedef enum err (*db_roster_producer)(void *ctx, struct db_roster_copy *copy,
				       unsigned char ret_sha256[32]);

/* Replaces t->name's roster in ONE transaction: upserts its rosters row,
 * deletes its entries, streams produce's entries in by COPY (in chunks:
 * never the whole roster in memory), sets the row's count and SHA-256,
 * and queues a 'roster_reload' job for every professional account that
 * is verified or approved, not erased, of one of t->countries and (when
 * t->professions lists any) of one of them (verifier_applies' rule, in
 * SQL: applies.h), that has no open job for the
 * verifier yet. Any failure, the producer's included, rolls everything
 * back: the old roster stays as it was. On ERR_OK *ret_entries and
 * *ret_queued hold the entries stored and the jobs queued. Errors: the
 * producer's, ERR_NOMEM, ERR_UNAVAILABLE, ERR_DB. Must not be called
 * inside a transaction.
 * Blocks, possibly for long: the statement timeout is lifted for it. */
enum err db_roster_load(PGconn *conn, const struct db_roster_target *t, db_roster_producer produce,
			void *ctx, long long *ret_entries, long long *ret_queued);

/* Does e keep the rules above? Pure: the COPY's check, and a roster
 * read into memory's (`hcpd verifier test`). */
bool db_roster_entry_ok(const struct roster_entry *e);

/* Adds one entry to the COPY (buffered; sent in chunks). ERR_INVALID for
 * an entry that breaks the rules above, ERR_UNAVAILABLE when the
 * connection fails. Blocks when a chunk is sent. */
enum err db_roster_put(struct db_roster_copy *copy, const struct roster_entry *e);

/* What is known of a loaded roster. */
struct db_roster_info {
	bool loaded;           /* false: never loaded (the rest is empty) */
	long long entries;     /* rows stored */
	char loaded_at[21];    /* YYYY-MM-DDTHH:MM:SSZ */
	char extract_date[11]; /* YYYY-MM-DD of the publisher's extract, "" unknown */
};

/* name's roster as loaded, into *ret_info (loaded false when it never
 * was). Blocks. */
enum err db_roster_info(PGconn *conn, const char *name, struct db_roster_info *ret_info);

/* Has name's roster been loaded (even with zero entries)? Blocks. */
enum err db_roster_loaded(PGconn *conn, const char *name, bool *ret_loaded);

/* What a local check looks for. NULL members take no part. */
struct roster_query {
	const char *npi;         /* rows with this NPI */
	const char *family_name; /* or rows without an NPI with this normalised */
	const char *given_name;  /* family name, given name ("" when the */
	const char *state;       /* roster has none) and state (likewise) */
};

/* The best matching row: fixed buffers, no pointers into a result. */
struct roster_hit {
	bool by_npi;                 /* matched by NPI, not by name */
	char npi[ROSTER_ID_MAX + 1]; /* the NPI or identifier; "" for none */
	char family_name[ROSTER_TEXT_MAX];
	char given_name[ROSTER_TEXT_MAX];
	char state[ROSTER_TEXT_MAX];
	char listed_on[11]; /* YYYY-MM-DD or "" */
	bool listed_later;  /* listed_on is after today */
	bool reinstated;
	char detail[ROSTER_DETAIL_MAX];
};

/* Rows of one roster a match is chosen among: one person's several
 * activities, never more than a few. */
#define ROSTER_CANDIDATES_MAX      1000
#define ROSTER_CANDIDATES_MAX_TEXT "1000"

/* Does row match q: the same NPI (or identifier), or, for a row without
 * one, the same normalised family name, given name and state? Pure. */
bool db_roster_row_matches(const struct roster_query *q, const struct roster_hit *row);

/* The row of rows[n] that q matches, preferring one not reinstated, then
 * one matched by NPI, then the earliest listed (the first of equals);
 * by_npi set. ERR_NOT_FOUND when none matches. Pure: db_roster_match()
 * applies it to the rows PostgreSQL narrows to, `hcpd verifier test` to
 * a roster read into memory, so that both judge alike. */
enum err db_roster_pick(const struct roster_query *q, const struct roster_hit *rows, size_t n,
			struct roster_hit *ret_hit);

/* db_roster_pick() on the rows of name's roster its indexes find for q.
 * ERR_NOT_FOUND when none matches. Blocks. */
enum err db_roster_match(PGconn *conn, const char *name, const struct roster_query *q,
			 struct roster_hit *ret_hit);

#endif
