/*
 * h_documents.c - licence documents (issue 19): the professional uploads
 * proof of a licence (POST /v1/me/documents, the raw file as the body),
 * lists (GET /v1/me/documents), fetches (GET /v1/me/documents/{id}) and
 * deletes (DELETE /v1/me/documents/{id}) their own; admins fetch any
 * (GET /v1/admin/documents/{id}), each fetch written to the audit log in
 * the transaction that reads the document. The rules (types, chunks) are
 * document.h's.
 *
 * A document is only ever stored sealed with its account's data key, one
 * chunk at a time, so at most the body and one sealed chunk are in memory
 * (2 x HTTP_UPLOAD_MAX is the bound issue 23 sets, and this stays near
 * 1 x). The key is opened before any transaction (the keystore is another
 * database). A document is served as an attachment under a name of ours
 * (document-<id>.<ext>), never rendered: nosniff and a sandboxing CSP.
 * Nothing here logs; the access log names the route, never the id.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "document.h"
#include "documents.h"
#include "handlers.h"
#include "largebody.h"
#include "problem.h"
#include "reviews.h"
#include "validate.h"
#include "vault.h"

/* A document is data, never a page: no script, no plugin, no same origin. */
#define DOCUMENT_CSP "sandbox; default-src 'none'; frame-ancestors 'none'"

/* Seals the body chunk by chunk into document d (its row inserted first),
 * and lets it answer a request for a document; all in one transaction.
 * *ret_answered tells whether it answered one. */
static enum err store(struct req *r, PGconn *conn, const unsigned char key[CRYPTO_KEY_LEN],
		      const struct document_type *t, struct document_row *d, bool *ret_answered)
{
	enum err err = db_begin(conn);

	if (err == ERR_OK)
		err = db_document_insert(conn, d, DOCUMENTS_MAX);
	for (int seq = 0; err == ERR_OK && seq < d->chunks; seq++) {
		size_t off = (size_t)seq * DOCUMENT_CHUNK;
		size_t n = d->size - off < DOCUMENT_CHUNK ? d->size - off : DOCUMENT_CHUNK;
		char what[DOCUMENT_WHAT_LEN];
		unsigned char *sealed = NULL;
		size_t len = 0;

		document_chunk_what(what, d->id, t, seq, d->chunks);
		err = vault_seal(key, d->account_id, what, r->body + off, n, &sealed, &len);
		if (err == ERR_OK)
			err = db_document_chunk_put(conn, d->id, seq, sealed, len);
		free(sealed);
	}
	if (err == ERR_OK)
		err = db_review_answer(
			conn,
			&(struct review_answer){.account_id = d->account_id, .document_id = d->id},
			ret_answered);
	return db_end(conn, err);
}

enum MHD_Result h_me_document_upload(struct req *r)
{
	const struct document_type *t =
		r->body_len > 0 ? document_type_sniff(r->body, r->body_len) : NULL;
	struct document_row d = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	bool answered = false;
	json_t *body;
	PGconn *conn;
	enum err err;

	if (r->body_len == 0)
		return problem_send(r, 400, "bad-request",
				    "send the document (PDF, JPEG or PNG) as the request body");
	if (t == NULL)
		return problem_send(r, 415, "unsupported-media-type",
				    "a document must be a PDF, JPEG or PNG file");
	if (!document_type_agrees(t, http_header(r, "Content-Type")))
		return problem_send(r, 415, "unsupported-media-type",
				    "the Content-Type must name the file's type: application/pdf, "
				    "image/jpeg or image/png");
	err = crypto_uuid_v4(d.id);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	snprintf(d.account_id, sizeof(d.account_id), "%.36s", r->auth.sub); /* a UUID */
	snprintf(d.content_type, sizeof(d.content_type), "%s", t->content_type);
	d.size = r->body_len;
	d.chunks = document_chunks(d.size);
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err != ERR_OK)
		return problem_from_err(r, err);
	err = vault_account_key_by_id(r->app, conn, d.account_id, key);
	if (err == ERR_OK)
		err = store(r, conn, key, t, &d, &answered);
	explicit_bzero(key, sizeof(key));
	db_release(r->app->db, conn);
	if (err == ERR_TOO_BIG)
		return problem_send(r, 409, "conflict",
				    "an account holds at most 10 documents: delete one first");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	body = json_pack("{s:s, s:s, s:I, s:s, s:b}", "id", d.id, "content_type", d.content_type,
			 "size", (json_int_t)d.size, "uploaded_at", d.uploaded_at,
			 "answered_request", answered);
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	http_add_header(r, "Location", "/v1/me/documents/%s", d.id);
	return http_reply_json(r, 201, body, NULL);
}

enum MHD_Result h_me_documents_list(struct req *r)
{
	char *list = NULL;
	json_t *items;
	PGconn *conn;
	enum err err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK) {
		err = db_document_list(conn, r->auth.sub, &list);
		db_release(r->app->db, conn);
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	items = json_loads(list, 0, NULL);
	free(list);
	if (items == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return http_reply_json(r, 200, json_pack("{s:o}", "documents", items), NULL);
}

/* Opens every chunk of document d with key into buf (d->size bytes). */
static enum err open_chunks(PGconn *conn, const unsigned char key[CRYPTO_KEY_LEN],
			    const struct document_row *d, unsigned char *buf)
{
	const struct document_type *t = document_type_named(d->content_type);
	size_t off = 0;
	enum err err = t != NULL ? ERR_OK : ERR_DB;

	for (int seq = 0; err == ERR_OK && seq < d->chunks; seq++) {
		char what[DOCUMENT_WHAT_LEN], *plain = NULL;
		unsigned char *sealed = NULL;
		size_t len = 0, plain_len = 0;

		document_chunk_what(what, d->id, t, seq, d->chunks);
		err = db_document_chunk_get(conn, d->id, seq, &sealed, &len);
		if (err == ERR_OK)
			err = vault_open(key, d->account_id, what, sealed, len, &plain, &plain_len);
		if (err == ERR_OK && plain_len > d->size - off)
			err = ERR_CRYPTO;
		if (err == ERR_OK) {
			memcpy(buf + off, plain, plain_len);
			off += plain_len;
		}
		if (plain != NULL)
			explicit_bzero(plain, plain_len);
		free(plain);
		PQfreemem(sealed);
	}
	return err == ERR_OK && off != d->size ? ERR_CRYPTO : err;
}

/* Reads document r->param (the caller's own unless admin) into the
 * request's large buffer; an admin's read is audited in its transaction. */
static enum err fetch(struct req *r, PGconn *conn, bool admin, struct document_row *d)
{
	unsigned char key[CRYPTO_KEY_LEN], *buf = NULL;
	json_t *details = NULL;
	enum err err = db_document_get(conn, r->param, admin ? NULL : r->auth.sub, d);

	/* ERR_NOT_FOUND once the account is erased: its documents are gone */
	if (err == ERR_OK)
		err = vault_account_key_by_id(r->app, conn, d->account_id, key);
	if (err == ERR_OK)
		err = largebody_buffer(r, d->size, &buf);
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = open_chunks(conn, key, d, buf);
	if (err == ERR_OK && admin &&
	    (details = json_pack("{s:s, s:s, s:I}", "document_id", d->id, "content_type",
				 d->content_type, "size", (json_int_t)d->size)) == NULL)
		err = ERR_NOMEM;
	if (err == ERR_OK && admin)
		err = db_audit_append(conn, &(struct audit_entry){
						    .actor = r->auth.sub,
						    .action = "document.view",
						    .target = d->account_id,
						    .request_id = r->id,
						    .details = details,
					    });
	json_decref(details);
	explicit_bzero(key, sizeof(key));
	return db_end(conn, err);
}

/* GET of one document, as an attachment. */
static enum MHD_Result send_document(struct req *r, bool admin)
{
	static const char *const none[] = {NULL};
	struct document_row d = {0};
	const struct document_type *t;
	const char *why;
	PGconn *conn;
	enum err err;

	if (http_query(r, none, NULL, &why) != ERR_OK)
		return problem_send(r, 400, "bad-request", why);
	if (!validate_uuid(r->param))
		return problem_send(r, 404, "not-found", "no such document");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = fetch(r, conn, admin, &d);
		db_release(r->app->db, conn);
	}
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such document");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	t = document_type_named(d.content_type);
	http_add_header(r, "Content-Disposition", "attachment; filename=\"document-%s.%s\"", d.id,
			t->ext);
	http_add_header(r, "Content-Security-Policy", "%s", DOCUMENT_CSP);
	return largebody_reply(r, 200, t->content_type);
}

enum MHD_Result h_me_document_get(struct req *r)
{
	return send_document(r, false);
}

enum MHD_Result h_admin_document_get(struct req *r)
{
	return send_document(r, true);
}

enum MHD_Result h_me_document_delete(struct req *r)
{
	PGconn *conn;
	enum err err;

	if (!validate_uuid(r->param))
		return problem_send(r, 404, "not-found", "no such document");
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_document_delete(conn, r->param, r->auth.sub);
		db_release(r->app->db, conn);
	}
	if (err == ERR_NOT_FOUND)
		return problem_send(r, 404, "not-found", "no such document");
	if (err != ERR_OK)
		return problem_from_err(r, err);
	return http_reply_static(r, 204, NULL, "", 0);
}
