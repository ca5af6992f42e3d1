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
#include "validate.h"

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
	static const char *const keys[] = {"reason", NULL};
	json_t *errors = json_array();
	const char *reason;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	json_body_check_keys(r->json, keys, errors);
	json_body_require_strings(r->json, keys, errors);
	reason = json_string_value(json_object_get(r->json, "reason"));
	if (json_array_size(errors) == 0 &&
	    (reason[0] == '\0' || validate_utf8_chars(reason) > SUSPENSION_REASON_MAX ||
	     !validate_no_controls(reason)))
		json_error_add(errors, "reason", "invalid",
			       "give a reason of 1 to 500 characters without control characters");
	if (json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	return suspension(r, true, reason);
}

enum MHD_Result h_admin_recipient_resume(struct req *r)
{
	return suspension(r, false, NULL);
}
