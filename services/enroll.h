/*
 * enroll.h - creates an account: new data key, personal fields sealed,
 * email indexed, account + consents (+ idempotency record) + its email
 * notice (a confirmation message, whose token the mailer mints when it
 * sends, or for a taken email an "already registered" message to the
 * owner; none for admins) stored in one transaction. Shared by POST /v1/registrations and `hcpd
 * admin create`.
 */
#ifndef HCPD_ENROLL_H
#define HCPD_ENROLL_H

#include <stdbool.h>
#include <jansson.h>

#include "accounts.h"
#include "err.h"

struct app;
struct audit_entry;

struct enrollment {
	const char *role;          /* "professional" or "admin" */
	const char *status;        /* the account's first status */
	const char *email;         /* validated */
	const char *password_hash; /* PHC string */
	json_t *personal;          /* personal profile fields (sealed here) */
	json_t *public;            /* other profile fields */
	const struct consent_row *consents;
	size_t nconsents;
	const struct idem *idem;     /* NULL without an Idempotency-Key */
	const struct job_spec *jobs; /* verification jobs to queue with the account */
	size_t njobs;
	/* with none queued, the first status change (account_new's), or a
	 * NULL reason for none */
	enum status_event unqueued_event;
	const char *unqueued_reason;
	const struct audit_entry *audit; /* appended in the same transaction, or NULL */
	const char *locale;              /* its language (an i18n tag), or NULL */
};

/* Stores e. *ret_duplicate tells that the email already had an account (no
 * account was made; ret_id is then an id with no account). With e->idem,
 * ERR_CONFLICT means the key was used for another request, and a replay
 * returns the earlier id. Blocks on the database. */
enum err enroll(struct app *app, const struct enrollment *e, bool *ret_duplicate,
		char ret_id[UUID_STR_LEN]);

#endif
