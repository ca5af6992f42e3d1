/*
 * h_consents.c - GET and PUT /v1/me/consents (the caller's consents: the
 * current state per purpose and every change ever recorded), and POST
 * /v1/unsubscribe/{token} (RFC 8058 one-click unsubscribe, no sign-in).
 *
 * A change is a new consents row with its time, source and the notice
 * version; a change to the state a purpose already has records nothing.
 * The required purpose (licensure_verification) may be withdrawn here:
 * that is recorded like any other change, and the disclosure gate then
 * refuses every further check (rule no_consent). An unsubscribe link
 * withdraws only the marketing channel its token was made for (see
 * marketing.h). Its reply is the same for every token, known or not, or
 * made for another channel, so it tells nobody who has an account.
 *
 * Also POST /v1/me/notice-acceptance (issue 25 item 5): the caller
 * accepts the current privacy notice version, recorded with its time as a
 * consent is (notices.h).
 */
#include <string.h>

#include "app.h"
#include "catalogue.h"
#include "consents.h"
#include "db.h"
#include "handlers.h"
#include "marketing.h"
#include "notices.h"
#include "problem.h"
#include "verdict.h"

#define CONSENT_CHANGES_MAX 32

/* {notice_version, consents: {purpose: granted}, history: [...]} of id. */
static enum err consents_body(struct req *r, PGconn *conn, json_t **ret_body)
{
	json_t *history = NULL, *current;
	enum err err = db_consent_history(conn, r->auth.sub, &history);

	if (err != ERR_OK)
		return err;
	current = catalogue_consents_current(r->app->catalogue, history);
	*ret_body = json_pack("{s:s, s:o*, s:o}", "notice_version",
			      catalogue_notice_version(r->app->catalogue), "consents", current,
			      "history", history);
	return *ret_body != NULL ? ERR_OK : ERR_NOMEM;
}

enum MHD_Result h_me_consents_get(struct req *r)
{
	json_t *body = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = consents_body(r, conn, &body);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, body, NULL);
}

enum MHD_Result h_me_consents_put(struct req *r)
{
	struct consent_row changes[CONSENT_CHANGES_MAX];
	json_t *errors = json_array(), *body = NULL, *v;
	const char *purpose;
	size_t n = 0;
	int changed = 0;
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	err = errors != NULL ? catalogue_check_consent_changes(r->app->catalogue, r->json, errors)
			     : ERR_NOMEM;
	if (problem_check_failed(r, err, errors, &reply))
		return reply;
	json_object_foreach (r->json, purpose, v) {
		if (n == CONSENT_CHANGES_MAX) /* more than the catalogue's purposes */
			return problem_from_err(r, ERR_INTERNAL);
		changes[n].purpose = purpose;
		changes[n++].granted = json_is_true(v);
	}
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_consents_change(conn, r->auth.sub, changes, n, CONSENT_SELF_SERVICE,
				 catalogue_notice_version(r->app->catalogue), &changed);
	/* consent again after a refused check: monitoring goes on */
	if (err == ERR_OK && changed > 0 &&
	    json_is_true(json_object_get(r->json, "licensure_verification")))
		err = verdict_restore(r->app, conn, r->auth.sub);
	if (err == ERR_OK)
		err = consents_body(r, conn, &body);
	db_release(r->app->db, conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, body, NULL);
}

enum MHD_Result h_unsubscribe(struct req *r)
{
	const char *channel =
		MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "channel");
	PGconn *conn;
	enum err err;

	if (!marketing_channel_ok(r->app, channel))
		return problem_send(r, 400, "bad-request",
				    "channel must name a marketing channel, "
				    "e.g. ?channel=marketing_email");
	if (!marketing_one_click_body(http_header(r, "Content-Type"), r->body, r->body_len))
		return problem_send(r, 400, "bad-request",
				    "the body must be List-Unsubscribe=One-Click (RFC 8058), as "
				    "application/x-www-form-urlencoded or multipart/form-data");
	if (strlen(r->param) == MARKETING_TOKEN_LEN) {
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err == ERR_OK) {
			err = marketing_unsubscribe(r->app, conn, r->param, channel);
			db_release(r->app->db, conn);
		}
		/* an unknown token is answered like a known one */
		if (err != ERR_OK && err != ERR_NOT_FOUND)
			return problem_from_err(r, err);
	}
	return http_reply_static(r, 204, NULL, "", 0);
}

enum MHD_Result h_me_notice_accept(struct req *r)
{
	static const char *const keys[] = {"version", NULL};
	const char *current = catalogue_notice_version(r->app->catalogue);
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (!problem_check_strings(r, keys, &reply))
		return reply;
	/* only the notice in force can be accepted: an older one is stale */
	if (strcmp(json_string_value(json_object_get(r->json, "version")), current) != 0)
		return problem_send(r, 409, "conflict",
				    "only the current notice version can be accepted; read "
				    "notice_version at GET /v1/me/consents");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_notice_accept(conn, r->auth.sub, current);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}
