/*
 * enroll.c - account creation (see enroll.h). Owns nothing beyond the
 * call: the clear data key and serialized personal fields are wiped
 * before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "catalogue.h"
#include "db.h"
#include "enroll.h"
#include "vault.h"

enum err enroll(struct app *app, const struct enrollment *e, bool *ret_duplicate,
		char ret_id[UUID_STR_LEN])
{
	struct account_new acct = {
		.role = e->role,
		.status = e->status,
		.password_hash = e->password_hash,
		.catalogue_version = catalogue_version(app->catalogue),
		.notice_version = catalogue_notice_version(app->catalogue),
		.consents = e->consents,
		.nconsents = e->nconsents,
	};
	unsigned char key[CRYPTO_KEY_LEN], bidx[32];
	unsigned char *sealed_key = NULL, *email_enc = NULL, *profile_enc = NULL;
	char *personal = json_dumps(e->personal, JSON_COMPACT | JSON_SORT_KEYS);
	char *public = json_dumps(e->public, JSON_COMPACT | JSON_SORT_KEYS);
	PGconn *conn = NULL;
	enum err err = ERR_NOMEM;

	if (personal == NULL || public == NULL)
		goto out;
	err = crypto_uuid_v4(acct.id);
	if (err == ERR_OK)
		err = vault_key_new(app, acct.id, key, &sealed_key, &acct.data_key_len);
	if (err != ERR_OK)
		goto out;
	err = vault_seal(key, acct.id, "email", e->email, strlen(e->email), &email_enc,
			 &acct.email_enc_len);
	if (err == ERR_OK)
		err = vault_seal(key, acct.id, "profile", personal, strlen(personal), &profile_enc,
				 &acct.profile_enc_len);
	explicit_bzero(key, sizeof(key));
	if (err != ERR_OK)
		goto out;
	vault_email_index(app, e->email, bidx);
	acct.email_bidx = bidx;
	acct.email_bidx_len = sizeof(bidx);
	acct.email_enc = email_enc;
	acct.data_key = sealed_key;
	acct.profile_enc = profile_enc;
	acct.profile_public = public;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = db_registration_insert(conn, &acct, e->idem, ret_duplicate, ret_id);
out:
	db_release(app->db, conn);
	if (personal != NULL)
		explicit_bzero(personal, strlen(personal));
	free(personal);
	free(public);
	free(sealed_key);
	free(email_enc);
	free(profile_enc);
	return err;
}
