/*
 * marketing.c - send-time checks and one-click unsubscribe (see
 * marketing.h). Owns the token format and the header wording; the consent
 * history itself is db/consents.c's.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "app.h"
#include "catalogue.h"
#include "consents.h"
#include "marketing.h"

#define ONE_CLICK      "List-Unsubscribe=One-Click"
#define CHANNEL_CHARS  "abcdefghijklmnopqrstuvwxyz0123456789_"
#define CHANNEL_PREFIX "marketing_"

/* 1 to MARKETING_CHANNEL_MAX characters of CHANNEL_CHARS? */
static bool channel_chars_ok(const char *channel)
{
	size_t n = strspn(channel, CHANNEL_CHARS);

	return n > 0 && n <= MARKETING_CHANNEL_MAX && channel[n] == '\0';
}

enum err marketing_channel_token(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
				 const char *channel, char ret_token[MARKETING_TOKEN_LEN + 1])
{
	char msg[UUID_STR_LEN + MARKETING_CHANNEL_MAX + 16];
	unsigned char mac[32];
	int n;

	if (!channel_chars_ok(channel))
		return ERR_INVALID;
	n = snprintf(msg, sizeof(msg), "unsubscribe:%s:%s", account_id, channel);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return ERR_INVALID;
	crypto_hmac_sha256(key, msg, (size_t)n, mac);
	crypto_base64url(mac, sizeof(mac), ret_token);
	explicit_bzero(mac, sizeof(mac));
	return ERR_OK;
}

void marketing_token(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
		     char ret_token[MARKETING_TOKEN_LEN + 1])
{
	char msg[64];
	unsigned char mac[32];
	int n = snprintf(msg, sizeof(msg), "unsubscribe:%s", account_id);

	crypto_hmac_sha256(key, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, mac);
	crypto_base64url(mac, sizeof(mac), ret_token);
	explicit_bzero(mac, sizeof(mac));
}

enum err marketing_headers_format(const char *public_url, const char *token, const char *channel,
				  char *ret_list, char *ret_post)
{
	int n;

	if (!channel_chars_ok(channel))
		return ERR_INVALID;
	n = snprintf(ret_list, MARKETING_HEADER_MAX, "<%s/v1/unsubscribe/%s?channel=%s>",
		     public_url, token, channel);
	if (n < 0 || n >= MARKETING_HEADER_MAX)
		return ERR_TOO_BIG;
	snprintf(ret_post, MARKETING_HEADER_MAX, "%s", ONE_CLICK);
	return ERR_OK;
}

/* Does a multipart/form-data body hold a part named List-Unsubscribe whose
 * value is One-Click? */
static bool multipart_one_click(const char *body, size_t len)
{
	static const char name[] = "name=\"List-Unsubscribe\"";
	const char *end = body + len, *p = memmem(body, len, name, sizeof(name) - 1);
	const char *value;

	if (p == NULL)
		return false;
	value = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
	if (value == NULL)
		return false;
	value += 4;
	return (size_t)(end - value) >= 11 && memcmp(value, "One-Click\r\n", 11) == 0;
}

bool marketing_one_click_body(const char *ctype, const char *body, size_t len)
{
	static const char form[] = "application/x-www-form-urlencoded";
	static const char multipart[] = "multipart/form-data";
	const char *p = body, *end = body + len;

	if (ctype == NULL || body == NULL)
		return false;
	if (strncasecmp(ctype, multipart, sizeof(multipart) - 1) == 0)
		return multipart_one_click(body, len);
	if (strncasecmp(ctype, form, sizeof(form) - 1) != 0 ||
	    (ctype[sizeof(form) - 1] != '\0' && ctype[sizeof(form) - 1] != ';'))
		return false;
	/* key=value pairs separated by '&'; a trailing CRLF is tolerated */
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		end = body + --len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t n = (size_t)((amp != NULL ? amp : end) - p);

		if (n == sizeof(ONE_CLICK) - 1 && memcmp(p, ONE_CLICK, n) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

bool marketing_channel_ok(const struct app *app, const char *channel)
{
	bool required = true;

	return channel != NULL &&
	       strncmp(channel, CHANNEL_PREFIX, sizeof(CHANNEL_PREFIX) - 1) == 0 &&
	       channel_chars_ok(channel) &&
	       catalogue_consent_known(app->catalogue, channel, &required) && !required;
}

enum err marketing_headers(const struct app *app, PGconn *conn, const char *account_id,
			   const char *channel, char *ret_list, char *ret_post)
{
	char token[MARKETING_TOKEN_LEN + 1];
	unsigned char hash[32];
	enum err err;

	if (!marketing_channel_ok(app, channel))
		return ERR_INVALID;
	err = marketing_channel_token(app->link_key, account_id, channel, token);
	if (err != ERR_OK)
		return err;
	crypto_sha256(token, strlen(token), hash);
	err = db_unsubscribe_token_put(conn, account_id, hash);
	if (err == ERR_OK)
		err = marketing_headers_format(app->cfg.public_url, token, channel, ret_list,
					       ret_post);
	explicit_bzero(token, sizeof(token));
	return err;
}

enum err marketing_may_send(const struct app *app, PGconn *conn, const char *account_id,
			    const char *channel, bool *ret_allowed)
{
	if (!marketing_channel_ok(app, channel))
		return ERR_INVALID;
	return db_consent_allows(conn, account_id, channel, ret_allowed);
}

/* Is token account_id's token for channel, or its pre-channel token? */
static bool token_binds(const struct app *app, const char *account_id, const char *token,
			const char *channel)
{
	char bound[MARKETING_TOKEN_LEN + 1], legacy[MARKETING_TOKEN_LEN + 1];
	bool ok = false;

	if (strlen(token) != MARKETING_TOKEN_LEN)
		return false;
	if (marketing_channel_token(app->link_key, account_id, channel, bound) == ERR_OK)
		ok = CRYPTO_memcmp(bound, token, MARKETING_TOKEN_LEN) == 0;
	marketing_token(app->link_key, account_id, legacy);
	ok = ok || CRYPTO_memcmp(legacy, token, MARKETING_TOKEN_LEN) == 0;
	explicit_bzero(bound, sizeof(bound));
	explicit_bzero(legacy, sizeof(legacy));
	return ok;
}

enum err marketing_unsubscribe(const struct app *app, PGconn *conn, const char *token,
			       const char *channel)
{
	struct consent_row out = {.purpose = channel, .granted = false};
	char account_id[UUID_STR_LEN];
	unsigned char hash[32];
	int changed;
	enum err err;

	if (!marketing_channel_ok(app, channel))
		return ERR_INVALID;
	crypto_sha256(token, strlen(token), hash);
	err = db_unsubscribe_token_account(conn, hash, account_id);
	/* another channel's link names this account but not this channel */
	if (err == ERR_OK && !token_binds(app, account_id, token, channel))
		err = ERR_NOT_FOUND;
	if (err == ERR_OK)
		err = db_consents_change(conn, account_id, &out, 1, CONSENT_UNSUBSCRIBE_LINK,
					 catalogue_notice_version(app->catalogue), &changed);
	return err;
}
