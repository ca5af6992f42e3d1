/*
 * service_clients.h - service credentials' storage (issue 25 item 2): the
 * service_clients table (migration 0020) and the audit rows of its
 * changes. Secrets arrive as their SHA-256 only.
 */
#ifndef HCPD_DB_SERVICE_CLIENTS_H
#define HCPD_DB_SERVICE_CLIENTS_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "err.h"

/* A new client: id (a UUID), name ([a-z0-9-]), role (marketing_sender or
 * activity_system), secret_hash (32 bytes), and who made it. */
struct client_new {
	const char *id, *name, *role;
	const unsigned char *secret_hash;
	const char *actor;      /* a staff id, or "cli" */
	const char *request_id; /* may be NULL */
};

/* Stores c with the audit row "client.created" (target its id, details
 * name and role) in one transaction. ERR_CONFLICT when the name is taken.
 * Blocks. */
enum err db_client_create(PGconn *conn, const struct client_new *c);

/* Every client, newest first, as a JSON array text in *ret_res's one cell
 * ([{id, name, role, created_by, created_at, revoked_at}]; PQclear it),
 * with the audit row "client.list" by actor. Blocks. */
enum err db_clients_list(PGconn *conn, const char *actor, const char *request_id,
			 PGresult **ret_res);

/* Revokes client id with the audit row "client.revoked", in one
 * transaction. ERR_NOT_FOUND for no such client, ERR_CONFLICT when it is
 * revoked already. Blocks. */
enum err db_client_revoke(PGconn *conn, const char *id, const char *actor, const char *request_id);

/* The live (not revoked) client id: its role (24 bytes), name (64) and
 * secret_hash (32). ERR_NOT_FOUND otherwise. Blocks. */
enum err db_client_live(PGconn *conn, const char *id, char *ret_role, char *ret_name,
			unsigned char ret_hash[32]);

#endif
