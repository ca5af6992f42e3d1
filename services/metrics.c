/*
 * metrics.c - owns the counters. Labels are route patterns (never raw
 * paths, which could carry identifiers) and status codes.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "http.h"
#include "metrics.h"
#include "retention.h"
#include "runner.h"
#include "schedule.h"
#include "workpool.h"

#define NSTATUS 600
static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBUCKETS (sizeof(bounds) / sizeof(bounds[0]) + 1) /* + Inf */

struct route_metrics {
	atomic_ulong status[NSTATUS];
	atomic_ulong bucket[NBUCKETS];
	atomic_ulong sum_us;
	atomic_ulong count;
};

static struct route_metrics *table; /* nroutes + 1: the last is "unmatched" */
static size_t table_len;
static atomic_ulong edge[METRICS_EDGE_DEADLINE + 1];
static double started; /* the process's start, Unix seconds */

enum err metrics_init(size_t nroutes)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (nroutes == 0)
		return ERR_OK;
	table = calloc(nroutes + 1, sizeof(*table));
	if (table == NULL)
		return ERR_NOMEM;
	table_len = nroutes + 1;
	return ERR_OK;
}

void metrics_edge_event(enum metrics_edge e)
{
	atomic_fetch_add_explicit(&edge[e], 1, memory_order_relaxed);
}

void metrics_release(void)
{
	free(table);
	table = NULL;
	table_len = 0;
}

void metrics_observe(int route, unsigned status, double seconds)
{
	struct route_metrics *m;
	size_t b = 0;

	if (table == NULL)
		return;
	m = &table[route >= 0 ? (size_t)route : table_len - 1];
	if (status < NSTATUS)
		atomic_fetch_add_explicit(&m->status[status], 1, memory_order_relaxed);
	while (b < NBUCKETS - 1 && seconds > bounds[b])
		b++;
	atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, (unsigned long)(seconds * 1e6), memory_order_relaxed);
	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
}

/* Route i's request counters, or (histogram) its latency histogram. */
static void render_route(FILE *f, size_t i, bool histogram)
{
	const char *label = i < routes_len ? routes[i].pattern : "unmatched";
	const char *method = i < routes_len ? routes[i].method : "";
	struct route_metrics *m = &table[i];
	unsigned long cumulative = 0;

	for (unsigned s = 100; !histogram && s < NSTATUS; s++) {
		unsigned long n = atomic_load_explicit(&m->status[s], memory_order_relaxed);
		if (n > 0)
			fprintf(f,
				"hcpd_http_requests_total{method=\"%s\",route=\"%s\",status=\"%u\"}"
				" "
				"%lu\n",
				method, label, s, n);
	}
	if (!histogram || atomic_load_explicit(&m->count, memory_order_relaxed) == 0)
		return;
	for (size_t b = 0; b < NBUCKETS; b++) {
		cumulative += atomic_load_explicit(&m->bucket[b], memory_order_relaxed);
		if (b < NBUCKETS - 1)
			fprintf(f,
				"hcpd_http_request_duration_seconds_bucket{method=\"%s\",route=\"%"
				"s\","
				"le=\"%g\"} %lu\n",
				method, label, bounds[b], cumulative);
		else
			fprintf(f,
				"hcpd_http_request_duration_seconds_bucket{method=\"%s\",route=\"%"
				"s\","
				"le=\"+Inf\"} %lu\n",
				method, label, cumulative);
	}
	fprintf(f, "hcpd_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
		method, label, (double)atomic_load(&m->sum_us) / 1e6);
	fprintf(f, "hcpd_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lu\n",
		method, label, atomic_load(&m->count));
}

static void render_http(FILE *f)
{
	fputs("# HELP hcpd_http_requests_total Requests answered, by route and status.\n"
	      "# TYPE hcpd_http_requests_total counter\n",
	      f);
	for (size_t i = 0; i < table_len; i++)
		render_route(f, i, false);
	/* each metric's TYPE before its first sample (the text format's rule) */
	fputs("# HELP hcpd_http_request_duration_seconds Time from first byte to reply.\n"
	      "# TYPE hcpd_http_request_duration_seconds histogram\n",
	      f);
	for (size_t i = 0; i < table_len; i++)
		render_route(f, i, true);
	fprintf(f,
		"# HELP hcpd_http_connections_refused_total Connections refused: their address "
		"had HCPD_MAX_CONNECTIONS_PER_ADDRESS open.\n"
		"# TYPE hcpd_http_connections_refused_total counter\n"
		"hcpd_http_connections_refused_total %lu\n"
		"# HELP hcpd_http_deadline_closed_total Connections closed because a request "
		"line, head or body was not in by its deadline.\n"
		"# TYPE hcpd_http_deadline_closed_total counter\n"
		"hcpd_http_deadline_closed_total %lu\n",
		atomic_load(&edge[METRICS_EDGE_REFUSED]),
		atomic_load(&edge[METRICS_EDGE_DEADLINE]));
}

static void render_hashing(FILE *f, struct workpool *pool)
{
	struct workpool_stats wp;

	workpool_stats(pool, &wp);
	fprintf(f,
		"# HELP hcpd_hash_queue Password hashes queued, running, and the queue's bound.\n"
		"# TYPE hcpd_hash_queue gauge\n"
		"hcpd_hash_queue{state=\"queued\"} %d\n"
		"hcpd_hash_queue{state=\"running\"} %d\n"
		"hcpd_hash_queue{state=\"capacity\"} %d\n"
		"# HELP hcpd_hash_rejected_total Hash requests shed with 503 (queue full).\n"
		"# TYPE hcpd_hash_rejected_total counter\n"
		"hcpd_hash_rejected_total %lu\n",
		wp.queued, wp.running, wp.capacity, wp.rejected);
}

/* The process metrics every Prometheus client library exports. */
static void render_process(FILE *f)
{
	struct timespec cpu;
	long pages = 0, fds = 0;
	FILE *statm = fopen("/proc/self/statm", "r");
	DIR *dir = opendir("/proc/self/fd");

	if (statm != NULL) {
		if (fscanf(statm, "%*d %ld", &pages) != 1)
			pages = 0;
		fclose(statm);
	}
	if (dir != NULL) {
		for (struct dirent *e; (e = readdir(dir)) != NULL;)
			fds += e->d_name[0] != '.';
		closedir(dir);
		fds--; /* the directory's own descriptor */
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	fprintf(f,
		"# HELP process_start_time_seconds Start time of the process, Unix seconds.\n"
		"# TYPE process_start_time_seconds gauge\n"
		"process_start_time_seconds %.3f\n"
		"# HELP process_cpu_seconds_total User and system CPU time spent.\n"
		"# TYPE process_cpu_seconds_total counter\n"
		"process_cpu_seconds_total %.3f\n"
		"# HELP process_resident_memory_bytes Resident memory size.\n"
		"# TYPE process_resident_memory_bytes gauge\n"
		"process_resident_memory_bytes %ld\n"
		"# HELP process_open_fds Open file descriptors.\n"
		"# TYPE process_open_fds gauge\n"
		"process_open_fds %ld\n",
		started, (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9,
		pages * sysconf(_SC_PAGESIZE), fds);
}

enum err metrics_render(struct app *app, char **ret_text, size_t *ret_len)
{
	struct db_stats db;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return ERR_NOMEM;
	if (table != NULL)
		render_http(f);
	db_pool_stats(app->db, &db);
	fprintf(f,
		"# HELP hcpd_db_pool_connections PostgreSQL pool connections by state.\n"
		"# TYPE hcpd_db_pool_connections gauge\n"
		"hcpd_db_pool_connections{state=\"size\"} %d\n"
		"hcpd_db_pool_connections{state=\"open\"} %d\n"
		"hcpd_db_pool_connections{state=\"in_use\"} %d\n"
		"# HELP hcpd_db_pool_waiting Requests waiting for a connection.\n"
		"# TYPE hcpd_db_pool_waiting gauge\n"
		"hcpd_db_pool_waiting %d\n",
		db.size, db.open, db.in_use, db.waiting);
	if (app->hashpool != NULL)
		render_hashing(f, app->hashpool);
	runner_metrics_render(app->verifiers, f);
	schedule_metrics_render(app, f);
	retention_metrics_render(app, f);
	render_process(f);
	if (fclose(f) != 0) {
		free(text);
		return ERR_NOMEM;
	}
	*ret_text = text;
	*ret_len = len;
	return ERR_OK;
}
