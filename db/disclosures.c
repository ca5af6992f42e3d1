/*
 * db/disclosures.c - the ledger's row encoding, hash chain and SQL (see
 * ledger.h). Field lists cross into SQL as JSON arrays, so no array
 * literal is ever spliced together by hand.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "disclosures.h"
#include "jsontext.h"

/* Any constant shared by all hcpd processes, not MIGRATE_LOCK_KEY. */
#define LEDGER_LOCK_KEY "465557301093" /* 0x6c65646765, "ledge" */

#define NULL_ITEM 0xFFFFFFFFu

/* Appends one length-prefixed item (NULL: the NULL marker) at *pos. */
static void put_item(unsigned char *buf, size_t size, size_t *pos, const char *s, size_t len)
{
	uint32_t n = s != NULL ? (uint32_t)len : NULL_ITEM;
	unsigned char prefix[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				   (unsigned char)(n >> 8), (unsigned char)n};

	for (int i = 0; i < 4; i++, (*pos)++)
		if (*pos < size)
			buf[*pos] = prefix[i];
	if (s == NULL)
		return;
	if (*pos < size)
		memcpy(buf + *pos, s, len <= size - *pos ? len : size - *pos);
	*pos += len;
}

static void put_str(unsigned char *buf, size_t size, size_t *pos, const char *s)
{
	put_item(buf, size, pos, s, s != NULL ? strlen(s) : 0);
}

static void put_num(unsigned char *buf, size_t size, size_t *pos, long long v)
{
	char num[24];
	int len = snprintf(num, sizeof(num), "%lld", v);

	put_item(buf, size, pos, num, (size_t)len);
}

size_t ledger_row_encode(const struct ledger_row *row, unsigned char *buf, size_t size)
{
	size_t pos = 0;

	put_str(buf, size, &pos, LEDGER_ENCODING);
	put_num(buf, size, &pos, row->id);
	put_str(buf, size, &pos, row->subject);
	put_str(buf, size, &pos, row->recipient);
	put_num(buf, size, &pos, (long long)row->nfields);
	for (size_t i = 0; i < row->nfields; i++)
		put_str(buf, size, &pos, row->fields[i]);
	put_str(buf, size, &pos, row->purpose);
	put_str(buf, size, &pos, row->terms_version);
	put_str(buf, size, &pos, row->legal_basis);
	put_str(buf, size, &pos, row->recipient_country);
	if (row->job_id != 0)
		put_num(buf, size, &pos, row->job_id);
	else
		put_item(buf, size, &pos, NULL, 0);
	put_num(buf, size, &pos, row->disclosed_us);
	return pos;
}

enum err ledger_row_hash(const struct ledger_row *row, const unsigned char prev[LEDGER_HASH_LEN],
			 unsigned char ret_hash[LEDGER_HASH_LEN])
{
	unsigned char stack[2048], *buf = stack;
	size_t len = ledger_row_encode(row, stack, sizeof(stack) - LEDGER_HASH_LEN);

	if (len > sizeof(stack) - LEDGER_HASH_LEN) {
		buf = malloc(len + LEDGER_HASH_LEN);
		if (buf == NULL)
			return ERR_NOMEM;
		ledger_row_encode(row, buf, len);
	}
	memcpy(buf + len, prev, LEDGER_HASH_LEN);
	crypto_sha256(buf, len + LEDGER_HASH_LEN, ret_hash);
	if (buf != stack)
		free(buf);
	return ERR_OK;
}

enum chain_fault ledger_chain_step(struct chain_walk *walk, const struct ledger_row *row,
				   const unsigned char prev[LEDGER_HASH_LEN],
				   const unsigned char hash[LEDGER_HASH_LEN])
{
	unsigned char want[LEDGER_HASH_LEN];

	if (row->id != walk->last_id + 1)
		return CHAIN_GAP;
	if (memcmp(prev, walk->last_hash, LEDGER_HASH_LEN) != 0)
		return CHAIN_LINK;
	if (ledger_row_hash(row, prev, want) != ERR_OK || memcmp(want, hash, LEDGER_HASH_LEN) != 0)
		return CHAIN_CONTENT;
	walk->last_id = row->id;
	memcpy(walk->last_hash, hash, LEDGER_HASH_LEN);
	walk->rows++;
	return CHAIN_OK;
}

/* A bytea column in text form ("\x" and hex) of exactly LEDGER_HASH_LEN
 * bytes into out. */
static bool hash_column(const char *text, unsigned char out[LEDGER_HASH_LEN])
{
	return strncmp(text, "\\x", 2) == 0 && strlen(text) == 2 + 2 * LEDGER_HASH_LEN &&
	       crypto_unhex(text + 2, 2 * LEDGER_HASH_LEN, out) == ERR_OK;
}

/* A JSON array of strings (as SQL returned it) into a borrowed vector. */
static enum err string_vector(json_t *arrays, const char *text, const char ***ret_v, size_t *ret_n)
{
	json_t *a = json_loads(text, 0, NULL);
	const char **v;
	size_t n;

	if (a == NULL || !json_is_array(a) || json_array_append_new(arrays, a) != 0) {
		json_decref(a);
		return ERR_DB;
	}
	n = json_array_size(a);
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = json_string_value(json_array_get(a, i));
		if (v[i] == NULL) {
			free(v);
			return ERR_DB;
		}
	}
	*ret_v = v;
	*ret_n = n;
	return ERR_OK;
}

enum err db_gate_facts(PGconn *conn, const char *subject, const char *recipient,
		       struct gate_facts *ret_facts)
{
	const char *params[2] = {subject, recipient};
	struct gate_facts f = {0};
	enum err err;

	/* The terms in force are the latest-starting version whose window
	 * holds now(); a purpose's consent is its latest consents row. */
	err = db_exec(conn,
		      "SELECT r.kind, t.version, t.purpose, t.legal_basis, t.recipient_country, "
		      "coalesce(array_to_json(t.allowed_fields)::text, '[]'), a.id IS NOT NULL, "
		      "a.data_key IS NULL, coalesce(a.processing_restricted, false), "
		      "(SELECT coalesce(json_agg(c.purpose), '[]')::text FROM "
		      "  (SELECT DISTINCT ON (purpose) purpose, granted FROM consents "
		      "   WHERE account_id = a.id ORDER BY purpose, id DESC) c WHERE c.granted), "
		      "r.suspended_at IS NOT NULL, a.notice_version "
		      "FROM (SELECT $1::uuid AS subject, $2::text AS recipient) q "
		      "LEFT JOIN recipients r ON r.name = q.recipient "
		      "LEFT JOIN LATERAL (SELECT * FROM recipient_terms rt "
		      "  WHERE rt.recipient = r.name AND rt.effective_from <= now() "
		      "  AND (rt.effective_to IS NULL OR rt.effective_to > now()) "
		      "  ORDER BY rt.effective_from DESC, rt.recorded_at DESC LIMIT 1) t ON true "
		      "LEFT JOIN accounts a ON a.id = q.subject",
		      2, params, NULL, NULL, &f.res);
	if (err != ERR_OK)
		return err;
	f.arrays = json_array();
	if (f.arrays == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	if (PQntuples(f.res) != 1) {
		err = ERR_DB;
		goto out;
	}
	f.kind = PQgetisnull(f.res, 0, 0) ? NULL : PQgetvalue(f.res, 0, 0);
	if (!PQgetisnull(f.res, 0, 1)) {
		f.terms_version = PQgetvalue(f.res, 0, 1);
		f.purpose = PQgetvalue(f.res, 0, 2);
		f.legal_basis = PQgetvalue(f.res, 0, 3);
		f.recipient_country = PQgetvalue(f.res, 0, 4);
	}
	f.account_found = PQgetvalue(f.res, 0, 6)[0] == 't';
	f.erased = PQgetvalue(f.res, 0, 7)[0] == 't';
	f.restricted = PQgetvalue(f.res, 0, 8)[0] == 't';
	f.suspended = PQgetvalue(f.res, 0, 10)[0] == 't';
	f.notice_version = PQgetisnull(f.res, 0, 11) ? NULL : PQgetvalue(f.res, 0, 11);
	err = string_vector(f.arrays, PQgetvalue(f.res, 0, 5), &f.allowed, &f.nallowed);
	if (err == ERR_OK)
		err = string_vector(f.arrays,
				    PQgetisnull(f.res, 0, 9) ? "[]" : PQgetvalue(f.res, 0, 9),
				    &f.granted, &f.ngranted);
out:
	if (err != ERR_OK) {
		gate_facts_release(&f);
		return err;
	}
	*ret_facts = f;
	return ERR_OK;
}

void gate_facts_release(struct gate_facts *facts)
{
	free(facts->allowed);
	free(facts->granted);
	free(facts->enrolled);
	json_decref(facts->arrays);
	json_decref(facts->enrolled_json);
	PQclear(facts->res);
	memset(facts, 0, sizeof(*facts));
}

/* strings as a compact JSON array (malloc'd text). */
static char *json_strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	char *text = NULL;

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0)
			goto out;
	text = json_text_dump(a, JSON_COMPACT);
out:
	json_decref(a);
	return text;
}

enum err db_ledger_append(PGconn *conn, struct ledger_row *row)
{
	unsigned char prev[LEDGER_HASH_LEN] = {0}, hash[LEDGER_HASH_LEN];
	char id[24], job[24], us[24], *fields = NULL;
	PGresult *res = NULL;
	long long last = 0, now_us;
	enum err err;

	if (PQtransactionStatus(conn) != PQTRANS_INTRANS)
		return ERR_INVALID; /* the lock would end with this statement */
	/* Own statement: READ COMMITTED takes the next statement's snapshot
	 * after the lock is granted, so it sees the last committed append. */
	err = db_command(conn, "SELECT pg_advisory_xact_lock(" LEDGER_LOCK_KEY ")");
	if (err == ERR_OK)
		err = db_exec(
			conn,
			"SELECT d.id, d.row_hash, n.us FROM (SELECT (extract(epoch FROM "
			"clock_timestamp()) * 1000000)::bigint AS us) n LEFT JOIN LATERAL "
			"(SELECT id, row_hash FROM disclosures ORDER BY id DESC LIMIT 1) d ON true",
			0, NULL, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (!PQgetisnull(res, 0, 0)) {
		last = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (!hash_column(PQgetvalue(res, 0, 1), prev))
			err = ERR_DB;
	}
	now_us = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	if (err != ERR_OK)
		return err;

	row->id = last + 1;
	row->disclosed_us = now_us;
	err = ledger_row_hash(row, prev, hash);
	fields = json_strings(row->fields, row->nfields);
	if (err == ERR_OK && fields == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK) {
		const char *params[12] = {id,
					  row->subject,
					  row->recipient,
					  fields,
					  row->purpose,
					  row->terms_version,
					  row->legal_basis,
					  row->recipient_country,
					  row->job_id != 0 ? job : NULL,
					  us,
					  (const char *)prev,
					  (const char *)hash};
		const int lengths[12] = {[10] = LEDGER_HASH_LEN, [11] = LEDGER_HASH_LEN};
		const int formats[12] = {[10] = 1, [11] = 1};

		snprintf(id, sizeof(id), "%lld", row->id);
		snprintf(job, sizeof(job), "%lld", row->job_id);
		snprintf(us, sizeof(us), "%lld", row->disclosed_us);
		err = db_exec(
			conn,
			"INSERT INTO disclosures (id, subject, recipient, fields, purpose, "
			"terms_version, legal_basis, recipient_country, job_id, disclosed_at, "
			"prev_hash, row_hash) VALUES ($1, $2, $3, ARRAY(SELECT e FROM "
			"json_array_elements_text($4::json) WITH ORDINALITY AS x(e, n) "
			"ORDER BY n), $5, $6, $7, $8, $9, timestamptz 'epoch' + "
			"$10::bigint * interval '1 microsecond', $11, $12)",
			12, params, lengths, formats, NULL);
	}
	free(fields);
	return err;
}

/* The columns db_ledger_scan() reads, in order. */
#define SCAN_COLUMNS                                                                               \
	"id, subject, recipient, array_to_json(fields)::text, purpose, terms_version, "            \
	"legal_basis, recipient_country, job_id, "                                                 \
	"(extract(epoch FROM disclosed_at) * 1000000)::bigint, prev_hash, row_hash"

/* Calls fn for each row of res; *ret_last is the last id seen. */
static enum err scan_rows(PGresult *res, ledger_scan_fn fn, void *ctx, long long *ret_last,
			  bool *ret_stopped)
{
	unsigned char prev[LEDGER_HASH_LEN], hash[LEDGER_HASH_LEN];
	const char **fields = NULL;
	size_t nfields = 0;
	json_t *arrays = NULL;
	enum err err = ERR_OK;

	for (int i = 0; i < PQntuples(res) && err == ERR_OK && !*ret_stopped; i++) {
		struct ledger_row row = {
			.id = strtoll(PQgetvalue(res, i, 0), NULL, 10),
			.subject = PQgetvalue(res, i, 1),
			.recipient = PQgetvalue(res, i, 2),
			.purpose = PQgetvalue(res, i, 4),
			.terms_version = PQgetvalue(res, i, 5),
			.legal_basis = PQgetvalue(res, i, 6),
			.recipient_country = PQgetvalue(res, i, 7),
			.job_id = PQgetisnull(res, i, 8) ? 0
							 : strtoll(PQgetvalue(res, i, 8), NULL, 10),
			.disclosed_us = strtoll(PQgetvalue(res, i, 9), NULL, 10),
		};

		arrays = json_array();
		if (arrays == NULL)
			return ERR_NOMEM;
		err = string_vector(arrays, PQgetvalue(res, i, 3), &fields, &nfields);
		if (err == ERR_OK && (!hash_column(PQgetvalue(res, i, 10), prev) ||
				      !hash_column(PQgetvalue(res, i, 11), hash)))
			err = ERR_INVALID;
		if (err == ERR_OK) {
			row.fields = fields;
			row.nfields = nfields;
			*ret_last = row.id;
			*ret_stopped = fn(ctx, &row, prev, hash) != 0;
		}
		free(fields);
		fields = NULL;
		json_decref(arrays);
	}
	return err;
}

enum err db_ledger_scan(PGconn *conn, long long after, int chunk, ledger_scan_fn fn, void *ctx)
{
	char from[24], limit[16];
	const char *params[2] = {from, limit};
	bool stopped = false;
	enum err err = ERR_OK;

	snprintf(limit, sizeof(limit), "%d", chunk);
	while (err == ERR_OK && !stopped) {
		PGresult *res = NULL;
		long long last = after;
		int n;

		snprintf(from, sizeof(from), "%lld", after);
		err = db_exec(conn,
			      "SELECT " SCAN_COLUMNS " FROM disclosures WHERE id > $1 "
			      "ORDER BY id LIMIT $2",
			      2, params, NULL, NULL, &res);
		if (err != ERR_OK)
			break;
		n = PQntuples(res);
		err = scan_rows(res, fn, ctx, &last, &stopped);
		PQclear(res);
		if (n < chunk)
			break;
		after = last;
	}
	return err;
}

enum err db_disclosures_list(PGconn *conn, const struct disclosure_filter *f, PGresult **ret_res)
{
	char before[24], limit[16];
	const char *params[6] = {f->subject, f->recipient, f->before > 0 ? before : NULL,
				 limit,      f->from,      f->to};

	snprintf(before, sizeof(before), "%lld", f->before);
	snprintf(limit, sizeof(limit), "%d", f->limit);
	/* unnamed statements are planned with their values: a NULL filter
	 * drops out and the (subject, id) or (recipient, id) index serves */
	return db_exec(conn,
		       "SELECT d.id, d.subject, d.recipient, r.display_name, "
		       "array_to_json(d.fields)::text, d.purpose, d.terms_version, d.legal_basis, "
		       "d.recipient_country, d.job_id, to_char(d.disclosed_at AT TIME ZONE 'UTC', "
		       "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM disclosures d "
		       "JOIN recipients r ON r.name = d.recipient "
		       "WHERE ($1::uuid IS NULL OR d.subject = $1::uuid) "
		       "AND ($2::text IS NULL OR d.recipient = $2) "
		       "AND ($3::bigint IS NULL OR d.id < $3::bigint) "
		       "AND ($5::timestamptz IS NULL OR d.disclosed_at >= $5::timestamptz) "
		       "AND ($6::timestamptz IS NULL OR d.disclosed_at < $6::timestamptz) "
		       "ORDER BY d.id DESC LIMIT $4::int",
		       6, params, NULL, NULL, ret_res);
}

enum err db_recipient_upsert(PGconn *conn, const char *name, const char *kind,
			     const char *display_name, const char *country)
{
	const char *params[4] = {name, kind, display_name, country};

	return db_exec(
		conn,
		"INSERT INTO recipients (name, kind, display_name, country) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET "
		"kind = EXCLUDED.kind, display_name = EXCLUDED.display_name, "
		"country = EXCLUDED.country WHERE (recipients.kind, recipients.display_name, "
		"recipients.country) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.display_name, "
		"EXCLUDED.country)",
		4, params, NULL, NULL, NULL);
}

enum err db_recipient_kind(PGconn *conn, const char *name, char ret_kind[16])
{
	const char *params[1] = {name};
	PGresult *res = NULL;
	enum err err = db_exec(conn, "SELECT kind FROM recipients WHERE name = $1", 1, params, NULL,
			       NULL, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	else
		snprintf(ret_kind, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return err;
}

enum err db_terms_insert(PGconn *conn, const char *recipient, const struct recipient_terms_def *t,
			 bool *ret_same)
{
	char retention[16], from[24], to[24];
	char *fields = json_strings(t->allowed_fields, t->nallowed);
	const char *params[10] = {recipient,      t->version,
				  t->purpose,     fields,
				  retention,      t->onward_transfer ? "true" : "false",
				  t->legal_basis, t->recipient_country,
				  from,           to};
	PGresult *res = NULL;
	enum err err;

	if (fields == NULL)
		return ERR_NOMEM;
	snprintf(retention, sizeof(retention), "%d", t->retention_days);
	snprintf(from, sizeof(from), "%lld", t->effective_from);
	snprintf(to, sizeof(to), "%lld", t->effective_to);
	err = db_exec(conn,
		      "INSERT INTO recipient_terms (recipient, version, purpose, allowed_fields, "
		      "retention_days, onward_transfer, legal_basis, recipient_country, "
		      "effective_from, effective_to) VALUES ($1, $2, $3, ARRAY(SELECT e FROM "
		      "json_array_elements_text($4::json) WITH ORDINALITY AS x(e, n) ORDER BY n), "
		      "$5::int, $6::boolean, $7, $8, to_timestamp($9::bigint), "
		      "CASE WHEN $10::bigint = 0 THEN NULL ELSE to_timestamp($10::bigint) END) "
		      "ON CONFLICT (recipient, version) DO NOTHING",
		      10, params, NULL, NULL, NULL);
	/* stored before (by this or another process): the same content? */
	if (err == ERR_OK)
		err = db_exec(
			conn,
			"SELECT purpose = $3 AND retention_days = $5::int "
			"AND onward_transfer = $6::boolean AND legal_basis = $7 "
			"AND recipient_country = $8 AND effective_from = to_timestamp($9::bigint) "
			"AND effective_to IS NOT DISTINCT FROM "
			"(CASE WHEN $10::bigint = 0 THEN NULL ELSE to_timestamp($10::bigint) END) "
			"AND (SELECT coalesce(array_agg(f ORDER BY f), '{}') FROM "
			"unnest(allowed_fields) AS x(f)) = (SELECT coalesce(array_agg(f ORDER BY "
			"f), "
			"'{}') FROM json_array_elements_text($4::json) AS x(f)) "
			"FROM recipient_terms WHERE recipient = $1 AND version = $2",
			10, params, NULL, NULL, &res);
	free(fields);
	if (err != ERR_OK)
		return err;
	*ret_same = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return ERR_OK;
}
