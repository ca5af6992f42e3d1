/*
 * fuzz_router.c - router_find() over the real route table with arbitrary
 * methods and paths. Input: the method up to the first space (at most 15
 * bytes), then the path up to the first NUL; the first byte also picks
 * the output buffer sizes, so the cut-off paths run too.
 *
 * Checked: a route found has the method asked and a pattern the path
 * matches (literally when it has no "{...}"; otherwise with the segment
 * given back in param, 1..param_len-1 URL-unreserved characters, not "."
 * or ".."); when none is found, allow is empty or a comma-separated list of
 * table methods, and it is empty whenever the path matches no row at all.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "router.h"

static int unreserved(const char *s)
{
	for (; *s != '\0'; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~",
			    *s))
			return 0;
	return 1;
}

/* Does the pattern with param put in for its "{...}" equal path? */
static int rebuilds(const char *pattern, const char *param, const char *path)
{
	const char *open = strchr(pattern, '{');
	char buf[512];

	if (open == NULL)
		return strcmp(pattern, path) == 0;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(open - pattern), pattern, param,
		 strchr(open, '}') + 1);
	return strcmp(buf, path) == 0;
}

static int is_method(const char *s, size_t n)
{
	for (size_t i = 0; i < routes_len; i++)
		if (strlen(routes[i].method) == n && strncmp(routes[i].method, s, n) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char method[16], *path, param[ROUTER_PARAM_MAX + 1], allow[ROUTER_ALLOW_MAX + 1];
	size_t param_len, allow_len, mlen = 0, i = 1;
	const struct route *rt;
	int any_path = 0;

	if (size == 0)
		return 0;
	param_len = 1 + data[0] % ROUTER_PARAM_MAX;
	allow_len = 1 + (data[0] >> 2) % ROUTER_ALLOW_MAX;
	while (i < size && data[i] != ' ' && mlen < sizeof(method) - 1)
		method[mlen++] = (char)data[i++];
	method[mlen] = '\0';
	i += i < size; /* the space */
	path = malloc(size - i + 1);
	if (path == NULL)
		return 0;
	memcpy(path, data + i, size - i);
	path[size - i] = '\0';
	memset(param, 'Z', sizeof(param));
	memset(allow, 'Z', sizeof(allow));
	param[ROUTER_PARAM_MAX] = allow[ROUTER_ALLOW_MAX] = '\0';

	rt = router_find(routes, routes_len, method, path, param, param_len, allow, allow_len);
	EXPECT(memchr(param, '\0', param_len) != NULL && memchr(allow, '\0', allow_len) != NULL);
	for (size_t k = 0; k < routes_len; k++) {
		char p[ROUTER_PARAM_MAX], a[ROUTER_ALLOW_MAX];

		/* with the widest buffers, which rows match the path at all? */
		any_path |= router_find(routes + k, 1, routes[k].method, path, p, sizeof(p), a,
					sizeof(a)) != NULL;
	}
	if (rt != NULL) {
		EXPECT(strcmp(rt->method, method) == 0 && rebuilds(rt->pattern, param, path));
		if (strchr(rt->pattern, '{') != NULL)
			EXPECT(param[0] != '\0' && strlen(param) < param_len && unreserved(param) &&
			       strcmp(param, ".") != 0 && strcmp(param, "..") != 0);
		else
			EXPECT(param[0] == '\0');
	} else {
		EXPECT(param[0] == '\0');
		if (!any_path)
			EXPECT(allow[0] == '\0');
		for (const char *m = allow; *m != '\0';) {
			size_t n = strcspn(m, ",");

			EXPECT(is_method(m, n));
			m += n;
			if (*m == ',') {
				EXPECT(m[1] == ' ');
				m += 2;
			}
		}
	}
	free(path);
	return 0;
}
