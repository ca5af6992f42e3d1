/*
 * staff.c - staff accounts made, listed and audited (see staff.h). Opened
 * emails live only in the JSON it returns.
 */
#include <string.h>

#include "app.h"
#include "audit.h"
#include "db.h"
#include "enroll.h"
#include "admins.h"
#include "staff.h"
#include "vault.h"

enum err staff_create(struct app *app, const char *email, const char *role, const char *hash,
		      const char *actor, const char *request_id, char ret_id[UUID_STR_LEN])
{
	json_t *empty = json_object(), *details = json_pack("{s:s}", "role", role);
	struct audit_entry audit = {
		.actor = actor,
		.action = "staff.create",
		.request_id = request_id,
		.details = details,
	};
	struct enrollment e = {
		.role = role,
		.status = "approved",
		.email = email,
		.password_hash = hash,
		.personal = empty,
		.public = empty,
		.audit = &audit,
	};
	bool duplicate = false;
	enum err err = empty != NULL && details != NULL ? ERR_OK : ERR_NOMEM;

	/* the audit row's target is the new account (db_registration_insert()) */
	if (err == ERR_OK)
		err = enroll(app, &e, &duplicate, ret_id);
	if (err == ERR_OK && duplicate)
		err = ERR_CONFLICT;
	json_decref(empty);
	json_decref(details);
	return err;
}

/* One row of db_staff_list() as an item, its email opened. */
static enum err staff_item(struct app *app, PGresult *res, int row, json_t **ret_item)
{
	struct sealed_account s = {0};
	char *email = NULL;
	enum err err = db_sealed_read(res, row, 0, &s);

	if (err == ERR_OK)
		err = vault_open_profile(app, &s, NULL, &email, NULL);
	if (err == ERR_NOT_FOUND || err == ERR_CRYPTO) /* erased: no address to show */
		err = ERR_OK;
	if (err == ERR_OK &&
	    (*ret_item = json_pack("{s:s, s:s?, s:s, s:b, s:s?, s:s, s:b}", "id", s.id, "email",
				   email, "role", PQgetvalue(res, row, SC_ROLE), "disabled",
				   !PQgetisnull(res, row, SC_DISABLED_AT), "disabled_at",
				   db_cell_text(res, row, SC_DISABLED_AT), "created_at",
				   PQgetvalue(res, row, SC_CREATED_AT), "totp",
				   PQgetvalue(res, row, SC_TOTP)[0] == 't')) == NULL)
		err = ERR_NOMEM;
	vault_wipe_free(email);
	sealed_account_release(&s);
	return err;
}

enum err staff_list(struct app *app, PGconn *conn, const char *actor, const char *request_id,
		    json_t **ret_items)
{
	json_t *items = json_array(), *item = NULL;
	PGresult *res = NULL;
	enum err err = items != NULL ? db_staff_list(conn, &res) : ERR_NOMEM;

	for (int i = 0; err == ERR_OK && i < PQntuples(res); i++) {
		err = staff_item(app, res, i, &item);
		if (err == ERR_OK && json_array_append_new(items, item) != 0)
			err = ERR_NOMEM;
	}
	PQclear(res);
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = actor,
						    .action = "staff.list",
						    .request_id = request_id,
					    });
	if (err != ERR_OK) {
		json_decref(items);
		return err;
	}
	*ret_items = items;
	return ERR_OK;
}
