/*
 * staff.h - staff accounts (admin, reviewer, auditor) for the command line
 * (hcpd admin create|list|disable) and the API (/v1/admin/admins): one
 * way to make one, list them and disable one, each audited - with actor
 * "cli" from the command line, the admin's id from the API.
 */
#ifndef HCPD_STAFF_H
#define HCPD_STAFF_H

#include <jansson.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

#define STAFF_ACTOR_CLI "cli"

struct app;

/* Makes a staff account of role with a password already hashed (PHC),
 * its creation audited ("staff.create", details {role}) in the same
 * transaction. ERR_CONFLICT when the email has an account. Blocks. */
enum err staff_create(struct app *app, const char *email, const char *role, const char *hash,
		      const char *actor, const char *request_id, char ret_id[UUID_STR_LEN]);

/* Every staff account as a new array of {id, email, role, disabled,
 * disabled_at, created_at, totp}, emails opened (the keystore is read
 * outside any transaction), and the listing audited ("staff.list").
 * Blocks. */
enum err staff_list(struct app *app, PGconn *conn, const char *actor, const char *request_id,
		    json_t **ret_items);

#endif
