/*
 * h_clients.c - service credentials' routes (issue 25 item 2): admins list
 * (GET /v1/admin/clients), create (POST, the API key shown once) and
 * revoke (POST /v1/admin/clients/{id}/revoke) machine clients, each
 * audited (clients.h); a client reads who it is at GET /v1/client.
 */
#include <string.h>

#include "app.h"
#include "clients.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "problem.h"
#include "service_clients.h"
#include "validate.h"

enum MHD_Result h_admin_clients_list(struct req *r)
{
	static const char *const none[] = {NULL};
	json_t *items = NULL;
	const char *why;
	PGconn *conn;
	enum err err;

	if (http_query(r, none, NULL, &why) != ERR_OK)
		return problem_send(r, 400, "bad-request", why);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = client_list(conn, r->auth.sub, r->id, &items);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, json_pack("{s:o}", "items", items), NULL);
}

enum MHD_Result h_admin_clients_create(struct req *r)
{
	static const char *const keys[] = {"name", "role", NULL};
	const char *name, *role;
	char id[37], key[CLIENT_KEY_LEN];
	enum MHD_Result reply;
	json_t *errors, *body;
	PGconn *conn;
	enum err err;

	if (!problem_check_strings(r, keys, &reply))
		return reply;
	name = json_string_value(json_object_get(r->json, "name"));
	role = json_string_value(json_object_get(r->json, "role"));
	errors = json_array();
	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	if (!validate_token(name, '-', 63))
		json_error_add(errors, "name", "invalid",
			       "1 to 63 lower-case letters, digits and hyphens, not first");
	if (!client_role_valid(role))
		json_error_add(errors, "role", "invalid",
			       "must be marketing_sender or activity_system");
	if (problem_check_failed(r, ERR_OK, errors, &reply))
		return reply;
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = client_create(conn, name, role, r->auth.sub, r->id, id, key);
		db_release(r->app->db, conn);
	}
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict", "a client of this name exists");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	body = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "name", name, "role", role, "key", key);
	explicit_bzero(key, sizeof(key));
	http_add_header(r, "Cache-Control", "no-store");
	return http_reply_json(r, 201, body, NULL);
}

enum MHD_Result h_admin_client_revoke(struct req *r)
{
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = client_revoke(conn, r->param, r->auth.sub, r->id);
		db_release(r->app->db, conn);
	}
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such client");
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict", "this client is revoked already");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, json_pack("{s:s, s:b}", "id", r->param, "revoked", 1), NULL);
}

enum MHD_Result h_client_me(struct req *r)
{
	char role[24], name[64];
	unsigned char hash[32];
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_client_live(conn, r->auth.sub, role, name, hash);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err == ERR_NOT_FOUND ? ERR_UNAVAILABLE : err);
	return http_reply_json(
		r, 200, json_pack("{s:s, s:s, s:s}", "id", r->auth.sub, "name", name, "role", role),
		NULL);
}
