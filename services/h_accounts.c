/*
 * h_accounts.c - the admin console's accounts: the search
 * (GET /v1/admin/accounts) and the account view (GET
 * /v1/admin/accounts/{id}). Actions on an account are h_account_actions.c's.
 *
 * A search by a personal field is an exact match of its blind index
 * (search.h, vault_email_index()): the value asked for is hashed, never
 * stored or logged. The list holds no personal field unless asked for
 * (fields=name,email), and every search is audited ("account.search")
 * with what it was asked by - the names of the personal parameters and
 * the values of the others - which fields it returned and the ids it
 * found. The searched personal value itself is not in the audit row: the
 * ids found say whose data was seen, and a value kept there (even sealed:
 * under which account's key?) would outlive the erasure of the person it
 * names, or name someone who has no account at all. Every view of an
 * account is audited ("account.view") in the transaction that read it.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts_search.h"
#include "accountview.h"
#include "app.h"
#include "audit.h"
#include "catalogue.h"
#include "consents.h"
#include "db.h"
#include "handlers.h"
#include "paging.h"
#include "problem.h"
#include "review.h"
#include "reviews.h"
#include "search.h"
#include "validate.h"
#include "vault.h"

#define FIXED_PARAMS 10 /* the query parameters that are not catalogue fields */

/* A search being read and run. */
struct search {
	struct account_query q;
	struct field_indexes idx;
	unsigned char email_bidx[32];
	char after_id[UUID_STR_LEN];
	bool want_name, want_email;
	json_t *asked;   /* names of the personal parameters given */
	json_t *filters; /* the other parameters and their values */
};

static bool reason_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_:") == n;
}

/* fields=name,email in any order, each once. */
static bool fields_ok(const char *v, struct search *s)
{
	const char *p = v;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		bool *want = len == 4 && strncmp(p, "name", 4) == 0    ? &s->want_name
			     : len == 5 && strncmp(p, "email", 5) == 0 ? &s->want_email
								       : NULL;

		if (want == NULL || *want)
			return false;
		*want = true;
		p += len;
		if (*p == ',' && *++p == '\0')
			return false;
	}
	return s->want_name || s->want_email;
}

/* The non-personal filters, checked and recorded. */
static const char *check_filters(struct req *r, const char **v, struct search *s)
{
	enum account_status st;

	s->q.status = v[1];
	s->q.country = v[2];
	s->q.profession = v[3];
	s->q.reason = v[4];
	s->q.created_after = v[5];
	s->q.created_before = v[6];
	if (v[1] != NULL && !status_parse(v[1], &st))
		return "status must be one of pending_verification, verified, flagged, "
		       "approved, rejected, suspended";
	if (v[2] != NULL && !validate_country(v[2]))
		return "country must be an ISO 3166-1 alpha-2 code such as US";
	if (v[3] != NULL && !catalogue_profession_known(r->app->catalogue, v[3]))
		return "profession must be one of the catalogue's professions";
	if (v[4] != NULL && !reason_ok(v[4]))
		return "reason must be a status reason code such as duplicate_identifier";
	if ((v[5] != NULL && !validate_date(v[5])) || (v[6] != NULL && !validate_date(v[6])))
		return "created_after and created_before must be dates (YYYY-MM-DD, UTC)";
	if (v[7] != NULL && !fields_ok(v[7], s))
		return "fields must be name, email or name,email";
	s->filters = json_pack("{s:s*, s:s*, s:s*, s:s*, s:s*, s:s*}", "status", v[1], "country",
			       v[2], "profession", v[3], "reason", v[4], "created_after", v[5],
			       "created_before", v[6]);
	return NULL;
}

/* Reads the query into s; a problem's detail when it is wrong. */
static const char *search_query(struct req *r, struct search *s)
{
	static const char *const fixed[FIXED_PARAMS] = {
		"email",         "status",         "country", "profession", "reason",
		"created_after", "created_before", "fields",  "cursor",     "limit"};
	const struct app *app = r->app;
	const char *names[FIXED_PARAMS + SEARCH_FIELDS_MAX + 1],
		*v[FIXED_PARAMS + SEARCH_FIELDS_MAX];
	const char *why = NULL;
	size_t n = FIXED_PARAMS;

	memcpy(names, fixed, sizeof(fixed));
	for (size_t i = 0; i < app->nsearch_keys; i++)
		names[n++] = app->search_keys[i].field;
	names[n] = NULL;
	if (http_query(r, names, v, &why) != ERR_OK)
		return why;
	if ((s->asked = json_array()) == NULL)
		return NULL; /* out of memory: the caller sees no asked */
	if (v[0] != NULL) {
		if (strlen(v[0]) > 254)
			return "email is too long to be an address";
		vault_email_index(app, v[0], s->email_bidx);
		s->q.email_bidx = s->email_bidx;
		json_array_append_new(s->asked, json_string("email"));
	}
	for (size_t i = FIXED_PARAMS; i < n; i++) {
		struct field_index *e = &s->idx.e[s->idx.n];

		if (v[i] == NULL)
			continue;
		if (!search_index_of(app, names[i], v[i], e->bidx))
			return "a searched field has nothing to search for once normalised";
		e->field = names[i];
		s->idx.n++;
		json_array_append_new(s->asked, json_string(names[i]));
	}
	s->q.idx = &s->idx;
	why = check_filters(r, v, s);
	if (why == NULL)
		why = paging_query(v[8], v[9], &s->q.after_us, s->after_id, &s->q.limit);
	s->q.after = v[8] != NULL;
	s->q.after_id = s->after_id;
	s->q.sealed = s->want_name || s->want_email;
	return why;
}

/* Adds the personal fields asked for to item, opened with the account's
 * key (outside any transaction: the keystore is another database). */
static enum err add_fields(struct req *r, const struct search *s, PGresult *res, int row,
			   json_t *item)
{
	struct sealed_account sealed = {0};
	char *email = NULL;
	json_t *profile = NULL;
	enum err err = db_sealed_read(res, row, AQ_SEALED, &sealed);

	if (err == ERR_OK)
		err = vault_open_profile(r->app, &sealed, NULL, s->want_email ? &email : NULL,
					 s->want_name ? &profile : NULL);
	if (err == ERR_OK && s->want_email &&
	    json_object_set_new(item, "email", json_string(email)) != 0)
		err = ERR_NOMEM;
	if (err == ERR_OK && s->want_name &&
	    (json_object_set(item, "given_name", json_object_get(profile, "given_name")) != 0 ||
	     json_object_set(item, "family_name", json_object_get(profile, "family_name")) != 0))
		err = ERR_NOMEM;
	vault_wipe_free(email);
	json_decref(profile);
	sealed_account_release(&sealed);
	return err;
}

static json_t *search_item(PGresult *res, int row)
{
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:b, s:s}", "id",
			 PQgetvalue(res, row, AQ_ID), "status", PQgetvalue(res, row, AQ_STATUS),
			 "status_reason", db_cell_text(res, row, AQ_REASON), "country",
			 db_cell_text(res, row, AQ_COUNTRY), "profession",
			 db_cell_text(res, row, AQ_PROFESSION), "email_verified",
			 PQgetvalue(res, row, AQ_EMAIL_VERIFIED)[0] == 't', "created_at",
			 PQgetvalue(res, row, AQ_CREATED_AT));
}

/* The page, personal fields added where asked, and the audit details. */
static enum err search_page(struct req *r, struct search *s, PGresult *res, json_t **ret_body,
			    json_t **ret_details)
{
	json_t *body = paging_reply(res, s->q.limit - 1, search_item, AQ_CREATED_US, AQ_ID);
	json_t *items = json_object_get(body, "items"), *ids = json_array(), *item;
	json_t *fields = json_array();
	enum err err = body != NULL && ids != NULL && fields != NULL ? ERR_OK : ERR_NOMEM;
	size_t i;

	json_array_foreach (items, i, item) {
		if (err == ERR_OK && s->q.sealed)
			err = add_fields(r, s, res, (int)i, item);
		if (err == ERR_OK && json_array_append(ids, json_object_get(item, "id")) != 0)
			err = ERR_NOMEM;
	}
	if (s->want_name)
		json_array_append_new(fields, json_string("name"));
	if (s->want_email)
		json_array_append_new(fields, json_string("email"));
	if (err == ERR_OK &&
	    (*ret_details = json_pack("{s:O, s:O, s:O, s:O}", "searched_by", s->asked, "filters",
				      s->filters, "fields", fields, "found", ids)) == NULL)
		err = ERR_NOMEM;
	json_decref(ids);
	json_decref(fields);
	if (err != ERR_OK) {
		json_decref(body);
		return err;
	}
	*ret_body = body;
	return ERR_OK;
}

enum MHD_Result h_accounts_search(struct req *r)
{
	struct search s = {0};
	const char *why = search_query(r, &s);
	json_t *body = NULL, *details = NULL;
	PGresult *res = NULL;
	PGconn *conn;
	enum err err = s.asked != NULL ? ERR_OK : ERR_NOMEM;

	if (why != NULL || err != ERR_OK || s.filters == NULL) {
		json_decref(s.asked);
		json_decref(s.filters);
		explicit_bzero(&s, sizeof(s));
		return why != NULL ? problem_send(r, 400, "bad-request", why)
				   : problem_from_err(r, ERR_NOMEM);
	}
	s.q.limit++; /* one more than shown: is there a next page? */
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_account_search(conn, &s.q, &res);
		if (err == ERR_OK)
			err = search_page(r, &s, res, &body, &details);
		/* the page goes out only with its record */
		if (err == ERR_OK)
			err = db_audit_append(conn, &(struct audit_entry){
							    .actor = r->auth.sub,
							    .action = "account.search",
							    .request_id = r->id,
							    .details = details,
						    });
		db_release(r->app->db, conn);
	}
	PQclear(res);
	json_decref(details);
	json_decref(s.asked);
	json_decref(s.filters);
	explicit_bzero(&s, sizeof(s));
	if (err != ERR_OK) {
		json_decref(body);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, body, NULL);
}

/* An opened note (sealed hex), or null: erased, or none. */
static json_t *opened(const unsigned char *key, const char *id, const char *what, const char *hex)
{
	char *text = NULL;
	json_t *v;

	if (key == NULL || hex == NULL || vault_open_hex(key, id, what, hex, &text) != ERR_OK)
		return json_null();
	v = json_string(text);
	vault_wipe_free(text);
	return v != NULL ? v : json_null();
}

/* The status history with each admin's note opened in place of its
 * sealed form. */
static json_t *history_json(const unsigned char *key, const char *id, const char *text)
{
	json_t *list = json_loads(text, 0, NULL), *h;
	size_t i;

	json_array_foreach (list, i, h) {
		json_object_set_new(h, "note",
				    opened(key, id, "audit_reason",
					   json_string_value(json_object_get(h, "note_enc"))));
		json_object_del(h, "note_enc");
	}
	return list;
}

enum err account_view_build(struct req *r, PGconn *conn, const unsigned char *key,
			    struct review_rows *rows, json_t **ret_body,
			    char ret_etag[REVIEW_ETAG_LEN])
{
	struct account_extras x = {0};
	json_t *body = NULL, *history = NULL, *consents = NULL, *waiting;
	enum err err = db_account_load(conn, r->param, true, rows);

	if (err == ERR_OK)
		err = db_account_extras(conn, r->param, &x);
	if (err == ERR_OK && strcmp(x.role, "professional") != 0)
		err = ERR_NOT_FOUND; /* staff are managed at /v1/admin/admins */
	if (err == ERR_OK)
		err = db_consent_history(conn, r->param, &history);
	if (err == ERR_OK)
		err = review_build(key, rows, r->app->verifiers, &body, ret_etag);
	if (err == ERR_OK) {
		consents = catalogue_consents_current(r->app->catalogue, history);
		/* the review item's parts (documents included) and the view's own */
		if (json_object_update_new(
			    body,
			    json_pack("{s:s?, s:s?, s:{s:b, s:s?, s:o}, s:o, s:o, s:o, s:o?}",
				      "status_reason", x.status_reason, "erased_at", x.erased_at,
				      "legal_hold", "held", x.legal_hold_at != NULL, "since",
				      x.legal_hold_at, "reason",
				      opened(key, r->param, "legal_hold_reason",
					     x.legal_hold_reason_enc),
				      "status_history", history_json(key, r->param, x.history),
				      "sessions", json_loads(x.sessions, 0, NULL), "consents",
				      consents != NULL ? consents : json_object(),
				      "consent_history", history)) != 0)
			err = ERR_NOMEM;
		history = NULL;
	}
	/* the ETag covers everything but the time waited, which runs by itself */
	waiting = json_incref(json_object_get(body, "waiting_seconds"));
	json_object_del(body, "waiting_seconds");
	if (err == ERR_OK)
		err = review_etag_of(body, ret_etag);
	if (err == ERR_OK && waiting != NULL && json_object_set(body, "waiting_seconds", waiting))
		err = ERR_NOMEM;
	json_decref(waiting);
	json_decref(history);
	account_extras_release(&x);
	if (err != ERR_OK) {
		json_decref(body);
		return err;
	}
	*ret_body = body;
	return ERR_OK;
}

enum MHD_Result h_account_get(struct req *r)
{
	static const char *const none[] = {NULL};
	struct review_rows rows = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	char etag[REVIEW_ETAG_LEN];
	json_t *body = NULL, *details = NULL;
	const char *why;
	PGconn *conn;
	enum err err;

	if (http_query(r, none, NULL, &why) != ERR_OK)
		return problem_send(r, 400, "bad-request", why);
	if (!validate_uuid(r->param))
		return problem_send(r, 404, "not-found", "no such account");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* the key before the transaction: the keystore is never read in one */
	err = vault_account_key_by_id(r->app, conn, r->param, key);
	bool have_key = err == ERR_OK;

	if (err == ERR_NOT_FOUND) /* erased (or none: the view says) */
		err = ERR_OK;
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = db_command(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
	if (err == ERR_OK)
		err = account_view_build(r, conn, have_key ? key : NULL, &rows, &body, etag);
	if (err == ERR_OK && (details = json_pack("{s:s}", "etag", etag)) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = r->auth.sub,
						    .action = "account.view",
						    .target = r->param,
						    .request_id = r->id,
						    .details = details,
					    });
	err = db_end(conn, err);
	db_release(r->app->db, conn);
	explicit_bzero(key, sizeof(key));
	review_rows_release(&rows);
	json_decref(details);
	if (err != ERR_OK) {
		json_decref(body);
		return err == ERR_NOT_FOUND ? problem_send(r, 404, "not-found", "no such account")
					    : problem_from_err(r, err);
	}
	http_add_header(r, "ETag", "%s", etag);
	return http_reply_json(r, 200, body, NULL);
}
