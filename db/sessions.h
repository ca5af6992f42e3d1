/*
 * sessions.h - data access for login: accounts by email index, the login
 * throttle, sessions and their refresh-token families. Tokens arrive
 * already hashed; nothing here sees a secret.
 */
#ifndef HCPD_SESSIONS_H
#define HCPD_SESSIONS_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "err.h"

/* The sign-in throttle (OWASP Authentication Cheat Sheet, "Account
 * Lockout": lock-outs keyed on the account alone let anyone lock anyone
 * out, so attempts are counted per account AND per client): */
#define LOGIN_FAILURES_BEFORE_LOCK 10  /* in a row, for one email, from one client */
#define LOGIN_EMAIL_FAILURES_CAP   100 /* for one email from every client, within a day */
#define LOGIN_CLEAN_FAILURES       3   /* past the cap, clients with fewer may still try */
#define LOGIN_CAPPED_WAIT_S        900 /* Retry-After for the others */

/* What an access token says of its account (issue 20): its status, and
 * the profession and country of its profile's non-personal fields ("" when
 * it has none, as an admin). */
struct token_facts {
	char status[32];
	char profession[64];
	char country[8];
	char notice_version[64]; /* the notice version the account last accepted */
};

struct login_account {
	char id[UUID_STR_LEN];
	char role[16];
	char password_hash[192];
	struct token_facts facts;
	bool totp; /* a staff account with a confirmed second factor */
};

/* The account with this email index. ERR_NOT_FOUND when there is none,
 * or it is erased, or a disabled staff account (which signs in no more,
 * with the answer of an unknown email). */
enum err db_login_account(PGconn *conn, const unsigned char bidx[32],
			  struct login_account *ret_account);

/* What the throttle knows of one attempt. */
struct throttle_facts {
	int client_failures; /* in a row, for this email, from this client */
	int client_locked_s; /* seconds this client's lock has left; 0: none */
	int email_failures;  /* for this email, from every client, within a day */
};

/* How long the attempt must wait: 0 when it may go on. A client locked
 * by its own failures waits out its back-off; past the email-wide cap, a
 * client with LOGIN_CLEAN_FAILURES or more failures for the email waits
 * LOGIN_CAPPED_WAIT_S, while one with fewer (the owner at home, say) may
 * still try. Pure. */
int throttle_wait(const struct throttle_facts *f);

/* Counts a password attempt for the email index bidx from client (a
 * keyed hash of the client's address group) before the password is
 * checked, in one transaction whose row locks make attempts sent at once
 * count one after the other. An attempt counts as a failure until
 * db_throttle_reset() says otherwise; from the LOGIN_FAILURES_BEFORE_LOCK-th
 * in a row from one client, that client is locked out of that email for
 * 2^(failures - limit) seconds, at most 15 minutes; the email-wide count
 * starts again after a day without failures. *ret_seconds is
 * throttle_wait()'s answer; an attempt that must wait is not counted.
 * Blocks. */
enum err db_throttle_begin(PGconn *conn, const unsigned char bidx[32],
			   const unsigned char client[32], int *ret_seconds);

/* Forgets client's failures for bidx after a successful attempt and
 * takes that attempt back from the email-wide count; the others' failures
 * stay there and run out by themselves (the owner's success does not give
 * the guessers a fresh cap). */
enum err db_throttle_reset(PGconn *conn, const unsigned char bidx[32],
			   const unsigned char client[32]);

/* Forgets every failure for bidx, from every client: the password was
 * just set anew (a recovery), so guesses at the old one count for nothing.
 * Blocks. */
enum err db_throttle_forget(PGconn *conn, const unsigned char bidx[32]);

/* Replaces an account's password hash (re-hash with stronger parameters). */
enum err db_password_hash_set(PGconn *conn, const char *account_id, const char *hash);

/* Sets a new password hash, revokes every session of the account but
 * keep_session (reason "password_change") and queues the owner's notice
 * (OUTBOX_PASSWORD_CHANGED_SIGNED_IN), in one transaction. */
enum err db_password_change(PGconn *conn, const char *account_id, const char *hash,
			    const char *keep_session);

/* Starts a session of ttl_days with its first refresh token.
 * ERR_NOT_FOUND when the account is erased (or is being: this waits). */
enum err db_session_create(PGconn *conn, const char *session_id, const char *account_id,
			   int ttl_days, const unsigned char token_hash[32]);

/* What a refresh token opened. */
struct refreshed {
	char session_id[UUID_STR_LEN];
	char account_id[UUID_STR_LEN];
	char role[16];
	struct token_facts facts; /* as they are now */
	long long auth_time;      /* when the session signed in: its start */
};

/* The columns of struct token_facts, of the accounts table under alias t. */
#define TOKEN_FACTS(t)                                                                             \
	t "status, coalesce(" t "profile_public->>'profession', '') AS profession, "               \
	  "coalesce(" t "profile_public->>'country', '') AS country, " t "notice_version"

/* db_session_refresh()'s statement ($1 the token's hash, $2 the next's),
 * here so that `make bench` gives pgbench the very statement. One
 * statement, so one transaction and one round trip. The row lock of t
 * serialises two presentations of one token: the second waits, then reads
 * the token as used (READ COMMITTED re-reads a locked row) and revokes the
 * family. The other parts act on what t found: rotate a live unused token,
 * or revoke a live session whose used token came back. */
#define DB_SESSION_REFRESH_SQL                                                                     \
	"WITH t AS (SELECT s.id, s.account_id, "                                                   \
	"CASE WHEN s.enrolling THEN 'enrolling' ELSE a.role END AS role, "                         \
	"rt.used_at IS NOT NULL AS used, "                                                         \
	"s.revoked_at IS NULL AND s.expires_at > now() AS live, " TOKEN_FACTS(                     \
		"a.") ", "                                                                         \
		      "floor(extract(epoch FROM s.created_at))::bigint AS auth_time "              \
		      "FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id "            \
		      "JOIN accounts a ON a.id = s.account_id "                                    \
		      "WHERE rt.token_hash = $1 FOR UPDATE OF rt, s), "                            \
		      "rotated AS (UPDATE refresh_tokens SET used_at = now() WHERE token_hash = "  \
		      "$1 "                                                                        \
		      "AND EXISTS (SELECT 1 FROM t WHERE NOT used AND live)), "                    \
		      "next AS (INSERT INTO refresh_tokens (token_hash, session_id) "              \
		      "SELECT $2, id FROM t WHERE NOT used AND live), "                            \
		      "revoked AS (UPDATE sessions SET revoked_at = now(), revoked_reason = "      \
		      "'reuse' "                                                                   \
		      "WHERE id IN (SELECT id FROM t WHERE used AND live) AND revoked_at IS "      \
		      "NULL) "                                                                     \
		      "SELECT id, account_id, role, used, live, status, profession, country, "     \
		      "notice_version, "                                                           \
		      "auth_time "                                                                 \
		      "FROM t"

/* Rotates: the token (by hash) must be unused, its session live; it is
 * marked used and next_hash becomes the family's new token, in one
 * transaction. A used token revokes the whole family (reason "reuse").
 * ERR_NOT_FOUND for any token that does not open a session. */
enum err db_session_refresh(PGconn *conn, const unsigned char token_hash[32],
			    const unsigned char next_hash[32], struct refreshed *ret);

/* Is the session live and the account's? ERR_NOT_FOUND when not. A yes
 * is remembered for db_session_live_cached(). */
enum err db_session_check(PGconn *conn, const char *session_id, const char *account_id);

/* How long a yes of db_session_check() is trusted without asking again:
 * a revocation made by another process (another hcpd, an operator's SQL)
 * takes effect within this time; one made through this process's
 * db_session_revoke(), db_password_change() or db_session_forget*() at
 * once. */
#define SESSION_LIVE_CACHE_MS 500

/* Did db_session_check() say yes for this session and account within
 * SESSION_LIVE_CACHE_MS, with nothing forgotten since? Never blocks long,
 * needs no connection. */
bool db_session_live_cached(const char *session_id, const char *account_id);

/* Forget the cached yes for one session, or for every session of an
 * account: for revocations made elsewhere than this file (erasure). */
void db_session_forget(const char *session_id);
void db_session_forget_account(const char *account_id);

/* Revokes every live session of account_id (reason "password_reset",
 * "email_change_cancelled") in the caller's transaction and forgets their
 * cached yes (at once: a rollback after it only costs a query). Blocks. */
enum err db_sessions_revoke_all(PGconn *conn, const char *account_id, const char *reason);

/* Revokes one session (reason: "logout", ...); forgets its cached yes. */
enum err db_session_revoke(PGconn *conn, const char *session_id, const char *reason);

/* Revokes every live session of account_id (reason: "admin_revoked",
 * "staff_disabled"), in the caller's transaction if one is open, and
 * forgets their cached yes in this process (others within
 * SESSION_LIVE_CACHE_MS). *ret_n (may be NULL) counts them. Blocks. */
enum err db_sessions_revoke_account(PGconn *conn, const char *account_id, const char *reason,
				    int *ret_n);

#endif
