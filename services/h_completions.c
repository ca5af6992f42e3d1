/*
 * h_completions.c - POST /v1/activities/{id}/completions (issue 25 item
 * 1): the activity's own system (a service client of role
 * activity_system, the one the activities file names) reports that an
 * enrolment was completed. In one transaction, for the sponsor and then
 * each accreditor, the gate decides on exactly the fields the enrolment
 * stored for it (ledger_disclose(), under the enrolment), and each
 * allowed disclosure queues its release (releases.h), which opens the
 * values from the vault when it sends them. The reply names each
 * recipient's rule, never a value.
 */
#include <string.h>

#include "activities.h"
#include "app.h"
#include "audit.h"
#include "db.h"
#include "disclosures.h"
#include "enrolments.h"
#include "handlers.h"
#include "jsonbody.h"
#include "ledger.h"
#include "problem.h"
#include "service_clients.h"

#define COMPLETED "completed"

/* The gate for one recipient, and the release when it allows. */
static enum err release_one(struct req *r, PGconn *conn, const char *enrolment, const char *account,
			    const struct activity_target *t, json_t *result)
{
	const char *names[ACTIVITY_FIELDS_MAX + 1];
	json_t *fields = NULL;
	enum gate_rule rule = GATE_NOT_ENROLLED;
	long long disclosure = 0;
	size_t n;
	enum err err = db_enrolment_fields(conn, account, t->recipient, enrolment, &fields);

	n = json_array_size(fields);
	for (size_t i = 0; i < n && i <= ACTIVITY_FIELDS_MAX; i++)
		names[i] = json_string_value(json_array_get(fields, i));
	if (err == ERR_OK && n > 0 && n <= ACTIVITY_FIELDS_MAX + 1) {
		struct disclosure_req d = {
			.subject = account,
			.recipient = t->recipient,
			.purpose = t->def->terms.purpose,
			.fields = names,
			.nfields = n,
			.actor = r->auth.sub,
			.request_id = r->id,
			/* No wait for a notice newer than the enrolment: the
			 * enrolment is the consent, given under the notice it
			 * records to exactly these recipients and fields. A
			 * wait would refuse the release for good (the
			 * completion is reported once), and the professional
			 * would lose the credit. */
			.notice_version = NULL,
			.enrolment = enrolment,
		};

		err = ledger_disclose_id(conn, &d, &rule, &disclosure);
	}
	if (err == ERR_OK && rule == GATE_ALLOWED)
		err = db_release_queue(conn, enrolment, t->recipient, disclosure, fields,
				       COMPLETED);
	if (err == ERR_OK &&
	    json_array_append_new(result,
				  json_pack("{s:s, s:s, s:s}", "recipient", t->recipient, "role",
					    t->role, "rule", gate_rule_name(rule))) != 0)
		err = ERR_NOMEM;
	json_decref(fields);
	return err;
}

/* The completion's transaction. *ret_state: the enrolment as found. */
static enum err complete_run(struct req *r, PGconn *conn, const struct activity *a,
			     const char *enrolment, struct enrolment_state *ret_state,
			     json_t *result)
{
	json_t *details = NULL;
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_enrolment_lock(conn, enrolment, ret_state);
	if (err == ERR_OK && strcmp(ret_state->activity, a->id) != 0)
		err = ERR_NOT_FOUND; /* not of this activity */
	if (err == ERR_OK && strcmp(ret_state->status, "enrolled") != 0)
		err = ERR_CONFLICT; /* withdrawn, or completed already */
	for (size_t i = 0; err == ERR_OK && i < a->ntargets; i++)
		err = release_one(r, conn, enrolment, ret_state->account, &a->targets[i], result);
	if (err == ERR_OK)
		err = db_enrolment_complete(conn, enrolment);
	if (err == ERR_OK) {
		details = json_pack("{s:s, s:s, s:O}", "enrolment", enrolment, "activity", a->id,
				    "releases", result);
		err = details != NULL ? db_audit_append(conn,
							&(struct audit_entry){
								.actor = r->auth.sub,
								.action = "enrolment.completed",
								.target = ret_state->account,
								.request_id = r->id,
								.details = details,
							})
				      : ERR_NOMEM;
		json_decref(details);
	}
	return db_end(conn, err);
}

/* Is the calling client the activity's own system? */
static enum err client_is(PGconn *conn, const char *id, const char *name, bool *ret_is)
{
	char role[24], live[64];
	unsigned char hash[32];
	enum err err = db_client_live(conn, id, role, live, hash);

	if (err == ERR_OK)
		*ret_is = strcmp(live, name) == 0;
	return err == ERR_NOT_FOUND ? ERR_UNAVAILABLE : err;
}

enum MHD_Result h_activity_completion(struct req *r)
{
	static const char *const keys[] = {"enrolment", "status", NULL};
	const struct activity *a = activities_find(r->app->activities, r->param);
	struct enrolment_state state;
	json_t *result = NULL;
	enum MHD_Result reply;
	bool own = false;
	PGconn *conn;
	enum err err;

	memset(&state, 0, sizeof(state));
	if (!problem_check_strings(r, keys, &reply))
		return reply;
	if (strcmp(json_string_value(json_object_get(r->json, "status")), COMPLETED) != 0)
		return problem_send_field(r, "status", "invalid", "must be \"completed\"");
	if (a == NULL)
		return problem_send(r, 404, "not-found", "no such activity");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = client_is(conn, r->auth.sub, a->system_client, &own);
	if (err == ERR_OK && !own) {
		db_release(r->app->db, conn);
		return problem_send(r, 403, "forbidden",
				    "only the activity's own system may report its completions");
	}
	if (err == ERR_OK && (result = json_array()) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = complete_run(r, conn, a,
				   json_string_value(json_object_get(r->json, "enrolment")), &state,
				   result);
	db_release(r->app->db, conn);
	if (err == ERR_NOT_FOUND || err == ERR_CONFLICT) {
		json_decref(result);
		return err == ERR_NOT_FOUND
			       ? problem_send(r, 404, "not-found", "no such enrolment")
			       : problem_send(r, 409, "enrolment-not-open",
					      "the enrolment is withdrawn or completed already");
	}
	if (err != ERR_OK) {
		json_decref(result);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 202,
			       json_pack("{s:s, s:s, s:s, s:o}", "enrolment",
					 json_string_value(json_object_get(r->json, "enrolment")),
					 "activity", a->id, "status", COMPLETED, "releases",
					 result),
			       NULL);
}
