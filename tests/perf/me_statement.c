/*
 * me_statement.c - prints GET /v1/me's SQL (DB_ACCOUNT_ME_SQL), so that
 * `make bench` gives pgbench the very statement hcpd runs.
 */
#include <stdio.h>

#include "accounts.h"
#include "jobs.h"

int main(void)
{
	return puts(DB_ACCOUNT_ME_SQL) < 0;
}
