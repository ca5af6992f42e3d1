/*
 * service_clients.c - service_clients and their audit rows (see service_clients.h).
 * Never logs; a secret's hash never leaves here but to its caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "service_clients.h"
#include "crypto.h"
#include "db.h"

/* The insert and its audit row, inside the open transaction. */
static enum err create_write(PGconn *conn, const struct client_new *c, json_t *details)
{
	const char *params[5] = {c->id, c->name, c->role, (const char *)c->secret_hash, c->actor};
	const int lengths[5] = {0, 0, 0, 32, 0}, formats[5] = {0, 0, 0, 1, 0};
	enum err err =
		db_exec(conn,
			"INSERT INTO service_clients (id, name, role, secret_hash, created_by) "
			"VALUES ($1, $2, $3, $4, $5)",
			5, params, lengths, formats, NULL);

	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){.actor = c->actor,
								  .action = "client.created",
								  .target = c->id,
								  .request_id = c->request_id,
								  .details = details});
	return err;
}

enum err db_client_create(PGconn *conn, const struct client_new *c)
{
	json_t *details = json_pack("{s:s, s:s}", "name", c->name, "role", c->role);
	enum err err = details != NULL ? db_begin(conn) : ERR_NOMEM;

	if (err == ERR_OK)
		err = db_end(conn, create_write(conn, c, details));
	json_decref(details);
	return err;
}

enum err db_clients_list(PGconn *conn, const char *actor, const char *request_id,
			 PGresult **ret_res)
{
	enum err err = db_exec(
		conn,
		"SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'role', role, "
		"'created_by', created_by, 'created_at', " DB_RFC3339(
			"created_at") ", "
				      "'revoked_at', " DB_RFC3339(
					      "revoked_at") ") ORDER BY created_at DESC, id), "
							    "'[]')::text FROM service_clients",
		0, NULL, NULL, NULL, ret_res);

	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){.actor = actor,
								  .action = "client.list",
								  .request_id = request_id});
	if (err != ERR_OK) {
		PQclear(*ret_res);
		*ret_res = NULL;
	}
	return err;
}

/* The revocation and its audit row, inside the open transaction. */
static enum err revoke_write(PGconn *conn, const char *id, const char *actor,
			     const char *request_id)
{
	const char *params[1] = {id};
	PGresult *res = NULL;
	enum err err = db_exec_row(conn,
				   "SELECT revoked_at IS NOT NULL FROM service_clients "
				   "WHERE id = $1::uuid FOR UPDATE",
				   1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	err = PQgetvalue(res, 0, 0)[0] == 't' ? ERR_CONFLICT : ERR_OK;
	PQclear(res);
	if (err == ERR_OK)
		err = db_exec(conn, "UPDATE service_clients SET revoked_at = now() WHERE id = $1",
			      1, params, NULL, NULL, NULL);
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){.actor = actor,
								  .action = "client.revoked",
								  .target = id,
								  .request_id = request_id});
	return err;
}

enum err db_client_revoke(PGconn *conn, const char *id, const char *actor, const char *request_id)
{
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_end(conn, revoke_write(conn, id, actor, request_id));
	return err;
}

enum err db_client_live(PGconn *conn, const char *id, char *ret_role, char *ret_name,
			unsigned char ret_hash[32])
{
	const char *params[1] = {id};
	PGresult *res = NULL;
	enum err err = db_exec_row(conn,
				   "SELECT role, name, secret_hash FROM service_clients "
				   "WHERE id = $1::uuid AND revoked_at IS NULL",
				   1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	snprintf(ret_role, 24, "%s", PQgetvalue(res, 0, 0));
	snprintf(ret_name, 64, "%s", PQgetvalue(res, 0, 1));
	err = PQgetlength(res, 0, 2) == 66 &&
			      crypto_unhex(PQgetvalue(res, 0, 2) + 2,
					   (size_t)PQgetlength(res, 0, 2) - 2, ret_hash) == ERR_OK
		      ? ERR_OK
		      : ERR_DB;
	PQclear(res);
	return err;
}
