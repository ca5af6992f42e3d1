/*
 * h_restriction.c - POST and DELETE /v1/me/restriction: the caller sets
 * or lifts restriction of processing (accounts.processing_restricted).
 * While it is set hcpd only stores the account: the disclosure gate
 * refuses every outbound flow (rule restricted) and marketing checks say
 * no. Each change is in the audit log with the account as actor.
 */
#include "app.h"
#include "db.h"
#include "handlers.h"
#include "privacy.h"
#include "problem.h"
#include "verdict.h"

static enum MHD_Result restriction_set(struct req *r, bool restricted)
{
	bool changed = false;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_restriction_set(conn, r->auth.sub, restricted, r->id, &changed);
		/* lifted after a refused check: monitoring goes on */
		if (err == ERR_OK && changed && !restricted)
			err = verdict_restore(r->app, conn, r->auth.sub);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_json(
		r, 200,
		json_pack("{s:b, s:b}", "processing_restricted", restricted, "changed", changed),
		NULL);
}

enum MHD_Result h_me_restriction_set(struct req *r)
{
	return restriction_set(r, true);
}

enum MHD_Result h_me_restriction_lift(struct req *r)
{
	return restriction_set(r, false);
}
