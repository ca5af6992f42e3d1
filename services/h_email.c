/*
 * h_email.c - the account's address: confirmed by its mailed link with or
 * without signing in (POST /v1/email-confirmations, and the older
 * POST /v1/me/email/confirm), the confirmation mail sent again (POST
 * /v1/me/email/confirmation signed in, POST /v1/email-confirmations/resend
 * by address), and an email change (PUT /v1/me/email, with the current
 * password) with its cancel link (POST /v1/email-changes/cancel).
 *
 * Tokens are looked up by SHA-256 only; an unknown, used, expired or
 * superseded token gets one reply, so a route tells nothing about other
 * accounts' tokens. A link's effects commit in one transaction with the
 * token's use.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "deliveries.h"
#include "handlers.h"
#include "jsonbody.h"
#include "lifecycle.h"
#include "linkreq.h"
#include "mailer.h"
#include "outbox.h"
#include "problem.h"
#include "pwjob.h"
#include "sessions.h"
#include "validate.h"
#include "vault.h"
#include "verdict.h"

/* "Someone tried to move an account to your address" notices to one owner
 * a day, however often it is tried (no mail bomb, as at registration) */
#define EMAIL_TAKEN_PER_DAY 3

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
		err = db_webhook_queue(conn, t.account_id, WEBHOOK_ACCOUNT_EMAIL_VERIFIED, NULL);
	if (err == ERR_OK && newly)
		err = verdict_email_confirmed_in(conn, t.account_id);
	/* another account took the new address meanwhile: the link is spent */
	err = db_end(conn, err == ERR_CONFLICT ? ERR_NOT_FOUND : err);
	db_release(r->app->db, conn);
	return err;
}

/* Reads a {"token"} body into hash: false with the reply queued (a 422
 * for a bad body, a 503) when it cannot. */
static bool token_body(struct req *r, unsigned char hash[32], enum MHD_Result *ret_reply)
{
	static const char *const keys[] = {"token", NULL};
	json_t *errors = json_array();
	enum err err = errors != NULL ? linkreq_token(r, keys, errors, hash) : ERR_NOMEM;

	return !problem_check_failed(r, err, errors, ret_reply);
}

enum MHD_Result h_me_email_confirm(struct req *r)
{
	unsigned char hash[32];
	enum MHD_Result reply;
	enum err err;

	if (!token_body(r, hash, &reply))
		return reply;
	err = confirm_by_token(r, hash, r->auth.sub);
	if (err == ERR_NOT_FOUND) /* this older route's one reply for every token that fails */
		return problem_send_field(
			r, "token", "invalid",
			"the token is not valid: unknown, used, expired or not yours");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}

enum MHD_Result h_email_confirmation(struct req *r)
{
	unsigned char hash[32];
	enum MHD_Result reply;
	enum err err;

	if (!token_body(r, hash, &reply))
		return reply;
	err = confirm_by_token(r, hash, NULL);
	if (err == ERR_NOT_FOUND)
		return problem_invalid_token(r);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}

/* The caller's account row, on a connection of its own. */
static enum err account_of(struct req *r, struct account_row *ret_row)
{
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_account_get(conn, r->auth.sub, ret_row);
		db_release(r->app->db, conn);
	}
	return err;
}

enum MHD_Result h_me_email_resend(struct req *r)
{
	struct account_row row = {0};
	bool queued = false, confirmed;
	PGconn *conn;
	enum err err = account_of(r, &row);

	confirmed = err == ERR_OK && row.email_verified;
	account_row_release(&row);
	if (err == ERR_OK && !confirmed)
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK && !confirmed) {
		err = db_outbox_notice_capped(conn, r->auth.sub, OUTBOX_CONFIRM_EMAIL, &resend_cap,
					      &queued);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if (confirmed)
		return problem_send(r, 409, "already-confirmed",
				    "the address is confirmed already");
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

/* An email change across its suspension: the current password checked on
 * the pool, everything sealed before (the data key is not kept). */
struct email_change {
	struct pwjob pw; /* checks the current password */
	unsigned char bidx[32];
	unsigned char *email_enc; /* the new address, sealed as the account's "email" */
	unsigned char *to_new;    /* the confirmation mail's payload */
	unsigned char *to_old;    /* the cancel link's payload */
	size_t email_len, new_len, old_len;
};

static void email_change_free(void *p)
{
	struct email_change *c = p;

	if (c == NULL)
		return;
	pwjob_release(&c->pw);
	free(c->email_enc);
	free(c->to_new);
	free(c->to_old);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* Stores the pending change and queues its mails, in one transaction: the
 * new address's link, or for a taken one a notice to its owner (capped,
 * as at registration); the old address's cancel link either way. */
static enum err email_change_store(struct req *r, const struct email_change *c)
{
	struct account_row owner = {0};
	bool taken = false;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err != ERR_OK)
		return err;
	err = db_begin(conn);
	if (err == ERR_OK)
		err = db_email_change_request(conn, r->auth.sub, c->email_enc, c->email_len,
					      c->bidx, &taken);
	if (err == ERR_OK && !taken)
		err = db_outbox_insert(conn, r->auth.sub, OUTBOX_EMAIL_CHANGE, c->to_new,
				       c->new_len);
	if (err == ERR_OK && taken) {
		err = db_account_get_by_email(conn, c->bidx, sizeof(c->bidx), &owner);
		if (err == ERR_OK)
			err = db_outbox_notice(conn, owner.sealed.id, OUTBOX_EMAIL_CHANGE_TAKEN,
					       EMAIL_TAKEN_PER_DAY, NULL);
		if (err == ERR_NOT_FOUND) /* kept for another's cancel link: nobody to tell */
			err = ERR_OK;
	}
	if (err == ERR_OK)
		err = db_outbox_insert(conn, r->auth.sub, OUTBOX_EMAIL_CHANGE_CANCEL, c->to_old,
				       c->old_len);
	err = db_end(conn, err);
	db_release(r->app->db, conn);
	account_row_release(&owner);
	return err;
}

/* Checks the body, opens the account's key and address (before any
 * transaction), seals what the change stores and mails, and asks c->pw to
 * check the password. Problems go to errors. */
static enum err email_change_check(struct req *r, struct email_change *c, json_t *errors)
{
	static const char *const keys[] = {"email", "password", NULL};
	const char *email = json_string_value(json_object_get(r->json, "email"));
	struct account_row row = {0};
	unsigned char key[CRYPTO_KEY_LEN], own[32];
	char *current = NULL;
	enum err err = json_body_check_keys(r->json, keys, errors);

	if (json_body_require_strings(r->json, keys, errors) != ERR_OK)
		err = ERR_NOMEM;
	if (err == ERR_OK && email != NULL && !validate_email(email))
		err = json_error_add(errors, "email", "invalid", "is not a valid email address");
	if (err != ERR_OK || json_array_size(errors) > 0)
		return err;
	err = account_of(r, &row);
	if (err == ERR_OK)
		err = vault_open_profile(r->app, &row.sealed, key, &current, NULL);
	if (err != ERR_OK)
		goto out;
	vault_email_index(r->app, email, c->bidx);
	vault_email_index(r->app, current, own);
	if (memcmp(own, c->bidx, sizeof(own)) == 0) {
		err = json_error_add(errors, "email", "same_as_current",
				     "this is the account's address already");
		goto out;
	}
	err = vault_seal(key, r->auth.sub, "email", email, strlen(email), &c->email_enc,
			 &c->email_len);
	if (err == ERR_OK)
		err = mailer_payload_seal(key, r->auth.sub, email, &c->to_new, &c->new_len);
	if (err == ERR_OK)
		err = mailer_payload_seal(key, r->auth.sub, current, &c->to_old, &c->old_len);
	/* a stolen token must not make guessing the password cheap */
	if (err == ERR_OK)
		err = pwjob_check(&c->pw, json_string_value(json_object_get(r->json, "password")),
				  row.password_hash, own);
out:
	explicit_bzero(key, sizeof(key));
	vault_wipe_free(current);
	account_row_release(&row);
	return err;
}

enum MHD_Result h_me_email_change(struct req *r)
{
	struct email_change *c = r->state;
	enum MHD_Result reply;
	json_t *errors;
	enum err err;

	if (c != NULL) { /* resumed: the password is checked */
		if (!pwjob_reauth_done(r, &c->pw, "password", &reply))
			return reply;
		err = email_change_store(r, c);
		if (err != ERR_OK)
			return problem_from_err(r, err);
		/* the same for a free and a taken address */
		return http_reply_static(r, 202, NULL, "", 0);
	}
	c = pwjob_state(r, sizeof(*c), email_change_free);
	errors = json_array();
	if (c == NULL || errors == NULL) {
		json_decref(errors);
		return problem_from_err(r, ERR_NOMEM);
	}
	err = email_change_check(r, c, errors);
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return pwjob_start(r, &c->pw);
}

enum MHD_Result h_email_change_cancel(struct req *r)
{
	static const char *const purposes[] = {TOKEN_EMAIL_CHANGE_CANCEL, NULL};
	struct token_use t;
	unsigned char hash[32];
	bool restored = false;
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (!token_body(r, hash, &reply))
		return reply;
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_begin(conn);
	if (err == ERR_OK)
		err = db_email_token_use(conn, hash, purposes, NULL, &t);
	if (err == ERR_OK)
		err = db_email_change_cancel(conn, t.account_id, &restored);
	/* whoever changed it may hold a session */
	if (err == ERR_OK)
		err = db_sessions_revoke_all(conn, t.account_id, "email_change_cancelled");
	err = db_end(conn, err == ERR_CONFLICT ? ERR_NOT_FOUND : err);
	db_release(r->app->db, conn);
	if (err == ERR_NOT_FOUND)
		return problem_invalid_token(r);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}
