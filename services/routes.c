/*
 * routes.c - the route tables, in openapi.yaml's order: the API's, and
 * the metrics listener's (openapi.yaml marks /metrics with that server).
 * Adding an endpoint is one line here, its handler, and its description
 * in openapi.yaml. A row's role flags (router.h) are the endpoint's
 * permissions, the one place they are said: openapi.yaml's x-hcpd-role
 * lists the same roles, and tests/integration/test_asvs.py holds the two
 * to each other.
 */
#include "handlers.h"

const struct route routes[] = {
	{"GET", "/healthz", h_healthz, 0},
	{"GET", "/readyz", h_readyz, 0},
	{"GET", "/v1/registration/schema", h_registration_schema, 0},
	{"POST", "/v1/registrations", h_registration_create, ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/sessions", h_session_create, ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/sessions/refresh", h_session_refresh, ROUTE_JSON},
	{"DELETE", "/v1/sessions/current", h_session_delete, ROUTE_AUTH},
	{"GET", "/.well-known/jwks.json", h_jwks, 0},
	{"GET", "/v1/me", h_me_get, ROUTE_AUTH},
	{"PATCH", "/v1/me", h_me_patch, ROUTE_AUTH | ROUTE_JSON},
	{"DELETE", "/v1/me", h_me_delete, ROUTE_AUTH | ROUTE_JSON | ROUTE_LIMITED},
	{"PATCH", "/v1/me/password", h_me_password, ROUTE_AUTH | ROUTE_JSON | ROUTE_LIMITED},
	{"PUT", "/v1/me/email", h_me_email_change, ROUTE_AUTH | ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/me/email/confirm", h_me_email_confirm, ROUTE_AUTH | ROUTE_JSON},
	{"POST", "/v1/me/email/confirmation", h_me_email_resend, ROUTE_AUTH},
	{"POST", "/v1/me/notice-acceptance", h_me_notice_accept, ROUTE_AUTH | ROUTE_JSON},
	{"POST", "/v1/email-confirmations", h_email_confirmation, ROUTE_JSON},
	{"POST", "/v1/email-confirmations/resend", h_email_confirmation_resend,
	 ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/email-changes/cancel", h_email_change_cancel, ROUTE_JSON},
	{"POST", "/v1/password-resets", h_password_reset_request, ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/password-resets/confirm", h_password_reset_confirm,
	 ROUTE_JSON | ROUTE_LIMITED},
	{"GET", "/v1/me/review", h_me_review_get, ROUTE_PROFESSIONAL},
	{"POST", "/v1/me/review-response", h_me_review_respond, ROUTE_PROFESSIONAL | ROUTE_JSON},
	{"GET", "/v1/me/documents", h_me_documents_list, ROUTE_PROFESSIONAL},
	{"POST", "/v1/me/documents", h_me_document_upload,
	 ROUTE_PROFESSIONAL | ROUTE_RAW | ROUTE_LIMITED},
	{"GET", "/v1/me/documents/{id}", h_me_document_get, ROUTE_PROFESSIONAL},
	{"DELETE", "/v1/me/documents/{id}", h_me_document_delete, ROUTE_PROFESSIONAL},
	{"GET", "/v1/me/consents", h_me_consents_get, ROUTE_PROFESSIONAL},
	{"PUT", "/v1/me/consents", h_me_consents_put, ROUTE_PROFESSIONAL | ROUTE_JSON},
	{"GET", "/v1/me/export", h_me_export, ROUTE_AUTH},
	{"POST", "/v1/me/export", h_me_export_post, ROUTE_AUTH | ROUTE_JSON | ROUTE_LIMITED},
	{"POST", "/v1/me/restriction", h_me_restriction_set, ROUTE_PROFESSIONAL},
	{"DELETE", "/v1/me/restriction", h_me_restriction_lift, ROUTE_PROFESSIONAL},
	{"GET", "/v1/activities/{id}/enrolment-preview", h_activity_preview, ROUTE_PROFESSIONAL},
	{"GET", "/v1/me/enrolments", h_me_enrolments, ROUTE_PROFESSIONAL},
	{"POST", "/v1/me/enrolments", h_me_enrol, ROUTE_PROFESSIONAL | ROUTE_JSON},
	{"DELETE", "/v1/me/enrolments/{id}", h_me_enrolment_withdraw, ROUTE_PROFESSIONAL},
	{"POST", "/v1/activities/{id}/completions", h_activity_completion,
	 ROUTE_ACTIVITY_SYSTEM | ROUTE_JSON},
	{"POST", "/v1/unsubscribe/{token}", h_unsubscribe, 0},
	{"GET", "/v1/unsubscribe/{token}", h_unsubscribe_page, 0},
	{"POST", "/v1/admin/accounts/{id}/legal-hold", h_admin_legal_hold_set,
	 ROUTE_ADMIN | ROUTE_JSON},
	{"DELETE", "/v1/admin/accounts/{id}/legal-hold", h_admin_legal_hold_lift, ROUTE_ADMIN},
	{"GET", "/v1/admin/stats", h_admin_stats, ROUTE_RECORDS},
	{"GET", "/v1/admin/verifiers", h_admin_verifiers, ROUTE_RECORDS},
	{"GET", "/v1/me/disclosures", h_me_disclosures, ROUTE_AUTH},
	{"GET", "/v1/admin/reviews", h_review_list, ROUTE_REVIEW},
	{"GET", "/v1/admin/reviews/{id}", h_review_get, ROUTE_REVIEW},
	{"POST", "/v1/admin/reviews/{id}/decision", h_review_decide, ROUTE_REVIEW | ROUTE_JSON},
	{"GET", "/v1/admin/documents/{id}", h_admin_document_get, ROUTE_REVIEW},
	{"GET", "/v1/admin/audit", h_admin_audit, ROUTE_RECORDS},
	{"GET", "/admin", h_admin_page_index, 0},
	{"GET", "/admin/", h_admin_page_index, 0},
	{"GET", "/admin/{file}", h_admin_page_file, 0},
	{"GET", "/account/{page}", h_account_page, 0},
	{"GET", "/v1/admin/disclosures", h_admin_disclosures_list, ROUTE_RECORDS},
	{"POST", "/v1/admin/disclosures", h_admin_disclosures_export, ROUTE_ADMIN | ROUTE_JSON},
	{"POST", "/v1/admin/recipients/{name}/suspension", h_admin_recipient_suspend,
	 ROUTE_ADMIN | ROUTE_JSON},
	{"DELETE", "/v1/admin/recipients/{name}/suspension", h_admin_recipient_resume, ROUTE_ADMIN},
	{"GET", "/v1/admin/webhooks/deliveries", h_admin_webhook_deliveries, ROUTE_ADMIN},
	{"GET", "/v1/admin/releases", h_admin_releases, ROUTE_ADMIN},
	{"GET", "/v1/admin/admins", h_admins_list, ROUTE_ADMIN},
	{"POST", "/v1/admin/admins", h_admins_create, ROUTE_ADMIN | ROUTE_JSON},
	{"POST", "/v1/admin/admins/{id}/disable", h_admins_disable, ROUTE_ADMIN},
	{"GET", "/v1/admin/accounts", h_accounts_search, ROUTE_REVIEW},
	{"GET", "/v1/admin/accounts/{id}", h_account_get, ROUTE_REVIEW},
	{"POST", "/v1/admin/accounts/{id}/actions", h_account_action, ROUTE_ADMIN | ROUTE_JSON},
	{"GET", "/v1/admin/clients", h_admin_clients_list, ROUTE_ADMIN},
	{"POST", "/v1/admin/clients", h_admin_clients_create, ROUTE_ADMIN | ROUTE_JSON},
	{"POST", "/v1/admin/clients/{id}/revoke", h_admin_client_revoke, ROUTE_ADMIN},
	{"GET", "/v1/client", h_client_me, ROUTE_CLIENT_ROLES},
	{"POST", "/v1/marketing/audience", h_marketing_audience,
	 ROUTE_MARKETING_SENDER | ROUTE_JSON},
	{"GET", "/v1/marketing/suppression", h_marketing_suppression, ROUTE_MARKETING_SENDER},
	{"POST", "/v1/admin/me/totp", h_admin_totp_begin, ROUTE_STAFF_SELF},
	{"POST", "/v1/admin/me/totp/confirm", h_admin_totp_confirm, ROUTE_STAFF_SELF | ROUTE_JSON},
};

const size_t routes_len = sizeof(routes) / sizeof(routes[0]);

/* Not on the public port: the metrics move with what the public does
 * (accounts by status), so they would answer "has this email an account?" */
const struct route ops_routes[] = {
	{"GET", "/healthz", h_healthz, 0},
	{"GET", "/metrics", h_metrics, 0},
};

const size_t ops_routes_len = sizeof(ops_routes) / sizeof(ops_routes[0]);
