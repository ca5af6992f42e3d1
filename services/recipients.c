/*
 * recipients.c - loads and validates the recipients file (see
 * recipients.h). Every string in the loaded definitions is borrowed from
 * the parsed document the set owns. Messages name keys, never values.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "catalogue.h"
#include "db.h"
#include "jsonbody.h"
#include "migrate.h"
#include "recipients.h"
#include "suspensions.h"
#include "terms.h"
#include "validate.h"
#include "vault.h"
#include "verifier.h"

#define RECIPIENTS_MAX 256

struct recipients {
	json_t *doc;
	struct recipient_def *defs;
	const char **fields; /* every def's allowed_fields, one after another */
	size_t n;
};

/* processor: a sending provider (the marketing sender, issue 25) */
static const char *const kinds[] = {"advertiser", "cme_sponsor", "accreditor",
				    "authority",  "processor",   NULL};

/* Checks recipients[i] into set->defs[i]. */
static enum err load_one(struct recipients *set, size_t i, json_t *r, const struct catalogue *cat,
			 const char **fields, const char *name, char *why, size_t why_len)
{
	static const char *const keys[] = {"name",    "kind",  "display_name",
					   "country", "terms", NULL};
	struct recipient_def *d = &set->defs[i];
	const char *bad = NULL, *rule = "must be a non-empty string";
	const char *const *k;

	if (!json_is_object(r)) {
		snprintf(why, why_len, "%s: recipients[%zu]: must be an object", name, i);
		return ERR_INVALID;
	}
	if (!json_only_keys(r, keys, &bad)) {
		snprintf(why, why_len, "%s: recipients[%zu]: unknown key \"%s\"", name, i, bad);
		return ERR_INVALID;
	}
	d->name = json_text(r, bad = "name", 63);
	if (d->name == NULL || !validate_token(d->name, '-', 63)) {
		rule = "must be lower-case letters, digits and -";
		goto bad;
	}
	for (size_t j = 0; j < i; j++)
		if (strcmp(set->defs[j].name, d->name) == 0) {
			rule = "is used twice";
			goto bad;
		}
	d->kind = json_text(r, bad = "kind", 32);
	for (k = kinds; d->kind != NULL && *k != NULL && strcmp(*k, d->kind) != 0; k++)
		;
	if (d->kind == NULL || *k == NULL) {
		rule = "must be advertiser, cme_sponsor, accreditor or authority (verifiers come "
		       "from their definitions)";
		goto bad;
	}
	if ((d->display_name = json_text(r, bad = "display_name", 200)) == NULL)
		goto bad;
	d->country = json_text(r, bad = "country", 2);
	if (d->country == NULL || !validate_country(d->country)) {
		rule = "must be an ISO 3166-1 alpha-2 code (upper case)";
		goto bad;
	}
	if (!json_is_object(json_object_get(r, "terms"))) {
		bad = "terms";
		rule = "must be an object";
		goto bad;
	}
	if (!terms_parse(json_object_get(r, "terms"), cat, fields, &d->terms, &bad, &rule, NULL,
			 NULL)) {
		snprintf(why, why_len, "%s: recipients[%zu].terms: \"%s\" %s", name, i, bad, rule);
		return ERR_INVALID;
	}
	/* the gate could never find the consent such terms rest on */
	if (strcmp(d->terms.legal_basis, "consent") == 0 && !gate_kind_by_enrolment(d->kind) &&
	    gate_consent_for(d->kind, d->terms.purpose) == NULL) {
		snprintf(why, why_len,
			 "%s: recipients[%zu].terms: \"legal_basis\" consent needs a kind with a "
			 "consent of its own (advertiser; cme_sponsor and accreditor: the "
			 "enrolment) or a purpose with one",
			 name, i);
		return ERR_INVALID;
	}
	return ERR_OK;
bad:
	snprintf(why, why_len, "%s: recipients[%zu]: \"%s\" %s", name, i, bad, rule);
	return ERR_INVALID;
}

enum err recipients_from_json(json_t *doc, const char *name, const struct catalogue *cat,
			      struct recipients **ret_set, char *why, size_t why_len)
{
	static const char *const keys[] = {"recipients", NULL};
	struct recipients *set = calloc(1, sizeof(*set));
	json_t *list = json_object_get(doc, "recipients"), *r;
	const char *bad;
	size_t i, nfields = 0;
	enum err err = ERR_INVALID;

	if (set == NULL) {
		json_decref(doc);
		return ERR_NOMEM;
	}
	set->doc = doc;
	if (!json_is_object(doc)) {
		snprintf(why, why_len, "%s: must be a JSON object", name);
		goto out;
	}
	if (!json_only_keys(doc, keys, &bad)) {
		snprintf(why, why_len, "%s: unknown key \"%s\"", name, bad);
		goto out;
	}
	if (!json_is_array(list) || json_array_size(list) > RECIPIENTS_MAX) {
		snprintf(why, why_len, "%s: \"recipients\" must be an array of at most %d", name,
			 RECIPIENTS_MAX);
		goto out;
	}
	json_array_foreach (list, i, r) {
		nfields += json_array_size(
			json_object_get(json_object_get(r, "terms"), "allowed_fields"));
	}
	set->n = json_array_size(list);
	set->defs = calloc(set->n + 1, sizeof(*set->defs));
	set->fields = calloc(nfields + 1, sizeof(*set->fields));
	if (set->defs == NULL || set->fields == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	nfields = 0;
	json_array_foreach (list, i, r) {
		err = load_one(set, i, r, cat, set->fields + nfields, name, why, why_len);
		if (err != ERR_OK)
			goto out;
		nfields += set->defs[i].terms.nallowed;
	}
	*ret_set = set;
	set = NULL;
	err = ERR_OK;
out:
	recipients_free(set);
	return err;
}

enum err recipients_load(const char *path, const struct catalogue *cat, struct recipients **ret_set,
			 char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL) {
		snprintf(why, why_len, "%s: line %d: %s", path, jerr.line, jerr.text);
		return ERR_IO;
	}
	return recipients_from_json(doc, path, cat, ret_set, why, why_len);
}

void recipients_free(struct recipients *set)
{
	if (set == NULL)
		return;
	json_decref(set->doc);
	free(set->defs);
	free(set->fields);
	free(set);
}

const struct recipient_def *recipients_defs(const struct recipients *set, size_t *ret_n)
{
	*ret_n = set->n;
	return set->defs;
}

enum err recipients_sync_app(struct app *app, char *why, size_t why_len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const struct recipient_def *file = NULL, *verifiers;
	struct recipient_def *all = NULL;
	PGconn *conn = NULL;
	bool pending = true;
	size_t nfile = 0, nverifiers;
	const struct verifier_set *set;
	enum err err;

	if (atomic_load(&app->recipients_synced) ||
	    (app->recipients == NULL && app->verifiers == NULL))
		return ERR_OK;
	pthread_mutex_lock(&lock); /* one sync at a time; the rest then see it done */
	if (atomic_load(&app->recipients_synced)) {
		pthread_mutex_unlock(&lock);
		return ERR_OK;
	}
	snprintf(why, why_len, "the database is unreachable or its migrations are not current");
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = migrate_pending(conn, app->cfg.migrations_dir, &pending);
	if (err != ERR_OK || pending)
		err = ERR_UNAVAILABLE;
	/* the verifiers' and the file's, in one transaction */
	if (app->recipients != NULL)
		file = recipients_defs(app->recipients, &nfile);
	set = app->verifiers; /* read once: a reload swaps it */
	verifiers = verifier_set_recipients(set, &nverifiers);
	if (err == ERR_OK && (all = calloc(nfile + nverifiers + 1, sizeof(*all))) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK) {
		if (nverifiers > 0)
			memcpy(all, verifiers, nverifiers * sizeof(*all));
		if (nfile > 0)
			memcpy(all + nverifiers, file, nfile * sizeof(*all));
		err = ledger_sync_recipients(conn, all, nfile + nverifiers, why, why_len);
	}
	free(all);
	db_release(app->db, conn);
	/* a reload meanwhile: its recipients are the next sync's */
	if (err == ERR_OK && set == app->verifiers)
		atomic_store(&app->recipients_synced, true);
	pthread_mutex_unlock(&lock);
	return err;
}

enum err recipient_suspension_set(const struct app *app, PGconn *conn, const char *name,
				  bool suspend, const char *actor, const char *reason,
				  const char *request_id, bool *ret_changed, char *ret_since)
{
	struct suspension s = {
		.recipient = name, .suspend = suspend, .actor = actor, .request_id = request_id};
	unsigned char *sealed = NULL;
	enum err err = ERR_OK;

	if (name == NULL || !validate_token(name, '-', 63))
		return ERR_NOT_FOUND;
	if (reason == NULL
		    ? suspend
		    : (!validate_utf8(reason, strlen(reason)) || !validate_no_controls(reason) ||
		       reason[0] == '\0' || strlen(reason) > SUSPENSION_REASON_MAX))
		return ERR_INVALID;
	if (reason != NULL)
		err = vault_seal(app->note_key, name, "suspension_reason", reason, strlen(reason),
				 &sealed, &s.reason_enc_len);
	s.reason_enc = sealed;
	if (err == ERR_OK)
		err = db_recipient_suspension(conn, &s, ret_changed, ret_since);
	free(sealed);
	return err;
}
