/*
 * http.c - libmicrohttpd glue. Owns the daemons (the API's and the
 * metrics listener's) and every struct req: one is created on a request's
 * first callback and freed in the completion callback, after the
 * access-log line. The access log holds method, route pattern, status and
 * timing - never the path, query, headers, body or client address.
 * Routes are matched by router.c; what a connection may hold (a cap per
 * address, deadlines for the head and body) is connguard.c's, told here
 * where each request stands.
 *
 * A ROUTE_RAW route is admitted as soon as its head is in, and its body
 * kept by largebody.c (documents in memory, counted and wiped there).
 *
 * Authentication is cheap when repeated: jwt_verify() remembers tokens it
 * has verified, and a session found live is trusted for
 * SESSION_LIVE_CACHE_MS (sessions.h). Any change an authenticated caller
 * makes (a non-GET that succeeds: sign-out, password change, erasure ...)
 * forgets its sessions' cached state before the reply goes out, so a
 * revocation it caused holds for its very next request.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "allocfail.h"
#include "app.h"
#include "clients.h"
#include "connguard.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "i18n.h"
#include "jsonbody.h"
#include "jsontext.h"
#include "largebody.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "problem.h"
#include "ratelimit.h"
#include "sessions.h"
#include "validate.h"
#include "workpool.h"

/* libmicrohttpd's memory per connection: request line, headers and its
 * buffers (bodies are copied out as they arrive). It zeroes the whole of
 * it for each request, so all of it is resident for every open
 * connection: 32 KiB (its default) holds a 20 KiB header, and 256
 * connections cost 8 MiB. */
#define HTTP_CONNECTION_MEMORY (32 * 1024)
#define HTTP_CONNECTION_LIMIT  4096 /* open connections, all clients together */
/* libmicrohttpd's timeout of silence, and the time a connection has for
 * its request line (connguard.h): what a kept-alive connection may idle */
#define HTTP_IDLE_SECONDS 30

struct http_server {
	struct MHD_Daemon *daemon;
	struct app *app;
	struct http_listener conf; /* the listener's settings (listen is borrowed) */
	struct connguard *guard;
	atomic_int open; /* requests begun and not yet completed */
};

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void http_add_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (r->nheaders == HTTP_MAX_HEADERS)
		return;
	r->headers[r->nheaders].name = name;
	va_start(ap, fmt);
	vsnprintf(r->headers[r->nheaders].value, sizeof(r->headers[0].value), fmt, ap);
	va_end(ap);
	r->nheaders++;
}

static bool has_header(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return true;
	return false;
}

/* Adds the header unless the handler set its own. */
static void add_default(struct MHD_Response *resp, const struct req *r, const char *name,
			const char *value)
{
	if (!has_header(r, name))
		MHD_add_response_header(resp, name, value);
}

static bool is_json_reply(const char *ctype)
{
	return ctype != NULL && (strncmp(ctype, "application/json", 16) == 0 ||
				 strncmp(ctype, "application/problem+json", 24) == 0);
}

/* Adds the headers every reply carries, then queues it. The defaults are
 * those of OWASP ASVS 4.0.3 V14.4 for an API: never cached, never
 * sniffed, framed, or rendered with script, JSON saved rather than shown;
 * a handler that serves a page sets its own Content-Security-Policy. */
static enum MHD_Result queue(struct req *r, unsigned status, const char *ctype,
			     struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	if (ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	if (r->lang != NULL) {
		add_default(resp, r, "Content-Language", r->lang);
		add_default(resp, r, "Vary", "Accept-Language");
	}
	add_default(resp, r, "Cache-Control", "no-store");
	add_default(resp, r, "Content-Security-Policy",
		    "default-src 'none'; frame-ancestors 'none'");
	add_default(resp, r, "X-Frame-Options", "DENY");
	add_default(resp, r, "Referrer-Policy", "no-referrer");
	if (is_json_reply(ctype))
		add_default(resp, r, "Content-Disposition", "attachment; filename=\"api.json\"");
#ifdef HCPD_ALLOC_FAIL
	if (r->alloc_armed) {
		MHD_add_response_header(resp, ALLOCFAIL_HEADER,
					allocfail_disarm() ? "fired" : "missed");
		r->alloc_armed = false;
	}
#endif
	r->status = status;
	if (r->auth.sub[0] != '\0' && status < 400 && strcmp(r->method, "GET") != 0 &&
	    strcmp(r->method, "HEAD") != 0)
		db_session_forget_account(r->auth.sub);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The last resort when a reply cannot be built for want of memory: a 503
 * problem formatted on the stack, which libmicrohttpd copies. */
static enum MHD_Result reply_nomem(struct req *r)
{
	char body[256];
	int len = snprintf(body, sizeof(body),
			   "{\"type\":\"urn:hcpd:problem:out-of-memory\",\"title\":"
			   "\"Service Unavailable\",\"status\":503,\"detail\":\"the service "
			   "is short of memory; retry shortly\",\"request_id\":\"%s\"}",
			   r->id);

	r->nheaders = 0;        /* the failed reply's Location or ETag would mislead */
	r->lang = I18N_DEFAULT; /* the words above */
	http_add_header(r, "Retry-After", "1");
	return queue(r, 503, "application/problem+json",
		     MHD_create_response_from_buffer((size_t)len, body, MHD_RESPMEM_MUST_COPY));
}

enum MHD_Result http_reply_json(struct req *r, unsigned status, json_t *body, const char *ctype)
{
	char *text = body != NULL ? json_text_dump(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (text == NULL)
		return reply_nomem(r);
	return http_reply_owned(r, status, ctype != NULL ? ctype : "application/json", text,
				strlen(text));
}

enum MHD_Result http_reply_owned(struct req *r, unsigned status, const char *ctype, char *body,
				 size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (resp == NULL) {
		free(body);
		return reply_nomem(r);
	}
	return queue(r, status, ctype, resp);
}

enum MHD_Result http_reply_static(struct req *r, unsigned status, const char *ctype,
				  const char *body, size_t len)
{
	return queue(r, status, ctype,
		     MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT));
}

enum MHD_Result http_reply_with(struct req *r, unsigned status, const char *ctype, void *body,
				size_t len, void (*done)(void *cls), void *cls)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer_with_free_callback_cls(len, body, done, cls);

	if (resp == NULL) {
		done(cls);
		return reply_nomem(r);
	}
	return queue(r, status, ctype, resp);
}

const char *http_lang(struct req *r)
{
	if (r->lang == NULL)
		r->lang = i18n_negotiate(http_header(r, "Accept-Language"));
	return r->lang;
}

const char *http_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void http_suspend(struct req *r)
{
	r->suspended = true;
	MHD_suspend_connection(r->conn);
}

void http_resume(struct req *r)
{
	MHD_resume_connection(r->conn);
}

enum MHD_Result http_park(struct req *r, struct workpool *pool, void (*fn)(void *arg), void *arg)
{
	/* reserve first: the task may only start once the connection is parked */
	if (!workpool_reserve(pool))
		return problem_from_err(r, ERR_BUSY);
	http_suspend(r);
	workpool_push(pool, fn, arg);
	return MHD_YES;
}

static bool is_json_type(const char *ctype)
{
	size_t n = strlen("application/json");

	if (ctype == NULL || strncasecmp(ctype, "application/json", n) != 0)
		return false;
	return ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ';
}

/* Authenticates the caller of a ROUTE_AUTH route into r->auth. Returns
 * MHD_YES with nothing queued when the caller may go on. */
static enum MHD_Result authenticate(struct req *r, bool *ret_ok)
{
	const char *h = http_header(r, "Authorization");
	struct jwt_claims claims;
	PGconn *conn;
	enum err err;

	*ret_ok = false;
	err = h != NULL && strncasecmp(h, "Bearer ", 7) == 0
		      ? jwt_verify(r->app->keyring, r->app->cfg.jwt_issuer,
				   r->app->cfg.jwt_audience, h + 7, (long long)time(NULL), &claims)
		      : ERR_INVALID;
	if (err == ERR_NOMEM)
		return problem_from_err(r, err); /* the token may be good: no 401 */
	if (err != ERR_OK || !validate_uuid(claims.sub) || !validate_uuid(claims.sid)) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		return problem_send(r, 401, "unauthorized", "a valid access token is required");
	}
	err = ERR_OK;
	if (!db_session_live_cached(claims.sid, claims.sub)) {
		err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
		if (err == ERR_OK) {
			err = db_session_check(conn, claims.sid, claims.sub);
			db_release(r->app->db, conn);
		}
	}
	if (err == ERR_NOT_FOUND) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		return problem_send(r, 401, "unauthorized", "a valid access token is required");
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	/* the route table's role flags are the permissions (router.h); an
	 * enrolling token is not enough sign-in for anything else (401) */
	if (!route_role_allowed(r->route->flags, claims.role) &&
	    (r->route->flags & ROUTE_SESSION_ROLES) == 0) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		return problem_send(r, 401, "unauthorized",
				    "enrol a second factor first (POST /v1/admin/me/totp)");
	}
	if (!route_role_allowed(r->route->flags, claims.role))
		return problem_send(r, 403, "forbidden", "your role does not allow this");
	r->auth = claims;
	*ret_ok = true;
	return MHD_YES;
}

/* The lines of one request header, in the order received. */
struct header_lines {
	const char *name;
	const char *values[NETADDR_LINES_MAX];
	size_t n; /* lines seen: may exceed what values holds */
};

static enum MHD_Result collect_line(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_lines *l = cls;

	(void)kind;
	if (strcasecmp(key, l->name) == 0) {
		if (l->n < NETADDR_LINES_MAX)
			l->values[l->n] = value != NULL ? value : "";
		l->n++;
	}
	return MHD_YES;
}

void http_client(struct req *r, unsigned char ret[NETADDR_LEN])
{
	const struct config *cfg = &r->app->cfg;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct header_lines l = {
		.name = cfg->proxy_header == NETADDR_FORWARDED ? "Forwarded" : "X-Forwarded-For",
	};
	unsigned char peer[NETADDR_LEN];

	netaddr_from_sockaddr(ci != NULL ? ci->client_addr : NULL, peer);
	if (netaddr_cidrs_contain(&cfg->trusted_proxies, peer))
		MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_line, &l);
	netaddr_client(peer, &cfg->trusted_proxies, cfg->proxy_header, l.values, l.n, ret);
}

/* Who may make the request: the route and method (404, 405), the
 * per-address limit, the hashing queue, the caller's token. Runs once per
 * request: when the head is in for a raw route, else once the body is.
 * Returns MHD_YES with *ret_ok when the request may go on; otherwise a
 * reply is queued. */
static enum MHD_Result admit(struct req *r, const char *url, bool *ret_ok)
{
	char allow[ROUTER_ALLOW_MAX];

	*ret_ok = false;
	if (r->route == NULL) {
		r->route = router_find(r->server->conf.routes, r->server->conf.nroutes, r->method,
				       url, r->param, sizeof(r->param), allow, sizeof(allow));
		if (r->route == NULL && allow[0] != '\0') {
			http_add_header(r, "Allow", "%s", allow);
			return problem_send(r, 405, "method-not-allowed",
					    "this method is not allowed on this resource");
		}
		if (r->route == NULL)
			return problem_send(r, 404, "not-found", "no such resource");
	}
	if ((r->route->flags & ROUTE_LIMITED) && r->app->ratelimit != NULL) {
		unsigned char client[NETADDR_LEN];
		int wait;

		http_client(r, client);
		wait = ratelimit_hit(r->app->ratelimit, client, time(NULL));
		if (wait > 0) {
			http_add_header(r, "Retry-After", "%d", wait);
			return problem_send(r, 429, "rate-limited",
					    "too many requests from this address; retry later");
		}
	}
	/* The routes limited per address other than uploads (registration,
	 * sign-in, password change, erasure, recovery; and the mail asked for
	 * by address, which does not hash and is shed too) hash: with the
	 * hashing queue full they are shed here, at the cost of a lock, before
	 * their body is parsed and checked or their caller authenticated (a
	 * flood would otherwise keep the server threads busy with work whose
	 * reply is a 503 anyway). http_park() still has the last word. */
	if ((r->route->flags & (ROUTE_LIMITED | ROUTE_RAW)) == ROUTE_LIMITED &&
	    r->app->hashpool != NULL && workpool_full(r->app->hashpool))
		return problem_from_err(r, ERR_BUSY);
	if ((r->route->flags & (ROUTE_AUTH | ROUTE_SESSION_ROLES)) && r->auth.sub[0] == '\0') {
		bool ok;
		enum MHD_Result ret = authenticate(r, &ok);

		if (!ok)
			return ret;
	}
	if ((r->route->flags & ROUTE_CLIENT_ROLES) && r->auth.sub[0] == '\0') {
		bool ok;
		enum MHD_Result ret = client_authenticate(r, &ok);

		if (!ok)
			return ret;
	}
	r->admitted = true;
	*ret_ok = true;
	return MHD_YES;
}

/* Everything known once the body is in: route, method, media type, JSON. */
static enum MHD_Result dispatch(struct req *r, const char *url)
{
	const char *why;
	enum err err;

	connguard_enter(r->server->guard, r->conn, CONNGUARD_HANDLING);
	if (r->framing_conflict) {
		/* a proxy may have framed it the other way: nothing more is read */
		http_add_header(r, "Connection", "close");
		return problem_send(r, 400, "bad-request",
				    "a request must not carry both Content-Length and "
				    "Transfer-Encoding");
	}
	if (r->body_too_big)
		return problem_send(r, 413, "too-big",
				    r->route != NULL && (r->route->flags & ROUTE_RAW)
					    ? "the document exceeds 10 MiB"
					    : "the request body exceeds 64 KiB");
	if (r->body_nomem)
		return problem_from_err(r, ERR_NOMEM);
	if (!r->admitted) {
		bool ok;
		enum MHD_Result ret = admit(r, url, &ok);

		if (!ok)
			return ret;
	}
	if ((r->route->flags & ROUTE_JSON) && r->json == NULL) {
		if (r->body_len == 0)
			return problem_send(r, 400, "bad-request", "a JSON body is required");
		if (!is_json_type(http_header(r, "Content-Type")))
			return problem_send(r, 415, "unsupported-media-type",
					    "the body must be application/json");
		err = json_body_parse(r->body, r->body_len, HTTP_JSON_DEPTH, &r->json, &why);
		if (err == ERR_INVALID)
			return problem_send(r, 400, "bad-request", why);
		if (err != ERR_OK)
			return problem_from_err(r, err);
	}
	r->suspended = false;
	return r->route->fn(r);
}

/* A raw route's head is in: refuses a Content-Length over the cap,
 * admits the caller, and takes a place for the body when one comes. */
static enum MHD_Result raw_begin(struct req *r, const char *url, const char *clen)
{
	unsigned long long len = clen != NULL ? strtoull(clen, NULL, 10) : 0;
	bool ok;
	enum MHD_Result ret;

	if (len > HTTP_UPLOAD_MAX) {
		r->body_too_big = true; /* refused before reading it; libmicrohttpd then closes */
		return dispatch(r, url);
	}
	ret = admit(r, url, &ok);
	if (!ok)
		return ret;
	if (len == 0 && http_header(r, "Transfer-Encoding") == NULL)
		return MHD_YES; /* no body: the handler says so */
	if (!largebody_begin(r, clen != NULL ? (size_t)len : HTTP_UPLOAD_MAX))
		return problem_from_err(r, ERR_BUSY);
	return MHD_YES;
}

/* A request id: 8 random bytes drawn once per server thread, then that
 * thread's count of requests (ids need to be unique, not secret; a CSPRNG
 * call per request cost 4 % of GET /v1/me). */
static enum err request_id(char ret_id[33])
{
	static _Thread_local unsigned char id[16];
	static _Thread_local bool seeded;
	uint64_t n;

	if (!seeded && crypto_random(id, 8) != ERR_OK)
		return ERR_CRYPTO;
	seeded = true;
	memcpy(&n, id + 8, sizeof(n));
	n++;
	memcpy(id + 8, &n, sizeof(n));
	crypto_hex(id, sizeof(id), ret_id);
	return ERR_OK;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	struct http_server *server = cls;
	struct req *r = *req_cls;
	char allow[ROUTER_ALLOW_MAX];
	const char *clen;

	(void)version;
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		r->app = server->app;
		r->server = server;
		r->conn = conn;
		r->method = method;
		r->start_ns = mono_ns();
		if (request_id(r->id) != ERR_OK) {
			free(r);
			return MHD_NO;
		}
		*req_cls = r;
		atomic_fetch_add(&server->open, 1);
		/* the head is in; the body (if any) has its own deadline */
		connguard_enter(server->guard, conn, CONNGUARD_BODY);
#ifdef HCPD_ALLOC_FAIL
		const char *arm =
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, ALLOCFAIL_HEADER);
		if (arm != NULL && atol(arm) > 0) {
			allocfail_arm(atol(arm));
			allocfail_enter();
			r->alloc_armed = true;
		}
#endif
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		/* RFC 9112 6.1: such a request may be a smuggling attempt */
		if (clen != NULL && MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								"Transfer-Encoding") != NULL) {
			r->framing_conflict = true;
			return dispatch(r, url);
		}
		/* a raw route's cap and caller are known before its body is read */
		r->route = router_find(server->conf.routes, server->conf.nroutes, method, url,
				       r->param, sizeof(r->param), allow, sizeof(allow));
		if (r->route != NULL && (r->route->flags & ROUTE_RAW))
			return raw_begin(r, url, clen);
		if (clen != NULL && strtoull(clen, NULL, 10) > HTTP_BODY_MAX) {
			/* refuse before reading it; libmicrohttpd then closes */
			r->body_too_big = true;
			return dispatch(r, url);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		/* a raw body's deadline starts again with each HTTP_UPLOAD_PACE
		 * received; past its cap it is dropped, the rest read and thrown
		 * away (libmicrohttpd 0.9.75 sends no reply while a body is
		 * coming), then answered 413 */
		if (r->route != NULL && (r->route->flags & ROUTE_RAW)) {
			if (largebody_piece(r, upload_data, n))
				connguard_enter(server->guard, conn, CONNGUARD_BODY);
			return MHD_YES;
		}
		if (r->body_nomem)
			return MHD_YES; /* drop the rest; 503 once it is in */
		if (r->body_too_big || r->body_len + n > HTTP_BODY_MAX) {
			r->body_too_big = true; /* keep reading, drop the bytes */
			return MHD_YES;
		}
		char *grown = realloc(r->body, r->body_len + n + 1);
		if (grown == NULL) {
			r->body_nomem = true; /* answered 503 once the body is in */
			return MHD_YES;
		}
		memcpy(grown + r->body_len, upload_data, n);
		r->body = grown;
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	return dispatch(r, url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
#ifdef HCPD_ALLOC_FAIL
	struct req *r = *req_cls;
	enum MHD_Result ret;

	if (r != NULL && r->alloc_armed)
		allocfail_enter();
	ret = handle_request(cls, conn, url, method, version, upload_data, upload_data_size,
			     req_cls);
	allocfail_leave();
	return ret;
#else
	return handle_request(cls, conn, url, method, version, upload_data, upload_data_size,
			      req_cls);
#endif
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *server = cls;
	struct req *r = *req_cls;
	double seconds;
	int route;

	/* a kept-alive connection waits for its next request line */
	connguard_enter(server->guard, conn, CONNGUARD_LINE);
	if (r == NULL)
		return;
	atomic_fetch_sub(&server->open, 1);
#ifdef HCPD_ALLOC_FAIL
	if (r->alloc_armed)
		allocfail_disarm(); /* closed before a reply */
#endif
	seconds = (double)(mono_ns() - r->start_ns) / 1e9;
	route = r->route != NULL ? (int)(r->route - server->conf.routes) : -1;
	if (server->conf.observe)
		metrics_observe(route, r->status, seconds);
	log_access(r->id, r->method, r->route != NULL ? r->route->pattern : "unmatched",
		   (int)r->status, seconds * 1e3, (long long)r->body_len,
		   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (r->state_free != NULL)
		r->state_free(r->state);
	json_decref(r->json);
	largebody_release(r);
	free(r->body);
	free(r);
	*req_cls = NULL;
}

/* libmicrohttpd's own messages can quote request lines: keep them at debug. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];

	(void)cls;
	if (!log_enabled(LOG_DEBUG))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_json(LOG_DEBUG, "libmicrohttpd", json_pack("{s:s}", "detail", buf));
}

/* libmicrohttpd's accept policy: refuse a client over its cap. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *server = cls;

	(void)addrlen;
	return connguard_admit(server->guard, addr) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *server = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		connguard_opened(server->guard, conn, socket_context);
	else
		connguard_closed(server->guard, socket_context);
}

/* Called once the request line is in, before the headers are read. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *server = cls;

	(void)uri;
	connguard_enter(server->guard, conn, CONNGUARD_HEAD);
	return NULL; /* the request is made at the first access callback */
}

enum err http_start(struct app *app, const struct http_listener *l, struct http_server **ret_server)
{
	struct sockaddr_storage ss;
	struct http_server *server;
	struct connguard_conf guard = {
		.per_address = app->cfg.max_conns_per_address,
		.deadline_ms = app->cfg.request_deadline * 1000,
		.idle_ms = HTTP_IDLE_SECONDS * 1000,
		.exempt = &app->cfg.trusted_proxies,
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (netaddr_parse_listen(l->listen, &ss) != ERR_OK)
		return ERR_INVALID;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	server = calloc(1, sizeof(*server));
	if (server == NULL)
		return ERR_NOMEM;
	server->app = app;
	server->conf = *l;
	if (connguard_new(&guard, &server->guard) != ERR_OK) {
		free(server);
		return ERR_NOMEM;
	}
	server->daemon = MHD_start_daemon(
		flags, 0, on_accept, server, on_request, server, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)l->threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_NOTIFY_CONNECTION,
		on_connection, server, MHD_OPTION_URI_LOG_CALLBACK, on_request_line, server,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECONDS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)l->reuse_port,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
	if (server->daemon == NULL) {
		connguard_free(server->guard);
		free(server);
		return ERR_IO;
	}
	*ret_server = server;
	return ERR_OK;
}

unsigned http_port(struct http_server *server)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);

	return info != NULL ? info->port : 0;
}

void http_quiesce(struct http_server *server)
{
	MHD_socket fd = MHD_quiesce_daemon(server->daemon);

	if (fd != MHD_INVALID_SOCKET)
		close(fd); /* connecting now is refused, not left in the backlog */
}

void http_drain(struct http_server *server, int wait_ms)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	long long until = mono_ns() + (long long)wait_ms * 1000000;
	int open;

	while ((open = atomic_load(&server->open)) > 0 && mono_ns() < until)
		nanosleep(&tick, NULL);
	if (open > 0)
		log_json(LOG_WARN, "stopping with requests unanswered",
			 json_pack("{s:i, s:i}", "open", open, "waited_ms", wait_ms));
}

void http_stop(struct http_server *server)
{
	if (server == NULL)
		return;
	MHD_stop_daemon(server->daemon);
	connguard_free(server->guard);
	free(server);
}
