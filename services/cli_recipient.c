/*
 * cli_recipient.c - hcpd recipient suspend / resume (see cli_recipient.h).
 * Prints the recipient's state as JSON; never prints the reason.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli_recipient.h"
#include "db.h"
#include "recipients.h"
#include "staff.h"

/* Both commands: NAME, then --reason TEXT (required when suspending). */
static int run(struct app *app, int argc, char **argv, bool suspend)
{
	const char *reason = NULL;
	char since[40] = "";
	bool changed = false;
	PGconn *conn = NULL;
	enum err err;

	if (argc == 3 && strcmp(argv[1], "--reason") == 0)
		reason = argv[2];
	else if (argc != 1 || suspend)
		return -1;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = recipient_suspension_set(app, conn, argv[0], suspend, STAFF_ACTOR_CLI, reason,
					       NULL, &changed, since);
	db_release(app->db, conn);
	if (err == ERR_NOT_FOUND) {
		fprintf(stderr, "hcpd: no such recipient\n");
		return 1;
	}
	if (err == ERR_INVALID) {
		fprintf(stderr,
			"hcpd: --reason must be 1 to %d bytes without control "
			"characters\n",
			SUSPENSION_REASON_MAX);
		return 2;
	}
	if (err != ERR_OK) {
		fprintf(stderr, "hcpd: recipient %s failed: %s\n", suspend ? "suspend" : "resume",
			err_name(err));
		return 2;
	}
	printf("{\"recipient\": \"%s\", \"suspended\": %s, \"suspended_at\": %s%s%s, "
	       "\"changed\": %s}\n",
	       argv[0], since[0] != '\0' ? "true" : "false", since[0] != '\0' ? "\"" : "",
	       since[0] != '\0' ? since : "null", since[0] != '\0' ? "\"" : "",
	       changed ? "true" : "false");
	return 0;
}

int cli_recipient_suspend(struct app *app, int argc, char **argv)
{
	return run(app, argc, argv, true);
}

int cli_recipient_resume(struct app *app, int argc, char **argv)
{
	return run(app, argc, argv, false);
}
