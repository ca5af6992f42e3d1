/*
 * search.c - blind index keys and indexes of searchable fields (see
 * search.h). Holds no state of its own: the keys live in struct app.
 * Normalised values are wiped after use; nothing here logs a value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "bgthread.h"
#include "catalogue.h"
#include "db.h"
#include "fold.h"
#include "jsontext.h"
#include "log.h"
#include "search.h"
#include "vault.h"

#define BACKFILL_BATCH    64
#define BACKFILL_REST_MS  (3600 * 1000L) /* nothing left: every new account is indexed */
#define BACKFILL_RETRY_MS (30 * 1000L)

enum err search_keys_init(struct app *app, const unsigned char master[CRYPTO_KEY_LEN])
{
	size_t n = catalogue_search_count(app->catalogue);
	char label[96];

	if (n > SEARCH_FIELDS_MAX)
		return ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		app->search_keys[i].field = catalogue_search_field(app->catalogue, i);
		snprintf(label, sizeof(label), "hcpd blind index %s v1", app->search_keys[i].field);
		crypto_derive(master, label, app->search_keys[i].key);
	}
	app->nsearch_keys = n;
	return ERR_OK;
}

void search_keys_wipe(struct app *app)
{
	explicit_bzero(app->search_keys, sizeof(app->search_keys));
	app->nsearch_keys = 0;
}

bool search_index_of(const struct app *app, const char *field, const char *value,
		     unsigned char ret[32])
{
	char norm[FOLD_MAX];

	for (size_t i = 0; i < app->nsearch_keys; i++) {
		if (strcmp(app->search_keys[i].field, field) != 0)
			continue;
		if (!catalogue_index_value(app->catalogue, field, value, norm, sizeof(norm)))
			return false;
		crypto_hmac_sha256(app->search_keys[i].key, norm, strlen(norm), ret);
		explicit_bzero(norm, sizeof(norm));
		return true;
	}
	return false;
}

void search_index_profile(const struct app *app, json_t *profile, struct field_indexes *ret)
{
	ret->n = 0;
	for (size_t i = 0; i < app->nsearch_keys; i++) {
		const char *field = app->search_keys[i].field;
		const char *value = json_string_value(json_object_get(profile, field));

		if (value != NULL && search_index_of(app, field, value, ret->e[ret->n].bidx))
			ret->e[ret->n++].field = field;
	}
}

enum err search_index_store(const struct app *app, PGconn *conn, const char *id, json_t *profile,
			    bool check_duplicates)
{
	struct field_indexes idx;
	json_t *within = catalogue_unique_within(app->catalogue);
	char *text = within != NULL ? json_text_dump(within, JSON_COMPACT) : NULL;
	enum err err = text != NULL ? ERR_OK : ERR_NOMEM;

	search_index_profile(app, profile, &idx);
	if (err == ERR_OK)
		err = db_search_index_write(conn, id, &idx);
	if (err == ERR_OK && check_duplicates)
		err = db_identifier_duplicates(conn, id, text, NULL);
	explicit_bzero(&idx, sizeof(idx));
	free(text);
	json_decref(within);
	return err;
}

/* Indexes one account made before migration 0016: its values opened
 * first, outside the transaction (the keystore is another database). An
 * erased account has nothing to index. */
static enum err backfill_one(struct app *app, PGconn *conn, const struct sealed_account *s)
{
	json_t *profile = NULL;
	enum err err = vault_open_profile(app, s, NULL, NULL, &profile);

	/* erased meanwhile, or values that do not open (damaged): nothing to
	 * find it by, and it is marked indexed so the pass moves on */
	if (err == ERR_NOT_FOUND || err == ERR_CRYPTO)
		err = (profile = json_object()) != NULL ? ERR_OK : ERR_NOMEM;
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = db_end(conn, search_index_store(app, conn, s->id, profile, true));
	json_decref(profile);
	return err;
}

enum err search_backfill_batch(struct app *app, PGconn *conn, size_t *ret_done)
{
	struct sealed_account batch[BACKFILL_BATCH];
	size_t n = 0, done = 0;
	enum err err = db_search_unindexed(conn, BACKFILL_BATCH, batch, &n);

	for (size_t i = 0; i < n; i++) {
		if (err == ERR_OK)
			err = backfill_one(app, conn, &batch[i]);
		if (err == ERR_OK)
			done++;
		sealed_account_release(&batch[i]);
	}
	if (err == ERR_OK)
		*ret_done = done;
	return err;
}

static long backfill_pass(void *arg)
{
	struct app *app = arg;
	size_t done = 0;
	PGconn *conn;
	enum err err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = search_backfill_batch(app, conn, &done);
		db_release(app->db, conn);
	}
	if (err != ERR_OK) {
		log_json(LOG_WARN, "search index pass failed",
			 json_pack("{s:s}", "error", err_name(err)));
		return BACKFILL_RETRY_MS;
	}
	if (done > 0)
		log_json(LOG_INFO, "search indexes added",
			 json_pack("{s:I}", "accounts", (json_int_t)done));
	return done > 0 ? 0 : BACKFILL_REST_MS;
}

enum err search_backfill_start(struct app *app, struct bgthread **ret_thread)
{
	return bgthread_start(backfill_pass, app, ret_thread);
}
