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
enum err db_staff_disable(PGconn *conn, const char *id, const char *actor, const char *request_id);

/* A staff member's second factor (table staff_totp): the secret sealed
 * with their data key (aad "<id>/totp_secret"), whether it is confirmed,
 * and the last step a code was accepted for. */
struct staff_totp {
	unsigned char *secret_enc; /* PQfreemem() it */
	size_t secret_len;
	bool confirmed;
	long long last_step;
};

/* Reads id's factor. ERR_NOT_FOUND when none was begun. Blocks. */
enum err db_totp_get(PGconn *conn, const char *id, struct staff_totp *ret);

/* Begins (or begins again) id's enrolment with a new sealed secret.
 * ERR_CONFLICT when a confirmed factor exists (it is not replaced).
 * Blocks. */
enum err db_totp_begin(PGconn *conn, const char *id, const unsigned char *secret_enc, size_t len);

/* Confirms id's enrolment at step (the first code's, good once) and
 * replaces its recovery codes with n new ones (SHA-256 each, 32 bytes),
 * with an audit row ("staff.totp_enrolled"), in one transaction of its
 * own. ERR_CONFLICT when there is nothing unconfirmed to confirm. Blocks. */
enum err db_totp_confirm(PGconn *conn, const char *id, long long step,
			 const unsigned char (*hashes)[32], size_t n, const char *request_id);

/* Spends step for id's confirmed factor: ERR_CONFLICT when a code of that
 * step or a later one was accepted already (a replay). Blocks. */
enum err db_totp_use_step(PGconn *conn, const char *id, long long step);

/* Spends one of id's unused recovery codes by its SHA-256: ERR_NOT_FOUND
 * when none matches. Blocks. */
enum err db_recovery_use(PGconn *conn, const char *id, const unsigned char hash[32]);

/* Marks session id as an enrolling one: its tokens carry the role
 * "enrolling", at sign-in and at every refresh. Blocks. */
enum err db_session_set_enrolling(PGconn *conn, const char *session_id);

#endif
