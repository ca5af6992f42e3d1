/*
 * fuzz_netaddr.c - netaddr_client() over arbitrary forwarding headers,
 * netaddr_cidrs_parse() and netaddr_parse_listen() over arbitrary text.
 * Input: the first byte picks the header kind (bit 0); the rest is split
 * at newlines into header lines (NUL-terminated copies).
 *
 * Checked: an untrusted peer is always its own client; from a trusted
 * peer the answer is the peer (false) or an address parsed from the
 * header (true); a CIDR list parsed has at most NETADDR_CIDRS_MAX entries
 * with host bits clear, each containing its own network address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "netaddr.h"

#define LINES_MAX (NETADDR_LINES_MAX + 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char peer_trusted[NETADDR_LEN] = {0, 0, 0,    0,    0,  0, 0, 0,
								0, 0, 0xff, 0xff, 10, 0, 0, 1};
	static const unsigned char peer_outside[NETADDR_LEN] = {0, 0, 0,    0,    0,   0, 0, 0,
								0, 0, 0xff, 0xff, 192, 0, 2, 1};
	struct netaddr_cidrs trusted, parsed;
	const char *lines[LINES_MAX], *why;
	unsigned char a[NETADDR_LEN];
	struct sockaddr_storage ss;
	enum netaddr_header kind;
	size_t n = 0;
	char *text;

	if (size == 0)
		return 0;
	kind = (data[0] & 1) ? NETADDR_FORWARDED : NETADDR_X_FORWARDED_FOR;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	EXPECT(netaddr_cidrs_parse("10.0.0.0/8, 2001:db8::/32", &trusted, &why) == ERR_OK);

	if (netaddr_cidrs_parse(text, &parsed, &why) == ERR_OK) {
		EXPECT(parsed.n <= NETADDR_CIDRS_MAX);
		for (size_t i = 0; i < parsed.n; i++) {
			struct netaddr_cidrs one = {.n = 1};

			one.v[0] = parsed.v[i];
			EXPECT(parsed.v[i].bits <= 128);
			EXPECT(netaddr_cidrs_contain(&one, parsed.v[i].addr));
		}
	}
	(void)netaddr_parse_listen(text, &ss);

	for (char *p = text; n < LINES_MAX;) {
		char *nl = strchr(p, '\n');

		lines[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	EXPECT(!netaddr_client(peer_outside, &trusted, kind, lines, n, a));
	EXPECT(memcmp(a, peer_outside, NETADDR_LEN) == 0);
	if (!netaddr_client(peer_trusted, &trusted, kind, lines, n, a))
		EXPECT(memcmp(a, peer_trusted, NETADDR_LEN) == 0);
	free(text);
	return 0;
}
