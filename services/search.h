/*
 * search.h - blind indexes of the searchable profile fields (the
 * catalogue's "searchable" and "identifier" fields): their keys, the
 * index of a value, an account's indexes, and the start-up pass that
 * indexes accounts made before migration 0016.
 *
 * Each field has its own key, crypto_derive(master, "hcpd blind index
 * <field> v1"), never the email index's: an index of one field says
 * nothing about the same text in another. The index is an HMAC-SHA-256
 * of the value as catalogue_index_value() normalises it, so a search is
 * an exact match after folding case, accents and separators - a near
 * miss finds nothing. Indexes are as sensitive as a keyed hash of a
 * guessable value can be: with the master key, a guess can be checked;
 * without it, not.
 */
#ifndef HCPD_SEARCH_H
#define HCPD_SEARCH_H

#include <stdbool.h>
#include <jansson.h>

#include "accounts_search.h"
#include "crypto.h"
#include "err.h"

struct app;
struct bgthread;

/* Derives the key of each searchable field of app->catalogue into app.
 * ERR_INVALID when the catalogue declares more than SEARCH_FIELDS_MAX. */
enum err search_keys_init(struct app *app, const unsigned char master[CRYPTO_KEY_LEN]);

/* Wipes the keys. */
void search_keys_wipe(struct app *app);

/* The index of value of searchable field into ret; false when field is
 * not searchable or value normalises to nothing. Pure. */
bool search_index_of(const struct app *app, const char *field, const char *value,
		     unsigned char ret[32]);

/* The indexes of every searchable field profile (public and personal
 * fields together) has, into *ret. Pure. */
void search_index_profile(const struct app *app, json_t *profile, struct field_indexes *ret);

/* Writes account id's indexes of profile and, with check_duplicates
 * (an identifier was given or changed), runs the duplicate identifier
 * check (db_identifier_duplicates()), in the caller's transaction.
 * Blocks. */
enum err search_index_store(const struct app *app, PGconn *conn, const char *id, json_t *profile,
			    bool check_duplicates);

/* Starts the thread that indexes accounts not indexed yet, a batch at a
 * time (each account's values opened outside any transaction), then
 * rests. ERR_NOMEM. */
enum err search_backfill_start(struct app *app, struct bgthread **ret_thread);

/* One batch of that pass: *ret_done accounts indexed (0: none left).
 * Blocks. */
enum err search_backfill_batch(struct app *app, PGconn *conn, size_t *ret_done);

#endif
