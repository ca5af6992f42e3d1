/*
 * db.c - the connection pool and the one path every statement takes.
 *
 * Owns the PGconn objects. A slot is NULL until first use; a connection
 * found broken on release is closed so the next acquire reconnects.
 * Reconnects happen outside the pool lock, so a slow or failing connect
 * never blocks callers that only need a healthy connection.
 *
 * Statements with parameters are prepared once per connection and then
 * only bound and executed: hcpd's SQL is a fixed set of texts, and
 * parsing and planning them again for every request was most of the
 * database's work on a GET /v1/me. The names prepared on a connection
 * are kept with it (libpq instance data, freed with the PGconn, cleared
 * when it is reset), at most DB_PREPARED_MAX of them; beyond that a
 * text runs unprepared.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-events.h>

#include "db.h"
#include "log.h"

/* While the database is unreachable, try to connect at most this often. */
#define DB_RETRY_MS        250
#define DB_CONNECT_TIMEOUT "2"
#define DB_PREPARED_MAX    128 /* statements prepared on one connection */

/* What one connection has prepared: statement i is named "hcpd_<i>". */
struct prepared {
	size_t n;
	struct {
		unsigned long long hash; /* FNV-1a of the text */
		char *sql;
	} stmts[DB_PREPARED_MAX];
};

struct db_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *conninfo;
	int statement_timeout_ms;
	int size;
	int waiting;
	PGconn **conns; /* NULL: not connected */
	bool *lent;
	long long last_failure_ms; /* monotonic time of the last failed connect */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum err db_connect(const char *conninfo, int statement_timeout_ms, PGconn **ret_conn)
{
	char options[64];
	const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
	const char *vals[] = {conninfo, DB_CONNECT_TIMEOUT, "hcpd", options, NULL};
	PGconn *conn;

	snprintf(options, sizeof(options), "-c statement_timeout=%d", statement_timeout_ms);
	/* expand_dbname=1: conninfo may be "host=... dbname=..." or a URI. */
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		return ERR_NOMEM;
	if (PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return ERR_UNAVAILABLE;
	}
	*ret_conn = conn;
	return ERR_OK;
}

enum err db_pool_new(const char *conninfo, int size, int statement_timeout_ms,
		     struct db_pool **ret_pool)
{
	struct db_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return ERR_NOMEM;
	pool->conninfo = strdup(conninfo);
	pool->conns = calloc((size_t)size, sizeof(*pool->conns));
	pool->lent = calloc((size_t)size, sizeof(*pool->lent));
	if (pool->conninfo == NULL || pool->conns == NULL || pool->lent == NULL) {
		db_pool_free(pool);
		return ERR_NOMEM;
	}
	pool->size = size;
	pool->statement_timeout_ms = statement_timeout_ms;
	pool->last_failure_ms = -DB_RETRY_MS;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->freed, NULL);
	*ret_pool = pool;
	return ERR_OK;
}

void db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->conns != NULL) {
		pthread_mutex_destroy(&pool->lock);
		pthread_cond_destroy(&pool->freed);
		for (int i = 0; i < pool->size; i++)
			PQfinish(pool->conns[i]);
	}
	free(pool->conns);
	free(pool->lent);
	free(pool->conninfo);
	free(pool);
}

/* Picks a free slot, preferring one already connected. -1 if none. */
static int pick_slot(struct db_pool *pool)
{
	int empty = -1;

	for (int i = 0; i < pool->size; i++) {
		if (pool->lent[i])
			continue;
		if (pool->conns[i] != NULL)
			return i;
		if (empty < 0)
			empty = i;
	}
	return empty;
}

enum err db_acquire(struct db_pool *pool, int wait_ms, PGconn **ret_conn)
{
	struct timespec deadline;
	enum err err = ERR_OK;
	PGconn *conn;
	int slot;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}

	pthread_mutex_lock(&pool->lock);
	while ((slot = pick_slot(pool)) < 0) {
		pool->waiting++;
		int rc = pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline);
		pool->waiting--;
		if (rc == ETIMEDOUT && (slot = pick_slot(pool)) < 0) {
			pthread_mutex_unlock(&pool->lock);
			return ERR_BUSY;
		}
	}
	conn = pool->conns[slot];
	if (conn == NULL && now_ms() - pool->last_failure_ms < DB_RETRY_MS) {
		/* the last attempt failed a moment ago: do not hammer */
		pthread_mutex_unlock(&pool->lock);
		return ERR_UNAVAILABLE;
	}
	pool->lent[slot] = true;
	pthread_mutex_unlock(&pool->lock);

	if (conn == NULL) {
		err = db_connect(pool->conninfo, pool->statement_timeout_ms, &conn);
		pthread_mutex_lock(&pool->lock);
		if (err != ERR_OK) {
			pool->lent[slot] = false;
			pool->last_failure_ms = now_ms();
			pthread_cond_signal(&pool->freed);
		} else {
			pool->conns[slot] = conn;
		}
		pthread_mutex_unlock(&pool->lock);
		if (err != ERR_OK)
			return err;
	}
	*ret_conn = conn;
	return ERR_OK;
}

void db_release(struct db_pool *pool, PGconn *conn)
{
	bool broken;

	if (conn == NULL)
		return;
	broken = PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE;
	pthread_mutex_lock(&pool->lock);
	for (int i = 0; i < pool->size; i++) {
		if (pool->conns[i] != conn)
			continue;
		if (broken) {
			PQfinish(conn);
			pool->conns[i] = NULL;
		}
		pool->lent[i] = false;
		break;
	}
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

void db_pool_stats(struct db_pool *pool, struct db_stats *ret_stats)
{
	struct db_stats s = {.size = pool->size};

	pthread_mutex_lock(&pool->lock);
	for (int i = 0; i < pool->size; i++) {
		s.open += pool->conns[i] != NULL;
		s.in_use += pool->lent[i];
	}
	s.waiting = pool->waiting;
	pthread_mutex_unlock(&pool->lock);
	*ret_stats = s;
}

static void prepared_clear(struct prepared *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->stmts[i].sql);
	p->n = 0;
}

/* libpq's events on a connection with prepared statements: a reset loses
 * them on the server, a PQfinish frees our list. */
static int prepared_event(PGEventId id, void *info, void *pass)
{
	(void)pass;
	if (id == PGEVT_CONNRESET) {
		PGEventConnReset *e = info;

		prepared_clear(PQinstanceData(e->conn, prepared_event));
	} else if (id == PGEVT_CONNDESTROY) {
		PGEventConnDestroy *e = info;
		struct prepared *p = PQinstanceData(e->conn, prepared_event);

		prepared_clear(p);
		free(p);
	}
	return 1;
}

unsigned long long db_fnv1a(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The connection's list, made on first use; NULL when it cannot be. */
static struct prepared *prepared_of(PGconn *conn)
{
	struct prepared *p = PQinstanceData(conn, prepared_event);

	if (p != NULL)
		return p;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	if (PQregisterEventProc(conn, prepared_event, "hcpd prepared statements", NULL) == 0 ||
	    PQsetInstanceData(conn, prepared_event, p) == 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* Runs sql: prepared on this connection when it has parameters (preparing
 * it first if need be), else as it is. The result is the execution's, or
 * the failed preparation's. */
static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params,
		     const int *lengths, const int *formats)
{
	struct prepared *p = n > 0 ? prepared_of(conn) : NULL;
	unsigned long long hash;
	char name[32];
	char *copy;
	PGresult *res;
	size_t i;

	if (p == NULL)
		return PQexecParams(conn, sql, n, NULL, params, lengths, formats, 0);
	hash = db_fnv1a(sql);
	for (i = 0; i < p->n; i++)
		if (p->stmts[i].hash == hash && strcmp(p->stmts[i].sql, sql) == 0)
			break;
	snprintf(name, sizeof(name), "hcpd_%zu", i);
	if (i == p->n) {
		copy = i < DB_PREPARED_MAX ? strdup(sql) : NULL;
		if (copy == NULL) /* list full, or no memory for it */
			return PQexecParams(conn, sql, n, NULL, params, lengths, formats, 0);
		res = PQprepare(conn, name, sql, n, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			free(copy);
			return res;
		}
		PQclear(res);
		p->stmts[i].hash = hash;
		p->stmts[i].sql = copy;
		p->n++;
	}
	return PQexecPrepared(conn, name, n, params, lengths, formats, 0);
}

enum err db_exec(PGconn *conn, const char *sql, int n, const char *const *params,
		 const int *lengths, const int *formats, PGresult **ret_res)
{
	PGresult *res = run(conn, sql, n, params, lengths, formats);
	ExecStatusType st = PQresultStatus(res);
	char state[6] = "";

	if (res != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
		if (ret_res != NULL)
			*ret_res = res;
		else
			PQclear(res);
		return ERR_OK;
	}
	if (res != NULL && PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL)
		snprintf(state, sizeof(state), "%s", PQresultErrorField(res, PG_DIAG_SQLSTATE));
	PQclear(res); /* the SQLSTATE string dies with it: copied above */
	/* the statement's text is hcpd's own; the server's message may quote
	 * a value, so it stays out */
	if (log_enabled(LOG_DEBUG))
		log_json(LOG_DEBUG, "statement failed",
			 json_pack("{s:s, s:s%}", "sqlstate", state, "sql", sql, strnlen(sql, 60)));
	/* No SQLSTATE: libpq's own failure, not the server's answer - such as
	 * "server closed the connection unexpectedly" while sending, which
	 * leaves PQstatus() still CONNECTION_OK until the next read. */
	if (PQstatus(conn) != CONNECTION_OK || state[0] == '\0')
		return ERR_UNAVAILABLE;
	if (strcmp(state, "23505") == 0) /* unique_violation */
		return ERR_CONFLICT;
	if (strcmp(state, "57014") == 0 || strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P03") == 0)
		return ERR_UNAVAILABLE; /* timeout, connection, shutdown, starting up */
	/* a deadlock's victim, a serialization failure: nothing was kept and
	 * the same request may well succeed (the server's log says which) */
	if (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)
		return ERR_UNAVAILABLE;
	return ERR_DB;
}

enum err db_exec_row(PGconn *conn, const char *sql, int n, const char *const *params,
		     const int *lengths, const int *formats, PGresult **ret_res)
{
	PGresult *res;
	enum err err = db_exec(conn, sql, n, params, lengths, formats, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	*ret_res = res;
	return ERR_OK;
}

enum err db_command(PGconn *conn, const char *sql)
{
	return db_exec(conn, sql, 0, NULL, NULL, NULL, NULL);
}

enum err db_begin(PGconn *conn)
{
	return db_command(conn, "BEGIN");
}

enum err db_end(PGconn *conn, enum err err)
{
	if (conn == NULL)
		return err;
	if (err == ERR_OK)
		err = db_command(conn, "COMMIT");
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		db_command(conn, "ROLLBACK");
	return err;
}

enum err db_cell_bytes(PGresult *res, int row, int col, unsigned char **ret, size_t *ret_len)
{
	*ret = NULL;
	*ret_len = 0;
	if (PQgetisnull(res, row, col))
		return ERR_OK;
	*ret = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), ret_len);
	return *ret != NULL ? ERR_OK : ERR_NOMEM;
}

const char *db_cell_text(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}
