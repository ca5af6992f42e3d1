/*
 * linkreq.c - requests around a mailed link (see linkreq.h). Never logs a
 * token or an address; the reply to a mail asked for by address is the
 * same bytes whatever the address.
 */
#include <string.h>

#include "app.h"
#include "crypto.h"
#include "db.h"
#include "jsonbody.h"
#include "linkreq.h"
#include "problem.h"
#include "validate.h"
#include "vault.h"

#define EMAIL_MAX 254

enum err linkreq_token(struct req *r, const char *const *keys, json_t *errors,
		       unsigned char ret_hash[32])
{
	const char *token = json_string_value(json_object_get(r->json, keys[0]));
	enum err err = json_body_check_keys(r->json, keys, errors);

	if (json_body_require_strings(r->json, keys, errors) != ERR_OK)
		err = ERR_NOMEM;
	if (err == ERR_OK && token != NULL && strlen(token) > LINKREQ_TOKEN_MAX)
		err = json_error_add(errors, keys[0], "too_long", "use at most 128 characters");
	if (err == ERR_OK && token != NULL)
		crypto_sha256(token, strlen(token), ret_hash);
	return err;
}

enum MHD_Result linkreq_mail_by_email(struct req *r, const char *kind, const struct notice_cap *cap)
{
	static const char *const keys[] = {"email", NULL};
	const char *email = json_string_value(json_object_get(r->json, "email"));
	json_t *errors = json_array();
	unsigned char bidx[32];
	PGconn *conn;
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = json_body_check_keys(r->json, keys, errors);
	if (json_body_require_strings(r->json, keys, errors) != ERR_OK)
		err = ERR_NOMEM;
	if (err == ERR_OK && email != NULL && (strlen(email) > EMAIL_MAX || !validate_email(email)))
		err = json_error_add(errors, "email", "invalid", "is not a valid email address");
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	if (err != ERR_OK || email == NULL)
		return problem_from_err(r, ERR_NOMEM);
	/* the same statement for every address: no keystore, no branch */
	vault_email_index(r->app, email, bidx);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_outbox_notice_by_email(conn, bidx, kind, cap, NULL);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 202, NULL, "", 0);
}
