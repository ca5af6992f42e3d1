/*
 * h_audit.c - GET /v1/admin/audit: the append-only audit log, newest
 * first, cursor-paged, filtered by actor, action or target. Reading the
 * log is itself an admin action: each page read is appended to it
 * (action "audit.view") after the page is taken, so a page never shows
 * its own record.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "db.h"
#include "handlers.h"
#include "paging.h"
#include "problem.h"
#include "validate.h"
#include "vault.h"

#define AUDIT_FILTER_MAX 128 /* characters of an action or target filter */

/* 1 to max characters from set. */
static bool made_of(const char *s, const char *set, size_t max)
{
	size_t n = strspn(s, set);

	return n > 0 && n <= max && s[n] == '\0';
}

/* Checks the query string into q; a problem's detail otherwise. */
static const char *audit_query(struct req *r, struct audit_query *q)
{
	static const char *const names[] = {"actor", "action", "target", "cursor", "limit", NULL};
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
	static const char word[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789._:-";
	const char *v[5], *why = NULL;

	if (http_query(r, names, v, &why) != ERR_OK)
		return why;
	q->actor = v[0];
	q->action = v[1];
	q->target = v[2];
	if (v[0] != NULL && !validate_uuid(v[0]) && strcmp(v[0], AUDIT_ACTOR_SYSTEM) != 0)
		return "actor must be an admin's id or system";
	if (v[1] != NULL && !made_of(v[1], lower, AUDIT_FILTER_MAX))
		return "action must be an action name such as review.decide";
	if (v[2] != NULL && !made_of(v[2], word, AUDIT_FILTER_MAX))
		return "target must be an id or a name of at most 128 characters";
	return paging_query(v[3], v[4], &q->before_id, NULL, &q->limit);
}

/* One row; an admin's sealed reason rides along as "reason_enc" (hex)
 * for open_reasons(). */
static json_t *audit_item(PGresult *res, int row)
{
	json_t *details = json_loads(PQgetvalue(res, row, AC_DETAILS), 0, NULL);

	return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:s}", "id",
			 (json_int_t)strtoll(PQgetvalue(res, row, AC_ID), NULL, 10), "actor",
			 PQgetvalue(res, row, AC_ACTOR), "action", PQgetvalue(res, row, AC_ACTION),
			 "target", db_cell_text(res, row, AC_TARGET), "reason",
			 db_cell_text(res, row, AC_REASON), "reason_enc",
			 db_cell_text(res, row, AC_REASON_ENC), "request_id",
			 db_cell_text(res, row, AC_REQUEST_ID), "details",
			 details != NULL ? details : json_object(), "created_at",
			 PQgetvalue(res, row, AC_CREATED_AT));
}

/* Opens each item's sealed reason with its target account's data key
 * (outside any transaction: the keystore is read): the admin's words, or
 * null once that account is erased. */
static enum err open_reasons(struct app *app, PGconn *conn, json_t *items)
{
	unsigned char key[CRYPTO_KEY_LEN];
	json_t *item;
	size_t i;
	enum err err = ERR_OK;

	json_array_foreach (items, i, item) {
		const char *hex = json_string_value(json_object_get(item, "reason_enc"));
		const char *target = json_string_value(json_object_get(item, "target"));
		char *text = NULL;

		if (hex != NULL && target != NULL && validate_uuid(target)) {
			err = vault_account_key_by_id(app, conn, target, key);
			if (err == ERR_OK)
				vault_open_hex(key, target, "audit_reason", hex, &text);
			explicit_bzero(key, sizeof(key));
			if (err == ERR_NOT_FOUND) /* erased: the reason went with it */
				err = ERR_OK;
			if (err != ERR_OK)
				break;
			if (json_object_set_new(item, "reason",
						text != NULL ? json_string(text) : json_null()) !=
			    0)
				err = ERR_NOMEM;
			vault_wipe_free(text);
		}
		json_object_del(item, "reason_enc");
	}
	return err;
}

enum MHD_Result h_admin_audit(struct req *r)
{
	struct audit_query q = {0};
	const char *why = audit_query(r, &q);
	json_t *body, *filters = NULL;
	PGresult *res = NULL;
	PGconn *conn;
	enum err err;

	if (why != NULL)
		return problem_send(r, 400, "bad-request", why);
	q.limit++; /* one more than shown: is there a next page? */
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_audit_list(conn, &q, &res);
	if (err == ERR_OK &&
	    (filters = json_pack("{s:s?, s:s?, s:s?, s:I}", "actor", q.actor, "action", q.action,
				 "target", q.target, "before_id", (json_int_t)q.before_id)) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = r->auth.sub,
						    .action = "audit.view",
						    .request_id = r->id,
						    .details = filters,
					    });
	json_decref(filters);
	body = err == ERR_OK ? paging_reply(res, q.limit - 1, audit_item, AC_ID, -1) : NULL;
	PQclear(res);
	if (err == ERR_OK && body == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = open_reasons(r->app, conn, json_object_get(body, "items"));
	db_release(r->app->db, conn);
	if (err != ERR_OK) {
		json_decref(body);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, body, NULL);
}
