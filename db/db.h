/*
 * db.h - a fixed-size pool of libpq connections with reconnect.
 *
 * Connections are opened lazily and re-opened after a failure; while
 * PostgreSQL is down, db_acquire() fails fast with ERR_UNAVAILABLE (at most
 * one connect attempt per DB_RETRY_MS across the pool), so callers answer
 * 503 at once and the same process serves again as soon as it is back.
 * Only parameterised SQL goes through db_exec(). Nothing here logs above
 * debug.
 */
#ifndef HCPD_DB_H
#define HCPD_DB_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "err.h"

struct db_pool;

/* SQL for a timestamptz expression as RFC 3339 text in UTC with
 * microseconds: the same instant gives the same bytes every time. */
/* A macro's value as a string literal, for SQL put together at compile
 * time ("attempts < " DB_STR(OUTBOX_MAX_ATTEMPTS)). */
#define DB_STR_(x) #x
#define DB_STR(x)  DB_STR_(x)

#define DB_RFC3339(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

struct db_stats {
	int size;    /* connections the pool may hold */
	int open;    /* connections currently open */
	int in_use;  /* connections lent out */
	int waiting; /* callers blocked in db_acquire() */
};

/* Creates a pool of size connections to conninfo (libpq conninfo or URI).
 * No connection is made yet. statement_timeout_ms is set on each session. */
enum err db_pool_new(const char *conninfo, int size, int statement_timeout_ms,
		     struct db_pool **ret_pool);

/* Closes every connection and frees the pool. All connections must have
 * been released. Accepts NULL. */
void db_pool_free(struct db_pool *pool);

/* Lends a connection, waiting up to wait_ms for one to be free. Blocks.
 * ERR_BUSY when none became free in time, ERR_UNAVAILABLE when the database
 * cannot be reached. */
enum err db_acquire(struct db_pool *pool, int wait_ms, PGconn **ret_conn);

/* How long a background sender (mail, webhooks, releases), which gives its
 * connection back while it talks to the outside, waits for one to record
 * what it sent: past it, the row is sent again after its lease. */
#define DB_RECORD_ACQUIRE_MS 20000

/* Gives a connection back. A connection that is broken, or left inside a
 * transaction, is closed and re-opened on next use. Accepts NULL. */
void db_release(struct db_pool *pool, PGconn *conn);

void db_pool_stats(struct db_pool *pool, struct db_stats *ret_stats);

/* Runs one parameterised statement. params may be NULL when n is 0;
 * lengths/formats may be NULL for all-text parameters. On ERR_OK,
 * *ret_res (if ret_res is non-NULL) holds the result for the caller to
 * PQclear; otherwise the result is cleared here. Errors: ERR_UNAVAILABLE
 * (connection lost, statement timeout, a deadlock's victim, serialization
 * failure), ERR_CONFLICT (unique violation), ERR_DB (anything else).
 * Blocks. */
enum err db_exec(PGconn *conn, const char *sql, int n, const char *const *params,
		 const int *lengths, const int *formats, PGresult **ret_res);

/* db_exec() of a statement that must give exactly one row: ERR_NOT_FOUND
 * (nothing left to clear) when it gives none or more; else *ret_res holds
 * it for the caller to PQclear. Blocks. */
enum err db_exec_row(PGconn *conn, const char *sql, int n, const char *const *params,
		     const int *lengths, const int *formats, PGresult **ret_res);

/* db_exec() without parameters or result. */
enum err db_command(PGconn *conn, const char *sql);

/* The one way a transaction is opened and closed:
 *
 *	err = db_begin(conn);
 *	if (err == ERR_OK)
 *		err = ...statements...;
 *	return db_end(conn, err);
 *
 * db_end() commits when err is ERR_OK and otherwise rolls back whatever
 * is open (nothing, when BEGIN itself failed); it returns err, or the
 * COMMIT's error. A NULL conn gives err back. Blocks. */
enum err db_begin(PGconn *conn);
enum err db_end(PGconn *conn, enum err err);

/* Opens one connection outside any pool (for the CLI). Blocks. */
enum err db_connect(const char *conninfo, int statement_timeout_ms, PGconn **ret_conn);

/* A bytea cell of a text-format result, unescaped into *ret (PQfreemem
 * it), or NULL with length 0 for SQL NULL. ERR_NOMEM when it cannot be
 * unescaped. */
enum err db_cell_bytes(PGresult *res, int row, int col, unsigned char **ret, size_t *ret_len);

/* 64-bit FNV-1a of s: for the tables kept in memory (prepared statements,
 * cached secrets), where a collision costs a lookup, never a wrong answer. */
unsigned long long db_fnv1a(const char *s);

/* A cell's text (dies with res), or NULL for SQL NULL. */
const char *db_cell_text(PGresult *res, int row, int col);

#endif
