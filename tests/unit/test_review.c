/*
 * test_review.c - unit tests for the pure parts of services/review.c: the
 * decision state model, the rules for reasons and answers, and If-Match.
 */
#include <string.h>

#include "harness.h"
#include "review.h"

TEST(decisions_move_statuses)
{
	static const struct {
		const char *status, *decision, *to;
		bool awaiting;
	} ok[] = {
		{"flagged", "approve", "approved", false},
		{"suspended", "approve", "approved", false},
		{"rejected", "approve", "approved", false},
		{"flagged", "reject", "rejected", false},
		{"suspended", "reject", "rejected", false},
		{"approved", "reject", "rejected", false},
		{"flagged", "request_info", "flagged", true},
		{"suspended", "request_info", "suspended", true},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *to = NULL, *why = NULL;
		bool awaiting = !ok[i].awaiting;

		CHECK(review_transition(ok[i].status, ok[i].decision, &to, &awaiting, &why) ==
		      ERR_OK);
		CHECK_STREQ(to, ok[i].to);
		CHECK(awaiting == ok[i].awaiting && why == NULL);
	}
}

TEST(decisions_that_do_not_apply_are_conflicts)
{
	static const struct {
		const char *status, *decision, *why;
	} bad[] = {
		{"approved", "approve", "already approved"},
		{"rejected", "reject", "already rejected"},
		{"approved", "request_info", "request_info applies only"},
		{"rejected", "request_info", "request_info applies only"},
		{"pending_verification", "approve", "not under review"},
		{"verified", "reject", "not under review"},
		{"verified", "request_info", "not under review"},
	};
	const char *to = "untouched", *why = NULL;
	bool awaiting = true;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(review_transition(bad[i].status, bad[i].decision, &to, &awaiting, &why) ==
		      ERR_CONFLICT);
		CHECK(why != NULL && strstr(why, bad[i].why) != NULL);
	}
	CHECK(review_transition("flagged", "accept", &to, &awaiting, &why) == ERR_INVALID);
	CHECK(strcmp(to, "untouched") == 0 && awaiting);
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
	RUN(reasons_are_bounded_text);
	RUN(if_match_is_strong_and_exact);
	return harness_done();
}
