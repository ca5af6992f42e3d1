/*
 * netaddr.h - IP addresses at the HTTP edge: listen addresses, lists of
 * CIDRs (HCPD_TRUSTED_PROXIES), the group a client is counted under, and
 * the client address of a request that came through trusted proxies.
 *
 * Everything here is pure: strings and bytes in, bytes out, no allocation,
 * no globals, no I/O (tests/unit/test_netaddr.c, tests/fuzz/fuzz_netaddr.c).
 * An address is NETADDR_LEN bytes in IPv6 form, an IPv4 address mapped
 * (::ffff:a.b.c.d), so one comparison serves both families.
 */
#ifndef HCPD_NETADDR_H
#define HCPD_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

#define NETADDR_LEN       16
#define NETADDR_CIDRS_MAX 32 /* CIDRs in one list */
#define NETADDR_HOPS_MAX  32 /* forwarding hops read, from the right */
#define NETADDR_LINES_MAX 16 /* header lines read; more: the peer is the client */

struct netaddr_cidr {
	unsigned char addr[NETADDR_LEN]; /* host bits zero */
	unsigned bits;                   /* prefix length of the 128 (IPv4: 96 + its own) */
};

struct netaddr_cidrs {
	struct netaddr_cidr v[NETADDR_CIDRS_MAX];
	size_t n;
};

/* Which header the trusted proxies write (HCPD_TRUSTED_PROXY_HEADER); the
 * other is never read, since a proxy passes it on from the client as is. */
enum netaddr_header {
	NETADDR_X_FORWARDED_FOR, /* X-Forwarded-For: client, proxy1, proxy2 */
	NETADDR_FORWARDED,       /* RFC 7239 Forwarded: for=client, for=proxy1 */
};

/* "host:port" (IPv4) or "[v6]:port" into *ret. ERR_INVALID for anything
 * else, a host name included. */
enum err netaddr_parse_listen(const char *listen, struct sockaddr_storage *ret);

/* The peer of a socket in IPv6 form; all zero for a family other than
 * AF_INET and AF_INET6, or NULL. */
void netaddr_from_sockaddr(const struct sockaddr *sa, unsigned char ret[NETADDR_LEN]);

/* Parses a comma-separated list of CIDRs ("10.0.0.0/8, 2001:db8::/32";
 * an address without "/n" is that address alone). Empty text is an empty
 * list. ERR_INVALID with *ret_why (a static string) for a bad entry, host
 * bits set beyond the prefix, or more than NETADDR_CIDRS_MAX entries;
 * *ret is then unspecified. */
enum err netaddr_cidrs_parse(const char *text, struct netaddr_cidrs *ret, const char **ret_why);

/* Is addr inside one of list's CIDRs? */
bool netaddr_cidrs_contain(const struct netaddr_cidrs *list, const unsigned char addr[NETADDR_LEN]);

/* The group an address is counted under (per-address limits): an IPv4
 * address itself, an IPv6 address its /64 (one subscriber's usual share). */
void netaddr_group(const unsigned char addr[NETADDR_LEN], unsigned char ret[NETADDR_LEN]);

/* The client of a request: peer is the socket's peer; values[0..n) are
 * the values of the kind header's lines in the order received.
 *
 * When peer is not in trusted, the client is peer and the headers are not
 * read (spoofing them gives nothing). Otherwise the header's hops are
 * walked from the right: a trusted hop is skipped, the first untrusted one
 * is the client; when every hop is trusted, the leftmost is. The peer is
 * the client when there is no hop, when a hop read on the way cannot be
 * parsed (garbage, "unknown", an obfuscated Forwarded identifier, a hop
 * without for=), when the quoting of Forwarded is broken, when more than
 * NETADDR_HOPS_MAX hops would have to be read, or when n exceeds
 * NETADDR_LINES_MAX. A hop is an IPv4 or IPv6 address, optionally in
 * brackets (IPv6) and with a port. Returns true when the client was taken
 * from the header. */
bool netaddr_client(const unsigned char peer[NETADDR_LEN], const struct netaddr_cidrs *trusted,
		    enum netaddr_header kind, const char *const *values, size_t n,
		    unsigned char ret[NETADDR_LEN]);

#endif
