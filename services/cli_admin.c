/*
 * cli_admin.c - hcpd admin create|list|disable (see cli_admin.h). The
 * password comes on stdin and is wiped after hashing; messages name the
 * argument at fault, never a password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli_admin.h"
#include "db.h"
#include "password.h"
#include "admins.h"
#include "staff.h"
#include "validate.h"

#define EXIT_USAGE         2
#define ADMIN_PASSWORD_MAX 1024

/* Reads one line (the password) from stdin, without its newline. */
static int read_password(char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, stdin) == NULL)
		return -1;
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == size - 1)
		return -1; /* longer than the buffer */
	buf[len] = '\0';
	return 0;
}

/* The password from stdin, checked by the policy and hashed into hash. */
static int password_from_stdin(struct app *app, const char *email, char hash[PASSWORD_ENCODED_MAX])
{
	char password[ADMIN_PASSWORD_MAX];
	json_t *errors = json_array();
	int rc = EXIT_USAGE;

	if (errors == NULL)
		goto out;
	if (read_password(password, sizeof(password)) != 0) {
		fprintf(stderr, "hcpd: give the password on stdin, one line\n");
		goto out;
	}
	if (password_check(password, email, NULL, errors) != ERR_OK) {
		fprintf(stderr, "hcpd: out of memory\n");
		goto out;
	}
	if (json_array_size(errors) > 0) {
		fprintf(stderr, "hcpd: password refused: %s\n",
			json_string_value(json_object_get(json_array_get(errors, 0), "message")));
		goto out;
	}
	if (password_hash(password, app->cfg.argon2_memory_kib, app->cfg.argon2_iterations, hash) !=
	    ERR_OK) {
		fprintf(stderr, "hcpd: cannot hash the password\n");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(password, sizeof(password));
	json_decref(errors);
	return rc;
}

int cli_admin_create(struct app *app, int argc, char **argv)
{
	const char *email = NULL, *role = "admin";
	char hash[PASSWORD_ENCODED_MAX], id[UUID_STR_LEN];
	int rc;
	enum err err;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--email") == 0)
			email = argv[i + 1];
		else if (strcmp(argv[i], "--role") == 0)
			role = argv[i + 1];
		else
			return -1;
	}
	if (email == NULL || argc % 2 != 0)
		return -1;
	if (!validate_email(email)) {
		fprintf(stderr, "hcpd: --email is not a valid email address\n");
		return EXIT_USAGE;
	}
	if (!staff_role_valid(role)) {
		fprintf(stderr, "hcpd: --role must be admin, reviewer or auditor\n");
		return EXIT_USAGE;
	}
	rc = password_from_stdin(app, email, hash);
	if (rc != 0)
		return rc;
	err = staff_create(app, email, role, hash, STAFF_ACTOR_CLI, NULL, id);
	explicit_bzero(hash, sizeof(hash));
	if (err == ERR_CONFLICT) {
		fprintf(stderr, "hcpd: an account with this email already exists\n");
		return EXIT_USAGE;
	}
	if (err != ERR_OK) {
		fprintf(stderr, "hcpd: admin create failed: %s\n", err_name(err));
		return EXIT_USAGE;
	}
	printf("%s\n", id);
	return 0;
}

int cli_admin_list(struct app *app, int argc, char **argv)
{
	json_t *items = NULL;
	PGconn *conn;
	enum err err;

	(void)argc;
	(void)argv;
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = staff_list(app, conn, STAFF_ACTOR_CLI, NULL, &items);
		db_release(app->db, conn);
	}
	if (err == ERR_OK && (json_dumpf(items, stdout, JSON_INDENT(2)) != 0 || puts("") == EOF))
		err = ERR_IO;
	json_decref(items);
	if (err != ERR_OK) {
		fprintf(stderr, "hcpd: admin list failed: %s\n", err_name(err));
		return EXIT_USAGE;
	}
	return 0;
}

int cli_admin_disable(struct app *app, int argc, char **argv)
{
	PGconn *conn;
	enum err err;

	(void)argc;
	if (!validate_uuid(argv[0])) {
		fprintf(stderr, "hcpd: give the staff account's id (hcpd admin list)\n");
		return EXIT_USAGE;
	}
	err = db_acquire(app->db, app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_staff_disable(conn, argv[0], STAFF_ACTOR_CLI, NULL);
		db_release(app->db, conn);
	}
	if (err == ERR_NOT_FOUND || err == ERR_CONFLICT) {
		fprintf(stderr, "hcpd: %s\n",
			err == ERR_NOT_FOUND ? "no staff account has this id"
					     : "this staff account is disabled already");
		return EXIT_USAGE;
	}
	if (err != ERR_OK) {
		fprintf(stderr, "hcpd: admin disable failed: %s\n", err_name(err));
		return EXIT_USAGE;
	}
	printf("{\"disabled\": \"%s\"}\n", argv[0]);
	return 0;
}
