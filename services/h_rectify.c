/*
 * h_rectify.c - PATCH /v1/me: rectification of the caller's profile.
 *
 * The body is {"profile": {...}, "locale": "nl"}, one or both (issue 24:
 * locale is the language of the account's mail). profile is a JSON merge
 * patch of the profile: a field given replaces the stored one, a null
 * removes it. The merged profile is checked by the catalogue exactly as
 * registration's (so a required field cannot be removed and an unknown one
 * is a 422), sealed
 * again with the account's data key and stored, all inside one
 * transaction that holds the account row. When a field of the catalogue's
 * reverify_fields (names, licence fields) changed, the account goes back
 * to pending_verification and the applicable verifiers run again. The
 * audit log records which fields changed, never their values.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "audit.h"
#include "catalogue.h"
#include "db.h"
#include "handlers.h"
#include "i18n.h"
#include "jsonbody.h"
#include "jobs.h"
#include "jsontext.h"
#include "privacy.h"
#include "problem.h"
#include "search.h"
#include "verdict.h"
#include "vault.h"

/* The names of fields whose presence or value differs between a and b. */
static json_t *changed_fields(json_t *a, json_t *b)
{
	json_t *names = json_array(), *v;
	const char *key;

	json_object_foreach (a, key, v) {
		if (!json_equal(v, json_object_get(b, key)))
			json_array_append_new(names, json_string(key));
	}
	json_object_foreach (b, key, v) {
		if (json_object_get(a, key) == NULL)
			json_array_append_new(names, json_string(key));
	}
	return names;
}

/* A rectification of a name or licence field starts a new verification
 * round, in the caller's transaction (so the profile, the status and the
 * jobs commit together): verdict_reverify() for the new profile. */
static enum err reverify_round(struct app *app, PGconn *conn, const char *id, const char *status,
			       json_t *profile)
{
	enum account_status from;

	if (!status_parse(status, &from))
		return ERR_DB;
	return verdict_reverify(app, conn, id, from, "rectification", OCCASION_RECTIFICATION,
				json_string_value(json_object_get(profile, "country")),
				json_string_value(json_object_get(profile, "profession")));
}

/* The stored profile with patch applied (null removes a field). */
static json_t *merge(json_t *stored, json_t *patch)
{
	json_t *merged = json_deep_copy(stored), *v;
	const char *key;

	json_object_foreach (patch, key, v) {
		if (merged == NULL)
			break;
		if (json_is_null(v))
			json_object_del(merged, key);
		else
			json_object_set(merged, key, v);
	}
	return merged;
}

/* Seals personal with key and stores it with public. */
static enum err store(struct app *app, PGconn *conn, const char *id, const unsigned char *key,
		      json_t *personal, json_t *public)
{
	char *personal_text = json_text_dump(personal, JSON_COMPACT | JSON_SORT_KEYS);
	char *public_text = json_text_dump(public, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char *sealed = NULL;
	size_t len = 0;
	enum err err = ERR_NOMEM;

	if (personal_text != NULL && public_text != NULL)
		err = vault_seal(key, id, "profile", personal_text, strlen(personal_text), &sealed,
				 &len);
	if (err == ERR_OK)
		err = db_profile_store(conn, id, sealed, len, public_text,
				       catalogue_version(app->catalogue));
	vault_wipe_free(personal_text);
	free(public_text);
	free(sealed);
	return err;
}

/* Inside the transaction, with the account's data key opened before it:
 * merges, checks, seals, stores, audits. Problems with the patch go to
 * errors, and then nothing is stored. */
static enum err rectify(struct req *r, PGconn *conn, const unsigned char key[CRYPTO_KEY_LEN],
			json_t *patch, const char *locale, json_t *errors, json_t **ret_reply)
{
	struct app *app = r->app;
	const char *id = r->auth.sub;
	struct account_row row = {0};
	char *email = NULL;
	json_t *stored = NULL, *merged = NULL, *personal = json_object(), *public = json_object();
	json_t *profile = NULL, *changed = NULL, *name;
	bool reverify = false, reindex = false, identifier = false;
	enum account_status now = STATUS_PENDING_VERIFICATION;
	size_t i;
	enum err err = db_account_lock(conn, id);

	if (err == ERR_OK)
		err = db_account_get(conn, id, &row);
	if (err == ERR_OK)
		err = vault_open_values(key, &row.sealed, &email, &stored);
	if (err != ERR_OK)
		goto out;
	err = ERR_NOMEM;
	merged = merge(stored, patch);
	if (merged == NULL || personal == NULL || public == NULL)
		goto out;
	catalogue_check_profile(app->catalogue, merged, errors, personal, public);
	if (json_array_size(errors) > 0) {
		err = ERR_OK;
		goto out;
	}
	/* what is stored from now on: the checked fields only */
	profile = json_deep_copy(public);
	changed = profile != NULL && json_object_update(profile, personal) == 0
			  ? changed_fields(stored, profile)
			  : NULL;
	if (changed == NULL)
		goto out;
	json_array_foreach (changed, i, name) {
		const char *field = json_string_value(name);

		reverify = reverify || catalogue_field_reverifies(app->catalogue, field);
		reindex = reindex || catalogue_field_searchable(app->catalogue, field);
		identifier = identifier || catalogue_field_is_identifier(app->catalogue, field);
	}
	err = ERR_OK;
	if (json_array_size(changed) > 0)
		err = store(app, conn, id, key, personal, public);
	if (err == ERR_OK && locale != NULL)
		err = db_account_set_locale(conn, id, locale);
	if (err == ERR_OK && reverify)
		err = reverify_round(app, conn, id, row.status, profile);
	/* after the new round: a duplicate identifier sends it to an admin */
	if (err == ERR_OK && reindex)
		err = search_index_store(app, conn, id, profile, identifier);
	if (err == ERR_OK && identifier) /* the status the check left */
		err = db_account_lock_status(conn, id, &now);
	if (err == ERR_OK && json_array_size(changed) > 0) {
		json_t *details = json_pack("{s:O, s:b}", "fields", changed, "reverify", reverify);

		err = details == NULL ? ERR_NOMEM
				      : db_audit_append(conn, &(struct audit_entry){
								      .actor = id,
								      .action = "account.rectified",
								      .target = id,
								      .request_id = r->id,
								      .details = details,
							      });
		json_decref(details);
	}
	if (err == ERR_OK) {
		*ret_reply = json_pack("{s:s, s:s, s:O, s:O, s:s}", "id", id, "status",
				       identifier ? status_name(now)
				       : reverify ? "pending_verification"
						  : row.status,
				       "profile", profile, "changed", changed, "locale",
				       locale != NULL          ? locale
				       : row.locale[0] != '\0' ? row.locale
							       : I18N_DEFAULT);
		err = *ret_reply != NULL ? ERR_OK : ERR_NOMEM;
	}
out:
	account_row_release(&row);
	vault_wipe_free(email);
	json_decref(stored);
	json_decref(merged);
	json_decref(personal);
	json_decref(public);
	json_decref(profile);
	json_decref(changed);
	return err;
}

enum MHD_Result h_me_patch(struct req *r)
{
	static const char *const keys[] = {"profile", "locale", NULL};
	json_t *errors = json_array(), *patch = json_object_get(r->json, "profile");
	json_t *locale_value = json_object_get(r->json, "locale"), *reply = NULL;
	const char *locale = NULL;
	unsigned char key[CRYPTO_KEY_LEN];
	PGconn *conn = NULL;
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	json_body_check_keys(r->json, keys, errors);
	i18n_check_locale(locale_value, errors, &locale);
	/* a locale alone changes no field (merge() of no patch is the profile) */
	if (!json_is_object(patch) && (patch != NULL || locale_value == NULL))
		json_error_add(errors, "profile", patch != NULL ? "type" : "required",
			       "profile must be an object of the fields to change");
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) /* the keystore is read before the transaction */
		err = vault_account_key_by_id(r->app, conn, r->auth.sub, key);
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = rectify(r, conn, key, patch, locale, errors, &reply);
	explicit_bzero(key, sizeof(key));
	if (err == ERR_OK && json_array_size(errors) > 0)
		db_end(conn, ERR_INVALID); /* the patch is refused: store nothing */
	else
		err = db_end(conn, err);
	db_release(r->app->db, conn);
	if (err != ERR_OK) {
		json_decref(errors);
		json_decref(reply);
		return problem_from_err(r, err);
	}
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	return http_reply_json(r, 200, reply, NULL);
}
