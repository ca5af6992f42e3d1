/*
 * recipients.h - the recipients file (services/recipients.json,
 * HCPD_RECIPIENTS_FILE): the third parties that are not verifiers
 * (advertisers, CME sponsors, accreditors, authorities, processors such as
 * the marketing sender) and their current
 * limited-use terms. Verifier recipients come from their own definitions.
 *
 * The file is validated strictly at start-up - an unknown key, a field
 * outside the catalogue, a bad date stops start-up naming the file and
 * the key - and is read-only afterwards. ledger_sync_recipients() stores
 * what it holds.
 */
#ifndef HCPD_RECIPIENTS_H
#define HCPD_RECIPIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"
#include "ledger.h"

struct catalogue;
struct recipients;

/* Loads and validates path against cat. On ERR_INVALID or ERR_IO, why
 * (why_len bytes) names the file and the key at fault. */
enum err recipients_load(const char *path, const struct catalogue *cat, struct recipients **ret_set,
			 char *why, size_t why_len);

/* The same from a parsed document (steals doc); name is used in messages.
 * For tests. */
enum err recipients_from_json(json_t *doc, const char *name, const struct catalogue *cat,
			      struct recipients **ret_set, char *why, size_t why_len);

/* Accepts NULL. */
void recipients_free(struct recipients *set);

/* The recipients, borrowed from set, in file order. */
const struct recipient_def *recipients_defs(const struct recipients *set, size_t *ret_n);

struct app;

/* Stores app->recipients and the recipients of app->verifiers' remote
 * verifiers with ledger_sync_recipients() once: sets
 * app->recipients_synced on success, and is a no-op afterwards.
 * ERR_UNAVAILABLE while the database cannot be reached or its migrations
 * are not current (try again later: /readyz does); any other error
 * (ERR_CONFLICT, ERR_INVALID, ERR_DB) is explained in why. Thread-safe.
 * Blocks. */
enum err recipients_sync_app(struct app *app, char *why, size_t why_len);

/* The longest reason a suspension or resumption takes, in bytes. */
#define SUSPENSION_REASON_MAX 500

/* The kill-switch (issue 25 item 7): suspends (suspend true) or resumes
 * recipient name for every process at once - the gate reads it in each
 * disclosure's transaction (GATE_RECIPIENT_SUSPENDED) - with the audit row
 * "recipient.suspended"/"recipient.resumed" by actor, reason sealed with
 * app->note_key (aad "<name>/suspension_reason"). reason: required to
 * suspend, optional to resume (NULL), 1 to SUSPENSION_REASON_MAX
 * bytes of UTF-8 without control characters, else ERR_INVALID.
 * *ret_changed: whether the state changed (a second suspension changes
 * nothing and records nothing); ret_since (40 bytes): when the suspension
 * began (RFC 3339), "" when not suspended. ERR_NOT_FOUND for an unknown
 * recipient. Blocks. */
enum err recipient_suspension_set(const struct app *app, PGconn *conn, const char *name,
				  bool suspend, const char *actor, const char *reason,
				  const char *request_id, bool *ret_changed, char *ret_since);

#endif
