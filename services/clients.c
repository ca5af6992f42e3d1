/*
 * clients.c - service credentials: keys, their check on client routes,
 * and the audited management (see clients.h). Never logs a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "app.h"
#include "clients.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "problem.h"
#include "router.h"
#include "service_clients.h"
#include "validate.h"

/* Each client role and the route flag it may call. */
static const struct {
	const char *role;
	unsigned flag;
} client_roles[] = {
	{"marketing_sender", ROUTE_MARKETING_SENDER},
	{"activity_system", ROUTE_ACTIVITY_SYSTEM},
};

/* The route flag of role; 0 for none. */
static unsigned role_flag(const char *role)
{
	for (size_t i = 0; role != NULL && i < sizeof(client_roles) / sizeof(client_roles[0]); i++)
		if (strcmp(client_roles[i].role, role) == 0)
			return client_roles[i].flag;
	return 0;
}

bool client_role_valid(const char *role)
{
	return role_flag(role) != 0;
}

enum err client_create(PGconn *conn, const char *name, const char *role, const char *actor,
		       const char *request_id, char *ret_id, char *ret_key)
{
	char secret[64];
	unsigned char hash[32];
	enum err err;

	if (name == NULL || !validate_token(name, '-', 63) || !client_role_valid(role))
		return ERR_INVALID;
	err = crypto_uuid_v4(ret_id);
	if (err == ERR_OK)
		err = crypto_token(secret, hash);
	if (err == ERR_OK)
		err = db_client_create(conn, &(struct client_new){.id = ret_id,
								  .name = name,
								  .role = role,
								  .secret_hash = hash,
								  .actor = actor,
								  .request_id = request_id});
	if (err == ERR_OK)
		snprintf(ret_key, CLIENT_KEY_LEN, "hcpd_%s_%s", ret_id, secret);
	explicit_bzero(secret, sizeof(secret));
	return err;
}

enum err client_list(PGconn *conn, const char *actor, const char *request_id, json_t **ret_items)
{
	PGresult *res = NULL;
	enum err err = db_clients_list(conn, actor, request_id, &res);

	if (err != ERR_OK)
		return err;
	*ret_items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return *ret_items != NULL ? ERR_OK : ERR_NOMEM;
}

enum err client_revoke(PGconn *conn, const char *id, const char *actor, const char *request_id)
{
	if (id == NULL || !validate_uuid(id))
		return ERR_NOT_FOUND;
	return db_client_revoke(conn, id, actor, request_id);
}

/* The key's client id (37 bytes) and the SHA-256 of its secret; false
 * for anything not shaped like a key. */
static bool key_parse(const char *key, char *ret_id, unsigned char ret_hash[32])
{
	if (key == NULL || strlen(key) != CLIENT_KEY_LEN - 1 || strncmp(key, "hcpd_", 5) != 0 ||
	    key[41] != '_')
		return false;
	memcpy(ret_id, key + 5, 36);
	ret_id[36] = '\0';
	crypto_sha256(key + 42, 43, ret_hash);
	return validate_uuid(ret_id);
}

enum MHD_Result client_authenticate(struct req *r, bool *ret_ok)
{
	const char *h = http_header(r, "Authorization");
	char id[37], role[24], name[64];
	unsigned char got[32], want[32];
	PGconn *conn = NULL;
	enum err err = ERR_NOT_FOUND;

	*ret_ok = false;
	/* a session's token is not a key: the route is not for its holder */
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0 && strncmp(h + 7, "hcpd_", 5) != 0)
		return problem_send(r, 403, "forbidden", "this route takes a service client's key");
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0 && key_parse(h + 7, id, got)) {
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err == ERR_OK)
			err = db_client_live(conn, id, role, name, want);
		db_release(r->app->db, conn);
	}
	if (err == ERR_OK && CRYPTO_memcmp(got, want, 32) != 0)
		err = ERR_NOT_FOUND;
	if (err == ERR_NOT_FOUND) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		return problem_send(r, 401, "unauthorized", "a valid API key is required");
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if ((r->route->flags & role_flag(role)) == 0)
		return problem_send(r, 403, "forbidden", "this client's role does not allow this");
	snprintf(r->auth.sub, sizeof(r->auth.sub), "%s", id);
	snprintf(r->auth.role, sizeof(r->auth.role), "client");
	*ret_ok = true;
	return MHD_YES;
}
