/*
 * accountview.h - what an admin sees of one account in the admin console
 * (h_accounts.c): the review item's parts (profile, verifications with
 * evidence, disclosures, decisions, answers) for any status, with the
 * status history (actor and note of each change), consents, restriction,
 * legal hold and sessions. The view and the actions (h_account_actions.c)
 * build it the same way, so an action's If-Match names what was read.
 */
#ifndef HCPD_ACCOUNTVIEW_H
#define HCPD_ACCOUNTVIEW_H

#include <jansson.h>
#include <libpq-fe.h>

#include "http.h"
#include "review.h"
#include "reviews.h"

/* Builds the view of account r->param in the transaction open on conn,
 * with its data key key opened before it (NULL once erased: nulls).
 * rows keeps what was read (release with review_rows_release()).
 * *ret_etag covers everything but waiting_seconds. ERR_NOT_FOUND when no
 * professional has that id. Holds personal values: never log it. Blocks. */
enum err account_view_build(struct req *r, PGconn *conn, const unsigned char *key,
			    struct review_rows *rows, json_t **ret_body,
			    char ret_etag[REVIEW_ETAG_LEN]);

#endif
