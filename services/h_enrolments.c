/*
 * h_enrolments.c - activities and enrolment (issue 25 item 1): a
 * professional's preview of what an activity would disclose (GET
 * /v1/activities/{id}/enrolment-preview), enrolment - which is the
 * consent to exactly that - and its withdrawal (/v1/me/enrolments).
 * The completion reported by the activity's own system is in
 * h_completions.c.
 *
 * The preview is computed from the activities file and the account's
 * own data: for each recipient the configured fields the account holds a
 * value for, and completion_status. Enrolment stores that list (names
 * only); the gate then lets exactly it through (rule not_enrolled).
 */
#include <string.h>

#include "activities.h"
#include "app.h"
#include "audit.h"
#include "catalogue.h"
#include "db.h"
#include "disclosures.h"
#include "enrolments.h"
#include "handlers.h"
#include "jsonbody.h"
#include "problem.h"
#include "vault.h"

/* The preview's entry for one recipient; full: with the terms and
 * display name (the reply), else names only (the stored snapshot). */
static json_t *target_json(const struct activity_target *t, json_t *values, bool full)
{
	const struct recipient_terms_def *terms = &t->def->terms;
	json_t *fields = json_array(), *item;

	for (size_t i = 0; fields != NULL && i < t->nfields; i++)
		if (!json_is_null(json_object_get(values, t->fields[i])) &&
		    json_object_get(values, t->fields[i]) != NULL)
			json_array_append_new(fields, json_string(t->fields[i]));
	json_array_append_new(fields, json_string(ACTIVITY_COMPLETION_FIELD));
	if (!full)
		return json_pack("{s:s, s:s, s:o}", "recipient", t->recipient, "role", t->role,
				 "fields", fields);
	item = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:i, s:b}, s:o, s:s}", "recipient",
			 t->recipient, "display_name", t->def->display_name, "role", t->role,
			 "recipient_country", terms->recipient_country, "terms", "version",
			 terms->version, "purpose", terms->purpose, "legal_basis",
			 terms->legal_basis, "retention_days", terms->retention_days,
			 "onward_transfer", terms->onward_transfer, "fields", fields, "when",
			 "on_completion");
	return item;
}

/* The preview of activity a for the caller: full (the reply) or the
 * snapshot stored with an enrolment. */
static enum err preview_build(struct req *r, PGconn *conn, const struct activity *a, bool full,
			      json_t **ret_list)
{
	json_t *names = json_array(), *values = NULL, *list = json_array();
	enum err err = names != NULL && list != NULL ? ERR_OK : ERR_NOMEM;

	for (size_t i = 0; err == ERR_OK && i < a->ntargets; i++)
		for (size_t j = 0; j < a->targets[i].nfields; j++)
			json_array_append_new(names, json_string(a->targets[i].fields[j]));
	if (err == ERR_OK)
		err = vault_open_fields(r->app, conn, r->auth.sub, names, &values);
	for (size_t i = 0; err == ERR_OK && i < a->ntargets; i++)
		if (json_array_append_new(list, target_json(&a->targets[i], values, full)) != 0)
			err = ERR_NOMEM;
	json_decref(names);
	json_decref(values);
	if (err != ERR_OK) {
		json_decref(list);
		return err;
	}
	*ret_list = list;
	return ERR_OK;
}

enum MHD_Result h_activity_preview(struct req *r)
{
	const struct activity *a = activities_find(r->app->activities, r->param);
	json_t *list = NULL;
	PGconn *conn;
	enum err err;

	if (a == NULL)
		return problem_send(r, 404, "not-found", "no such activity");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = preview_build(r, conn, a, true, &list);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200,
			       json_pack("{s:{s:s, s:s, s:s}, s:o}", "activity", "id", a->id,
					 "kind", a->kind, "title", a->title, "recipients", list),
			       NULL);
}

/* Why the account may not enrol now (a problem's slug), or NULL. */
static const char *enrol_refusal(struct req *r, bool restricted, const char *accepted)
{
	if (restricted)
		return "processing-restricted";
	if (strcmp(accepted, catalogue_notice_version(r->app->catalogue)) != 0)
		return "notice-acceptance-required";
	return NULL;
}

static enum err audit_enrolment(PGconn *conn, struct req *r, const char *action, const char *id,
				const char *activity)
{
	json_t *details = json_pack("{s:s, s:s}", "enrolment", id, "activity", activity);
	enum err err = details != NULL ? db_audit_append(conn,
							 &(struct audit_entry){
								 .actor = r->auth.sub,
								 .action = action,
								 .target = r->auth.sub,
								 .request_id = r->id,
								 .details = details,
							 })
				       : ERR_NOMEM;

	json_decref(details);
	return err;
}

/* The enrolment's transaction; *ret_refusal: a slug when refused. */
static enum err enrol_run(struct req *r, PGconn *conn, const struct activity *a, json_t *snapshot,
			  const char **ret_refusal, json_t **ret_item)
{
	char accepted[64];
	bool restricted = false;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_enrolment_account(conn, r->auth.sub, &restricted, accepted);
	if (err == ERR_OK && (*ret_refusal = enrol_refusal(r, restricted, accepted)) != NULL)
		err = ERR_CONFLICT;
	if (err == ERR_OK)
		err = db_enrolment_insert(conn, r->auth.sub, a->id,
					  catalogue_notice_version(r->app->catalogue), snapshot,
					  ret_item);
	if (err == ERR_OK)
		err = audit_enrolment(conn, r, "enrolment.created",
				      json_string_value(json_object_get(*ret_item, "id")), a->id);
	return db_end(conn, err);
}

enum MHD_Result h_me_enrol(struct req *r)
{
	static const char *const keys[] = {"activity", NULL};
	const struct activity *a;
	const char *refusal = NULL;
	json_t *snapshot = NULL, *item = NULL;
	enum MHD_Result reply;
	PGconn *conn;
	enum err err;

	if (!problem_check_strings(r, keys, &reply))
		return reply;
	a = activities_find(r->app->activities,
			    json_string_value(json_object_get(r->json, "activity")));
	if (a == NULL)
		return problem_send_field(r, "activity", "unknown", "no such activity");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = preview_build(r, conn, a, false, &snapshot);
	if (err == ERR_OK)
		err = enrol_run(r, conn, a, snapshot, &refusal, &item);
	db_release(r->app->db, conn);
	json_decref(snapshot);
	if (refusal != NULL && strcmp(refusal, "processing-restricted") == 0)
		return problem_send(r, 409, refusal,
				    "processing of your data is restricted: lift the restriction "
				    "to enrol");
	if (refusal != NULL)
		return problem_send(r, 409, refusal,
				    "accept the current privacy notice first "
				    "(POST /v1/me/notice-acceptance)");
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "already-enrolled",
				    "you are enrolled in this activity already");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 201, item, NULL);
}

enum MHD_Result h_me_enrolments(struct req *r)
{
	json_t *items = NULL;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_enrolments_list(conn, r->auth.sub, &items);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(r, 200, json_pack("{s:o}", "items", items), NULL);
}

enum MHD_Result h_me_enrolment_withdraw(struct req *r)
{
	char activity[64];
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_begin(conn);
		if (err == ERR_OK)
			err = db_enrolment_withdraw(conn, r->auth.sub, r->param, activity);
		if (err == ERR_OK)
			err = audit_enrolment(conn, r, "enrolment.withdrawn", r->param, activity);
		err = db_end(conn, err);
		db_release(r->app->db, conn);
	}
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such enrolment");
	if (err == ERR_CONFLICT)
		return problem_send(r, 409, "conflict", "this enrolment is withdrawn already");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}
