/*
 * h_me.c - GET /v1/me: the caller's own account, personal fields opened
 * with the account's data key. Only ever the token's subject: there is no
 * way to name another account here.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "db.h"
#include "handlers.h"
#include "problem.h"
#include "vault.h"

/* Opens the sealed email and profile of row into body. */
static enum err open_personal(struct app *app, const char *id, const struct account_row *row,
			      json_t *body)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *email = NULL, *personal = NULL;
	size_t len;
	json_t *profile = NULL, *fields = NULL;
	enum err err = ERR_NOT_FOUND;

	if (row->data_key == NULL)
		return err; /* erased */
	err = vault_key_open(app, id, row->data_key, row->data_key_len, key);
	if (err != ERR_OK)
		return err;
	err = vault_open(key, id, "email", row->email_enc, row->email_enc_len, &email, &len);
	if (err == ERR_OK && row->profile_enc != NULL)
		err = vault_open(key, id, "profile", row->profile_enc, row->profile_enc_len,
				 &personal, &len);
	explicit_bzero(key, sizeof(key));
	if (err != ERR_OK)
		goto out;
	profile = json_loads(row->profile_public, 0, NULL);
	fields = personal != NULL ? json_loads(personal, 0, NULL) : json_object();
	if (profile == NULL || fields == NULL || json_object_update(profile, fields) != 0) {
		err = ERR_INTERNAL;
		goto out;
	}
	json_object_set_new(body, "email", json_string(email));
	json_object_set(body, "profile", profile);
out:
	json_decref(profile);
	json_decref(fields);
	if (personal != NULL)
		explicit_bzero(personal, strlen(personal));
	free(personal);
	free(email);
	return err;
}

enum MHD_Result h_me_get(struct req *r)
{
	struct account_row row = {0};
	json_t *body = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_account_get(conn, r->auth.sub, &row);
		db_release(r->app->db, conn);
	}
	if (err == ERR_OK) {
		/* verifications come with the verifier pipeline; none run yet */
		body = json_pack("{s:s, s:s, s:b, s:[]}", "id", r->auth.sub, "status", row.status,
				 "email_verified", row.email_verified, "verifications");
		err = body != NULL ? open_personal(r->app, r->auth.sub, &row, body) : ERR_NOMEM;
	}
	account_row_release(&row);
	if (err != ERR_OK) {
		json_decref(body);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, body, NULL);
}
