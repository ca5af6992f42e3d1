/*
 * test_paging.c - unit tests for services/paging.c: cursors round-trip,
 * anything else is refused, and page sizes are read strictly.
 */
#include <string.h>

#include "harness.h"
#include "paging.h"

static const char uuid[] = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

TEST(cursor_round_trips)
{
	char cursor[PAGING_CURSOR_MAX], got[37] = "";
	long long n = -1;

	paging_cursor_encode(1712345678123456LL, uuid, cursor);
	CHECK(strspn(cursor, "0123456789abcdef") == strlen(cursor));
	CHECK(paging_cursor_decode(cursor, &n, got) == ERR_OK);
	CHECK(n == 1712345678123456LL);
	CHECK_STREQ(got, uuid);
	/* a cursor with a UUID is not one without, and the other way round */
	CHECK(paging_cursor_decode(cursor, &n, NULL) == ERR_INVALID);
	paging_cursor_encode(42, NULL, cursor);
	CHECK(paging_cursor_decode(cursor, &n, NULL) == ERR_OK && n == 42);
	CHECK(paging_cursor_decode(cursor, &n, got) == ERR_INVALID);
	paging_cursor_encode(0, NULL, cursor);
	CHECK(paging_cursor_decode(cursor, &n, NULL) == ERR_OK && n == 0);
}

TEST(other_cursors_are_refused)
{
	static const char *const bad[] = {
		"",                                       /* empty */
		"3",                                      /* odd length */
		"3G",                                     /* not hex */
		"3A",                                     /* upper case is not what we make */
		"2d31",                                   /* "-1" */
		"3031",                                   /* "01": a leading zero */
		"31303030303030303030303030303030303030", /* 19 digits */
		"3100",                                   /* a NUL */
		"3100ff",                                 /* a NUL hiding the rest */
		"312f",                                   /* "1/" without a UUID */
		"31202f",                                 /* "1 /" */
	};
	char got[37] = "untouched";
	long long n = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(paging_cursor_decode(bad[i], &n, NULL) == ERR_INVALID);
		CHECK(paging_cursor_decode(bad[i], &n, got) == ERR_INVALID);
	}
	/* an upper-case UUID, or one character short */
	CHECK(paging_cursor_decode("312f3446314332443345", &n, got) == ERR_INVALID);
	char too_long[PAGING_CURSOR_MAX + 2];
	memset(too_long, '3', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	CHECK(paging_cursor_decode(too_long, &n, NULL) == ERR_INVALID);
	CHECK(n == 7 && strcmp(got, "untouched") == 0);
}

TEST(limits_are_strict)
{
	static const char *const bad[] = {"",
					  "0",
					  "101",
					  "-1",
					  "+5",
					  " 5",
					  "5 ",
					  "1x",
					  "0x10",
					  "1000",
					  "99999999999999999999"};
	int limit = -1;

	CHECK(paging_limit(NULL, &limit) == ERR_OK && limit == PAGING_LIMIT_DEFAULT);
	CHECK(paging_limit("1", &limit) == ERR_OK && limit == 1);
	CHECK(paging_limit("100", &limit) == ERR_OK && limit == PAGING_LIMIT_MAX);
	CHECK(paging_limit("007", &limit) == ERR_OK && limit == 7);
	limit = -1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(paging_limit(bad[i], &limit) == ERR_INVALID);
	CHECK(limit == -1);
}

int main(void)
{
	RUN(cursor_round_trips);
	RUN(other_cursors_are_refused);
	RUN(limits_are_strict);
	return harness_done();
}
