/*
 * deliveries.h - data access for status webhooks (migration 0015): the
 * endpoints HCPD_WEBHOOKS_FILE names, the deliveries queued in the
 * transaction of the change they tell of, and every attempt to send one.
 *
 * A delivery holds the event's type, the account id, its status and
 * reason codes, never a personal field. Deliveries are claimed by lease
 * (FOR UPDATE SKIP LOCKED, next_attempt_at moved ahead), so each is sent
 * by one process at a time, and only when every earlier delivery of its
 * endpoint and account is delivered or given up: in order per account.
 */
#ifndef HCPD_DELIVERIES_H
#define HCPD_DELIVERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* The events a webhook endpoint may ask for: the status changes of the
 * status table (status_announcement()) and these three. */
#define WEBHOOK_ACCOUNT_CREATED        "account.created"
#define WEBHOOK_ACCOUNT_EMAIL_VERIFIED "account.email_verified"
#define WEBHOOK_ACCOUNT_ERASED         "account.erased"

/* Every event type, NULL-terminated. */
extern const char *const db_webhook_events[];

/* Failed attempts after which a delivery is given up; the wait after the
 * n-th is 2^n seconds (at most WEBHOOK_BACKOFF_MAX_S), about a day and a
 * half in all. */
#define WEBHOOK_MAX_ATTEMPTS  20
#define WEBHOOK_BACKOFF_MAX_S 21600

/* Queues event type about account_id for every active endpoint that asked
 * for it, in the caller's transaction: with the account's status now and
 * its reason codes (the status change's reason, if any, and for a flagged
 * or suspended account each verifier whose latest outcome is not
 * verified, as "verifier:outcome"). Nothing when no endpoint wants it.
 * Blocks. */
enum err db_webhook_queue(PGconn *conn, const char *account_id, const char *type,
			  const char *reason);

/* Makes the stored endpoints those of endpoints_json, a JSON array of
 * {"name", "events": [...]}: new ones added, changed ones updated, the
 * others deactivated (their deliveries wait; none are queued for them).
 * One transaction. Blocks. */
enum err db_webhook_endpoints_sync(PGconn *conn, const char *endpoints_json);

/* One claimed delivery. */
struct webhook_row {
	long long id;
	char msg_id[40];
	char endpoint[65];
	char account_id[UUID_STR_LEN];
	char type[48];
	char status[32];
	char occurred_at[40]; /* RFC 3339, UTC */
	char *reasons_json;   /* a JSON array of strings */
	int attempts;         /* failed so far */
};

/* Claims up to max due deliveries of the endpoints named in names_literal
 * (a text[] literal: the endpoints this process can send to), by moving
 * their next_attempt_at lease_seconds ahead in one statement. Free
 * *ret_rows with webhook_rows_free(). Blocks. */
enum err db_webhook_claim(PGconn *conn, const char *names_literal, int max, int lease_seconds,
			  struct webhook_row **ret_rows, size_t *ret_n);

/* Records one attempt at delivery id (http_status 0 when there was no
 * reply; error a name such as "http_500" or "CURLE_...", NULL on
 * success) and its outcome: delivered, due again after the back-off, or
 * given up (after WEBHOOK_MAX_ATTEMPTS). *ret_given_up says which.
 * Blocks. */
enum err db_webhook_attempt(PGconn *conn, long long id, long http_status, const char *error,
			    int duration_ms, bool *ret_given_up);

/* Hands a claimed delivery back, due at once (the process stops). */
enum err db_webhook_release(PGconn *conn, long long id);

/* Frees n rows of db_webhook_claim(). Accepts NULL. */
void webhook_rows_free(struct webhook_row *rows, size_t n);

/* A page of deliveries for admins, newest first, each with its attempts
 * (JSON), below before_id (0: from the newest), of endpoint (NULL: any).
 * Columns: id, then the item as JSON text. *ret_res is the caller's to
 * PQclear. Blocks. */
enum err db_webhook_list(PGconn *conn, const char *endpoint, long long before_id, int limit,
			 PGresult **ret_res);

#endif
