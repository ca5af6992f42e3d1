/*
 * test_router.c - unit tests for services/router.c: exact and "{...}"
 * matches, 404 versus 405 with its Allow list, hostile segments, and the
 * real route table held to router_pattern_valid().
 */
#include <string.h>

#include "harness.h"
#include "router.h"

static const struct route table[] = {
	{"GET", "/healthz", NULL, 0},
	{"POST", "/v1/items", NULL, 0},
	{"GET", "/v1/items/{id}", NULL, 0},
	{"DELETE", "/v1/items/{id}", NULL, 0},
	{"POST", "/v1/items/{id}/decision", NULL, 0},
	{"GET", "/v1/items/{id}/decision", NULL, 0},
	{"GET", "/admin/", NULL, 0},
};
#define N (sizeof(table) / sizeof(table[0]))

static char param[ROUTER_PARAM_MAX], allow[ROUTER_ALLOW_MAX];

static const struct route *find(const char *method, const char *path)
{
	memset(param, 'x', sizeof(param) - 1);
	memset(allow, 'x', sizeof(allow) - 1);
	return router_find(table, N, method, path, param, sizeof(param), allow, sizeof(allow));
}

TEST(exact_paths_match_their_method)
{
	CHECK(find("GET", "/healthz") == &table[0]);
	CHECK_STREQ(param, "");
	CHECK(find("POST", "/v1/items") == &table[1]);
	CHECK(find("GET", "/admin/") == &table[6]);
	CHECK_STREQ(allow, "");
}

TEST(param_segment_is_copied)
{
	CHECK(find("GET", "/v1/items/0b5e3c1a-5c2d-4b8e-9f00-1a2b3c4d5e6f") == &table[2]);
	CHECK_STREQ(param, "0b5e3c1a-5c2d-4b8e-9f00-1a2b3c4d5e6f");
	CHECK(find("DELETE", "/v1/items/a.b_c~d") == &table[3]);
	CHECK_STREQ(param, "a.b_c~d");
	CHECK(find("POST", "/v1/items/42/decision") == &table[4]);
	CHECK_STREQ(param, "42");
}

TEST(unknown_path_is_404_with_empty_allow)
{
	CHECK(find("GET", "/nope") == NULL);
	CHECK_STREQ(allow, "");
	CHECK_STREQ(param, "");
	CHECK(find("GET", "") == NULL);
	CHECK(find("GET", "/healthz/") == NULL);
	CHECK(find("GET", "/healthzz") == NULL);
	CHECK(find("GET", "/healt") == NULL);
	CHECK(find("GET", "/admin") == NULL);
	CHECK(find("GET", "/v1/items/") == NULL);
	CHECK(find("GET", "/v1/items/1/") == NULL);
	CHECK(find("GET", "/v1/items/1/decisions") == NULL);
	CHECK(find("GET", "//v1/items") == NULL);
	CHECK_STREQ(allow, "");
}

TEST(known_path_other_method_lists_allow)
{
	CHECK(find("PUT", "/healthz") == NULL);
	CHECK_STREQ(allow, "GET");
	CHECK(find("PATCH", "/v1/items/7") == NULL);
	CHECK_STREQ(allow, "GET, DELETE");
	CHECK_STREQ(param, "");                 /* no route: no parameter either */
	CHECK(find("get", "/healthz") == NULL); /* methods are case-sensitive */
	CHECK_STREQ(allow, "GET");
}

TEST(hostile_segments_match_nothing)
{
	static const char *const bad[] = {
		"/v1/items/..",       "/v1/items/.",      "/v1/items/a%2fb", "/v1/items/a b",
		"/v1/items/\xc3\xa9", "/v1/items/a\rb",   "/v1/items/{id}",  "/v1/items/a\"b",
		"/v1/items/a;b",      "/v1/items/../etc", "/v1/items/*",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(find("GET", bad[i]) == NULL);
		CHECK_STREQ(allow, "");
	}
	/* "..." is an ordinary name, not a path step */
	CHECK(find("GET", "/v1/items/...") == &table[2]);
}

TEST(param_length_is_bounded)
{
	char path[200], small[4], al[8];

	strcpy(path, "/v1/items/");
	memset(path + 10, 'a', ROUTER_PARAM_MAX);
	path[10 + ROUTER_PARAM_MAX] = '\0';
	CHECK(find("GET", path) == NULL); /* 64 characters do not fit with the NUL */
	path[10 + ROUTER_PARAM_MAX - 1] = '\0';
	CHECK(find("GET", path) == &table[2]);
	CHECK(strlen(param) == ROUTER_PARAM_MAX - 1);
	/* a smaller buffer is honoured as well */
	CHECK(router_find(table, N, "GET", "/v1/items/abcd", small, sizeof(small), al,
			  sizeof(al)) == NULL);
	CHECK(router_find(table, N, "GET", "/v1/items/abc", small, sizeof(small), al, sizeof(al)) ==
	      &table[2]);
	CHECK_STREQ(small, "abc");
}

TEST(allow_list_is_cut_to_fit)
{
	char al[9], p[8];

	CHECK(router_find(table, N, "PUT", "/v1/items/1", p, sizeof(p), al, sizeof(al)) == NULL);
	CHECK_STREQ(al, "GET"); /* "GET, DELETE" does not fit in 9 bytes */
	CHECK(router_find(table, N, "PUT", "/v1/items/1", p, sizeof(p), al, 1) == NULL);
	CHECK_STREQ(al, "");
}

TEST(pattern_rules)
{
	CHECK(router_pattern_valid("/healthz"));
	CHECK(router_pattern_valid("/admin/"));
	CHECK(router_pattern_valid("/v1/items/{id}/decision"));
	CHECK(!router_pattern_valid("healthz"));
	CHECK(!router_pattern_valid(""));
	CHECK(!router_pattern_valid("//x"));
	CHECK(!router_pattern_valid("/v1/{}"));
	CHECK(!router_pattern_valid("/v1/x{id}"));
	CHECK(!router_pattern_valid("/v1/{id}x"));
	CHECK(!router_pattern_valid("/v1/{id"));
	CHECK(!router_pattern_valid("/v1/id}"));
	CHECK(!router_pattern_valid("/v1/{Id}"));
	CHECK(!router_pattern_valid("/v1/{a}/{b}"));
}

/* Every row of the real table is well formed, unique, and found by itself. */
TEST(real_table_is_consistent)
{
	for (size_t i = 0; i < routes_len; i++) {
		char path[256], p[ROUTER_PARAM_MAX], al[ROUTER_ALLOW_MAX];
		const char *brace = strchr(routes[i].pattern, '{');

		CHECK(router_pattern_valid(routes[i].pattern));
		CHECK(routes[i].fn != NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(routes[i].method, routes[j].method) != 0 ||
			      strcmp(routes[i].pattern, routes[j].pattern) != 0);
		if (brace == NULL) {
			snprintf(path, sizeof(path), "%s", routes[i].pattern);
		} else {
			snprintf(path, sizeof(path), "%.*s0b5e3c1a-5c2d-4b8e-9f00-1a2b3c4d5e6f%s",
				 (int)(brace - routes[i].pattern), routes[i].pattern,
				 strchr(brace, '}') + 1);
		}
		CHECK(router_find(routes, routes_len, routes[i].method, path, p, sizeof(p), al,
				  sizeof(al)) == &routes[i]);
	}
}

TEST(roles_are_least_privilege)
{
	/* a professional's route: any signed-in caller but an enrolling one */
	CHECK(route_role_allowed(ROUTE_AUTH, "professional"));
	CHECK(route_role_allowed(ROUTE_AUTH, "admin"));
	CHECK(!route_role_allowed(ROUTE_AUTH, "enrolling"));
	/* staff routes admit exactly the roles named */
	CHECK(route_role_allowed(ROUTE_ADMIN, "admin"));
	CHECK(!route_role_allowed(ROUTE_ADMIN, "reviewer"));
	CHECK(!route_role_allowed(ROUTE_ADMIN, "auditor"));
	CHECK(!route_role_allowed(ROUTE_ADMIN, "professional"));
	CHECK(!route_role_allowed(ROUTE_ADMIN, "enrolling"));
	CHECK(route_role_allowed(ROUTE_REVIEW, "reviewer"));
	CHECK(!route_role_allowed(ROUTE_REVIEW, "auditor"));
	CHECK(route_role_allowed(ROUTE_RECORDS, "auditor"));
	CHECK(!route_role_allowed(ROUTE_RECORDS, "reviewer"));
	CHECK(route_role_allowed(ROUTE_STAFF_SELF, "enrolling"));
	CHECK(route_role_allowed(ROUTE_STAFF_SELF, "auditor"));
	CHECK(!route_role_allowed(ROUTE_STAFF_SELF, "professional"));
	/* a professional's own records: no staff role, no enrolling one */
	CHECK(route_role_allowed(ROUTE_PROFESSIONAL, "professional"));
	CHECK(!route_role_allowed(ROUTE_PROFESSIONAL, "admin"));
	CHECK(!route_role_allowed(ROUTE_PROFESSIONAL, "reviewer"));
	CHECK(!route_role_allowed(ROUTE_PROFESSIONAL, "enrolling"));
	CHECK(!route_role_allowed(ROUTE_PROFESSIONAL | ROUTE_JSON, "auditor"));
	CHECK(!route_role_allowed(ROUTE_ADMIN, "Admin"));
	CHECK(!route_role_allowed(ROUTE_ADMIN, ""));
	CHECK(route_role_is_staff("auditor") && !route_role_is_staff("enrolling"));
	CHECK(!route_role_is_staff("professional"));
}

int main(void)
{
	RUN(exact_paths_match_their_method);
	RUN(param_segment_is_copied);
	RUN(unknown_path_is_404_with_empty_allow);
	RUN(known_path_other_method_lists_allow);
	RUN(hostile_segments_match_nothing);
	RUN(param_length_is_bounded);
	RUN(allow_list_is_cut_to_fit);
	RUN(pattern_rules);
	RUN(real_table_is_consistent);
	RUN(roles_are_least_privilege);
	return harness_done();
}
