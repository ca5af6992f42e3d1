/*
 * consents.h - data access for consent history (table consents), the
 * one-click unsubscribe tokens and the marketing send-time check.
 *
 * The consents table is a history: a change is a new row (time, source,
 * notice version); rows are never updated or deleted (the schema's
 * triggers, migration 0010, refuse it), and the current state of a
 * purpose is its latest row (no row: never granted). A change
 * to the state a purpose already has adds no row.
 */
#ifndef HCPD_CONSENTS_H
#define HCPD_CONSENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* Consent sources (the consents.source column). */
#define CONSENT_SELF_SERVICE     "self_service"
#define CONSENT_UNSUBSCRIBE_LINK "unsubscribe_link"
#define CONSENT_ADMIN            "admin"
#define CONSENT_REGISTRATION     "registration"

/* Every consent row of account_id, oldest first, as a new JSON array of
 * {purpose, granted, source, notice_version, changed_at}. Blocks. */
enum err db_consent_history(PGconn *conn, const char *account_id, json_t **ret_history);

/* Records the changes (purpose -> granted) that differ from the current
 * state, with source and notice_version, in one transaction that locks the
 * account row (so two concurrent changes cannot both record the same
 * flip). *ret_changed counts the rows added. ERR_NOT_FOUND when the
 * account does not exist or is erased. Blocks. */
enum err db_consents_change(PGconn *conn, const char *account_id, const struct consent_row *changes,
			    size_t n, const char *source, const char *notice_version,
			    int *ret_changed);

/* Remembers an unsubscribe token (by its SHA-256) for account_id; storing
 * the same token again is a no-op. Blocks. */
enum err db_unsubscribe_token_put(PGconn *conn, const char *account_id,
				  const unsigned char token_hash[32]);

/* The account an unsubscribe token (by its SHA-256) belongs to, if it is
 * not erased. ERR_NOT_FOUND otherwise. Blocks. */
enum err db_unsubscribe_token_account(PGconn *conn, const unsigned char token_hash[32],
				      char ret_account_id[UUID_STR_LEN]);

/* May hcpd send account_id something needing purpose (a marketing
 * channel) now: the purpose's latest consent is granted, processing is
 * not restricted and the account is not erased? An unknown account is
 * false. Blocks. */
enum err db_consent_allows(PGconn *conn, const char *account_id, const char *purpose,
			   bool *ret_allowed);

#endif
