/*
 * roster.h - the "roster_csv" kind's loader and row mapping (roster.c).
 * A roster verifier's definition names, under "roster_csv", the CSV
 * columns that play each role (npi, family_name, given_name, middle_name,
 * state, listed_on, reinstated_on, detail, identifier) and how the file is
 * written (delimiter, quoting, trailing delimiter, encoding);
 * `hcpd roster load` streams a file (roster_load.c) through csv.h and
 * these mappings into PostgreSQL (db/rosters.h), and the kind's
 * check_local matches a professional there. Nothing leaves hcpd, so the
 * kind has no terms.
 *
 * The mapping is pure (record in, entry out) so it is tested and fuzzed
 * directly. Messages name lines and columns, never a value of the file.
 */
#ifndef HCPD_ROSTER_H
#define HCPD_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"
#include "rosters.h"
#include "verifier.h"

/* What a column can be to the roster. */
enum roster_role {
	ROSTER_NPI = 0,
	ROSTER_FAMILY_NAME, /* required; a row without one (an entity) is skipped */
	ROSTER_GIVEN_NAME,
	ROSTER_MIDDLE_NAME, /* read and checked, but not matched on: rosters spell it too loosely */
	ROSTER_STATE,
	ROSTER_LISTED_ON,
	ROSTER_REINSTATED_ON,
	ROSTER_DETAIL,
	ROSTER_IDENTIFIER, /* the register's own number (RPPS, GMC Ref No), matched with
			      the professional's field "identifier_field" names */
	ROSTER_STATUS,     /* the record's status: in force when one of "in_force" */
	ROSTER_ROLES,
};

/* How a roster's file is written, from its definition. */
struct roster_format {
	char delimiter;          /* ',' ';' '|' or tab */
	bool quoting;            /* '"' quotes fields */
	bool trailing_delimiter; /* every line ends with one: its empty last field is dropped */
	const char *encoding;    /* NULL: UTF-8; else an iconv name (WINDOWS-1252, ISO-8859-1) */
};

/* v's file format. v must be a roster verifier. */
struct roster_format roster_file_format(const struct verifier *v);

/* Where each role is in a file, from its header line. */
struct roster_map {
	size_t ncolumns;          /* fields of the header: every record has as many */
	int column[ROSTER_ROLES]; /* the role's field, or -1 when the definition maps none */
};

/* One record made an entry; entry's strings point into the buffers. */
struct roster_row {
	struct roster_entry entry;
	char npi[ROSTER_ID_MAX + 1]; /* the NPI or, with an identifier column, that */
	char family_name[ROSTER_TEXT_MAX];
	char given_name[ROSTER_TEXT_MAX];
	char state[ROSTER_TEXT_MAX];
	char listed_on[11];
	char detail[ROSTER_DETAIL_MAX];
};

/* Is v a roster_csv verifier? */
bool roster_is(const struct verifier *v);

/* Finds the columns v's definition names in the header record fields[n].
 * ERR_INVALID, with why naming the column, when one is missing or the
 * header repeats it. v must be a roster verifier. Pure. */
enum err roster_map_header(const struct verifier *v, const char *const *fields, size_t n,
			   struct roster_map *ret_map, char *why, size_t why_len);

/* One data record as an entry: names normalised (compare.h), NPI "" or
 * "0000000000" as none, dates in the definition's date_format with ""
 * and zeros as none. A reinstatement dated after today (YYYY-MM-DD, the
 * day of the load) is not one yet: the row stays excluded until a later
 * load. ERR_NOT_FOUND for a record to skip (an empty line, a row without
 * a family name such as LEIE's entities); ERR_INVALID, with why naming
 * the column (never its value), for a wrong number of fields, text that
 * is not UTF-8, an NPI that is not ten digits or a bad date. Pure. */
enum err roster_map_record(const struct verifier *v, const struct roster_map *map,
			   const char *today, const char *const *fields, const size_t *lens,
			   size_t n, struct roster_row *ret_row, char *why, size_t why_len);

/* Parses a date in v's date_format into YYYY-MM-DD; "" (after trimming
 * spaces) and all zeros give "" and ERR_OK. ERR_INVALID for anything
 * else that is not a calendar date. Pure. */
enum err roster_parse_date(const struct verifier *v, const char *s, char ret_date[11]);

/* check_local's judgement on rows[n] instead of the table: a roster read
 * into memory (roster_read()), for `hcpd verifier test`. The same search,
 * match (db_roster_pick()) and judgement as a check against PostgreSQL.
 * Pure. */
enum err roster_check_rows(const struct verifier *v, const struct roster_hit *rows, size_t n,
			   const json_t *fields, struct verifier_result *ret_res);

/* A row read from a roster file (roster_read()), borrowed for the call. */
typedef enum err (*roster_row_fn)(void *ctx, const struct roster_row *row);

/* Reads v's roster file at path ("-": standard input) exactly as
 * roster_load() does - zip, encoding, format, header and records mapped
 * with today (YYYY-MM-DD; NULL: the real today) as the day of the load -
 * handing each entry to put instead of PostgreSQL: `hcpd verifier test`.
 * Errors and why as roster_load()'s, or put's. */
enum err roster_read(const struct verifier *v, const char *path, const char *today,
		     roster_row_fn put, void *ctx, char *why, size_t why_len);

/* What a load did. */
struct roster_report {
	long long entries;     /* rows stored */
	long long queued;      /* roster_reload jobs queued */
	char sha256[65];       /* of the file, lower-case hex */
	char extract_date[11]; /* YYYY-MM-DD its name carries (roster_extract_date()), "" */
};

/* The date a publisher's extract is of, from its file name (the last
 * path component): the first run of 8 or 12 digits, YYYYMMDD[HHMM],
 * that is a calendar date, as in PS_LibreAcces_Personne_activite_
 * 202612011200.txt; "" when there is none. Pure. */
void roster_extract_date(const char *name, char ret_date[11]);

/* The attribution the register's terms of reuse ask for ("RPPS"), from
 * the definition's "attribution"; NULL for none. v a roster verifier. */
const char *roster_attribution(const struct verifier *v);

/* Replaces v's roster with the CSV file at path ("-": standard input),
 * streaming it (memory stays bounded whatever its size) and converting
 * it to UTF-8 from the definition's encoding, and queues the re-checks
 * (db_roster_load). A file with no entry after its header is refused. On
 * failure nothing changed; why says what, naming the line for a bad file
 * ("line 7: text after a closing quote"), and is "" for a database error
 * (then err tells). Blocks for as long as the file takes. */
enum err roster_load(PGconn *conn, const struct verifier *v, const char *path,
		     struct roster_report *ret_report, char *why, size_t why_len);

#endif
