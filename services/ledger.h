/*
 * ledger.h - the limited-use disclosure gate and ledger: the one place
 * that decides whether personal fields of an account may go to a third
 * party, and that records every disclosure (hash-chained, append-only)
 * and every refusal (audit log).
 *
 * Every outbound flow - verifier requests, admin exports - calls
 * ledger_disclose() inside the transaction that commits to sending, and
 * sends nothing unless it answers GATE_ALLOWED. The ledger holds field
 * names, never values. Recipients and their versioned terms are stored by
 * ledger_sync_recipients() at start-up. The row format and the chain are
 * documented in db/disclosures.h; `hcpd ledger verify` runs ledger_verify().
 */
#ifndef HCPD_LEDGER_H
#define HCPD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"
#include "disclosures.h"

/* struct recipient_def, one recipient and its current limited-use terms,
 * is declared in db/disclosures.h (included above), which stores it. */

/* Stores recipients and their terms: new ones are inserted; a stored
 * version whose content differs is ERR_CONFLICT, with why naming the
 * recipient and version ("bump the terms version"). Terms that allow
 * onward transfer are ERR_INVALID: hcpd discloses only under terms that
 * forbid it. All in one transaction. Run at start-up by serve and worker
 * after loading verifier definitions and the recipients file. Blocks. */
enum err ledger_sync_recipients(PGconn *conn, const struct recipient_def *defs, size_t n, char *why,
				size_t why_len);

enum gate_rule {
	GATE_ALLOWED = 0,
	GATE_UNKNOWN_RECIPIENT,   /* no such recipient */
	GATE_TERMS_NOT_IN_FORCE,  /* no terms version in force now */
	GATE_PURPOSE,             /* the purpose is not the terms' purpose */
	GATE_FIELD_NOT_ALLOWED,   /* a field outside the terms' allowed_fields */
	GATE_NO_CONSENT,          /* the consent the purpose needs is not granted */
	GATE_RESTRICTED,          /* processing_restricted is set */
	GATE_ADVERTISER_CONTACT,  /* advertiser + email/phone/postal_address without
				     advertiser_contact */
	GATE_NOT_ENROLLED,        /* a cme_sponsor or accreditor, and no enrolment in force in
				     an activity naming it, or a field outside that activity's
				     fields for it (issue 25) */
	GATE_ERASED,              /* the account is erased (no data key), or does not exist */
	GATE_RECIPIENT_SUSPENDED, /* the recipient is suspended (the kill-switch, issue 25) */
	GATE_NOTICE_PENDING,      /* an advertiser or cme_sponsor, and the account has not
				     accepted the current privacy notice (issue 25) */
};

/* "allowed", "unknown_recipient", "terms_not_in_force", "purpose",
 * "field_not_allowed", "no_consent", "restricted", "advertiser_contact",
 * "not_enrolled", "erased", "recipient_suspended", "notice_pending". Static
 * strings. */
const char *gate_rule_name(enum gate_rule rule);

struct disclosure_req {
	const char *subject;   /* account id */
	const char *recipient; /* recipients.name; a verifier's name */
	const char *purpose;
	const char *const *fields; /* the exact field names to be sent */
	size_t nfields;
	long long job_id;       /* 0 when not a verification job */
	const char *actor;      /* admin id or AUDIT_ACTOR_SYSTEM (for refusals) */
	const char *request_id; /* may be NULL */
	/* The privacy notice in force (catalogue_notice_version()); when set,
	 * a disclosure to an advertiser or a cme_sponsor waits until the
	 * subject has accepted it (GATE_NOTICE_PENDING). NULL: no wait. */
	const char *notice_version;
	/* For a cme_sponsor or an accreditor: the enrolment (a UUID) the
	 * disclosure is made under; NULL: any enrolment in force of the
	 * subject naming the recipient (an admin export). */
	const char *enrolment;
};

/* The gate and the ledger in one step, inside the caller's open
 * transaction (for a verifier: the one that marks the job running, so a
 * crash after sending still leaves the record). When every rule allows,
 * appends the disclosure (serialised with all other appends by a
 * transaction-level advisory lock) and sets *ret_rule = GATE_ALLOWED;
 * otherwise appends the refusal to audit_log (action
 * "disclosure.refused", reason = the rule's name), and sets *ret_rule.
 * The caller sends nothing unless GATE_ALLOWED. Errors only for database
 * trouble, and ERR_INVALID for a subject that is not a UUID, no fields,
 * or no open transaction. Blocks. */
enum err ledger_disclose(PGconn *conn, const struct disclosure_req *d, enum gate_rule *ret_rule);

/* ledger_disclose() that also gives the new row's id (0 when refused). */
enum err ledger_disclose_id(PGconn *conn, const struct disclosure_req *d, enum gate_rule *ret_rule,
			    long long *ret_id);

/* The part of the gate that holds for any processing of the account for
 * purpose, a disclosure or a check that sends nothing (a roster): the
 * account exists and is not erased, processing is not restricted, and the
 * consent the purpose needs is granted (a marketing_* purpose: the consent
 * of that name). Pure. */
enum gate_rule gate_processing(const struct gate_facts *facts, const char *purpose);

/* The consent that terms of legal basis "consent" rest on: their
 * purpose's own (licensure_verification; a marketing_* channel is its own
 * consent), else the recipient kind's ("advertiser": advertiser_contact);
 * NULL when there is none. Static strings. */
const char *gate_consent_for(const char *kind, const char *purpose);

/* Does a recipient of kind receive fields only under an activity
 * enrolment, which is then the consent ("cme_sponsor", "accreditor")? */
bool gate_kind_by_enrolment(const char *kind);

/* The rules, in the order they are tried, on facts read from the
 * database; the first that refuses wins: the recipient, its suspension
 * (recipient_suspension_set()) and its terms,
 * the fields, gate_processing(), the kinds' own rules (an advertiser's
 * contact fields; a cme_sponsor's or accreditor's enrolment), the notice
 * acceptance they wait for (disclosure_req.notice_version), then the consent
 * of terms whose legal basis is consent (gate_consent_for()). *ret_field (may be NULL) is the
 * field at fault for GATE_FIELD_NOT_ALLOWED. Pure. */
enum gate_rule gate_decide(const struct gate_facts *facts, const struct disclosure_req *d,
			   const char **ret_field);

/* What `hcpd ledger verify` found. */
struct ledger_report {
	long long rows;                      /* rows checked and sound */
	unsigned char head[LEDGER_HASH_LEN]; /* row_hash of the last sound row */
	enum chain_fault fault;              /* CHAIN_OK: intact */
	long long bad_id;                    /* the first bad row's id */
	long long expected_id;               /* for CHAIN_GAP: the id that should follow */
};

/* Walks the whole chain in id order, chunk rows at a time, and stops at
 * the first bad row. ERR_OK whether or not the chain is intact (see
 * report->fault); errors only for database trouble. Blocks. */
enum err ledger_verify(PGconn *conn, int chunk, struct ledger_report *ret_report);

/* A line for a human about the report: "intact: N rows, head <hex>" or
 * "row 7: ..." naming the fault. */
void ledger_report_describe(const struct ledger_report *report, char *buf, size_t len);

#endif
