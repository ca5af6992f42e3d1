/*
 * linkreq.h - the two shapes of request around a mailed link (issue 20),
 * one place for each: a body that carries the link's token, and a mail
 * asked for by address without signing in (a password reset, a lost
 * confirmation), which answers the same 202 after the same work (one
 * statement, db_outbox_notice_by_email()) whether or not the address has
 * an account.
 */
#ifndef HCPD_LINKREQ_H
#define HCPD_LINKREQ_H

#include <jansson.h>

#include "http.h"
#include "outbox.h"

#define LINKREQ_TOKEN_MAX 128 /* characters of a token in a body; a real one has 43 */

/* Checks r->json against keys (NULL-terminated; keys[0] is "token", each
 * a string) and hashes the token into ret_hash (tokens are only ever
 * looked up by SHA-256). Problems go to errors, for a 422; ERR_NOMEM when
 * they could not all be recorded. */
enum err linkreq_token(struct req *r, const char *const *keys, json_t *errors,
		       unsigned char ret_hash[32]);

/* {"email"}: queues a mail of kind to the account with that address, if
 * any, within cap (db_outbox_notice_by_email()), and answers 202 with no
 * body either way; a malformed body or address is a 422 (it says nothing
 * of any account). Blocks on the database. */
enum MHD_Result linkreq_mail_by_email(struct req *r, const char *kind,
				      const struct notice_cap *cap);

#endif
