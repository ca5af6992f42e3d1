/*
 * h_erasure.c - DELETE /v1/me (erasure, after re-entering the password)
 * and the admin's legal hold, POST / DELETE
 * /v1/admin/accounts/{id}/legal-hold.
 *
 * Erasure verifies the password with argon2id on the hashing pool (as
 * sign-in does, and counted by the same per-email throttle, so a stolen
 * access token is no faster a way to guess the password), then destroys
 * the account's data key and everything that points at the person (see
 * db_account_erase). A legal hold defers it: the professional gets a 409
 * saying that a legal hold applies; the admin's reason stays in the audit
 * log.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "password.h"
#include "privacy.h"
#include "problem.h"
#include "pwjob.h"
#include "vault.h"
#include "retention.h"
#include "sessions.h"
#include "validate.h"

#define LEGAL_HOLD_REASON_MAX 500 /* bytes */

static const char legal_hold_detail[] =
	"a legal hold applies to this account: the law requires it to be kept for now, so it "
	"cannot be erased yet. Nothing about it is used meanwhile beyond that obligation; ask "
	"again once the hold is lifted";

/* An erasure across its suspension: the password is checked. */
static void erasure_req_free(void *p)
{
	pwjob_release(p);
	free(p);
}

/* After verification: throttle bookkeeping, legal hold, erasure. */
static enum MHD_Result erase_finish(struct req *r, struct pwjob *pw)
{
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (!pwjob_reauth_done(r, pw, "password", &reply))
		return reply;
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = retention_erase(r->app, conn,
			      &(struct erasure){.id = r->auth.sub,
						.actor = r->auth.sub,
						.action = "account.erased",
						.request_id = r->id});
	db_release(r->app->db, conn);
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "legal-hold", legal_hold_detail);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}

enum MHD_Result h_me_delete(struct req *r)
{
	static const char *const keys[] = {"password", NULL};
	struct pwjob *pw = r->state;

	if (pw != NULL)
		return erase_finish(r, pw); /* resumed: the password is checked */
	pw = pwjob_state(r, sizeof(*pw), erasure_req_free);
	if (pw == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return pwjob_reauth_start(r, pw, keys);
}

/* Sets (reason non-NULL) or lifts a hold. The reason is the admin's
 * words about the professional: sealed with their data key, opened before
 * the transaction, so an erasure once the hold is lifted shreds it. */
static enum MHD_Result legal_hold(struct req *r, const char *reason)
{
	unsigned char key[CRYPTO_KEY_LEN];
	unsigned char *account_enc = NULL, *audit_enc = NULL;
	struct hold_reason sealed = {0};
	PGconn *conn = NULL;
	enum err err;

	if (!validate_uuid(r->param))
		return problem_send(r, 404, "not-found", "no such professional");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK && reason != NULL) {
		err = vault_account_key_by_id(r->app, conn, r->param, key);
		if (err == ERR_OK)
			err = vault_seal(key, r->param, "legal_hold_reason", reason, strlen(reason),
					 &account_enc, &sealed.account_enc_len);
		if (err == ERR_OK)
			err = vault_seal(key, r->param, "audit_reason", reason, strlen(reason),
					 &audit_enc, &sealed.audit_enc_len);
		explicit_bzero(key, sizeof(key));
		sealed.account_enc = account_enc;
		sealed.audit_enc = audit_enc;
	}
	if (err == ERR_OK)
		err = db_legal_hold(conn, r->param, r->auth.sub, reason != NULL ? &sealed : NULL,
				    r->id);
	db_release(r->app->db, conn);
	free(account_enc);
	free(audit_enc);
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such professional (or it is erased)");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(
		r, 200, json_pack("{s:s, s:b}", "id", r->param, "legal_hold", reason != NULL),
		NULL);
}

enum MHD_Result h_admin_legal_hold_set(struct req *r)
{
	json_t *errors = json_array();
	const char *reason;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	reason = json_body_reason(r->json, LEGAL_HOLD_REASON_MAX, errors);
	if (reason == NULL)
		return problem_send_errors(r, errors);
	json_decref(errors);
	return legal_hold(r, reason);
}

enum MHD_Result h_admin_legal_hold_lift(struct req *r)
{
	return legal_hold(r, NULL);
}
