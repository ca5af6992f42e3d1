/*
 * admins.h - staff accounts (roles admin, reviewer, auditor: migration
 * 0016): listing them and disabling one. A disabled staff member signs in
 * no more (db_login_account()) and every session of theirs is revoked in
 * the transaction that disables them.
 */
#ifndef HCPD_ADMINS_H
#define HCPD_ADMINS_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "err.h"

/* Is role a staff role a staff account can be made with? Pure. */
bool staff_role_valid(const char *role);

/* Columns of db_staff_list()'s rows: SEALED_COLUMNS (accounts.h) first. */
enum staff_col {
	SC_ROLE = 5,
	SC_DISABLED_AT, /* RFC 3339 or NULL */
	SC_CREATED_AT,  /* RFC 3339 */
	SC_TOTP,        /* "t" when a second factor is enrolled and confirmed */
};

/* Every staff account, oldest first; *ret_res is the caller's to PQclear.
 * Blocks. */
enum err db_staff_list(PGconn *conn, PGresult **ret_res);

/* Disables staff account id and revokes its sessions, with an audit row
 * (actor, action "staff.disable", request_id may be NULL), in one
 * transaction of its own. ERR_NOT_FOUND when id is no staff account,
 * ERR_CONFLICT when it is disabled already. Blocks. */
enum err db_staff_disable(PGconn *conn, const char *id, const char *actor,
			  const char *request_id);

#endif
