/*
 * metrics.h - request counters and latency histograms per route, rendered
 * in the Prometheus text format with the pool and queue gauges, the
 * verification runner's and the monitoring's, and the process's own.
 * They are served by the metrics listener (HCPD_METRICS_LISTEN, see
 * http.h), never on the public port: some move with what the public does
 * (accounts by status), which would tell a caller whether an address had
 * an account.
 *
 * Counters are lock-free atomics indexed by route and status, so recording
 * costs a few instructions on the request path.
 */
#ifndef HCPD_METRICS_H
#define HCPD_METRICS_H

#include <stddef.h>

#include "err.h"

struct app;

/* Sizes the tables for the route table (0: a process without the API,
 * whose metrics have no HTTP section) and notes the start time. Call once
 * before serving. */
enum err metrics_init(size_t nroutes);
void metrics_release(void);

/* Records one finished request. route is an index into routes[], or -1
 * for a request that matched no route. */
void metrics_observe(int route, unsigned status, double seconds);

/* What the HTTP edge refused or cut (connguard.h). */
enum metrics_edge {
	METRICS_EDGE_REFUSED,  /* a connection over its address's cap */
	METRICS_EDGE_DEADLINE, /* a connection closed at its request deadline */
};

/* Counts one edge event. Thread-safe, lock-free. */
void metrics_edge_event(enum metrics_edge e);

/* Renders every metric this process has into a malloc'd string: the HTTP
 * and hashing sections only where they exist (serve). Blocks for the
 * database queries of the monitoring gauges. */
enum err metrics_render(struct app *app, char **ret_text, size_t *ret_len);

#endif
