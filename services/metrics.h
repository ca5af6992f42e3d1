/*
 * metrics.h - request counters and latency histograms per route, rendered
 * in the Prometheus text format with the pool and queue gauges.
 *
 * Counters are lock-free atomics indexed by route and status, so recording
 * costs a few instructions on the request path.
 */
#ifndef HCPD_METRICS_H
#define HCPD_METRICS_H

#include <stddef.h>

#include "err.h"

struct app;

/* Sizes the tables for the route table. Call once before serving. */
enum err metrics_init(size_t nroutes);
void metrics_release(void);

/* Records one finished request. route is an index into routes[], or -1
 * for a request that matched no route. */
void metrics_observe(int route, unsigned status, double seconds);

/* Renders every metric into a malloc'd string. */
enum err metrics_render(struct app *app, char **ret_text, size_t *ret_len);

#endif
