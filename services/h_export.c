/*
 * h_export.c - GET /v1/me/export: everything hcpd holds about the caller,
 * as one JSON document: the account and its decrypted email and profile,
 * consents (current state and full history), verification outcomes with
 * their evidence opened, the disclosures to third parties (the ledger),
 * admin review decisions (the question of a request_info, never the
 * internal reason of an approval or rejection), the professional's own
 * answers opened, the licence documents (type, size, upload time, and
 * where to download each: GET /v1/me/documents/{id}, since a document of
 * up to 10 MiB has no place inside a JSON file), and the profile as a
 * FHIR R4 Practitioner.
 *
 * Only the token's subject is ever exported. The clear data key lives
 * for the request only and is wiped; the reply is not cached (no-store).
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
#include "fhir_practitioner.h"
#include "handlers.h"
#include "privacy.h"
#include "problem.h"
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
	json_t *profile = NULL, *history = NULL, *records = NULL, *account;
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
		json_pack("{s:s, s:O, s:O, s:o, s:O, s:O, s:O, s:O, s:O, s:O, s:o}", "exported_at",
			  now, "account", account, "profile", profile, "consents",
			  catalogue_consents_current(r->app->catalogue, history), "consent_history",
			  history, "verifications", json_object_get(records, "verifications"),
			  "disclosures", json_object_get(records, "disclosures"), "decisions",
			  json_object_get(records, "decisions"), "review_responses",
			  json_object_get(records, "review_responses"), "documents",
			  json_object_get(records, "documents"), "fhir_practitioner",
			  fhir_practitioner(id, email, profile));
	err = *ret_doc != NULL ? ERR_OK : ERR_NOMEM;
out:
	vault_wipe_free(email);
	json_decref(profile);
	json_decref(history);
	json_decref(records);
	return err;
}

enum MHD_Result h_me_export(struct req *r)
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
