/*
 * schedule.c - the monitoring passes and their thread (see schedule.h).
 * Owns the thread and, during a pass, one pooled connection. Opens each
 * scanned account's profile only to read its declared licence expiry
 * (and the sealed date it was last reminded of), and wipes them at once.
 * Logs counts, never an account's values.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bgthread.h"
#include "db.h"
#include "jobs.h"
#include "log.h"
#include "mailer.h"
#include "monitor.h"
#include "outbox.h"
#include "verdict.h"
#include "schedule.h"
#include "vault.h"
#include "verifier.h"

#define SCAN_BATCH   500
#define EXPIRY_FIELD "license_expiry" /* the catalogue's declared expiry */

/* Today plus days, as YYYY-MM-DD (UTC). */
static void day(int days, char out[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* A sealed value of account a opened with key into out (size bytes),
 * or "" when there is none or it does not open. */
static void open_text(const unsigned char key[CRYPTO_KEY_LEN], const struct monitor_account *a,
		      const char *what, const unsigned char *enc, size_t len, char *out,
		      size_t size)
{
	char *text = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (enc != NULL && vault_open(key, a->account.id, what, enc, len, &text, &n) == ERR_OK &&
	    n < size) {
		memcpy(out, text, n);
		out[n] = '\0';
	}
	vault_wipe_free(text);
}

/* The professional's declared expiry (the catalogue's EXPIRY_FIELD, in
 * their sealed profile) and the expiry they were last reminded of, each
 * YYYY-MM-DD or "". ERR_CRYPTO when the data key does not open. */
static enum err expiry_facts(struct app *app, const struct monitor_account *a,
			     unsigned char key[CRYPTO_KEY_LEN], char declared[11],
			     char reminded[11])
{
	json_t *profile = NULL;
	const char *s;
	enum err err = vault_open_profile(app, &a->account, key, NULL, &profile);

	declared[0] = reminded[0] = '\0';
	if (err != ERR_OK)
		return err;
	open_text(key, a, "expiry_reminded", a->reminded_enc, a->reminded_enc_len, reminded, 11);
	s = json_string_value(json_object_get(profile, EXPIRY_FIELD));
	if (s != NULL && strlen(s) == 10)
		memcpy(declared, s, 11);
	json_decref(profile);
	return ERR_OK;
}

/* Records, sealed, that a was reminded of the expiry date. */
static enum err remember_reminder(PGconn *conn, const unsigned char key[CRYPTO_KEY_LEN],
				  const struct monitor_account *a, const char *date)
{
	unsigned char *sealed = NULL;
	size_t len = 0;
	enum err err = vault_seal(key, a->account.id, "expiry_reminded", date, strlen(date),
				  &sealed, &len);

	if (err == ERR_OK)
		err = db_monitor_reminded(conn, a->account.id, sealed, len);
	free(sealed);
	return err;
}

/* Re-checks and reminds the professionals whose known expiry is near. */
static enum err expiry_scan(struct app *app, PGconn *conn, struct schedule_counts *c)
{
	char today[11], horizon[11], after[UUID_STR_LEN] = "";
	struct monitor_account *batch = NULL;
	size_t n = 0;
	enum err err;

	day(0, today);
	day(SCHEDULE_EXPIRY_DAYS, horizon);
	do {
		err = db_monitor_accounts(conn, after, SCAN_BATCH, &batch, &n);
		for (size_t i = 0; err == ERR_OK && i < n; i++) {
			const struct monitor_account *a = &batch[i];
			struct job_spec specs[VERDICT_JOBS_MAX];
			unsigned char key[CRYPTO_KEY_LEN];
			char known[11], reminded[11];
			size_t nspecs;
			int queued = 0;

			if (expiry_facts(app, a, key, known, reminded) != ERR_OK)
				continue; /* values that do not open: nothing to go by */
			if (strcmp(known, today) < 0)
				known[0] = '\0'; /* past: the registry says what it is now */
			if (a->registry_expiry[0] != '\0' &&
			    (known[0] == '\0' || strcmp(a->registry_expiry, known) < 0))
				memcpy(known, a->registry_expiry, sizeof(known));
			if (known[0] == '\0' || strcmp(known, horizon) > 0 ||
			    strcmp(known, reminded) == 0) {
				explicit_bzero(key, sizeof(key));
				continue;
			}
			nspecs = verdict_jobs_for(app->verifiers, a->country, a->profession, specs,
						  VERDICT_JOBS_MAX);
			/* the key was opened before: no keystore read in here */
			err = db_begin(conn);
			if (err == ERR_OK)
				err = db_jobs_enqueue(conn, a->account.id, OCCASION_REVERIFICATION,
						      specs, nspecs, &queued);
			if (err == ERR_OK)
				err = mailer_notice_queue(conn, a->account.id,
							  OUTBOX_LICENCE_EXPIRY_REMINDER);
			if (err == ERR_OK)
				err = remember_reminder(conn, key, a, known);
			err = db_end(conn, err);
			explicit_bzero(key, sizeof(key));
			c->queued += queued;
			c->reminders++;
		}
		if (n > 0)
			memcpy(after, batch[n - 1].account.id, sizeof(after));
		monitor_accounts_free(batch, n);
		batch = NULL;
	} while (err == ERR_OK && n == SCAN_BATCH);
	return err;
}

/* Every verifier's due professionals. */
static enum err queue_due(struct app *app, PGconn *conn, bool all, struct schedule_counts *c)
{
	const struct verifier_set *set = app->verifiers; /* read once: a reload swaps it */
	enum err err = ERR_OK;

	for (size_t i = 0; err == ERR_OK && i < verifier_set_count(set); i++) {
		const struct verifier *v = verifier_set_at(set, i);
		const char *countries[300], *professions[300];
		struct monitor_scope s = {.verifier = v->name,
					  .countries = countries,
					  .professions = professions,
					  .needs_roster = v->ops->transport == TRANSPORT_LOCAL};
		long long queued = 0;

		if (v->ops->transport == TRANSPORT_MANUAL)
			continue; /* nothing to re-check: an admin checked it by hand */
		for (size_t k = 0; k < json_array_size(v->countries) && k < 300; k++)
			countries[s.ncountries++] =
				json_string_value(json_array_get(v->countries, k));
		for (size_t k = 0; k < json_array_size(v->professions) && k < 300; k++)
			professions[s.nprofessions++] =
				json_string_value(json_array_get(v->professions, k));
		err = db_monitor_queue_due(conn, &s, app->cfg.reverify_days, all, &queued);
		c->queued += queued;
	}
	return err;
}

static enum err digest(struct app *app, PGconn *conn, struct schedule_counts *c)
{
	struct monitor_account *admins = NULL;
	size_t n = 0;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_monitor_digest_due(conn, app->cfg.digest_hours, &admins, &n);
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		err = mailer_notice_queue(conn, admins[i].account.id, OUTBOX_ADMIN_REVIEW_DIGEST);
		c->digests++;
	}
	monitor_accounts_free(admins, n);
	return db_end(conn, err);
}

enum err schedule_pass(struct app *app, PGconn *conn, bool all, bool wait,
		       struct schedule_counts *ret_counts)
{
	struct schedule_counts c = {0};
	enum err unlocked, err = db_monitor_lock(conn, wait, &c.ran);

	if (err == ERR_OK && !c.ran)
		*ret_counts = c;
	if (err != ERR_OK || !c.ran)
		return err;
	err = queue_due(app, conn, all, &c);
	if (err == ERR_OK)
		err = expiry_scan(app, conn, &c);
	if (err == ERR_OK)
		err = digest(app, conn, &c);
	unlocked = db_monitor_unlock(conn);
	if (err == ERR_OK)
		err = unlocked;
	if (err == ERR_OK)
		*ret_counts = c;
	return err;
}

/* One monitoring pass, then HCPD_REVERIFY_INTERVAL_SECONDS of rest. */
static long schedule_main(void *arg)
{
	struct app *app = arg;
	struct schedule_counts c = {0};
	PGconn *conn = NULL;
	enum err err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK)
		err = schedule_pass(app, conn, false, false, &c);
	db_release(app->db, conn);
	if (err != ERR_OK)
		log_json(LOG_WARN, "monitoring pass failed; trying again at the next",
			 json_pack("{s:s}", "error", err_name(err)));
	else if (c.ran && (c.queued > 0 || c.reminders > 0 || c.digests > 0))
		log_json(LOG_INFO, "monitoring pass",
			 json_pack("{s:I, s:I, s:I}", "reverifications", (json_int_t)c.queued,
				   "reminders", (json_int_t)c.reminders, "digests",
				   (json_int_t)c.digests));
	return app->cfg.reverify_interval * 1000L;
}

enum err schedule_start(struct app *app, struct bgthread **ret_thread)
{
	return bgthread_start(schedule_main, app, ret_thread);
}

void schedule_metrics_render(struct app *app, FILE *f)
{
	PGconn *conn = NULL;

	if (db_acquire(app->db, app->cfg.db_acquire_ms, &conn) == ERR_OK)
		db_monitor_gauges(conn, f);
	db_release(app->db, conn);
}
