/*
 * h_password_reset.c - password recovery: POST /v1/password-resets asks
 * for a reset link by address, POST /v1/password-resets/confirm sets a
 * new password with the link's token.
 *
 * The request answers one empty 202 after the same work whether or not
 * the address has an account (linkreq.h); the mail's token is minted when
 * it is sent, lives 30 minutes and dies when a newer one is sent. The
 * confirmation opens the account's email and names before any
 * transaction (the policy's own words), hashes on the pool, then in one
 * transaction uses the token, sets the hash, confirms the address (the
 * link proved the inbox), revokes every session, queues the "password
 * changed" notice and forgets the sign-in throttle's failures.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "db.h"
#include "deliveries.h"
#include "handlers.h"
#include "lifecycle.h"
#include "linkreq.h"
#include "mailer.h"
#include "outbox.h"
#include "problem.h"
#include "pwjob.h"
#include "sessions.h"
#include "vault.h"
#include "verdict.h"

/* Reset mails to one account: one a minute, five a day. */
static const struct notice_cap reset_cap = {.per_day = 5, .min_gap_seconds = 60};

static const char *const reset_purpose[] = {TOKEN_PASSWORD_RESET, NULL};

enum MHD_Result h_password_reset_request(struct req *r)
{
	return linkreq_mail_by_email(r, OUTBOX_PASSWORD_RESET, &reset_cap);
}

/* A recovery across its suspension. */
struct recovery {
	struct pwjob pw; /* hashes the new password */
	struct token_use token;
	unsigned char token_hash[32];
	unsigned char email_bidx[32]; /* the throttle whose failures are forgotten */
};

static void recovery_free(void *p)
{
	struct recovery *rec = p;

	if (rec == NULL)
		return;
	pwjob_release(&rec->pw);
	explicit_bzero(rec, sizeof(*rec));
	free(rec);
}

/* What the link recovers, in one transaction. ERR_NOT_FOUND when the
 * token stopped working meanwhile (used, superseded, expired). */
static enum err recover(struct req *r, const struct recovery *rec)
{
	const char *id = rec->token.account_id;
	struct token_use used;
	bool newly = false;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err != ERR_OK)
		return err;
	err = db_begin(conn);
	if (err == ERR_OK)
		err = db_email_token_use(conn, rec->token_hash, reset_purpose, id, &used);
	if (err == ERR_OK)
		err = db_password_recovered(conn, id, rec->pw.hash, &newly);
	if (err == ERR_OK)
		err = db_sessions_revoke_all(conn, id, "password_reset");
	if (err == ERR_OK)
		err = mailer_notice_queue(conn, id, OUTBOX_PASSWORD_CHANGED);
	if (err == ERR_OK)
		err = db_throttle_forget(conn, rec->email_bidx);
	if (err == ERR_OK && newly)
		err = db_webhook_queue(conn, id, WEBHOOK_ACCOUNT_EMAIL_VERIFIED, NULL);
	if (err == ERR_OK && newly)
		err = verdict_email_confirmed_in(conn, id);
	err = db_end(conn, err);
	db_release(r->app->db, conn);
	return err;
}

/* Finds the account of a working token and checks the new password
 * against the policy with its email and names, opened before any
 * transaction. Problems go to errors. ERR_NOT_FOUND for a token that does
 * not work. */
static enum err recovery_check(struct req *r, struct recovery *rec, const char *password,
			       json_t *errors)
{
	struct account_row row = {0};
	json_t *profile = NULL;
	char *email = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err != ERR_OK)
		return err;
	err = db_email_token_peek(conn, rec->token_hash, reset_purpose, &rec->token);
	if (err == ERR_OK)
		err = db_account_get(conn, rec->token.account_id, &row);
	db_release(r->app->db, conn);
	if (err == ERR_OK)
		err = vault_open_profile(r->app, &row.sealed, NULL, &email, &profile);
	if (err == ERR_OK)
		err = password_check_profile(password, email, profile, errors);
	if (err == ERR_OK)
		vault_email_index(r->app, email, rec->email_bidx);
	vault_wipe_free(email);
	json_decref(profile);
	account_row_release(&row);
	return err;
}

enum MHD_Result h_password_reset_confirm(struct req *r)
{
	static const char *const keys[] = {"token", "password", NULL};
	struct recovery *rec = r->state;
	json_t *errors;
	enum err err;

	if (rec != NULL) { /* resumed: the new password is hashed */
		err = rec->pw.hashed;
		if (err == ERR_OK)
			err = recover(r, rec);
		if (err == ERR_NOT_FOUND)
			return problem_invalid_token(r);
		if (err != ERR_OK)
			return problem_from_err(r, err);
		return http_reply_static(r, 204, NULL, "", 0);
	}
	rec = pwjob_state(r, sizeof(*rec), recovery_free);
	errors = json_array();
	if (rec == NULL || errors == NULL) {
		json_decref(errors);
		return problem_from_err(r, ERR_NOMEM);
	}
	err = linkreq_token(r, keys, errors, rec->token_hash);
	if (err == ERR_OK && json_array_size(errors) == 0)
		err = recovery_check(r, rec, json_string_value(json_object_get(r->json, keys[1])),
				     errors);
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	/* erased since the token was minted: it works no more */
	if (err == ERR_NOT_FOUND)
		return problem_invalid_token(r);
	if (err == ERR_OK)
		err = pwjob_hash(&rec->pw, json_string_value(json_object_get(r->json, keys[1])));
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return pwjob_start(r, &rec->pw);
}
