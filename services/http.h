/*
 * http.h - the HTTP core on libmicrohttpd: the per-request context and
 * the only functions that queue replies. Routes are matched by router.h.
 *
 * A handler is called once the whole body has arrived (capped at
 * HTTP_BODY_MAX, parsed into r->json for ROUTE_JSON routes) and must queue
 * exactly one reply through http_reply_*() or problem_*(), or suspend the
 * connection with http_suspend(); after http_resume() it is called again
 * with the same request and r->state it left there.
 *
 * Documents (ROUTE_RAW uploads, and the large replies that send them back)
 * are the only bodies bigger than HTTP_BODY_MAX. A raw route is matched,
 * its caller counted against the per-address limit and authenticated as
 * soon as the head is in, before a byte of the body is read; a
 * Content-Length over HTTP_UPLOAD_MAX is refused then, and a chunked body
 * is dropped as it passes the cap (its remaining bytes are read and thrown
 * away within the body's deadline, then 413 and the connection closed).
 * largebody.h keeps the body: each document in memory takes one of
 * HTTP_LARGE_MAX places in the process, so memory stays bounded however
 * many clients send or fetch them at once.
 */
#ifndef HCPD_HTTP_H
#define HCPD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>
#include <jansson.h>

#include "err.h"
#include "jwtkeys.h"
#include "netaddr.h"
#include "router.h"

#define HTTP_BODY_MAX    (64 * 1024)        /* request bodies; larger is 413 */
#define HTTP_JSON_DEPTH  16                 /* nesting of request JSON; deeper is 400 */
#define HTTP_MAX_HEADERS 8                  /* extra reply headers per request */
#define HTTP_UPLOAD_MAX  (10 * 1024 * 1024) /* a ROUTE_RAW body (a document); larger is 413 */
/* A raw body's deadline (HCPD_REQUEST_DEADLINE_SECONDS) starts again with
 * each HTTP_UPLOAD_PACE bytes received: 1 MiB in 10 s (100 KiB/s, a slow
 * mobile uplink) keeps an upload going, a trickle does not. */
#define HTTP_UPLOAD_PACE (1024 * 1024)
/* Documents held in memory at once, uploads being received and large
 * replies being sent together; one more gets 503 with Retry-After. Each
 * costs at most HTTP_UPLOAD_MAX (and a raw body's handler a little more). */
#define HTTP_LARGE_MAX 8

struct app;

struct http_server;

struct req {
	struct app *app;
	const struct http_server *server; /* the listener it came to */
	struct MHD_Connection *conn;
	const struct route *route;    /* NULL until matched */
	const char *method;           /* borrowed from libmicrohttpd */
	char id[33];                  /* request id: 32 hex characters */
	char param[ROUTER_PARAM_MAX]; /* the "{id}" path segment, if the route has one */
	long long start_ns;
	char *body; /* the raw body: at most HTTP_BODY_MAX and NUL-terminated, or for
		       ROUTE_RAW at most HTTP_UPLOAD_MAX, as sent (no NUL added) */
	size_t body_len;
	size_t body_cap; /* ROUTE_RAW: the bytes r->body can hold */
	bool body_too_big;
	bool framing_conflict;  /* Content-Length and Transfer-Encoding both: refused, closed */
	bool body_nomem;        /* the body could not be stored: 503 once it is in */
	json_t *json;           /* the parsed body (ROUTE_JSON), owned */
	struct jwt_claims auth; /* the caller (ROUTE_AUTH), else zeroed */
	bool admitted;          /* route, per-address limit and token checked (once) */
	bool holds_place;       /* a raw body holds one of the HTTP_LARGE_MAX places */
	void *large;            /* largebody_buffer()'s, until largebody_reply() sends it */
	unsigned status;        /* the status queued, for the access log */
	const char *lang; /* http_lang()'s answer once asked (the reply has text), else NULL */
	bool suspended;
	void *state; /* a handler's own state across suspend/resume */
	void (*state_free)(void *state);
	struct {
		const char *name;
		char value[256];
	} headers[HTTP_MAX_HEADERS];
	int nheaders;
#ifdef HCPD_ALLOC_FAIL
	bool alloc_armed; /* this request armed allocfail (see allocfail.h) */
#endif
};

/* Adds a header to the reply about to be queued (Location, Retry-After...).
 * name must be a string literal or otherwise outlive the request. */
void http_add_header(struct req *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Queues body serialized as application/json (or ctype if non-NULL).
 * Steals the reference to body. */
enum MHD_Result http_reply_json(struct req *r, unsigned status, json_t *body, const char *ctype);

/* Queues len bytes of a static or long-lived buffer (not copied). */
enum MHD_Result http_reply_static(struct req *r, unsigned status, const char *ctype,
				  const char *body, size_t len);

/* Queues a malloc'd buffer, which libmicrohttpd frees. */
enum MHD_Result http_reply_owned(struct req *r, unsigned status, const char *ctype, char *body,
				 size_t len);

/* The caller's address (NETADDR_LEN bytes, netaddr.h) for per-address
 * limits: the socket's peer or, when that is a trusted proxy, the hop its
 * forwarding header names (netaddr_client(): the rightmost untrusted
 * one). */
void http_client(struct req *r, unsigned char ret[NETADDR_LEN]);
/* Queues len bytes of body (not copied) and calls done(cls) once they are
 * sent or the connection is closed, instead of freeing them; when no reply
 * can be made, calls done(cls) at once and queues a 503. */
enum MHD_Result http_reply_with(struct req *r, unsigned status, const char *ctype, void *body,
				size_t len, void (*done)(void *cls), void *cls);

/* The language of the reply's text (an i18n.h tag, static), negotiated
 * from Accept-Language on the first call; from then on the reply says
 * Content-Language and Vary: Accept-Language (issue 24). Call it for
 * every reply that carries words a person reads. */
const char *http_lang(struct req *r);

/* A request header's value, or NULL. Borrowed for the request's life. */
const char *http_header(struct req *r, const char *name);

/* Reads the query string strictly: each parameter must be one of names
 * (NULL-terminated), appear at most once and have a non-empty value.
 * values[i] gets names[i]'s value or NULL when absent (borrowed for the
 * request's life). ERR_INVALID otherwise, with *ret_why naming the rule
 * broken (a static string that never quotes the request). */
enum err http_query(struct req *r, const char *const *names, const char **values,
		    const char **ret_why);

/* Parks the connection; another thread later calls http_resume(). */
void http_suspend(struct req *r);
void http_resume(struct req *r);

struct workpool;

/* Runs fn(arg) on pool with the connection parked; fn must end with
 * http_resume(r), and the handler is then called again. When the pool's
 * queue is full, replies 503 with Retry-After at once instead. */
enum MHD_Result http_park(struct req *r, struct workpool *pool, void (*fn)(void *arg), void *arg);

/* One listener: the API (HCPD_LISTEN, routes[]) or the metrics listener
 * (HCPD_METRICS_LISTEN, ops_routes[]: /metrics and /healthz for operators
 * and probes, never published). Both keep connguard.h's cap per address
 * and request deadlines (app->cfg). */
struct http_listener {
	const char *listen;         /* host:port or [v6]:port; must outlive the server */
	const struct route *routes; /* its route table */
	size_t nroutes;
	int threads;     /* server threads */
	bool observe;    /* count its requests in the metrics (the API's) */
	bool reuse_port; /* SO_REUSEPORT: other processes may listen on the same port */
};

/* Binds l->listen and starts serving l->routes on l->threads threads.
 * ERR_INVALID for a bad address, ERR_IO when it cannot bind, ERR_NOMEM. */
enum err http_start(struct app *app, const struct http_listener *l,
		    struct http_server **ret_server);

/* Stops listening: connecting is refused from now on. Requests on
 * connections already open are still served. */
void http_quiesce(struct http_server *server);

/* Waits until no request is open (each begun has had its reply sent, or
 * its connection closed), at most wait_ms. */
void http_drain(struct http_server *server, int wait_ms);

/* Stops accepting, closes connections, frees. Suspended connections must
 * have been resumed first (stop the workpool before this). Accepts NULL. */
void http_stop(struct http_server *server);

/* The port actually bound (useful with port 0). */
unsigned http_port(struct http_server *server);

#endif
