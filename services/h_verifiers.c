/*
 * h_verifiers.c - GET /v1/admin/verifiers (issue 22): each loaded
 * verifier's health for admins and auditors - its circuit as this
 * process's runner left it, its last answer, its error rate over 24 hours,
 * its queue and the rate limit it runs under, and a roster's loaded file
 * with its attribution. Reads verification_jobs (db_jobs_health), rosters
 * (db_roster_info) and the runner's circuits; writes nothing, names no
 * account, holds no personal value.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jobs.h"
#include "problem.h"
#include "breaker.h"
#include "roster.h"
#include "rosters.h"
#include "verifier.h"

/* One verifier's entry; h its job figures or NULL (no job yet). */
static json_t *entry(const struct verifier *v, size_t vi, const struct job_health *h)
{
	const char *circuit =
		v->ops->transport == TRANSPORT_HTTP || v->ops->transport == TRANSPORT_PROCESS
			? breaker_circuit(vi)
			: NULL;
	long long checks = h != NULL ? h->checks_24h : 0;

	return json_pack(
		"{s:s, s:s, s:s, s:o, s:s?, s:s?, s:o, s:I, s:I, s:{s:f, s:i}}", "name", v->name,
		"kind", v->ops->kind, "display_name", v->display_name, "countries",
		json_incref(v->countries), "circuit", circuit, "last_success",
		h != NULL && h->last_success[0] != '\0' ? h->last_success : NULL, "error_rate_24h",
		checks > 0 ? json_real((double)h->errors_24h / (double)checks) : json_null(),
		"checks_24h", (json_int_t)checks, "queue_depth",
		(json_int_t)(h != NULL ? h->queue_depth : 0), "rate_limit", "per_second",
		v->rate_per_second, "burst", v->burst);
}

/* A roster verifier's loaded file, set on e as "roster" (null before its
 * first load), with the attribution its register's terms ask for. */
static enum err roster_entry(PGconn *conn, const struct verifier *v, json_t *e)
{
	struct db_roster_info info;
	enum err err = db_roster_info(conn, v->name, &info);
	json_t *roster;

	if (err != ERR_OK)
		return err;
	roster = !info.loaded
			 ? json_null()
			 : json_pack("{s:I, s:s, s:s?, s:s?}", "entries", (json_int_t)info.entries,
				     "loaded_at", info.loaded_at, "extract_date",
				     info.extract_date[0] != '\0' ? info.extract_date : NULL,
				     "attribution", roster_attribution(v));
	return json_object_set_new(e, "roster", roster) == 0 ? ERR_OK : ERR_NOMEM;
}

enum MHD_Result h_admin_verifiers(struct req *r)
{
	const struct verifier_set *set = r->app->verifiers;
	struct job_health *health = NULL;
	json_t *body = NULL, *list;
	PGconn *conn = NULL;
	size_t nhealth = 0;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK)
		err = db_jobs_health(conn, &health, &nhealth);
	if (err == ERR_OK && (body = json_pack("{s:[]}", "verifiers")) == NULL)
		err = ERR_NOMEM;
	list = json_object_get(body, "verifiers");
	for (size_t i = 0; err == ERR_OK && i < verifier_set_count(set); i++) {
		const struct verifier *v = verifier_set_at(set, i);
		const struct job_health *h = NULL;
		json_t *e;

		for (size_t k = 0; k < nhealth && h == NULL; k++)
			if (strcmp(health[k].verifier, v->name) == 0)
				h = &health[k];
		e = entry(v, i, h);
		if (e == NULL || json_array_append_new(list, e) != 0)
			err = ERR_NOMEM;
		else if (roster_is(v))
			err = roster_entry(conn, v, e);
	}
	if (conn != NULL)
		db_release(r->app->db, conn);
	free(health);
	if (err != ERR_OK) {
		json_decref(body);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200, body, NULL);
}
