/*
 * handlers.h - every route handler, one file per resource (h_*.c). Each
 * queues exactly one reply or suspends (see http.h).
 */
#ifndef HCPD_HANDLERS_H
#define HCPD_HANDLERS_H

#include "http.h"

/* h_health.c */
enum MHD_Result h_healthz(struct req *r);
enum MHD_Result h_readyz(struct req *r);
enum MHD_Result h_metrics(struct req *r);

/* h_registrations.c */
enum MHD_Result h_registration_schema(struct req *r);
enum MHD_Result h_registration_create(struct req *r);

/* h_sessions.c */
enum MHD_Result h_session_create(struct req *r);
enum MHD_Result h_session_refresh(struct req *r);
enum MHD_Result h_session_delete(struct req *r);
enum MHD_Result h_jwks(struct req *r);

/* h_me.c */
enum MHD_Result h_me_get(struct req *r);
enum MHD_Result h_me_password(struct req *r);

/* h_email.c */
enum MHD_Result h_me_email_confirm(struct req *r);
enum MHD_Result h_email_confirmation(struct req *r);
enum MHD_Result h_me_email_resend(struct req *r);
enum MHD_Result h_email_confirmation_resend(struct req *r);
enum MHD_Result h_me_email_change(struct req *r);
enum MHD_Result h_email_change_cancel(struct req *r);

/* h_password_reset.c */
enum MHD_Result h_password_reset_request(struct req *r);
enum MHD_Result h_password_reset_confirm(struct req *r);

/* h_rectify.c */
enum MHD_Result h_me_patch(struct req *r);

/* h_accounts.c, h_account_actions.c */
enum MHD_Result h_accounts_search(struct req *r);
enum MHD_Result h_account_get(struct req *r);
enum MHD_Result h_account_action(struct req *r);

/* h_admins.c */
enum MHD_Result h_admins_list(struct req *r);
enum MHD_Result h_admins_create(struct req *r);
enum MHD_Result h_admins_disable(struct req *r);
enum MHD_Result h_admin_totp_begin(struct req *r);
enum MHD_Result h_admin_totp_confirm(struct req *r);

/* h_erasure.c */
enum MHD_Result h_me_delete(struct req *r);
enum MHD_Result h_admin_legal_hold_set(struct req *r);
enum MHD_Result h_admin_legal_hold_lift(struct req *r);

/* h_consents.c */
enum MHD_Result h_me_consents_get(struct req *r);
enum MHD_Result h_me_consents_put(struct req *r);
enum MHD_Result h_unsubscribe(struct req *r);
/* POST /v1/me/notice-acceptance: accepts the current notice version. */
enum MHD_Result h_me_notice_accept(struct req *r);

/* h_export.c */
enum MHD_Result h_me_export(struct req *r);
enum MHD_Result h_me_export_post(struct req *r);

/* h_restriction.c */
enum MHD_Result h_me_restriction_set(struct req *r);
enum MHD_Result h_me_restriction_lift(struct req *r);

/* h_admin.c */
enum MHD_Result h_admin_stats(struct req *r);

/* h_clients.c */
enum MHD_Result h_admin_clients_list(struct req *r);
enum MHD_Result h_admin_clients_create(struct req *r);
enum MHD_Result h_admin_client_revoke(struct req *r);
enum MHD_Result h_client_me(struct req *r);

/* h_marketing.c */
enum MHD_Result h_marketing_audience(struct req *r);
enum MHD_Result h_marketing_suppression(struct req *r);

/* h_unsubscribe_page.c */
enum MHD_Result h_unsubscribe_page(struct req *r);

/* h_recipients.c */
enum MHD_Result h_admin_recipient_suspend(struct req *r);
enum MHD_Result h_admin_recipient_resume(struct req *r);

/* h_disclosures.c */
enum MHD_Result h_me_disclosures(struct req *r);
enum MHD_Result h_admin_disclosures_list(struct req *r);
enum MHD_Result h_admin_disclosures_export(struct req *r);
/* h_reviews.c */
enum MHD_Result h_me_review_get(struct req *r);
enum MHD_Result h_me_review_respond(struct req *r);
enum MHD_Result h_review_list(struct req *r);
enum MHD_Result h_review_get(struct req *r);
enum MHD_Result h_review_decide(struct req *r);

/* h_documents.c */
enum MHD_Result h_me_documents_list(struct req *r);
enum MHD_Result h_me_document_upload(struct req *r);
enum MHD_Result h_me_document_get(struct req *r);
enum MHD_Result h_me_document_delete(struct req *r);
enum MHD_Result h_admin_document_get(struct req *r);

/* h_audit.c */
/* GET /v1/admin/verifiers: each loaded verifier's health (h_verifiers.c). */
enum MHD_Result h_admin_verifiers(struct req *r);

enum MHD_Result h_admin_audit(struct req *r);

/* h_webhooks.c */
enum MHD_Result h_admin_webhook_deliveries(struct req *r);
enum MHD_Result h_admin_releases(struct req *r);

/* h_enrolments.c, h_completions.c: activities and enrolment (issue 25) */
enum MHD_Result h_activity_preview(struct req *r);
enum MHD_Result h_me_enrolments(struct req *r);
enum MHD_Result h_me_enrol(struct req *r);
enum MHD_Result h_me_enrolment_withdraw(struct req *r);
enum MHD_Result h_activity_completion(struct req *r);

/* h_admin_page.c */
enum MHD_Result h_admin_page_index(struct req *r);
enum MHD_Result h_admin_page_file(struct req *r);
enum MHD_Result h_account_page(struct req *r);

#endif
