/*
 * ledger.c - the disclosure gate, the ledger append and the chain check
 * (see ledger.h). The rules are a pure function of facts read in one
 * statement, so each is unit-tested alone; the SQL is in db/disclosures.c.
 * Refusals are audited with rule and field names only, never a value.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "enrolments.h"
#include "ledger.h"
#include "validate.h"

/* Fields an advertiser receives only with the advertiser_contact consent. */
static const char *const contact_fields[] = {"email", "phone", "postal_address", NULL};

/* Purposes that need a consent of their own: (purpose, consent). */
static const char *const purpose_consents[][2] = {
	{"licensure_verification", "licensure_verification"},
};

/* The consent terms whose legal basis is consent rest on, by recipient
 * kind, when their purpose has none of its own (issue 18: an advertiser
 * got profession and country under "consent" terms with no consent
 * given). Terms without either cannot rest on consent (recipients_load()
 * refuses them). */
static const char *const kind_consents[][2] = {
	{"verifier", "licensure_verification"},
	{"advertiser", "advertiser_contact"},
};

static const char *const rule_names[] = {
	[GATE_ALLOWED] = "allowed",
	[GATE_UNKNOWN_RECIPIENT] = "unknown_recipient",
	[GATE_TERMS_NOT_IN_FORCE] = "terms_not_in_force",
	[GATE_PURPOSE] = "purpose",
	[GATE_FIELD_NOT_ALLOWED] = "field_not_allowed",
	[GATE_NO_CONSENT] = "no_consent",
	[GATE_RESTRICTED] = "restricted",
	[GATE_ADVERTISER_CONTACT] = "advertiser_contact",
	[GATE_NOT_ENROLLED] = "not_enrolled",
	[GATE_ERASED] = "erased",
	[GATE_RECIPIENT_SUSPENDED] = "recipient_suspended",
	[GATE_NOTICE_PENDING] = "notice_pending",
};

const char *gate_rule_name(enum gate_rule rule)
{
	if ((size_t)rule >= sizeof(rule_names) / sizeof(rule_names[0]) || rule_names[rule] == NULL)
		return "unknown";
	return rule_names[rule];
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static bool granted(const struct gate_facts *f, const char *consent)
{
	return in_list(f->granted, f->ngranted, consent);
}

/* A marketing channel (marketing_email, ...) is a purpose and the
 * consent it needs, of the same name (issue 25: the sending processor). */
static bool marketing_purpose(const char *purpose)
{
	return purpose != NULL && strncmp(purpose, "marketing_", 10) == 0;
}

const char *gate_consent_for(const char *kind, const char *purpose)
{
	size_t i;

	if (marketing_purpose(purpose))
		return purpose;

	for (i = 0; purpose != NULL && i < sizeof(purpose_consents) / sizeof(purpose_consents[0]);
	     i++)
		if (strcmp(purpose, purpose_consents[i][0]) == 0)
			return purpose_consents[i][1];
	for (i = 0; kind != NULL && i < sizeof(kind_consents) / sizeof(kind_consents[0]); i++)
		if (strcmp(kind, kind_consents[i][0]) == 0)
			return kind_consents[i][1];
	return NULL;
}

bool gate_kind_by_enrolment(const char *kind)
{
	return kind != NULL &&
	       (strcmp(kind, "cme_sponsor") == 0 || strcmp(kind, "accreditor") == 0);
}

/* The enrolment rule (issue 25 item 1): the professional chose this
 * activity, and with it exactly these fields for this recipient. */
static enum gate_rule enrolment_rule(const struct gate_facts *f, const struct disclosure_req *d,
				     const char **ret_field)
{
	if (f->enrolled == NULL)
		return GATE_NOT_ENROLLED;
	for (size_t i = 0; i < d->nfields; i++)
		if (!in_list(f->enrolled, f->nenrolled, d->fields[i])) {
			if (ret_field != NULL)
				*ret_field = d->fields[i];
			return GATE_NOT_ENROLLED;
		}
	return GATE_ALLOWED;
}

enum gate_rule gate_processing(const struct gate_facts *f, const char *purpose)
{
	if (!f->account_found || f->erased)
		return GATE_ERASED;
	if (f->restricted)
		return GATE_RESTRICTED;
	for (size_t i = 0; i < sizeof(purpose_consents) / sizeof(purpose_consents[0]); i++)
		if (strcmp(purpose, purpose_consents[i][0]) == 0 &&
		    !granted(f, purpose_consents[i][1]))
			return GATE_NO_CONSENT;
	if (marketing_purpose(purpose) && !granted(f, purpose))
		return GATE_NO_CONSENT;
	return GATE_ALLOWED;
}

/* Must the subject accept a newer notice before this disclosure? Only the
 * kinds whose sharing rests on the professional's choice wait. */
static bool notice_pending(const struct gate_facts *f, const struct disclosure_req *d)
{
	return d->notice_version != NULL && f->notice_version != NULL &&
	       (strcmp(f->kind, "advertiser") == 0 || strcmp(f->kind, "cme_sponsor") == 0) &&
	       strcmp(f->notice_version, d->notice_version) != 0;
}

enum gate_rule gate_decide(const struct gate_facts *f, const struct disclosure_req *d,
			   const char **ret_field)
{
	enum gate_rule rule;

	if (f->kind == NULL)
		return GATE_UNKNOWN_RECIPIENT;
	if (f->suspended) /* before anything else: the kill-switch stops every flow */
		return GATE_RECIPIENT_SUSPENDED;
	if (f->terms_version == NULL)
		return GATE_TERMS_NOT_IN_FORCE;
	if (d->purpose == NULL || strcmp(d->purpose, f->purpose) != 0)
		return GATE_PURPOSE;
	for (size_t i = 0; i < d->nfields; i++)
		if (!in_list(f->allowed, f->nallowed, d->fields[i])) {
			if (ret_field != NULL)
				*ret_field = d->fields[i];
			return GATE_FIELD_NOT_ALLOWED;
		}
	rule = gate_processing(f, d->purpose);
	if (rule != GATE_ALLOWED)
		return rule;
	if (strcmp(f->kind, "advertiser") == 0 && !granted(f, "advertiser_contact"))
		for (size_t i = 0; i < d->nfields; i++)
			if (in_list(contact_fields,
				    sizeof(contact_fields) / sizeof(contact_fields[0]) - 1,
				    d->fields[i]))
				return GATE_ADVERTISER_CONTACT;
	if (gate_kind_by_enrolment(f->kind) &&
	    (rule = enrolment_rule(f, d, ret_field)) != GATE_ALLOWED)
		return rule;
	if (notice_pending(f, d))
		return GATE_NOTICE_PENDING;
	/* an enrolment in force is the consent such terms rest on */
	if (f->legal_basis != NULL && strcmp(f->legal_basis, "consent") == 0 &&
	    !gate_kind_by_enrolment(f->kind)) {
		const char *consent = gate_consent_for(f->kind, d->purpose);

		if (consent == NULL || !granted(f, consent))
			return GATE_NO_CONSENT;
	}
	return GATE_ALLOWED;
}

/* The refusal's audit row: rule and names only. */
static enum err audit_refusal(PGconn *conn, const struct disclosure_req *d, const char *subject,
			      enum gate_rule rule, const char *field)
{
	json_t *details = json_pack("{s:s, s:s?, s:[]}", "recipient", d->recipient, "purpose",
				    d->purpose, "fields");
	enum err err = ERR_NOMEM;

	if (details == NULL)
		return err;
	for (size_t i = 0; i < d->nfields; i++)
		if (json_array_append_new(json_object_get(details, "fields"),
					  json_string(d->fields[i])) != 0)
			goto out;
	if ((d->job_id != 0 && json_object_set_new(details, "job_id", json_integer(d->job_id))) ||
	    (field != NULL && json_object_set_new(details, "field", json_string(field))))
		goto out;
	err = db_audit_append(conn,
			      &(struct audit_entry){
				      .actor = d->actor != NULL ? d->actor : AUDIT_ACTOR_SYSTEM,
				      .action = "disclosure.refused",
				      .target = subject,
				      .reason = gate_rule_name(rule),
				      .request_id = d->request_id,
				      .details = details,
			      });
out:
	json_decref(details);
	return err;
}

/* facts->enrolled, from the enrolments in force. */
static enum err enrolled_facts(PGconn *conn, const char *subject, const struct disclosure_req *d,
			       struct gate_facts *facts)
{
	json_t *fields = NULL;
	size_t n;
	enum err err = db_enrolment_fields(conn, subject, d->recipient, d->enrolment, &fields);

	if (err != ERR_OK || fields == NULL)
		return err;
	n = json_array_size(fields);
	facts->enrolled_json = fields;
	facts->enrolled = calloc(n + 1, sizeof(*facts->enrolled));
	if (facts->enrolled == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		facts->enrolled[i] = json_string_value(json_array_get(fields, i));
	facts->nenrolled = n;
	return ERR_OK;
}

enum err ledger_disclose_id(PGconn *conn, const struct disclosure_req *d, enum gate_rule *ret_rule,
			    long long *ret_id)
{
	struct gate_facts facts = {0};
	const char *field = NULL;
	char subject[37];
	enum gate_rule rule;
	enum err err;

	if (d->subject == NULL || !validate_uuid(d->subject) || d->recipient == NULL ||
	    d->nfields == 0 || PQtransactionStatus(conn) != PQTRANS_INTRANS)
		return ERR_INVALID;
	for (int i = 0; i < 37; i++) /* the canonical form hashed into the row */
		subject[i] = (char)tolower((unsigned char)d->subject[i]);
	err = db_gate_facts(conn, subject, d->recipient, &facts);
	if (err != ERR_OK)
		return err;
	if (gate_kind_by_enrolment(facts.kind))
		err = enrolled_facts(conn, subject, d, &facts);
	if (err != ERR_OK) {
		gate_facts_release(&facts);
		return err;
	}
	rule = gate_decide(&facts, d, &field);
	if (rule == GATE_ALLOWED) {
		struct ledger_row row = {
			.subject = subject,
			.recipient = d->recipient,
			.fields = d->fields,
			.nfields = d->nfields,
			.purpose = d->purpose,
			.terms_version = facts.terms_version,
			.legal_basis = facts.legal_basis,
			.recipient_country = facts.recipient_country,
			.job_id = d->job_id,
		};

		err = db_ledger_append(conn, &row);
		if (err == ERR_OK && ret_id != NULL)
			*ret_id = row.id;
	} else {
		err = audit_refusal(conn, d, subject, rule, field);
		if (err == ERR_OK && ret_id != NULL)
			*ret_id = 0;
	}
	gate_facts_release(&facts);
	if (err == ERR_OK)
		*ret_rule = rule;
	return err;
}

enum err ledger_disclose(PGconn *conn, const struct disclosure_req *d, enum gate_rule *ret_rule)
{
	return ledger_disclose_id(conn, d, ret_rule, NULL);
}

/* One recipient and its terms, inside sync's transaction. */
static enum err sync_one(PGconn *conn, const struct recipient_def *r, char *why, size_t why_len)
{
	const struct recipient_terms_def *t = &r->terms;
	bool same = false;
	enum err err;

	if (t->onward_transfer) {
		snprintf(why, why_len,
			 "recipient %s: terms version %s allow onward transfer; hcpd discloses "
			 "only under terms that forbid it",
			 r->name, t->version);
		return ERR_INVALID;
	}
	err = db_recipient_upsert(conn, r->name, r->kind, r->display_name, r->country);
	if (err == ERR_OK)
		err = db_terms_insert(conn, r->name, t, &same);
	if (err == ERR_DB) {
		snprintf(why, why_len,
			 "recipient %s: the database refused it (a value out of range, or the "
			 "schema is not current: run hcpd migrate)",
			 r->name);
	} else if (err != ERR_OK) {
		snprintf(why, why_len, "recipient %s: %s", r->name, err_name(err));
	} else if (!same) {
		snprintf(why, why_len,
			 "recipient %s: terms version %s is stored with other content; stored "
			 "terms never change: bump the terms version",
			 r->name, t->version);
		err = ERR_CONFLICT;
	}
	return err;
}

enum err ledger_sync_recipients(PGconn *conn, const struct recipient_def *defs, size_t n, char *why,
				size_t why_len)
{
	enum err err;

	if (why_len > 0)
		why[0] = '\0';
	err = db_begin(conn);
	if (err != ERR_OK) {
		snprintf(why, why_len, "cannot store recipients: %s", err_name(err));
		return err;
	}
	for (size_t i = 0; i < n && err == ERR_OK; i++)
		err = sync_one(conn, &defs[i], why, why_len);
	err = db_end(conn, err);
	if (err != ERR_OK) {
		if (why[0] == '\0')
			snprintf(why, why_len, "cannot store recipients: %s", err_name(err));
	}
	return err;
}

struct verify_ctx {
	struct chain_walk walk;
	struct ledger_report *report;
};

static int verify_row(void *arg, const struct ledger_row *row,
		      const unsigned char prev[LEDGER_HASH_LEN],
		      const unsigned char hash[LEDGER_HASH_LEN])
{
	struct verify_ctx *v = arg;
	enum chain_fault fault = ledger_chain_step(&v->walk, row, prev, hash);

	if (fault == CHAIN_OK)
		return 0;
	v->report->fault = fault;
	v->report->bad_id = row->id;
	v->report->expected_id = v->walk.last_id + 1;
	return 1;
}

enum err ledger_verify(PGconn *conn, int chunk, struct ledger_report *ret_report)
{
	struct ledger_report report = {0};
	struct verify_ctx v = {.report = &report};
	enum err err = db_ledger_scan(conn, 0, chunk, verify_row, &v);

	if (err != ERR_OK)
		return err;
	report.rows = v.walk.rows;
	memcpy(report.head, v.walk.last_hash, LEDGER_HASH_LEN);
	*ret_report = report;
	return ERR_OK;
}

void ledger_report_describe(const struct ledger_report *r, char *buf, size_t len)
{
	char head[2 * LEDGER_HASH_LEN + 1];

	switch (r->fault) {
	case CHAIN_OK:
		crypto_hex(r->head, LEDGER_HASH_LEN, head);
		snprintf(buf, len, "ledger intact: %lld rows, head %s", r->rows, head);
		break;
	case CHAIN_GAP:
		snprintf(buf, len, "row %lld: gap in ids: expected id %lld after %lld sound rows",
			 r->bad_id, r->expected_id, r->rows);
		break;
	case CHAIN_LINK:
		snprintf(buf, len,
			 "row %lld: broken link: prev_hash is not the row_hash of row %lld",
			 r->bad_id, r->bad_id - 1);
		break;
	case CHAIN_CONTENT:
		snprintf(buf, len,
			 "row %lld: content hash mismatch: row_hash is not the SHA-256 of the "
			 "row's content and prev_hash (the row was altered)",
			 r->bad_id);
		break;
	}
}
