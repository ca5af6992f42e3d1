/*
 * h_registrations.c - GET /v1/registration/schema and POST
 * /v1/registrations.
 *
 * A registration is validated (catalogue, password policy, consents),
 * checked against its Idempotency-Key, hashed with argon2id on the
 * workpool while the connection is parked, then sealed and stored in one
 * transaction. A taken email gets the same 202 as a new one, with an id
 * that has no account, after the same hashing work: the reply reveals
 * nothing about who is registered. The password is wiped from our copies
 * as soon as it is hashed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "catalogue.h"
#include "db.h"
#include "enroll.h"
#include "handlers.h"
#include "i18n.h"
#include "jsonbody.h"
#include "jsontext.h"
#include "password.h"
#include "problem.h"
#include "pwjob.h"
#include "recipients.h"
#include "schema_lang.h"
#include "verdict.h"
#include "validate.h"

#define IDEMPOTENCY_KEY_MAX 255

/* A registration across its suspension. */
struct reg {
	struct pwjob pw; /* hashes the password */
	struct idem idem;
	bool has_idem;
	json_t *personal;   /* personal profile fields: sealed before storage */
	json_t *public;     /* the others */
	const char *locale; /* the body's "locale", else the negotiated language */
};

static void reg_free(void *p)
{
	struct reg *reg = p;

	if (reg == NULL)
		return;
	pwjob_release(&reg->pw);
	json_decref(reg->personal);
	json_decref(reg->public);
	free(reg);
}

/* One recipient as the resolved schema lists it: who, where, which
 * fields, under which terms (NULL: none, a register an admin searches),
 * and whether that is abroad for a professional of country. */
static json_t *recipient_json(const char *name, const char *kind, const char *display,
			      const char *where, const char *const *fields, size_t nfields,
			      const struct recipient_terms_def *t, const char *country)
{
	json_t *list = json_array(), *terms = json_null();

	for (size_t i = 0; list != NULL && i < nfields; i++)
		json_array_append_new(list, json_string(fields[i]));
	if (t != NULL)
		terms = json_pack("{s:s, s:s, s:s, s:i, s:b, s:s}", "version", t->version,
				  "purpose", t->purpose, "legal_basis", t->legal_basis,
				  "retention_days", t->retention_days, "onward_transfer",
				  t->onward_transfer, "recipient_country", t->recipient_country);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "name", name, "kind", kind,
			 "display_name", display, "country", where, "abroad",
			 strcmp(where, country) != 0, "fields", list, "terms", terms);
}

/* Issue 19: who will receive which of a professional's fields, before
 * any consent is given (the notice promises transfers abroad are
 * disclosed): the registers that apply to country and profession (an
 * automated one under its terms; a manual one, which an admin searches by
 * hand, receives only what its link carries, and has no terms), then the
 * recipients file's, each only with the professional's consent. A roster
 * checked inside hcpd receives nothing and is not listed. */
static json_t *recipients_for(const struct app *app, const char *country, const char *profession)
{
	const struct verifier_set *set = app->verifiers; /* read once: a reload swaps it */
	json_t *list = json_array();
	const struct recipient_def *defs;
	size_t n;

	for (size_t i = 0; list != NULL && i < verifier_set_count(set); i++) {
		const struct verifier *v = verifier_set_at(set, i);
		bool manual = v->ops->transport == TRANSPORT_MANUAL;

		if (!verifier_applies(v, country, profession) ||
		    (!manual && v->recipient.name == NULL))
			continue;
		json_array_append_new(
			list,
			recipient_json(v->name, manual ? "manual_register" : "verifier",
				       v->display_name,
				       manual ? json_string_value(json_array_get(v->countries, 0))
					      : v->recipient.country,
				       v->fields, v->nfields, manual ? NULL : &v->recipient.terms,
				       country));
	}
	defs = recipients_defs(app->recipients, &n);
	for (size_t i = 0; list != NULL && i < n; i++)
		json_array_append_new(
			list, recipient_json(defs[i].name, defs[i].kind, defs[i].display_name,
					     defs[i].country, defs[i].terms.allowed_fields,
					     defs[i].terms.nallowed, &defs[i].terms, country));
	return list;
}

/* GET /v1/registration/schema?country=&profession=: the catalogue
 * resolved for them, and its recipients. */
static enum MHD_Result resolved_schema(struct req *r, const char *country, const char *profession)
{
	const char *bad = NULL;
	json_t *doc = NULL, *errors;
	enum err err = catalogue_resolve(r->app->catalogue, country, profession, &doc, &bad);

	if (err == ERR_INVALID) {
		errors = json_array();
		if (errors == NULL ||
		    json_error_add(
			    errors, bad, "invalid",
			    strcmp(bad, "country") == 0
				    ? "is not an ISO 3166-1 alpha-2 country code"
				    : "is not a profession hcpd registers in this country") !=
			    ERR_OK) {
			json_decref(errors);
			return problem_from_err(r, ERR_NOMEM);
		}
		return problem_send_errors(r, errors);
	}
	if (err == ERR_OK && json_object_set_new(doc, "recipients",
						 recipients_for(r->app, country, profession)) != 0)
		err = ERR_NOMEM;
	/* issue 24: labels, purposes and consents in the reader's language */
	if (err == ERR_OK) {
		r->lang = schema_langs_negotiate(r->app->schema_langs,
						 http_header(r, "Accept-Language"));
		err = schema_langs_apply(r->app->schema_langs, r->lang, doc);
	}
	if (err != ERR_OK) {
		json_decref(doc);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, doc, NULL);
}

enum MHD_Result h_registration_schema(struct req *r)
{
	static const char *const names[] = {"country", "profession", NULL};
	const char *v[2] = {NULL, NULL}, *why = NULL;
	json_t *doc = NULL;
	char etag[35];
	enum err err;

	if (http_query(r, names, v, &why) != ERR_OK)
		return problem_send(r, 400, "bad-request", why);
	if ((v[0] == NULL) != (v[1] == NULL))
		return problem_send(r, 400, "bad-request",
				    "country and profession are given together, or neither");
	if (v[0] != NULL)
		return resolved_schema(r, v[0], v[1]);
	r->lang = schema_langs_negotiate(r->app->schema_langs, http_header(r, "Accept-Language"));
	err = schema_langs_catalogue(r->app->schema_langs, r->app->catalogue, r->lang, &doc);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* one entity per language */
	schema_langs_etag(r->app->schema_langs, r->app->catalogue, r->lang, etag);
	http_add_header(r, "ETag", "%s", etag);
	return http_reply_json(r, 200, doc, NULL);
}

/* Location names the account's own resource, the same for every reply: a
 * real route that answers a caller without its token with 401, and says
 * nothing about the id (which, for a taken email, has no account). */
static enum MHD_Result reply_accepted(struct req *r, const char *id)
{
	http_add_header(r, "Location", "/v1/me");
	return http_reply_json(
		r, 202, json_pack("{s:s, s:s}", "id", id, "status", "pending_verification"), NULL);
}

/* Checks every part of the request; problems go to errors. ERR_NOMEM when
 * a check could not record its outcome: nothing may then be stored. */
static enum err check_request(struct req *r, struct reg *reg, json_t *errors)
{
	static const char *const top[] = {"email",    "password", "profile",
					  "consents", "locale",   NULL};
	json_t *body = r->json, *profile = json_object_get(body, "profile");
	json_t *email = json_object_get(body, "email");
	json_t *password = json_object_get(body, "password");
	enum err err[7] = {ERR_OK};

	err[0] = json_body_check_keys(body, top, errors);
	/* issue 24: the language of its mail; Accept-Language when not given */
	reg->locale = i18n_negotiate(http_header(r, "Accept-Language"));
	err[6] = i18n_check_locale(json_object_get(body, "locale"), errors, &reg->locale);
	if (!json_is_string(email))
		err[1] = json_error_add(errors, "email", email ? "type" : "required",
					"an email address is required");
	else if (!validate_email(json_string_value(email)))
		err[1] = json_error_add(errors, "email", "invalid", "is not a valid email address");
	err[2] = catalogue_check_profile(r->app->catalogue, profile, errors, reg->personal,
					 reg->public);
	err[3] = catalogue_check_consents(r->app->catalogue, json_object_get(body, "consents"),
					  errors);
	if (!json_is_string(password)) {
		err[4] = json_error_add(errors, "password", password ? "type" : "required",
					"a password is required");
	} else {
		err[5] = password_check_profile(
			json_string_value(password),
			json_is_string(email) ? json_string_value(email) : NULL, profile, errors);
	}
	for (size_t i = 0; i < sizeof(err) / sizeof(err[0]); i++)
		if (err[i] != ERR_OK)
			return err[i];
	return ERR_OK;
}

/* Reads Idempotency-Key into reg (reg->has_idem when there is one);
 * ERR_INVALID when it is malformed. */
static enum err read_idempotency(struct req *r, struct reg *reg)
{
	const char *key = http_header(r, "Idempotency-Key");
	size_t len;
	char *canonical;

	if (key == NULL)
		return ERR_OK;
	len = strlen(key);
	if (len == 0 || len > IDEMPOTENCY_KEY_MAX)
		return ERR_INVALID;
	for (size_t i = 0; i < len; i++)
		if (key[i] < 0x20 || key[i] > 0x7E)
			return ERR_INVALID;
	/* the same request in any key order or spacing gives the same MAC */
	canonical = json_text_dump(r->json, JSON_COMPACT | JSON_SORT_KEYS);
	if (canonical == NULL)
		return ERR_NOMEM;
	crypto_sha256(key, len, reg->idem.key_hash);
	crypto_hmac_sha256(r->app->idem_key, canonical, strlen(canonical), reg->idem.request_mac);
	explicit_bzero(canonical, strlen(canonical));
	free(canonical);
	reg->has_idem = true;
	return ERR_OK;
}

/* A checked profile field, wherever the catalogue keeps it. */
static const char *profile_text(const struct reg *reg, const char *name)
{
	const char *s = json_string_value(json_object_get(reg->public, name));

	return s != NULL ? s : json_string_value(json_object_get(reg->personal, name));
}

/* After hashing: seal everything and store it. */
static enum MHD_Result finish(struct req *r, struct reg *reg)
{
	const struct catalogue *cat = r->app->catalogue;
	json_t *given = json_object_get(r->json, "consents");
	struct consent_row consents[16];
	struct enrollment e = {
		.role = "professional",
		.status = "pending_verification",
		.email = json_string_value(json_object_get(r->json, "email")),
		.password_hash = reg->pw.hash,
		.personal = reg->personal,
		.public = reg->public,
		.consents = consents,
		.nconsents = catalogue_consent_count(cat),
		.idem = reg->has_idem ? &reg->idem : NULL,
		.locale = reg->locale,
	};
	struct job_spec jobs[VERDICT_JOBS_MAX];
	const struct verifier_set *set = r->app->verifiers; /* read once: a reload swaps it */
	char id[UUID_STR_LEN];
	bool duplicate;
	enum err err = reg->pw.hashed;

	e.jobs = jobs;
	e.njobs = verdict_jobs_for(set, profile_text(reg, "country"),
				   profile_text(reg, "profession"), jobs, VERDICT_JOBS_MAX);
	/* issue 19: with no job to wait for, straight to an admin */
	verdict_unqueued(verdict_manual_applies(set, profile_text(reg, "country"),
						profile_text(reg, "profession")),
			 &e.unqueued_event, &e.unqueued_reason);
	if (e.nconsents > sizeof(consents) / sizeof(consents[0]))
		err = ERR_INTERNAL;
	for (size_t i = 0; err == ERR_OK && i < e.nconsents; i++) {
		consents[i].purpose = catalogue_consent_purpose(cat, i);
		consents[i].granted = json_is_true(json_object_get(given, consents[i].purpose));
	}
	if (err == ERR_OK)
		err = enroll(r->app, &e, &duplicate, id);
	if (err == ERR_CONFLICT)
		return problem_send(r, 422, "idempotency-key-reused",
				    "this Idempotency-Key was used with a different request");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return reply_accepted(r, id);
}

enum MHD_Result h_registration_create(struct req *r)
{
	struct reg *reg = r->state;
	json_t *errors;
	PGconn *conn;
	char id[UUID_STR_LEN];
	enum err err;

	if (reg != NULL)
		return finish(r, reg); /* resumed: the hash is done */

	reg = calloc(1, sizeof(*reg));
	errors = json_array();
	if (reg == NULL || errors == NULL || (reg->personal = json_object()) == NULL ||
	    (reg->public = json_object()) == NULL) {
		reg_free(reg);
		json_decref(errors);
		return problem_from_err(r, ERR_NOMEM);
	}
	r->state = reg;
	r->state_free = reg_free;
	err = check_request(r, reg, errors);
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	if (err != ERR_OK)
		return problem_from_err(r, err);

	err = read_idempotency(r, reg);
	if (err == ERR_INVALID)
		return problem_send(r, 400, "bad-request",
				    "Idempotency-Key must be 1 to 255 printable ASCII characters");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if (reg->has_idem) {
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err != ERR_OK)
			return problem_from_err(r, err);
		err = db_idempotency_get(conn, &reg->idem, id);
		db_release(r->app->db, conn);
		if (err == ERR_OK) {
			http_add_header(r, "Idempotent-Replayed", "true");
			return reply_accepted(r, id);
		}
		if (err == ERR_CONFLICT)
			return problem_send(r, 422, "idempotency-key-reused",
					    "this Idempotency-Key was used with a different "
					    "request");
		if (err != ERR_NOT_FOUND)
			return problem_from_err(r, err);
	}

	err = pwjob_hash(&reg->pw, json_string_value(json_object_get(r->json, "password")));
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return pwjob_start(r, &reg->pw);
}
