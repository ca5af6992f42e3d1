/*
 * router.c - the route matcher (see router.h). Owns nothing; reads the
 * table it is given. It must stay pure - no allocation, logging or
 * globals - because it runs on every request and is fuzzed directly.
 */
#include <string.h>

#include "router.h"

/* RFC 3986 unreserved characters: all an id, token or name segment needs. */
static bool is_unreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Does path match pattern? The "{...}" segment goes to seg (seg_len bytes,
 * NUL-terminated), written only on a match. */
static bool match(const char *pattern, const char *path, char *seg, size_t seg_len)
{
	char got[ROUTER_PARAM_MAX] = "";

	while (*pattern != '\0') {
		if (*pattern == '{') {
			size_t n = 0;

			while (is_unreserved(path[n]))
				n++;
			if (n == 0 || n >= sizeof(got) || n >= seg_len ||
			    (path[n] != '/' && path[n] != '\0'))
				return false;
			if ((n == 1 && path[0] == '.') ||
			    (n == 2 && path[0] == '.' && path[1] == '.'))
				return false;
			memcpy(got, path, n);
			got[n] = '\0';
			path += n;
			pattern = strchr(pattern, '}');
			if (pattern == NULL)
				return false;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	if (*path != '\0')
		return false;
	memcpy(seg, got, strlen(got) + 1);
	return true;
}

const struct route *router_find(const struct route *table, size_t n, const char *method,
				const char *path, char *param, size_t param_len, char *allow,
				size_t allow_len)
{
	size_t used = 0;

	param[0] = '\0';
	allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t mlen;

		if (!match(table[i].pattern, path, param, param_len))
			continue;
		if (strcmp(table[i].method, method) == 0)
			return &table[i];
		param[0] = '\0';
		mlen = strlen(table[i].method);
		if (used + (used > 0 ? 2 : 0) + mlen < allow_len) {
			if (used > 0) {
				memcpy(allow + used, ", ", 2);
				used += 2;
			}
			memcpy(allow + used, table[i].method, mlen + 1);
			used += mlen;
		}
	}
	return NULL;
}

bool router_pattern_valid(const char *pattern)
{
	int params = 0;

	if (pattern == NULL || pattern[0] != '/')
		return false;
	for (const char *p = pattern; *p != '\0'; p++) {
		if (p[0] == '/' && p[1] == '/')
			return false;
		if (*p == '}')
			return false; /* a '}' outside "{...}" */
		if (*p != '{')
			continue;
		if (p[-1] != '/' || p[1] == '}' || ++params > 1)
			return false;
		for (p++; *p != '}'; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
				return false;
		if (p[1] != '/' && p[1] != '\0')
			return false;
	}
	return true;
}

static const struct {
	const char *role;
	unsigned flag;
} route_roles[] = {
	{"admin", ROUTE_ADMIN},
	{"reviewer", ROUTE_REVIEWER},
	{"auditor", ROUTE_AUDITOR},
	{"enrolling", ROUTE_ENROLLING},
	{"professional", ROUTE_PROFESSIONAL},
};

bool route_role_allowed(unsigned flags, const char *role)
{
	bool named = (flags & ROUTE_SESSION_ROLES) != 0;

	for (size_t i = 0; i < sizeof(route_roles) / sizeof(route_roles[0]); i++)
		if (strcmp(route_roles[i].role, role) == 0)
			return named ? (flags & route_roles[i].flag) != 0
				     : route_roles[i].flag != ROUTE_ENROLLING;
	return !named;
}

bool route_role_is_staff(const char *role)
{
	return strcmp(role, "admin") == 0 || strcmp(role, "reviewer") == 0 ||
	       strcmp(role, "auditor") == 0;
}
