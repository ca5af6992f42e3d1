/*
 * sessions.c - SQL for login, throttling and refresh-token families.
 * Every statement is parameterised; hashes go as binary parameters.
 *
 * Also owns the live-session cache (sessions.h): db_session_check()'s
 * yes answers of the last SESSION_LIVE_CACHE_MS, so that a token used
 * many times a second costs one query a session and half-second. Every
 * revocation made here forgets what it revokes, and bumps a generation
 * so that a check already under way when a session is revoked cannot put
 * it back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "outbox.h"
#include "sessions.h"

#define BIN32(p) ((const char *)(p))

/* The live-session cache: direct-mapped by session id. */
#define LIVE_SLOTS 1024

struct live_session {
	char sid[UUID_STR_LEN]; /* "": empty */
	char account_id[UUID_STR_LEN];
	long long checked_ms; /* monotonic time of the database's yes */
};

static struct live_session live_cache[LIVE_SLOTS];
static unsigned long live_generation; /* bumped by every forget */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct live_session *live_slot(const char *sid)
{
	unsigned long h = 5381;

	for (const char *p = sid; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	return &live_cache[h % LIVE_SLOTS];
}

bool db_session_live_cached(const char *session_id, const char *account_id)
{
	struct live_session *l = live_slot(session_id);
	bool hit;

	pthread_mutex_lock(&live_lock);
	hit = strcmp(l->sid, session_id) == 0 && strcmp(l->account_id, account_id) == 0 &&
	      mono_ms() - l->checked_ms < SESSION_LIVE_CACHE_MS;
	pthread_mutex_unlock(&live_lock);
	return hit;
}

/* Remembers a yes that the database gave while the generation was gen:
 * not when anything was forgotten since. */
static void live_remember(const char *session_id, const char *account_id, unsigned long gen,
			  long long checked_ms)
{
	struct live_session *l = live_slot(session_id);

	if (strlen(session_id) >= sizeof(l->sid) || strlen(account_id) >= sizeof(l->account_id))
		return;
	pthread_mutex_lock(&live_lock);
	if (gen == live_generation) {
		snprintf(l->sid, sizeof(l->sid), "%s", session_id);
		snprintf(l->account_id, sizeof(l->account_id), "%s", account_id);
		l->checked_ms = checked_ms;
	}
	pthread_mutex_unlock(&live_lock);
}

void db_session_forget(const char *session_id)
{
	struct live_session *l = live_slot(session_id);

	pthread_mutex_lock(&live_lock);
	live_generation++;
	if (strcmp(l->sid, session_id) == 0)
		memset(l, 0, sizeof(*l));
	pthread_mutex_unlock(&live_lock);
}

void db_session_forget_account(const char *account_id)
{
	pthread_mutex_lock(&live_lock);
	live_generation++;
	for (size_t i = 0; i < LIVE_SLOTS; i++)
		if (live_cache[i].sid[0] != '\0' &&
		    strcmp(live_cache[i].account_id, account_id) == 0)
			memset(&live_cache[i], 0, sizeof(live_cache[i]));
	pthread_mutex_unlock(&live_lock);
}

static void facts_read(PGresult *res, int col, struct token_facts *ret)
{
	snprintf(ret->status, sizeof(ret->status), "%s", PQgetvalue(res, 0, col));
	snprintf(ret->profession, sizeof(ret->profession), "%s", PQgetvalue(res, 0, col + 1));
	snprintf(ret->country, sizeof(ret->country), "%s", PQgetvalue(res, 0, col + 2));
	snprintf(ret->notice_version, sizeof(ret->notice_version), "%s",
		 PQgetvalue(res, 0, col + 3));
}

static enum err exec_bidx(PGconn *conn, const char *sql, const unsigned char bidx[32],
			  PGresult **ret_res)
{
	const char *params[1] = {BIN32(bidx)};
	const int lengths[1] = {32};
	const int formats[1] = {1};

	return db_exec(conn, sql, 1, params, lengths, formats, ret_res);
}

enum err db_login_account(PGconn *conn, const unsigned char bidx[32],
			  struct login_account *ret_account)
{
	PGresult *res;
	enum err err = exec_bidx(conn,
				 "SELECT id, role, password_hash, " TOKEN_FACTS(
					 "") ", EXISTS (SELECT 1 FROM staff_totp t WHERE "
					     "t.account_id = accounts.id AND t.confirmed_at IS NOT "
					     "NULL) FROM accounts "
					     "WHERE email_bidx = $1 AND data_key IS NOT NULL "
					     "AND disabled_at IS NULL",
				 bidx, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		err = ERR_NOT_FOUND;
	} else {
		snprintf(ret_account->id, sizeof(ret_account->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(ret_account->role, sizeof(ret_account->role), "%s", PQgetvalue(res, 0, 1));
		snprintf(ret_account->password_hash, sizeof(ret_account->password_hash), "%s",
			 PQgetvalue(res, 0, 2));
		facts_read(res, 3, &ret_account->facts);
		ret_account->totp = PQgetvalue(res, 0, 7)[0] == 't'; /* after the 4 facts */
	}
	PQclear(res);
	return err;
}

int throttle_wait(const struct throttle_facts *f)
{
	if (f->client_locked_s > 0)
		return f->client_locked_s;
	if (f->email_failures >= LOGIN_EMAIL_FAILURES_CAP &&
	    f->client_failures >= LOGIN_CLEAN_FAILURES)
		return LOGIN_CAPPED_WAIT_S;
	return 0;
}

/* The facts of an attempt, with both rows locked (FOR UPDATE): absent
 * rows count as nothing. */
static enum err throttle_read(PGconn *conn, const char *const params[2], const int lengths[2],
			      const int formats[2], struct throttle_facts *ret)
{
	struct throttle_facts f = {0};
	PGresult *res;
	enum err err =
		db_exec(conn,
			"SELECT client = ''::bytea, failures, greatest(0, ceil(extract(epoch "
			"FROM locked_until - now())))::int, last_failure_at > now() - "
			"interval '1 day' FROM login_throttle WHERE email_bidx = $1 "
			"AND client IN ($2, ''::bytea) FOR UPDATE",
			2, params, lengths, formats, &res);

	if (err != ERR_OK)
		return err;
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetvalue(res, i, 0)[0] == 't') {
			if (PQgetvalue(res, i, 3)[0] == 't')
				f.email_failures = atoi(PQgetvalue(res, i, 1));
		} else {
			f.client_failures = atoi(PQgetvalue(res, i, 1));
			f.client_locked_s = atoi(PQgetvalue(res, i, 2));
		}
	}
	PQclear(res);
	*ret = f;
	return ERR_OK;
}

enum err db_throttle_begin(PGconn *conn, const unsigned char bidx[32],
			   const unsigned char client[32], int *ret_seconds)
{
	char limit[16];
	const char *params[3] = {BIN32(bidx), BIN32(client), limit};
	const int lengths[3] = {32, 32, 0};
	const int formats[3] = {1, 1, 0};
	struct throttle_facts f;
	int wait = 0;
	enum err err = db_begin(conn);

	snprintf(limit, sizeof(limit), "%d", LOGIN_FAILURES_BEFORE_LOCK);
	if (err == ERR_OK)
		err = throttle_read(conn, params, lengths, formats, &f);
	if (err == ERR_OK)
		wait = throttle_wait(&f);
	if (err == ERR_OK && wait == 0)
		err = db_exec(
			conn,
			"INSERT INTO login_throttle AS t (email_bidx, client, failures) "
			"VALUES ($1, $2, 1), ($1, ''::bytea, 1) "
			"ON CONFLICT (email_bidx, client) DO UPDATE SET last_failure_at = now(), "
			"failures = CASE WHEN t.client = ''::bytea AND t.last_failure_at < "
			"  now() - interval '1 day' THEN 1 ELSE t.failures + 1 END, "
			"locked_until = CASE WHEN t.client <> ''::bytea "
			"  AND t.failures + 1 >= $3::int THEN now() + make_interval(secs => "
			"  least(900, power(2, t.failures + 1 - $3::int))) ELSE t.locked_until END",
			3, params, lengths, formats, NULL);
	err = db_end(conn, err);
	if (err == ERR_OK)
		*ret_seconds = wait;
	return err;
}

enum err db_throttle_reset(PGconn *conn, const unsigned char bidx[32],
			   const unsigned char client[32])
{
	const char *params[2] = {BIN32(bidx), BIN32(client)};
	const int lengths[2] = {32, 32};
	const int formats[2] = {1, 1};

	/* the attempt was counted before its check: the email-wide count
	 * takes it back, and keeps the others */
	return db_exec(
		conn,
		"WITH d AS (DELETE FROM login_throttle WHERE email_bidx = $1 AND client = $2), "
		"e AS (DELETE FROM login_throttle WHERE email_bidx = $1 AND client = ''::bytea "
		"AND failures <= 1) "
		"UPDATE login_throttle SET failures = failures - 1 "
		"WHERE email_bidx = $1 AND client = ''::bytea AND failures > 1",
		2, params, lengths, formats, NULL);
}

enum err db_throttle_forget(PGconn *conn, const unsigned char bidx[32])
{
	return exec_bidx(conn, "DELETE FROM login_throttle WHERE email_bidx = $1", bidx, NULL);
}

enum err db_password_hash_set(PGconn *conn, const char *account_id, const char *hash)
{
	const char *params[2] = {account_id, hash};

	return db_exec(conn,
		       "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1",
		       2, params, NULL, NULL, NULL);
}

enum err db_password_change(PGconn *conn, const char *account_id, const char *hash,
			    const char *keep_session)
{
	const char *params[2] = {account_id, keep_session};
	enum err err = db_begin(conn);

	if (err != ERR_OK)
		return err;
	err = db_password_hash_set(conn, account_id, hash);
	if (err == ERR_OK)
		err = db_exec(conn,
			      "UPDATE sessions SET revoked_at = now(), revoked_reason = "
			      "'password_change' WHERE account_id = $1 AND id <> $2 "
			      "AND revoked_at IS NULL",
			      2, params, NULL, NULL, NULL);
	if (err == ERR_OK) /* the owner hears of it, whoever changed it */
		err = db_outbox_notice(conn, account_id, OUTBOX_PASSWORD_CHANGED_SIGNED_IN, 0,
				       NULL);
	err = db_end(conn, err);
	/* committed or not, what the cache says of the account is now doubtful */
	db_session_forget_account(account_id);
	return err;
}

enum err db_session_create(PGconn *conn, const char *session_id, const char *account_id,
			   int ttl_days, const unsigned char token_hash[32])
{
	char days[16];
	const char *params[4] = {session_id, account_id, days, BIN32(token_hash)};
	const int lengths[4] = {0, 0, 0, 32};
	const int formats[4] = {0, 0, 0, 1};
	PGresult *res;
	enum err err;

	snprintf(days, sizeof(days), "%d", ttl_days);
	/* one statement, so one transaction and one round trip; the lock waits
	 * for an erasure under way, then reads the row it left */
	err = db_exec(conn,
		      "WITH s AS (INSERT INTO sessions (id, account_id, expires_at) "
		      "SELECT $1::uuid, id, now() + make_interval(days => $3::int) FROM accounts "
		      "WHERE id = $2 AND erased_at IS NULL FOR KEY SHARE RETURNING id) "
		      "INSERT INTO refresh_tokens (token_hash, session_id) SELECT $4, id FROM s",
		      4, params, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	if (atoll(PQcmdTuples(res)) != 1)
		err = ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum err db_session_refresh(PGconn *conn, const unsigned char token_hash[32],
			    const unsigned char next_hash[32], struct refreshed *ret)
{
	const char *params[2] = {BIN32(token_hash), BIN32(next_hash)};
	const int lengths[2] = {32, 32};
	const int formats[2] = {1, 1};
	struct refreshed out;
	PGresult *res = NULL;
	bool used, live;
	enum err err;

	err = db_exec(conn, DB_SESSION_REFRESH_SQL, 2, params, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		err = ERR_NOT_FOUND;
		goto out;
	}
	snprintf(out.session_id, sizeof(out.session_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out.account_id, sizeof(out.account_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(out.role, sizeof(out.role), "%s", PQgetvalue(res, 0, 2));
	used = PQgetvalue(res, 0, 3)[0] == 't';
	live = PQgetvalue(res, 0, 4)[0] == 't';
	facts_read(res, 5, &out.facts);
	out.auth_time = strtoll(PQgetvalue(res, 0, 9), NULL, 10);
	if (used && live)
		db_session_forget(out.session_id); /* revoked above: reuse */
	if (used || !live) {
		err = ERR_NOT_FOUND;
		goto out;
	}
	*ret = out;
out:
	PQclear(res);
	return err;
}

enum err db_session_check(PGconn *conn, const char *session_id, const char *account_id)
{
	const char *params[2] = {session_id, account_id};
	PGresult *res;
	unsigned long gen;
	long long asked_ms = mono_ms();
	enum err err;

	pthread_mutex_lock(&live_lock);
	gen = live_generation;
	pthread_mutex_unlock(&live_lock);
	err = db_exec(conn,
		      "SELECT 1 FROM sessions WHERE id = $1 AND account_id = $2 "
		      "AND revoked_at IS NULL AND expires_at > now()",
		      2, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	err = PQntuples(res) == 1 ? ERR_OK : ERR_NOT_FOUND;
	PQclear(res);
	if (err == ERR_OK)
		live_remember(session_id, account_id, gen, asked_ms);
	return err;
}

enum err db_sessions_revoke_all(PGconn *conn, const char *account_id, const char *reason)
{
	const char *params[2] = {account_id, reason};
	enum err err = db_exec(conn,
			       "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 "
			       "WHERE account_id = $1 AND revoked_at IS NULL",
			       2, params, NULL, NULL, NULL);

	db_session_forget_account(account_id);
	return err;
}

enum err db_session_revoke(PGconn *conn, const char *session_id, const char *reason)
{
	const char *params[2] = {session_id, reason};
	enum err err = db_exec(conn,
			       "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 "
			       "WHERE id = $1 AND revoked_at IS NULL",
			       2, params, NULL, NULL, NULL);

	db_session_forget(session_id);
	return err;
}

enum err db_sessions_revoke_account(PGconn *conn, const char *account_id, const char *reason,
				    int *ret_n)
{
	const char *params[2] = {account_id, reason};
	PGresult *res = NULL;
	enum err err = db_exec(conn,
			       "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 "
			       "WHERE account_id = $1 AND revoked_at IS NULL",
			       2, params, NULL, NULL, &res);

	if (err == ERR_OK && ret_n != NULL)
		*ret_n = atoi(PQcmdTuples(res));
	PQclear(res);
	db_session_forget_account(account_id);
	return err;
}
