/*
 * h_health.c - GET /healthz (the process answers), GET /readyz (the
 * database and the keystore answer, their schemas are current and the
 * recipients file is stored) and GET /metrics, which only the metrics
 * listener serves (routes.c's ops_routes), with /healthz.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "keystore.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "problem.h"
#include "recipients.h"

/* readyz waits at most this long for a pooled connection */
#define READY_WAIT_MS 500

enum MHD_Result h_healthz(struct req *r)
{
	static const char body[] = "{\"status\":\"ok\"}";

	return http_reply_static(r, 200, "application/json", body, sizeof(body) - 1);
}

enum MHD_Result h_readyz(struct req *r)
{
	static const char body[] = "{\"status\":\"ready\"}";
	PGconn *conn;
	char why[512];
	bool pending = true;
	enum err err = db_acquire(r->app->db, READY_WAIT_MS, &conn);

	if (err == ERR_OK) {
		err = migrate_pending(conn, r->app->cfg.migrations_dir, &pending);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_send(r, 503, "not-ready", "the database is unreachable");
	if (keystore_ready(r->app->keys) != ERR_OK)
		return problem_send(
			r, 503, "not-ready",
			"the keystore is unreachable or not migrated (HCPD_KEYSTORE_URL)");
	if (pending)
		return problem_send(r, 503, "not-ready",
				    "database migrations are not current; run hcpd migrate");
	/* serve stores the recipients at start; a database that was not ready
	 * then is caught up here */
	err = recipients_sync_app(r->app, why, sizeof(why));
	if (err != ERR_OK) {
		log_json(LOG_ERROR, "cannot store recipients (HCPD_RECIPIENTS_FILE)",
			 json_pack("{s:s, s:s}", "request_id", r->id, "reason", why));
		return problem_send(r, 503, "not-ready",
				    "the recipients file cannot be stored; see the log");
	}
	return http_reply_static(r, 200, "application/json", body, sizeof(body) - 1);
}

enum MHD_Result h_metrics(struct req *r)
{
	char *text;
	size_t len;
	enum err err = metrics_render(r->app, &text, &len);

	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_owned(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
