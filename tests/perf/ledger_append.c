/*
 * ledger_append.c - the cost of the ledger's serialised append.
 *
 *   bin/tests/perf_ledger_append CONNINFO PROCS SECONDS
 *
 * Forks PROCS processes, each with its own connection, each running
 * verifier-style disclosures for SECONDS: BEGIN; ledger_disclose() (the
 * gate's facts, the advisory lock, the append); COMMIT. Prints the
 * appends a second of all of them together, then checks the whole chain
 * with ledger_verify(). Sets up its own recipient ("perf-verifier") and
 * account; run it against a scratch database, never a real one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "ledger.h"

static const char *const fields[] = {"npi", "family_name", "given_name"};
static const char subject[] = "8d0f5f7e-2d1c-4b8a-9a55-0c7a3f1e9b11";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(PGconn *conn)
{
	const struct recipient_def def = {
		.name = "perf-verifier",
		.kind = "verifier",
		.display_name = "Benchmark verifier",
		.country = "US",
		.terms = {.version = "1",
			  .purpose = "licensure_verification",
			  .allowed_fields = fields,
			  .nallowed = 3,
			  .retention_days = 30,
			  .legal_basis = "consent",
			  .recipient_country = "US",
			  .effective_from = 1},
	};
	const char *params[1] = {subject};
	char why[256] = "";

	if (ledger_sync_recipients(conn, &def, 1, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "setup: %s\n", why);
		return -1;
	}
	if (db_exec(conn,
		    "INSERT INTO accounts (id, status, password_hash, catalogue_version, "
		    "notice_version, data_key) VALUES ($1, 'verified', 'x', 'x', 'x', '\\x00') "
		    "ON CONFLICT DO NOTHING",
		    1, params, NULL, NULL, NULL) != ERR_OK ||
	    db_exec(conn,
		    "INSERT INTO consents (account_id, purpose, granted, source, notice_version) "
		    "VALUES ($1, 'licensure_verification', true, 'registration', 'x')",
		    1, params, NULL, NULL, NULL) != ERR_OK) {
		fprintf(stderr, "setup: cannot create the account\n");
		return -1;
	}
	return 0;
}

/* One process: appends until the deadline; the count goes to fd. */
static int child(const char *conninfo, double seconds, int fd)
{
	struct disclosure_req d = {
		.subject = subject,
		.recipient = "perf-verifier",
		.purpose = "licensure_verification",
		.fields = fields,
		.nfields = 3,
		.job_id = 1,
		.actor = "system",
	};
	double end = now() + seconds;
	long long n = 0;
	enum gate_rule rule;
	PGconn *conn;

	if (db_connect(conninfo, 0, &conn) != ERR_OK)
		return 1;
	while (now() < end) {
		if (db_command(conn, "BEGIN") != ERR_OK ||
		    ledger_disclose(conn, &d, &rule) != ERR_OK || rule != GATE_ALLOWED ||
		    db_command(conn, "COMMIT") != ERR_OK) {
			fprintf(stderr, "append failed: %s\n", PQerrorMessage(conn));
			PQfinish(conn);
			return 1;
		}
		n++;
	}
	PQfinish(conn);
	return write(fd, &n, sizeof(n)) == sizeof(n) ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ledger_report report;
	char line[256];
	int procs, fds[2], failed = 0;
	double seconds, t0, t1;
	long long total = 0, n;
	PGconn *conn;

	if (argc != 4 || (procs = atoi(argv[2])) < 1 || (seconds = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: %s CONNINFO PROCS SECONDS\n", argv[0]);
		return 2;
	}
	if (db_connect(argv[1], 0, &conn) != ERR_OK || setup(conn) != 0)
		return 1;
	if (pipe(fds) != 0)
		return 1;
	t0 = now();
	for (int i = 0; i < procs; i++)
		if (fork() == 0) {
			close(fds[0]);
			_exit(child(argv[1], seconds, fds[1]));
		}
	close(fds[1]);
	for (int i = 0; i < procs; i++) {
		int status;

		wait(&status);
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	t1 = now();
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		total += n;
	printf("%d connection(s), %.1f s: %lld appends, %.0f appends/s\n", procs, t1 - t0, total,
	       (double)total / (t1 - t0));
	t0 = now();
	if (ledger_verify(conn, 10000, &report) != ERR_OK)
		return 1;
	ledger_report_describe(&report, line, sizeof(line));
	printf("%s (verified in %.2f s)\n", line, now() - t0);
	PQfinish(conn);
	return failed || report.fault != CHAIN_OK;
}
