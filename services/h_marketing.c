/*
 * h_marketing.c - the marketing sender's API (issue 25 item 3), for a
 * service client of role marketing_sender (clients.h):
 * POST /v1/marketing/audience {"channel", "cursor"?, "limit"?} gives the
 * addresses a message on channel may go to now, each with the
 * List-Unsubscribe / List-Unsubscribe-Post values it must carry, and the
 * sender's postal address (HCPD_SENDER_POSTAL_ADDRESS, without which
 * nothing is released). Each address released is a disclosure to the
 * client's recipient (a processor of the recipients file named like the
 * client) under its terms, through the gate, in the ledger.
 * GET /v1/marketing/suppression?channel= gives the opted-out of a channel
 * as keyed hashes of their lower-cased addresses (HMAC-SHA-256 under a key
 * of that client, given with them), for third-party mailing lists: the
 * list's owner hashes its addresses and drops the matches. Audited.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "audience.h"
#include "audit.h"
#include "catalogue.h"
#include "crypto.h"
#include "db.h"
#include "handlers.h"
#include "jsonbody.h"
#include "ledger.h"
#include "marketing.h"
#include "problem.h"
#include "service_clients.h"
#include "validate.h"
#include "vault.h"

#define AUDIENCE_PAGE_MAX 100

/* One address of the page. */
struct reach {
	char id[UUID_STR_LEN];
	char *email; /* opened; wiped when freed */
	char list[MARKETING_HEADER_MAX], post[MARKETING_HEADER_MAX];
	enum gate_rule rule;
	long long disclosure_id;
};

/* Opens each account's address and makes its headers, outside any
 * transaction (the keystore is read); an account erased meanwhile is
 * left out (rule GATE_ERASED). */
static enum err open_reach(struct req *r, PGconn *conn, const char *channel, struct reach *p,
			   size_t n)
{
	enum err err = ERR_OK;

	for (size_t i = 0; i < n && err == ERR_OK; i++) {
		struct account_row row = {0};
		json_t *profile = NULL;

		err = db_account_get(conn, p[i].id, &row);
		if (err == ERR_OK)
			err = vault_open_profile(r->app, &row.sealed, NULL, &p[i].email, &profile);
		account_row_release(&row);
		json_decref(profile);
		if (err == ERR_OK)
			err = marketing_headers(r->app, conn, p[i].id, channel, p[i].list,
						p[i].post);
		if (err == ERR_NOT_FOUND) { /* erased since */
			p[i].rule = GATE_ERASED;
			err = ERR_OK;
		}
	}
	return err;
}

/* The gate and the ledger for every address: one transaction. */
static enum err release(struct req *r, PGconn *conn, const char *recipient, const char *channel,
			struct reach *p, size_t n)
{
	static const char *const fields[] = {"email"};
	enum err err = db_begin(conn);

	for (size_t i = 0; i < n && err == ERR_OK; i++) {
		struct disclosure_req d = {.subject = p[i].id,
					   .recipient = recipient,
					   .purpose = channel,
					   .fields = fields,
					   .nfields = 1,
					   .actor = r->auth.sub,
					   .request_id = r->id,
					   .notice_version =
						   catalogue_notice_version(r->app->catalogue)};

		if (p[i].email != NULL)
			err = ledger_disclose_id(conn, &d, &p[i].rule, &p[i].disclosure_id);
	}
	return db_end(conn, err);
}

/* The reply: the released addresses only. */
static json_t *reach_json(struct req *r, const char *channel, struct reach *p, size_t n,
			  const char *next)
{
	json_t *items = json_array();

	for (size_t i = 0; items != NULL && i < n; i++)
		if (p[i].email != NULL && p[i].rule == GATE_ALLOWED &&
		    json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:I}", "email",
							   p[i].email, "list_unsubscribe",
							   p[i].list, "list_unsubscribe_post",
							   p[i].post, "disclosure_id",
							   (json_int_t)p[i].disclosure_id)) != 0) {
			json_decref(items);
			items = NULL;
		}
	return json_pack("{s:s, s:s, s:o, s:s?}", "channel", channel, "postal_address",
			 r->app->cfg.sender_postal, "items", items, "next_cursor", next);
}

/* Reads and checks the request: channel, cursor, limit. */
static bool audience_args(struct req *r, const char **ret_channel, const char **ret_cursor,
			  size_t *ret_limit, enum MHD_Result *ret_reply)
{
	static const char *const keys[] = {"channel", "cursor", "limit", NULL};
	json_t *errors = json_array(), *limit = json_object_get(r->json, "limit");
	const char *cursor = json_string_value(json_object_get(r->json, "cursor"));

	if (errors == NULL) {
		*ret_reply = problem_from_err(r, ERR_NOMEM);
		return false;
	}
	json_body_check_keys(r->json, keys, errors);
	*ret_channel = json_string_value(json_object_get(r->json, "channel"));
	if (!marketing_channel_ok(r->app, *ret_channel))
		json_error_add(errors, "channel", "invalid", "must be a marketing_* channel");
	if (json_object_get(r->json, "cursor") != NULL &&
	    (cursor == NULL || !validate_uuid(cursor)))
		json_error_add(errors, "cursor", "invalid", "must be a next_cursor of a reply");
	if (limit != NULL && (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
			      json_integer_value(limit) > AUDIENCE_PAGE_MAX))
		json_error_add(errors, "limit", "invalid", "must be 1 to 100");
	*ret_cursor = cursor;
	*ret_limit = limit != NULL ? (size_t)json_integer_value(limit) : AUDIENCE_PAGE_MAX;
	return !problem_check_failed(r, ERR_OK, errors, ret_reply);
}

enum MHD_Result h_marketing_audience(struct req *r)
{
	struct reach *p = calloc(AUDIENCE_PAGE_MAX + 1, sizeof(*p));
	char ids[AUDIENCE_PAGE_MAX + 1][UUID_STR_LEN], role[24], name[64], next[UUID_STR_LEN] = "";
	const char *channel, *cursor;
	unsigned char hash[32];
	size_t limit = 0, n = 0;
	enum MHD_Result reply;
	json_t *body = NULL;
	PGconn *conn = NULL;
	enum err err;

	if (p == NULL)
		return problem_from_err(r, ERR_NOMEM);
	if (!audience_args(r, &channel, &cursor, &limit, &reply))
		goto out;
	if (r->app->cfg.sender_postal == NULL) {
		reply = problem_send(r, 409, "conflict",
				     "no marketing release without the sender's postal address "
				     "(HCPD_SENDER_POSTAL_ADDRESS)");
		goto out;
	}
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = db_client_live(conn, r->auth.sub, role, name, hash);
	if (err == ERR_OK)
		err = db_marketing_audience(conn, channel,
					    catalogue_notice_version(r->app->catalogue), cursor,
					    limit + 1, ids, &n);
	if (err == ERR_OK && n > limit) {
		snprintf(next, sizeof(next), "%s", ids[limit - 1]);
		n = limit;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(p[i].id, ids[i], UUID_STR_LEN);
	if (err == ERR_OK)
		err = open_reach(r, conn, channel, p, n);
	if (err == ERR_OK)
		err = release(r, conn, name, channel, p, n);
	db_release(r->app->db, conn);
	if (err == ERR_OK && (body = reach_json(r, channel, p, n, next[0] ? next : NULL)) == NULL)
		err = ERR_NOMEM;
	reply = err == ERR_OK ? http_reply_json(r, 200, body, NULL) : problem_from_err(r, err);
out:
	for (size_t i = 0; i < AUDIENCE_PAGE_MAX + 1; i++)
		vault_wipe_free(p[i].email);
	free(p);
	return reply;
}

/* The suppression list's key for client id: HMAC(suppress_key, id). */
static void client_suppress_key(const struct app *app, const char *id, unsigned char ret[32])
{
	crypto_hmac_sha256(app->suppress_key, id, strlen(id), ret);
}

/* Appends to hashes the keyed hash of each opted-out account's address
 * (lower-cased), opened outside any transaction; erased ones are skipped. */
static enum err suppress_hashes(struct req *r, PGconn *conn, const unsigned char key[32],
				char (*ids)[UUID_STR_LEN], size_t n, json_t *hashes)
{
	enum err err = ERR_OK;

	for (size_t i = 0; i < n && err == ERR_OK; i++) {
		struct account_row row = {0};
		json_t *profile = NULL;
		char *email = NULL, hex[65];
		unsigned char mac[32];

		err = db_account_get(conn, ids[i], &row);
		if (err == ERR_OK)
			err = vault_open_profile(r->app, &row.sealed, NULL, &email, &profile);
		account_row_release(&row);
		json_decref(profile);
		if (err == ERR_OK) {
			for (char *c = email; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			crypto_hmac_sha256_keyed(key, 32, email, strlen(email), mac);
			crypto_hex(mac, 32, hex);
			err = json_array_append_new(hashes, json_string(hex)) == 0 ? ERR_OK
										   : ERR_NOMEM;
		}
		vault_wipe_free(email);
		if (err == ERR_NOT_FOUND) /* erased since */
			err = ERR_OK;
	}
	return err;
}

enum MHD_Result h_marketing_suppression(struct req *r)
{
	static const char *const names[] = {"channel", "cursor", NULL};
	const char *values[2] = {NULL, NULL}, *why = "";
	char ids[AUDIENCE_PAGE_MAX + 1][UUID_STR_LEN], next[UUID_STR_LEN] = "", hex[65];
	json_t *hashes = json_array(), *details;
	unsigned char key[32];
	PGconn *conn = NULL;
	size_t n = 0;
	enum err err = hashes != NULL ? http_query(r, names, values, &why) : ERR_NOMEM;

	if (err == ERR_INVALID || (err == ERR_OK && (!marketing_channel_ok(r->app, values[0]) ||
						     (values[1] && !validate_uuid(values[1]))))) {
		json_decref(hashes);
		return problem_send(r, 400, "bad-request",
				    "channel must be a marketing_* channel, cursor a next_cursor");
	}
	if (err == ERR_OK)
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK)
		err = db_marketing_opted_out(conn, values[0], values[1], AUDIENCE_PAGE_MAX + 1, ids,
					     &n);
	if (err == ERR_OK && n > AUDIENCE_PAGE_MAX) {
		n = AUDIENCE_PAGE_MAX;
		memcpy(next, ids[n - 1], UUID_STR_LEN);
	}
	client_suppress_key(r->app, r->auth.sub, key);
	if (err == ERR_OK)
		err = suppress_hashes(r, conn, key, ids, n, hashes);
	details = json_pack("{s:s, s:I}", "channel", values[0] ? values[0] : "", "hashes",
			    (json_int_t)json_array_size(hashes));
	if (err == ERR_OK)
		err = db_audit_append(conn, &(struct audit_entry){.actor = r->auth.sub,
								  .action = "marketing.suppression",
								  .request_id = r->id,
								  .details = details});
	json_decref(details);
	db_release(r->app->db, conn);
	crypto_hex(key, 32, hex);
	explicit_bzero(key, sizeof(key));
	if (err != ERR_OK) {
		json_decref(hashes);
		return problem_from_err(r, err);
	}
	return http_reply_json(r, 200,
			       json_pack("{s:s, s:s, s:s, s:s, s:o, s:s?}", "channel", values[0],
					 "algorithm", "HMAC-SHA-256", "normalisation", "lower-case",
					 "key", hex, "hashes", hashes, "next_cursor",
					 next[0] ? next : NULL),
			       NULL);
}
