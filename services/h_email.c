/*
 * h_email.c - the account's address: confirmed by its mailed link with or
 * without signing in (POST /v1/email-confirmations, and the older
 * POST /v1/me/email/confirm), the confirmation mail sent again (POST
 * /v1/me/email/confirmation signed in, POST /v1/email-confirmations/resend
 * by address).
 *
 * Tokens are looked up by SHA-256 only; an unknown, used, expired or
 * superseded token gets one reply, so a route tells nothing about other
 * accounts' tokens. A link's effects commit in one transaction with the
 * token's use.
 */
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "lifecycle.h"
#include "linkreq.h"
#include "outbox.h"
#include "problem.h"
#include "sessions.h"
#include "verdict.h"

/* The confirmation mail, asked for again: one a minute, five a day. */
static const struct notice_cap resend_cap = {
	.per_day = 5,
	.min_gap_seconds = 60,
	.unconfirmed = true,
};

/* Uses a confirmation token (of account_id's, when not NULL) and confirms
 * what it was mailed for: the address (confirm_email) or a new one
 * (email_change), then what a confirmed address decides, in one
 * transaction. ERR_NOT_FOUND for a token that does not work. */
static enum err confirm_by_token(struct req *r, const unsigned char hash[32],
				 const char *account_id)
{
	static const char *const purposes[] = {TOKEN_CONFIRM_EMAIL, TOKEN_EMAIL_CHANGE, NULL};
	struct token_use t;
	bool newly = false;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err != ERR_OK)
		return err;
	err = db_begin(conn);
	if (err == ERR_OK)
		err = db_email_token_use(conn, hash, purposes, account_id, &t);
	if (err == ERR_OK && strcmp(t.purpose, TOKEN_EMAIL_CHANGE) == 0)
		err = t.has_target
			      ? db_email_change_apply(conn, t.account_id, t.target_bidx, &newly)
			      : ERR_NOT_FOUND;
	else if (err == ERR_OK)
		err = db_email_confirmed(conn, t.account_id, &newly);
	/* the address is shown to be theirs: checks already passed count now */
	if (err == ERR_OK && newly)
		err = verdict_email_confirmed_in(conn, t.account_id);
	/* another account took the new address meanwhile: the link is spent */
	err = db_end(conn, err == ERR_CONFLICT ? ERR_NOT_FOUND : err);
	db_release(r->app->db, conn);
	return err;
}

enum MHD_Result h_me_email_confirm(struct req *r)
{
	static const char *const keys[] = {"token", NULL};
	unsigned char hash[32];
	json_t *errors = json_array();
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = linkreq_token(r, keys, errors, hash);
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	if (err == ERR_OK)
		err = confirm_by_token(r, hash, r->auth.sub);
	if (err == ERR_NOT_FOUND) {
		/* this older route's one reply for every token that does not work */
		json_array_clear(errors);
		json_error_add(errors, "token", "invalid",
			       "the token is not valid: unknown, used, expired or not yours");
		return problem_send_errors(r, errors);
	}
	json_decref(errors);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}

enum MHD_Result h_email_confirmation(struct req *r)
{
	static const char *const keys[] = {"token", NULL};
	unsigned char hash[32];
	json_t *errors = json_array();
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = linkreq_token(r, keys, errors, hash);
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	if (err == ERR_OK)
		err = confirm_by_token(r, hash, NULL);
	if (err == ERR_NOT_FOUND)
		return problem_invalid_token(r);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}

enum MHD_Result h_me_email_resend(struct req *r)
{
	struct account_row row = {0};
	bool queued = false;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_account_get(conn, r->auth.sub, &row);
	if (err == ERR_OK && !row.email_verified)
		err = db_outbox_notice_capped(conn, r->auth.sub, OUTBOX_CONFIRM_EMAIL, &resend_cap,
					      &queued);
	db_release(r->app->db, conn);
	if (err == ERR_OK && row.email_verified) {
		account_row_release(&row);
		return problem_send(r, 409, "already-confirmed",
				    "the address is confirmed already");
	}
	account_row_release(&row);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if (!queued) {
		http_add_header(r, "Retry-After", "%d", resend_cap.min_gap_seconds);
		return problem_send(r, 429, "too-many-mails",
				    "a confirmation mail was sent less than a minute ago, or five "
				    "today already; use the newest one, or try again later");
	}
	return http_reply_static(r, 202, NULL, "", 0);
}

enum MHD_Result h_email_confirmation_resend(struct req *r)
{
	return linkreq_mail_by_email(r, OUTBOX_CONFIRM_EMAIL, &resend_cap);
}
