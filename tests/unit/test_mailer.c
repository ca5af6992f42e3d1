/*
 * test_mailer.c - unit tests for the pure parts of services/mailer.c: the
 * composed RFC 5322 messages (headers, CRLF, what the bodies hold and do
 * not hold, links, refusal of header-unsafe input) and the sealed payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "harness.h"
#include "mailer.h"
#include "outbox.h"
#include "vault.h"

static const char from[] = "hcpd@localhost";
static const char to[] = "ana@example.org";
static const char token[] = "q3Vh1tZ0v2fYlS8nC4rWm6pKxB9eJdA7uGhTiLoN5sE";
static const char link[] = "http://127.0.0.1:8080/account/confirm-email#token="
			   "q3Vh1tZ0v2fYlS8nC4rWm6pKxB9eJdA7uGhTiLoN5sE";
static const char unique[] = "0123456789abcdef0123456789abcdef";
static const time_t when = 1700000000; /* Tue, 14 Nov 2023 22:13:20 +0000 */

/* Every line ends in CRLF: no bare CR or LF anywhere. */
static int crlf_only(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n'))
			return 0;
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			return 0;
	}
	return 1;
}

TEST(confirm_message_has_headers_and_link)
{
	char *msg = NULL;
	size_t len = 0;

	CHECK(mailer_compose(OUTBOX_CONFIRM_EMAIL, from, to, link, when, unique, &msg, &len) ==
	      ERR_OK);
	if (msg == NULL)
		return;
	CHECK(strlen(msg) == len);
	CHECK(strncmp(msg, "From: hcpd@localhost\r\n", 22) == 0);
	CHECK(strstr(msg, "\r\nTo: ana@example.org\r\n") != NULL);
	CHECK(strstr(msg, "\r\nSubject: Confirm your email address\r\n") != NULL);
	CHECK(strstr(msg, "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != NULL);
	CHECK(strstr(msg, "\r\nMessage-ID: <0123456789abcdef0123456789abcdef@localhost>\r\n") !=
	      NULL);
	CHECK(strstr(msg, "\r\nMIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(msg, "\r\nContent-Type: text/plain; charset=utf-8\r\n") != NULL);
	CHECK(strstr(msg, "\r\n\r\n") != NULL);
	CHECK(strstr(strstr(msg, "\r\n\r\n"), link) != NULL);
	CHECK(strstr(msg, "within 24 hours") != NULL);
	CHECK(crlf_only(msg, len));
	free(msg);
}

TEST(already_registered_message_holds_no_token)
{
	char *msg = NULL;
	size_t len = 0;

	CHECK(mailer_compose(OUTBOX_ALREADY_REGISTERED, from, to, NULL, when, unique, &msg, &len) ==
	      ERR_OK);
	if (msg == NULL)
		return;
	CHECK(strstr(msg, "\r\nTo: ana@example.org\r\n") != NULL);
	CHECK(strstr(msg, "already has an account") != NULL);
	CHECK(strstr(msg, "/v1/sessions") != NULL);
	CHECK(strstr(msg, "/account/") == NULL);
	CHECK(crlf_only(msg, len));
	free(msg);
}

/* Issue 20: every mail with a token carries it as a link, and says how
 * long it works. */
TEST(lifecycle_mails_carry_their_link)
{
	static const struct {
		const char *kind, *subject, *says;
	} mails[] = {
		{OUTBOX_PASSWORD_RESET, "Reset your password", "within 30"},
		{OUTBOX_EMAIL_CHANGE, "Confirm your new email address", "within 24 hours"},
		{OUTBOX_EMAIL_CHANGE_CANCEL, "Your email address is being changed",
		 "within 7 days"},
	};

	for (size_t i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		char *msg = NULL, subject[128];
		size_t len = 0;

		CHECK(mailer_compose(mails[i].kind, from, to, link, when, unique, &msg, &len) ==
		      ERR_OK);
		if (msg == NULL)
			continue;
		snprintf(subject, sizeof(subject), "\r\nSubject: %s\r\n", mails[i].subject);
		CHECK(strstr(msg, subject) != NULL);
		CHECK(strstr(msg, link) != NULL && strstr(msg, mails[i].says) != NULL);
		CHECK(crlf_only(msg, len));
		free(msg);
		/* no link, no mail */
		CHECK(mailer_compose(mails[i].kind, from, to, NULL, when, unique, &msg, &len) ==
		      ERR_INVALID);
		CHECK(mailer_compose(mails[i].kind, from, to, "http://x/#token=a b", when, unique,
				     &msg, &len) == ERR_INVALID);
	}
}

/* The notices of the lifecycle hold no link: nothing in them acts. */
TEST(lifecycle_notices_hold_no_link)
{
	static const char *const kinds[] = {OUTBOX_PASSWORD_CHANGED, OUTBOX_EMAIL_CHANGE_TAKEN};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *msg = NULL;
		size_t len = 0;

		CHECK(mailer_compose(kinds[i], from, to, link, when, unique, &msg, &len) == ERR_OK);
		if (msg == NULL)
			continue;
		CHECK(strstr(msg, token) == NULL && crlf_only(msg, len));
		free(msg);
	}
}

TEST(review_notices_hold_no_token_and_point_to_the_api)
{
	static const struct {
		const char *kind, *subject, *says;
	} notices[] = {
		{OUTBOX_REVIEW_INFO_REQUESTED, "Your registration needs more information",
		 "/v1/me/review-response"},
		{OUTBOX_REVIEW_APPROVED, "Your registration was approved", "approved it"},
		{OUTBOX_REVIEW_REJECTED, "Your registration was not approved", "could not approve"},
	};

	for (size_t i = 0; i < sizeof(notices) / sizeof(notices[0]); i++) {
		char *msg = NULL, subject[128];
		size_t len = 0;

		/* a link given by mistake is not put in */
		CHECK(mailer_compose(notices[i].kind, from, to, link, when, unique, &msg, &len) ==
		      ERR_OK);
		if (msg == NULL)
			continue;
		snprintf(subject, sizeof(subject), "\r\nSubject: %s\r\n", notices[i].subject);
		CHECK(strstr(msg, subject) != NULL);
		CHECK(strstr(msg, notices[i].says) != NULL);
		CHECK(strstr(msg, token) == NULL);
		CHECK(crlf_only(msg, len));
		free(msg);
	}
}

TEST(unsafe_input_is_refused)
{
	char *msg = NULL;
	size_t len = 0;

	CHECK(mailer_compose("newsletter", from, to, link, when, unique, &msg, &len) ==
	      ERR_INVALID);
	CHECK(mailer_compose(OUTBOX_CONFIRM_EMAIL, from, to, NULL, when, unique, &msg, &len) ==
	      ERR_INVALID);
	CHECK(mailer_compose(OUTBOX_CONFIRM_EMAIL, from, "ana@example.org\r\nBcc: x@example.org",
			     link, when, unique, &msg, &len) == ERR_INVALID);
	CHECK(mailer_compose(OUTBOX_CONFIRM_EMAIL, from, "ana@example.org>", link, when, unique,
			     &msg, &len) == ERR_INVALID);
	CHECK(mailer_compose(OUTBOX_CONFIRM_EMAIL, "no-at-sign", to, link, when, unique, &msg,
			     &len) == ERR_INVALID);
	CHECK(mailer_compose(OUTBOX_CONFIRM_EMAIL, from, to, "http://x/#tok\r\nen", when, unique,
			     &msg, &len) == ERR_INVALID);
	CHECK(msg == NULL && len == 0);
}

TEST(payload_opens_only_for_its_account)
{
	static const char account[] = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
	static const char other[] = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";
	unsigned char key[CRYPTO_KEY_LEN] = {7}, *enc = NULL;
	char *text = NULL;
	size_t enc_len = 0, len = 0;

	CHECK(mailer_payload_seal(key, account, to, &enc, &enc_len) == ERR_OK);
	CHECK(enc != NULL && memmem(enc, enc_len, to, strlen(to)) == NULL);
	CHECK(vault_open(key, other, "outbox", enc, enc_len, &text, &len) == ERR_CRYPTO);
	CHECK(vault_open(key, account, "email", enc, enc_len, &text, &len) == ERR_CRYPTO);
	CHECK(vault_open(key, account, "outbox", enc, enc_len, &text, &len) == ERR_OK);
	CHECK(text != NULL && strstr(text, to) != NULL);
	free(text);
	free(enc);
}

int main(void)
{
	RUN(confirm_message_has_headers_and_link);
	RUN(already_registered_message_holds_no_token);
	RUN(lifecycle_mails_carry_their_link);
	RUN(lifecycle_notices_hold_no_link);
	RUN(review_notices_hold_no_token_and_point_to_the_api);
	RUN(unsafe_input_is_refused);
	RUN(payload_opens_only_for_its_account);
	return harness_done();
}
