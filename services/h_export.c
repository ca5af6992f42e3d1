/*
 * h_export.c - POST /v1/me/export (with the password) and GET
 * /v1/me/export: everything hcpd holds about the caller,
 * as one JSON document: the account and its decrypted email and profile,
 * consents (current state and full history), verification outcomes with
 * their evidence opened, the disclosures to third parties (the ledger),
 * admin review decisions (the question of a request_info, never the
 * internal reason of an approval or rejection), the professional's own
 * answers opened, the licence documents (type, size, upload time, and
 * where to download each: GET /v1/me/documents/{id}, since a document of
 * up to 10 MiB has no place inside a JSON file), and the profile as a
 * FHIR R4 Practitioner, and each verification as a FHIR R4
 * VerificationResult.
 *
 * Only the token's subject is ever exported, and only to a caller who
 * proved who they are just now: POST carries the current password
 * (checked on the hashing pool and counted by the sign-in throttle, so a
 * stolen access token is no faster a way to guess it), GET needs a token
 * whose sign-in (auth_time) is at most 5 minutes old. The clear data
 * key lives for the request only and is wiped; the reply is not cached
 * (no-store).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "app.h"
#include "catalogue.h"
#include "consents.h"
#include "crypto.h"
#include "db.h"
#include "enrolments.h"
#include "fhir_practitioner.h"
#include "fhir_verification.h"
#include "handlers.h"
#include "privacy.h"
#include "problem.h"
#include "pwjob.h"
#include "vault.h"

/* Opens obj's member (hex of bytes sealed as what) in place: as JSON when
 * json is set and it parses, else as text. A value that does not open
 * stays out (null). */
static enum err open_member(const unsigned char *key, const char *id, const char *what, json_t *obj,
			    const char *member, bool json)
{
	const char *hex = json_string_value(json_object_get(obj, member));
	char *text = NULL;
	json_t *value = NULL;
	enum err err = ERR_OK;

	if (hex == NULL)
		return ERR_OK;
	if (vault_open_hex(key, id, what, hex, &text) == ERR_OK) {
		value = json ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		if (value == NULL)
			value = json_string(text);
		if (value == NULL)
			err = ERR_NOMEM;
	}
	json_object_set_new(obj, member, value != NULL ? value : json_null());
	vault_wipe_free(text);
	return err;
}

/* Opens every sealed value of the records: each verification's evidence
 * (JSON as the verifier stored it), each question an admin asked and each
 * answer to one (text). */
static enum err open_records(const unsigned char *key, const char *id, json_t *records)
{
	json_t *v;
	size_t i;
	enum err err = ERR_OK;

	json_array_foreach (json_object_get(records, "verifications"), i, v) {
		if (err == ERR_OK)
			err = open_member(key, id, "evidence", v, "evidence", true);
	}
	json_array_foreach (json_object_get(records, "decisions"), i, v) {
		if (err == ERR_OK)
			err = open_member(key, id, "decision_reason", v, "question", false);
	}
	json_array_foreach (json_object_get(records, "review_responses"), i, v) {
		if (err == ERR_OK)
			err = open_member(key, id, "review_response", v, "message", false);
	}
	return err;
}

/* Says where each document of the records is downloaded. */
static enum err link_documents(json_t *records)
{
	json_t *d;
	size_t i;
	char path[64];

	json_array_foreach (json_object_get(records, "documents"), i, d) {
		snprintf(path, sizeof(path), "/v1/me/documents/%s",
			 json_string_value(json_object_get(d, "id")));
		if (json_object_set_new(d, "download", json_string(path)) != 0)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Reads and opens everything into *ret_doc. */
static enum err export_build(struct req *r, PGconn *conn, json_t **ret_doc)
{
	const char *id = r->auth.sub;
	struct account_row row = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	char *email = NULL, now[32];
	json_t *profile = NULL, *history = NULL, *records = NULL, *account, *enrolments = NULL;
	time_t t = time(NULL);
	struct tm tm;
	enum err err = db_account_get(conn, id, &row);

	if (err == ERR_OK)
		err = vault_open_profile(r->app, &row.sealed, key, &email, &profile);
	account_row_release(&row);
	if (err != ERR_OK)
		return err;
	err = db_consent_history(conn, id, &history);
	if (err == ERR_OK)
		err = db_export_records(conn, id, &records);
	if (err == ERR_OK)
		err = db_enrolments_list(conn, id, &enrolments);
	if (err == ERR_OK)
		err = open_records(key, id, records);
	if (err == ERR_OK)
		err = link_documents(records);
	explicit_bzero(key, sizeof(key));
	if (err != ERR_OK)
		goto out;
	account = json_object_get(records, "account");
	json_object_set_new(account, "email", json_string(email));
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	*ret_doc =
		json_pack("{s:s, s:O, s:O, s:o, s:O, s:O, s:O, s:O, s:O, s:O, s:o, s:o}",
			  "exported_at", now, "account", account, "profile", profile, "consents",
			  catalogue_consents_current(r->app->catalogue, history), "consent_history",
			  history, "verifications", json_object_get(records, "verifications"),
			  "disclosures", json_object_get(records, "disclosures"), "decisions",
			  json_object_get(records, "decisions"), "review_responses",
			  json_object_get(records, "review_responses"), "documents",
			  json_object_get(records, "documents"), "fhir_practitioner",
			  fhir_practitioner(id, email, profile), "fhir_verification_results",
			  fhir_verification_results(id, json_object_get(records, "verifications"),
						    r->app->verifiers, r->app->cfg.reverify_days));
	err = *ret_doc != NULL ? ERR_OK : ERR_NOMEM;
	/* the activities enrolled in, with what each recipient was to get */
	if (err == ERR_OK && json_object_set(*ret_doc, "enrolments", enrolments) != 0) {
		json_decref(*ret_doc);
		*ret_doc = NULL;
		err = ERR_NOMEM;
	}
out:
	vault_wipe_free(email);
	json_decref(profile);
	json_decref(history);
	json_decref(records);
	json_decref(enrolments);
	return err;
}

/* Builds the caller's export and replies with it. */
static enum MHD_Result export_reply(struct req *r)
{
	json_t *doc = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = export_build(r, conn, &doc);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	http_add_header(r, "Content-Disposition", "attachment; filename=\"hcpd-export.json\"");
	return http_reply_json(r, 200, doc, NULL);
}

/* How recent a sign-in GET /v1/me/export accepts instead of the password. */
#define EXPORT_AUTH_MAX_AGE 300

enum MHD_Result h_me_export(struct req *r)
{
	/* a fresh sign-in proved the password just now; an older token (kept
	 * alive by refreshes) proves only that someone holds it: step up, as
	 * RFC 9470 says, or use POST with the password */
	if (r->auth.auth_time < (long long)time(NULL) - EXPORT_AUTH_MAX_AGE) {
		http_add_header(r, "WWW-Authenticate",
				"Bearer error=\"insufficient_user_authentication\", "
				"error_description=\"sign in again or send the password\", "
				"max_age=%d",
				EXPORT_AUTH_MAX_AGE);
		return problem_send(r, 401, "reauthentication-required",
				    "the export needs a sign-in of the last 5 minutes: sign in "
				    "again, or POST /v1/me/export with the password");
	}
	return export_reply(r);
}

/* POST /v1/me/export across its suspension: the password is checked. */
static void export_req_free(void *p)
{
	pwjob_release(p);
	free(p);
}

enum MHD_Result h_me_export_post(struct req *r)
{
	static const char *const keys[] = {"password", NULL};
	struct pwjob *pw = r->state;
	enum MHD_Result reply;

	if (pw != NULL) /* resumed: the password is checked */
		return pwjob_reauth_done(r, pw, "password", &reply) ? export_reply(r) : reply;
	pw = pwjob_state(r, sizeof(*pw), export_req_free);
	if (pw == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return pwjob_reauth_start(r, pw, keys);
}
