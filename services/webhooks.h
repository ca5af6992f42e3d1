/*
 * webhooks.h - status webhooks (issue 20 item 6): the endpoints of
 * HCPD_WEBHOOKS_FILE and the thread that delivers the events queued for
 * them (db/webhooks.h), signed as the Standard Webhooks specification
 * says.
 *
 * The file: {"endpoints": [{"name", "url", "events", "secret_file"}]},
 * checked strictly at start (an unknown key, a bad name, URL, event or
 * secret stops start-up naming the file and the key, never the secret).
 * A URL is https://, or http:// to a loopback host only; a secret file
 * holds "whsec_" and the base64 of 24 to 64 random bytes.
 *
 * Each request is a POST of {"type", "timestamp", "data": {"account_id",
 * "status", "reasons"}} (nothing personal) with the headers webhook-id
 * (the same for every attempt of an event), webhook-timestamp (the
 * attempt's, seconds) and webhook-signature "v1," + base64 HMAC-SHA256 of
 * "id.timestamp.body" under the secret. A 2xx reply delivers it; anything
 * else is tried again after 2^attempts seconds (at most 6 hours, given up
 * after WEBHOOK_MAX_ATTEMPTS), always in order per account. Nothing here
 * logs a URL, a secret or a body: an endpoint's name, a delivery's id and
 * an HTTP status at most.
 */
#ifndef HCPD_WEBHOOKS_H
#define HCPD_WEBHOOKS_H

#include <stddef.h>

#include "err.h"

#define WEBHOOKS_MAX          16 /* endpoints in the file */
#define WEBHOOK_SECRET_MIN    24 /* bytes of a secret (the specification's bounds) */
#define WEBHOOK_SECRET_MAX    64
#define WEBHOOK_SIGNATURE_MAX 64 /* "v1," and 44 base64 characters, NUL included */
#define WEBHOOK_TEST_EVENT    "webhook.test"

struct app;
struct webhooks;

/* Reads and checks the file at path. On an error why (why_len) names the
 * file and what is wrong in it. Blocks (file reads). */
enum err webhooks_load(const char *path, struct webhooks **ret_hooks, char *why, size_t why_len);

/* Stops the thread if it runs, wipes the secrets, frees. Accepts NULL. */
void webhooks_free(struct webhooks *hooks);

/* The webhook-signature value of one request: "v1," and the base64 of
 * HMAC-SHA256(secret, msg_id "." timestamp "." body). Pure. */
void webhooks_sign(const unsigned char *secret, size_t secret_len, const char *msg_id,
		   long long timestamp, const char *body, size_t body_len,
		   char out[WEBHOOK_SIGNATURE_MAX]);

/* Why url may not receive signed requests ("must be https:// ..."), or
 * NULL when it may: https://, or http:// to a loopback host, no
 * credentials. Also checks the activities file's release URLs. */
const char *webhooks_url_rule(const char *url);

/* Reads "whsec_" + base64 from path (relative to dir unless absolute)
 * into ret_secret and *ret_len; NULL, or why it cannot (never the
 * secret). Blocks (file reads). */
const char *webhooks_secret_read(const char *dir, const char *path,
				 unsigned char ret_secret[WEBHOOK_SECRET_MAX], size_t *ret_len);

/* One signed POST of body to url, as a webhook is sent (the headers
 * webhook-id msg_id, webhook-timestamp, webhook-signature), on a handle
 * of its own: *ret_http_status (0: no reply) and ret_error ("" when
 * delivered, else "http_NNN" or "CURLE_N"). curl_global_init() must have
 * run. Blocks up to the timeout. For the activity releases. */
void webhooks_post_once(const char *url, const unsigned char *secret, size_t secret_len,
			const char *msg_id, const char *body, long *ret_http_status,
			char ret_error[32]);

/* Starts the thread that stores hooks' endpoints in the database
 * (retrying until it can) and delivers their events. hooks NULL (no
 * HCPD_WEBHOOKS_FILE): logs that this process delivers none. ERR_NOMEM
 * when the thread cannot start. Call after the signal mask is set. */
enum err webhooks_start(struct webhooks *hooks, struct app *app);

/* Stops the thread: a delivery under way ends (its row stays due), the
 * others claimed are handed back. Accepts NULL. */
void webhooks_stop(struct webhooks *hooks);

/* `hcpd webhooks test NAME` (argv[0]): sends one signed event of type
 * WEBHOOK_TEST_EVENT to that endpoint of app->webhooks now and prints the
 * outcome as JSON. Returns the exit status: 0 for a 2xx reply, 1 for any
 * other outcome, 2 when there is no such endpoint. Blocks. */
int webhooks_test(struct app *app, int argc, char **argv);

#endif
