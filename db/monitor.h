/*
 * monitor.h - the SQL of continuous monitoring (verifiers/monitor.c):
 * which accounts are due for a re-check, what their known licence expiry
 * is, which admins get the review digest, and the gauges /metrics shows.
 * Sealed values stay sealed; nothing here logs.
 */
#ifndef HCPD_DB_MONITOR_H
#define HCPD_DB_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* Takes the monitoring lock for conn's session, so one process runs a
 * pass at a time: at once (wait false; *ret_got false when another holds
 * it) or waiting for it. Held until db_monitor_unlock(), or until the
 * connection ends. A session lock, not a transaction's: a pass is many
 * short transactions. Blocks. */
enum err db_monitor_lock(PGconn *conn, bool wait, bool *ret_got);

/* Gives the lock back before conn goes back to the pool. Blocks. */
enum err db_monitor_unlock(PGconn *conn);

/* Which accounts a verifier re-checks. */
struct monitor_scope {
	const char *verifier;
	const char *const *countries; /* ISO codes, n of them */
	size_t ncountries;
	const char *const *professions; /* none: every profession */
	size_t nprofessions;
	bool needs_roster;
};

/* Queues a 'reverification' job of s->verifier for every verified or
 * approved professional it applies to (verifier_applies' rule, in SQL:
 * applies.h) that has no open job of it and -
 * unless all - whose latest good check (any outcome but error) of it is
 * older than days, or who has none, or whose latest check of it was an
 * error (retried at every pass). In the caller's transaction.
 * *ret_queued counts them. Blocks. */
enum err db_monitor_queue_due(PGconn *conn, const struct monitor_scope *s, int days, bool all,
			      long long *ret_queued);

/* One verified or approved professional, for the expiry scan. */
struct monitor_account {
	struct sealed_account account; /* its id and sealed values */
	char country[8];
	char profession[48];
	char registry_expiry[11];    /* the earliest expiry a registry reported, or "" */
	unsigned char *reminded_enc; /* the expiry last reminded of, sealed; NULL: none */
	size_t reminded_enc_len;
};

/* Up to max verified or approved professionals with ids above after ("" for
 * the first page), in id order. Free with monitor_accounts_free(). Blocks. */
enum err db_monitor_accounts(PGconn *conn, const char *after, int max,
			     struct monitor_account **ret_accounts, size_t *ret_n);

void monitor_accounts_free(struct monitor_account *accounts, size_t n);

/* Records which expiry account_id was reminded of (sealed by the caller). */
enum err db_monitor_reminded(PGconn *conn, const char *account_id, const unsigned char *sealed,
			     size_t len);

/* The admins to send the review digest now: the queue holds an item
 * waiting for an admin longer than hours, and the admin has had no digest
 * in the last day. *ret_admins (free with monitor_accounts_free) holds
 * their ids and sealed keys and emails; each is marked as sent. In the
 * caller's transaction. Blocks. */
enum err db_monitor_digest_due(PGconn *conn, int hours, struct monitor_account **ret_admins,
			       size_t *ret_n);

/* Writes the monitoring gauges in the Prometheus text format: accounts by
 * status, jobs queued and running, the oldest queued job's age, and the
 * stuck-account invariant (issue 19: the view stuck_accounts of migration
 * 0013, its count and oldest age, and the oldest pending account's age),
 * and the deliveries owed: mail, webhook deliveries and activity releases
 * pending or given up, and the oldest pending one's age, by kind and
 * destination. Blocks. */
enum err db_monitor_gauges(PGconn *conn, FILE *f);

#endif
