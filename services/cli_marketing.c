/*
 * cli_marketing.c - hcpd marketing headers|check (see cli_marketing.h),
 * moved out of main.c whole.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli_marketing.h"
#include "db.h"
#include "log.h"
#include "marketing.h"
#include "validate.h"

/* As main.c says a command failed: logged, exit status 2. */
static int fail(const char *what, const char *why)
{
	log_json(LOG_ERROR, what, json_pack("{s:s}", "reason", why));
	return 2;
}

/* marketing headers|check ACCOUNT CHANNEL: for marketing sent by another
 * system, the RFC 8058 headers a message must carry and the send-time
 * consent check (exit 0: may send, 1: may not). */
static int run_marketing(struct app *app, const char *what, char **argv)
{
	char list[MARKETING_HEADER_MAX], post[MARKETING_HEADER_MAX];
	bool allowed = false;
	PGconn *conn;
	enum err err;

	if (!validate_uuid(argv[0]) || !marketing_channel_ok(app, argv[1]))
		return fail("bad arguments",
			    "give an account id and a marketing channel (marketing_*)");
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = strcmp(what, "headers") == 0
			      ? marketing_headers(app, conn, argv[0], argv[1], list, post)
			      : marketing_may_send(app, conn, argv[0], argv[1], &allowed);
		db_release(app->db, conn);
	}
	if (err != ERR_OK)
		return fail("marketing failed", err_name(err));
	if (strcmp(what, "headers") == 0) {
		printf("List-Unsubscribe: %s\nList-Unsubscribe-Post: %s\n", list, post);
		return 0;
	}
	printf("{\"allowed\": %s}\n", allowed ? "true" : "false");
	return allowed ? 0 : 1;
}

int cli_marketing_headers(struct app *app, int argc, char **argv)
{
	(void)argc;
	return run_marketing(app, "headers", argv);
}

int cli_marketing_check(struct app *app, int argc, char **argv)
{
	(void)argc;
	return run_marketing(app, "check", argv);
}
