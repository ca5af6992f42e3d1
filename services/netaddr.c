/*
 * netaddr.c - address parsing and the trusted-proxy walk. Owns nothing:
 * every function reads its arguments and writes only its outputs. Parsing
 * is strict (inet_pton: dotted quads, no octal, no zone ids, no names),
 * because a lenient parse of a forwarded hop is a way to pick one's own
 * rate-limit bucket.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netaddr.h"

#define HOP_TEXT_MAX 64 /* longer than any address with brackets and a port */

/* A piece of a header value: [p, p + len). */
struct span {
	const char *p;
	size_t len;
};

static struct span trim(const char *p, size_t len)
{
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	return (struct span){p, len};
}

static void map_v4(const struct in_addr *a4, unsigned char out[NETADDR_LEN])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a4, 4);
}

static bool is_v4_mapped(const unsigned char a[NETADDR_LEN])
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* An address alone (no brackets, no port): IPv4 when v4 is allowed, else
 * IPv6. *ret_v4 tells which it was. */
static bool parse_ip(const char *p, size_t len, bool v4, unsigned char out[NETADDR_LEN],
		     bool *ret_v4)
{
	char text[HOP_TEXT_MAX];
	struct in_addr a4;

	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, p, len);
	text[len] = '\0';
	if (v4 && inet_pton(AF_INET, text, &a4) == 1) {
		map_v4(&a4, out);
		*ret_v4 = true;
		return true;
	}
	*ret_v4 = false;
	return memchr(text, ':', len) != NULL && inet_pton(AF_INET6, text, out) == 1;
}

static bool port_ok(const char *p, size_t len)
{
	unsigned long port = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		port = port * 10 + (unsigned long)(p[i] - '0');
	}
	return port <= 65535;
}

/* One hop: "1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]" or
 * "[2001:db8::1]:80". */
static bool parse_hop(struct span s, unsigned char out[NETADDR_LEN])
{
	const char *colon;
	bool v4;

	s = trim(s.p, s.len);
	if (s.len > 0 && s.p[0] == '[') {
		const char *end = memchr(s.p, ']', s.len);
		size_t after;

		if (end == NULL)
			return false;
		after = s.len - (size_t)(end + 1 - s.p);
		if (after > 0 && (end[1] != ':' || !port_ok(end + 2, after - 1)))
			return false;
		return parse_ip(s.p + 1, (size_t)(end - s.p - 1), false, out, &v4);
	}
	colon = memchr(s.p, ':', s.len);
	if (colon != NULL && memchr(colon + 1, ':', s.len - (size_t)(colon + 1 - s.p)) == NULL) {
		/* one colon: an IPv4 address and its port */
		if (!port_ok(colon + 1, s.len - (size_t)(colon + 1 - s.p)))
			return false;
		return parse_ip(s.p, (size_t)(colon - s.p), true, out, &v4) && v4;
	}
	return parse_ip(s.p, s.len, colon == NULL, out, &v4);
}

enum err netaddr_parse_listen(const char *listen, struct sockaddr_storage *ret)
{
	const char *colon = strrchr(listen, ':');
	unsigned char a[NETADDR_LEN];
	size_t hlen;
	bool v4;

	if (colon == NULL || !port_ok(colon + 1, strlen(colon + 1)))
		return ERR_INVALID;
	hlen = (size_t)(colon - listen);
	memset(ret, 0, sizeof(*ret));
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;

		if (!parse_ip(listen + 1, hlen - 2, false, a, &v4))
			return ERR_INVALID;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(colon + 1));
		memcpy(&s6->sin6_addr, a, sizeof(a));
		return ERR_OK;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ret;

	if (!parse_ip(listen, hlen, true, a, &v4) || !v4)
		return ERR_INVALID;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)atoi(colon + 1));
	memcpy(&s4->sin_addr, a + 12, 4);
	return ERR_OK;
}

void netaddr_from_sockaddr(const struct sockaddr *sa, unsigned char ret[NETADDR_LEN])
{
	memset(ret, 0, NETADDR_LEN);
	if (sa != NULL && sa->sa_family == AF_INET6)
		memcpy(ret, &((const struct sockaddr_in6 *)sa)->sin6_addr, NETADDR_LEN);
	else if (sa != NULL && sa->sa_family == AF_INET)
		map_v4(&((const struct sockaddr_in *)sa)->sin_addr, ret);
}

/* Keeps the first bits bits of a, zeroes the rest into out. */
static void mask(const unsigned char a[NETADDR_LEN], unsigned bits, unsigned char out[NETADDR_LEN])
{
	for (unsigned i = 0; i < NETADDR_LEN; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;

		out[i] = (unsigned char)(a[i] & (0xff00u >> keep));
	}
}

/* One entry of a CIDR list. */
static enum err parse_cidr(struct span s, struct netaddr_cidr *ret, const char **ret_why)
{
	const char *slash = memchr(s.p, '/', s.len);
	size_t alen = slash != NULL ? (size_t)(slash - s.p) : s.len;
	unsigned char masked[NETADDR_LEN];
	unsigned long bits;
	bool v4;

	if (!parse_ip(s.p, alen, true, ret->addr, &v4)) {
		*ret_why = "an entry is not an IPv4 or IPv6 address or CIDR";
		return ERR_INVALID;
	}
	bits = v4 ? 32 : 128;
	if (slash != NULL) {
		size_t blen = s.len - alen - 1;
		char text[4];
		char *end;

		if (blen == 0 || blen >= sizeof(text)) {
			*ret_why = "a prefix length is missing or too long";
			return ERR_INVALID;
		}
		memcpy(text, slash + 1, blen);
		text[blen] = '\0';
		bits = strtoul(text, &end, 10);
		if (*end != '\0' || text[0] < '0' || text[0] > '9' || bits > (v4 ? 32u : 128u)) {
			*ret_why =
				"a prefix length is out of range (0-32 for IPv4, 0-128 for IPv6)";
			return ERR_INVALID;
		}
	}
	ret->bits = (unsigned)bits + (v4 ? 96 : 0);
	mask(ret->addr, ret->bits, masked);
	if (memcmp(masked, ret->addr, NETADDR_LEN) != 0) {
		*ret_why = "an entry has bits set beyond its prefix length (write the network "
			   "address, e.g. 10.0.0.0/8)";
		return ERR_INVALID;
	}
	return ERR_OK;
}

enum err netaddr_cidrs_parse(const char *text, struct netaddr_cidrs *ret, const char **ret_why)
{
	const char *p = text;

	ret->n = 0;
	if (trim(text, strlen(text)).len == 0)
		return ERR_OK;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		struct span s = trim(p, len);

		if (ret->n == NETADDR_CIDRS_MAX) {
			*ret_why = "more than 32 entries";
			return ERR_INVALID;
		}
		if (s.len == 0) {
			*ret_why = "an entry is empty";
			return ERR_INVALID;
		}
		if (parse_cidr(s, &ret->v[ret->n], ret_why) != ERR_OK)
			return ERR_INVALID;
		ret->n++;
		if (comma == NULL)
			return ERR_OK;
		p = comma + 1;
	}
}

bool netaddr_cidrs_contain(const struct netaddr_cidrs *list, const unsigned char addr[NETADDR_LEN])
{
	unsigned char masked[NETADDR_LEN];

	for (size_t i = 0; i < list->n; i++) {
		mask(addr, list->v[i].bits, masked);
		if (memcmp(masked, list->v[i].addr, NETADDR_LEN) == 0)
			return true;
	}
	return false;
}

void netaddr_group(const unsigned char addr[NETADDR_LEN], unsigned char ret[NETADDR_LEN])
{
	mask(addr, is_v4_mapped(addr) ? 128 : 64, ret);
}

/* The rightmost NETADDR_HOPS_MAX hops of the header's lines. */
struct hops {
	struct span ring[NETADDR_HOPS_MAX];
	size_t count; /* hops seen in all; the ring holds the last ones */
};

static void hops_push(struct hops *h, const char *p, size_t len)
{
	struct span s = trim(p, len);

	if (s.len == 0)
		return; /* an empty list element (RFC 9110 5.6.1): ignored */
	h->ring[h->count % NETADDR_HOPS_MAX] = s;
	h->count++;
}

/* Splits one line at the commas outside quoted strings (quotes count in
 * Forwarded only). false when a quoted string is left open. */
static bool hops_split(struct hops *h, const char *line, bool quotes)
{
	const char *start = line;
	bool in_quote = false, escaped = false;

	for (const char *c = line; *c != '\0'; c++) {
		if (in_quote) {
			if (escaped)
				escaped = false;
			else if (*c == '\\')
				escaped = true;
			else if (*c == '"')
				in_quote = false;
		} else if (quotes && *c == '"') {
			in_quote = true;
		} else if (*c == ',') {
			hops_push(h, start, (size_t)(c - start));
			start = c + 1;
		}
	}
	hops_push(h, start, strlen(start));
	return !in_quote;
}

/* The for= of one Forwarded element ("for=1.2.3.4;proto=https"), unquoted
 * into buf. false when it has none, or two. */
static bool forwarded_for(struct span el, char *buf, size_t size, struct span *ret)
{
	const char *p = el.p, *end = el.p + el.len;
	bool found = false;

	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		struct span name;
		size_t n = 0;

		if (eq == NULL)
			return false;
		name = trim(p, (size_t)(eq - p));
		p = eq + 1;
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				if (n + 1 >= size)
					return false;
				buf[n++] = *p;
			}
			if (p == end)
				return false;
			p++; /* the closing quote */
		} else {
			for (; p < end && *p != ';'; p++) {
				if (n + 1 >= size)
					return false;
				buf[n++] = *p;
			}
		}
		struct span rest = trim(p, (size_t)(end - p));
		if (rest.len > 0 && rest.p[0] != ';')
			return false; /* something after a quoted value */
		p = rest.len > 0 ? rest.p + 1 : end;
		if (name.len == 3 && strncasecmp(name.p, "for", 3) == 0) {
			if (found)
				return false;
			found = true;
			buf[n] = '\0';
			*ret = trim(buf, n);
			buf += n + 1;
			size -= n + 1;
		}
	}
	return found;
}

/* One hop of the header's kind into out. */
static bool hop_address(enum netaddr_header kind, struct span hop, unsigned char out[NETADDR_LEN])
{
	char buf[2 * HOP_TEXT_MAX];
	struct span value;

	if (kind == NETADDR_X_FORWARDED_FOR)
		return parse_hop(hop, out);
	if (!forwarded_for(hop, buf, sizeof(buf), &value))
		return false;
	return parse_hop(value, out); /* "unknown" and "_hidden" fail here */
}

bool netaddr_client(const unsigned char peer[NETADDR_LEN], const struct netaddr_cidrs *trusted,
		    enum netaddr_header kind, const char *const *values, size_t n,
		    unsigned char ret[NETADDR_LEN])
{
	unsigned char a[NETADDR_LEN];
	struct hops h = {.count = 0};
	size_t i, oldest;

	memcpy(ret, peer, NETADDR_LEN);
	if (!netaddr_cidrs_contain(trusted, peer) || n > NETADDR_LINES_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!hops_split(&h, values[i], kind == NETADDR_FORWARDED))
			return false;
	if (h.count == 0)
		return false;
	oldest = h.count > NETADDR_HOPS_MAX ? h.count - NETADDR_HOPS_MAX : 0;
	for (i = h.count; i-- > oldest;) {
		if (!hop_address(kind, h.ring[i % NETADDR_HOPS_MAX], a))
			return false;
		if (!netaddr_cidrs_contain(trusted, a) || (i == 0)) {
			memcpy(ret, a, NETADDR_LEN);
			return true;
		}
	}
	return false; /* every hop read was trusted, and there were more */
}
