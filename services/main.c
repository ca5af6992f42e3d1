/*
 * main.c - the hcpd command line: serve, worker, migrate, verifier, roster, admin,
 * ledger, purge, marketing and webhooks commands (the table at the end).
 *
 * Builds struct app from the environment, runs the subcommand, and tears
 * everything down in reverse on exit (so LeakSanitizer sees a clean
 * process). Start-up errors name the setting or file at fault and exit 2.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "activities.h"
#include "adminpage.h"
#include "app.h"
#include "check.h"
#include "cli_admin.h"
#include "cli_client.h"
#include "cli_marketing.h"
#include "cli_recipient.h"
#include "bgthread.h"
#include "catalogue.h"
#include "db.h"
#include "enroll.h"
#include "http.h"
#include "jwtkeys.h"
#include "keystore.h"
#include "ledger.h"
#include "log.h"
#include "mailer.h"
#include "metrics.h"
#include "migrate.h"
#include "password.h"
#include "ratelimit.h"
#include "recipients.h"
#include "releases.h"
#include "retention.h"
#include "roster.h"
#include "verifier_cli.h"
#include "runner.h"
#include "schedule.h"
#include "schema_lang.h"
#include "search.h"
#include "vault.h"
#include "verifier.h"
#include "webhooks.h"
#include "workpool.h"

#define EXIT_USAGE    2
#define KEYSTORE_POOL 4     /* secrets are cached: few reads reach it */
#define HTTP_DRAIN_MS 10000 /* for replies at shutdown; Kubernetes waits 30 s */

static int fail(const char *what, const char *why)
{
	log_json(LOG_ERROR, what, json_pack("{s:s}", "reason", why));
	return EXIT_USAGE;
}

/* Loads what a command needs, by flag. pool_size 0: HCPD_DB_POOL_SIZE. */
enum need {
	NEED_DB = 1,
	NEED_KEYS = 2,
	NEED_CATALOGUE = 4,
	NEED_TOKENS = 8,
	NEED_RECIPIENTS = 16, /* with NEED_CATALOGUE */
	NEED_VERIFIERS = 32,  /* with NEED_CATALOGUE */
	NEED_WEBHOOKS = 64,   /* HCPD_WEBHOOKS_FILE, when set */
};

/* Sets a reload replaced: kept until exit, since a handler, the scheduler
 * or a check in flight may still hold one (a reload is rare and small). */
struct retired_set {
	struct verifier_set *set;
	struct retired_set *next;
};
static struct retired_set *retired;

/* Logs each definition of set left out until its secrets are set. */
static void log_skipped(const struct verifier_set *set)
{
	for (size_t i = 0; verifier_set_skipped(set, i) != NULL; i++)
		log_json(LOG_WARN, "verifier off: its secrets are not set",
			 json_pack("{s:s}", "reason", verifier_set_skipped(set, i)));
}

/* SIGHUP: HCPD_REGISTRIES_DIR read again with the start-up checks. A good
 * set replaces app->verifiers (the runner takes it once the old set's
 * checks are done; the recipients are stored again); a bad one changes
 * nothing and is logged with why. */
static void verifiers_reload(struct app *app)
{
	struct verifier_set *set = NULL;
	struct retired_set *old = calloc(1, sizeof(*old));
	char why[512] = "";

	if (old == NULL || verifier_set_load(app->cfg.registries_dir, app->catalogue, &set, why,
					     sizeof(why)) != ERR_OK) {
		log_json(LOG_ERROR, "verifier reload refused: the loaded definitions stay",
			 json_pack("{s:s}", "reason", old == NULL ? "out of memory" : why));
		free(old);
		return;
	}
	log_skipped(set);
	old->set = app->verifiers;
	old->next = retired;
	retired = old;
	app->verifiers = set;
	atomic_store(&app->recipients_synced, false); /* new recipients for the gate */
	log_json(LOG_INFO, "verifier definitions reloaded",
		 json_pack("{s:i}", "verifiers", (int)verifier_set_count(set)));
}

/* Waits for SIGINT or SIGTERM, reloading the definitions on each SIGHUP
 * meanwhile; returns the signal that ends the process. */
static int wait_for_stop(struct app *app, sigset_t *signals)
{
	int sig = 0;

	while (sigwait(signals, &sig) == 0 && sig == SIGHUP)
		verifiers_reload(app);
	return sig;
}

static int app_open(struct app *app, unsigned need, int pool_size)
{
	unsigned char master[CRYPTO_KEY_LEN];
	const char *why = NULL;
	char buf[512];
	enum err err;

	if (config_load(&app->cfg, &why) != ERR_OK)
		return fail("bad configuration", why);
	if (need & NEED_DB) {
		if (app->cfg.database_url == NULL)
			return fail("bad configuration", "HCPD_DATABASE_URL is not set");
		if (db_pool_new(app->cfg.database_url,
				pool_size > 0 ? pool_size : app->cfg.db_pool_size,
				app->cfg.statement_timeout_ms, &app->db) != ERR_OK ||
		    keystore_open(app->cfg.keystore_url, KEYSTORE_POOL,
				  app->cfg.statement_timeout_ms, app->cfg.db_acquire_ms,
				  &app->keys) != ERR_OK)
			return fail("start-up failed", "out of memory");
		if (migrate_latest(app->cfg.migrations_dir, &app->migrations_latest) != ERR_OK)
			return fail(
				"bad configuration",
				"HCPD_MIGRATIONS_DIR cannot be read or holds a badly named file");
	}
	if (need & NEED_TOKENS) {
		if (app->cfg.jwt_key_file == NULL)
			return fail("bad configuration", "HCPD_JWT_KEY_FILE is not set");
		if (jwt_keyring_load(app->cfg.jwt_key_file, app->cfg.jwt_previous, &app->keyring,
				     buf, sizeof(buf)) != ERR_OK)
			return fail("bad configuration (HCPD_JWT_KEY_FILE)", buf);
		/* unknown emails are checked against this, so failures take as long */
		if (password_hash("no account has this password", app->cfg.argon2_memory_kib,
				  app->cfg.argon2_iterations, app->dummy_hash) != ERR_OK)
			return fail("start-up failed", "cannot hash");
	}
	if (need & NEED_CATALOGUE) {
		if (catalogue_load(app->cfg.catalogue_file, &app->catalogue, buf, sizeof(buf)) !=
		    ERR_OK)
			return fail("bad field catalogue (HCPD_CATALOGUE_FILE)", buf);
		if (schema_langs_load(app->cfg.locale_dir, app->cfg.catalogue_file, app->catalogue,
				      &app->schema_langs, buf, sizeof(buf)) != ERR_OK)
			return fail("bad translations", buf);
	}
	if (need & NEED_KEYS) {
		if (app->cfg.master_key_file == NULL)
			return fail("bad configuration", "HCPD_MASTER_KEY_FILE is not set");
		err = crypto_master_key_load(app->cfg.master_key_file, master, &why);
		if (err != ERR_OK) {
			snprintf(buf, sizeof(buf), "HCPD_MASTER_KEY_FILE (%s): %s",
				 app->cfg.master_key_file, why != NULL ? why : err_name(err));
			return fail("bad configuration", buf);
		}
		vault_init(app, master);
		/* the catalogue says which fields have blind indexes */
		err = app->catalogue != NULL ? search_keys_init(app, master) : ERR_OK;
		explicit_bzero(master, sizeof(master));
		if (err != ERR_OK)
			return fail("bad field catalogue (HCPD_CATALOGUE_FILE)",
				    "too many searchable fields");
	}
	if ((need & NEED_RECIPIENTS) &&
	    recipients_load(app->cfg.recipients_file, app->catalogue, &app->recipients, buf,
			    sizeof(buf)) != ERR_OK)
		return fail("bad recipients file (HCPD_RECIPIENTS_FILE)", buf);
	if ((need & NEED_RECIPIENTS) &&
	    activities_load(app->cfg.activities_file, app->recipients, &app->activities, buf,
			    sizeof(buf)) != ERR_OK)
		return fail("bad activities file (HCPD_ACTIVITIES_FILE)", buf);
	if (need & NEED_VERIFIERS) {
		struct verifier_set *set = NULL;

		if (verifier_set_load(app->cfg.registries_dir, app->catalogue, &set, buf,
				      sizeof(buf)) != ERR_OK)
			return fail("bad verifier definition (HCPD_REGISTRIES_DIR)", buf);
		log_skipped(set);
		app->verifiers = set;
	}
	if ((need & NEED_WEBHOOKS) && app->cfg.webhooks_file != NULL &&
	    webhooks_load(app->cfg.webhooks_file, &app->webhooks, buf, sizeof(buf)) != ERR_OK)
		return fail("bad webhooks file (HCPD_WEBHOOKS_FILE)", buf);
	return 0;
}

static void app_close(struct app *app)
{
	while (retired != NULL) {
		struct retired_set *next = retired->next;

		verifier_set_free(retired->set);
		free(retired);
		retired = next;
	}
	webhooks_free(app->webhooks);
	schema_langs_free(app->schema_langs);
	workpool_free(app->hashpool);
	activities_free(app->activities);
	recipients_free(app->recipients);
	verifier_set_free(app->verifiers);
	adminpage_free(app->admin_page);
	adminpage_free(app->account_pages);
	catalogue_free(app->catalogue);
	jwt_keyring_free(app->keyring);
	ratelimit_free(app->ratelimit);
	db_pool_free(app->db);
	keystore_free(app->keys);
	explicit_bzero(app->wrap_key, sizeof(app->wrap_key));
	explicit_bzero(app->bidx_key, sizeof(app->bidx_key));
	explicit_bzero(app->idem_key, sizeof(app->idem_key));
	explicit_bzero(app->link_key, sizeof(app->link_key));
	explicit_bzero(app->release_key, sizeof(app->release_key));
	search_keys_wipe(app);
}

static int cmd_migrate(struct app *app)
{
	PGconn *conn;
	const char *why;
	int applied = 0;
	enum err err;

	err = db_connect(app->cfg.database_url, app->cfg.statement_timeout_ms, &conn);
	if (err != ERR_OK)
		return fail("migrate failed", "cannot connect to the database (HCPD_DATABASE_URL)");
	err = migrate_run(conn, app->cfg.migrations_dir, &applied, &why);
	PQfinish(conn);
	if (err != ERR_OK)
		return fail("migrate failed", why);
	err = db_connect(app->cfg.keystore_url, app->cfg.statement_timeout_ms, &conn);
	if (err != ERR_OK)
		return fail("migrate failed", "cannot connect to the keystore (HCPD_KEYSTORE_URL)");
	err = keystore_migrate(conn);
	PQfinish(conn);
	if (err != ERR_OK)
		return fail("migrate failed", "cannot create the keystore's table");
	log_json(LOG_INFO, "migrated",
		 json_pack("{s:i, s:i}", "applied", applied, "version", app->migrations_latest));
	return 0;
}

/* Loads a set of pages with load from dir (the setting's value) or dflt.
 * An unset setting with no default directory turns the pages off (an
 * install without them); a set one must load. */
static int pages_open(const char *setting, const char *dir, const char *dflt,
		      enum err (*load)(const char *, struct admin_page **, char *, size_t),
		      struct admin_page **ret_page)
{
	char why[512], what[64];

	if (load(dir != NULL ? dir : dflt, ret_page, why, sizeof(why)) == ERR_OK)
		return 0;
	snprintf(what, sizeof(what), "bad configuration (%s)", setting);
	if (dir != NULL)
		return fail(what, why);
	log_json(LOG_WARN, "pages are off",
		 json_pack("{s:s, s:s}", "setting", setting, "reason", why));
	return 0;
}

/* Every thread started after this inherits the mask: only the sigwait
 * of serve or worker sees SIGINT, SIGTERM and SIGHUP. */
static void block_signals(sigset_t *signals)
{
	sigemptyset(signals);
	sigaddset(signals, SIGINT);
	sigaddset(signals, SIGTERM);
	sigaddset(signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, signals, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Secrets kept in the main database are in its backups: say so. Both
 * URLs are set here (serve and worker need the database). */
static void warn_shared_keystore(const struct app *app)
{
	if (strcmp(app->cfg.keystore_url, app->cfg.database_url) == 0)
		log_json(LOG_WARN,
			 "HCPD_KEYSTORE_URL is not set: account secrets are kept in the main "
			 "database, so an erasure does not reach its backups taken before it",
			 NULL);
}

/* Starts the metrics listener (HCPD_METRICS_LISTEN; none when off): two
 * threads, so a scrape waiting for the database does not hold a probe's
 * /healthz, and the port its own (a second process on it is an error,
 * not a scrape answered by either at random). Call with the signal mask
 * set. */
static int ops_start(struct app *app, struct http_server **ret_server)
{
	struct http_listener l = {.listen = app->cfg.metrics_listen,
				  .routes = ops_routes,
				  .nroutes = ops_routes_len,
				  .threads = 2};

	*ret_server = NULL;
	if (l.listen == NULL)
		return 0;
	if (http_start(app, &l, ret_server) != ERR_OK)
		return fail("start-up failed",
			    "cannot listen on HCPD_METRICS_LISTEN (bad address, or in use)");
	log_json(LOG_INFO, "metrics listening",
		 json_pack("{s:s, s:i}", "listen", l.listen, "port", (int)http_port(*ret_server)));
	return 0;
}

static int cmd_serve(struct app *app)
{
	struct http_listener api = {.listen = app->cfg.listen,
				    .routes = routes,
				    .nroutes = routes_len,
				    .threads = app->cfg.http_threads,
				    .observe = true,
				    .reuse_port = true};
	struct http_server *server = NULL, *ops = NULL;
	struct mailer *mailer = NULL;
	struct bgthread *retention = NULL;
	struct runner *runner = NULL;
	struct bgthread *schedule = NULL, *indexer = NULL, *releases = NULL;
	sigset_t signals;
	char why[512];
	int sig = 0;

	/* argon2 allocates m KiB per hash: a fixed mmap threshold makes each
	 * such block an mmap, returned to the system on free (glibc's dynamic
	 * threshold would otherwise keep it in the heap after the first). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	warn_shared_keystore(app);
	/* a database not reachable or not migrated yet: /readyz retries */
	if (recipients_sync_app(app, why, sizeof(why)) != ERR_UNAVAILABLE &&
	    !atomic_load(&app->recipients_synced))
		return fail("cannot store recipients (HCPD_RECIPIENTS_FILE)", why);
	if (pages_open("HCPD_ADMIN_DIR", app->cfg.admin_dir, ADMINPAGE_DEFAULT_DIR, adminpage_load,
		       &app->admin_page) != 0 ||
	    pages_open("HCPD_PAGES_DIR", app->cfg.pages_dir, PAGES_DEFAULT_DIR,
		       adminpage_load_account, &app->account_pages) != 0)
		return EXIT_USAGE;
	/* before any thread starts: every thread inherits the mask */
	block_signals(&signals);
	if (workpool_new(app->cfg.hash_threads, app->cfg.hash_queue, &app->hashpool) != ERR_OK ||
	    metrics_init(routes_len) != ERR_OK ||
	    (app->cfg.rate_limit > 0 &&
	     ratelimit_new(app->cfg.rate_limit, &app->ratelimit) != ERR_OK))
		return fail("start-up failed", "out of memory");
	if (http_start(app, &api, &server) != ERR_OK) {
		metrics_release();
		return fail("start-up failed",
			    "cannot listen on HCPD_LISTEN (bad address, or in use)");
	}
	if (ops_start(app, &ops) != 0) {
		http_stop(server);
		metrics_release();
		return EXIT_USAGE;
	}
	log_json(LOG_INFO, "listening",
		 json_pack("{s:s, s:i, s:i, s:i}", "listen", app->cfg.listen, "port",
			   (int)http_port(server), "http_threads", app->cfg.http_threads,
			   "hash_threads", app->cfg.hash_threads));
	if (mailer_start(app, &mailer) != ERR_OK) {
		workpool_free(app->hashpool);
		app->hashpool = NULL;
		http_stop(ops);
		http_stop(server);
		metrics_release();
		return fail("start-up failed", "cannot start the mailer thread");
	}
	if (retention_start(app, &retention) != ERR_OK)
		log_json(LOG_ERROR, "cannot start the retention purge thread", NULL);
	if (search_backfill_start(app, &indexer) != ERR_OK)
		log_json(LOG_ERROR, "cannot start the search index thread", NULL);
	if (runner_start(app, &runner) != ERR_OK ||
	    (runner != NULL && schedule_start(app, &schedule) != ERR_OK))
		log_json(LOG_ERROR, "cannot start the verification runner", NULL);
	if (webhooks_start(app->webhooks, app) != ERR_OK)
		log_json(LOG_ERROR, "cannot start the webhook sender", NULL);
	if (releases_start(app, &releases) != ERR_OK)
		log_json(LOG_ERROR, "cannot start the activity release sender", NULL);
	sig = wait_for_stop(app, &signals);
	log_json(LOG_INFO, "stopping", json_pack("{s:s}", "signal", strsignal(sig)));
	/* a rollout: new connections go to other processes; every request
	 * already here gets its reply (new hashes 503, Retry-After) */
	http_quiesce(server);
	bgthread_stop(indexer);
	bgthread_stop(schedule);
	runner_stop(runner);
	bgthread_stop(retention);
	mailer_stop(mailer);
	webhooks_stop(app->webhooks);
	bgthread_stop(releases);
	/* queued hashes run, each resuming its parked connection */
	workpool_stop(app->hashpool);
	http_drain(server, HTTP_DRAIN_MS);
	http_stop(server);
	http_stop(ops);
	metrics_release();
	return 0;
}

/* hcpd worker: the verification runner and the mailer, and the metrics
 * listener but no API; until SIGINT or SIGTERM. */
static int cmd_worker(struct app *app)
{
	struct http_server *ops = NULL;
	struct mailer *mailer = NULL;
	struct runner *runner = NULL;
	struct bgthread *schedule = NULL, *releases = NULL;
	sigset_t signals;
	char why[512];
	int sig = 0;

	if (app->cfg.verify_concurrency == 0)
		return fail("bad configuration",
			    "hcpd worker needs HCPD_VERIFY_CONCURRENCY above 0");
	warn_shared_keystore(app);
	if (recipients_sync_app(app, why, sizeof(why)) != ERR_UNAVAILABLE &&
	    !atomic_load(&app->recipients_synced))
		return fail("cannot store recipients (HCPD_RECIPIENTS_FILE)", why);
	block_signals(&signals);
	if (metrics_init(0) != ERR_OK)
		return fail("start-up failed", "out of memory");
	if (ops_start(app, &ops) != 0)
		return EXIT_USAGE;
	if (mailer_start(app, &mailer) != ERR_OK || runner_start(app, &runner) != ERR_OK ||
	    (runner != NULL && schedule_start(app, &schedule) != ERR_OK)) {
		runner_stop(runner);
		mailer_stop(mailer);
		http_stop(ops);
		return fail("start-up failed", "cannot start the worker threads");
	}
	if (webhooks_start(app->webhooks, app) != ERR_OK)
		log_json(LOG_ERROR, "cannot start the webhook sender", NULL);
	if (releases_start(app, &releases) != ERR_OK)
		log_json(LOG_ERROR, "cannot start the activity release sender", NULL);
	sig = wait_for_stop(app, &signals);
	log_json(LOG_INFO, "stopping", json_pack("{s:s}", "signal", strsignal(sig)));
	http_stop(ops);
	bgthread_stop(schedule);
	runner_stop(runner);
	mailer_stop(mailer);
	webhooks_stop(app->webhooks);
	bgthread_stop(releases);
	metrics_release();
	return 0;
}

static int run_worker(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_worker(app);
}

/* hcpd verifier check NAME --field k=v ...: one attempt against the
 * registry, the outcome as JSON on stdout. */
static int run_verifier_check(struct app *app, int argc, char **argv)
{
	const struct verifier *v = verifier_lookup(app->verifiers, argv[0]);
	struct verifier_result res = {0};
	json_t *profile = json_object(), *out = NULL;
	PGconn *conn = NULL;
	char sha[65];
	int rc = EXIT_USAGE;
	enum err err;

	if (v == NULL) {
		rc = fail("bad arguments", "no such verifier (see hcpd verifier list)");
		goto out;
	}
	for (int i = 1; i < argc; i += 2) {
		const char *eq = i + 1 < argc ? strchr(argv[i + 1], '=') : NULL;

		if (strcmp(argv[i], "--field") != 0 || eq == NULL || eq == argv[i + 1]) {
			rc = -1;
			goto out;
		}
		json_object_setn_new(profile, argv[i + 1], (size_t)(eq - argv[i + 1]),
				     json_string(eq + 1));
	}
	if (v->ops->transport == TRANSPORT_LOCAL &&
	    (app->cfg.database_url == NULL ||
	     db_connect(app->cfg.database_url, app->cfg.statement_timeout_ms, &conn) != ERR_OK)) {
		rc = fail("verifier check failed",
			  "this verifier reads PostgreSQL: set HCPD_DATABASE_URL");
		goto out;
	}
	err = verifier_check_once(v, conn, profile, &res, sha);
	if (err != ERR_OK) {
		rc = fail("verifier check failed", err_name(err));
		goto out;
	}
	out = json_pack("{s:s, s:s, s:s, s:O, s:O, s:s?, s:s?}", "verifier", v->name, "outcome",
			outcome_name(res.outcome), "reason", res.reason, "checks", res.checks,
			"evidence", res.evidence, "expires", res.expires[0] ? res.expires : NULL,
			"reply_sha256", sha[0] ? sha : NULL);
	if (out == NULL || json_dumpf(out, stdout, JSON_COMPACT) != 0) {
		rc = fail("verifier check failed", "out of memory");
		goto out;
	}
	putchar('\n');
	rc = 0;
out:
	verifier_result_release(&res);
	json_decref(profile);
	json_decref(out);
	if (conn != NULL)
		PQfinish(conn);
	return rc;
}

static int cmd_ledger_verify(struct app *app)
{
	struct ledger_report report;
	char line[256];
	PGconn *conn;
	enum err err;

	err = db_connect(app->cfg.database_url, app->cfg.statement_timeout_ms, &conn);
	if (err != ERR_OK)
		return fail("ledger verify failed",
			    "cannot connect to the database (HCPD_DATABASE_URL)");
	err = ledger_verify(conn, 10000, &report);
	PQfinish(conn);
	if (err != ERR_OK)
		return fail("ledger verify failed", err_name(err));
	ledger_report_describe(&report, line, sizeof(line));
	if (report.fault != CHAIN_OK) {
		fprintf(stderr, "hcpd: %s\n", line);
		return 1;
	}
	printf("%s\n", line);
	return 0;
}

static int run_serve(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_serve(app);
}

static int run_migrate(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_migrate(app);
}

static int run_ledger_verify(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_ledger_verify(app);
}

static int run_purge(struct app *app, int argc, char **argv)
{
	struct purge_counts c = {0};
	json_t *out;
	PGconn *conn;
	enum err err;

	(void)argc;
	if (strcmp(argv[0], "--now") != 0)
		return -1;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = retention_purge(app, conn, &c);
		db_release(app->db, conn);
	}
	if (err != ERR_OK)
		return fail("purge failed", err_name(err));
	out = retention_counts_json(&c);
	if (out == NULL || json_dumpf(out, stdout, 0) != 0 || puts("") == EOF) {
		json_decref(out);
		return fail("purge failed", err_name(ERR_NOMEM));
	}
	json_decref(out);
	return 0;
}

/* hcpd reverify --all | --due: one monitoring pass now (waiting for a
 * pass another process runs), its counts as JSON. */
static int run_reverify(struct app *app, int argc, char **argv)
{
	struct schedule_counts c;
	PGconn *conn = NULL;
	enum err err;

	(void)argc;
	if (strcmp(argv[0], "--all") != 0 && strcmp(argv[0], "--due") != 0)
		return -1;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = schedule_pass(app, conn, strcmp(argv[0], "--all") == 0, true, &c);
	db_release(app->db, conn);
	if (err != ERR_OK)
		return fail("reverify failed", err_name(err));
	printf("{\"queued\": %lld, \"reminders\": %lld, \"digests\": %lld}\n", c.queued,
	       c.reminders, c.digests);
	return 0;
}

/* hcpd roster load NAME FILE (roster.h): one transaction; a bad file changes nothing. */
static int run_roster_load(struct app *app, int argc, char **argv)
{
	const struct verifier *v = verifier_lookup(app->verifiers, argv[0]);
	struct roster_report report;
	char why[512] = "", date[13] = "null"; /* the extract's date, a JSON value */
	PGconn *conn = NULL;
	enum err err;

	(void)argc;
	if (!roster_is(v))
		return fail("roster load failed",
			    v == NULL ? "no such verifier (see hcpd verifier list)"
				      : "not a roster_csv verifier");
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = roster_load(conn, v, argv[1], &report, why, sizeof(why));
		db_release(app->db, conn);
	}
	if (err != ERR_OK)
		return fail("roster load failed", why[0] != '\0' ? why : err_name(err));
	if (report.extract_date[0] != '\0')
		snprintf(date, sizeof(date), "\"%s\"", report.extract_date);
	printf("{\"roster\": \"%s\", \"entries\": %lld, \"queued\": %lld, \"sha256\": \"%s\", "
	       "\"extract_date\": %s}\n",
	       v->name, report.entries, report.queued, report.sha256, date);
	return 0;
}

/* The subcommands. A command's own arguments (after its one or two words)
 * reach run as argc/argv, their count already within [min_args,
 * max_args]; run returns -1 when they are wrong (usage is printed), else
 * the exit status. pool: connections it needs (0: HCPD_DB_POOL_SIZE). */
static const struct command {
	const char *word, *word2; /* "admin", "create"; word2 NULL for one word */
	int min_args, max_args;
	const char *usage; /* its line in the usage message */
	unsigned need;     /* enum need */
	int pool;
	int (*run)(struct app *app, int argc, char **argv);
} commands[] = {
	{"serve", NULL, 0, 0, "serve                      run the API server",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE | NEED_TOKENS | NEED_RECIPIENTS | NEED_VERIFIERS |
		 NEED_WEBHOOKS,
	 0, run_serve},
	{"worker", NULL, 0, 0, "worker                     run verification jobs and mail, no API",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE | NEED_RECIPIENTS | NEED_VERIFIERS | NEED_WEBHOOKS, 0,
	 run_worker},
	{"migrate", NULL, 0, 0, "migrate                    apply database migrations", NEED_DB, 1,
	 run_migrate},
	{"verifier", "list", 0, 0, "verifier list              the loaded verifier definitions",
	 NEED_CATALOGUE | NEED_VERIFIERS, 0, verifier_cli_list},
	{"verifier", "lint", 1, 1,
	 "verifier lint FILE         check one definition file as start-up does", NEED_CATALOGUE, 0,
	 verifier_cli_lint},
	{"verifier", "test", 2, 2,
	 "verifier test FILE DIR     run a definition's recorded cases (no network, no database)",
	 NEED_CATALOGUE, 0, verifier_cli_test},
	{"verifier", "check", 1, 1 + 2 * 32,
	 "verifier check NAME --field k=v ...  check against one registry now",
	 NEED_CATALOGUE | NEED_VERIFIERS, 0, run_verifier_check},
	{"admin", "create", 2, 4,
	 "admin create --email E [--role R]  create a staff account (admin, reviewer, "
	 "auditor); the password is read from stdin",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE, 1, cli_admin_create},
	{"admin", "list", 0, 0, "admin list                 the staff accounts, as JSON",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE, 1, cli_admin_list},
	{"admin", "disable", 1, 1,
	 "admin disable ID           disable a staff account; its sessions end at once",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE, 1, cli_admin_disable},
	{"activity", "secret", 1, 1,
	 "activity secret RECIPIENT  print the secret that signs releases to an activity recipient",
	 NEED_KEYS | NEED_CATALOGUE | NEED_RECIPIENTS, 0, releases_secret_cmd},
	{"ledger", "verify", 0, 0,
	 "ledger verify              check the disclosure ledger's hash chain", NEED_DB, 1,
	 run_ledger_verify},
	{"purge", NULL, 1, 1, "purge --now                run the retention purge once",
	 NEED_DB | NEED_CATALOGUE, 1, run_purge},
	{"marketing", "headers", 2, 2,
	 "marketing headers ID CHAN  the List-Unsubscribe headers for a marketing message",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE, 1, cli_marketing_headers},
	{"marketing", "check", 2, 2,
	 "marketing check ID CHAN    may marketing on CHAN go to ID now (exit 0) or not (1)",
	 NEED_DB | NEED_CATALOGUE, 1, cli_marketing_check},
	{"reverify", NULL, 1, 1,
	 "reverify --all | --due     queue re-verification of every verified account, or the due",
	 NEED_DB | NEED_KEYS | NEED_CATALOGUE | NEED_VERIFIERS, 1, run_reverify},
	{"webhooks", "test", 1, 1,
	 "webhooks test NAME         send a signed test event to a webhook endpoint now",
	 NEED_WEBHOOKS, 0, webhooks_test},
	{"recipient", "suspend", 3, 3,
	 "recipient suspend NAME --reason TEXT  stop every flow to a recipient at once",
	 NEED_DB | NEED_KEYS, 1, cli_recipient_suspend},
	{"recipient", "resume", 1, 3,
	 "recipient resume NAME [--reason TEXT]  let flows to a suspended recipient go again",
	 NEED_DB | NEED_KEYS, 1, cli_recipient_resume},
	{"client", "create", 4, 4,
	 "client create --name N --role R  a service client (marketing_sender, activity_system); "
	 "prints its API key once",
	 NEED_DB, 1, cli_client_create},
	{"client", "list", 0, 0, "client list                the service clients, as JSON", NEED_DB,
	 1, cli_client_list},
	{"client", "revoke", 1, 1,
	 "client revoke ID           revoke a service client's key at once", NEED_DB, 1,
	 cli_client_revoke},
	{"roster", "load", 2, 2,
	 "roster load NAME FILE      replace a roster verifier's entries with a CSV file",
	 NEED_DB | NEED_CATALOGUE | NEED_VERIFIERS, 1, run_roster_load},
};

static void print_usage(void)
{
	fputs("usage: hcpd <command>\n", stderr);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s\n", commands[i].usage);
	fputs("Settings come from HCPD_* environment variables; see README.md.\n", stderr);
}

int main(int argc, char **argv)
{
	struct app app = {0};
	const struct command *cmd = NULL;
	int words = 0, rc;

	for (size_t i = 0; cmd == NULL && i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		words = c->word2 != NULL ? 2 : 1;
		if (argc > words && strcmp(argv[1], c->word) == 0 &&
		    (c->word2 == NULL || strcmp(argv[2], c->word2) == 0))
			cmd = c;
	}
	if (cmd == NULL || argc - 1 - words < cmd->min_args || argc - 1 - words > cmd->max_args) {
		print_usage();
		return EXIT_USAGE;
	}
	rc = app_open(&app, cmd->need, cmd->pool);
	if (rc == 0)
		rc = cmd->run(&app, argc - 1 - words, argv + 1 + words);
	if (rc < 0) {
		print_usage();
		rc = EXIT_USAGE;
	}
	app_close(&app);
	return rc;
}
