/*
 * cli_client.c - hcpd client create / list / revoke (see cli_client.h).
 * The key goes to stdout once, never to a log.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli_client.h"
#include "clients.h"
#include "db.h"
#include "staff.h"

/* The exit status of a failed command, with its message. */
static int failed(const char *what, enum err err)
{
	fprintf(stderr, "hcpd: client %s failed: %s\n", what,
		err == ERR_INVALID     ? "--name must be [a-z0-9-] (1 to 63), --role "
					 "marketing_sender or activity_system"
		: err == ERR_CONFLICT  ? "a client of this name exists, or it is revoked already"
		: err == ERR_NOT_FOUND ? "no such client"
				       : err_name(err));
	return err == ERR_NOT_FOUND ? 1 : 2;
}

int cli_client_create(struct app *app, int argc, char **argv)
{
	const char *name = NULL, *role = NULL;
	char id[37], key[CLIENT_KEY_LEN];
	PGconn *conn = NULL;
	enum err err;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--role") == 0)
			role = argv[i + 1];
		else
			return -1;
	}
	if (argc != 4 || name == NULL || role == NULL)
		return -1;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = client_create(conn, name, role, STAFF_ACTOR_CLI, NULL, id, key);
	db_release(app->db, conn);
	if (err != ERR_OK)
		return failed("create", err);
	printf("{\"id\": \"%s\", \"name\": \"%s\", \"role\": \"%s\", \"key\": \"%s\"}\n", id, name,
	       role, key);
	explicit_bzero(key, sizeof(key));
	return 0;
}

int cli_client_list(struct app *app, int argc, char **argv)
{
	json_t *items = NULL;
	PGconn *conn = NULL;
	enum err err;

	(void)argc;
	(void)argv;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = client_list(conn, STAFF_ACTOR_CLI, NULL, &items);
	db_release(app->db, conn);
	if (err != ERR_OK)
		return failed("list", err);
	json_dumpf(items, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(items);
	return 0;
}

int cli_client_revoke(struct app *app, int argc, char **argv)
{
	PGconn *conn = NULL;
	enum err err;

	(void)argc;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = client_revoke(conn, argv[0], STAFF_ACTOR_CLI, NULL);
	db_release(app->db, conn);
	if (err != ERR_OK)
		return failed("revoke", err);
	printf("{\"id\": \"%s\", \"revoked\": true}\n", argv[0]);
	return 0;
}
