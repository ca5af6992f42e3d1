/*
 * profile.c - opening sealed account values (see profile.h). The clear
 * data key and the serialized personal fields are wiped before return.
 */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "profile.h"
#include "vault.h"

void profile_wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

enum err profile_open(const struct app *app, const char *id, const struct account_row *row,
		      unsigned char *ret_key, char **ret_email, json_t **ret_profile)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *email = NULL, *personal = NULL;
	size_t len;
	json_t *profile = NULL, *fields = NULL;
	enum err err;

	if (row->data_key == NULL || row->email_enc == NULL)
		return ERR_NOT_FOUND; /* erased */
	err = vault_key_open(app, id, row->data_key, row->data_key_len, key);
	if (err != ERR_OK)
		return err;
	err = vault_open(key, id, "email", row->email_enc, row->email_enc_len, &email, &len);
	if (err == ERR_OK && row->profile_enc != NULL)
		err = vault_open(key, id, "profile", row->profile_enc, row->profile_enc_len,
				 &personal, &len);
	if (err != ERR_OK)
		goto out;
	profile = json_loads(row->profile_public, 0, NULL);
	fields = personal != NULL ? json_loads(personal, 0, NULL) : json_object();
	if (!json_is_object(profile) || !json_is_object(fields) ||
	    json_object_update(profile, fields) != 0) {
		err = ERR_INTERNAL;
		goto out;
	}
	if (ret_key != NULL)
		memcpy(ret_key, key, sizeof(key));
	*ret_email = email;
	*ret_profile = profile;
	email = NULL;
	profile = NULL;
out:
	explicit_bzero(key, sizeof(key));
	json_decref(profile);
	json_decref(fields);
	profile_wipe_free(personal);
	profile_wipe_free(email);
	return err;
}

json_t *profile_consents_current(const struct catalogue *cat, json_t *history)
{
	json_t *current = json_object(), *row;
	size_t i;

	for (i = 0; current != NULL && i < catalogue_consent_count(cat); i++)
		json_object_set_new(current, catalogue_consent_purpose(cat, i), json_false());
	/* oldest first: the latest row of a purpose is the last one set */
	json_array_foreach (history, i, row) {
		const char *purpose = json_string_value(json_object_get(row, "purpose"));

		if (current != NULL && purpose != NULL)
			json_object_set(current, purpose, json_object_get(row, "granted"));
	}
	return current;
}
