/*
 * test_marketing.c - unit tests for the pure parts of services/marketing.c:
 * the unsubscribe token (a fixed vector computed independently with
 * Python's hmac), the RFC 8058 header values, and recognising a one-click
 * unsubscribe body in both content types RFC 8058 allows.
 */
#include <string.h>

#include "harness.h"
#include "marketing.h"

#define ID1 "00000000-0000-4000-8000-000000000001"
#define ID2 "00000000-0000-4000-8000-000000000002"

static const char form[] = "application/x-www-form-urlencoded";

TEST(token_is_a_keyed_mac_of_the_account)
{
	unsigned char key[CRYPTO_KEY_LEN], other[CRYPTO_KEY_LEN];
	char t1[MARKETING_TOKEN_LEN + 1], t2[MARKETING_TOKEN_LEN + 1];

	memset(key, 1, sizeof(key));
	memset(other, 2, sizeof(other));
	marketing_token(key, ID1, t1);
	/* base64url(HMAC-SHA-256(key, "unsubscribe:" id)), from Python */
	CHECK_STREQ(t1, "YAx_-7lYJPK9KVMD4wI2Ffts2r7xr7ld6XmHiQqSVhM");
	CHECK(strlen(t1) == MARKETING_TOKEN_LEN);
	marketing_token(key, ID1, t2);
	CHECK_STREQ(t1, t2); /* the same for every message */
	marketing_token(key, ID2, t2);
	CHECK(strcmp(t1, t2) != 0);
	marketing_token(other, ID1, t2);
	CHECK(strcmp(t1, t2) != 0);
}

TEST(header_values)
{
	char list[MARKETING_HEADER_MAX], post[MARKETING_HEADER_MAX], url[600];

	CHECK(marketing_headers_format("https://hcp.example.org", "TOKEN", "marketing_email", list,
				       post) == ERR_OK);
	CHECK_STREQ(list, "<https://hcp.example.org/v1/unsubscribe/TOKEN?channel=marketing_email>");
	CHECK_STREQ(post, "List-Unsubscribe=One-Click");
	CHECK(marketing_headers_format("https://x", "T", "marketing email", list, post) ==
	      ERR_INVALID);
	CHECK(marketing_headers_format("https://x", "T", "a&b=c", list, post) == ERR_INVALID);
	CHECK(marketing_headers_format("https://x", "T", "", list, post) == ERR_INVALID);
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	CHECK(marketing_headers_format(url, "T", "marketing_sms", list, post) == ERR_TOO_BIG);
}

static bool click(const char *ctype, const char *body)
{
	return marketing_one_click_body(ctype, body, strlen(body));
}

TEST(one_click_form_body)
{
	CHECK(click(form, "List-Unsubscribe=One-Click"));
	CHECK(click(form, "List-Unsubscribe=One-Click\r\n"));
	CHECK(click("application/x-www-form-urlencoded; charset=utf-8",
		    "List-Unsubscribe=One-Click"));
	CHECK(click(form, "a=b&List-Unsubscribe=One-Click&c=d"));
	CHECK(!click(form, "List-Unsubscribe=One-Clicks"));
	CHECK(!click(form, "List-Unsubscribe=one-click"));
	CHECK(!click(form, "XList-Unsubscribe=One-Click"));
	CHECK(!click(form, ""));
	CHECK(!click("application/x-www-form-urlencodedX", "List-Unsubscribe=One-Click"));
	CHECK(!click("text/plain", "List-Unsubscribe=One-Click"));
	CHECK(!click(NULL, "List-Unsubscribe=One-Click"));
	CHECK(!marketing_one_click_body(form, NULL, 0));
	/* the length counts, not a NUL */
	CHECK(!marketing_one_click_body(form, "List-Unsubscribe=One-Click", 20));
}

TEST(one_click_multipart_body)
{
	static const char ctype[] = "multipart/form-data; boundary=b";

	CHECK(click(ctype, "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
			   "\r\nOne-Click\r\n--b--\r\n"));
	CHECK(!click(ctype, "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
			    "\r\nNo\r\n--b--\r\n"));
	CHECK(!click(ctype, "--b\r\nContent-Disposition: form-data; name=\"Other\"\r\n"
			    "\r\nOne-Click\r\n--b--\r\n"));
	CHECK(!click(ctype, "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""));
}

int main(void)
{
	RUN(token_is_a_keyed_mac_of_the_account);
	RUN(header_values);
	RUN(one_click_form_body);
	RUN(one_click_multipart_body);
	return harness_done();
}
