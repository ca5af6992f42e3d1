/*
 * profile.h - opens an account's sealed email and profile: the one place
 * that turns a stored account row back into the professional's data, for
 * GET /v1/me, rectification and export; and the current consents a
 * history adds up to. Never logs.
 */
#ifndef HCPD_PROFILE_H
#define HCPD_PROFILE_H

#include <jansson.h>

#include "accounts.h"
#include "crypto.h"
#include "err.h"

struct app;

/* Opens row's data key, email and personal fields, and merges those
 * fields with profile_public into one profile object. ERR_NOT_FOUND for an
 * erased account (no data key), ERR_CRYPTO when a value does not open.
 * On ERR_OK: *ret_email is malloc'd (wipe it with explicit_bzero, then
 * free), *ret_profile a new reference, and when ret_key is non-NULL it
 * holds the clear data key (wipe it after use). Nothing is set on error. */
enum err profile_open(const struct app *app, const char *id, const struct account_row *row,
		      unsigned char *ret_key, char **ret_email, json_t **ret_profile);

struct catalogue;

/* The current state of every catalogue consent purpose from a consent
 * history (db_consent_history(), oldest first): {purpose: granted}, false
 * for a purpose never recorded. A new reference, or NULL without memory. */
json_t *profile_consents_current(const struct catalogue *cat, json_t *history);

/* Wipes and frees a string from profile_open(). Accepts NULL. */
void profile_wipe_free(char *s);

#endif
