/*
 * recipients.h - the recipients file (services/recipients.json,
 * HCPD_RECIPIENTS_FILE): the third parties that are not verifiers
 * (advertisers, CME sponsors, accreditors, authorities) and their current
 * limited-use terms. Verifier recipients come from their own definitions.
 *
 * The file is validated strictly at start-up - an unknown key, a field
 * outside the catalogue, a bad date stops start-up naming the file and
 * the key - and is read-only afterwards. ledger_sync_recipients() stores
 * what it holds.
 */
#ifndef HCPD_RECIPIENTS_H
#define HCPD_RECIPIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"
#include "ledger.h"

struct catalogue;
struct recipients;

/* Loads and validates path against cat. On ERR_INVALID or ERR_IO, why
 * (why_len bytes) names the file and the key at fault. */
enum err recipients_load(const char *path, const struct catalogue *cat, struct recipients **ret_set,
			 char *why, size_t why_len);

/* The same from a parsed document (steals doc); name is used in messages.
 * For tests. */
enum err recipients_from_json(json_t *doc, const char *name, const struct catalogue *cat,
			      struct recipients **ret_set, char *why, size_t why_len);

/* Accepts NULL. */
void recipients_free(struct recipients *set);

/* The recipients, borrowed from set, in file order. */
const struct recipient_def *recipients_defs(const struct recipients *set, size_t *ret_n);

/* Checks one "terms" object (the recipients file's and a verifier
 * definition's) into t: fields must have room for its allowed_fields,
 * whose names t then borrows from terms. On false, *ret_bad names the key
 * at fault and *ret_rule what it must be (static strings). */
bool recipients_parse_terms(json_t *terms, const struct catalogue *cat, const char **fields,
			    struct recipient_terms_def *t, const char **ret_bad,
			    const char **ret_rule);

struct app;

/* Stores app->recipients and the recipients of app->verifiers' remote
 * verifiers with ledger_sync_recipients() once: sets
 * app->recipients_synced on success, and is a no-op afterwards.
 * ERR_UNAVAILABLE while the database cannot be reached or its migrations
 * are not current (try again later: /readyz does); any other error
 * (ERR_CONFLICT, ERR_INVALID, ERR_DB) is explained in why. Thread-safe.
 * Blocks. */
enum err recipients_sync_app(struct app *app, char *why, size_t why_len);

/* May name be disclosed: a catalogue field, or "email" (the account's
 * address, kept apart from the profile)? */
bool ledger_field_known(const struct catalogue *cat, const char *name);

/* Parses "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ" into Unix
 * seconds. ERR_INVALID for anything else. Pure. */
enum err recipients_parse_time(const char *s, long long *ret_seconds);

#endif
