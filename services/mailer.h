/*
 * mailer.h - the outbox's sender: one thread that claims due outbox rows,
 * opens the address each goes to and sends it as a plain-text message over
 * SMTP (libcurl, HCPD_SMTP_URL), with exponential back-off on failure.
 *
 * A mail with a link (confirmation, password reset, email change and its
 * cancel link) gets its token when it is sent, not when it is queued: a
 * fresh 256-bit token, stored as SHA-256 with its purpose and lifetime,
 * superseding the account's older ones, in one statement before the send
 * (db_email_token_mint()); the link is the purpose's HCPD_LINK_* template
 * (links.h). Queued rows therefore hold no token.
 *
 * Also owns the payload format (what is sealed into outbox.payload_enc)
 * and the messages' wording, so both ends of the outbox agree. Nothing
 * here logs an address, a token or a message body: only the kind and the
 * outbox id.
 */
#ifndef HCPD_MAILER_H
#define HCPD_MAILER_H

#include <stddef.h>
#include <time.h>

#include <libpq-fe.h>

#include "crypto.h"
#include "err.h"

#define MAILER_BATCH       10    /* rows claimed at once */
#define MAILER_MESSAGE_MAX 16384 /* bytes of one composed message (base64 of UTF-8) */

struct app;
struct mailer;

/* Seals the recipient of one outbox message for account_id with its data
 * key, for a mail that does not go to the account's current address (an
 * email change: the new address, and the old one its cancel link goes
 * to). *ret_enc is malloc'd for the caller to free. */
enum err mailer_payload_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
			     const char *to, unsigned char **ret_enc, size_t *ret_len);

/* Queues a notice of kind (one without a token) to account_id, in the
 * caller's transaction; nothing for an erased account. It carries no
 * payload: the mailer opens the account's address when it sends, so
 * nothing here reads the keystore (db_outbox_notice()). Blocks. */
enum err mailer_notice_queue(PGconn *conn, const char *account_id, const char *kind);

/* Composes the RFC 5322 message of kind (a mail with a link -
 * OUTBOX_CONFIRM_EMAIL, OUTBOX_PASSWORD_RESET, OUTBOX_EMAIL_CHANGE,
 * OUTBOX_EMAIL_CHANGE_CANCEL - puts link in its body; the others ignore
 * it) from from to to, dated now, with Message-ID <unique@from's domain>.
 * Pure. ERR_INVALID for an unknown kind, a missing or unsafe link or an
 * address unsafe in a header; ERR_TOO_BIG past MAILER_MESSAGE_MAX.
 * *ret_msg is malloc'd (NUL-terminated); wipe it (its link holds a token)
 * before freeing. */
enum err mailer_compose(const char *kind, const char *from, const char *to, const char *link,
			time_t now, const char *unique, char **ret_msg, size_t *ret_len);

/* mailer_compose() in language lang (an i18n.h tag; NULL or one this hcpd
 * does not have: English), issue 24: subject and body translated, the
 * subject RFC 2047-encoded and the body base64 when not ASCII (mime.h),
 * Content-Language naming the language used. */
enum err mailer_compose_lang(const char *kind, const char *lang, const char *from, const char *to,
			     const char *link, time_t now, const char *unique, char **ret_msg,
			     size_t *ret_len);

/* Starts the mailer thread when app->cfg.smtp_url is set. Without it, logs
 * one line saying mail is off, sets *ret_mailer to NULL (the outbox then
 * just accumulates) and returns ERR_OK. ERR_NOMEM when the thread cannot
 * start. Call after the signal mask is set: the thread inherits it. */
enum err mailer_start(struct app *app, struct mailer **ret_mailer);

/* Stops the thread: a send in progress is aborted (its row stays due),
 * the batch's reports are committed, the thread joined and everything
 * freed. Blocks for at most about a second plus one database round trip.
 * Accepts NULL. */
void mailer_stop(struct mailer *m);

#endif
