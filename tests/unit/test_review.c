/*
 * test_review.c - unit tests for the pure parts of services/review.c: the
 * decision state model, the rules for reasons and answers, and If-Match.
 */
#include <string.h>

#include "harness.h"
#include "review.h"

/* The statuses come from the status table (test_status.c lists them all);
 * these check the decision names and the reasons given for a refusal. */
TEST(decisions_move_statuses)
{
	static const struct {
		enum account_status status;
		const char *decision;
		enum status_event event;
		enum account_status to;
	} ok[] = {
		{STATUS_FLAGGED, "approve", EVENT_APPROVE, STATUS_APPROVED},
		{STATUS_SUSPENDED, "approve", EVENT_APPROVE, STATUS_APPROVED},
		{STATUS_REJECTED, "approve", EVENT_APPROVE, STATUS_APPROVED},
		{STATUS_FLAGGED, "reject", EVENT_REJECT, STATUS_REJECTED},
		{STATUS_SUSPENDED, "reject", EVENT_REJECT, STATUS_REJECTED},
		{STATUS_APPROVED, "reject", EVENT_REJECT, STATUS_REJECTED},
		{STATUS_FLAGGED, "request_info", EVENT_REQUEST_INFO, STATUS_FLAGGED},
		{STATUS_SUSPENDED, "request_info", EVENT_REQUEST_INFO, STATUS_SUSPENDED},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum account_status to = STATUS_COUNT;
		enum status_event event = EVENT_COUNT;
		const char *why = NULL;

		CHECK(review_transition(ok[i].status, true, ok[i].decision, &event, &to, &why) ==
		      ERR_OK);
		CHECK(to == ok[i].to && event == ok[i].event && why == NULL);
	}
}

TEST(decisions_that_do_not_apply_are_conflicts)
{
	static const struct {
		enum account_status status;
		const char *decision, *why;
	} bad[] = {
		{STATUS_APPROVED, "approve", "already approved"},
		{STATUS_REJECTED, "reject", "already rejected"},
		{STATUS_APPROVED, "request_info", "request_info applies only"},
		{STATUS_REJECTED, "request_info", "request_info applies only"},
		{STATUS_PENDING_VERIFICATION, "approve", "not under review"},
		{STATUS_VERIFIED, "reject", "not under review"},
		{STATUS_VERIFIED, "request_info", "not under review"},
	};
	enum account_status to = STATUS_COUNT;
	enum status_event event = EVENT_COUNT;
	const char *why = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(review_transition(bad[i].status, true, bad[i].decision, &event, &to, &why) ==
		      ERR_CONFLICT);
		CHECK(why != NULL && strstr(why, bad[i].why) != NULL);
	}
	CHECK(review_transition(STATUS_FLAGGED, true, "accept", &event, &to, &why) == ERR_INVALID);
	CHECK(to == STATUS_COUNT && event == EVENT_COUNT);
}

/* Issue 18: an address nobody has shown to be theirs is never approved. */
TEST(approval_needs_a_confirmed_email)
{
	enum account_status to = STATUS_COUNT;
	enum status_event event = EVENT_COUNT;
	const char *why = NULL;

	CHECK(review_transition(STATUS_FLAGGED, false, "approve", &event, &to, &why) ==
	      ERR_CONFLICT);
	CHECK(why != NULL && strstr(why, "not confirmed their email") != NULL);
	CHECK(review_transition(STATUS_SUSPENDED, false, "approve", &event, &to, &why) ==
	      ERR_CONFLICT);
	/* rejecting and asking need no confirmed address */
	CHECK(review_transition(STATUS_FLAGGED, false, "reject", &event, &to, &why) == ERR_OK &&
	      to == STATUS_REJECTED);
	CHECK(review_transition(STATUS_FLAGGED, false, "request_info", &event, &to, &why) ==
	      ERR_OK);
	/* a refusal the table makes anyway keeps its own reason */
	CHECK(review_transition(STATUS_APPROVED, false, "approve", &event, &to, &why) ==
	      ERR_CONFLICT);
	CHECK(strstr(why, "already approved") != NULL);
}

TEST(reasons_are_bounded_text)
{
	char text[REVIEW_TEXT_MAX * 2 + 3];

	CHECK(review_text_problem("Licence confirmed by phone.") == NULL);
	CHECK(review_text_problem("line one\n\tline two") == NULL);
	CHECK_STREQ(review_text_problem(""), "required");
	CHECK_STREQ(review_text_problem(" \n\t "), "required");
	CHECK_STREQ(review_text_problem("a\rb"), "invalid");
	CHECK_STREQ(review_text_problem("a\x1b[31mb"), "invalid");
	CHECK_STREQ(review_text_problem("a\x7f"), "invalid");
	/* characters are counted, not bytes: 2000 two-byte characters pass */
	for (int i = 0; i < REVIEW_TEXT_MAX; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[2 * REVIEW_TEXT_MAX] = '\0';
	CHECK(review_text_problem(text) == NULL);
	memcpy(text + 2 * REVIEW_TEXT_MAX, "x", 2);
	CHECK_STREQ(review_text_problem(text), "too_long");
}

TEST(if_match_is_strong_and_exact)
{
	static const char etag[] = "\"0123456789abcdef0123456789abcdef\"";

	CHECK(review_etag_matches(etag, etag));
	CHECK(review_etag_matches("\"x\", \"0123456789abcdef0123456789abcdef\"", etag));
	CHECK(review_etag_matches("\"x\",\"0123456789abcdef0123456789abcdef\"", etag));
	CHECK(!review_etag_matches("*", etag));
	CHECK(!review_etag_matches("W/\"0123456789abcdef0123456789abcdef\"", etag));
	CHECK(!review_etag_matches("0123456789abcdef0123456789abcdef", etag));
	CHECK(!review_etag_matches("\"0123456789abcdef0123456789abcde\"", etag));
	CHECK(!review_etag_matches("\"0123456789abcdef0123456789abcdef", etag));
	CHECK(!review_etag_matches("\"0123456789abcdef0123456789abcdef\"x", etag));
	CHECK(!review_etag_matches("\"x\" \"y\", W/\"z\"", etag));
	CHECK(!review_etag_matches("", etag));
}

int main(void)
{
	RUN(decisions_move_statuses);
	RUN(decisions_that_do_not_apply_are_conflicts);
	RUN(approval_needs_a_confirmed_email);
	RUN(reasons_are_bounded_text);
	RUN(if_match_is_strong_and_exact);
	return harness_done();
}
