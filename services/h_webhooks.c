/*
 * h_webhooks.c - GET /v1/admin/webhooks/deliveries: what was sent to the
 * webhook endpoints and how each attempt went, newest first, cursor-paged,
 * optionally of one endpoint. Each page read is written to the audit log
 * (action "webhooks.view"), as admins' reads are.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "db.h"
#include "deliveries.h"
#include "handlers.h"
#include "paging.h"
#include "problem.h"

static json_t *delivery_item(PGresult *res, int row)
{
	return json_loads(PQgetvalue(res, row, 1), 0, NULL);
}

enum MHD_Result h_admin_webhook_deliveries(struct req *r)
{
	static const char *const names[] = {"endpoint", "cursor", "limit", NULL};
	const char *v[3], *why = NULL;
	long long before = 0;
	int limit = 0;
	json_t *body, *filters = NULL;
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
	if (err == ERR_OK && (filters = json_pack("{s:s?, s:I}", "endpoint", v[0], "before_id",
						  (json_int_t)before)) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = r->auth.sub,
						    .action = "webhooks.view",
						    .request_id = r->id,
						    .details = filters,
					    });
	db_release(r->app->db, conn);
	json_decref(filters);
	if (err != ERR_OK) {
		PQclear(res);
		return problem_from_err(r, err);
	}
	body = paging_reply(res, limit, delivery_item, 0, -1);
	PQclear(res);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, body, NULL);
}
