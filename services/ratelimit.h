/*
 * ratelimit.h - requests per client address per minute, for the routes
 * that hash a password (ROUTE_LIMITED: registration, sign-in, password
 * change, erasure; HCPD_RATE_LIMIT_PER_ADDRESS). The client address is
 * the one netaddr_client() finds (behind trusted proxies, the forwarded
 * one); an IPv6 client is counted by its /64 (netaddr_group()).
 *
 * A fixed table of per-address counters for the current minute, in memory
 * and per process (each instance limits on its own). Two addresses that
 * share a slot share a count, so the limit errs on the strict side; memory
 * never grows with the number of clients.
 */
#ifndef HCPD_RATELIMIT_H
#define HCPD_RATELIMIT_H

#include <time.h>

#include "err.h"
#include "netaddr.h"

struct ratelimit;

/* per_minute > 0. */
enum err ratelimit_new(int per_minute, struct ratelimit **ret_rl);

/* Accepts NULL. */
void ratelimit_free(struct ratelimit *rl);

/* Counts one request from the client addr (IPv6 form, see netaddr.h) at
 * now. Returns 0 when it is allowed, else the seconds until the next
 * minute (for Retry-After). Thread-safe. */
int ratelimit_hit(struct ratelimit *rl, const unsigned char addr[NETADDR_LEN], time_t now);

#endif
