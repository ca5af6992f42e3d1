/*
 * mailer.h - the outbox's sender: one thread that claims due outbox rows,
 * opens their sealed payloads and sends each as a plain-text message over
 * SMTP (libcurl, HCPD_SMTP_URL), with exponential back-off on failure.
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

#define MAILER_BATCH       10   /* rows claimed at once */
#define MAILER_MESSAGE_MAX 4096 /* bytes of one composed message */

struct app;
struct mailer;

/* Seals the data of one outbox message for account_id with its data key:
 * the recipient address and, for a confirm_email message, the token
 * (NULL otherwise). *ret_enc is malloc'd for the caller to free. */
enum err mailer_payload_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
			     const char *to, const char *token, unsigned char **ret_enc,
			     size_t *ret_len);

/* Queues a notice of kind (one without a token) to account_id, in the
 * caller's transaction; nothing for an erased account. It carries no
 * payload: the mailer opens the account's address when it sends, so
 * nothing here reads the keystore (db_outbox_notice()). Blocks on the
 * database. */
enum err mailer_notice_queue(PGconn *conn, const char *account_id, const char *kind);

/* Composes the RFC 5322 message of kind (OUTBOX_CONFIRM_EMAIL, with
 * token; OUTBOX_ALREADY_REGISTERED, OUTBOX_REVIEW_*) from from to to, dated now, with
 * Message-ID <unique@from's domain>. Pure. ERR_INVALID for an unknown kind,
 * a missing token or an address unsafe in a header; ERR_TOO_BIG past
 * MAILER_MESSAGE_MAX. *ret_msg is malloc'd (NUL-terminated); wipe it
 * (it holds the token) before freeing. */
enum err mailer_compose(const char *kind, const char *from, const char *to, const char *token,
			time_t now, const char *unique, char **ret_msg, size_t *ret_len);

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
