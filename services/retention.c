/*
 * retention.c - erasure and the retention purge (see retention.h). Owns
 * the purge thread, which holds one pooled connection only while a pass
 * runs. Logs counts, never ids or values.
 */
#include <pthread.h>
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
#include "dormancy.h"
#include "log.h"
#include "mailer.h"
#include "notices.h"
#include "outbox.h"
#include "retention.h"

#define PURGE_BATCH 100 /* registrations erased per query */

enum err retention_erase(const struct app *app, PGconn *conn, const struct erasure *e)
{
	struct erasure full = *e;
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
	full.kept = kept;
	full.keys = app->keys;
	return db_account_erase(conn, &full);
}

/* Erases, batch by batch, every account due(days) gives, auditing action;
 * adds how many went to *count. */
static enum err erase_due(const struct app *app, PGconn *conn, db_due_fn due, int days,
			  const char *action, long long *count)
{
	char ids[PURGE_BATCH][UUID_STR_LEN];
	size_t n = PURGE_BATCH;
	enum err err = ERR_OK;

	while (err == ERR_OK && n == PURGE_BATCH) {
		err = due(conn, days, NULL, PURGE_BATCH, ids, &n);
		for (size_t i = 0; err == ERR_OK && i < n; i++) {
			struct erasure e = {.id = ids[i],
					    .actor = AUDIT_ACTOR_SYSTEM,
					    .action = action,
					    .due = due,
					    .due_days = days};

			err = retention_erase(app, conn, &e);
			/* a hold set, a sign-in or an erasure meanwhile: skip it */
			if (err == ERR_CONFLICT || err == ERR_NOT_FOUND)
				err = ERR_OK;
			else if (err == ERR_OK)
				(*count)++;
		}
	}
	return err;
}

/* One mail per account a pass tells (a dormancy warning, a new notice):
 * who is due, and the mark that says it was told, with what they read. */
struct one_mail {
	enum err (*due)(PGconn *conn, const struct one_mail *m, char (*ids)[UUID_STR_LEN],
			size_t *ret_n);
	enum err (*mark)(PGconn *conn, const struct one_mail *m, const char *id, bool *ret_marked);
	const char *kind;    /* the outbox kind queued */
	int days;            /* the dormancy period */
	const char *version; /* the notice version in force */
};

/* Queues m's mail to every account m->due gives, each in a transaction
 * with its mark: one mail even when two processes pass at once. Adds how
 * many were queued to *count. */
static enum err mail_once(PGconn *conn, const struct one_mail *m, long long *count)
{
	char ids[PURGE_BATCH][UUID_STR_LEN];
	size_t n = PURGE_BATCH;
	enum err err = ERR_OK;

	while (err == ERR_OK && n == PURGE_BATCH) {
		err = m->due(conn, m, ids, &n);
		for (size_t i = 0; err == ERR_OK && i < n; i++) {
			bool marked = false;

			err = db_begin(conn);
			if (err == ERR_OK)
				err = m->mark(conn, m, ids[i], &marked);
			if (err == ERR_OK && marked)
				err = mailer_notice_queue(conn, ids[i], m->kind);
			err = db_end(conn, err);
			if (err == ERR_OK && marked)
				(*count)++;
		}
	}
	return err;
}

static enum err dormant_due(PGconn *conn, const struct one_mail *m, char (*ids)[UUID_STR_LEN],
			    size_t *ret_n)
{
	return db_dormant_to_warn(conn, m->days, PURGE_BATCH, ids, ret_n);
}

static enum err dormant_mark(PGconn *conn, const struct one_mail *m, const char *id,
			     bool *ret_marked)
{
	return db_dormancy_mark(conn, id, m->days, ret_marked);
}

static enum err notice_due(PGconn *conn, const struct one_mail *m, char (*ids)[UUID_STR_LEN],
			   size_t *ret_n)
{
	return db_notice_to_mail(conn, m->version, PURGE_BATCH, ids, ret_n);
}

static enum err notice_mark(PGconn *conn, const struct one_mail *m, const char *id,
			    bool *ret_marked)
{
	return db_notice_mail_mark(conn, id, m->version, ret_marked);
}

/* Queues the one warning mail of every dormant account not warned yet
 * (dormancy.h). */
static enum err warn_dormant(PGconn *conn, int days, long long *count)
{
	const struct one_mail m = {dormant_due, dormant_mark, OUTBOX_DORMANCY_WARNING, days, NULL};

	return mail_once(conn, &m, count);
}

/* Queues the one mail of every professional who must accept the current
 * notice version and was not told of it yet (notices.h): one per account
 * and version. Logs how many, never who. */
static enum err tell_notice_change(const struct app *app, PGconn *conn)
{
	const struct one_mail m = {notice_due, notice_mark, OUTBOX_NOTICE_CHANGED, 0,
				   catalogue_notice_version(app->catalogue)};
	long long count = 0;
	enum err err = mail_once(conn, &m, &count);

	if (count > 0)
		log_json(LOG_INFO, "privacy notice change mailed",
			 json_pack("{s:I}", "accounts", (json_int_t)count));
	return err;
}

/* Adds a pass's counts to the totals /metrics shows (purge_totals). */
static enum err count_totals(PGconn *conn, const struct purge_counts *c)
{
	json_t *counts = retention_counts_json(c);
	const char *what;
	json_t *n;
	enum err err = counts != NULL ? ERR_OK : ERR_NOMEM;

	json_object_foreach (counts, what, n) {
		if (err == ERR_OK)
			err = db_purge_total_add(conn, what, json_integer_value(n));
	}
	json_decref(counts);
	return err;
}

enum err retention_purge(const struct app *app, PGconn *conn, struct purge_counts *ret_counts)
{
	const struct config *cfg = &app->cfg;
	struct purge_limits limits = {.evidence_days = cfg->keep_evidence_days,
				      .idempotency_hours = cfg->keep_idem_hours,
				      .documents_days = cfg->keep_documents_days,
				      .webhooks_days = cfg->keep_webhooks_days};
	struct purge_counts counts = {0};
	enum err err = db_purge_expired(conn, &limits, &counts);

	if (err == ERR_OK)
		err = erase_due(app, conn, db_uncompleted_registrations, cfg->keep_pending_days,
				"account.purged", &counts.registrations);
	if (err == ERR_OK)
		err = erase_due(app, conn, db_rejected_due, cfg->keep_rejected_days,
				"account.purged_rejected", &counts.rejected);
	if (err == ERR_OK)
		err = erase_due(app, conn, db_dormant_due, cfg->keep_dormant_days,
				"account.purged_dormant", &counts.dormant);
	if (err == ERR_OK)
		err = warn_dormant(conn, cfg->keep_dormant_days, &counts.dormancy_warnings);
	if (err == ERR_OK)
		err = tell_notice_change(app, conn);
	/* what went is counted even when a later step failed */
	if (count_totals(conn, &counts) != ERR_OK && err == ERR_OK)
		err = ERR_DB;
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
					 c.idempotency_keys + c.login_throttle + c.documents +
					 c.rejected + c.dormancy_warnings + c.dormant + c.webhooks +
					 c.releases >
				 0
			 ? LOG_INFO
			 : LOG_DEBUG,
		 "retention purge", retention_counts_json(&c));
}

json_t *retention_counts_json(const struct purge_counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "registrations", (json_int_t)c->registrations, "evidence",
			 (json_int_t)c->evidence, "email_tokens", (json_int_t)c->email_tokens,
			 "refresh_tokens", (json_int_t)c->refresh_tokens, "idempotency_keys",
			 (json_int_t)c->idempotency_keys, "login_throttle",
			 (json_int_t)c->login_throttle, "documents", (json_int_t)c->documents,
			 "rejected", (json_int_t)c->rejected, "dormancy_warnings",
			 (json_int_t)c->dormancy_warnings, "dormant", (json_int_t)c->dormant,
			 "webhooks", (json_int_t)c->webhooks, "releases", (json_int_t)c->releases);
}

/* One purge pass, then HCPD_PURGE_INTERVAL_SECONDS of rest. */
static long retention_main(void *arg)
{
	struct app *app = arg;

	purge_pass(app);
	return app->cfg.purge_interval * 1000L;
}

/* The purge totals last read for /metrics. A scrape never waits for a
 * pooled connection (monitoring matters most when the pool is full):
 * without one free at once it shows what the last scrape read. */
static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;
static char *totals_text; /* NULL until read once */

void retention_metrics_render(struct app *app, FILE *f)
{
	PGconn *conn = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (db_acquire(app->db, 0, &conn) == ERR_OK && (m = open_memstream(&text, &len)) != NULL) {
		enum err err = db_purge_totals_render(conn, m);

		if (fclose(m) != 0 || err != ERR_OK) {
			free(text);
			text = NULL;
		}
	}
	db_release(app->db, conn);
	pthread_mutex_lock(&totals_lock);
	if (text != NULL) {
		free(totals_text);
		totals_text = text;
	}
	if (totals_text != NULL)
		fputs(totals_text, f);
	pthread_mutex_unlock(&totals_lock);
}

enum err retention_start(struct app *app, struct bgthread **ret_thread)
{
	return bgthread_start(retention_main, app, ret_thread);
}
