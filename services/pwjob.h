/*
 * pwjob.h - a password's trip through the hashing pool: the one way every
 * route that checks or sets a password takes (registration hashes a new
 * one; sign-in, erasure and re-authentication check one; a password change
 * checks the current one and hashes the next).
 *
 * A check is counted against the sign-in throttle of its email index and
 * client before it is hashed (db_throttle_begin(), in sessions.h), so
 * attempts sent at once cannot slip past the limit, and a locked one is a
 * 429 at once, for every route alike. The client is an HMAC of its
 * address group under a key of its own: the throttle never stores an
 * address. While the pool hashes, the connection is
 * parked; the handler is then called again and finds j->done. Passwords
 * are copied in, wiped as soon as they are hashed, and the copies freed by
 * pwjob_release().
 */
#ifndef HCPD_PWJOB_H
#define HCPD_PWJOB_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "http.h"
#include "password.h"

struct pwjob {
	/* asked: pwjob_check() and/or pwjob_hash(), then pwjob_start() */
	char *check;                       /* a password to check against stored */
	char stored[PASSWORD_ENCODED_MAX]; /* its hash; the app's dummy when "" */
	bool rehash_weak;           /* hash check again when stored is weaker than configured */
	unsigned char throttle[32]; /* the email index the check counts against */
	unsigned char client[32];   /* and the client, keyed (pwjob_start()) */
	char *next;                 /* a password to hash */
	/* answered, once done */
	bool done;
	enum err checked;                /* ERR_OK: check matched stored */
	enum err hashed;                 /* ERR_OK: hash holds next's hash, or check's re-hash */
	bool rehashed;                   /* hash is check's re-hash with today's parameters */
	char hash[PASSWORD_ENCODED_MAX]; /* PHC string */
	struct req *r;
};

/* Asks j to check password against stored (a PHC string, or NULL for an
 * account that does not exist: the app's dummy hash is checked instead, so
 * the work and the answer are the same as for a wrong password), counted
 * against the sign-in throttle of the email index throttle. ERR_NOMEM. */
enum err pwjob_check(struct pwjob *j, const char *password, const char *stored,
		     const unsigned char throttle[32]);

/* Asks j to hash password (after the check, and only when it matched, if
 * one is asked too). ERR_NOMEM. */
enum err pwjob_hash(struct pwjob *j, const char *password);

/* Counts the check (if any) against the throttle and parks the connection
 * while the pool works: the handler is called again with j->done. Queues a
 * 429 when the throttle is locked, a 503 when the pool's queue is full or
 * the database cannot be reached. j must live in r->state. Blocks on the
 * database. */
enum MHD_Result pwjob_start(struct req *r, struct pwjob *j);

/* The reply to a check that did not match (it was counted as a failure
 * before the hash): one 422, errors[0] {field, "incorrect"}, for every
 * route that asks for the current password. */
enum MHD_Result pwjob_refused(struct req *r, const char *field);

/* A handler's state across the pool's work: size bytes, zeroed, kept in
 * r->state and freed by state_free when the request ends. NULL when out
 * of memory. */
void *pwjob_state(struct req *r, size_t size, void (*state_free)(void *state));

/* Re-authentication of the caller (r->auth.sub) by the password in its
 * body (keys: the body's keys, "password" among them; any other problem
 * with them is a 422): asks j to check it against the account's hash,
 * counted by the throttle of the account's email index, and starts it
 * (pwjob_start()). Blocks on the database. */
enum MHD_Result pwjob_reauth_start(struct req *r, struct pwjob *j, const char *const *keys);

/* After the pool, for a check that must match: true when it did (the
 * throttle's failures are then forgotten); false with *ret_reply queued
 * otherwise (pwjob_refused(r, field), or the database's error). Blocks. */
bool pwjob_reauth_done(struct req *r, struct pwjob *j, const char *field,
		       enum MHD_Result *ret_reply);

/* After a check that matched: forgets the throttle's failures for its
 * email index from this client. Blocks. */
enum err pwjob_passed(PGconn *conn, const struct pwjob *j);

/* Wipes j and frees its copies (not j itself). Accepts NULL. */
void pwjob_release(struct pwjob *j);

#endif
