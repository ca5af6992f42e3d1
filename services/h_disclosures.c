/*
 * h_disclosures.c - the disclosure routes: POST /v1/admin/disclosures (an
 * admin exports chosen fields of chosen accounts to a non-verifier
 * recipient, through the gate, account by account).
 *
 * Every value that leaves here passed ledger_disclose() in the same
 * transaction that recorded it; the reply holds only those values, and
 * for the rest the rule that refused them (its name, never a value).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "audit.h"
#include "catalogue.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "ledger.h"
#include "problem.h"
#include "validate.h"
#include "recipients.h"
#include "terms.h"
#include "vault.h"

#define EXPORT_MAX_ACCOUNTS 100
#define EXPORT_MAX_FIELDS   32

/* One account of an export. */
struct export_item {
	char account[37]; /* lower case */
	json_t *values;   /* the requested fields, opened; NULL if it cannot be */
	enum gate_rule rule;
	long long disclosure_id;
};

/* Checks an array member of body: 1..max distinct strings, each passing
 * ok (if non-NULL). Problems go to errors under key. */
static void check_list(json_t *body, const char *key, size_t max,
		       bool (*ok)(const void *ctx, const char *s), const void *ctx, json_t *errors)
{
	json_t *list = json_object_get(body, key), *v;
	char msg[96];
	size_t i;

	if (list == NULL) {
		json_error_add(errors, key, "required", "is required");
		return;
	}
	if (!json_is_array(list) || json_array_size(list) == 0) {
		json_error_add(errors, key, "type", "must be a non-empty array of strings");
		return;
	}
	if (json_array_size(list) > max) {
		snprintf(msg, sizeof(msg), "must hold at most %zu items", max);
		json_error_add(errors, key, "too_long", msg);
		return;
	}
	json_array_foreach (list, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL) {
			json_error_add(errors, key, "type", "must be an array of strings");
			return;
		}
		if (ok != NULL && !ok(ctx, s)) {
			snprintf(msg, sizeof(msg), "item %zu is not valid here", i);
			json_error_add(errors, key, "invalid", msg);
			return;
		}
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(json_string_value(json_array_get(list, j)), s) == 0) {
				snprintf(msg, sizeof(msg), "item %zu repeats item %zu", i, j);
				json_error_add(errors, key, "duplicate", msg);
				return;
			}
	}
}

static bool field_ok(const void *cat, const char *s)
{
	return terms_field_known(cat, s);
}

static bool uuid_ok(const void *ctx, const char *s)
{
	(void)ctx;
	return validate_uuid(s);
}

/* The gate for every account, the ledger rows, the refusals' and the
 * export's own audit rows: one transaction. */
static enum err export_run(struct req *r, PGconn *conn, struct export_item *items, size_t n,
			   const char *const *fields, size_t nfields)
{
	const char *recipient = json_string_value(json_object_get(r->json, "recipient"));
	const char *purpose = json_string_value(json_object_get(r->json, "purpose"));
	json_t *details = NULL;
	size_t disclosed = 0;
	enum err err = db_begin(conn);

	for (size_t i = 0; i < n && err == ERR_OK; i++) {
		struct disclosure_req d = {
			.subject = items[i].account,
			.recipient = recipient,
			.purpose = purpose,
			.fields = fields,
			.nfields = nfields,
			.actor = r->auth.sub,
			.request_id = r->id,
			.notice_version = catalogue_notice_version(r->app->catalogue),
		};

		err = ledger_disclose_id(conn, &d, &items[i].rule, &items[i].disclosure_id);
		disclosed += err == ERR_OK && items[i].rule == GATE_ALLOWED;
	}
	if (err == ERR_OK) {
		details = json_pack("{s:s, s:O, s:i, s:i, s:i}", "purpose", purpose, "fields",
				    json_object_get(r->json, "fields"), "accounts", (int)n,
				    "disclosed", (int)disclosed, "refused", (int)(n - disclosed));
		err = details != NULL ? db_audit_append(conn,
							&(struct audit_entry){
								.actor = r->auth.sub,
								.action = "disclosure.export",
								.target = recipient,
								.request_id = r->id,
								.details = details,
							})
				      : ERR_NOMEM;
		json_decref(details);
	}
	return db_end(conn, err);
}

static json_t *export_reply(struct req *r, struct export_item *items, size_t n)
{
	json_t *body = json_pack("{s:O, s:O, s:O, s:[], s:[]}", "recipient",
				 json_object_get(r->json, "recipient"), "purpose",
				 json_object_get(r->json, "purpose"), "fields",
				 json_object_get(r->json, "fields"), "disclosed", "refused");

	for (size_t i = 0; body != NULL && i < n; i++) {
		json_t *item;

		if (items[i].rule == GATE_ALLOWED)
			item = json_pack("{s:s, s:I, s:O?}", "account", items[i].account,
					 "disclosure_id", (json_int_t)items[i].disclosure_id,
					 "values", items[i].values);
		else
			item = json_pack("{s:s, s:s}", "account", items[i].account, "rule",
					 gate_rule_name(items[i].rule));
		if (json_array_append_new(json_object_get(body, items[i].rule == GATE_ALLOWED
									? "disclosed"
									: "refused"),
					  item) != 0) {
			json_decref(body);
			body = NULL;
		}
	}
	return body;
}

enum MHD_Result h_admin_disclosures_export(struct req *r)
{
	static const char *const keys[] = {"recipient", "purpose", "fields", "accounts", NULL};
	static const char *const strings[] = {"recipient", "purpose", NULL};
	json_t *errors = json_array(), *accounts = json_object_get(r->json, "accounts");
	json_t *fields_json = json_object_get(r->json, "fields"), *body = NULL;
	const char *fields[EXPORT_MAX_FIELDS];
	struct export_item *items = NULL;
	size_t n = 0, nfields = 0;
	char kind[16];
	PGconn *conn = NULL;
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	json_body_check_keys(r->json, keys, errors);
	json_body_require_strings(r->json, strings, errors);
	check_list(r->json, "fields", EXPORT_MAX_FIELDS, field_ok, r->app->catalogue, errors);
	check_list(r->json, "accounts", EXPORT_MAX_ACCOUNTS, uuid_ok, NULL, errors);
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);

	nfields = json_array_size(fields_json);
	for (size_t i = 0; i < nfields; i++)
		fields[i] = json_string_value(json_array_get(fields_json, i));
	n = json_array_size(accounts);
	items = calloc(n, sizeof(*items));
	if (items == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		goto out;
	err = db_recipient_kind(conn, json_string_value(json_object_get(r->json, "recipient")),
				kind);
	if (err == ERR_OK && strcmp(kind, "verifier") == 0) {
		errors = json_array();
		json_error_add(errors, "recipient", "invalid",
			       "verifiers receive fields only through verification jobs");
		db_release(r->app->db, conn);
		free(items);
		return problem_send_errors(r, errors);
	}
	err = err == ERR_NOT_FOUND ? ERR_OK : err; /* the gate refuses it, audited */
	/* values first: what the gate allows is then sent as recorded */
	for (size_t i = 0; i < n && err == ERR_OK; i++) {
		const char *id = json_string_value(json_array_get(accounts, i));

		for (int c = 0; c < 37; c++)
			items[i].account[c] = (char)tolower((unsigned char)id[c]);
		err = vault_open_fields(r->app, conn, items[i].account, fields_json,
					&items[i].values);
		if (err == ERR_NOT_FOUND) /* erased or no such account: the gate says so */
			err = ERR_OK;
	}
	if (err == ERR_OK)
		err = export_run(r, conn, items, n, fields, nfields);
	if (err == ERR_OK && (body = export_reply(r, items, n)) == NULL)
		err = ERR_NOMEM;
out:
	db_release(r->app->db, conn);
	for (size_t i = 0; i < n; i++)
		json_decref(items[i].values);
	free(items);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, body, NULL);
}

/* Pages of the accounting routes. */
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX     100

/* Reads cursor and limit from the query into f. False when malformed. */
static bool page_args(struct req *r, struct disclosure_filter *f)
{
	const char *cursor = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "cursor");
	const char *limit = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
	char *end;

	f->limit = LIST_LIMIT_DEFAULT;
	f->before = 0;
	if (limit != NULL) {
		long n = strtol(limit, &end, 10);

		if (limit[0] == '\0' || *end != '\0' || n < 1 || n > LIST_LIMIT_MAX)
			return false;
		f->limit = (int)n;
	}
	if (cursor != NULL) {
		/* the cursor is the last id of the page before: ids below it follow */
		if (cursor[0] == '\0' || strlen(cursor) > 18 ||
		    strspn(cursor, "0123456789") != strlen(cursor))
			return false;
		f->before = strtoll(cursor, NULL, 10);
		if (f->before < 1)
			return false;
	}
	return true;
}

/* One ledger row as the accounting routes show it (admin: with subject
 * and job). */
static json_t *item_json(PGresult *res, int i, bool admin)
{
	json_t *item = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "id",
				 (json_int_t)strtoll(PQgetvalue(res, i, DCOL_ID), NULL, 10),
				 "recipient", PQgetvalue(res, i, DCOL_RECIPIENT),
				 "recipient_display_name", PQgetvalue(res, i, DCOL_DISPLAY_NAME),
				 "fields", json_loads(PQgetvalue(res, i, DCOL_FIELDS), 0, NULL),
				 "purpose", PQgetvalue(res, i, DCOL_PURPOSE), "terms_version",
				 PQgetvalue(res, i, DCOL_TERMS_VERSION), "legal_basis",
				 PQgetvalue(res, i, DCOL_LEGAL_BASIS), "recipient_country",
				 PQgetvalue(res, i, DCOL_COUNTRY), "disclosed_at",
				 PQgetvalue(res, i, DCOL_DISCLOSED_AT));

	if (item != NULL && admin &&
	    (json_object_set_new(item, "subject", json_string(PQgetvalue(res, i, DCOL_SUBJECT))) ||
	     json_object_set_new(
		     item, "job_id",
		     PQgetisnull(res, i, DCOL_JOB_ID)
			     ? json_null()
			     : json_integer(strtoll(PQgetvalue(res, i, DCOL_JOB_ID), NULL, 10))))) {
		json_decref(item);
		item = NULL;
	}
	return item;
}

#define DCM    "http://dicom.nema.org/resources/ontology/DCM"
#define HL7_CS "http://terminology.hl7.org/CodeSystem/"

static json_t *coding(const char *system, const char *code, const char *display)
{
	return json_pack("{s:s, s:s, s:s}", "system", system, "code", code, "display", display);
}

/* An AuditEvent.agent: role (a DICOM role code), who by identifier. */
static json_t *agent(const char *role, const char *role_display, const char *system, const char *id,
		     const char *display, bool requestor)
{
	return json_pack("{s:{s:[o]}, s:{s:{s:s, s:s}, s:s}, s:b}", "type", "coding",
			 coding(DCM, role, role_display), "who", "identifier", "system", system,
			 "value", id, "display", display, "requestor", requestor);
}

/* One ledger row as a FHIR R4 AuditEvent: an export (DICOM 110106) whose
 * lifecycle is a disclosure, from hcpd (source role) to the recipient
 * (destination role), about the subject by its pseudonymous id, with the
 * field names (never values) and the terms as entity details. */
static json_t *audit_event(PGresult *res, int i)
{
	static const struct {
		const char *type;
		int col;
	} terms[] = {
		{"purpose", DCOL_PURPOSE},
		{"terms_version", DCOL_TERMS_VERSION},
		{"legal_basis", DCOL_LEGAL_BASIS},
		{"recipient_country", DCOL_COUNTRY},
	};
	json_t *details = json_array(),
	       *fields = json_loads(PQgetvalue(res, i, DCOL_FIELDS), 0, NULL);
	const char *purpose = PQgetvalue(res, i, DCOL_PURPOSE);
	char id[40];
	json_t *f;
	size_t k;

	if (details == NULL || fields == NULL) {
		json_decref(details);
		json_decref(fields);
		return NULL;
	}
	json_array_foreach (fields, k, f) {
		json_array_append_new(details,
				      json_pack("{s:s, s:O}", "type", "field", "valueString", f));
	}
	json_decref(fields);
	for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]); t++)
		json_array_append_new(details,
				      json_pack("{s:s, s:s}", "type", terms[t].type, "valueString",
						PQgetvalue(res, i, terms[t].col)));
	snprintf(id, sizeof(id), "disclosure-%s", PQgetvalue(res, i, DCOL_ID));
	return json_pack(
		"{s:s, s:s, s:o, s:[o], s:s, s:s, s:s, s:[{s:[{s:s, s:s}], s:s}], s:[o, o],"
		" s:{s:{s:s}, s:[o]}, s:[{s:{s:s, s:{s:s, s:s}}, s:o, s:o, s:o}]}",
		"resourceType", "AuditEvent", "id", id, "type", coding(DCM, "110106", "Export"),
		"subtype", coding(HL7_CS "iso-21089-lifecycle", "disclose", "Disclose"), "action",
		"R", "recorded", PQgetvalue(res, i, DCOL_DISCLOSED_AT), "outcome", "0",
		"purposeOfEvent", "coding", "system", "urn:hcpd:purpose", "code", purpose, "text",
		purpose, "agent",
		agent("110153", "Source Role ID", "urn:hcpd:service", "hcpd", "hcpd", true),
		agent("110152", "Destination Role ID", "urn:hcpd:recipient",
		      PQgetvalue(res, i, DCOL_RECIPIENT), PQgetvalue(res, i, DCOL_DISPLAY_NAME),
		      false),
		"source", "observer", "display", "hcpd", "type",
		coding(HL7_CS "security-source-type", "4", "Application Server"), "entity", "what",
		"type", "Practitioner", "identifier", "system", "urn:hcpd:account", "value",
		PQgetvalue(res, i, DCOL_SUBJECT), "type",
		coding(HL7_CS "audit-entity-type", "1", "Person"), "lifecycle",
		coding(HL7_CS "dicom-audit-lifecycle", "11", "Disclosure"), "detail", details);
}

/* The page as {items, next_cursor} or as a FHIR searchset Bundle. */
static json_t *page_json(PGresult *res, const struct disclosure_filter *f, bool admin, bool fhir)
{
	int n = PQntuples(res) > f->limit ? f->limit : PQntuples(res);
	json_t *items = json_array(), *body;
	char next[24] = "", url[96];

	for (int i = 0; items != NULL && i < n; i++)
		if (json_array_append_new(items, fhir ? json_pack("{s:o, s:{s:s}}", "resource",
								  audit_event(res, i), "search",
								  "mode", "match")
						      : item_json(res, i, admin)) != 0) {
			json_decref(items);
			items = NULL;
		}
	if (PQntuples(res) > f->limit)
		snprintf(next, sizeof(next), "%s", PQgetvalue(res, n - 1, DCOL_ID));
	if (!fhir)
		return json_pack("{s:o, s:s?}", "items", items, "next_cursor",
				 next[0] != '\0' ? next : NULL);
	if (f->before > 0)
		snprintf(url, sizeof(url), "/v1/me/disclosures?format=fhir&limit=%d&cursor=%lld",
			 f->limit, f->before);
	else
		snprintf(url, sizeof(url), "/v1/me/disclosures?format=fhir&limit=%d", f->limit);
	body = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:o}", "resourceType", "Bundle", "type",
			 "searchset", "link", "relation", "self", "url", url, "entry", items);
	if (body != NULL && next[0] != '\0') {
		snprintf(url, sizeof(url), "/v1/me/disclosures?format=fhir&limit=%d&cursor=%s",
			 f->limit, next);
		json_array_append_new(json_object_get(body, "link"),
				      json_pack("{s:s, s:s}", "relation", "next", "url", url));
	}
	return body;
}

/* Reads a page for f (one row more than asked, to know if more follow). */
static enum err page_read(struct req *r, struct disclosure_filter *f, PGresult **ret_res)
{
	struct disclosure_filter more = *f;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	more.limit = f->limit + 1;
	if (err == ERR_OK) {
		err = db_disclosures_list(conn, &more, ret_res);
		db_release(r->app->db, conn);
	}
	return err;
}

enum MHD_Result h_me_disclosures(struct req *r)
{
	const char *format = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
	struct disclosure_filter f = {.subject = r->auth.sub};
	bool fhir = format != NULL && strcmp(format, "fhir") == 0;
	PGresult *res = NULL;
	json_t *body;
	enum err err;

	if (!page_args(r, &f) || (format != NULL && !fhir && strcmp(format, "json") != 0))
		return problem_send(r, 400, "bad-request",
				    "limit must be 1 to 100, cursor a next_cursor from an earlier "
				    "page, format json or fhir");
	err = page_read(r, &f, &res);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	body = page_json(res, &f, false, fhir);
	PQclear(res);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, body, fhir ? "application/fhir+json" : NULL);
}

/* The breach-notification export's bounds: rows read per query, and at
 * most this many in one reply (narrow from/to beyond it). */
#define EXPORT_CHUNK    1000
#define EXPORT_ROWS_MAX 100000

/* One CSV cell (RFC 4180): quoted, quotes doubled; a leading = + - @ is
 * prefixed with ' so a spreadsheet does not run it as a formula. */
static void csv_cell(FILE *f, const char *s, bool last)
{
	fputc('"', f);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputs(last ? "\"\r\n" : "\",", f);
}

/* Appends res's rows (at most n) to f as CSV or NDJSON lines. */
static enum err export_rows(FILE *f, PGresult *res, int n, bool csv)
{
	static const int cols[] = {DCOL_ID,        DCOL_DISCLOSED_AT,  DCOL_SUBJECT,
				   DCOL_RECIPIENT, DCOL_DISPLAY_NAME,  DCOL_FIELDS,
				   DCOL_PURPOSE,   DCOL_TERMS_VERSION, DCOL_LEGAL_BASIS,
				   DCOL_COUNTRY,   DCOL_JOB_ID};
	const size_t ncols = sizeof(cols) / sizeof(cols[0]);

	for (int i = 0; i < n; i++) {
		json_t *item = csv ? NULL : item_json(res, i, true);
		char *line = item != NULL ? json_dumps(item, JSON_COMPACT) : NULL;

		json_decref(item);
		if (!csv && line == NULL)
			return ERR_NOMEM;
		if (!csv)
			fprintf(f, "%s\n", line);
		free(line);
		for (size_t c = 0; csv && c < ncols; c++)
			csv_cell(f, PQgetvalue(res, i, cols[c]), c + 1 == ncols);
	}
	return ERR_OK;
}

/* Every row matching f, newest first, into *ret_text as CSV (with a header
 * line) or NDJSON. ERR_TOO_BIG past EXPORT_ROWS_MAX rows. */
static enum err export_all(struct req *r, struct disclosure_filter *f, bool csv, char **ret_text,
			   size_t *ret_len)
{
	FILE *out = open_memstream(ret_text, ret_len);
	long long total = 0;
	int got = EXPORT_CHUNK;
	enum err err = out != NULL ? ERR_OK : ERR_NOMEM;

	if (err == ERR_OK && csv)
		fputs("id,disclosed_at,subject,recipient,recipient_display_name,fields,purpose,"
		      "terms_version,legal_basis,recipient_country,job_id\r\n",
		      out);
	f->limit = EXPORT_CHUNK;
	f->before = 0;
	while (err == ERR_OK && got == EXPORT_CHUNK) {
		PGresult *res = NULL;

		err = page_read(r, f, &res);
		if (err != ERR_OK)
			break;
		got = PQntuples(res) > EXPORT_CHUNK ? EXPORT_CHUNK : PQntuples(res);
		total += got;
		if (total > EXPORT_ROWS_MAX)
			err = ERR_TOO_BIG;
		else
			err = export_rows(out, res, got, csv);
		if (got > 0)
			f->before = strtoll(PQgetvalue(res, got - 1, DCOL_ID), NULL, 10);
		got = PQntuples(res) > EXPORT_CHUNK ? EXPORT_CHUNK : 0;
		PQclear(res);
	}
	if (out != NULL && fclose(out) != 0 && err == ERR_OK)
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		free(*ret_text);
		*ret_text = NULL;
	}
	return err;
}

/* The export's reply: the whole range as text/csv or application/x-ndjson. */
static enum MHD_Result export_reply_text(struct req *r, struct disclosure_filter *f, bool csv)
{
	char *text = NULL;
	size_t len = 0;
	enum err err = export_all(r, f, csv, &text, &len);

	if (err == ERR_TOO_BIG)
		return problem_send(r, 422, "unprocessable",
				    "more than 100000 disclosures: narrow from and to");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_owned(r, 200, csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
				text, len);
}

/* from and to, when given, are validate_timestamp() forms, from before to. */
static bool range_ok(const struct disclosure_filter *f)
{
	long long from = 0, to = 0;

	return (f->from == NULL || validate_timestamp(f->from, &from)) &&
	       (f->to == NULL || validate_timestamp(f->to, &to)) &&
	       (f->from == NULL || f->to == NULL || from < to);
}

enum MHD_Result h_admin_disclosures_list(struct req *r)
{
	struct disclosure_filter f = {
		.recipient =
			MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "recipient"),
		.subject = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "subject"),
		.from = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "from"),
		.to = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "to"),
	};
	const char *format = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
	bool csv = format != NULL && strcmp(format, "csv") == 0;
	bool ndjson = format != NULL && strcmp(format, "ndjson") == 0;
	PGresult *res = NULL;
	json_t *body, *details;
	PGconn *conn;
	enum err err;

	if (!page_args(r, &f) || (f.subject != NULL && !validate_uuid(f.subject)) ||
	    (f.recipient != NULL && (f.recipient[0] == '\0' || strlen(f.recipient) > 63)) ||
	    !range_ok(&f) || (format != NULL && !csv && !ndjson && strcmp(format, "json") != 0))
		return problem_send(
			r, 400, "bad-request",
			"limit must be 1 to 100, cursor a next_cursor from an earlier "
			"page, subject an account id, recipient a recipient's name, "
			"from and to YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (from before to), "
			"format json, csv or ndjson");
	/* an export is every row of the range: no page */
	err = csv || ndjson ? ERR_OK : page_read(r, &f, &res);
	/* who looked at which disclosures is itself on record */
	details = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "recipient", f.recipient, "subject",
			    f.subject, "from", f.from, "to", f.to, "format", format);
	if (err == ERR_OK && details == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK &&
	    (err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn)) == ERR_OK) {
		err = db_audit_append(conn,
				      &(struct audit_entry){
					      .actor = r->auth.sub,
					      .action = "disclosure.list",
					      .target = f.subject != NULL ? f.subject : f.recipient,
					      .request_id = r->id,
					      .details = details,
				      });
		db_release(r->app->db, conn);
	}
	json_decref(details);
	if (err != ERR_OK) {
		PQclear(res);
		return problem_from_err(r, err);
	}
	if (csv || ndjson)
		return export_reply_text(r, &f, csv);
	body = page_json(res, &f, true, false);
	PQclear(res);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, body, NULL);
}
