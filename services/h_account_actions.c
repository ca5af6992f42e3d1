/*
 * h_account_actions.c - POST /v1/admin/accounts/{id}/actions: an admin
 * acts on an account with If-Match (the ETag of the account view) and
 * {"action", "reason"}: suspend, reinstate, reject, reverify,
 * revoke_sessions, resend_confirmation.
 *
 * Decide, then write: what an action does is account_action_plan(), a
 * pure function over the status table (services/base/status.c) - no
 * status is written here but through db_account_set_status(), and a
 * transition the table refuses is a 409. Everything happens in one
 * transaction that holds the account's row and rebuilds the view under
 * that lock, so of two admins acting on what they both read one wins and
 * the other gets 412. The admin's reason is sealed with the account's
 * data key in the audit row (erasure shreds it); the professional gets a
 * payload-less notice where the action changes what they can do.
 */
#include <stdlib.h>
#include <string.h>

#include "accountview.h"
#include "app.h"
#include "audit.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "mailer.h"
#include "outbox.h"
#include "problem.h"
#include "validate.h"
#include "sessions.h"
#include "vault.h"
#include "verdict.h"

enum action {
	ACT_SUSPEND,
	ACT_REINSTATE,
	ACT_REJECT,
	ACT_REVERIFY,
	ACT_REVOKE_SESSIONS,
	ACT_RESEND_CONFIRMATION,
	ACT_COUNT
};

static const struct {
	const char *name;
	bool moves;              /* makes a status event */
	enum status_event event; /* which */
	const char *reason;      /* the status reason code it keeps */
	const char *notice;      /* the professional's notice, or NULL */
} actions[ACT_COUNT] = {
	[ACT_SUSPEND] = {"suspend", true, EVENT_SUSPEND, "admin_suspended", OUTBOX_ADMIN_SUSPENDED},
	[ACT_REINSTATE] = {"reinstate", true, EVENT_REINSTATE, "admin_reinstated",
			   OUTBOX_ADMIN_REINSTATED},
	[ACT_REJECT] = {"reject", true, EVENT_REJECT, "admin_rejected", OUTBOX_REVIEW_REJECTED},
	[ACT_REVERIFY] = {"reverify", true, EVENT_REVERIFY, "admin_reverify", NULL},
	[ACT_REVOKE_SESSIONS] = {"revoke_sessions", false, EVENT_COUNT, NULL, NULL},
	[ACT_RESEND_CONFIRMATION] = {"resend_confirmation", false, EVENT_COUNT, NULL, NULL},
};

/* What action does to an account of status from: ERR_OK with *ret_to
 * (from itself for an action that moves nothing), ERR_INVALID for an
 * unknown action, ERR_CONFLICT when the status table refuses its event
 * or (resend_confirmation) the email is confirmed already. Pure. */
static enum err account_action_plan(const char *name, enum account_status from, bool email_verified,
				    enum action *ret_action, enum account_status *ret_to)
{
	for (int a = 0; a < ACT_COUNT; a++) {
		if (strcmp(actions[a].name, name) != 0)
			continue;
		*ret_action = (enum action)a;
		if (a == ACT_RESEND_CONFIRMATION && email_verified)
			return ERR_CONFLICT;
		if (!actions[a].moves) {
			*ret_to = from;
			return ERR_OK;
		}
		return status_next(from, actions[a].event, ret_to);
	}
	return ERR_INVALID;
}

/* An action under way: what the transaction found and did. */
struct acting {
	struct review_rows rows;
	json_t *body; /* the view under the lock */
	char etag[REVIEW_ETAG_LEN];
	enum action action;
	enum account_status from, to;
	bool stale;   /* If-Match does not name the current view */
	bool erased;  /* nothing is done to an erased account */
	int sessions; /* revoked */
};

/* The action's writes, its plan made. */
static enum err apply(struct req *r, PGconn *conn, struct acting *a)
{
	json_t *profile = json_loads(
		a->rows.account.profile_public != NULL ? a->rows.account.profile_public : "{}", 0,
		NULL);
	const char *country = json_string_value(json_object_get(profile, "country"));
	const char *profession = json_string_value(json_object_get(profile, "profession"));
	enum err err = ERR_OK;

	switch (a->action) {
	case ACT_SUSPEND:
	case ACT_REJECT:
		err = db_account_set_status(conn, r->param, a->from, actions[a->action].event,
					    actions[a->action].reason, NULL);
		break;
	case ACT_REINSTATE:
	case ACT_REVERIFY: /* every applicable check, now */
		err = verdict_round(r->app, conn, r->param, a->from, actions[a->action].event,
				    actions[a->action].reason, OCCASION_REVERIFICATION, country,
				    profession);
		break;
	case ACT_REVOKE_SESSIONS:
		err = db_sessions_revoke_account(conn, r->param, "admin_revoked", &a->sessions);
		break;
	case ACT_RESEND_CONFIRMATION: /* the mailer mints its token when it sends */
		err = mailer_notice_queue(conn, r->param, OUTBOX_CONFIRM_EMAIL);
		break;
	case ACT_COUNT:
		err = ERR_INTERNAL;
	}
	if (err == ERR_OK && actions[a->action].notice != NULL)
		err = mailer_notice_queue(conn, r->param, actions[a->action].notice);
	json_decref(profile);
	return err;
}

/* The audit row, the admin's reason sealed with the account's key
 * (nothing once erased). */
static enum err audit_action(struct req *r, PGconn *conn, const unsigned char *key,
			     const struct acting *a, const char *reason)
{
	unsigned char *sealed = NULL;
	size_t len = 0;
	json_t *details =
		json_pack("{s:s, s:s, s:s, s:s, s:i}", "action", actions[a->action].name,
			  "from_status", status_name(a->from), "to_status", status_name(a->to),
			  "etag", a->etag, "sessions_revoked", a->sessions);
	enum err err = details != NULL ? ERR_OK : ERR_NOMEM;

	if (err == ERR_OK && key != NULL)
		err = vault_seal(key, r->param, "audit_reason", reason, strlen(reason), &sealed,
				 &len);
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = r->auth.sub,
						    .action = "account.action",
						    .target = r->param,
						    .reason_enc = sealed,
						    .reason_enc_len = len,
						    .request_id = r->id,
						    .details = details,
					    });
	free(sealed);
	json_decref(details);
	return err;
}

/* The action's transaction. ERR_CONFLICT with a->stale when if_match
 * does not name the view as it is now, or for a refused transition. */
static enum err act(struct req *r, PGconn *conn, const char *if_match, const unsigned char *key,
		    struct acting *a)
{
	const char *name = json_string_value(json_object_get(r->json, "action"));
	const char *reason = json_string_value(json_object_get(r->json, "reason"));
	enum err err = db_begin(conn);

	if (err != ERR_OK)
		return err;
	err = db_review_lock(conn, r->param);
	/* after the lock, so this sees every action committed before it */
	if (err == ERR_OK)
		err = account_view_build(r, conn, key, &a->rows, &a->body, a->etag);
	if (err == ERR_OK && !review_etag_matches(if_match, a->etag)) {
		a->stale = true;
		err = ERR_CONFLICT;
	}
	if (err == ERR_OK && key == NULL) {
		a->erased = true;
		err = ERR_CONFLICT;
	}
	if (err == ERR_OK && !status_parse(a->rows.status, &a->from))
		err = ERR_DB;
	if (err == ERR_OK)
		err = account_action_plan(name, a->from, a->rows.email_verified, &a->action,
					  &a->to);
	if (err == ERR_OK)
		err = apply(r, conn, a);
	if (err == ERR_OK)
		err = audit_action(r, conn, key, a, reason);
	return db_end(conn, err);
}

/* Checks the body; problems go to errors. */
static void check_body(struct req *r, json_t *errors)
{
	static const char *const keys[] = {"action", "reason", NULL};
	const char *name, *reason, *problem;
	enum action ignored;
	enum account_status to;

	json_body_check_keys(r->json, keys, errors);
	json_body_require_strings(r->json, keys, errors);
	name = json_string_value(json_object_get(r->json, "action"));
	reason = json_string_value(json_object_get(r->json, "reason"));
	if (name != NULL &&
	    account_action_plan(name, STATUS_SUSPENDED, false, &ignored, &to) == ERR_INVALID)
		json_error_add(errors, "action", "invalid",
			       "action must be suspend, reinstate, reject, reverify, "
			       "revoke_sessions or resend_confirmation");
	problem = reason != NULL ? review_text_problem(reason) : NULL;
	if (problem != NULL)
		json_error_add(errors, "reason", problem,
			       "use 1 to 2000 characters of text, not only white space, "
			       "without control characters other than line feed and tab");
}

/* Why the table refused: what a 409 says. */
static const char *refusal(const struct acting *a)
{
	if (a->erased)
		return "the account is erased";
	if (a->action == ACT_RESEND_CONFIRMATION)
		return "the professional has confirmed their email address already";
	if (a->action == ACT_REINSTATE)
		return "only a suspended account can be reinstated";
	if (a->action == ACT_SUSPEND)
		return "a rejected or suspended account cannot be suspended";
	return "the account's status does not allow this action";
}

enum MHD_Result h_account_action(struct req *r)
{
	const char *if_match = http_header(r, "If-Match");
	struct acting a = {.action = ACT_COUNT};
	unsigned char key[CRYPTO_KEY_LEN];
	json_t *errors;
	enum MHD_Result ret;
	bool have_key;
	PGconn *conn;
	enum err err;

	if (!validate_uuid(r->param))
		return problem_send(r, 404, "not-found", "no such account");
	if (if_match == NULL)
		return problem_send(r, 428, "precondition-required",
				    "send the ETag of the account as you read it in If-Match");
	errors = json_array();
	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	check_body(r, errors);
	if (problem_check_failed(r, ERR_OK, errors, &ret))
		return ret;
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* the key before the transaction: the keystore is never read in one */
	err = vault_account_key_by_id(r->app, conn, r->param, key);
	have_key = err == ERR_OK;
	if (err == ERR_NOT_FOUND)
		err = ERR_OK;
	if (err == ERR_OK)
		err = act(r, conn, if_match, have_key ? key : NULL, &a);
	db_release(r->app->db, conn);
	explicit_bzero(key, sizeof(key));
	if (err == ERR_NOT_FOUND)
		ret = problem_send(r, 404, "not-found", "no such account");
	else if (err == ERR_CONFLICT && a.stale)
		ret = problem_send(r, 412, "precondition-failed",
				   "the account has changed since it was read: read it again, "
				   "then act");
	else if (err == ERR_CONFLICT)
		ret = problem_send(r, 409, "conflict", refusal(&a));
	else if (err != ERR_OK)
		ret = problem_from_err(r, err);
	else
		ret = http_reply_json(r, 200,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", r->param,
						"action", actions[a.action].name, "from_status",
						status_name(a.from), "status", status_name(a.to),
						"sessions_revoked", a.sessions),
				      NULL);
	json_decref(a.body);
	review_rows_release(&a.rows);
	return ret;
}
