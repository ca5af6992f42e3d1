/*
 * clients.h - service credentials (issue 25 item 2): machine clients such
 * as the marketing sender or a CME platform, each with one role limited to
 * its purpose, calling the routes of that role (router.h
 * ROUTE_MARKETING_SENDER, ROUTE_ACTIVITY_SYSTEM) with an API key
 * "Authorization: Bearer hcpd_<client id>_<secret>".
 *
 * API keys rather than OAuth2 client credentials: the key is checked
 * against the database on every request, so a revocation stops every
 * process at once (an OAuth2 access token would live until it expires),
 * and no second kind of bearer token enters the JWT path, where an
 * unknown role would be taken for a professional's. The secret is 256
 * random bits shown once at creation; only its SHA-256 is stored.
 */
#ifndef HCPD_CLIENTS_H
#define HCPD_CLIENTS_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>

#include "err.h"

struct app;
struct req;

/* "hcpd_" + a 36-character id + "_" + a 43-character secret, and a NUL. */
#define CLIENT_KEY_LEN 86

/* Whether role is a client role: "marketing_sender" or "activity_system". */
bool client_role_valid(const char *role);

/* Creates a client (name [a-z0-9-], 1 to 63 characters, and a role) by
 * actor: its id into ret_id (37 bytes) and its API key into ret_key
 * (CLIENT_KEY_LEN bytes; shown once, wipe it after use). ERR_INVALID for
 * a bad name or role, ERR_CONFLICT for a name in use. Audited. Blocks. */
enum err client_create(PGconn *conn, const char *name, const char *role, const char *actor,
		       const char *request_id, char *ret_id, char *ret_key);

/* Every client as a JSON array (a new reference), audited. Blocks. */
enum err client_list(PGconn *conn, const char *actor, const char *request_id, json_t **ret_items);

/* Revokes client id (ERR_NOT_FOUND, ERR_CONFLICT when revoked already).
 * Audited. Blocks. */
enum err client_revoke(PGconn *conn, const char *id, const char *actor, const char *request_id);

/* Authenticates the caller of a client route (http.c) by its API key:
 * on success r->auth.sub is the client id, r->auth.role "client", and
 * *ret_ok true; otherwise a 401 (no key, a wrong or revoked one) or a 403
 * (a client whose role the route does not name, or a bearer token that is
 * not a key: a session's) is queued. Blocks. */
enum MHD_Result client_authenticate(struct req *r, bool *ret_ok);

#endif
