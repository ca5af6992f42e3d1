/*
 * review.h - the rules of admin review and what an admin sees of an item.
 *
 * State model: an item is in the queue while its account's status is
 * flagged or suspended; it waits for an admin, or (after request_info) for
 * the professional, whose answer moves it back to flagged and waiting for
 * an admin. approve moves flagged, suspended or rejected to approved;
 * reject moves flagged, suspended or approved to rejected; request_info
 * keeps flagged or suspended and waits for the professional. Anything else
 * is a conflict. Pure functions.
 */
#ifndef HCPD_REVIEW_H
#define HCPD_REVIEW_H

#include <stdbool.h>
#include <jansson.h>

#include "err.h"
#include "reviews.h"
#include "verifier.h"
#include "status.h"

#define REVIEW_TEXT_MAX 2000 /* characters of a reason or a professional's answer */
#define REVIEW_ETAG_LEN 35   /* a quoted 32-hex-digit strong ETag and its NUL */

struct app;

/* The status event a decision ("approve", "reject", "request_info")
 * makes, into *ret_event, and the status it moves an item in status to
 * (the status table's), into *ret_to. ERR_INVALID for an unknown
 * decision, ERR_CONFLICT when the decision does not apply to status, or
 * for an approval while the professional's email is not confirmed (an
 * address nobody has shown to be theirs is never an approved account);
 * *ret_why then says why (static, fit for a problem's detail). After
 * request_info the item waits for the professional. Pure. */
enum err review_transition(enum account_status status, bool email_verified, const char *decision,
			   enum status_event *ret_event, enum account_status *ret_to,
			   const char **ret_why);

/* What is wrong with a reason or an answer, as a validation error code:
 * "required" (empty or only white space), "too_long" (over
 * REVIEW_TEXT_MAX characters), "invalid" (a control character other than
 * line feed and tab); NULL when it is fine. text is valid UTF-8. */
const char *review_text_problem(const char *text);

/* Does the If-Match header value if_match name etag? Strong comparison:
 * weak tags and "*" never match (a decision must name what it saw). */
bool review_etag_matches(const char *if_match, const char *etag);

/* The strong ETag of body (a representation an admin reads and then
 * acts on): its canonical text's SHA-256, 128 bits shown, quoted. Pure. */
enum err review_etag_of(json_t *body, char ret_etag[REVIEW_ETAG_LEN]);

/* Builds what an admin sees of an item from rows: the profile and email
 * opened with key, the account's data key opened before the transaction
 * that read rows (vault_account_key(); NULL, or rows without one, once
 * erased: nulls), each verification with its evidence opened (null when
 * there is none or it does not open), the disclosure history, past
 * decisions, the licence documents (type, size, time: never their
 * content), the professional's answers and (issue 19) the manual
 * registers of set that apply to the profile, each with its link filled
 * from the profile and the admin's instructions. *ret_etag is the strong
 * ETag of it all, waiting_seconds (which changes by itself) excepted.
 * *ret_body is a new reference holding personal values: never log it.
 * ERR_CRYPTO when the email or profile do not open. Pure. */
enum err review_build(const unsigned char *key, const struct review_rows *rows,
		      const struct verifier_set *set, json_t **ret_body,
		      char ret_etag[REVIEW_ETAG_LEN]);

#endif
