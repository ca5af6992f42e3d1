/*
 * h_email.c - POST /v1/me/email/confirm: the caller proves the address is
 * theirs with the single-use token mailed at registration.
 *
 * Tokens are looked up by SHA-256 only, and only among the caller's own:
 * an unknown, used, expired or another account's token gets one and the
 * same 422, so the route tells nothing about other accounts' tokens.
 */
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "outbox.h"
#include "problem.h"
#include "verdict.h"

#define EMAIL_TOKEN_MAX 128 /* characters; a real token has 43 */

static enum MHD_Result invalid_token(struct req *r)
{
	return problem_send_field(r, "token", "invalid",
				  "the token is not valid: unknown, used, expired or not yours");
}

enum MHD_Result h_me_email_confirm(struct req *r)
{
	static const char *const keys[] = {"token", NULL};
	unsigned char hash[32];
	const char *token;
	json_t *errors = json_array();
	PGconn *conn;
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = json_body_check_keys(r->json, keys, errors);
	if (json_body_require_strings(r->json, keys, errors) != ERR_OK)
		err = ERR_NOMEM;
	token = json_string_value(json_object_get(r->json, "token"));
	if (token != NULL && strlen(token) > EMAIL_TOKEN_MAX &&
	    json_error_add(errors, "token", "too_long", "use at most 128 characters") != ERR_OK)
		err = ERR_NOMEM;
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	if (err != ERR_OK || token == NULL) /* no token and no error recorded: out of memory */
		return problem_from_err(r, ERR_NOMEM);

	crypto_sha256(token, strlen(token), hash);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_email_confirm(conn, r->auth.sub, hash);
	/* the address is shown to be theirs: checks already passed count now */
	if (err == ERR_OK)
		err = verdict_email_confirmed(conn, r->auth.sub);
	db_release(r->app->db, conn);
	if (err == ERR_NOT_FOUND)
		return invalid_token(r);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}
