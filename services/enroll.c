/*
 * enroll.c - account creation (see enroll.h). Owns nothing beyond the
 * call: the clear data keys and serialized personal fields are wiped
 * before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "catalogue.h"
#include "db.h"
#include "enroll.h"
#include "keystore.h"
#include "jsontext.h"
#include "outbox.h"
#include "search.h"
#include "vault.h"

/* "already registered" notices to one owner a day, however often their
 * address is registered again (issue 18: no mail bombing) */
#define ALREADY_REGISTERED_PER_DAY 3

/* Tells the owner of a taken email that someone registered it again, at
 * most ALREADY_REGISTERED_PER_DAY times a day (registering someone's
 * address over and over must not flood their inbox); the caller's reply
 * is the same either way. An owner erased meanwhile gets nothing. */
static enum err notify_owner(PGconn *conn, const unsigned char *bidx, size_t len)
{
	struct account_row owner = {0};
	enum err err = db_account_get_by_email(conn, bidx, len, &owner);

	if (err == ERR_OK)
		err = db_outbox_notice(conn, owner.sealed.id, OUTBOX_ALREADY_REGISTERED,
				       ALREADY_REGISTERED_PER_DAY, NULL);
	account_row_release(&owner);
	return err == ERR_NOT_FOUND ? ERR_OK : err;
}

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
		.jobs = e->jobs,
		.njobs = e->njobs,
		.unqueued_event = e->unqueued_event,
		.unqueued_reason = e->unqueued_reason,
		.audit = e->audit,
		.locale = e->locale,
	};
	struct field_indexes indexes;
	json_t *profile = json_deep_copy(e->public);
	json_t *within = catalogue_unique_within(app->catalogue);
	char *within_text = within != NULL ? json_text_dump(within, JSON_COMPACT) : NULL;
	unsigned char key[CRYPTO_KEY_LEN], bidx[32];
	unsigned char *sealed_key = NULL, *email_enc = NULL, *profile_enc = NULL;
	char *personal = json_text_dump(e->personal, JSON_COMPACT | JSON_SORT_KEYS);
	char *public = json_text_dump(e->public, JSON_COMPACT | JSON_SORT_KEYS);
	PGconn *conn = NULL;
	enum err err = ERR_NOMEM;

	if (personal == NULL || public == NULL || within_text == NULL || profile == NULL ||
	    json_object_update(profile, e->personal) != 0)
		goto out;
	search_index_profile(app, profile, &indexes);
	acct.indexes = &indexes;
	acct.unique_within = within_text;
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
	/* staff are made by an operator or an admin: no confirmation, no
	 * notice; the mailer mints the confirmation token when it sends */
	acct.confirm = strcmp(e->role, "professional") == 0;
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
	/* no account was made (a replay answers another id; or the email had
	 * one): its secret goes too. Not on an error, which may follow a
	 * commit. A replay leaves *ret_duplicate unset: read it last. */
	if (err == ERR_OK && (strcmp(ret_id, acct.id) != 0 || *ret_duplicate))
		keystore_destroy(app->keys, acct.id);
	if (err == ERR_OK && strcmp(ret_id, acct.id) == 0 && *ret_duplicate && acct.confirm)
		err = notify_owner(conn, bidx, sizeof(bidx));
out:
	db_release(app->db, conn);
	if (personal != NULL)
		explicit_bzero(personal, strlen(personal));
	free(personal);
	free(public);
	free(sealed_key);
	free(email_enc);
	free(profile_enc);
	free(within_text);
	json_decref(within);
	json_decref(profile);
	explicit_bzero(&indexes, sizeof(indexes));
	return err;
}
