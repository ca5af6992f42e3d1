/*
 * vault.c - per-account data keys and sealed values. Holds no state of its
 * own: the derived keys live in struct app. Never logs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "keystore.h"
#include "vault.h"

#define EMAIL_MAX 254

void vault_init(struct app *app, const unsigned char master[CRYPTO_KEY_LEN])
{
	crypto_derive(master, "hcpd data-key wrap v1", app->wrap_key);
	crypto_derive(master, "hcpd email blind index v1", app->bidx_key);
	crypto_derive(master, "hcpd idempotency mac v1", app->idem_key);
	crypto_derive(master, "hcpd unsubscribe token v1", app->link_key);
	crypto_derive(master, "hcpd sign-in throttle client v1", app->throttle_key);
	crypto_derive(master, "hcpd staff note v1", app->note_key);
	crypto_derive(master, "hcpd suppression list v1", app->suppress_key);
	crypto_derive(master, "hcpd activity release signing v1", app->release_key);
}

/* The key a data key is sealed under: the master's wrap key and the
 * account's secret, HMAC'd. */
static void key_wrap_key(const struct app *app, const unsigned char secret[CRYPTO_KEY_LEN],
			 unsigned char ret_wrap[CRYPTO_KEY_LEN])
{
	crypto_hmac_sha256(app->wrap_key, secret, CRYPTO_KEY_LEN, ret_wrap);
}

enum err vault_key_seal(const struct app *app, const char *account_id,
			const unsigned char secret[CRYPTO_KEY_LEN],
			const unsigned char key[CRYPTO_KEY_LEN], unsigned char **ret_sealed,
			size_t *ret_len)
{
	unsigned char wrap[CRYPTO_KEY_LEN], *sealed, *out;
	size_t len;
	enum err err;

	key_wrap_key(app, secret, wrap);
	err = crypto_seal(wrap, account_id, strlen(account_id), key, CRYPTO_KEY_LEN, &sealed, &len);
	explicit_bzero(wrap, sizeof(wrap));
	if (err != ERR_OK)
		return err;
	out = malloc(len + 1);
	if (out != NULL) {
		out[0] = VAULT_KEY_SCHEME;
		memcpy(out + 1, sealed, len);
		*ret_sealed = out;
		*ret_len = len + 1;
	}
	free(sealed);
	return out != NULL ? ERR_OK : ERR_NOMEM;
}

enum err vault_key_unseal(const struct app *app, const char *account_id,
			  const unsigned char secret[CRYPTO_KEY_LEN], const unsigned char *sealed,
			  size_t len, unsigned char ret_key[CRYPTO_KEY_LEN])
{
	unsigned char wrap[CRYPTO_KEY_LEN], *key = NULL;
	size_t key_len = 0;
	enum err err = ERR_CRYPTO;

	if (len < 1 || sealed[0] != VAULT_KEY_SCHEME)
		return err;
	key_wrap_key(app, secret, wrap);
	err = crypto_open(wrap, account_id, strlen(account_id), sealed + 1, len - 1, &key,
			  &key_len);
	explicit_bzero(wrap, sizeof(wrap));
	if (err != ERR_OK)
		return err;
	if (key_len == CRYPTO_KEY_LEN)
		memcpy(ret_key, key, CRYPTO_KEY_LEN);
	else
		err = ERR_CRYPTO;
	explicit_bzero(key, key_len);
	free(key);
	return err;
}

enum err vault_key_new(const struct app *app, const char *account_id,
		       unsigned char ret_key[CRYPTO_KEY_LEN], unsigned char **ret_sealed,
		       size_t *ret_len)
{
	unsigned char key[CRYPTO_KEY_LEN], secret[CRYPTO_KEY_LEN];
	enum err err = crypto_random(key, sizeof(key));

	if (err == ERR_OK)
		err = keystore_create(app->keys, account_id, secret);
	if (err == ERR_OK)
		err = vault_key_seal(app, account_id, secret, key, ret_sealed, ret_len);
	if (err == ERR_OK)
		memcpy(ret_key, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(secret, sizeof(secret));
	return err;
}

enum err vault_key_open(const struct app *app, const char *account_id, const unsigned char *sealed,
			size_t len, unsigned char ret_key[CRYPTO_KEY_LEN])
{
	unsigned char secret[CRYPTO_KEY_LEN];
	enum err err;

	err = keystore_get(app->keys, account_id, secret);
	if (err == ERR_OK)
		err = vault_key_unseal(app, account_id, secret, sealed, len, ret_key);
	explicit_bzero(secret, sizeof(secret));
	return err;
}

/* aad = "<account id>/<what>" */
static size_t make_aad(char *aad, size_t size, const char *account_id, const char *what)
{
	int n = snprintf(aad, size, "%s/%s", account_id, what);

	return n < 0 || (size_t)n >= size ? size - 1 : (size_t)n;
}

enum err vault_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
		    const char *what, const char *value, size_t len, unsigned char **ret_out,
		    size_t *ret_len)
{
	char aad[96];
	size_t aad_len = make_aad(aad, sizeof(aad), account_id, what);

	return crypto_seal(key, aad, aad_len, value, len, ret_out, ret_len);
}

enum err vault_open(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
		    const char *what, const unsigned char *in, size_t len, char **ret_value,
		    size_t *ret_len)
{
	char aad[96];
	size_t aad_len = make_aad(aad, sizeof(aad), account_id, what);

	return crypto_open(key, aad, aad_len, in, len, (unsigned char **)ret_value, ret_len);
}

void vault_email_index(const struct app *app, const char *email, unsigned char ret_index[32])
{
	char low[EMAIL_MAX + 1];
	size_t n = strnlen(email, EMAIL_MAX);

	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)email[i]);
	low[n] = '\0';
	crypto_hmac_sha256(app->bidx_key, low, n, ret_index);
	explicit_bzero(low, sizeof(low));
}

enum err vault_open_hex(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
			const char *what, const char *hex, char **ret_value)
{
	size_t len = strlen(hex), n;
	unsigned char *sealed = malloc(len / 2 + 1);
	enum err err = sealed != NULL ? crypto_unhex(hex, len, sealed) : ERR_NOMEM;

	if (err == ERR_OK)
		err = vault_open(key, account_id, what, sealed, len / 2, ret_value, &n);
	free(sealed);
	return err;
}

void vault_wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* The public fields and the personal ones opened, in one new object. */
static enum err profile_merge(const struct sealed_account *s, const char *personal,
			      json_t **ret_profile)
{
	json_t *profile = json_loads(s->profile_public != NULL ? s->profile_public : "{}", 0, NULL);
	json_t *fields = personal != NULL ? json_loads(personal, 0, NULL) : json_object();
	enum err err = ERR_OK;

	if (!json_is_object(profile) || (personal != NULL && !json_is_object(fields)))
		err = ERR_INTERNAL; /* stored text hcpd wrote does not parse */
	else if (fields == NULL || json_object_update(profile, fields) != 0)
		err = ERR_NOMEM; /* a profile missing fields would be wrong, not short */
	json_decref(fields);
	if (err != ERR_OK) {
		json_decref(profile);
		return err;
	}
	*ret_profile = profile;
	return ERR_OK;
}

enum err vault_account_key(const struct app *app, const struct sealed_account *s,
			   unsigned char ret_key[CRYPTO_KEY_LEN])
{
	if (s->data_key == NULL || s->email_enc == NULL)
		return ERR_NOT_FOUND; /* erased */
	return vault_key_open(app, s->id, s->data_key, s->data_key_len, ret_key);
}

enum err vault_account_key_by_id(const struct app *app, PGconn *conn, const char *id,
				 unsigned char ret_key[CRYPTO_KEY_LEN])
{
	struct account_row row = {0};
	enum err err = db_account_get(conn, id, &row);

	if (err == ERR_OK)
		err = vault_account_key(app, &row.sealed, ret_key);
	account_row_release(&row);
	return err;
}

enum err vault_open_values(const unsigned char key[CRYPTO_KEY_LEN], const struct sealed_account *s,
			   char **ret_email, json_t **ret_profile)
{
	char *email = NULL, *personal = NULL;
	size_t len;
	json_t *profile = NULL;
	enum err err = ERR_OK;

	if (s->data_key == NULL || s->email_enc == NULL)
		return ERR_NOT_FOUND; /* erased */
	if (ret_email != NULL)
		err = vault_open(key, s->id, "email", s->email_enc, s->email_enc_len, &email, &len);
	if (err == ERR_OK && ret_profile != NULL && s->profile_enc != NULL)
		err = vault_open(key, s->id, "profile", s->profile_enc, s->profile_enc_len,
				 &personal, &len);
	if (err == ERR_OK && ret_profile != NULL)
		err = profile_merge(s, personal, &profile);
	vault_wipe_free(personal);
	if (err != ERR_OK) {
		vault_wipe_free(email);
		return err;
	}
	if (ret_email != NULL)
		*ret_email = email;
	if (ret_profile != NULL)
		*ret_profile = profile;
	return ERR_OK;
}

enum err vault_open_profile(const struct app *app, const struct sealed_account *s,
			    unsigned char *ret_key, char **ret_email, json_t **ret_profile)
{
	unsigned char key[CRYPTO_KEY_LEN];
	enum err err = vault_account_key(app, s, key);

	if (err == ERR_OK)
		err = vault_open_values(key, s, ret_email, ret_profile);
	if (err == ERR_OK && ret_key != NULL)
		memcpy(ret_key, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	return err;
}

enum err vault_open_account(const struct app *app, const struct sealed_account *s, json_t *body)
{
	char *email = NULL;
	json_t *profile = NULL;
	enum err err = vault_open_profile(app, s, NULL, &email, &profile);

	if (err != ERR_OK)
		return err;
	/* both calls, always: the second steals profile even when the first
	 * failed. A reply without them would be wrong, not short. */
	if (json_object_set_new(body, "email", json_string(email)) != 0)
		err = ERR_NOMEM;
	if (json_object_set_new(body, "profile", profile) != 0)
		err = ERR_NOMEM;
	vault_wipe_free(email);
	return err;
}

enum err vault_open_fields(const struct app *app, PGconn *conn, const char *id, json_t *fields,
			   json_t **ret_values)
{
	struct account_row row = {0};
	json_t *all = json_object(), *values = json_object(), *f;
	enum err err = all != NULL && values != NULL ? ERR_OK : ERR_NOMEM;
	size_t i;

	if (err == ERR_OK)
		err = db_account_get(conn, id, &row);
	if (err == ERR_OK)
		err = vault_open_account(app, &row.sealed, all);
	account_row_release(&row);
	json_array_foreach (fields, i, f) {
		const char *name = json_string_value(f);
		json_t *v = strcmp(name, "email") == 0
				    ? json_object_get(all, "email")
				    : json_object_get(json_object_get(all, "profile"), name);

		if (err == ERR_OK)
			json_object_set_new(values, name, v != NULL ? json_copy(v) : json_null());
	}
	json_decref(all);
	if (err != ERR_OK) {
		json_decref(values);
		return err;
	}
	*ret_values = values;
	return ERR_OK;
}
