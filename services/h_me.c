/*
 * h_me.c - GET /v1/me (the caller's own account, personal fields opened
 * with the account's data key) and PATCH /v1/me/password. Only ever the
 * token's subject: there is no way to name another account here.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "password.h"
#include "problem.h"
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
		body = json_pack("{s:s, s:s, s:b, s:o}", "id", r->auth.sub, "status", row.status,
				 "email_verified", row.email_verified, "verifications",
				 verifications);
		err = body != NULL ? vault_open_account(r->app, r->auth.sub, &row, body)
				   : ERR_NOMEM;
	}
	free(summary);
	account_row_release(&row);
	if (err != ERR_OK) {
		json_decref(body);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, body, NULL);
}

/* A password change across its suspension. */
struct pwchange {
	struct req *r;
	char *current, *next;
	char stored[192];
	enum err verified;      /* of the current password */
	unsigned char bidx[32]; /* the account's email index: the sign-in throttle's */
	char hash[PASSWORD_ENCODED_MAX];
	enum err hash_err;
};

static void wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void pwchange_free(void *p)
{
	struct pwchange *pc = p;

	if (pc == NULL)
		return;
	wipe_free(pc->current);
	wipe_free(pc->next);
	explicit_bzero(pc, sizeof(*pc));
	free(pc);
}

static void pwchange_task(void *arg)
{
	struct pwchange *pc = arg;
	const struct config *cfg = &pc->r->app->cfg;

	pc->verified = password_verify(pc->stored, pc->current);
	if (pc->verified == ERR_OK)
		pc->hash_err = password_hash(pc->next, cfg->argon2_memory_kib,
					     cfg->argon2_iterations, pc->hash);
	http_resume(pc->r);
}

/* Checks the body and the new password's policy against the account's own
 * email and names; fills pc->stored. Problems go to errors. */
static enum err pwchange_check(struct req *r, struct pwchange *pc, json_t *errors)
{
	static const char *const keys[] = {"current_password", "new_password", NULL};
	struct account_row row = {0};
	json_t *own = json_object(), *profile, *e;
	const char *names[4] = {NULL};
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
		err = vault_open_account(r->app, r->auth.sub, &row, own);
	if (err == ERR_OK) {
		snprintf(pc->stored, sizeof(pc->stored), "%s", row.password_hash);
		vault_email_index(r->app, json_string_value(json_object_get(own, "email")),
				  pc->bidx);
		profile = json_object_get(own, "profile");
		names[0] = json_string_value(json_object_get(profile, "given_name"));
		names[1] = names[0] ? json_string_value(json_object_get(profile, "family_name"))
				    : NULL;
		names[2] = names[1] ? json_string_value(json_object_get(profile, "middle_name"))
				    : NULL;
		err = password_check(json_string_value(json_object_get(r->json, keys[1])),
				     json_string_value(json_object_get(own, "email")), names,
				     errors);
		/* password_check names the field "password": here it is new_password */
		json_array_foreach (errors, i, e) {
			if (err == ERR_OK &&
			    json_object_set_new(e, "field", json_string(keys[1])) != 0)
				err = ERR_NOMEM;
		}
	}
	/* a change to the same password changes nothing (and says nothing of
	 * whether it is right: both values are the caller's own) */
	if (err == ERR_OK && strcmp(json_string_value(json_object_get(r->json, keys[0])),
				    json_string_value(json_object_get(r->json, keys[1]))) == 0)
		err = json_error_add(errors, keys[1], "same_as_current",
				     "choose a new password other than the current one");
	account_row_release(&row);
	json_decref(own);
	return err;
}

enum MHD_Result h_me_password(struct req *r)
{
	struct pwchange *pc = r->state;
	json_t *errors;
	PGconn *conn;
	int locked = 0;
	enum err err;

	if (pc != NULL) {                     /* resumed: both hashes are done */
		if (pc->verified != ERR_OK) { /* counted as a failure before the hash */
			errors = json_array();
			json_error_add(errors, "current_password", "incorrect",
				       "the current password is not correct");
			return problem_send_errors(r, errors);
		}
		err = pc->hash_err;
		if (err == ERR_OK)
			err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err == ERR_OK) {
			err = db_throttle_reset(conn, pc->bidx);
			if (err == ERR_OK)
				err = db_password_change(conn, r->auth.sub, pc->hash, r->auth.sid);
			db_release(r->app->db, conn);
		}
		if (err != ERR_OK)
			return problem_from_err(r, err);
		return http_reply_static(r, 204, NULL, "", 0);
	}
	pc = calloc(1, sizeof(*pc));
	errors = json_array();
	if (pc == NULL || errors == NULL) {
		free(pc);
		json_decref(errors);
		return problem_from_err(r, ERR_NOMEM);
	}
	pc->r = r;
	r->state = pc;
	r->state_free = pwchange_free;
	err = pwchange_check(r, pc, errors);
	if (err != ERR_OK) {
		json_decref(errors);
		return problem_from_err(r, err);
	}
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	/* a stolen token must not make guessing the password cheap: the
	 * sign-in throttle counts this attempt too */
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_throttle_begin(conn, pc->bidx, &locked);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if (locked > 0)
		return problem_throttled(r, locked);
	pc->current = strdup(json_string_value(json_object_get(r->json, "current_password")));
	pc->next = strdup(json_string_value(json_object_get(r->json, "new_password")));
	if (pc->current == NULL || pc->next == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_park(r, r->app->hashpool, pwchange_task, pc);
}
