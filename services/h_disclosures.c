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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "audit.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "ledger.h"
#include "problem.h"
#include "recipients.h"
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
		problem_add_error(errors, key, "required", "is required");
		return;
	}
	if (!json_is_array(list) || json_array_size(list) == 0) {
		problem_add_error(errors, key, "type", "must be a non-empty array of strings");
		return;
	}
	if (json_array_size(list) > max) {
		snprintf(msg, sizeof(msg), "must hold at most %zu items", max);
		problem_add_error(errors, key, "too_long", msg);
		return;
	}
	json_array_foreach (list, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL) {
			problem_add_error(errors, key, "type", "must be an array of strings");
			return;
		}
		if (ok != NULL && !ok(ctx, s)) {
			snprintf(msg, sizeof(msg), "item %zu is not valid here", i);
			problem_add_error(errors, key, "invalid", msg);
			return;
		}
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(json_string_value(json_array_get(list, j)), s) == 0) {
				snprintf(msg, sizeof(msg), "item %zu repeats item %zu", i, j);
				problem_add_error(errors, key, "duplicate", msg);
				return;
			}
	}
}

static bool field_ok(const void *cat, const char *s)
{
	return ledger_field_known(cat, s);
}

static bool uuid_ok(const void *ctx, const char *s)
{
	(void)ctx;
	return ledger_is_uuid(s);
}

/* Opens the requested fields of one account (absent fields are null). */
static enum err open_values(struct app *app, PGconn *conn, const char *id, json_t *fields,
			    json_t **ret_values)
{
	struct account_row row = {0};
	json_t *all = json_object(), *values = json_object(), *f;
	enum err err = all != NULL && values != NULL ? ERR_OK : ERR_NOMEM;
	size_t i;

	if (err == ERR_OK)
		err = db_account_get(conn, id, &row);
	if (err == ERR_OK)
		err = vault_open_account(app, id, &row, all);
	account_row_release(&row);
	json_array_foreach (fields, i, f) {
		const char *name = json_string_value(f);
		json_t *v = strcmp(name, "email") == 0
				    ? json_object_get(all, "email")
				    : json_object_get(json_object_get(all, "profile"), name);

		if (err == ERR_OK)
			json_object_set_new(values, name, v != NULL ? json_copy(v) : json_null());
	}
	json_decref(all);
	if (err != ERR_OK) {
		json_decref(values);
		return err;
	}
	*ret_values = values;
	return ERR_OK;
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
	enum err err = db_command(conn, "BEGIN");

	for (size_t i = 0; i < n && err == ERR_OK; i++) {
		struct disclosure_req d = {
			.subject = items[i].account,
			.recipient = recipient,
			.purpose = purpose,
			.fields = fields,
			.nfields = nfields,
			.actor = r->auth.sub,
			.request_id = r->id,
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
	if (err == ERR_OK)
		err = db_command(conn, "COMMIT");
	if (err != ERR_OK)
		db_command(conn, "ROLLBACK");
	return err;
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
		problem_add_error(errors, "recipient", "invalid",
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
		err = open_values(r->app, conn, items[i].account, fields_json, &items[i].values);
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
