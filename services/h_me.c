/*
 * h_me.c - GET /v1/me (the caller's own account, personal fields opened
 * with the account's data key, and its locale) and PATCH /v1/me/password.
 * Only ever the token's subject: there is no way to name another account
 * here.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "catalogue.h"
#include "db.h"
#include "handlers.h"
#include "i18n.h"
#include "jsonbody.h"
#include "password.h"
#include "problem.h"
#include "pwjob.h"
#include "sessions.h"
#include "vault.h"

enum MHD_Result h_me_get(struct req *r)
{
	struct account_row row = {0};
	json_t *body = NULL, *verifications = NULL;
	char *summary = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_account_get_me(conn, r->auth.sub, &row, &summary);
		db_release(r->app->db, conn);
	}
	if (err == ERR_OK) {
		verifications = json_loads(summary, 0, NULL);
		body = json_pack("{s:s, s:s, s:b, s:o, s:s, s:b}", "id", r->auth.sub, "status",
				 row.status, "email_verified", row.email_verified, "verifications",
				 verifications, "locale",
				 row.locale[0] != '\0' ? row.locale : I18N_DEFAULT,
				 "notice_acceptance_required", /* as the token says it */
				 strcmp(r->auth.role, "professional") == 0 &&
					 strcmp(row.notice_version,
						catalogue_notice_version(r->app->catalogue)) != 0);
		err = body != NULL ? vault_open_account(r->app, &row.sealed, body) : ERR_NOMEM;
	}
	free(summary);
	account_row_release(&row);
	if (err != ERR_OK) {
		json_decref(body);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, body, NULL);
}

/* A password change across its suspension: a struct pwjob that checks
 * the current password, then hashes the new one. */
static void pwchange_free(void *p)
{
	pwjob_release(p);
	free(p);
}

/* Checks the body and the new password's policy against the account's own
 * email and names; asks pw to check the current password and hash the new
 * one. Problems go to errors. */
static enum err pwchange_check(struct req *r, struct pwjob *pw, json_t *errors)
{
	static const char *const keys[] = {"current_password", "new_password", NULL};
	struct account_row row = {0};
	json_t *own = json_object(), *e;
	const char *current = json_string_value(json_object_get(r->json, keys[0]));
	const char *next = json_string_value(json_object_get(r->json, keys[1]));
	unsigned char bidx[32];
	PGconn *conn;
	size_t i;
	enum err err = json_body_check_keys(r->json, keys, errors);

	if (json_body_require_strings(r->json, keys, errors) != ERR_OK)
		err = ERR_NOMEM;
	if (own == NULL || err != ERR_OK || json_array_size(errors) > 0) {
		json_decref(own);
		return own == NULL ? ERR_NOMEM : err;
	}
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_account_get(conn, r->auth.sub, &row);
		db_release(r->app->db, conn);
	}
	if (err == ERR_OK)
		err = vault_open_account(r->app, &row.sealed, own);
	if (err == ERR_OK) {
		err = password_check_profile(next, json_string_value(json_object_get(own, "email")),
					     json_object_get(own, "profile"), errors);
		/* password_check names the field "password": here it is new_password */
		json_array_foreach (errors, i, e) {
			if (err == ERR_OK &&
			    json_object_set_new(e, "field", json_string(keys[1])) != 0)
				err = ERR_NOMEM;
		}
	}
	/* a change to the same password changes nothing (and says nothing of
	 * whether it is right: both values are the caller's own) */
	if (err == ERR_OK && strcmp(current, next) == 0)
		err = json_error_add(errors, keys[1], "same_as_current",
				     "choose a new password other than the current one");
	/* a stolen token must not make guessing the password cheap: the
	 * sign-in throttle of the account's email counts this check too */
	if (err == ERR_OK && json_array_size(errors) == 0) {
		vault_email_index(r->app, json_string_value(json_object_get(own, "email")), bidx);
		err = pwjob_check(pw, current, row.password_hash, bidx);
	}
	if (err == ERR_OK && json_array_size(errors) == 0)
		err = pwjob_hash(pw, next);
	account_row_release(&row);
	json_decref(own);
	return err;
}

enum MHD_Result h_me_password(struct req *r)
{
	struct pwjob *pw = r->state;
	enum MHD_Result reply;
	json_t *errors;
	PGconn *conn;
	enum err err;

	if (pw != NULL) { /* resumed: both hashes are done */
		if (!pwjob_reauth_done(r, pw, "current_password", &reply))
			return reply;
		err = pw->hashed;
		if (err == ERR_OK)
			err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err == ERR_OK) {
			err = db_password_change(conn, r->auth.sub, pw->hash, r->auth.sid);
			db_release(r->app->db, conn);
		}
		if (err != ERR_OK)
			return problem_from_err(r, err);
		return http_reply_static(r, 204, NULL, "", 0);
	}
	pw = pwjob_state(r, sizeof(*pw), pwchange_free);
	errors = json_array();
	if (pw == NULL || errors == NULL) {
		json_decref(errors);
		return problem_from_err(r, ERR_NOMEM);
	}
	err = pwchange_check(r, pw, errors);
	if (problem_check_failed(r, err, errors, &reply))
		return reply;
	return pwjob_start(r, pw);
}
