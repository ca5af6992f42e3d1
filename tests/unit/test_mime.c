/*
 * test_mime.c - mail text that is not ASCII (services/base/mime.c): RFC
 * 2047 subjects cut between whole characters, base64 bodies of the CRLF
 * text, ASCII left as it was.
 */
#include <string.h>

#include "crypto.h"
#include "harness.h"
#include "mime.h"

TEST(ascii_stays_as_it_is)
{
	char out[256];
	size_t len = 0;
	const char *enc = NULL;

	CHECK(mime_header_encode("Confirm your email address", out, sizeof(out)));
	CHECK_STREQ(out, "Confirm your email address");
	CHECK(mime_body_encode("Hello,\n\nbye\n", out, sizeof(out), &len, &enc));
	CHECK_STREQ(out, "Hello,\r\n\r\nbye\r\n");
	CHECK(len == strlen(out));
	CHECK_STREQ(enc, "7bit");
	CHECK(!mime_header_encode("too long for the buffer", out, 8));
}

TEST(subjects_become_encoded_words)
{
	char out[512];

	CHECK(mime_header_encode("Bevestig uw e-mailadres: één keer", out, sizeof(out)));
	CHECK(strncmp(out, "=?UTF-8?B?", 10) == 0);
	/* 45 bytes of three-byte characters: each word ends on a character */
	CHECK(mime_header_encode("确认您的电子邮件地址确认您的电子邮件地址确认您的电子邮件地址",
				 out, sizeof(out)));
	CHECK(strstr(out, "\r\n =?UTF-8?B?") != NULL);
	for (char *w = out; w != NULL; w = strstr(w + 1, "=?UTF-8?B?")) {
		char *end = strstr(w, "?=");
		unsigned char raw[64];
		size_t n = 0;

		CHECK(end != NULL && end - w <= 75);
		CHECK(crypto_unbase64(w + 10, (size_t)(end - w - 10), raw, &n) == ERR_OK);
		CHECK(n % 3 == 0); /* whole three-byte characters */
	}
}

TEST(bodies_become_base64_of_crlf_text)
{
	char out[1024];
	unsigned char raw[1024];
	size_t len = 0, n = 0, at = 0;
	const char *enc = NULL;
	const char *text = "Goedendag,\n\nDe link werkt één keer; alleen de nieuwste link die u "
			   "ontving, werkt. Een lange regel om meer dan 57 bytes te vullen.\n";

	CHECK(mime_body_encode(text, out, sizeof(out), &len, &enc));
	CHECK_STREQ(enc, "base64");
	/* lines of 76 characters (the last shorter), each ending in CRLF */
	for (char *line = out; *line != '\0';) {
		char *crlf = strstr(line, "\r\n");

		CHECK(crlf != NULL && crlf - line <= 76);
		if (crlf == NULL)
			break;
		CHECK(crypto_unbase64(line, (size_t)(crlf - line), raw + at, &n) == ERR_OK);
		at += n;
		line = crlf + 2;
	}
	raw[at] = '\0';
	CHECK_STREQ((char *)raw,
		    "Goedendag,\r\n\r\nDe link werkt één keer; alleen de nieuwste link "
		    "die u ontving, werkt. Een lange regel om meer dan 57 bytes te "
		    "vullen.\r\n");
	CHECK(!mime_body_encode(text, out, 40, &len, &enc));
}

int main(void)
{
	RUN(ascii_stays_as_it_is);
	RUN(subjects_become_encoded_words);
	RUN(bodies_become_base64_of_crlf_text);
	return harness_done();
}
