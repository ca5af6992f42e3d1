/*
 * test_status.c - the account status machine (services/base/status.c):
 * every (status, event) pair, each with the status it leads to or "-"
 * where the table refuses it. A row added to or dropped from the table
 * makes this fail.
 */
#include "harness.h"
#include "status.h"

/* One column per event, in enum order: checks_passed, check_failed,
 * recheck_failed, approve, reject, request_info, answer, reverify,
 * check_refused, no_registry, manual_check, duplicate_identifier,
 * suspend, reinstate. */
static const char *const expected[STATUS_COUNT][EVENT_COUNT] = {
	[STATUS_PENDING_VERIFICATION] = {"verified", "flagged", "flagged", "-", "-", "-", "-",
					 "pending_verification", "flagged", "flagged", "flagged",
					 "flagged", "suspended", "-"},
	[STATUS_VERIFIED] = {"-", "-", "suspended", "-", "-", "-", "-", "pending_verification",
			     "suspended", "-", "-", "flagged", "suspended", "-"},
	[STATUS_FLAGGED] = {"-", "-", "-", "approved", "rejected", "flagged", "flagged",
			    "pending_verification", "-", "-", "-", "flagged", "suspended", "-"},
	[STATUS_APPROVED] = {"-", "-", "suspended", "-", "rejected", "-", "-",
			     "pending_verification", "suspended", "-", "-", "flagged", "suspended",
			     "-"},
	[STATUS_REJECTED] = {"-", "-", "-", "approved", "-", "-", "-", "pending_verification", "-",
			     "-", "-", "-", "-", "-"},
	[STATUS_SUSPENDED] = {"-", "-", "-", "approved", "rejected", "suspended", "flagged",
			      "pending_verification", "-", "-", "-", "suspended", "-",
			      "pending_verification"},
};

TEST(every_pair)
{
	int allowed = 0;

	for (int s = 0; s < STATUS_COUNT; s++)
		for (int e = 0; e < EVENT_COUNT; e++) {
			enum account_status to = STATUS_COUNT;
			enum err err =
				status_next((enum account_status)s, (enum status_event)e, &to);
			const char *want = expected[s][e];

			if (strcmp(want, "-") == 0) {
				CHECK(err == ERR_CONFLICT && to == STATUS_COUNT);
			} else {
				CHECK(err == ERR_OK);
				CHECK_STREQ(status_name(to), want);
				allowed++;
			}
			if ((err == ERR_OK) != (strcmp(want, "-") != 0))
				fprintf(stderr, "  pair %s + %s\n",
					status_name((enum account_status)s),
					status_event_name((enum status_event)e));
		}
	CHECK(allowed == 36);
}

/* What each pair announces to webhook endpoints (issue 20 item 6), in the
 * same layout; "" where a transition announces nothing, "-" where there
 * is none. A status that moves is announced, but back to checking
 * (reverify), and suspended to approved is a reinstatement. */
static const char *const announced[STATUS_COUNT][EVENT_COUNT] = {
	[STATUS_PENDING_VERIFICATION] = {"account.verified", "account.flagged", "account.flagged",
					 "-", "-", "-", "-", "", "account.flagged",
					 "account.flagged", "account.flagged", "account.flagged",
					 "account.suspended", "-"},
	[STATUS_VERIFIED] = {"-", "-", "account.suspended", "-", "-", "-", "-", "",
			     "account.suspended", "-", "-", "account.flagged", "account.suspended",
			     "-"},
	[STATUS_FLAGGED] = {"-", "-", "-", "account.approved", "account.rejected", "", "", "", "-",
			    "-", "-", "", "account.suspended", "-"},
	[STATUS_APPROVED] = {"-", "-", "account.suspended", "-", "account.rejected", "-", "-", "",
			     "account.suspended", "-", "-", "account.flagged", "account.suspended",
			     "-"},
	[STATUS_REJECTED] = {"-", "-", "-", "account.approved", "-", "-", "-", "", "-", "-", "-",
			     "-", "-", "-"},
	[STATUS_SUSPENDED] = {"-", "-", "-", "account.reinstated", "account.rejected", "",
			      "account.flagged", "", "-", "-", "-", "", "-", "account.reinstated"},
};

TEST(every_announcement)
{
	for (int s = 0; s < STATUS_COUNT; s++)
		for (int e = 0; e < EVENT_COUNT; e++) {
			const char *got =
				status_announcement((enum account_status)s, (enum status_event)e);
			const char *want = announced[s][e];

			if (want[0] == '\0' || strcmp(want, "-") == 0)
				CHECK(got == NULL);
			else
				CHECK_STREQ(got, want);
			/* a pair without a transition is "-" in both tables */
			CHECK((strcmp(want, "-") == 0) == (strcmp(expected[s][e], "-") == 0));
		}
}

TEST(names_round_trip)
{
	for (int s = 0; s < STATUS_COUNT; s++) {
		enum account_status back = STATUS_COUNT;

		CHECK(status_parse(status_name((enum account_status)s), &back));
		CHECK(back == (enum account_status)s);
	}
	for (int e = 0; e < EVENT_COUNT; e++)
		CHECK(strcmp(status_event_name((enum status_event)e), "?") != 0);
	enum account_status untouched = STATUS_FLAGGED;
	CHECK(!status_parse("Verified", &untouched) && untouched == STATUS_FLAGGED);
	CHECK(!status_parse("", &untouched));
	CHECK_STREQ(status_name(STATUS_COUNT), "?");
	CHECK(status_in_review(STATUS_FLAGGED) && status_in_review(STATUS_SUSPENDED));
	CHECK(!status_in_review(STATUS_VERIFIED) && !status_in_review(STATUS_REJECTED));
}

int main(void)
{
	RUN(every_pair);
	RUN(every_announcement);
	RUN(names_round_trip);
	return harness_done();
}
