/*
 * rosters.c - SQL for roster verifiers (see rosters.h). Owns the COPY
 * buffer of a load, a fixed ROSTER_COPY_CHUNK bytes whatever the roster's
 * size; holds no entry longer than it takes to escape it. Statements are
 * parameterised; the only text built here is COPY data, escaped. Nothing
 * here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applies.h"
#include "db.h"
#include "rosters.h"
#include "validate.h"

#define ROSTER_COPY_CHUNK 65536 /* bytes of COPY data sent at once */
/* the longest line one entry makes: every byte escaped, the roster name,
 * the NPI, three names, a date, a boolean, a detail, separators */
#define ROSTER_LINE_MAX (2 * (64 + 11 + 3 * ROSTER_TEXT_MAX + 11 + ROSTER_DETAIL_MAX) + 16)

struct db_roster_copy {
	PGconn *conn;
	const char *roster;
	size_t used;    /* bytes of buf waiting to be sent */
	long long rows; /* entries put */
	enum err err;   /* the first failure: later puts return it */
	char buf[ROSTER_COPY_CHUNK];
};

static enum err flush(struct db_roster_copy *c)
{
	if (c->used > 0 && PQputCopyData(c->conn, c->buf, (int)c->used) != 1)
		return ERR_UNAVAILABLE;
	c->used = 0;
	return ERR_OK;
}

/* s in COPY text format (NULL as \N), then sep. Room was checked. */
static void put_text(struct db_roster_copy *c, const char *s, char sep)
{
	if (s == NULL) {
		memcpy(c->buf + c->used, "\\N", 2);
		c->used += 2;
	}
	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, "\\\t\n\r"); /* a run needing no escape, copied at once */

		memcpy(c->buf + c->used, s, n);
		c->used += n;
		s += n;
		if (*s == '\0')
			break;
		c->buf[c->used++] = '\\';
		c->buf[c->used++] = *s == '\\' ? '\\' : *s == '\t' ? 't' : *s == '\n' ? 'n' : 'r';
		s++;
	}
	c->buf[c->used++] = sep;
}

static bool text_ok(const char *s, size_t max, bool may_be_empty)
{
	return s != NULL && strlen(s) < max && (may_be_empty || s[0] != '\0');
}

/* The npi column holds an NPI or a register's own number (an RPPS, a
 * GMC Ref No): 1-32 ASCII letters and digits. */
static bool npi_ok(const char *s)
{
	static const char alnum[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t len = s != NULL ? strlen(s) : 0;

	return s == NULL || (len >= 1 && len <= ROSTER_ID_MAX && strspn(s, alnum) == len);
}

bool db_roster_entry_ok(const struct roster_entry *e)
{
	return text_ok(e->family_name, ROSTER_TEXT_MAX, false) &&
	       text_ok(e->given_name, ROSTER_TEXT_MAX, true) &&
	       text_ok(e->state, ROSTER_TEXT_MAX, true) &&
	       text_ok(e->detail, ROSTER_DETAIL_MAX, true) && npi_ok(e->npi) &&
	       (e->listed_on == NULL || validate_date(e->listed_on));
}

enum err db_roster_put(struct db_roster_copy *copy, const struct roster_entry *e)
{
	struct db_roster_copy *c = copy;

	if (c->err != ERR_OK)
		return c->err;
	if (!db_roster_entry_ok(e))
		return ERR_INVALID;
	if (c->used + ROSTER_LINE_MAX > sizeof(c->buf) && (c->err = flush(c)) != ERR_OK)
		return c->err;
	put_text(c, c->roster, '\t');
	put_text(c, e->npi, '\t');
	put_text(c, e->family_name, '\t');
	put_text(c, e->given_name, '\t');
	put_text(c, e->state, '\t');
	put_text(c, e->listed_on, '\t');
	put_text(c, e->reinstated ? "t" : "f", '\t');
	put_text(c, e->detail, '\n');
	c->rows++;
	return ERR_OK;
}

/* Ends the COPY (abandoning it unless ok) and reads its outcome. */
static enum err copy_end(PGconn *conn, bool ok)
{
	enum err err = ERR_OK;
	bool first = true;
	PGresult *res;

	if (PQputCopyEnd(conn, ok ? NULL : "roster load abandoned") != 1)
		err = ERR_UNAVAILABLE;
	while ((res = PQgetResult(conn)) != NULL) {
		if (first && PQresultStatus(res) != PGRES_COMMAND_OK)
			err = PQstatus(conn) != CONNECTION_OK ? ERR_UNAVAILABLE : ERR_DB;
		first = false;
		PQclear(res);
	}
	return first ? ERR_UNAVAILABLE : err;
}

/* verifier_applies() in SQL (applies.h): accounts, the verifier's
 * countries $2 and professions $3 as JSON arrays */
#define APPLIES_TO_ACCOUNTS                                                                        \
	DB_VERIFIER_APPLIES("accounts", "ARRAY(SELECT jsonb_array_elements_text($2::jsonb))",      \
			    "ARRAY(SELECT jsonb_array_elements_text($3::jsonb))")

enum err db_roster_load(PGconn *conn, const struct db_roster_target *t, db_roster_producer produce,
			void *ctx, long long *ret_entries, long long *ret_queued)
{
	struct db_roster_copy *copy = malloc(sizeof(*copy));
	unsigned char sha256[32];
	char entries[24];
	const char *params[4] = {t->name, entries, (const char *)sha256, t->extract_date};
	const char *jobs[3] = {t->name, t->countries, t->professions};
	const int lengths[4] = {0, 0, sizeof(sha256), 0};
	const int formats[4] = {0, 0, 1, 0};
	PGresult *res = NULL;
	long long queued = 0;
	enum err err;

	if (copy == NULL)
		return ERR_NOMEM;
	copy->conn = conn;
	copy->roster = t->name;
	copy->used = 0;
	copy->rows = 0;
	copy->err = ERR_OK;
	err = db_begin(conn);
	/* a large roster takes longer than any request may */
	if (err == ERR_OK)
		err = db_command(conn, "SET LOCAL statement_timeout = 0");
	/* the row lock makes a second load of the same roster wait */
	if (err == ERR_OK)
		err = db_exec(conn,
			      "INSERT INTO rosters (name, entries, sha256) "
			      "VALUES ($1, 0, decode(repeat('00', 32), 'hex')) "
			      "ON CONFLICT (name) DO UPDATE SET loaded_at = now()",
			      1, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_exec(conn, "DELETE FROM roster_entries WHERE roster = $1", 1, params, NULL,
			      NULL, NULL);
	if (err != ERR_OK)
		goto out;
	res = PQexec(conn, "COPY roster_entries (roster, npi, family_name, given_name, state, "
			   "listed_on, reinstated, detail) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		err = PQstatus(conn) != CONNECTION_OK ? ERR_UNAVAILABLE : ERR_DB;
		goto out;
	}
	PQclear(res);
	res = NULL;
	err = produce(ctx, copy, sha256);
	if (err == ERR_OK)
		err = copy->err;
	if (err == ERR_OK)
		err = flush(copy);
	if (err != ERR_OK) {
		copy_end(conn, false);
		goto out;
	}
	err = copy_end(conn, true);
	if (err != ERR_OK)
		goto out;
	snprintf(entries, sizeof(entries), "%lld", copy->rows);
	err = db_exec(conn,
		      "UPDATE rosters SET entries = $2, sha256 = $3, loaded_at = now(), "
		      "extract_date = $4::date WHERE name = $1",
		      4, params, lengths, formats, NULL);
	if (err != ERR_OK)
		goto out;
	/* the partial unique index verification_jobs_open keeps it to one open
	 * job per account and verifier */
	err = db_exec(conn,
		      "INSERT INTO verification_jobs (account_id, verifier, occasion) "
		      "SELECT id, $1::text, 'roster_reload' FROM accounts "
		      "WHERE role = 'professional' AND data_key IS NOT NULL "
		      "AND status IN ('verified', 'approved') "
		      "AND " APPLIES_TO_ACCOUNTS " "
		      "ON CONFLICT (account_id, verifier) WHERE state IN ('queued', 'running') "
		      "DO NOTHING",
		      3, jobs, NULL, NULL, &res);
	if (err != ERR_OK)
		goto out;
	queued = atoll(PQcmdTuples(res));
out:
	PQclear(res);
	err = db_end(conn, err);
	if (err == ERR_OK) {
		*ret_entries = copy->rows;
		*ret_queued = queued;
	}
	free(copy);
	return err;
}

enum err db_roster_info(PGconn *conn, const char *name, struct db_roster_info *ret_info)
{
	struct db_roster_info info = {0};
	PGresult *res = NULL;
	enum err err =
		db_exec(conn,
			"SELECT entries, to_char(loaded_at AT TIME ZONE 'UTC', "
			"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(extract_date, 'YYYY-MM-DD') "
			"FROM rosters WHERE name = $1",
			1, &name, NULL, NULL, &res);

	if (err == ERR_OK && PQntuples(res) > 0) {
		const char *s;

		info.loaded = true;
		info.entries = atoll(PQgetvalue(res, 0, 0));
		s = db_cell_text(res, 0, 1);
		snprintf(info.loaded_at, sizeof(info.loaded_at), "%s", s != NULL ? s : "");
		s = db_cell_text(res, 0, 2);
		snprintf(info.extract_date, sizeof(info.extract_date), "%s", s != NULL ? s : "");
	}
	if (err == ERR_OK)
		*ret_info = info;
	PQclear(res);
	return err;
}

enum err db_roster_loaded(PGconn *conn, const char *name, bool *ret_loaded)
{
	PGresult *res = NULL;
	enum err err =
		db_exec(conn, "SELECT 1 FROM rosters WHERE name = $1", 1, &name, NULL, NULL, &res);

	if (err == ERR_OK)
		*ret_loaded = PQntuples(res) > 0;
	PQclear(res);
	return err;
}

/* A cell's text into a buffer of size bytes ("" for NULL). */
static void cell(PGresult *res, int row, int col, char *out, size_t size)
{
	const char *s = db_cell_text(res, row, col);

	snprintf(out, size, "%s", s != NULL ? s : "");
}

static bool cell_true(PGresult *res, int row, int col)
{
	const char *s = db_cell_text(res, row, col);

	return s != NULL && strcmp(s, "t") == 0;
}

bool db_roster_row_matches(const struct roster_query *q, const struct roster_hit *row)
{
	if (q->npi != NULL && row->npi[0] != '\0')
		return strcmp(row->npi, q->npi) == 0;
	return row->npi[0] == '\0' && q->family_name != NULL && q->given_name != NULL &&
	       q->state != NULL && strcmp(row->family_name, q->family_name) == 0 &&
	       strcmp(row->given_name, q->given_name) == 0 && strcmp(row->state, q->state) == 0;
}

/* Is a (matched) preferred to b: one not reinstated, then one matched by
 * NPI, then the earliest listed (an undated one last)? */
static bool better(const struct roster_hit *a, const struct roster_hit *b)
{
	if (a->reinstated != b->reinstated)
		return !a->reinstated;
	if (a->by_npi != b->by_npi)
		return a->by_npi;
	if (a->listed_on[0] == '\0' || b->listed_on[0] == '\0')
		return b->listed_on[0] == '\0' && a->listed_on[0] != '\0';
	return strcmp(a->listed_on, b->listed_on) < 0;
}

enum err db_roster_pick(const struct roster_query *q, const struct roster_hit *rows, size_t n,
			struct roster_hit *ret_hit)
{
	const struct roster_hit *best = NULL;
	struct roster_hit hit;

	for (size_t i = 0; i < n; i++) {
		if (!db_roster_row_matches(q, &rows[i]))
			continue;
		hit = rows[i];
		hit.by_npi = q->npi != NULL && hit.npi[0] != '\0';
		if (best == NULL || better(&hit, ret_hit)) {
			*ret_hit = hit;
			best = &rows[i];
		}
	}
	return best != NULL ? ERR_OK : ERR_NOT_FOUND;
}

enum err db_roster_match(PGconn *conn, const char *name, const struct roster_query *q,
			 struct roster_hit *ret_hit)
{
	const char *params[5] = {name, q->npi, q->family_name, q->given_name, q->state};
	struct roster_hit *rows = NULL;
	PGresult *res = NULL;
	int n = 0;
	enum err err;

	/* The WHERE clause only narrows by the indexes; db_roster_pick()
	 * decides, the same function `hcpd verifier test` runs on a roster
	 * read into memory. A NULL parameter compares as unknown: that branch
	 * matches nothing. */
	err = db_exec(
		conn,
		"SELECT npi, family_name, given_name, state, "
		"to_char(listed_on, 'YYYY-MM-DD'), coalesce(listed_on > current_date, false), "
		"reinstated, detail FROM roster_entries WHERE roster = $1 AND (npi = $2 OR "
		"(npi IS NULL AND family_name = $3 AND given_name = $4 AND state = $5)) "
		"LIMIT " ROSTER_CANDIDATES_MAX_TEXT,
		5, params, NULL, NULL, &res);
	if (err != ERR_OK)
		goto out;
	n = PQntuples(res);
	if (n > 0 && (rows = calloc((size_t)n, sizeof(*rows))) == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		cell(res, i, 0, rows[i].npi, sizeof(rows[i].npi));
		cell(res, i, 1, rows[i].family_name, sizeof(rows[i].family_name));
		cell(res, i, 2, rows[i].given_name, sizeof(rows[i].given_name));
		cell(res, i, 3, rows[i].state, sizeof(rows[i].state));
		cell(res, i, 4, rows[i].listed_on, sizeof(rows[i].listed_on));
		rows[i].listed_later = cell_true(res, i, 5);
		rows[i].reinstated = cell_true(res, i, 6);
		cell(res, i, 7, rows[i].detail, sizeof(rows[i].detail));
	}
	err = db_roster_pick(q, rows, (size_t)n, ret_hit);
out:
	free(rows);
	PQclear(res);
	return err;
}
