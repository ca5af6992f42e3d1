/*
 * test_vault.c - unit tests for services/vault.c: data keys sealed under
 * the master key and the account's keystore secret and bound to their
 * account, values bound to account and name, and the email blind index. A zeroed struct app with
 * keys derived from a fixed master key stands in for the process state.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "harness.h"
#include "vault.h"

static const unsigned char master_a[CRYPTO_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const char account_1[] = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
static const char account_2[] = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";

static const unsigned char secret_1[CRYPTO_KEY_LEN] = {7, 7, 7};

static struct app app_a, app_b;

/* vault_key_new() with secret_1 instead of the keystore. */
static enum err key_new(const struct app *app, const char *id, unsigned char key[CRYPTO_KEY_LEN],
			unsigned char **sealed, size_t *len)
{
	enum err err = crypto_random(key, CRYPTO_KEY_LEN);

	return err == ERR_OK ? vault_key_seal(app, id, secret_1, key, sealed, len) : err;
}

static void init_apps(void)
{
	unsigned char master_b[CRYPTO_KEY_LEN];

	memset(&app_a, 0, sizeof(app_a));
	memset(&app_b, 0, sizeof(app_b));
	vault_init(&app_a, master_a);
	memcpy(master_b, master_a, sizeof(master_b));
	master_b[0] ^= 0x80;
	vault_init(&app_b, master_b);
}

TEST(init_derives_distinct_keys)
{
	static const unsigned char zero[CRYPTO_KEY_LEN];

	CHECK(memcmp(app_a.wrap_key, zero, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.bidx_key, zero, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.idem_key, zero, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.wrap_key, app_a.bidx_key, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.wrap_key, app_a.idem_key, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.bidx_key, app_a.idem_key, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.wrap_key, master_a, CRYPTO_KEY_LEN) != 0);
	CHECK(memcmp(app_a.wrap_key, app_b.wrap_key, CRYPTO_KEY_LEN) != 0);
}

TEST(data_key_round_trip)
{
	unsigned char key[CRYPTO_KEY_LEN], opened[CRYPTO_KEY_LEN], key2[CRYPTO_KEY_LEN];
	unsigned char *sealed = NULL, *sealed2 = NULL;
	size_t len = 0, len2 = 0;

	CHECK(key_new(&app_a, account_1, key, &sealed, &len) == ERR_OK);
	CHECK(sealed != NULL && len == 1 + CRYPTO_KEY_LEN + CRYPTO_SEAL_OVERHEAD);
	CHECK(sealed != NULL && sealed[0] == VAULT_KEY_SCHEME);
	if (sealed == NULL)
		return;
	memset(opened, 0, sizeof(opened));
	CHECK(vault_key_unseal(&app_a, account_1, secret_1, sealed, len, opened) == ERR_OK);
	CHECK(memcmp(key, opened, CRYPTO_KEY_LEN) == 0);
	/* the sealed form does not hold the clear key */
	CHECK(memmem(sealed, len, key, CRYPTO_KEY_LEN) == NULL);
	/* every new key is random */
	CHECK(key_new(&app_a, account_1, key2, &sealed2, &len2) == ERR_OK);
	CHECK(memcmp(key, key2, CRYPTO_KEY_LEN) != 0);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(key2, sizeof(key2));
	explicit_bzero(opened, sizeof(opened));
	free(sealed);
	free(sealed2);
}

TEST(data_key_bound_to_account_and_master)
{
	unsigned char key[CRYPTO_KEY_LEN], opened[CRYPTO_KEY_LEN];
	unsigned char *sealed = NULL;
	size_t len = 0;

	CHECK(key_new(&app_a, account_1, key, &sealed, &len) == ERR_OK);
	if (sealed == NULL)
		return;
	memset(opened, 0x5a, sizeof(opened));
	CHECK(vault_key_unseal(&app_a, account_2, secret_1, sealed, len, opened) == ERR_CRYPTO);
	CHECK(vault_key_unseal(&app_b, account_1, secret_1, sealed, len, opened) == ERR_CRYPTO);
	/* another secret (the keystore's for another account) fails */
	{
		unsigned char secret_2[CRYPTO_KEY_LEN] = {7, 7, 8};

		CHECK(vault_key_unseal(&app_a, account_1, secret_2, sealed, len, opened) ==
		      ERR_CRYPTO);
	}
	/* ret_key is left untouched on failure */
	for (size_t i = 0; i < sizeof(opened); i++)
		CHECK(opened[i] == 0x5a);
	/* any changed byte fails */
	sealed[len / 2] ^= 1;
	CHECK(vault_key_unseal(&app_a, account_1, secret_1, sealed, len, opened) == ERR_CRYPTO);
	sealed[len / 2] ^= 1;
	CHECK(vault_key_unseal(&app_a, account_1, secret_1, sealed, len - 1, opened) == ERR_CRYPTO);
	/* another scheme byte */
	sealed[0] ^= 1;
	CHECK(vault_key_unseal(&app_a, account_1, secret_1, sealed, len, opened) == ERR_CRYPTO);
	sealed[0] ^= 1;
	/* shorter than nonce and tag */
	CHECK(vault_key_unseal(&app_a, account_1, secret_1, sealed, CRYPTO_SEAL_OVERHEAD - 1,
			       opened) != ERR_OK);
	CHECK(vault_key_unseal(&app_a, account_1, secret_1, sealed, len, opened) == ERR_OK);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(opened, sizeof(opened));
	free(sealed);
}

TEST(value_round_trip)
{
	unsigned char key[CRYPTO_KEY_LEN], *sealed = NULL, *sealed_empty = NULL;
	size_t len = 0, vlen = 0, elen = 0;
	char *value = NULL;
	static const char profile[] = "{\"given_name\":\"Ana\",\"npi\":\"1234567893\"}";

	CHECK(key_new(&app_a, account_1, key, &sealed, &len) == ERR_OK);
	free(sealed);
	sealed = NULL;
	CHECK(vault_seal(key, account_1, "profile", profile, strlen(profile), &sealed, &len) ==
	      ERR_OK);
	CHECK(sealed != NULL && len == strlen(profile) + CRYPTO_SEAL_OVERHEAD);
	if (sealed == NULL)
		return;
	CHECK(memmem(sealed, len, "Ana", 3) == NULL);
	CHECK(vault_open(key, account_1, "profile", sealed, len, &value, &vlen) == ERR_OK);
	CHECK(value != NULL && vlen == strlen(profile));
	if (value != NULL) {
		CHECK(memcmp(value, profile, vlen) == 0);
		CHECK(value[vlen] == '\0'); /* crypto_open adds a NUL for text */
	}
	free(value);
	/* an empty value seals and opens too */
	value = NULL;
	CHECK(vault_seal(key, account_1, "email", "", 0, &sealed_empty, &elen) == ERR_OK);
	CHECK(vault_open(key, account_1, "email", sealed_empty, elen, &value, &vlen) == ERR_OK);
	CHECK(vlen == 0);
	free(value);
	free(sealed_empty);
	free(sealed);
	explicit_bzero(key, sizeof(key));
}

TEST(value_bound_to_name_account_and_key)
{
	unsigned char key[CRYPTO_KEY_LEN], other[CRYPTO_KEY_LEN], *sealed = NULL, *s2 = NULL;
	size_t len = 0, vlen = 0, len2 = 0;
	char *value = NULL;

	CHECK(key_new(&app_a, account_1, key, &sealed, &len) == ERR_OK);
	free(sealed);
	CHECK(key_new(&app_a, account_1, other, &s2, &len2) == ERR_OK);
	free(s2);
	sealed = NULL;
	CHECK(vault_seal(key, account_1, "email", "ana@example.org", 15, &sealed, &len) == ERR_OK);
	if (sealed == NULL)
		return;
	CHECK(vault_open(key, account_1, "profile", sealed, len, &value, &vlen) == ERR_CRYPTO);
	CHECK(value == NULL);
	CHECK(vault_open(key, account_2, "email", sealed, len, &value, &vlen) == ERR_CRYPTO);
	CHECK(vault_open(other, account_1, "email", sealed, len, &value, &vlen) == ERR_CRYPTO);
	/* "<account>/<what>" must not be split another way */
	CHECK(vault_open(key, account_1, "emai", sealed, len, &value, &vlen) == ERR_CRYPTO);
	CHECK(value == NULL);
	CHECK(vault_open(key, account_1, "email", sealed, len, &value, &vlen) == ERR_OK);
	CHECK(value != NULL && vlen == 15 && memcmp(value, "ana@example.org", 15) == 0);
	free(value);
	free(sealed);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(other, sizeof(other));
}

TEST(email_index)
{
	unsigned char a[32], b[32], c[32], d[32], e[32];

	vault_email_index(&app_a, "Ana@Example.org", a);
	vault_email_index(&app_a, "ana@example.org", b);
	vault_email_index(&app_a, "ANA@EXAMPLE.ORG", c);
	CHECK(memcmp(a, b, 32) == 0);
	CHECK(memcmp(a, c, 32) == 0);
	vault_email_index(&app_a, "ana@example.com", d);
	CHECK(memcmp(a, d, 32) != 0);
	vault_email_index(&app_a, "bob@example.org", d);
	CHECK(memcmp(a, d, 32) != 0);
	/* another master key, another index */
	vault_email_index(&app_b, "ana@example.org", e);
	CHECK(memcmp(a, e, 32) != 0);
	/* deterministic */
	vault_email_index(&app_a, "ana@example.org", d);
	CHECK(memcmp(b, d, 32) == 0);
}

TEST(email_index_is_not_plain_hash)
{
	unsigned char idx[32], digest[32];

	/* keyed: not SHA-256 of the address, and not its HMAC under the master */
	vault_email_index(&app_a, "ana@example.org", idx);
	crypto_sha256("ana@example.org", 15, digest);
	CHECK(memcmp(idx, digest, 32) != 0);
	crypto_hmac_sha256(master_a, "ana@example.org", 15, digest);
	CHECK(memcmp(idx, digest, 32) != 0);
	crypto_hmac_sha256(app_a.bidx_key, "ana@example.org", 15, digest);
	CHECK(memcmp(idx, digest, 32) == 0);
}

int main(void)
{
	init_apps();
	RUN(init_derives_distinct_keys);
	RUN(data_key_round_trip);
	RUN(data_key_bound_to_account_and_master);
	RUN(value_round_trip);
	RUN(value_bound_to_name_account_and_key);
	RUN(email_index);
	RUN(email_index_is_not_plain_hash);
	return harness_done();
}
