/*
 * test_links.c - unit tests for services/links.c: which mail link
 * templates start-up accepts (the token never in the query string), and
 * their expansion.
 */
#include <string.h>

#include "harness.h"
#include "links.h"

static const char token[] = "q3Vh1tZ0v2fYlS8nC4rWm6pKxB9eJdA7uGhTiLoN5sE";

TEST(good_templates_are_accepted)
{
	static const char *const good[] = {
		"{public_url}/account/reset-password#token={token}",
		"https://app.example.org/reset#t={token}",
		"https://app.example.org/reset?lang=en#token={token}",
		"http://127.0.0.1:3000/confirm/{token}",
		"{public_url}/x/{token}/done",
		"https://app.example.org/reset#x?y&token={token}", /* a '?' in the fragment */
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(link_template_check(good[i]) == NULL);
}

TEST(bad_templates_are_refused)
{
	static const char *const bad[] = {
		"",
		"{public_url}/account/reset",                  /* no token */
		"{public_url}/a#{token}&{token}",              /* twice */
		"https://app.example.org/reset?token={token}", /* in the query */
		"ftp://app.example.org/{token}",
		"/account/reset#token={token}",
		"https://app.example.org/{public_url}#{token}",
		"https://app.example.org/a b#{token}",
		"https://app.example.org/a\"b#{token}",
		"https://app.example.org/{id}#{token}",
		"https://app.example.org/\r\n#{token}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(link_template_check(bad[i]) != NULL);
}

TEST(templates_expand)
{
	char out[LINK_MAX];

	CHECK(link_build("{public_url}/account/reset-password#token={token}",
			 "https://hcp.example.org", token, out) == ERR_OK);
	CHECK_STREQ(out, "https://hcp.example.org/account/reset-password#token="
			 "q3Vh1tZ0v2fYlS8nC4rWm6pKxB9eJdA7uGhTiLoN5sE");
	CHECK(link_build("http://127.0.0.1:3000/confirm/{token}", "https://unused", token, out) ==
	      ERR_OK);
	CHECK_STREQ(out,
		    "http://127.0.0.1:3000/confirm/q3Vh1tZ0v2fYlS8nC4rWm6pKxB9eJdA7uGhTiLoN5sE");
	/* only a real token goes in */
	CHECK(link_build("{public_url}#{token}", "https://h", "a b", out) == ERR_INVALID);
	CHECK(link_build("{public_url}#{token}", "https://h", "", out) == ERR_INVALID);
}

TEST(an_expansion_that_does_not_fit_fails)
{
	char url[LINK_MAX], out[LINK_MAX];

	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "https://", 8);
	CHECK(link_build("{public_url}#{token}", url, token, out) == ERR_TOO_BIG);
}

int main(void)
{
	RUN(good_templates_are_accepted);
	RUN(bad_templates_are_refused);
	RUN(templates_expand);
	RUN(an_expansion_that_does_not_fit_fails);
	return harness_done();
}
