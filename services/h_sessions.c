/*
 * h_sessions.c - POST /v1/sessions (login), POST /v1/sessions/refresh,
 * DELETE /v1/sessions/current, GET /.well-known/jwks.json.
 *
 * Login verifies argon2id on the workpool while the connection is parked.
 * An unknown email is verified against a dummy hash, and every failure -
 * unknown email, wrong password - is the same 401 after the same work.
 * Failures are throttled per email index (whether or not an account
 * exists): from the tenth in a row, 429 with a growing Retry-After.
 * Refresh tokens are 256-bit random, stored as SHA-256, used once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "admins.h"
#include "catalogue.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "jwtkeys.h"
#include "keystore.h"
#include "password.h"
#include "problem.h"
#include "pwjob.h"
#include "sessions.h"
#include "staffauth.h"
#include "totp.h"
#include "vault.h"

#define LOGIN_PASSWORD_MAX 1024 /* bytes; longer is refused before hashing */
#define REFRESH_TOKEN_MAX  128

struct login {
	struct pwjob pw; /* checks the password */
	struct login_account acct;
	bool found;
	enum totp_factor factor; /* decided before the password is checked */
};

static void login_free(void *p)
{
	struct login *l = p;

	if (l == NULL)
		return;
	pwjob_release(&l->pw);
	explicit_bzero(l, sizeof(*l));
	free(l);
}

/* Signs an access token and replies with the token pair. The token says
 * what a relying page gates on (the account's status, profession and
 * country now) and when the session signed in (auth_time). */
static enum MHD_Result reply_tokens(struct req *r, const char *account_id, const char *role,
				    const char *session_id, const char *refresh,
				    const struct token_facts *facts, long long auth_time)
{
	const struct config *cfg = &r->app->cfg;
	struct jwt_claims c = {0};
	unsigned char jti[16];
	char *access = NULL;
	json_t *body;
	enum err err;

	snprintf(c.sub, sizeof(c.sub), "%s", account_id);
	snprintf(c.role, sizeof(c.role), "%s", role);
	snprintf(c.sid, sizeof(c.sid), "%s", session_id);
	snprintf(c.hcp_status, sizeof(c.hcp_status), "%s", facts->status);
	snprintf(c.profession, sizeof(c.profession), "%s", facts->profession);
	snprintf(c.country, sizeof(c.country), "%s", facts->country);
	c.notice_acceptance_required =
		strcmp(role, "professional") == 0 &&
		strcmp(facts->notice_version, catalogue_notice_version(r->app->catalogue)) != 0;
	if (crypto_random(jti, sizeof(jti)) != ERR_OK)
		return problem_from_err(r, ERR_CRYPTO);
	crypto_hex(jti, sizeof(jti), c.jti);
	c.iat = c.nbf = (long long)time(NULL);
	c.auth_time = auth_time > 0 ? auth_time : c.iat;
	c.exp = c.iat + cfg->access_ttl;
	err = jwt_sign(r->app->keyring, cfg->jwt_issuer, cfg->jwt_audience, &c, &access);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	body = json_pack("{s:s, s:s, s:s, s:i}", "access_token", access, "refresh_token", refresh,
			 "token_type", "Bearer", "expires_in", cfg->access_ttl);
	free(access);
	return http_reply_json(r, 200, body, NULL);
}

static enum MHD_Result unauthorized(struct req *r)
{
	return problem_send(r, 401, "unauthorized", "the email or password is not correct");
}

/* A staff member with a second factor sent no code. Said whether or not
 * the password was right (it is checked, and counted, all the same):
 * what it tells anyone who knows the address is that it belongs to a
 * staff member with a factor, never whether the password matched. */
static enum MHD_Result factor_missing(struct req *r)
{
	http_add_header(r, "WWW-Authenticate", "Bearer");
	return problem_send(r, 401, "second-factor-required",
			    "this account also needs a code from its authenticator app (totp) "
			    "or a recovery code (recovery_code)");
}

/* The second factor of a staff sign-in whose password matched. */
static enum err factor_passed(struct req *r, PGconn *conn, struct login *l, bool *ret_ok)
{
	*ret_ok = true;
	if (l->factor != FACTOR_CHECK)
		return ERR_OK;
	return staffauth_check(
		r->app, conn, l->acct.id, json_string_value(json_object_get(r->json, "totp")),
		json_string_value(json_object_get(r->json, "recovery_code")), ret_ok);
}

/* After verification: count the outcome, open a session. */
static enum MHD_Result login_finish(struct req *r, struct login *l)
{
	unsigned char token_hash[32], secret[CRYPTO_KEY_LEN];
	char token[64], sid[UUID_STR_LEN];
	PGconn *conn;
	bool ok = l->found && l->pw.checked == ERR_OK;
	enum err err = ERR_OK;

	/* an account restored from a backup taken before its erasure has no
	 * secret left in the keystore: it signs in no more than an erased one */
	if (ok) {
		err = keystore_get(r->app->keys, l->acct.id, secret);
		explicit_bzero(secret, sizeof(secret));
		if (err == ERR_NOT_FOUND) {
			ok = false;
			err = ERR_OK;
		}
	}
	if (err == ERR_OK)
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if (!ok || l->factor == FACTOR_MISSING) { /* counted as a failure already */
		db_release(r->app->db, conn);
		return l->factor == FACTOR_MISSING ? factor_missing(r) : unauthorized(r);
	}
	/* a wrong or spent code: the attempt stays counted as a failure */
	err = factor_passed(r, conn, l, &ok);
	if (err == ERR_OK && !ok) {
		db_release(r->app->db, conn);
		return unauthorized(r);
	}
	if (err == ERR_OK)
		err = pwjob_passed(conn, &l->pw);
	if (err == ERR_OK && l->pw.rehashed)
		err = db_password_hash_set(conn, l->acct.id, l->pw.hash);
	if (err == ERR_OK)
		err = crypto_token(token, token_hash);
	if (err == ERR_OK)
		err = crypto_uuid_v4(sid);
	if (err == ERR_OK)
		err = db_session_create(conn, sid, l->acct.id, r->app->cfg.refresh_days,
					token_hash);
	if (err == ERR_OK && l->factor == FACTOR_ENROL)
		err = db_session_set_enrolling(conn, sid);
	db_release(r->app->db, conn);
	if (err == ERR_NOT_FOUND) /* erased since its password was checked */
		return unauthorized(r);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return reply_tokens(r, l->acct.id, l->factor == FACTOR_ENROL ? "enrolling" : l->acct.role,
			    sid, token, &l->acct.facts, 0);
}

/* email and password, and at most one of totp and recovery_code: all
 * strings. */
static bool login_body_ok(struct req *r, enum MHD_Result *ret_reply)
{
	static const char *const keys[] = {"email", "password", "totp", "recovery_code", NULL};
	static const char *const required[] = {"email", "password", NULL};
	json_t *errors = json_array();
	enum err err = ERR_OK;

	if (errors != NULL && (json_body_check_keys(r->json, keys, errors) != ERR_OK ||
			       json_body_require_strings(r->json, required, errors) != ERR_OK))
		err = ERR_NOMEM;
	for (int i = 2; errors != NULL && i < 4; i++) {
		json_t *v = json_object_get(r->json, keys[i]);

		if (v != NULL && !json_is_string(v))
			json_error_add(errors, keys[i], "type", "must be a string");
	}
	if (json_object_get(r->json, "totp") != NULL &&
	    json_object_get(r->json, "recovery_code") != NULL)
		json_error_add(errors, "recovery_code", "invalid",
			       "send a code or a recovery code, not both");
	return !problem_check_failed(r, err, errors, ret_reply);
}

enum MHD_Result h_session_create(struct req *r)
{
	struct login *l = r->state;
	const char *email, *password;
	unsigned char bidx[32];
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (l != NULL)
		return login_finish(r, l);
	if (!login_body_ok(r, &reply))
		return reply;
	email = json_string_value(json_object_get(r->json, "email"));
	password = json_string_value(json_object_get(r->json, "password"));
	if (strlen(password) > LOGIN_PASSWORD_MAX || strlen(email) > 254)
		return unauthorized(r);

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return problem_from_err(r, ERR_NOMEM);
	r->state = l;
	r->state_free = login_free;
	vault_email_index(r->app, email, bidx);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_login_account(conn, bidx, &l->acct);
	db_release(r->app->db, conn);
	l->found = err == ERR_OK;
	if (err != ERR_OK && err != ERR_NOT_FOUND)
		return problem_from_err(r, err);
	l->factor = totp_factor(l->found && route_role_is_staff(l->acct.role), l->acct.totp,
				r->app->cfg.admin_totp_required != 0,
				json_object_get(r->json, "totp") != NULL ||
					json_object_get(r->json, "recovery_code") != NULL);
	/* an unknown email is checked against the dummy hash: same work, same 401 */
	err = pwjob_check(&l->pw, password, l->found ? l->acct.password_hash : NULL, bidx);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	l->pw.rehash_weak = l->found;
	return pwjob_start(r, &l->pw);
}

enum MHD_Result h_session_refresh(struct req *r)
{
	static const char *const keys[] = {"refresh_token", NULL};
	unsigned char hash[32], next_hash[32];
	char next[64];
	struct refreshed s;
	const char *token;
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (!problem_check_strings(r, keys, &reply))
		return reply;
	token = json_string_value(json_object_get(r->json, "refresh_token"));
	if (strlen(token) > REFRESH_TOKEN_MAX)
		return problem_send(r, 401, "unauthorized", "the refresh token is not valid");
	crypto_sha256(token, strlen(token), hash);
	err = crypto_token(next, next_hash);
	if (err == ERR_OK)
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_session_refresh(conn, hash, next_hash, &s);
	db_release(r->app->db, conn);
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 401, "unauthorized", "the refresh token is not valid");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return reply_tokens(r, s.account_id, s.role, s.session_id, next, &s.facts, s.auth_time);
}

enum MHD_Result h_session_delete(struct req *r)
{
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_session_revoke(conn, r->auth.sid, "logout");
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}

enum MHD_Result h_jwks(struct req *r)
{
	size_t len;
	const char *body = jwt_jwks(r->app->keyring, &len);

	http_add_header(r, "Cache-Control", "public, max-age=300");
	return http_reply_static(r, 200, "application/json", body, len);
}
