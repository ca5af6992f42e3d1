/*
 * h_webhooks.c - what hcpd owes others and how each attempt went, for
 * admins, newest first and cursor-paged:
 * GET /v1/admin/webhooks/deliveries (the webhook endpoints' events,
 * optionally of one endpoint) and GET /v1/admin/releases (activity
 * releases to sponsors and accreditors, optionally of one recipient and
 * in one state). Each page read is written to the audit log (actions
 * "webhooks.view" and "releases.view"), as admins' reads are.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "db.h"
#include "deliveries.h"
#include "enrolments.h"
#include "handlers.h"
#include "paging.h"
#include "problem.h"
#include "validate.h"

/* A row's item: its JSON text, column 1. */
static json_t *json_item(PGresult *res, int row)
{
	return json_loads(PQgetvalue(res, row, 1), 0, NULL);
}

/* The reply to a page read: res (limit + 1 rows, fetched on conn with
 * err) once the read is audited as action with filters (taken; NULL:
 * out of memory). Releases conn and res. */
static enum MHD_Result audited_page(struct req *r, PGconn *conn, enum err err, PGresult *res,
				    int limit, const char *action, json_t *filters)
{
	json_t *body;

	if (err == ERR_OK && filters == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = r->auth.sub,
						    .action = action,
						    .request_id = r->id,
						    .details = filters,
					    });
	db_release(r->app->db, conn);
	json_decref(filters);
	if (err != ERR_OK) {
		PQclear(res);
		return problem_from_err(r, err);
	}
	body = paging_reply(res, limit, json_item, 0, -1);
	PQclear(res);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, body, NULL);
}

enum MHD_Result h_admin_webhook_deliveries(struct req *r)
{
	static const char *const names[] = {"endpoint", "cursor", "limit", NULL};
	const char *v[3], *why = NULL;
	long long before = 0;
	int limit = 0;
	PGresult *res = NULL;
	PGconn *conn;
	enum err err;

	if (http_query(r, names, v, &why) == ERR_OK)
		why = paging_query(v[1], v[2], &before, NULL, &limit);
	if (why == NULL && v[0] != NULL &&
	    (strlen(v[0]) > 64 ||
	     strspn(v[0], "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v[0])))
		why = "endpoint must be an endpoint's name";
	if (why != NULL)
		return problem_send(r, 400, "bad-request", why);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* one more than shown: is there a next page? */
	err = db_webhook_list(conn, v[0], before, limit + 1, &res);
	return audited_page(
		r, conn, err, res, limit, "webhooks.view",
		json_pack("{s:s?, s:I}", "endpoint", v[0], "before_id", (json_int_t)before));
}

enum MHD_Result h_admin_releases(struct req *r)
{
	static const char *const names[] = {"recipient", "state", "cursor", "limit", NULL};
	static const char *const states[] = {"pending", "delivered", "given_up", "cancelled", NULL};
	const char *v[4], *why = NULL;
	const char *const *s = states;
	long long before = 0;
	int limit = 0;
	PGresult *res = NULL;
	PGconn *conn;
	enum err err;

	if (http_query(r, names, v, &why) == ERR_OK)
		why = paging_query(v[2], v[3], &before, NULL, &limit);
	while (v[1] != NULL && *s != NULL && strcmp(*s, v[1]) != 0)
		s++;
	if (why == NULL && v[0] != NULL && !validate_token(v[0], '-', 63))
		why = "recipient must be a recipient's name";
	else if (why == NULL && v[1] != NULL && *s == NULL)
		why = "state must be pending, delivered, given_up or cancelled";
	if (why != NULL)
		return problem_send(r, 400, "bad-request", why);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = db_release_list(conn, v[0], v[1], before, limit + 1, &res);
	return audited_page(r, conn, err, res, limit, "releases.view",
			    json_pack("{s:s?, s:s?, s:I}", "recipient", v[0], "state", v[1],
				      "before_id", (json_int_t)before));
}
