/*
 * largebody.c - documents in memory (see largebody.h). Owns the count of
 * places taken, process-wide (every listener's requests together: memory
 * is the process's), and the large reply buffers until libmicrohttpd is
 * done with them.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "largebody.h"
#include "problem.h"

static atomic_int held; /* places taken: raw bodies and large replies */

/* A large reply's buffer, and its length for the wipe. */
struct large_body {
	size_t len;
	unsigned char data[];
};

static bool place_take(void)
{
	if (atomic_fetch_add(&held, 1) < HTTP_LARGE_MAX)
		return true;
	atomic_fetch_sub(&held, 1);
	return false;
}

static void place_give(void)
{
	atomic_fetch_sub(&held, 1);
}

/* Frees a large reply (libmicrohttpd's callback once it is sent). */
static void large_free(void *cls)
{
	struct large_body *b = cls;

	if (b == NULL)
		return;
	explicit_bzero(b->data, b->len);
	free(b);
	place_give();
}

bool largebody_begin(struct req *r, size_t cap)
{
	if (!place_take())
		return false;
	r->holds_place = true;
	r->body_cap = cap;
	return true;
}

/* Gives back a raw body's place, its bytes wiped and freed. */
static void raw_release(struct req *r)
{
	if (!r->holds_place)
		return;
	if (r->body != NULL)
		explicit_bzero(r->body, r->body_len);
	free(r->body);
	r->body = NULL;
	r->holds_place = false;
	place_give();
}

bool largebody_piece(struct req *r, const char *data, size_t n)
{
	bool paced;

	if (r->body_too_big || r->body_nomem)
		return false;
	if (r->body_len + n > r->body_cap) {
		raw_release(r);
		r->body_too_big = true;
		http_add_header(r, "Connection", "close");
		return false;
	}
	if (r->body == NULL && (r->body = malloc(r->body_cap)) == NULL) {
		raw_release(r);
		r->body_nomem = true; /* answered 503 once the body is in */
		http_add_header(r, "Connection", "close");
		return false;
	}
	memcpy(r->body + r->body_len, data, n);
	paced = (r->body_len + n) / HTTP_UPLOAD_PACE > r->body_len / HTTP_UPLOAD_PACE;
	r->body_len += n;
	return paced;
}

void largebody_release(struct req *r)
{
	raw_release(r);
	large_free(r->large);
	r->large = NULL;
}

enum err largebody_buffer(struct req *r, size_t len, unsigned char **ret_buf)
{
	struct large_body *b;

	if (r->large != NULL || len > HTTP_UPLOAD_MAX)
		return ERR_INTERNAL;
	if (!place_take())
		return ERR_BUSY;
	b = malloc(sizeof(*b) + len);
	if (b == NULL) {
		place_give();
		return ERR_NOMEM;
	}
	b->len = len;
	r->large = b;
	*ret_buf = b->data;
	return ERR_OK;
}

enum MHD_Result largebody_reply(struct req *r, unsigned status, const char *ctype)
{
	struct large_body *b = r->large;

	if (b == NULL)
		return problem_from_err(r, ERR_INTERNAL); /* no largebody_buffer() */
	r->large = NULL; /* http_reply_with() frees it, now or once it is sent */
	return http_reply_with(r, status, ctype, b->data, b->len, large_free, b);
}
