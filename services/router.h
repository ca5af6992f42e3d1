/*
 * router.h - the route table's types and the matcher that picks a route
 * for a request's method and path.
 *
 * router_find() is pure: it reads the table and its arguments and writes
 * only its outputs (no allocation, no globals, no I/O), so it is
 * unit-tested (tests/unit/test_router.c) and fuzzed (tests/fuzz/fuzz_router.c)
 * directly. http.c calls it once per request.
 */
#ifndef HCPD_ROUTER_H
#define HCPD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>

struct req;

typedef enum MHD_Result (*route_fn)(struct req *r);

/* Who may call a route is said by its flags alone, in the one table
 * (routes.c): a route with any of the role flags is for staff, and a
 * caller's token must carry one of the roles it names (403 otherwise).
 * The roles are least privilege (issue 21): an admin does everything; a
 * reviewer works the review queue and views and finds accounts; an
 * auditor reads the audit log, the ledger and the statistics; a token
 * of role "enrolling" (a staff member who must enrol a second factor
 * first, HCPD_ADMIN_TOTP_REQUIRED) reaches the enrolment routes only. */
enum route_flags {
	ROUTE_JSON = 1 << 0,      /* requires an application/json object body */
	ROUTE_AUTH = 1 << 1,      /* requires a valid access token of a live session */
	ROUTE_ADMIN = 1 << 2,     /* role admin may call it (implies AUTH) */
	ROUTE_LIMITED = 1 << 3,   /* counts against HCPD_RATE_LIMIT_PER_ADDRESS */
	ROUTE_RAW = 1 << 4,       /* the body is a document of up to HTTP_UPLOAD_MAX bytes, kept
				     as sent in r->body; the caller is admitted (limit, token)
				     before a byte of it is read */
	ROUTE_REVIEWER = 1 << 5,  /* role reviewer may call it (implies AUTH) */
	ROUTE_AUDITOR = 1 << 6,   /* role auditor may call it (implies AUTH) */
	ROUTE_ENROLLING = 1 << 7, /* role enrolling may call it (implies AUTH) */
	/* service clients (clients.h), by API key, never a session's token */
	ROUTE_MARKETING_SENDER = 1 << 8, /* a client of role marketing_sender may call it */
	ROUTE_ACTIVITY_SYSTEM = 1 << 9,  /* a client of role activity_system may call it */
	/* only a professional, about their own verification, documents,
	 * consents or enrolments: staff get 403 (implies AUTH) */
	ROUTE_PROFESSIONAL = 1 << 10,
};

#define ROUTE_CLIENT_ROLES (ROUTE_MARKETING_SENDER | ROUTE_ACTIVITY_SYSTEM)

#define ROUTE_STAFF_ROLES (ROUTE_ADMIN | ROUTE_REVIEWER | ROUTE_AUDITOR | ROUTE_ENROLLING)
/* the review queue and the account view: admins and reviewers */
#define ROUTE_REVIEW (ROUTE_ADMIN | ROUTE_REVIEWER)
/* read-only records (audit log, ledger, statistics): admins and auditors */
#define ROUTE_RECORDS (ROUTE_ADMIN | ROUTE_AUDITOR)
/* a staff member's own second factor: every staff role */
#define ROUTE_STAFF_SELF ROUTE_STAFF_ROLES
/* a route with one of these admits only the session roles it names */
#define ROUTE_SESSION_ROLES (ROUTE_STAFF_ROLES | ROUTE_PROFESSIONAL)

struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/v1/registrations"; a "{id}" segment matches one segment */
	route_fn fn;         /* the handler */
	unsigned flags;      /* enum route_flags */
};

/* The route table (routes.c), in openapi.yaml's order. */
extern const struct route routes[];
extern const size_t routes_len;

/* The metrics listener's routes (routes.c): GET /metrics and /healthz. */
extern const struct route ops_routes[];
extern const size_t ops_routes_len;

#define ROUTER_PARAM_MAX 64 /* a "{...}" segment, NUL included */
#define ROUTER_ALLOW_MAX 64 /* the Allow list of a 405, NUL included */

/* Finds the route of table (n rows) for method and path. A pattern's
 * "{...}" segment matches one segment of 1 to param_len - 1 URL-unreserved
 * characters (A-Z a-z 0-9 - . _ ~) other than "." and ".."; anything else
 * in it (an encoded slash, a NUL, a space, percent signs) matches no route.
 * Every other character must match exactly.
 *
 * Returns the route and copies its "{...}" segment (or "") into param.
 * When no row matches the path, returns NULL with allow "". When rows
 * match the path but none the method, returns NULL with their methods,
 * comma-separated, in allow (for a 405's Allow header; methods that do not
 * fit in allow_len are left out). param and allow are always
 * NUL-terminated; param_len and allow_len must be at least 1. */
const struct route *router_find(const struct route *table, size_t n, const char *method,
				const char *path, char *param, size_t param_len, char *allow,
				size_t allow_len);

/* May a caller whose token has role (a "role" claim) call a route of
 * flags? A route without role flags admits any signed-in caller but an
 * "enrolling" one (whose session is good for enrolment only); a route
 * with them admits exactly the roles they name. Pure. */
bool route_role_allowed(unsigned flags, const char *role);

/* Is role a staff role ("admin", "reviewer", "auditor")? Pure. */
bool route_role_is_staff(const char *role);

/* Is pattern well formed: starts with '/', no "//", each "{...}" a whole
 * segment with a non-empty name of [a-z_], at most one of them (struct req
 * keeps one)? The unit test holds the route table to it. */
bool router_pattern_valid(const char *pattern);

#endif
