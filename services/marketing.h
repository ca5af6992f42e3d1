/*
 * marketing.h - what marketing sends need from the privacy side: the
 * send-time consent check, RFC 8058 one-click unsubscribe headers, and
 * the unsubscribe itself.
 *
 * A channel is a marketing_* consent purpose of the catalogue that
 * registration does not require (marketing_email, marketing_sms, ...);
 * other optional purposes (advertiser_contact, cme_sponsor_sharing) are
 * not channels: no link withdraws them. The unsubscribe token of an
 * account and channel is base64url(HMAC-SHA-256(link_key, "unsubscribe:"
 * id ":" channel)): the same for every message on that channel, rebuilt
 * rather than stored, and only its SHA-256 is kept to find the account
 * again. A link withdraws only its own channel: the token of one channel
 * presented with ?channel= of another records nothing.
 *
 * Links made before tokens named their channel carry the account's token
 * base64url(HMAC-SHA-256(link_key, "unsubscribe:" id)); they keep working,
 * but only for marketing_* channels, and cannot be told apart by channel
 * (such a link withdraws whichever marketing channel its URL names). No
 * new one is issued. Nothing here logs.
 */
#ifndef HCPD_MARKETING_H
#define HCPD_MARKETING_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "crypto.h"
#include "err.h"

struct app;

#define MARKETING_TOKEN_LEN  43  /* base64url of 32 bytes, unpadded */
#define MARKETING_HEADER_MAX 512 /* room for either header value */

#define MARKETING_CHANNEL_MAX 64 /* characters of a channel name */

/* The unsubscribe token of account_id's channel under key, NUL-terminated.
 * ERR_INVALID when channel is not 1 to MARKETING_CHANNEL_MAX characters
 * of [a-z0-9_] (ret_token untouched). Pure. */
enum err marketing_channel_token(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
				 const char *channel, char ret_token[MARKETING_TOKEN_LEN + 1]);

/* The account-wide token of links made before tokens named their channel,
 * NUL-terminated: only checked, never issued any more. Pure. */
void marketing_token(const unsigned char key[CRYPTO_KEY_LEN], const char *account_id,
		     char ret_token[MARKETING_TOKEN_LEN + 1]);

/* The List-Unsubscribe value "<public_url/v1/unsubscribe/TOKEN?channel=C>"
 * and the List-Unsubscribe-Post value "List-Unsubscribe=One-Click", each
 * into a buffer of MARKETING_HEADER_MAX bytes. ERR_INVALID when channel is
 * not [a-z0-9_]+, ERR_TOO_BIG when a value does not fit. Pure. */
enum err marketing_headers_format(const char *public_url, const char *token, const char *channel,
				  char *ret_list, char *ret_post);

/* Is body (len bytes, of Content-Type ctype) an RFC 8058 one-click
 * unsubscribe, "List-Unsubscribe=One-Click" as
 * application/x-www-form-urlencoded or multipart/form-data? Pure. */
bool marketing_one_click_body(const char *ctype, const char *body, size_t len);

/* Is channel a marketing_* catalogue consent purpose that registration
 * does not require? */
bool marketing_channel_ok(const struct app *app, const char *channel);

/* The headers a marketing message on channel to account_id must carry
 * (see marketing_headers_format), with the token of that account and
 * channel; stores the token's SHA-256 so the unsubscribe finds the
 * account. ERR_INVALID for a channel that is not marketing_channel_ok().
 * Blocks. */
enum err marketing_headers(const struct app *app, PGconn *conn, const char *account_id,
			   const char *channel, char *ret_list, char *ret_post);

/* May a message on channel go to account_id now: consent granted (its
 * latest record), processing not restricted, account not erased? Call it
 * at send time, not when queuing. ERR_INVALID for a bad channel. Blocks. */
enum err marketing_may_send(const struct app *app, PGconn *conn, const char *account_id,
			    const char *channel, bool *ret_allowed);

/* Records the opt-out from channel of the account token belongs to, with
 * source unsubscribe_link (nothing when already out), when token is that
 * account's token for channel (or its pre-channel token, see above).
 * ERR_NOT_FOUND for a token of no live account or of another channel:
 * callers must reply exactly as on success. ERR_INVALID for a bad
 * channel. Blocks. */
enum err marketing_unsubscribe(const struct app *app, PGconn *conn, const char *token,
			       const char *channel);

#endif
