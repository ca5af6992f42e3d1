/*
 * statement.c - prints the SQL of GET /v1/me (`perf_statement me`:
 * DB_ACCOUNT_ME_SQL) or of a refresh (`perf_statement refresh`:
 * DB_SESSION_REFRESH_SQL), so that `make bench` gives pgbench the very
 * statements hcpd runs.
 */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "jobs.h"
#include "sessions.h"

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "me") == 0)
		return puts(DB_ACCOUNT_ME_SQL) < 0;
	if (argc == 2 && strcmp(argv[1], "refresh") == 0)
		return puts(DB_SESSION_REFRESH_SQL) < 0;
	fputs("usage: perf_statement me|refresh\n", stderr);
	return 2;
}
