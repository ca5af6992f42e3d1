/*
 * vault.h - encryption at rest for personal fields.
 *
 * Each account has its own random data key; values are sealed with it
 * (AES-256-GCM, aad = account id and the value's name, so a ciphertext
 * moved to another row or column fails to open). The data key is stored
 * with the account (accounts.data_key), sealed under HMAC(wrap key, the
 * account's secret): the wrap key comes from the master key, the secret
 * from the keystore (db/keystore.h), a database backed up apart. Erasure
 * destroys the secret, so a dump or backup of the main database, taken
 * before or after, no longer opens the account's values.
 * Emails are found through a blind index: HMAC-SHA-256
 * of the lower-cased address under another derived key.
 */
#ifndef HCPD_VAULT_H
#define HCPD_VAULT_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "crypto.h"
#include "err.h"

struct app;

/* Derives the wrap, blind-index, idempotency, unsubscribe, throttle and
 * note (staff reasons about no account: a recipient's suspension) and
 * suppression-list keys into app from the master
 * key, which the caller then wipes. */
void vault_init(struct app *app, const unsigned char master[CRYPTO_KEY_LEN]);

/* The first byte of a data key sealed with a keystore secret. */
#define VAULT_KEY_SCHEME 2

/* Makes a new data key for account_id and its secret in the keystore: the
 * clear key into ret_key (wipe it with explicit_bzero after use) and the
 * sealed form, malloc'd, to store with the account. */
enum err vault_key_new(const struct app *app, const char *account_id,
		       unsigned char ret_key[CRYPTO_KEY_LEN], unsigned char **ret_sealed,
		       size_t *ret_len);

/* Opens a stored data key with the account's secret from the keystore.
 * ERR_NOT_FOUND when the secret is gone (erased), ERR_CRYPTO when the key
 * does not open, ERR_UNAVAILABLE when the keystore cannot be reached. */
enum err vault_key_open(const struct app *app, const char *account_id, const unsigned char *sealed,
			size_t len, unsigned char ret_key[CRYPTO_KEY_LEN]);

/* vault_key_new() and vault_key_open() with the secret given: no keystore. */
enum err vault_key_seal(const struct app *app, const char *account_id,
			const unsigned char secret[CRYPTO_KEY_LEN],
			const unsigned char key[CRYPTO_KEY_LEN], unsigned char **ret_sealed,
			size_t *ret_len);
enum err vault_key_unseal(const struct app *app, const char *account_id,
			  const unsigned char secret[CRYPTO_KEY_LEN], const unsigned char *sealed,
			  size_t len, unsigned char ret_key[CRYPTO_KEY_LEN]);

/* Seals / opens one value named what ("email", "profile") of account_id. */
enum err vault_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
		    const char *what, const char *value, size_t len, unsigned char **ret_out,
		    size_t *ret_len);
enum err vault_open(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
		    const char *what, const unsigned char *in, size_t len, char **ret_value,
		    size_t *ret_len);

struct sealed_account;

/* Opens the account's data key (db/accounts.h's sealed values) into
 * ret_key (wipe it with explicit_bzero after use). Reads the keystore,
 * another database: call it before a transaction begins, never inside
 * one (a data key never changes while the account lives, so a key opened
 * before BEGIN opens the values read after it). ERR_NOT_FOUND when the
 * account is erased, ERR_CRYPTO when the key does not open,
 * ERR_UNAVAILABLE when the keystore cannot be reached. Blocks. */
enum err vault_account_key(const struct app *app, const struct sealed_account *s,
			   unsigned char ret_key[CRYPTO_KEY_LEN]);

/* vault_account_key() of account id, read on conn first: for a handler
 * about to begin a transaction that opens the account's values. Call it
 * outside any transaction. Blocks. */
enum err vault_account_key_by_id(const struct app *app, PGconn *conn, const char *id,
				 unsigned char ret_key[CRYPTO_KEY_LEN]);

/* The one opener of an account's sealed values, with its clear data key
 * (vault_account_key()), each part only when asked for (a NULL ret_ is not
 * opened): *ret_email the address (malloc'd: free it with
 * vault_wipe_free()), *ret_profile a new object of the public and personal
 * fields together. ERR_NOT_FOUND when the account is erased, ERR_CRYPTO
 * when a value does not open. Nothing is set on error. Pure: no I/O. */
enum err vault_open_values(const unsigned char key[CRYPTO_KEY_LEN], const struct sealed_account *s,
			   char **ret_email, json_t **ret_profile);

/* vault_account_key() then vault_open_values(), outside any transaction;
 * ret_key (may be NULL) keeps the clear data key. */
enum err vault_open_profile(const struct app *app, const struct sealed_account *s,
			    unsigned char *ret_key, char **ret_email, json_t **ret_profile);

/* vault_open_profile() into body: "email" (a string) and "profile". */
enum err vault_open_account(const struct app *app, const struct sealed_account *s, json_t *body);

/* vault_open() of a value PostgreSQL hands over as hex (encode(x, 'hex'),
 * e.g. inside a JSON text): *ret_value is NUL-terminated, malloc'd (free
 * it with vault_wipe_free()). ERR_INVALID for text that is not hex,
 * ERR_CRYPTO when it does not open. */
enum err vault_open_hex(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
			const char *what, const char *hex, char **ret_value);

/* Wipes an opened value (a NUL-terminated string) and frees it. Accepts
 * NULL. */
void vault_wipe_free(char *s);

/* Opens the fields named in fields (a JSON array of names: "email" or a
 * profile field) of account id into *ret_values, an object name -> value
 * (null for a field the account holds no value for). ERR_NOT_FOUND for
 * an erased or unknown account. Blocks. */
enum err vault_open_fields(const struct app *app, PGconn *conn, const char *id, json_t *fields,
			   json_t **ret_values);

/* The blind index of an email address (case-insensitive). */
void vault_email_index(const struct app *app, const char *email, unsigned char ret_index[32]);

#endif
