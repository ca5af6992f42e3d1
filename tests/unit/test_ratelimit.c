/*
 * test_ratelimit.c - unit tests for services/ratelimit.c: the limit per
 * client and minute, IPv6 clients counted by their /64 (issue 18 item 7),
 * IPv4 clients (also IPv4-mapped, from a dual-stack socket) each alone.
 */
#include <string.h>

#include "harness.h"
#include "netaddr.h"
#include "ratelimit.h"

static const unsigned char *ip(const char *text)
{
	static unsigned char out[4][NETADDR_LEN];
	static int next;
	struct netaddr_cidrs one = {0};
	const char *why;
	unsigned char *a = out[next++ % 4];

	if (netaddr_cidrs_parse(text, &one, &why) == ERR_OK && one.n == 1)
		memcpy(a, one.v[0].addr, NETADDR_LEN);
	return a;
}

#define NOW 1699999990 /* 10 s into a minute */

TEST(limit_per_minute_then_retry_after)
{
	struct ratelimit *rl = NULL;

	CHECK(ratelimit_new(2, &rl) == ERR_OK);
	CHECK(ratelimit_hit(rl, ip("192.0.2.1"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("192.0.2.1"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("192.0.2.1"), NOW) == 50); /* the rest of the minute */
	CHECK(ratelimit_hit(rl, ip("192.0.2.2"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("192.0.2.1"), NOW + 50) == 0); /* the next minute */
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

TEST(ipv6_clients_share_their_64)
{
	struct ratelimit *rl = NULL;

	CHECK(ratelimit_new(2, &rl) == ERR_OK);
	CHECK(ratelimit_hit(rl, ip("2001:db8:1:2::1"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("2001:db8:1:2:ffff:eeee:dddd:cccc"), NOW) == 0);
	/* a new address in the same /64 is no new client */
	CHECK(ratelimit_hit(rl, ip("2001:db8:1:2::77"), NOW) > 0);
	CHECK(ratelimit_hit(rl, ip("2001:db8:1:3::1"), NOW) == 0);
	/* IPv4 (mapped, as from a dual-stack socket) is not grouped */
	CHECK(ratelimit_hit(rl, ip("::ffff:192.0.2.1"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("::ffff:192.0.2.1"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("192.0.2.2"), NOW) == 0);
	CHECK(ratelimit_hit(rl, ip("192.0.2.1"), NOW) > 0);
	ratelimit_free(rl);
}

int main(void)
{
	RUN(limit_per_minute_then_retry_after);
	RUN(ipv6_clients_share_their_64);
	return harness_done();
}
