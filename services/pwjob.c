/*
 * pwjob.c - a password's trip through the hashing pool (see pwjob.h).
 * Owns the copies of the passwords it is given, wiped once hashed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "jsonbody.h"
#include "netaddr.h"
#include "privacy.h"
#include "problem.h"
#include "pwjob.h"
#include "sessions.h"

static void wipe_free(char **s)
{
	if (*s != NULL)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

enum err pwjob_check(struct pwjob *j, const char *password, const char *stored,
		     const unsigned char throttle[32])
{
	j->check = strdup(password);
	if (j->check == NULL)
		return ERR_NOMEM;
	/* a PHC string of ours fits; a longer one never verifies anyway */
	snprintf(j->stored, sizeof(j->stored), "%.*s", (int)sizeof(j->stored) - 1,
		 stored != NULL ? stored : "");
	memcpy(j->throttle, throttle, sizeof(j->throttle));
	return ERR_OK;
}

enum err pwjob_hash(struct pwjob *j, const char *password)
{
	j->next = strdup(password);
	return j->next != NULL ? ERR_OK : ERR_NOMEM;
}

/* Are the hash's parameters below the configured ones? */
static bool hash_is_weak(const char *encoded, const struct config *cfg)
{
	int m, t, p;

	if (sscanf(encoded, "$argon2id$v=19$m=%d,t=%d,p=%d$", &m, &t, &p) != 3)
		return true;
	return m < cfg->argon2_memory_kib || t < cfg->argon2_iterations;
}

static void pwjob_task(void *arg)
{
	struct pwjob *j = arg;
	const struct app *app = j->r->app;
	const char *stored = j->stored[0] != '\0' ? j->stored : app->dummy_hash;

	j->hashed = ERR_INVALID;
	if (j->check != NULL) {
		j->checked = password_verify(stored, j->check);
		if (j->checked == ERR_OK && j->rehash_weak && hash_is_weak(stored, &app->cfg)) {
			j->hashed = password_hash(j->check, app->cfg.argon2_memory_kib,
						  app->cfg.argon2_iterations, j->hash);
			j->rehashed = j->hashed == ERR_OK;
		}
		explicit_bzero(j->check, strlen(j->check));
	}
	if (j->next != NULL && (j->check == NULL || j->checked == ERR_OK)) {
		j->hashed = password_hash(j->next, app->cfg.argon2_memory_kib,
					  app->cfg.argon2_iterations, j->hash);
		explicit_bzero(j->next, strlen(j->next));
	}
	j->done = true;
	http_resume(j->r);
}

/* The throttle's key for the caller: an HMAC of its address group. */
static void client_key(struct req *r, unsigned char ret[32])
{
	unsigned char addr[NETADDR_LEN], group[NETADDR_LEN];

	http_client(r, addr);
	netaddr_group(addr, group);
	crypto_hmac_sha256(r->app->throttle_key, group, sizeof(group), ret);
}

enum MHD_Result pwjob_start(struct req *r, struct pwjob *j)
{
	PGconn *conn;
	int locked = 0;
	enum err err = ERR_OK;

	j->r = r;
	if (j->check != NULL) {
		client_key(r, j->client);
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err == ERR_OK) {
			err = db_throttle_begin(conn, j->throttle, j->client, &locked);
			db_release(r->app->db, conn);
		}
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if (locked > 0)
		return problem_throttled(r, locked);
	return http_park(r, r->app->hashpool, pwjob_task, j);
}

enum MHD_Result pwjob_refused(struct req *r, const char *field)
{
	return problem_send_field(r, field, "incorrect", "the password is not correct");
}

void *pwjob_state(struct req *r, size_t size, void (*state_free)(void *state))
{
	void *state = calloc(1, size);

	if (state != NULL) {
		r->state = state;
		r->state_free = state_free;
	}
	return state;
}

enum MHD_Result pwjob_reauth_start(struct req *r, struct pwjob *j, const char *const *keys)
{
	struct erasure_check check;
	json_t *errors = json_array();
	PGconn *conn;
	enum err err;

	if (errors == NULL)
		return problem_from_err(r, ERR_NOMEM);
	err = json_body_check_keys(r->json, keys, errors);
	if (json_body_require_strings(r->json, keys, errors) != ERR_OK)
		err = ERR_NOMEM;
	if (err == ERR_OK && json_array_size(errors) > 0)
		return problem_send_errors(r, errors);
	json_decref(errors);
	if (err == ERR_OK)
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* the account's password hash and email index: what erasure reads */
	err = db_erasure_check(conn, r->auth.sub, &check);
	db_release(r->app->db, conn);
	if (err == ERR_OK)
		err = pwjob_check(j, json_string_value(json_object_get(r->json, "password")),
				  check.password_hash, check.email_bidx);
	explicit_bzero(&check, sizeof(check));
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return pwjob_start(r, j);
}

bool pwjob_reauth_done(struct req *r, struct pwjob *j, const char *field,
		       enum MHD_Result *ret_reply)
{
	PGconn *conn;
	enum err err;

	if (j->checked != ERR_OK) { /* counted as a failure before the hash */
		*ret_reply = pwjob_refused(r, field);
		return false;
	}
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = pwjob_passed(conn, j);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		*ret_reply = problem_from_err(r, err);
	return err == ERR_OK;
}

enum err pwjob_passed(PGconn *conn, const struct pwjob *j)
{
	return db_throttle_reset(conn, j->throttle, j->client);
}

void pwjob_release(struct pwjob *j)
{
	if (j == NULL)
		return;
	wipe_free(&j->check);
	wipe_free(&j->next);
	explicit_bzero(j, sizeof(*j));
}
