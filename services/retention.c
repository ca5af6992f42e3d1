/*
 * retention.c - erasure and the retention purge (see retention.h). Owns
 * the purge thread, which holds one pooled connection only while a pass
 * runs. Logs counts, never ids or values.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "audit.h"
#include "bgthread.h"
#include "catalogue.h"
#include "db.h"
#include "log.h"
#include "retention.h"

#define PURGE_BATCH 100 /* registrations erased per query */

enum err retention_erase(const struct app *app, PGconn *conn, const char *id, const char *actor,
			 const char *action, const char *request_id)
{
	char kept[512] = "{";
	size_t len = 1;

	/* catalogue field names are [a-z0-9_]: safe inside an array literal */
	for (size_t i = 0; i < catalogue_kept_count(app->catalogue); i++) {
		int n = snprintf(kept + len, sizeof(kept) - len, "%s%s", i > 0 ? "," : "",
				 catalogue_kept_field(app->catalogue, i));

		if (n < 0 || (size_t)n >= sizeof(kept) - len - 1)
			return ERR_TOO_BIG;
		len += (size_t)n;
	}
	kept[len] = '}';
	kept[len + 1] = '\0';
	return db_account_erase(conn, &(struct erasure){.id = id,
							.kept = kept,
							.actor = actor,
							.action = action,
							.request_id = request_id,
							.keys = app->keys});
}

enum err retention_purge(const struct app *app, PGconn *conn, struct purge_counts *ret_counts)
{
	const struct config *cfg = &app->cfg;
	struct purge_limits limits = {.evidence_days = cfg->keep_evidence_days,
				      .idempotency_hours = cfg->keep_idem_hours,
				      .documents_days = cfg->keep_documents_days};
	struct purge_counts counts = {0};
	char ids[PURGE_BATCH][UUID_STR_LEN];
	size_t n = PURGE_BATCH;
	enum err err = db_purge_expired(conn, &limits, &counts);

	while (err == ERR_OK && n == PURGE_BATCH) {
		err = db_uncompleted_registrations(conn, cfg->keep_pending_days, PURGE_BATCH, ids,
						   &n);
		for (size_t i = 0; err == ERR_OK && i < n; i++) {
			err = retention_erase(app, conn, ids[i], AUDIT_ACTOR_SYSTEM,
					      "account.purged", NULL);
			/* a hold set or an erasure done meanwhile: skip it */
			if (err == ERR_CONFLICT || err == ERR_NOT_FOUND)
				err = ERR_OK;
			else if (err == ERR_OK)
				counts.registrations++;
		}
	}
	*ret_counts = counts;
	return err;
}

/* One pass with a pooled connection; logs what it did. */
static void purge_pass(struct app *app)
{
	struct purge_counts c = {0};
	PGconn *conn = NULL;
	enum err err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK)
		err = retention_purge(app, conn, &c);
	db_release(app->db, conn);
	if (err != ERR_OK) {
		log_json(LOG_WARN, "retention purge failed; retrying next period",
			 json_pack("{s:s}", "error", err_name(err)));
		return;
	}
	log_json(c.registrations + c.evidence + c.email_tokens + c.refresh_tokens +
					 c.idempotency_keys + c.login_throttle + c.documents >
				 0
			 ? LOG_INFO
			 : LOG_DEBUG,
		 "retention purge", retention_counts_json(&c));
}

json_t *retention_counts_json(const struct purge_counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "registrations",
			 (json_int_t)c->registrations, "evidence", (json_int_t)c->evidence,
			 "email_tokens", (json_int_t)c->email_tokens, "refresh_tokens",
			 (json_int_t)c->refresh_tokens, "idempotency_keys",
			 (json_int_t)c->idempotency_keys, "login_throttle",
			 (json_int_t)c->login_throttle, "documents", (json_int_t)c->documents);
}

/* One purge pass, then HCPD_PURGE_INTERVAL_SECONDS of rest. */
static long retention_main(void *arg)
{
	struct app *app = arg;

	purge_pass(app);
	return app->cfg.purge_interval * 1000L;
}

enum err retention_start(struct app *app, struct bgthread **ret_thread)
{
	return bgthread_start(retention_main, app, ret_thread);
}
