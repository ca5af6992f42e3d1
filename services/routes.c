/*
 * routes.c - the route table, in openapi.yaml's order. Adding an endpoint
 * is one line here, its handler, and its description in openapi.yaml.
 */
#include "handlers.h"

const struct route routes[] = {
	{"GET", "/healthz", h_healthz, 0},
	{"GET", "/readyz", h_readyz, 0},
	{"GET", "/metrics", h_metrics, 0},
	{"GET", "/v1/registration/schema", h_registration_schema, 0},
	{"POST", "/v1/registrations", h_registration_create, ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/sessions", h_session_create, ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/sessions/refresh", h_session_refresh, ROUTE_JSON},
	{"DELETE", "/v1/sessions/current", h_session_delete, ROUTE_AUTH},
	{"GET", "/.well-known/jwks.json", h_jwks, 0},
	{"GET", "/v1/me", h_me_get, ROUTE_AUTH},
	{"PATCH", "/v1/me/password", h_me_password, ROUTE_AUTH | ROUTE_JSON},
	{"POST", "/v1/me/email/confirm", h_me_email_confirm, ROUTE_AUTH | ROUTE_JSON},
	{"GET", "/v1/admin/stats", h_admin_stats, ROUTE_ADMIN},
	{"GET", "/v1/me/disclosures", h_me_disclosures, ROUTE_AUTH},
	{"GET", "/v1/admin/disclosures", h_admin_disclosures_list, ROUTE_ADMIN},
	{"POST", "/v1/admin/disclosures", h_admin_disclosures_export, ROUTE_ADMIN | ROUTE_JSON},
};

const size_t routes_len = sizeof(routes) / sizeof(routes[0]);
