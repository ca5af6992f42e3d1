/*
 * test_ledger.c - the ledger's pure parts: the canonical row encoding and
 * hash (against a vector computed by tests/perf/ledger_chain.py, a second
 * implementation written from the header's description), the chain walk,
 * every gate rule, and the recipients file's validation.
 */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "crypto.h"
#include "harness.h"
#include "ledger.h"
#include "recipients.h"

static const char *const vector_fields[] = {"npi", "family_name"};

static struct ledger_row vector_row(void)
{
	return (struct ledger_row){
		.id = 7,
		.subject = "565f4e4c-84eb-451e-83e9-02de63657221",
		.recipient = "us-nppes",
		.fields = vector_fields,
		.nfields = 2,
		.purpose = "licensure_verification",
		.terms_version = "2026-01-01",
		.legal_basis = "consent",
		.recipient_country = "US",
		.job_id = 42,
		.disclosed_us = 1795000000123456LL,
	};
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	crypto_hex(b, n, out);
}

TEST(encoding_matches_the_reference)
{
	static const char want[] =
		"00000012686370642e646973636c6f737572652e763100000001370000002435363566346534632d"
		"383465622d343531652d383365392d3032646536333635373232310000000875732d6e707065730000"
		"000132000000036e70690000000b66616d696c795f6e616d65000000166c6963656e737572655f7665"
		"72696669636174696f6e0000000a323032362d30312d303100000007636f6e73656e74000000025553"
		"0000000234320000001031373935303030303030313233343536";
	struct ledger_row row = vector_row();
	unsigned char buf[512];
	char got[1025];
	size_t len = ledger_row_encode(&row, buf, sizeof(buf));

	CHECK(len * 2 == strlen(want));
	hex(buf, len, got);
	CHECK_STREQ(got, want);
	/* too small a buffer: nothing past it is written, the length is still told */
	memset(buf, 0xAB, sizeof(buf));
	CHECK(ledger_row_encode(&row, buf, 10) == len);
	CHECK(buf[10] == 0xAB);
}

TEST(hash_matches_the_reference)
{
	struct ledger_row row = vector_row();
	unsigned char prev[32], hash[32];
	char got[65];

	for (int i = 0; i < 32; i++)
		prev[i] = (unsigned char)i;
	CHECK(ledger_row_hash(&row, prev, hash) == ERR_OK);
	hex(hash, 32, got);
	CHECK_STREQ(got, "16b4dcc713473d7f13878e712b5f07dff11609c76b6c9792d8951272a34a66fc");
	row.job_id = 0; /* NULL, not "0" */
	CHECK(ledger_row_hash(&row, prev, hash) == ERR_OK);
	hex(hash, 32, got);
	CHECK_STREQ(got, "79930b5a0dd3679ff877108bbbb3b66cd39d6e992c2e325f2f62201945df74f8");
}

TEST(encoding_is_unambiguous)
{
	static const char *const ab_c[] = {"ab", "c"}, *const a_bc[] = {"a", "bc"};
	static const char *const one[] = {"npi"}, *const two[] = {"npi", ""};
	struct ledger_row x = vector_row(), y = vector_row();
	unsigned char ex[512], ey[512];
	size_t lx, ly;

	x.fields = ab_c;
	y.fields = a_bc;
	lx = ledger_row_encode(&x, ex, sizeof(ex));
	ly = ledger_row_encode(&y, ey, sizeof(ey));
	CHECK(lx == ly && memcmp(ex, ey, lx) != 0);
	/* an empty trailing name is not the same as none */
	x.fields = one;
	x.nfields = 1;
	y.fields = two;
	y.nfields = 2;
	lx = ledger_row_encode(&x, ex, sizeof(ex));
	ly = ledger_row_encode(&y, ey, sizeof(ey));
	CHECK(lx != ly || memcmp(ex, ey, lx) != 0);
	/* a field moved into the next item is another encoding */
	x = vector_row();
	y = vector_row();
	x.purpose = "licensure_verification2026-01-01";
	x.terms_version = "";
	lx = ledger_row_encode(&x, ex, sizeof(ex));
	ly = ledger_row_encode(&y, ey, sizeof(ey));
	CHECK(lx != ly || memcmp(ex, ey, lx) != 0);
}

TEST(big_rows_hash_through_the_heap)
{
	const char *fields[300];
	struct ledger_row row = vector_row();
	unsigned char prev[32] = {0}, a[32], b[32];

	for (int i = 0; i < 300; i++)
		fields[i] = "a_rather_long_field_name";
	row.fields = fields;
	row.nfields = 300;
	CHECK(ledger_row_hash(&row, prev, a) == ERR_OK);
	fields[299] = "a_rather_long_field_namf";
	CHECK(ledger_row_hash(&row, prev, b) == ERR_OK);
	CHECK(memcmp(a, b, 32) != 0);
}

/* A chain of three rows, hashed as an append would. */
static void make_chain(struct ledger_row rows[3], unsigned char prevs[3][32],
		       unsigned char hashes[3][32])
{
	for (int i = 0; i < 3; i++) {
		rows[i] = vector_row();
		rows[i].id = i + 1;
		if (i == 0)
			memset(prevs[i], 0, 32);
		else
			memcpy(prevs[i], hashes[i - 1], 32);
		ledger_row_hash(&rows[i], prevs[i], hashes[i]);
	}
}

TEST(chain_walk_accepts_a_sound_chain)
{
	struct ledger_row rows[3];
	unsigned char prevs[3][32], hashes[3][32];
	struct chain_walk walk = {0};

	make_chain(rows, prevs, hashes);
	for (int i = 0; i < 3; i++)
		CHECK(ledger_chain_step(&walk, &rows[i], prevs[i], hashes[i]) == CHAIN_OK);
	CHECK(walk.rows == 3 && walk.last_id == 3);
	CHECK(memcmp(walk.last_hash, hashes[2], 32) == 0);
}

TEST(chain_walk_names_each_fault)
{
	struct ledger_row rows[3];
	unsigned char prevs[3][32], hashes[3][32];
	struct chain_walk walk = {0};

	make_chain(rows, prevs, hashes);
	/* the first row must be id 1 */
	CHECK(ledger_chain_step(&walk, &rows[1], prevs[1], hashes[1]) == CHAIN_GAP);
	CHECK(walk.rows == 0);
	CHECK(ledger_chain_step(&walk, &rows[0], prevs[0], hashes[0]) == CHAIN_OK);
	/* a missing row */
	CHECK(ledger_chain_step(&walk, &rows[2], prevs[2], hashes[2]) == CHAIN_GAP);
	/* a row whose content changed */
	rows[1].purpose = "advertising";
	CHECK(ledger_chain_step(&walk, &rows[1], prevs[1], hashes[1]) == CHAIN_CONTENT);
	/* ... and re-hashed: then its link no longer matches the next row */
	ledger_row_hash(&rows[1], prevs[1], hashes[1]);
	CHECK(ledger_chain_step(&walk, &rows[1], prevs[1], hashes[1]) == CHAIN_OK);
	CHECK(ledger_chain_step(&walk, &rows[2], prevs[2], hashes[2]) == CHAIN_LINK);
	CHECK(walk.rows == 2);
}

TEST(report_lines_name_the_row)
{
	struct ledger_report r = {.fault = CHAIN_CONTENT, .bad_id = 12, .rows = 11};
	char line[256];

	ledger_report_describe(&r, line, sizeof(line));
	CHECK(strstr(line, "row 12") != NULL && strstr(line, "content") != NULL);
	r.fault = CHAIN_LINK;
	ledger_report_describe(&r, line, sizeof(line));
	CHECK(strstr(line, "row 12") != NULL && strstr(line, "link") != NULL);
	r.fault = CHAIN_GAP;
	r.expected_id = 12;
	r.bad_id = 14;
	ledger_report_describe(&r, line, sizeof(line));
	CHECK(strstr(line, "row 14") != NULL && strstr(line, "gap") != NULL);
	r.fault = CHAIN_OK;
	ledger_report_describe(&r, line, sizeof(line));
	CHECK(strstr(line, "intact") != NULL && strstr(line, "11 rows") != NULL);
}

/* Facts under which a verifier may receive npi and family_name. */
static const char *const allowed[] = {"npi", "family_name", "given_name"};
static const char *const consents_all[] = {"licensure_verification", "advertiser_contact",
					   "marketing_email"};

static struct gate_facts good_facts(const char *kind, const char *purpose)
{
	return (struct gate_facts){
		.kind = kind,
		.terms_version = "2026-01-01",
		.purpose = purpose,
		.legal_basis = "consent",
		.recipient_country = "US",
		.allowed = (const char **)allowed,
		.nallowed = 3,
		.account_found = true,
		.granted = (const char **)consents_all,
		.ngranted = 3,
		.enrolled = (const char **)allowed, /* read for cme_sponsor, accreditor only */
		.nenrolled = 3,
	};
}

static struct disclosure_req req(const char *purpose, const char *const *fields, size_t n)
{
	return (struct disclosure_req){
		.subject = "565f4e4c-84eb-451e-83e9-02de63657221",
		.recipient = "x",
		.purpose = purpose,
		.fields = fields,
		.nfields = n,
	};
}

TEST(gate_allows_within_terms)
{
	struct gate_facts f = good_facts("verifier", "licensure_verification");
	struct disclosure_req d = req("licensure_verification", vector_fields, 2);

	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
}

TEST(gate_refuses_each_rule)
{
	static const char *const with_phone[] = {"npi", "phone"};
	static const char *const contact[] = {"given_name"};
	struct gate_facts f = good_facts("verifier", "licensure_verification");
	struct disclosure_req d = req("licensure_verification", vector_fields, 2);
	const char *field = NULL;

	f.kind = NULL;
	CHECK(gate_decide(&f, &d, NULL) == GATE_UNKNOWN_RECIPIENT);
	f = good_facts("verifier", "licensure_verification");
	f.terms_version = NULL;
	CHECK(gate_decide(&f, &d, NULL) == GATE_TERMS_NOT_IN_FORCE);
	f = good_facts("verifier", "licensure_verification");
	d.purpose = "advertising";
	CHECK(gate_decide(&f, &d, NULL) == GATE_PURPOSE);
	d = req("licensure_verification", with_phone, 2);
	CHECK(gate_decide(&f, &d, &field) == GATE_FIELD_NOT_ALLOWED);
	CHECK_STREQ(field, "phone");
	d = req("licensure_verification", vector_fields, 2);
	f.erased = true;
	CHECK(gate_decide(&f, &d, NULL) == GATE_ERASED);
	f = good_facts("verifier", "licensure_verification");
	f.account_found = false;
	CHECK(gate_decide(&f, &d, NULL) == GATE_ERASED);
	f = good_facts("verifier", "licensure_verification");
	f.restricted = true;
	CHECK(gate_decide(&f, &d, NULL) == GATE_RESTRICTED);
	f = good_facts("verifier", "licensure_verification");
	f.granted = (const char **)consents_all + 1; /* licensure_verification withdrawn */
	f.ngranted = 2;
	CHECK(gate_decide(&f, &d, NULL) == GATE_NO_CONSENT);

	/* an advertiser under consent terms: nothing without advertiser_contact
	 * (issue 18: profession and country went with no consent at all) */
	static const char *const ad_allowed[] = {"profession", "email", "phone"};
	static const char *const ad_fields[] = {"profession", "email"};
	static const char *const ad_plain[] = {"profession"};
	f = good_facts("advertiser", "advertising");
	f.allowed = (const char **)ad_allowed;
	f.granted = NULL;
	f.ngranted = 0;
	d = req("advertising", ad_fields, 2);
	CHECK(gate_decide(&f, &d, NULL) == GATE_ADVERTISER_CONTACT);
	d = req("advertising", ad_plain, 1);
	CHECK(gate_decide(&f, &d, NULL) == GATE_NO_CONSENT);
	f.granted = (const char **)consents_all + 1;
	f.ngranted = 1;
	d = req("advertising", ad_fields, 2);
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	/* under another legal basis: still no contact field without it */
	f.legal_basis = "legitimate_interest";
	f.granted = NULL;
	f.ngranted = 0;
	CHECK(gate_decide(&f, &d, NULL) == GATE_ADVERTISER_CONTACT);
	d = req("advertising", ad_plain, 1);
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);

	/* a CME sponsor or an accreditor: only under an enrolment in force
	 * naming it, and only its fields, whatever the basis (issue 25) */
	f = good_facts("cme_sponsor", "cme_sponsorship");
	d = req("cme_sponsorship", contact, 1);
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	f.ngranted = 0; /* the enrolment is the consent: no standing one */
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	f.enrolled = NULL;
	f.nenrolled = 0;
	CHECK(gate_decide(&f, &d, NULL) == GATE_NOT_ENROLLED);
	f.legal_basis = "contract";
	CHECK(gate_decide(&f, &d, NULL) == GATE_NOT_ENROLLED);
	f = good_facts("cme_sponsor", "cme_sponsorship");
	f.nenrolled = 1; /* the activity lists npi only */
	field = NULL;
	CHECK(gate_decide(&f, &d, &field) == GATE_NOT_ENROLLED);
	CHECK_STREQ(field, "given_name");
	f = good_facts("accreditor", "cme_accreditation");
	d = req("cme_accreditation", contact, 1);
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	f.enrolled = NULL;
	CHECK(gate_decide(&f, &d, NULL) == GATE_NOT_ENROLLED);
	f.legal_basis = "legal_obligation";
	CHECK(gate_decide(&f, &d, NULL) == GATE_NOT_ENROLLED);
	f.enrolled = (const char **)allowed;
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	CHECK(gate_kind_by_enrolment("accreditor") && gate_kind_by_enrolment("cme_sponsor"));
	CHECK(!gate_kind_by_enrolment("advertiser") && !gate_kind_by_enrolment(NULL));
	CHECK(gate_consent_for("cme_sponsor", "cme_sponsorship") == NULL);
	CHECK_STREQ(gate_rule_name(GATE_NOT_ENROLLED), "not_enrolled");
	/* a suspended recipient (the kill-switch) gets nothing, before any other rule */
	f.suspended = true;
	CHECK(gate_decide(&f, &d, NULL) == GATE_RECIPIENT_SUSPENDED);
	f.restricted = true;
	CHECK(gate_decide(&f, &d, NULL) == GATE_RECIPIENT_SUSPENDED);
	CHECK_STREQ(gate_consent_for("authority", "licensure_verification"),
		    "licensure_verification");
	CHECK_STREQ(gate_consent_for("advertiser", "advertising"), "advertiser_contact");
	CHECK(gate_consent_for("authority", "reporting") == NULL);
	/* a marketing channel is its own consent (issue 25: the sending processor) */
	CHECK_STREQ(gate_consent_for("processor", "marketing_email"), "marketing_email");
	f = good_facts("processor", "marketing_email");
	f.ngranted = 0;
	d = req("marketing_email", contact, 1);
	CHECK(gate_processing(&f, "marketing_email") == GATE_NO_CONSENT);
	CHECK(gate_decide(&f, &d, NULL) == GATE_NO_CONSENT);
	CHECK(gate_consent_for(NULL, NULL) == NULL);
}

/* Issue 25 item 5: advertisers and CME sponsors wait for the current
 * notice's acceptance; a verifier (licensure) does not, nor a disclosure
 * that names no notice version. */
TEST(gate_waits_for_the_notice)
{
	static const char *const contact[] = {"given_name"};
	struct gate_facts f = good_facts("cme_sponsor", "cme_sponsorship");
	struct disclosure_req d = req("cme_sponsorship", contact, 1);

	f.notice_version = "2026-01";
	d.notice_version = "2026-02";
	CHECK(gate_decide(&f, &d, NULL) == GATE_NOTICE_PENDING);
	f.notice_version = "2026-02";
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	f = good_facts("advertiser", "advertising");
	f.notice_version = "2026-01";
	d = req("advertising", contact, 1);
	d.notice_version = "2026-02";
	CHECK(gate_decide(&f, &d, NULL) == GATE_NOTICE_PENDING);
	d.notice_version = NULL;
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	f = good_facts("verifier", "licensure_verification");
	f.notice_version = "2026-01";
	d = req("licensure_verification", contact, 1);
	d.notice_version = "2026-02";
	CHECK(gate_decide(&f, &d, NULL) == GATE_ALLOWED);
	CHECK_STREQ(gate_rule_name(GATE_NOTICE_PENDING), "notice_pending");
}

TEST(rule_names)
{
	CHECK_STREQ(gate_rule_name(GATE_ALLOWED), "allowed");
	CHECK_STREQ(gate_rule_name(GATE_NO_CONSENT), "no_consent");
	CHECK_STREQ(gate_rule_name(GATE_ADVERTISER_CONTACT), "advertiser_contact");
	CHECK_STREQ(gate_rule_name(GATE_ERASED), "erased");
	CHECK_STREQ(gate_rule_name(GATE_RECIPIENT_SUSPENDED), "recipient_suspended");
	CHECK_STREQ(gate_rule_name((enum gate_rule)99), "unknown");
}

static struct catalogue *cat;

/* Loads a recipients document with one change applied by jansson pack. */
static enum err load_text(const char *text, char *why, size_t len)
{
	struct recipients *set = NULL;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	enum err err;

	if (doc == NULL)
		return ERR_IO;
	err = recipients_from_json(doc, "r.json", cat, &set, why, len);
	recipients_free(set);
	return err;
}

#define GOOD_TERMS                                                                                 \
	"\"version\": \"1\", \"purpose\": \"advertising\", \"allowed_fields\": [\"email\", "       \
	"\"specialty\"], \"retention_days\": 30, \"onward_transfer\": false, \"legal_basis\": "    \
	"\"consent\", \"recipient_country\": \"GB\", \"effective_from\": \"2026-01-01\""
#define ONE(recipient_keys, terms_keys)                                                            \
	"{\"recipients\": [{\"name\": \"ads\", \"kind\": \"advertiser\", \"display_name\": "       \
	"\"Ads\", \"country\": \"GB\"" recipient_keys ", \"terms\": {" GOOD_TERMS terms_keys       \
	"}}]}"

TEST(recipients_file_loads)
{
	struct recipients *set = NULL;
	const struct recipient_def *d;
	char why[256] = "";
	size_t n = 0;

	CHECK(recipients_load("services/recipients.json", cat, &set, why, sizeof(why)) == ERR_OK);
	d = set != NULL ? recipients_defs(set, &n) : NULL;
	CHECK(n == 3);
	for (size_t i = 0; d != NULL && i < n; i++) {
		CHECK(strcmp(d[i].kind, "verifier") != 0);
		CHECK(!d[i].terms.onward_transfer && d[i].terms.nallowed > 0);
	}
	recipients_free(set);
	CHECK(load_text(ONE("", ""), why, sizeof(why)) == ERR_OK);
	CHECK(load_text(ONE("", ", \"effective_to\": null"), why, sizeof(why)) == ERR_OK);
	CHECK(load_text(ONE("", ", \"effective_to\": \"2027-01-01\""), why, sizeof(why)) == ERR_OK);
}

TEST(recipients_file_is_strict)
{
	static const struct {
		const char *text, *names;
	} bad[] = {
		{ONE(", \"colour\": \"red\"", ""), "recipients[0]: unknown key \"colour\""},
		{ONE("", ", \"colour\": \"red\""), "recipients[0].terms: \"colour\""},
		{"{\"recipients\": [], \"extra\": 1}", "unknown key \"extra\""},
		{"{\"recipients\": [{\"name\": \"v\", \"kind\": \"verifier\", \"display_name\": "
		 "\"V\", \"country\": \"GB\", \"terms\": {" GOOD_TERMS "}}]}",
		 "\"kind\""},
		{"{\"recipients\": [{\"name\": \"Bad Name\", \"kind\": \"advertiser\", "
		 "\"display_name\": \"V\", \"country\": \"GB\", \"terms\": {" GOOD_TERMS "}}]}",
		 "\"name\""},
		{"{\"recipients\": [{\"name\": \"a\", \"kind\": \"advertiser\", "
		 "\"display_name\": \"V\", \"country\": \"gb\", \"terms\": {" GOOD_TERMS "}}]}",
		 "\"country\""},
		{"{\"recipients\": [{\"name\": \"a\", \"kind\": \"advertiser\", "
		 "\"display_name\": \"V\", \"country\": \"GB\"}]}",
		 "\"terms\""},
		{ONE("", ", \"effective_to\": \"2025-01-01\""), "\"effective_to\""},
		{ONE("", ", \"effective_to\": \"soon\""), "\"effective_to\""},
		/* consent terms for a kind the gate knows no consent of (an
		 * accreditor's is its enrolment, issue 25) */
		{"{\"recipients\": [{\"name\": \"a\", \"kind\": \"authority\", "
		 "\"display_name\": \"V\", \"country\": \"GB\", \"terms\": {" GOOD_TERMS "}}]}",
		 "\"legal_basis\" consent needs a kind with a consent"},
	};
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(load_text(bad[i].text, why, sizeof(why)) == ERR_INVALID);
		CHECK(strstr(why, "r.json") != NULL);
		if (strstr(why, bad[i].names) == NULL)
			fprintf(stderr, "  case %zu: %s\n", i, why);
		CHECK(strstr(why, bad[i].names) != NULL);
	}
}

TEST(recipients_terms_are_checked)
{
	static const char *const replace[][3] = {
		{"\"email\", \"specialty\"", "\"email\", \"shoe_size\"", "allowed_fields"},
		{"\"email\", \"specialty\"", "\"email\", \"email\"", "allowed_fields"},
		{"\"email\", \"specialty\"", "", "allowed_fields"},
		{"\"onward_transfer\": false", "\"onward_transfer\": true", "onward_transfer"},
		{"\"retention_days\": 30", "\"retention_days\": -1", "retention_days"},
		{"\"retention_days\": 30", "\"retention_days\": \"30\"", "retention_days"},
		{"\"effective_from\": \"2026-01-01\"", "\"effective_from\": \"2026-13-01\"",
		 "effective_from"},
		{"\"recipient_country\": \"GB\"", "\"recipient_country\": \"GBR\"",
		 "recipient_country"},
		{"\"purpose\": \"advertising\"", "\"purpose\": \"Ad Words\"", "purpose"},
		{"\"version\": \"1\"", "\"version\": \"\"", "version"},
	};
	const char *good = ONE("", "");
	char text[2048], why[256];

	for (size_t i = 0; i < sizeof(replace) / sizeof(replace[0]); i++) {
		const char *at = strstr(good, replace[i][0]);

		CHECK(at != NULL);
		if (at == NULL)
			continue;
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, replace[i][1],
			 at + strlen(replace[i][0]));
		why[0] = '\0';
		CHECK(load_text(text, why, sizeof(why)) == ERR_INVALID);
		if (strstr(why, replace[i][2]) == NULL)
			fprintf(stderr, "  case %zu: %s\n", i, why);
		CHECK(strstr(why, replace[i][2]) != NULL);
	}
}

int main(void)
{
	char why[256];

	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	RUN(encoding_matches_the_reference);
	RUN(hash_matches_the_reference);
	RUN(encoding_is_unambiguous);
	RUN(big_rows_hash_through_the_heap);
	RUN(chain_walk_accepts_a_sound_chain);
	RUN(chain_walk_names_each_fault);
	RUN(report_lines_name_the_row);
	RUN(gate_allows_within_terms);
	RUN(gate_refuses_each_rule);
	RUN(gate_waits_for_the_notice);
	RUN(rule_names);
	RUN(recipients_file_loads);
	RUN(recipients_file_is_strict);
	RUN(recipients_terms_are_checked);
	catalogue_free(cat);
	return harness_done();
}
