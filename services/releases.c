/*
 * releases.c - sends activity releases (see releases.h): one claimed at a
 * time, its values opened from the vault, then one signed POST outside
 * any transaction and without a pooled connection, and the attempt
 * recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "activities.h"
#include "app.h"
#include "bgthread.h"
#include "crypto.h"
#include "db.h"
#include "enrolments.h"
#include "jsontext.h"
#include "log.h"
#include "releases.h"
#include "vault.h"
#include "webhooks.h"

#define RELEASE_IDLE_MS 1000
#define RELEASE_LEASE_S 60

struct sender {
	struct app *app;
	struct bgthread *thread;
};

static void secret_bytes(const struct app *app, const char *recipient, unsigned char out[32])
{
	crypto_hmac_sha256(app->release_key, recipient, strlen(recipient), out);
}

void releases_secret(const struct app *app, const char *recipient, char out[64])
{
	unsigned char key[32];

	secret_bytes(app, recipient, key);
	memcpy(out, "whsec_", 6);
	crypto_base64(key, sizeof(key), out + 6);
	explicit_bzero(key, sizeof(key));
}

static const struct activity_target *target_of(const struct app *app, const struct release_row *w)
{
	const struct activity *a = activities_find(app->activities, w->activity);

	for (size_t i = 0; a != NULL && i < a->ntargets; i++)
		if (strcmp(a->targets[i].recipient, w->recipient) == 0)
			return &a->targets[i];
	return NULL;
}

/* The body of a release, values opened now (malloc'd, wipe it). */
static enum err release_body(struct app *app, PGconn *conn, const struct release_row *w,
			     char **ret_body)
{
	json_t *names = json_array(), *values = NULL, *doc, *v;
	size_t i;
	enum err err = names != NULL ? ERR_OK : ERR_NOMEM;

	json_array_foreach (w->fields, i, v)
		if (err == ERR_OK && strcmp(json_string_value(v), ACTIVITY_COMPLETION_FIELD) != 0)
			json_array_append(names, v);
	if (err == ERR_OK)
		err = vault_open_fields(app, conn, w->account, names, &values);
	json_decref(names);
	if (err != ERR_OK)
		return err;
	json_object_set_new(values, ACTIVITY_COMPLETION_FIELD, json_string(w->completion_status));
	doc = json_pack("{s:s, s:s, s:s, s:I, s:o}", "type", RELEASE_TYPE, "activity", w->activity,
			"enrolment", w->enrolment, "disclosure_id", (json_int_t)w->disclosure_id,
			"fields", values);
	*ret_body = doc != NULL ? json_text_dump(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return *ret_body != NULL ? ERR_OK : ERR_NOMEM;
}

/* Sends one claimed release and records how it went. The pooled
 * connection *conn is given back for the POST, which may last its whole
 * timeout, and taken again to record the attempt (NULL when that fails:
 * the release is due again after its lease). */
static enum err deliver(struct sender *s, PGconn **conn, const struct release_row *w)
{
	const struct activity_target *t = target_of(s->app, w);
	unsigned char secret[32];
	char *body = NULL, error[32];
	long status = 0;
	bool given_up = false;
	enum err err;

	if (t == NULL) /* the activities file no longer names it */
		return db_release_cancel(*conn, w->id, "activity_gone");
	err = release_body(s->app, *conn, w, &body);
	if (err == ERR_NOT_FOUND) /* erased meanwhile: nothing to send */
		return db_release_cancel(*conn, w->id, "erased");
	if (err != ERR_OK)
		return err;
	db_release(s->app->db, *conn);
	*conn = NULL;
	secret_bytes(s->app, w->recipient, secret);
	webhooks_post_once(t->url, secret, sizeof(secret), w->msg_id, body, &status, error);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(body, strlen(body));
	free(body);
	err = db_acquire(s->app->db, DB_RECORD_ACQUIRE_MS, conn);
	if (err == ERR_OK)
		err = db_release_attempt(*conn, w->id, error[0] != '\0' ? error : NULL, &given_up);
	if (err != ERR_OK) /* sent, but not recorded: due again after the lease */
		log_json(LOG_ERROR, "release attempt not recorded",
			 json_pack("{s:I, s:s}", "release", (json_int_t)w->id, "error",
				   err_name(err)));
	else
		log_json(error[0] != '\0' ? LOG_WARN : LOG_INFO,
			 error[0] != '\0' ? "release not delivered" : "release delivered",
			 json_pack("{s:I, s:s, s:s, s:b}", "release", (json_int_t)w->id,
				   "recipient", w->recipient, "error",
				   error[0] != '\0' ? error : "none", "given_up", given_up));
	return err;
}

static long release_pass(void *arg)
{
	struct sender *s = arg;
	struct release_row w = {0};
	PGconn *conn = NULL;
	enum err err = db_acquire(s->app->db, s->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK)
		err = db_release_claim(conn, RELEASE_LEASE_S, &w);
	if (err == ERR_OK)
		err = deliver(s, &conn, &w);
	release_row_release(&w);
	db_release(s->app->db, conn);
	return err == ERR_OK ? 0 : RELEASE_IDLE_MS; /* more may be due at once */
}

enum err releases_start(struct app *app, struct bgthread **ret_thread)
{
	static struct sender sender; /* one per process, for its lifetime */

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ERR_NOMEM;
	sender.app = app;
	return bgthread_start(release_pass, &sender, &sender.thread) == ERR_OK
		       ? (*ret_thread = sender.thread, ERR_OK)
		       : ERR_NOMEM;
}

int releases_secret_cmd(struct app *app, int argc, char **argv)
{
	char secret[64];

	(void)argc;
	if (!activities_name_recipient(app->activities, argv[0])) {
		fprintf(stderr, "hcpd: no activity of HCPD_ACTIVITIES_FILE names that recipient\n");
		return 2;
	}
	releases_secret(app, argv[0], secret);
	printf("%s\n", secret);
	explicit_bzero(secret, sizeof(secret));
	return 0;
}
