/*
 * mailer.c - the outbox's sender (see mailer.h). Owns its thread, one
 * libcurl easy handle per message and, while a batch runs, one pooled
 * database connection holding the claimed rows locked.
 *
 * Delivery is at least once: rows are reported in the claim's transaction,
 * so a crash or a failed commit after a send makes that row due again.
 * A mail with a link gets its token minted just before its send, on the
 * batch's connection (db_email_token_mint(): only the SHA-256 is stored).
 * Never logs or stores an address, a clear token or message text;
 * last_error holds an error name only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "app.h"
#include "bgthread.h"
#include "db.h"
#include "i18n.h"
#include "jsontext.h"
#include "links.h"
#include "log.h"
#include "mailer.h"
#include "mime.h"
#include "outbox.h"
#include "vault.h"

#define SMTP_CONNECT_TIMEOUT_MS 5000
#define SMTP_TOTAL_TIMEOUT_MS   15000
#define MAILER_IDLE_MS          1000 /* between polls when the outbox is drained */
/* a claimed row is due again after this: longer than a batch can take */
#define MAILER_LEASE_S (MAILER_BATCH * (SMTP_TOTAL_TIMEOUT_MS / 1000) * 2)
#define TOKEN_MAX      64 /* Message-ID's unique part */

struct mailer {
	struct app *app;
	struct bgthread *thread;
	bool db_failing; /* logged once per outage, not every second */
};

/* A body with a link holds one %s for it. Texts are msgids (issue 24):
 * lines end in LF (made CRLF when composed), translated where composed. */
static const char confirm_body[] =
	N_("Hello,\n"
	   "\n"
	   "An account was registered with this email address. To confirm that the\n"
	   "address is yours, open this link within 24 hours:\n"
	   "\n"
	   "    %s\n"
	   "\n"
	   "The link works once; only the newest one sent to you works.\n"
	   "\n"
	   "If you did not register, you can ignore this message.\n");

static const char reset_body[] =
	N_("Hello,\n"
	   "\n"
	   "Someone asked to reset the password of the account registered with this\n"
	   "email address. To choose a new password, open this link within 30\n"
	   "minutes:\n"
	   "\n"
	   "    %s\n"
	   "\n"
	   "The link works once; only the newest one sent to you works. A new password\n"
	   "signs out every device signed in to the account.\n"
	   "\n"
	   "If you did not ask for this, you can ignore this message: your password\n"
	   "stays as it is.\n");

static const char changed_body[] =
	N_("Hello,\n"
	   "\n"
	   "The password of the account registered with this email address was just\n"
	   "changed with a password-reset link, and every device signed in to it was\n"
	   "signed out. If that was you, nothing more is needed.\n"
	   "\n"
	   "If it was not you, someone can read your mail: secure your mailbox, then\n"
	   "ask for a new password reset where you signed up.\n");

static const char changed_here_body[] =
	N_("Hello,\n"
	   "\n"
	   "The password of the account registered with this email address was just\n"
	   "changed by someone signed in to it, and its other devices were signed out.\n"
	   "If that was you, nothing more is needed.\n"
	   "\n"
	   "If it was not you, someone knew your password: ask for a password reset\n"
	   "where you signed up. Its link signs every device out.\n");

static const char change_body[] =
	N_("Hello,\n"
	   "\n"
	   "An account asked to change its email address to this one. To confirm\n"
	   "that the address is yours, open this link within 24 hours:\n"
	   "\n"
	   "    %s\n"
	   "\n"
	   "The change takes effect only then. If you did not ask for it, you can\n"
	   "ignore this message.\n");

static const char cancel_body[] =
	N_("Hello,\n"
	   "\n"
	   "Someone signed in to the account registered with this email address asked\n"
	   "to change it to another address. If that was you, nothing more is needed.\n"
	   "\n"
	   "If it was not you, open this link within 7 days to cancel the change,\n"
	   "also if it has taken effect already: this address is given back to the\n"
	   "account and every device signed in to it is signed out.\n"
	   "\n"
	   "    %s\n"
	   "\n"
	   "Then ask for a password reset, since someone else knew your password.\n");

static const char taken_body[] =
	N_("Hello,\n"
	   "\n"
	   "Someone asked to change the email address of an account to this one,\n"
	   "which already has an account. Nothing was changed, and nothing about your\n"
	   "account was shown to them.\n"
	   "\n"
	   "If it was you, sign in to this address's account instead. If it was not\n"
	   "you, you can ignore this message.\n");

static const char already_body[] =
	N_("Hello,\n"
	   "\n"
	   "Someone tried to register a new account with this email address, which\n"
	   "already has an account. No account was made, and nothing about yours was\n"
	   "shown to them.\n"
	   "\n"
	   "If it was you, sign in with your existing password (POST /v1/sessions).\n"
	   "If you no longer know it, ask for a password reset where you signed up:\n"
	   "it mails you a link to choose a new one.\n"
	   "\n"
	   "If it was not you, you can ignore this message.\n");

/* The review notices hold no personal value and never the admin's text:
 * the professional reads the question after signing in. */
static const char info_body[] =
	N_("Hello,\n"
	   "\n"
	   "An administrator reviewing your registration needs more information\n"
	   "from you before deciding on it. Sign in, read the question with a GET\n"
	   "request to /v1/me/review, and send your answer as the JSON body\n"
	   "{\"message\": \"...\"} in a POST request to /v1/me/review-response.\n"
	   "\n"
	   "This message does not repeat the question, so that it says nothing\n"
	   "about you to anyone who reads it on the way.\n");

static const char approved_body[] =
	N_("Hello,\n"
	   "\n"
	   "An administrator has reviewed your registration and approved it.\n"
	   "Nothing more is needed from you.\n");

static const char rejected_body[] =
	N_("Hello,\n"
	   "\n"
	   "An administrator has reviewed your registration and could not approve\n"
	   "it. If you think this is a mistake, contact the site where you\n"
	   "registered.\n");

/* The monitoring notices say what happened and what to do, nothing about
 * the licence itself (which registry, which record, which date). */
static const char suspended_body[] =
	N_("Hello,\n"
	   "\n"
	   "A routine re-check of your licence with the registries that apply to\n"
	   "you did not confirm it, so your account is suspended while an\n"
	   "administrator looks at it. If your licence details changed, sign in and\n"
	   "correct them with a PATCH request to /v1/me: they are checked again.\n");

static const char refused_body[] =
	N_("Hello,\n"
	   "\n"
	   "Your licence is re-checked with its registries from time to time, and a\n"
	   "verified account stays verified only while that can happen. You have\n"
	   "withdrawn your consent to licensure verification, or restricted the\n"
	   "processing of your data, so the re-check could not run and your account\n"
	   "is suspended. To restore it, give your consent to licensure verification\n"
	   "again (PUT /v1/me/consents) and lift any restriction (DELETE\n"
	   "/v1/me/restriction): your licence is then checked again at once.\n"
	   "\n"
	   "This is a message about your account, not marketing.\n");

static const char expiry_body[] =
	N_("Hello,\n"
	   "\n"
	   "The licence on your account expires within the next 30 days. When you\n"
	   "have renewed it, sign in and update your licence details with a PATCH\n"
	   "request to /v1/me, so that it is checked again before then.\n"
	   "\n"
	   "This is a message about your account, not marketing.\n");

static const char digest_body[] =
	N_("Hello,\n"
	   "\n"
	   "Registrations in the review queue have waited longer than they should.\n"
	   "Sign in to the admin page (/admin/) to review them.\n"
	   "\n"
	   "You get at most one such reminder a day.\n");

static const char admin_suspended_body[] =
	N_("Hello,\n"
	   "\n"
	   "An administrator has suspended your account. While it is suspended,\n"
	   "sites that rely on it will not treat you as a verified professional.\n"
	   "If you think this is a mistake, reply to the support address of the\n"
	   "site you registered with.\n"
	   "\n"
	   "This is a message about your account, not marketing.\n");

static const char reinstated_body[] =
	N_("Hello,\n"
	   "\n"
	   "An administrator has reinstated your account. Your licence is being\n"
	   "checked again with the registries that apply to you; you will hear\n"
	   "from us if anything more is needed.\n"
	   "\n"
	   "This is a message about your account, not marketing.\n");

/* Issue 25 item 6: the one warning before a dormant account is erased. */
static const char dormancy_body[] =
	N_("Hello,\n"
	   "\n"
	   "Nobody has signed in to your account for a long time. We keep personal\n"
	   "data only as long as it is needed, so unless you sign in within the\n"
	   "next 30 days your account and the personal data it holds will be\n"
	   "erased. To keep your account, simply sign in.\n"
	   "\n"
	   "This is a message about your account, not marketing.\n");

/* Issue 25 item 5: the privacy notice changed; nothing in it but that. */
static const char notice_body[] =
	N_("Hello,\n"
	   "\n"
	   "We have published a new version of our privacy notice, which explains\n"
	   "how we process your professional and personal data. Please sign in to\n"
	   "read it and accept it. Until you do, we pause the sharing with\n"
	   "advertisers and education sponsors and the marketing that rely on\n"
	   "your consent.\n"
	   "\n"
	   "This is a message about your account, not marketing.\n");

/* Every kind of message: its subject and body and, for a mail with a
 * link, the token the mailer mints when it sends (db_email_token_mint())
 * and the link template that carries it (struct config, HCPD_LINK_*). */
static const struct message {
	const char *kind, *subject, *body;
	const char *purpose; /* the token's purpose; NULL: no link, no token */
	int ttl_seconds;     /* how long the token works */
	bool supersede;      /* the account's older unused tokens of purpose die */
	bool bound;          /* the token confirms the address it is mailed to */
	size_t link;         /* offsetof(struct config, link_*) */
} messages[] = {
#define NOTICE(k, subj, text)                                                                      \
	{                                                                                          \
		.kind = k, .subject = subj, .body = text                                           \
	}
	{OUTBOX_CONFIRM_EMAIL, N_("Confirm your email address"), confirm_body, TOKEN_CONFIRM_EMAIL,
	 EMAIL_TOKEN_TTL_HOURS * 3600, true, false, offsetof(struct config, link_confirm_email)},
	{OUTBOX_PASSWORD_RESET, N_("Reset your password"), reset_body, TOKEN_PASSWORD_RESET,
	 PASSWORD_RESET_TTL_MINUTES * 60, true, false,
	 offsetof(struct config, link_reset_password)},
	{OUTBOX_EMAIL_CHANGE, N_("Confirm your new email address"), change_body, TOKEN_EMAIL_CHANGE,
	 EMAIL_TOKEN_TTL_HOURS * 3600, true, true, offsetof(struct config, link_change_email)},
	/* every cancel link works: a second change must not take the first's
	 * away from the address it was sent to */
	{OUTBOX_EMAIL_CHANGE_CANCEL, N_("Your email address is being changed"), cancel_body,
	 TOKEN_EMAIL_CHANGE_CANCEL, EMAIL_CHANGE_CANCEL_DAYS * 86400, false, false,
	 offsetof(struct config, link_cancel_email_change)},
	NOTICE(OUTBOX_PASSWORD_CHANGED, N_("Your password was changed"), changed_body),
	NOTICE(OUTBOX_PASSWORD_CHANGED_SIGNED_IN, N_("Your password was changed"),
	       changed_here_body),
	NOTICE(OUTBOX_EMAIL_CHANGE_TAKEN,
	       N_("Someone tried to move an account to your email address"), taken_body),
	NOTICE(OUTBOX_ALREADY_REGISTERED, N_("Someone tried to register with your email address"),
	       already_body),
	NOTICE(OUTBOX_REVIEW_INFO_REQUESTED, N_("Your registration needs more information"),
	       info_body),
	NOTICE(OUTBOX_REVIEW_APPROVED, N_("Your registration was approved"), approved_body),
	NOTICE(OUTBOX_REVIEW_REJECTED, N_("Your registration was not approved"), rejected_body),
	NOTICE(OUTBOX_ACCOUNT_SUSPENDED, N_("Your account is suspended pending review"),
	       suspended_body),
	NOTICE(OUTBOX_MONITORING_REFUSED,
	       N_("Your account is suspended: your licence cannot be re-checked"), refused_body),
	NOTICE(OUTBOX_LICENCE_EXPIRY_REMINDER, N_("Your licence expires soon"), expiry_body),
	NOTICE(OUTBOX_ADMIN_REVIEW_DIGEST, N_("Registrations are waiting for review"), digest_body),
	NOTICE(OUTBOX_ADMIN_SUSPENDED, N_("Your account is suspended"), admin_suspended_body),
	NOTICE(OUTBOX_ADMIN_REINSTATED, N_("Your account is reinstated"), reinstated_body),
	NOTICE(OUTBOX_DORMANCY_WARNING, N_("Your account will be erased unless you sign in"),
	       dormancy_body),
	NOTICE(OUTBOX_NOTICE_CHANGED, N_("Our privacy notice has changed"), notice_body),
};

#undef NOTICE

static const struct message *message_of(const char *kind)
{
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (strcmp(messages[i].kind, kind) == 0)
			return &messages[i];
	return NULL;
}

enum err mailer_payload_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
			     const char *to, unsigned char **ret_enc, size_t *ret_len)
{
	json_t *data = json_pack("{s:s}", "to", to);
	char *text = data != NULL ? json_text_dump(data, JSON_COMPACT) : NULL;
	enum err err = ERR_NOMEM;

	if (text != NULL) {
		err = vault_seal(key, account_id, "outbox", text, strlen(text), ret_enc, ret_len);
		explicit_bzero(text, strlen(text));
	}
	free(text);
	json_decref(data);
	return err;
}

enum err mailer_notice_queue(PGconn *conn, const char *account_id, const char *kind)
{
	return db_outbox_notice(conn, account_id, kind, 0, NULL);
}

/* An address that can go in a header and an SMTP command as it is. */
static bool address_safe(const char *s)
{
	size_t len = s != NULL ? strnlen(s, 255) : 0;

	if (len == 0 || len > 254 || strchr(s, '@') == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7F || strchr("<>(),;:\"\\[]", c) != NULL)
			return false;
	}
	return true;
}

static bool token_safe(const char *s)
{
	size_t len = s != NULL ? strnlen(s, TOKEN_MAX + 1) : 0;

	if (len == 0 || len > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
			   s[i]) == NULL)
			return false;
	return true;
}

/* A link that can go in a plain-text body as it is: one "word". */
static bool link_safe(const char *s)
{
	size_t len = s != NULL ? strnlen(s, LINK_MAX) : 0;

	if (len == 0 || len >= LINK_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F)
			return false;
	return true;
}

/* The body of m in lang (its link put in) into out, encoded for the
 * message (mime_body_encode()). */
static enum err compose_body(const struct message *m, const char *lang, const char *link,
			     time_t now, char *out, size_t out_len, size_t *ret_len,
			     const char **ret_encoding)
{
	char text[MAILER_MESSAGE_MAX], until[128];
	int n;

	if (m->purpose != NULL)
		n = snprintf(text, sizeof(text), i18n_text(lang, m->body), link);
	else
		n = snprintf(text, sizeof(text), "%s", i18n_text(lang, m->body));
	/* a link's end, as a date in the reader's form (issue 24) */
	if (m->purpose != NULL && n >= 0 && (size_t)n < sizeof(text) &&
	    i18n_date(lang, now + m->ttl_seconds, until, sizeof(until)))
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      i18n_text(lang, N_("\nThe link works until %s.\n")), until);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    !mime_body_encode(text, out, out_len, ret_len, ret_encoding)) {
		explicit_bzero(text, sizeof(text));
		return ERR_TOO_BIG;
	}
	explicit_bzero(text, sizeof(text));
	return ERR_OK;
}

enum err mailer_compose_lang(const char *kind, const char *lang, const char *from, const char *to,
			     const char *link, time_t now, const char *unique, char **ret_msg,
			     size_t *ret_len)
{
	const struct message *m = message_of(kind);
	char date[64], subject[512], *body = NULL, *msg = NULL;
	const char *encoding = NULL;
	size_t body_len = 0;
	struct tm tm;
	enum err err = ERR_INVALID;
	int n;

	if (m == NULL || !address_safe(from) || !address_safe(to) || !token_safe(unique) ||
	    (m->purpose != NULL && !link_safe(link)))
		return ERR_INVALID;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0 ||
	    !mime_header_encode(i18n_text(lang, m->subject), subject, sizeof(subject)))
		return ERR_INVALID;
	body = malloc(MAILER_MESSAGE_MAX);
	msg = malloc(MAILER_MESSAGE_MAX);
	err = body == NULL || msg == NULL ? ERR_NOMEM
					  : compose_body(m, lang, link, now, body,
							 MAILER_MESSAGE_MAX, &body_len, &encoding);
	if (err != ERR_OK)
		goto out;
	n = snprintf(msg, MAILER_MESSAGE_MAX,
		     "From: %s\r\n"
		     "To: %s\r\n"
		     "Subject: %s\r\n"
		     "Date: %s\r\n"
		     "Message-ID: <%s@%s>\r\n"
		     "MIME-Version: 1.0\r\n"
		     "Content-Language: %s\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: %s\r\n"
		     "\r\n"
		     "%s",
		     from, to, subject, date, unique, strchr(from, '@') + 1,
		     i18n_find(lang) != NULL ? i18n_find(lang) : I18N_DEFAULT, encoding, body);
	err = n < 0 || n >= MAILER_MESSAGE_MAX ? ERR_TOO_BIG : ERR_OK;
out:
	if (body != NULL)
		explicit_bzero(body, MAILER_MESSAGE_MAX);
	free(body);
	if (err != ERR_OK && msg != NULL)
		explicit_bzero(msg, MAILER_MESSAGE_MAX);
	if (err != ERR_OK)
		free(msg);
	else {
		*ret_msg = msg;
		*ret_len = (size_t)n;
	}
	return err;
}

enum err mailer_compose(const char *kind, const char *from, const char *to, const char *link,
			time_t now, const char *unique, char **ret_msg, size_t *ret_len)
{
	return mailer_compose_lang(kind, NULL, from, to, link, now, unique, ret_msg, ret_len);
}

/* The message being uploaded. */
struct upload {
	const char *data;
	size_t len, off;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* Called about once a second during a transfer: non-zero aborts it. */
static int abort_if_stopping(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			     curl_off_t ulnow)
{
	struct mailer *m = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return bgthread_stopping(m->thread) ? 1 : 0;
}

/* Sends msg to to through HCPD_SMTP_URL. Blocks up to the total timeout. */
static CURLcode smtp_send(struct mailer *m, const char *to, const char *msg, size_t len)
{
	const struct config *cfg = &m->app->cfg;
	struct upload u = {.data = msg, .len = len};
	struct curl_slist *rcpts = NULL;
	char from[260], rcpt[260];
	CURL *curl = curl_easy_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	snprintf(from, sizeof(from), "<%s>", cfg->smtp_from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	if (curl == NULL || (rcpts = curl_slist_append(NULL, rcpt)) == NULL)
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)SMTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)SMTP_TOTAL_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_if_stopping);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, m);
	rc = curl_easy_perform(curl);
out:
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(curl);
	explicit_bzero(rcpt, sizeof(rcpt));
	return rc;
}

/* The name of a libcurl error, for last_error and the log: libcurl has
 * only sentences (curl_easy_strerror), and those of SMTP replies may quote
 * the address, so they are never stored. */
static const char *curl_code_name(CURLcode rc, char *buf, size_t size)
{
	static const struct {
		CURLcode code;
		const char *name;
	} names[] = {
		{CURLE_UNSUPPORTED_PROTOCOL, "CURLE_UNSUPPORTED_PROTOCOL"},
		{CURLE_URL_MALFORMAT, "CURLE_URL_MALFORMAT"},
		{CURLE_COULDNT_RESOLVE_HOST, "CURLE_COULDNT_RESOLVE_HOST"},
		{CURLE_COULDNT_CONNECT, "CURLE_COULDNT_CONNECT"},
		{CURLE_WEIRD_SERVER_REPLY, "CURLE_WEIRD_SERVER_REPLY"},
		{CURLE_OUT_OF_MEMORY, "CURLE_OUT_OF_MEMORY"},
		{CURLE_OPERATION_TIMEDOUT, "CURLE_OPERATION_TIMEDOUT"},
		{CURLE_ABORTED_BY_CALLBACK, "CURLE_ABORTED_BY_CALLBACK"},
		{CURLE_SSL_CONNECT_ERROR, "CURLE_SSL_CONNECT_ERROR"},
		{CURLE_GOT_NOTHING, "CURLE_GOT_NOTHING"},
		{CURLE_SEND_ERROR, "CURLE_SEND_ERROR"},
		{CURLE_RECV_ERROR, "CURLE_RECV_ERROR"},
		{CURLE_PEER_FAILED_VERIFICATION, "CURLE_PEER_FAILED_VERIFICATION"},
		{CURLE_USE_SSL_FAILED, "CURLE_USE_SSL_FAILED"},
		{CURLE_LOGIN_DENIED, "CURLE_LOGIN_DENIED"},
		{CURLE_AUTH_ERROR, "CURLE_AUTH_ERROR"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == rc)
			return names[i].name;
	snprintf(buf, size, "CURLE_%d", (int)rc);
	return buf;
}

static json_t *row_fields(const struct outbox_row *row)
{
	return json_pack("{s:s, s:I}", "kind", row->kind, "outbox_id", (json_int_t)row->id);
}

/* The link of a mail with a token, into link: the payload's token (rows
 * queued before tokens were minted at send time carry one), else a new
 * one minted now for to. ERR_CONFLICT when none may be minted any more
 * (an email change since superseded or cancelled). */
static enum err mail_link(struct mailer *m, PGconn *conn, const struct outbox_row *row,
			  const struct message *msg, const char *to, const char *token,
			  char link[LINK_MAX])
{
	const struct config *cfg = &m->app->cfg;
	const char *tmpl = *(const char *const *)((const char *)cfg + msg->link);
	unsigned char hash[32], bidx[32];
	char fresh[64];
	bool minted = true;
	enum err err = ERR_OK;

	if (token == NULL) {
		err = crypto_token(fresh, hash);
		if (msg->bound)
			vault_email_index(m->app, to, bidx);
		if (err == ERR_OK)
			err = db_email_token_mint(conn, row->account.id, msg->purpose,
						  msg->ttl_seconds, hash, msg->bound ? bidx : NULL,
						  msg->supersede, &minted);
		if (err == ERR_OK && !minted)
			err = ERR_CONFLICT;
		token = fresh;
	}
	if (err == ERR_OK)
		err = link_build(tmpl, cfg->public_url, token, link);
	explicit_bzero(fresh, sizeof(fresh));
	return err;
}

/* Opens row's payload (for a notice without one, the account's address),
 * mints its token if it carries a link, and composes its message into
 * *ret_msg; *ret_to is the recipient (malloc'd). */
static enum err open_row(struct mailer *m, PGconn *conn, const struct outbox_row *row,
			 char **ret_to, char **ret_msg, size_t *ret_len)
{
	const struct message *msg = message_of(row->kind);
	unsigned char key[CRYPTO_KEY_LEN], rnd[16];
	char unique[2 * sizeof(rnd) + 1], link[LINK_MAX] = "";
	char *payload = NULL, *email = NULL, *to = NULL;
	size_t len = 0;
	json_t *data = NULL;
	enum err err;

	if (msg == NULL)
		return ERR_INVALID;
	/* erased: nothing opens any more (ERR_NOT_FOUND) */
	err = vault_open_profile(m->app, &row->account, key, row->payload == NULL ? &email : NULL,
				 NULL);
	if (err == ERR_OK && row->payload != NULL)
		err = vault_open(key, row->account.id, "outbox", row->payload, row->payload_len,
				 &payload, &len);
	explicit_bzero(key, sizeof(key));
	if (err != ERR_OK)
		goto out;
	data = payload != NULL ? json_loads(payload, 0, NULL) : json_pack("{s:s}", "to", email);
	if (!json_is_string(json_object_get(data, "to"))) {
		err = data == NULL && payload == NULL ? ERR_NOMEM : ERR_INVALID;
		goto out;
	}
	to = strdup(json_string_value(json_object_get(data, "to")));
	if (to == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	if (msg->purpose != NULL)
		err = mail_link(m, conn, row, msg, to,
				json_string_value(json_object_get(data, "token")), link);
	if (err == ERR_OK)
		err = crypto_random(rnd, sizeof(rnd));
	if (err != ERR_OK)
		goto out;
	crypto_hex(rnd, sizeof(rnd), unique);
	/* issue 24: in the account's language, read now (a change after queueing counts) */
	err = mailer_compose_lang(row->kind, row->locale, m->app->cfg.smtp_from, to, link,
				  time(NULL), unique, ret_msg, ret_len);
out:
	explicit_bzero(link, sizeof(link));
	if (payload != NULL)
		explicit_bzero(payload, len);
	free(payload);
	vault_wipe_free(email);
	json_decref(data);
	if (err == ERR_OK)
		*ret_to = to;
	else
		vault_wipe_free(to);
	return err;
}

/* Errors of open_row() that the same row will meet again: it is given up
 * at once. (A database or keystore that cannot be reached, or memory, is
 * worth another attempt.) */
static bool open_error_final(enum err err)
{
	return err == ERR_NOT_FOUND || err == ERR_CONFLICT || err == ERR_INVALID ||
	       err == ERR_CRYPTO || err == ERR_TOO_BIG;
}

/* Sends one claimed row and reports it. Returns only database errors.
 * The pooled connection *conn is given back for the SMTP exchange, which
 * may last its whole timeout, and taken again after it (NULL when that
 * fails: the row is due again after its lease). */
static enum err deliver(struct mailer *m, PGconn **conn, const struct outbox_row *row)
{
	char *msg = NULL, *to = NULL, name[32];
	const char *error = NULL;
	size_t len = 0;
	bool final = false;
	int attempts = 0;
	CURLcode rc;
	enum err err = open_row(m, *conn, row, &to, &msg, &len);

	if (err != ERR_OK) {
		final = open_error_final(err);
		error = err == ERR_NOT_FOUND  ? "erased"
			: err == ERR_CONFLICT ? "superseded"
					      : err_name(err);
		goto failed;
	}
	db_release(m->app->db, *conn);
	*conn = NULL;
	rc = smtp_send(m, to, msg, len);
	err = db_acquire(m->app->db, DB_RECORD_ACQUIRE_MS, conn);
	if (err != ERR_OK)
		goto out;
	if (rc == CURLE_OK) {
		err = db_outbox_sent(*conn, row->id);
		if (err == ERR_OK)
			log_json(LOG_INFO, "mail sent", row_fields(row));
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && bgthread_stopping(m->thread)) {
		err = db_outbox_release(*conn, row->id); /* not the message's fault */
		goto out;
	}
	error = curl_code_name(rc, name, sizeof(name));
failed:
	err = db_outbox_failed(*conn, row->id, error, final, &attempts);
	if (err == ERR_OK) {
		json_t *fields = row_fields(row);

		json_object_set_new(fields, "error", json_string(error));
		json_object_set_new(fields, "attempts", json_integer(attempts));
		json_object_set_new(fields, "given_up",
				    json_boolean(attempts >= OUTBOX_MAX_ATTEMPTS));
		log_json(LOG_WARN, "mail not sent", fields);
	}
out:
	if (msg != NULL)
		explicit_bzero(msg, len);
	free(msg);
	vault_wipe_free(to);
	return err;
}

/* Claims one batch by lease, sends it outside any transaction, reports
 * each row; rows not reached before a stop are handed back due. Returns
 * the rows claimed. */
static size_t run_batch(struct mailer *m)
{
	struct outbox_row *rows = NULL;
	PGconn *conn = NULL;
	size_t n = 0, i = 0;
	enum err err = db_acquire(m->app->db, m->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK)
		err = db_outbox_claim(conn, MAILER_BATCH, MAILER_LEASE_S, &rows, &n);
	for (; err == ERR_OK && i < n && !bgthread_stopping(m->thread); i++)
		err = deliver(m, &conn, &rows[i]);
	for (; err == ERR_OK && i < n; i++)
		err = db_outbox_release(conn, rows[i].id);
	if (err != ERR_OK && !m->db_failing)
		log_json(LOG_WARN, "mailer: database error; retrying",
			 json_pack("{s:s}", "error", err_name(err)));
	else if (err == ERR_OK && m->db_failing)
		log_json(LOG_INFO, "mailer: database back", NULL);
	m->db_failing = err != ERR_OK;
	outbox_rows_free(rows, n);
	db_release(m->app->db, conn);
	return err == ERR_OK ? n : 0;
}

/* One batch; the next at once when it was full (more may be due). */
static long mailer_pass(void *arg)
{
	struct mailer *m = arg;

	return run_batch(m) == MAILER_BATCH ? 0 : MAILER_IDLE_MS;
}

enum err mailer_start(struct app *app, struct mailer **ret_mailer)
{
	struct mailer *m;

	if (app->cfg.smtp_url == NULL) {
		log_json(LOG_INFO,
			 "mail is off (HCPD_SMTP_URL is not set); the outbox keeps messages", NULL);
		*ret_mailer = NULL;
		return ERR_OK;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ERR_NOMEM;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		curl_global_cleanup();
		return ERR_NOMEM;
	}
	m->app = app;
	if (bgthread_start(mailer_pass, m, &m->thread) != ERR_OK) {
		free(m);
		curl_global_cleanup();
		return ERR_NOMEM;
	}
	log_json(LOG_INFO, "mail is on", NULL);
	*ret_mailer = m;
	return ERR_OK;
}

void mailer_stop(struct mailer *m)
{
	if (m == NULL)
		return;
	bgthread_stop(m->thread);
	free(m);
	curl_global_cleanup();
}
