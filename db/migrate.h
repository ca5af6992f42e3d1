/*
 * migrate.h - applies db/migrations/NNNN_name.sql in order, each once.
 *
 * Each file runs in its own transaction together with its row in
 * schema_migrations; a session advisory lock makes two processes that start
 * at once take turns (the second finds nothing left to do).
 */
#ifndef HCPD_MIGRATE_H
#define HCPD_MIGRATE_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "err.h"

/* The highest version among the files in dir (0 when none). ERR_IO when
 * dir cannot be read, ERR_INVALID for a badly named .sql file. */
enum err migrate_latest(const char *dir, int *ret_version);

/* Applies every file in dir not yet recorded, in version order (also one
 * numbered below versions already applied). *ret_applied counts them.
 * On failure *ret_why describes it (static or a buffer owned by this
 * module, valid until the next call). Blocks. */
enum err migrate_run(PGconn *conn, const char *dir, int *ret_applied, const char **ret_why);

/* Is a file of dir not applied yet (whatever its number)? ERR_IO or
 * ERR_INVALID for dir as migrate_latest(). Blocks. */
enum err migrate_pending(PGconn *conn, const char *dir, bool *ret_pending);

#endif
