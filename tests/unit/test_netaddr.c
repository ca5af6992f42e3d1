/*
 * test_netaddr.c - unit tests for services/netaddr.c: listen addresses,
 * CIDR lists, the /64 grouping, and the client address behind trusted
 * proxies, against spoofed leftmost hops, several header lines, ports,
 * bracketed IPv6, RFC 7239 quoting and garbage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "harness.h"
#include "netaddr.h"

/* The bytes of one address (written as a CIDR list of one entry). */
static const unsigned char *ip(const char *text)
{
	static unsigned char out[4][NETADDR_LEN];
	static int next;
	struct netaddr_cidrs one;
	const char *why;
	unsigned char *a = out[next++ % 4];

	memset(a, 0xee, NETADDR_LEN);
	if (netaddr_cidrs_parse(text, &one, &why) == ERR_OK && one.n == 1)
		memcpy(a, one.v[0].addr, NETADDR_LEN);
	return a;
}

static struct netaddr_cidrs trusted;

static void trust(const char *text)
{
	const char *why;

	memset(&trusted, 0, sizeof(trusted));
	if (netaddr_cidrs_parse(text, &trusted, &why) != ERR_OK)
		trusted.n = 0;
}

/* The client for peer and these lines (NULL-terminated), as text; "peer"
 * when it is the peer and not taken from the header. */
static const char *client_of(const char *peer, enum netaddr_header kind, const char *const *lines)
{
	static char text[INET6_ADDRSTRLEN];
	unsigned char a[NETADDR_LEN];
	size_t n = 0;

	while (lines[n] != NULL)
		n++;
	if (!netaddr_client(ip(peer), &trusted, kind, lines, n, a))
		return memcmp(a, ip(peer), NETADDR_LEN) == 0 ? "peer" : "peer changed";
	if (a[10] == 0xff && a[11] == 0xff && memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10) == 0)
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, a, text, sizeof(text));
	return text;
}

#define XFF(peer, ...) client_of(peer, NETADDR_X_FORWARDED_FOR, (const char *[]){__VA_ARGS__, NULL})
#define FWD(peer, ...) client_of(peer, NETADDR_FORWARDED, (const char *[]){__VA_ARGS__, NULL})

TEST(listen_addresses)
{
	struct sockaddr_storage ss;

	CHECK(netaddr_parse_listen("127.0.0.1:8080", &ss) == ERR_OK);
	CHECK(ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 8080);
	CHECK(netaddr_parse_listen("[::1]:9464", &ss) == ERR_OK);
	CHECK(ss.ss_family == AF_INET6 && ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 9464);
	CHECK(netaddr_parse_listen("0.0.0.0:0", &ss) == ERR_OK);
	const char *bad[] = {
		"localhost:80",   "127.0.0.1",    "127.0.0.1:", ":80",    "127.0.0.1:65536",
		"127.0.0.1:-1",   "127.0.0.1:8o", "[::1]",      "::1:80", "[::1:80",
		"[127.0.0.1]:80", "1.2.3:80",     "",           "off"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(netaddr_parse_listen(bad[i], &ss) == ERR_INVALID);
}

TEST(cidr_lists)
{
	struct netaddr_cidrs c;
	const char *why = NULL;

	CHECK(netaddr_cidrs_parse("", &c, &why) == ERR_OK && c.n == 0);
	CHECK(netaddr_cidrs_parse("  ", &c, &why) == ERR_OK && c.n == 0);
	CHECK(netaddr_cidrs_parse("10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1", &c, &why) ==
	      ERR_OK);
	CHECK(c.n == 4 && c.v[0].bits == 104 && c.v[1].bits == 128 && c.v[2].bits == 32 &&
	      c.v[3].bits == 128);
	CHECK(netaddr_cidrs_contain(&c, ip("10.255.0.1")));
	CHECK(!netaddr_cidrs_contain(&c, ip("11.0.0.1")));
	CHECK(netaddr_cidrs_contain(&c, ip("192.168.1.7")));
	CHECK(!netaddr_cidrs_contain(&c, ip("192.168.1.8")));
	CHECK(netaddr_cidrs_contain(&c, ip("2001:db8:ffff::5")));
	CHECK(!netaddr_cidrs_contain(&c, ip("2001:db9::5")));
	/* an IPv4 client on an IPv6 socket is the same address */
	CHECK(netaddr_cidrs_contain(&c, ip("::ffff:10.1.2.3")));
	CHECK(netaddr_cidrs_parse("0.0.0.0/0", &c, &why) == ERR_OK);
	CHECK(netaddr_cidrs_contain(&c, ip("8.8.8.8")) && !netaddr_cidrs_contain(&c, ip("::2")));
	const char *bad[] = {"10.0.0.1/8",
			     "10.0.0.0/33",
			     "::/129",
			     "10.0.0.0/",
			     "/8",
			     "x",
			     "10.0.0.0/8,",
			     ",10.0.0.0/8",
			     "10.0.0.0/8,,::1",
			     "10.0.0.0/-1",
			     "10.0.0.0/8x",
			     "010.0.0.0/8",
			     "fe80::1%eth0",
			     "[::1]",
			     "1.2.3.4:80",
			     "10.0.0.0/1000",
			     "host.example.org"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(netaddr_cidrs_parse(bad[i], &c, &why) == ERR_INVALID && why != NULL);
	}
	char many[33 * 10 + 1] = "";
	for (int i = 0; i < 33; i++)
		strcat(many, i ? ",10.0.0.1" : "10.0.0.1");
	CHECK(netaddr_cidrs_parse(many, &c, &why) == ERR_INVALID);
	many[strlen(many) - strlen(",10.0.0.1")] = '\0';
	CHECK(netaddr_cidrs_parse(many, &c, &why) == ERR_OK && c.n == 32);
}

TEST(ipv6_is_grouped_by_its_64_and_ipv4_by_itself)
{
	unsigned char g1[NETADDR_LEN], g2[NETADDR_LEN];

	netaddr_group(ip("2001:db8:1:2:aaaa::1"), g1);
	netaddr_group(ip("2001:db8:1:2:bbbb:cccc:dddd:eeee"), g2);
	CHECK(memcmp(g1, g2, NETADDR_LEN) == 0 && memcmp(g1, ip("2001:db8:1:2::"), 16) == 0);
	netaddr_group(ip("2001:db8:1:3::1"), g2);
	CHECK(memcmp(g1, g2, NETADDR_LEN) != 0);
	netaddr_group(ip("192.0.2.1"), g1);
	netaddr_group(ip("192.0.2.2"), g2);
	CHECK(memcmp(g1, ip("192.0.2.1"), NETADDR_LEN) == 0 && memcmp(g1, g2, NETADDR_LEN) != 0);
}

TEST(sockaddr_in_ipv6_form)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	unsigned char a[NETADDR_LEN];

	inet_pton(AF_INET, "203.0.113.9", &s4.sin_addr);
	netaddr_from_sockaddr((struct sockaddr *)&s4, a);
	CHECK(memcmp(a, ip("203.0.113.9"), NETADDR_LEN) == 0);
	inet_pton(AF_INET6, "2001:db8::9", &s6.sin6_addr);
	netaddr_from_sockaddr((struct sockaddr *)&s6, a);
	CHECK(memcmp(a, ip("2001:db8::9"), NETADDR_LEN) == 0);
	netaddr_from_sockaddr(NULL, a);
	CHECK(memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", NETADDR_LEN) == 0);
}

TEST(an_untrusted_peer_is_the_client_whatever_it_sends)
{
	trust("10.0.0.0/8");
	CHECK_STREQ(XFF("203.0.113.9", "1.1.1.1"), "peer");
	CHECK_STREQ(FWD("203.0.113.9", "for=1.1.1.1"), "peer");
	trust("");
	CHECK_STREQ(XFF("10.0.0.1", "1.1.1.1"), "peer");
}

/* X-Forwarded-For cases from trusted peers: peer, header lines, client. */
static const struct {
	const char *peer;
	const char *lines[4]; /* NULL-terminated */
	const char *client;
} walks[] = {
	{"10.0.0.1", {"1.1.1.1"}, "1.1.1.1"},
	/* the client wrote the left part: it is never believed */
	{"10.0.0.1", {"6.6.6.6, 1.1.1.1"}, "1.1.1.1"},
	{"10.0.0.1", {"garbage, 1.1.1.1"}, "1.1.1.1"},
	{"10.0.0.1", {"10.9.9.9, 1.1.1.1"}, "1.1.1.1"},
	/* trusted hops on the right are skipped */
	{"10.0.0.1", {"6.6.6.6, 1.1.1.1, 10.0.0.7, 10.0.0.8"}, "1.1.1.1"},
	/* every hop trusted: the leftmost, the origin */
	{"10.0.0.1", {"10.0.0.9, 10.0.0.7"}, "10.0.0.9"},
	/* several lines are one list, in order */
	{"10.0.0.1", {"6.6.6.6", "1.1.1.1"}, "1.1.1.1"},
	{"10.0.0.1", {"6.6.6.6, 1.1.1.1", "10.0.0.3"}, "1.1.1.1"},
	{"10.0.0.1", {"1.1.1.1", "", "10.0.0.3"}, "1.1.1.1"},
	/* ports, brackets, IPv6, empty list elements, blanks */
	{"10.0.0.1", {"1.1.1.1:4711"}, "1.1.1.1"},
	{"10.0.0.1", {"[2001:db8::7]:443"}, "2001:db8::7"},
	{"10.0.0.1", {"[2001:db8::7]"}, "2001:db8::7"},
	{"10.0.0.1", {"2001:db8::7"}, "2001:db8::7"},
	{"10.0.0.1", {"2001:db8::7, 2001:db8:ffff::1"}, "2001:db8::7"},
	{"10.0.0.1", {" ,, 1.1.1.1 ,\t, "}, "1.1.1.1"},
	/* an IPv4 peer or hop in IPv6 form is the same address */
	{"::ffff:10.0.0.1", {"1.1.1.1"}, "1.1.1.1"},
	{"2001:db8:ffff::2", {"::ffff:1.1.1.1"}, "1.1.1.1"},
};

TEST(the_rightmost_untrusted_hop_is_the_client)
{
	trust("10.0.0.0/8, 2001:db8:ffff::/48");
	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++)
		CHECK_STREQ(client_of(walks[i].peer, NETADDR_X_FORWARDED_FOR, walks[i].lines),
			    walks[i].client);
}

TEST(garbage_on_the_walk_falls_back_to_the_peer)
{
	trust("10.0.0.0/8");
	const char *garbage[] = {"unknown",        "1.1.1.1 2.2.2.2",
				 "010.1.1.1",      "1.1.1",
				 "1.1.1.1:",       "1.1.1.1:99999",
				 "1.1.1.1:80:80",  "[1.1.1.1]",
				 "[2001:db8::1",   "2001:db8::1]:80",
				 "[2001:db8::1]x", "fe80::1%eth0",
				 "host.example",   "\"1.1.1.1\"",
				 "0x01010101",     "1.1.1.1/32",
				 "\x01",           "::g"};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		CHECK_STREQ(XFF("10.0.0.1", garbage[i]), "peer");
		CHECK_STREQ(XFF("10.0.0.1", "1.1.1.1", garbage[i]), "peer");
		CHECK_STREQ(XFF("10.0.0.1", garbage[i], "10.0.0.2"), "peer");
	}
	/* no hop at all: the proxy itself is the client */
	CHECK_STREQ(client_of("10.0.0.1", NETADDR_X_FORWARDED_FOR, (const char *[]){NULL}), "peer");
	CHECK_STREQ(XFF("10.0.0.1", " , "), "peer");
}

TEST(the_walk_is_bounded)
{
	char line[40 * 12] = "1.1.1.1";
	const char *lines[NETADDR_LINES_MAX + 2];

	trust("10.0.0.0/8");
	for (int i = 0; i < NETADDR_HOPS_MAX - 1; i++)
		strcat(line, ", 10.0.0.2");
	CHECK_STREQ(XFF("10.0.0.1", line), "1.1.1.1"); /* the 32nd hop from the right */
	strcat(line, ", 10.0.0.2");
	CHECK_STREQ(XFF("10.0.0.1", line), "peer"); /* a 33rd would be needed */
	for (int i = 0; i < NETADDR_LINES_MAX + 1; i++)
		lines[i] = "1.1.1.1";
	lines[NETADDR_LINES_MAX + 1] = NULL;
	CHECK_STREQ(client_of("10.0.0.1", NETADDR_X_FORWARDED_FOR, lines), "peer");
	lines[NETADDR_LINES_MAX] = NULL;
	CHECK_STREQ(client_of("10.0.0.1", NETADDR_X_FORWARDED_FOR, lines), "1.1.1.1");
}

TEST(forwarded_rfc_7239)
{
	trust("10.0.0.0/8");
	CHECK_STREQ(FWD("10.0.0.1", "for=192.0.2.60;proto=http;by=203.0.113.43"), "192.0.2.60");
	CHECK_STREQ(FWD("10.0.0.1", "For=\"[2001:db8:cafe::17]:4711\""), "2001:db8:cafe::17");
	CHECK_STREQ(FWD("10.0.0.1", "for=6.6.6.6, for=192.0.2.43"), "192.0.2.43");
	CHECK_STREQ(FWD("10.0.0.1", "for=192.0.2.43, for=10.1.1.1;proto=https"), "192.0.2.43");
	CHECK_STREQ(FWD("10.0.0.1", "for=6.6.6.6", "proto=https; for=\"192.0.2.43\""),
		    "192.0.2.43");
	/* a comma inside a quoted string splits nothing */
	CHECK_STREQ(FWD("10.0.0.1", "for=192.0.2.43;by=\"a,b\""), "192.0.2.43");
	CHECK_STREQ(FWD("10.0.0.1", "for=192.0.2.43;by=\"a\\\"b\""), "192.0.2.43");
	/* what cannot be read falls back to the peer */
	const char *bad[] = {"for=unknown",   "for=\"_gazonk\"",
			     "proto=https",   "for=1.1.1.1;for=2.2.2.2",
			     "for=\"1.1.1.1", "for=\"1.1.1.1\"x",
			     "1.1.1.1",       "for",
			     "for=",          "for=\"[2001:db8::1]\";by=\"open"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STREQ(FWD("10.0.0.1", bad[i]), "peer");
	/* an open quote anywhere breaks the whole list */
	CHECK_STREQ(FWD("10.0.0.1", "for=\"6.6.6.6, for=192.0.2.43"), "peer");
	/* the other header's syntax is not this one's */
	CHECK_STREQ(XFF("10.0.0.1", "for=192.0.2.43"), "peer");
}

int main(void)
{
	RUN(listen_addresses);
	RUN(cidr_lists);
	RUN(ipv6_is_grouped_by_its_64_and_ipv4_by_itself);
	RUN(sockaddr_in_ipv6_form);
	RUN(an_untrusted_peer_is_the_client_whatever_it_sends);
	RUN(the_rightmost_untrusted_hop_is_the_client);
	RUN(garbage_on_the_walk_falls_back_to_the_peer);
	RUN(the_walk_is_bounded);
	RUN(forwarded_rfc_7239);
	return harness_done();
}
