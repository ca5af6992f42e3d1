/*
 * migrate.c - schema migrations. Owns the schema_migrations table. Files
 * are trusted SQL shipped with hcpd (run with PQexec, which allows several
 * statements); nothing user-supplied is ever interpolated here.
 */
#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate.h"

#define MIGRATE_LOCK_KEY  "7461636864" /* any constant shared by all hcpd processes */
#define MIGRATE_MAX_FILES 1000
#define MIGRATE_MAX_BYTES (4 * 1024 * 1024)

struct migration {
	int version;
	char name[256];
};

static char why_buf[512];

/* NNNN_name.sql with name in [a-z0-9_]: version into *ret. */
static int parse_name(const char *name, int *ret)
{
	size_t len = strlen(name);

	if (len < 10 || len >= 256 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)name[i]))
			return -1;
	if (name[4] != '_')
		return -1;
	for (size_t i = 5; i < len - 4; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_')
			return -1;
	*ret = atoi(name);
	return 0;
}

static int by_version(const void *a, const void *b)
{
	return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

/* Lists the migrations in dir, sorted. Caller frees *ret_list. */
static enum err scan(const char *dir, struct migration **ret_list, size_t *ret_n)
{
	struct migration *list = NULL;
	size_t n = 0;
	struct dirent *de;
	enum err err = ERR_OK;
	DIR *d = opendir(dir);

	if (d == NULL) {
		snprintf(why_buf, sizeof(why_buf), "cannot read migrations directory %s", dir);
		return ERR_IO;
	}
	list = calloc(MIGRATE_MAX_FILES, sizeof(*list));
	if (list == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if (n == MIGRATE_MAX_FILES || parse_name(de->d_name, &list[n].version) != 0) {
			snprintf(why_buf, sizeof(why_buf), "bad migration file name %s/%s", dir,
				 de->d_name);
			err = ERR_INVALID;
			goto out;
		}
		snprintf(list[n].name, sizeof(list[n].name), "%s", de->d_name);
		n++;
	}
	qsort(list, n, sizeof(*list), by_version);
	for (size_t i = 1; i < n; i++) {
		if (list[i].version == list[i - 1].version) {
			snprintf(why_buf, sizeof(why_buf), "two migrations numbered %04d",
				 list[i].version);
			err = ERR_INVALID;
			goto out;
		}
	}
	*ret_list = list;
	*ret_n = n;
	list = NULL;
out:
	free(list);
	closedir(d);
	return err;
}

enum err migrate_latest(const char *dir, int *ret_version)
{
	struct migration *list;
	size_t n;
	enum err err = scan(dir, &list, &n);

	if (err != ERR_OK)
		return err;
	*ret_version = n > 0 ? list[n - 1].version : 0;
	free(list);
	return ERR_OK;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len;

	if (f == NULL)
		return NULL;
	buf = malloc(MIGRATE_MAX_BYTES + 1);
	if (buf != NULL) {
		len = fread(buf, 1, MIGRATE_MAX_BYTES + 1, f);
		if (len > MIGRATE_MAX_BYTES || ferror(f)) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* The applied versions, ascending, into *ret (caller frees); none when
 * the table does not exist yet. */
static enum err applied_versions(PGconn *conn, int **ret, size_t *ret_n)
{
	PGresult *res;
	enum err err = db_exec(conn, "SELECT version FROM schema_migrations ORDER BY version", 0,
			       NULL, NULL, NULL, &res);
	size_t n;
	int *v;

	if (err == ERR_DB) { /* no table: nothing applied */
		*ret = NULL;
		*ret_n = 0;
		return ERR_OK;
	}
	if (err != ERR_OK)
		return err;
	n = (size_t)PQntuples(res);
	v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = atoi(PQgetvalue(res, (int)i, 0));
	PQclear(res);
	if (v == NULL)
		return ERR_NOMEM;
	*ret = v;
	*ret_n = n;
	return ERR_OK;
}

static bool applied(const int *versions, size_t n, int version)
{
	for (size_t i = 0; i < n; i++)
		if (versions[i] == version)
			return true;
	return false;
}

enum err migrate_pending(PGconn *conn, const char *dir, bool *ret_pending)
{
	struct migration *list = NULL;
	int *done = NULL;
	size_t n = 0, ndone = 0;
	bool pending = false;
	enum err err = scan(dir, &list, &n);

	if (err == ERR_OK)
		err = applied_versions(conn, &done, &ndone);
	for (size_t i = 0; err == ERR_OK && i < n; i++)
		pending = pending || !applied(done, ndone, list[i].version);
	if (err == ERR_OK)
		*ret_pending = pending;
	free(list);
	free(done);
	return err;
}

/* Runs one file and records it, in one transaction. */
static enum err apply(PGconn *conn, const char *dir, const struct migration *m)
{
	char path[4096], version[16];
	const char *params[2] = {version, m->name};
	char *sql;
	PGresult *res;
	enum err err;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	snprintf(version, sizeof(version), "%d", m->version);
	sql = read_file(path);
	if (sql == NULL) {
		snprintf(why_buf, sizeof(why_buf), "cannot read %.400s", path);
		return ERR_IO;
	}
	err = db_begin(conn);
	if (err != ERR_OK)
		goto out;
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(why_buf, sizeof(why_buf), "%s failed: %s", m->name,
			 PQresultErrorMessage(res));
		PQclear(res);
		err = ERR_DB;
		goto out;
	}
	PQclear(res);
	err = db_exec(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
		      params, NULL, NULL, NULL);
out:
	err = db_end(conn, err);
	free(sql);
	return err;
}

enum err migrate_run(PGconn *conn, const char *dir, int *ret_applied, const char **ret_why)
{
	struct migration *list = NULL;
	int *done = NULL;
	size_t n = 0, ndone = 0;
	int count = 0;
	enum err err;

	why_buf[0] = '\0';
	err = scan(dir, &list, &n);
	if (err != ERR_OK)
		goto out;
	err = db_command(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")");
	if (err != ERR_OK)
		goto out;
	err = db_command(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			       "version integer PRIMARY KEY, name text NOT NULL, "
			       "applied_at timestamptz NOT NULL DEFAULT now())");
	if (err == ERR_OK)
		err = applied_versions(conn, &done, &ndone);
	/* every file not applied yet, in order: one numbered below an applied
	 * one (a branch landed late) is applied too */
	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		if (applied(done, ndone, list[i].version))
			continue;
		err = apply(conn, dir, &list[i]);
		count += err == ERR_OK;
	}
	/* released even after a failure; a lost connection releases it anyway */
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	if (err == ERR_OK)
		*ret_applied = count;
out:
	if (err != ERR_OK && why_buf[0] == '\0')
		snprintf(why_buf, sizeof(why_buf), "database error: %s", PQerrorMessage(conn));
	*ret_why = why_buf;
	free(list);
	free(done);
	return err;
}
