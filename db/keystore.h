/*
 * keystore.h - the account secrets, in a database of their own.
 *
 * An account's data key is sealed under a key made from the master key and
 * a random 32-byte secret of that account (vault.c). The sealed key lives
 * with the account in the main database; the secret lives here, in the
 * database HCPD_KEYSTORE_URL names, which is backed up apart from the main
 * one and with a retention no longer than the erasure promise. Erasure
 * deletes the secret, so the account's values become unreadable in the
 * live database and in every backup of the main database, old ones too.
 *
 * Secrets never change once made, so each process keeps those it has read
 * in a small direct-mapped cache; a destroyed secret only leaves the cache
 * of the process that destroyed it, which is safe because the sealed
 * values leave the main database in the same erasure.
 */
#ifndef HCPD_KEYSTORE_H
#define HCPD_KEYSTORE_H

#include <libpq-fe.h>

#include "crypto.h"
#include "err.h"

struct keystore;

/* The keystore's one table; `hcpd migrate` runs it (idempotent). */
enum err keystore_migrate(PGconn *conn);

/* A pool of pool_size connections to conninfo; connects lazily. */
enum err keystore_open(const char *conninfo, int pool_size, int statement_timeout_ms,
		       int acquire_ms, struct keystore **ret_ks);
void keystore_free(struct keystore *ks);

/* ERR_OK when the keystore answers and holds its table. */
enum err keystore_ready(struct keystore *ks);

/* Makes and stores a new secret for account_id. */
enum err keystore_create(struct keystore *ks, const char *account_id,
			 unsigned char ret_secret[CRYPTO_KEY_LEN]);

/* The secret of account_id; ERR_NOT_FOUND when there is none (destroyed,
 * or an account of a restored backup erased since). */
enum err keystore_get(struct keystore *ks, const char *account_id,
		      unsigned char ret_secret[CRYPTO_KEY_LEN]);

/* Deletes the secret of account_id (none is fine). */
enum err keystore_destroy(struct keystore *ks, const char *account_id);

#endif
