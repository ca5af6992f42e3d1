/*
 * h_recipients.c - the recipient kill-switch's routes (issue 25 item 7):
 * POST /v1/admin/recipients/{name}/suspension {"reason"} suspends a
 * recipient for every process at once, DELETE lifts it
 * (recipient_suspension_set(), audited; the reason is sealed and never
 * echoed).
 */
#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "problem.h"
#include "recipients.h"

/* Sets the suspension of r->param and replies with its state. */
static enum MHD_Result suspension(struct req *r, bool suspend, const char *reason)
{
	char since[40] = "";
	bool changed = false;
	PGconn *conn = NULL;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK)
		err = recipient_suspension_set(r->app, conn, r->param, suspend, r->auth.sub, reason,
					       r->id, &changed, since);
	db_release(r->app->db, conn);
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such recipient");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200,
			       json_pack("{s:s, s:b, s:s?}", "recipient", r->param, "suspended",
					 since[0] != '\0', "suspended_at",
					 since[0] != '\0' ? since : NULL),
			       NULL);
}

enum MHD_Result h_admin_recipient_suspend(struct req *r)
{
	json_t *errors = json_array();
	const char *reason;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	reason = json_body_reason(r->json, SUSPENSION_REASON_MAX, errors);
	if (reason == NULL)
		return problem_send_errors(r, errors);
	json_decref(errors);
	return suspension(r, true, reason);
}

enum MHD_Result h_admin_recipient_resume(struct req *r)
{
	return suspension(r, false, NULL);
}
