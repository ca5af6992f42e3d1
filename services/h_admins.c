/*
 * h_admins.c - staff management for admins: GET /v1/admin/admins (the
 * staff accounts), POST /v1/admin/admins (a new one: email, role,
 * password), POST /v1/admin/admins/{id}/disable - admins only (routes.c),
 * each audited with the admin's id (staff.h, admins.h) - and every staff
 * member's own second factor: POST /v1/admin/me/totp (enrolment) and
 * POST /v1/admin/me/totp/confirm (the first code; recovery codes back). The password
 * is checked by the policy and hashed on the hashing pool (pwjob.h), and
 * never logged or echoed.
 */
#include <stdlib.h>
#include <string.h>

#include "admins.h"
#include "app.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "password.h"
#include "problem.h"
#include "pwjob.h"
#include "sessions.h"
#include "staff.h"
#include "staffauth.h"
#include "validate.h"

enum MHD_Result h_admins_list(struct req *r)
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
		err = staff_list(r->app, conn, r->auth.sub, r->id, &items);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, json_pack("{s:o}", "items", items), NULL);
}

struct staff_new {
	struct pwjob pw;
};

static void staff_new_free(void *p)
{
	struct staff_new *s = p;

	if (s == NULL)
		return;
	pwjob_release(&s->pw);
	free(s);
}

/* After hashing: the account and its audit row. */
static enum MHD_Result staff_made(struct req *r, struct staff_new *s)
{
	const char *email = json_string_value(json_object_get(r->json, "email"));
	const char *role = json_string_value(json_object_get(r->json, "role"));
	char id[UUID_STR_LEN];
	enum err err = s->pw.hashed;

	if (err == ERR_OK)
		err = staff_create(r->app, email, role, s->pw.hash, r->auth.sub, r->id, id);
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict", "an account with this email exists");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	http_add_header(r, "Location", "/v1/admin/admins/%s", id);
	return http_reply_json(r, 201,
			       json_pack("{s:s, s:s, s:s, s:b, s:b}", "id", id, "email", email,
					 "role", role, "disabled", 0, "totp", 0),
			       NULL);
}

enum MHD_Result h_admins_create(struct req *r)
{
	static const char *const keys[] = {"email", "role", "password", NULL};
	struct staff_new *s = r->state;
	const char *email, *role;
	enum MHD_Result reply;
	json_t *errors;
	enum err err;

	if (s != NULL)
		return staff_made(r, s); /* resumed: the hash is done */
	if (!problem_check_strings(r, keys, &reply))
		return reply;
	email = json_string_value(json_object_get(r->json, "email"));
	role = json_string_value(json_object_get(r->json, "role"));
	errors = json_array();
	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	if (!validate_email(email))
		json_error_add(errors, "email", "invalid", "must be an email address");
	if (!staff_role_valid(role))
		json_error_add(errors, "role", "invalid", "must be admin, reviewer or auditor");
	err = password_check(json_string_value(json_object_get(r->json, "password")), email, NULL,
			     errors);
	if (problem_check_failed(r, err, errors, &reply))
		return reply;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return problem_from_err(r, ERR_NOMEM);
	r->state = s;
	r->state_free = staff_new_free;
	err = pwjob_hash(&s->pw, json_string_value(json_object_get(r->json, "password")));
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return pwjob_start(r, &s->pw);
}

enum MHD_Result h_admins_disable(struct req *r)
{
	PGconn *conn;
	enum err err;

	if (!validate_uuid(r->param))
		return problem_send(r, 404, "not-found", "no such staff account");
	if (strcmp(r->param, r->auth.sub) == 0)
		return problem_send(r, 409, "conflict",
				    "you cannot disable yourself: ask another admin");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_staff_disable(conn, r->param, r->auth.sub, r->id);
		db_release(r->app->db, conn);
	}
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such staff account");
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict", "this staff account is disabled already");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, json_pack("{s:s, s:b}", "id", r->param, "disabled", 1),
			       NULL);
}

enum MHD_Result h_admin_totp_begin(struct req *r)
{
	json_t *body = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = staffauth_enrol(r->app, conn, r->auth.sub, &body);
		db_release(r->app->db, conn);
	}
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict",
				    "a second factor is enrolled already; it is not replaced here");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 201, body, NULL);
}

enum MHD_Result h_admin_totp_confirm(struct req *r)
{
	static const char *const keys[] = {"code", NULL};
	json_t *body = NULL;
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (!problem_check_strings(r, keys, &reply))
		return reply;
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = staffauth_confirm(r->app, conn, r->auth.sub,
					json_string_value(json_object_get(r->json, "code")), r->id,
					&body);
		db_release(r->app->db, conn);
	}
	if (err == ERR_INVALID)
		return problem_send_field(r, "code", "invalid",
					  "the code does not match: type the one your "
					  "authenticator app shows now");
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict", "no enrolment awaits confirmation");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* an enrolling session has done what it was for: sign in with the code */
	if (strcmp(r->auth.role, "enrolling") == 0 &&
	    db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn) == ERR_OK) {
		db_session_revoke(conn, r->auth.sid, "logout");
		db_release(r->app->db, conn);
	}
	return http_reply_json(r, 200, body, NULL);
}
