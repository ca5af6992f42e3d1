/*
 * largebody.h - documents in memory (issue 19, issue 23): a ROUTE_RAW
 * request's body as it arrives, and a large reply until it is sent. At
 * most HTTP_LARGE_MAX of them are held at once in the process, each of at
 * most HTTP_UPLOAD_MAX bytes, and each is wiped when freed (a document is
 * personal data). http.c calls the body half as the body arrives and when
 * the request ends; handlers call the reply half.
 */
#ifndef HCPD_LARGEBODY_H
#define HCPD_LARGEBODY_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "http.h"

/* Takes one of the HTTP_LARGE_MAX places for the raw body about to come
 * to r, of at most cap bytes. false when every place is taken (answer
 * 503). Thread-safe. */
bool largebody_begin(struct req *r, size_t cap);

/* Keeps the next n bytes of r's raw body in r->body, allocated at the
 * first piece as large as the cap (pages not yet written cost no memory).
 * true when the body has just passed a multiple of HTTP_UPLOAD_PACE (its
 * deadline may start again). A body that outgrows its cap, or finds no
 * memory, is dropped and its place given back (r->body_too_big or
 * r->body_nomem, "Connection: close" added); later pieces are dropped. */
bool largebody_piece(struct req *r, const char *data, size_t n);

/* Gives back what r holds: its raw body's place and a large reply never
 * sent, wiped and freed. Accepts a request holding neither. */
void largebody_release(struct req *r);

/* A buffer of len bytes (at most HTTP_UPLOAD_MAX) for a large reply
 * such as a document, owned by the request, into *ret_buf; one per
 * request. ERR_BUSY when HTTP_LARGE_MAX documents are in memory already
 * (answer 503), ERR_NOMEM. largebody_reply() sends it; otherwise it is
 * wiped and freed when the request ends. */
enum err largebody_buffer(struct req *r, size_t len, unsigned char **ret_buf);

/* Queues the request's largebody_buffer() as the reply's body; once it
 * is sent (or the connection closes) it is wiped and freed, and its place
 * given back. */
enum MHD_Result largebody_reply(struct req *r, unsigned status, const char *ctype);

#endif
