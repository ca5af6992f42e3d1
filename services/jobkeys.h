/*
 * jobkeys.h - the data keys of the accounts whose verification jobs a
 * claim is about to take, opened before the claim's transaction begins:
 * the keystore is another database, never read inside a transaction
 * (issue 17). An account's data key never changes while it lives, so a
 * key opened just before BEGIN opens the values the claim then reads.
 */
#ifndef HCPD_JOBKEYS_H
#define HCPD_JOBKEYS_H

#include <stddef.h>
#include <libpq-fe.h>

#include "crypto.h"
#include "jobs.h"

struct app;

/* One account's key, or why it does not open (ERR_NOT_FOUND: erased;
 * ERR_CRYPTO: it does not open). */
struct jobkey {
	char account_id[UUID_STR_LEN];
	unsigned char key[CRYPTO_KEY_LEN];
	enum err err;
};

struct jobkeys {
	struct jobkey *k;
	size_t n;
};

/* Opens the keys of the accounts of up to want due jobs of verifier on
 * conn, outside any transaction, into *ret (zeroed by the caller). A key
 * that does not open is kept with its error; ERR_UNAVAILABLE when the
 * keystore cannot be reached, and the database's own errors, fail it.
 * Release *ret with jobkeys_release() in any case. Blocks. */
enum err jobkeys_open(const struct app *app, PGconn *conn, const char *verifier, int want,
		      struct jobkeys *ret);

/* Wipes and frees the keys. */
void jobkeys_release(struct jobkeys *keys);

/* The key opened for jc's account; NULL when its job became due after the
 * keys were opened (it waits for the next claim). */
const struct jobkey *jobkeys_find(const struct jobkeys *keys, const struct job_claim *jc);

/* Moves the claimed jobs whose keys were opened to the front and returns
 * how many there are; the others are left for the next claim. */
size_t jobkeys_front(const struct jobkeys *keys, struct job_claim *jobs, size_t n);

#endif
