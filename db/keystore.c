/*
 * keystore.c - account secrets (see keystore.h). Never logs: an id with a
 * secret is exactly what must not leave.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "db.h"
#include "keystore.h"

#define CACHE_SLOTS 4096 /* about 300 KiB */

struct slot {
	char id[UUID_STR_LEN]; /* "" when empty */
	unsigned char secret[CRYPTO_KEY_LEN];
};

struct keystore {
	struct db_pool *pool;
	int acquire_ms;
	pthread_mutex_t lock; /* the cache */
	struct slot cache[CACHE_SLOTS];
};

enum err keystore_migrate(PGconn *conn)
{
	/* two CREATE TABLE IF NOT EXISTS at once can both try: take turns */
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_command(conn, "SELECT pg_advisory_xact_lock(hashtext('hcpd keystore'))");
	if (err == ERR_OK)
		err = db_command(conn, "CREATE TABLE IF NOT EXISTS account_keys ("
				       "account_id uuid PRIMARY KEY, "
				       "secret bytea NOT NULL CHECK (length(secret) = 32), "
				       "created_at timestamptz NOT NULL DEFAULT now())");
	return db_end(conn, err);
}

enum err keystore_open(const char *conninfo, int pool_size, int statement_timeout_ms,
		       int acquire_ms, struct keystore **ret_ks)
{
	struct keystore *ks = calloc(1, sizeof(*ks));
	enum err err = ks != NULL ? ERR_OK : ERR_NOMEM;

	if (err == ERR_OK)
		err = db_pool_new(conninfo, pool_size, statement_timeout_ms, &ks->pool);
	if (err != ERR_OK) {
		free(ks);
		return err;
	}
	ks->acquire_ms = acquire_ms;
	pthread_mutex_init(&ks->lock, NULL);
	*ret_ks = ks;
	return ERR_OK;
}

void keystore_free(struct keystore *ks)
{
	if (ks == NULL)
		return;
	db_pool_free(ks->pool);
	pthread_mutex_destroy(&ks->lock);
	explicit_bzero(ks->cache, sizeof(ks->cache));
	free(ks);
}

static struct slot *slot_of(struct keystore *ks, const char *id)
{
	return &ks->cache[db_fnv1a(id) % CACHE_SLOTS];
}

static void cache_put(struct keystore *ks, const char *id, const unsigned char *secret)
{
	struct slot *s;

	pthread_mutex_lock(&ks->lock);
	s = slot_of(ks, id);
	snprintf(s->id, sizeof(s->id), "%s", id);
	memcpy(s->secret, secret, CRYPTO_KEY_LEN);
	pthread_mutex_unlock(&ks->lock);
}

static void cache_drop(struct keystore *ks, const char *id)
{
	struct slot *s;

	pthread_mutex_lock(&ks->lock);
	s = slot_of(ks, id);
	if (strcmp(s->id, id) == 0)
		explicit_bzero(s, sizeof(*s));
	pthread_mutex_unlock(&ks->lock);
}

/* Runs one statement on a pooled connection. */
static enum err run(struct keystore *ks, const char *sql, int n, const char *const *params,
		    const int *lengths, const int *formats, PGresult **ret_res)
{
	PGconn *conn = NULL;
	enum err err = db_acquire(ks->pool, ks->acquire_ms, &conn);

	if (err == ERR_OK)
		err = db_exec(conn, sql, n, params, lengths, formats, ret_res);
	db_release(ks->pool, conn);
	return err;
}

enum err keystore_ready(struct keystore *ks)
{
	return run(ks, "SELECT 1 FROM account_keys LIMIT 0", 0, NULL, NULL, NULL, NULL);
}

enum err keystore_create(struct keystore *ks, const char *account_id,
			 unsigned char ret_secret[CRYPTO_KEY_LEN])
{
	unsigned char secret[CRYPTO_KEY_LEN];
	const char *params[2] = {account_id, (const char *)secret};
	const int lengths[2] = {0, CRYPTO_KEY_LEN}, formats[2] = {0, 1};
	enum err err = crypto_random(secret, sizeof(secret));

	if (err == ERR_OK)
		err = run(ks, "INSERT INTO account_keys (account_id, secret) VALUES ($1, $2)", 2,
			  params, lengths, formats, NULL);
	if (err == ERR_OK) {
		cache_put(ks, account_id, secret);
		memcpy(ret_secret, secret, sizeof(secret));
	}
	explicit_bzero(secret, sizeof(secret));
	return err;
}

enum err keystore_get(struct keystore *ks, const char *account_id,
		      unsigned char ret_secret[CRYPTO_KEY_LEN])
{
	const char *params[1] = {account_id};
	unsigned char *secret = NULL;
	size_t len = 0;
	PGresult *res = NULL;
	struct slot *s;
	enum err err;

	pthread_mutex_lock(&ks->lock);
	s = slot_of(ks, account_id);
	if (strcmp(s->id, account_id) == 0) {
		memcpy(ret_secret, s->secret, CRYPTO_KEY_LEN);
		pthread_mutex_unlock(&ks->lock);
		return ERR_OK;
	}
	pthread_mutex_unlock(&ks->lock);
	err = run(ks, "SELECT secret FROM account_keys WHERE account_id = $1", 1, params, NULL,
		  NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	else
		err = db_cell_bytes(res, 0, 0, &secret, &len);
	if (err == ERR_OK && len != CRYPTO_KEY_LEN)
		err = ERR_CRYPTO;
	if (err == ERR_OK) {
		cache_put(ks, account_id, secret);
		memcpy(ret_secret, secret, CRYPTO_KEY_LEN);
	}
	if (secret != NULL) {
		explicit_bzero(secret, len);
		PQfreemem(secret);
	}
	PQclear(res);
	return err;
}

enum err keystore_destroy(struct keystore *ks, const char *account_id)
{
	const char *params[1] = {account_id};

	cache_drop(ks, account_id);
	return run(ks, "DELETE FROM account_keys WHERE account_id = $1", 1, params, NULL, NULL,
		   NULL);
}
