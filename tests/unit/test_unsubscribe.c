/*
 * test_unsubscribe.c - unit tests for the channel-bound one-click
 * unsubscribe token of services/marketing.c: a fixed vector computed
 * independently with Python's hmac, one token per account and channel,
 * distinct from the pre-channel account token, and channel names checked
 * before anything is computed.
 */
#include <string.h>

#include "harness.h"
#include "marketing.h"

#define ID1 "00000000-0000-4000-8000-000000000001"
#define ID2 "00000000-0000-4000-8000-000000000002"

TEST(token_is_a_keyed_mac_of_account_and_channel)
{
	unsigned char key[CRYPTO_KEY_LEN], other[CRYPTO_KEY_LEN];
	char t1[MARKETING_TOKEN_LEN + 1], t2[MARKETING_TOKEN_LEN + 1];

	memset(key, 1, sizeof(key));
	memset(other, 2, sizeof(other));
	CHECK(marketing_channel_token(key, ID1, "marketing_email", t1) == ERR_OK);
	/* base64url(HMAC-SHA-256(key, "unsubscribe:" id ":" channel)), from Python */
	CHECK_STREQ(t1, "-eFdnYpeLsX3Wkdv74thyfNUt9fz6TiruYGi20wuzUk");
	CHECK(strlen(t1) == MARKETING_TOKEN_LEN);
	CHECK(marketing_channel_token(key, ID1, "marketing_email", t2) == ERR_OK);
	CHECK_STREQ(t1, t2); /* the same for every message on the channel */
	CHECK(marketing_channel_token(key, ID1, "marketing_sms", t2) == ERR_OK);
	CHECK(strcmp(t1, t2) != 0); /* another channel: another token */
	CHECK(marketing_channel_token(key, ID2, "marketing_email", t2) == ERR_OK);
	CHECK(strcmp(t1, t2) != 0);
	CHECK(marketing_channel_token(other, ID1, "marketing_email", t2) == ERR_OK);
	CHECK(strcmp(t1, t2) != 0);
	/* and never the account-wide token of links made before */
	marketing_token(key, ID1, t2);
	CHECK(strcmp(t1, t2) != 0);
}

TEST(bad_channel_names_make_no_token)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char t[MARKETING_TOKEN_LEN + 1] = "untouched", longest[MARKETING_CHANNEL_MAX + 2];

	memset(key, 1, sizeof(key));
	CHECK(marketing_channel_token(key, ID1, "", t) == ERR_INVALID);
	CHECK(marketing_channel_token(key, ID1, "marketing email", t) == ERR_INVALID);
	CHECK(marketing_channel_token(key, ID1, "marketing_email:x", t) == ERR_INVALID);
	CHECK(marketing_channel_token(key, ID1, "Marketing_email", t) == ERR_INVALID);
	CHECK_STREQ(t, "untouched");
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	CHECK(marketing_channel_token(key, ID1, longest, t) == ERR_INVALID);
	longest[MARKETING_CHANNEL_MAX] = '\0';
	CHECK(marketing_channel_token(key, ID1, longest, t) == ERR_OK);
	CHECK(strlen(t) == MARKETING_TOKEN_LEN);
}

int main(void)
{
	RUN(token_is_a_keyed_mac_of_account_and_channel);
	RUN(bad_channel_names_make_no_token);
	return harness_done();
}
