/*
 * jobkeys.c - a claim's data keys, opened before its transaction (see
 * jobkeys.h). Owns the clear keys it opens, wiped on release.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "jobkeys.h"
#include "vault.h"

enum err jobkeys_open(const struct app *app, PGconn *conn, const char *verifier, int want,
		      struct jobkeys *ret)
{
	struct sealed_account *accounts = NULL;
	size_t n = 0;
	enum err err = db_jobs_due_accounts(conn, verifier, want, &accounts, &n);

	if (err == ERR_OK && n > 0 && (ret->k = calloc(n, sizeof(*ret->k))) == NULL)
		err = ERR_NOMEM;
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		struct jobkey *k = &ret->k[ret->n++];

		snprintf(k->account_id, sizeof(k->account_id), "%s", accounts[i].id);
		k->err = vault_account_key(app, &accounts[i], k->key);
		if (k->err == ERR_UNAVAILABLE || k->err == ERR_NOMEM)
			err = k->err; /* the keystore is away: the claim waits */
	}
	sealed_accounts_free(accounts, n);
	return err;
}

void jobkeys_release(struct jobkeys *keys)
{
	if (keys->k != NULL)
		explicit_bzero(keys->k, keys->n * sizeof(*keys->k));
	free(keys->k);
	keys->k = NULL;
	keys->n = 0;
}

const struct jobkey *jobkeys_find(const struct jobkeys *keys, const struct job_claim *jc)
{
	for (size_t i = 0; i < keys->n; i++)
		if (strcmp(keys->k[i].account_id, jc->account.id) == 0)
			return &keys->k[i];
	return NULL;
}

size_t jobkeys_front(const struct jobkeys *keys, struct job_claim *jobs, size_t n)
{
	size_t ready = 0;

	for (size_t i = 0; i < n; i++)
		if (jobkeys_find(keys, &jobs[i]) != NULL) {
			struct job_claim t = jobs[ready];

			jobs[ready++] = jobs[i];
			jobs[i] = t;
		}
	return ready;
}
