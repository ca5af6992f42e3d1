/*
 * staffauth.h - staff members' second factor: enrolment (a new TOTP
 * secret sealed with their data key, shown once as an otpauth:// URI and
 * its QR code), its confirmation by a first code (with ten one-time
 * recovery codes, stored as SHA-256 only), and the check at sign-in of a
 * code (each time step once) or a recovery code (each once). TOTP itself
 * is services/base/totp.h. Secrets and codes are wiped after use and
 * never logged.
 */
#ifndef HCPD_STAFFAUTH_H
#define HCPD_STAFFAUTH_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"

#define STAFF_RECOVERY_CODES 10

struct app;

/* Begins id's enrolment (email: the account's address, for the URI's
 * label) and gives *ret_body {secret, otpauth_uri, qr_svg}. Reads the
 * keystore: call it outside any transaction. ERR_CONFLICT when a
 * confirmed factor exists. Blocks. */
enum err staffauth_enrol(struct app *app, PGconn *conn, const char *id, json_t **ret_body);

/* Confirms id's enrolment with its first code; *ret_body is
 * {recovery_codes: [...]} (shown this once). ERR_INVALID for a code that
 * does not match, ERR_CONFLICT when nothing awaits confirmation. Blocks. */
enum err staffauth_confirm(struct app *app, PGconn *conn, const char *id, const char *code,
			   const char *request_id, json_t **ret_body);

/* The sign-in check of a staff member with a confirmed factor: totp (6
 * digits) or recovery (a recovery code; one of the two is non-NULL).
 * *ret_ok says whether it passed; a code whose step was used already, or
 * a used recovery code, does not. Reads the keystore. Blocks. */
enum err staffauth_check(struct app *app, PGconn *conn, const char *id, const char *totp,
			 const char *recovery, bool *ret_ok);

#endif
