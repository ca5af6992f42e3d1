/*
 * http.c - libmicrohttpd glue. Owns the daemon and every struct req: one
 * is created on a request's first callback and freed in the completion
 * callback, after the access-log line. The access log holds method, route
 * pattern, status and timing - never the path, query, headers or body.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"
#include "ratelimit.h"
#include "sessions.h"
#include "validate.h"
#include "workpool.h"

struct http_server {
	struct MHD_Daemon *daemon;
	struct app *app;
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

/* Adds the headers every reply carries, then queues it. */
static enum MHD_Result queue(struct req *r, unsigned status, const char *ctype,
			     struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	bool cache_control = false;

	if (ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < r->nheaders; i++) {
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
		cache_control = cache_control || strcmp(r->headers[i].name, "Cache-Control") == 0;
	}
	if (!cache_control)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	r->status = status;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result http_reply_json(struct req *r, unsigned status, json_t *body, const char *ctype)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	return http_reply_owned(r, status, ctype != NULL ? ctype : "application/json", text,
				strlen(text));
}

enum MHD_Result http_reply_owned(struct req *r, unsigned status, const char *ctype, char *body,
				 size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (resp == NULL)
		free(body);
	return queue(r, status, ctype, resp);
}

enum MHD_Result http_reply_static(struct req *r, unsigned status, const char *ctype,
				  const char *body, size_t len)
{
	return queue(r, status, ctype,
		     MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT));
}

const char *http_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* http_query()'s pass over the parameters. */
struct query_scan {
	const char *const *names;
	const char **values;
	const char *why; /* the first rule broken, or NULL */
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_scan *q = cls;
	size_t i;

	(void)kind;
	for (i = 0; q->names[i] != NULL && strcmp(q->names[i], key) != 0; i++)
		;
	if (q->names[i] == NULL)
		q->why = "unknown query parameter";
	else if (q->values[i] != NULL)
		q->why = "a query parameter is given more than once";
	else if (value == NULL || value[0] == '\0')
		q->why = "a query parameter has an empty value";
	else
		q->values[i] = value;
	return q->why == NULL ? MHD_YES : MHD_NO;
}

enum err http_query(struct req *r, const char *const *names, const char **values,
		    const char **ret_why)
{
	struct query_scan q = {.names = names, .values = values};

	for (size_t i = 0; names[i] != NULL; i++)
		values[i] = NULL;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
	if (q.why != NULL) {
		*ret_why = q.why;
		return ERR_INVALID;
	}
	return ERR_OK;
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

/* Does path match pattern? A "{...}" segment takes one non-empty segment,
 * copied to param. */
static bool match(const char *pattern, const char *path, char *param, size_t param_len)
{
	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '{') {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= param_len)
				return false;
			memcpy(param, path, n);
			param[n] = '\0';
			path += n;
			pattern = strchr(pattern, '}');
			if (pattern == NULL)
				return false;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Finds the route for method and path. On a path match with no method
 * match, fills allow (comma-separated) and returns NULL. */
static const struct route *route_find(const char *method, const char *path, char *param,
				      size_t param_len, char *allow, size_t allow_len)
{
	allow[0] = '\0';
	for (size_t i = 0; i < routes_len; i++) {
		if (!match(routes[i].pattern, path, param, param_len))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
		if (strlen(allow) + strlen(routes[i].method) + 3 < allow_len) {
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
		}
	}
	return NULL;
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
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
	    jwt_verify(r->app->keyring, r->app->cfg.jwt_issuer, r->app->cfg.jwt_audience, h + 7,
		       (long long)time(NULL), &claims) != ERR_OK ||
	    !validate_uuid(claims.sub) || !validate_uuid(claims.sid)) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		return problem_send(r, 401, "unauthorized", "a valid access token is required");
	}
	err = db_acquire(r->app->db, r->app->cfg.db_acquire_ms, &conn);
	if (err == ERR_OK) {
		err = db_session_check(conn, claims.sid, claims.sub);
		db_release(r->app->db, conn);
	}
	if (err == ERR_NOT_FOUND) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		return problem_send(r, 401, "unauthorized", "a valid access token is required");
	}
	if (err != ERR_OK)
		return problem_from_err(r, err);
	if ((r->route->flags & ROUTE_ADMIN) && strcmp(claims.role, "admin") != 0)
		return problem_send(r, 403, "forbidden", "this resource is for admins");
	r->auth = claims;
	*ret_ok = true;
	return MHD_YES;
}

/* Everything known once the body is in: route, method, media type, JSON. */
static enum MHD_Result dispatch(struct req *r, const char *url)
{
	char allow[64];
	const char *why;
	enum err err;

	if (r->body_too_big)
		return problem_send(r, 413, "too-big", "the request body exceeds 64 KiB");
	if (r->route == NULL) {
		r->route = route_find(r->method, url, r->param, sizeof(r->param), allow,
				      sizeof(allow));
		if (r->route == NULL && allow[0] != '\0') {
			http_add_header(r, "Allow", "%s", allow);
			return problem_send(r, 405, "method-not-allowed",
					    "this method is not allowed on this resource");
		}
		if (r->route == NULL)
			return problem_send(r, 404, "not-found", "no such resource");
	}
	if ((r->route->flags & ROUTE_LIMITED) && r->app->ratelimit != NULL && !r->suspended) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		int wait = ratelimit_hit(r->app->ratelimit, ci != NULL ? ci->client_addr : NULL,
					 time(NULL));

		if (wait > 0) {
			http_add_header(r, "Retry-After", "%d", wait);
			return problem_send(r, 429, "rate-limited",
					    "too many requests from this address; retry later");
		}
	}
	if ((r->route->flags & (ROUTE_AUTH | ROUTE_ADMIN)) && r->auth.sub[0] == '\0') {
		bool ok;
		enum MHD_Result ret = authenticate(r, &ok);

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct req *r = *req_cls;
	unsigned char rnd[16];
	const char *clen;

	(void)version;
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		r->app = cls;
		r->conn = conn;
		r->method = method;
		r->start_ns = mono_ns();
		if (crypto_random(rnd, sizeof(rnd)) != ERR_OK) {
			free(r);
			return MHD_NO;
		}
		crypto_hex(rnd, sizeof(rnd), r->id);
		*req_cls = r;
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
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
		if (r->body_too_big || r->body_len + n > HTTP_BODY_MAX) {
			r->body_too_big = true; /* keep reading, drop the bytes */
			return MHD_YES;
		}
		char *grown = realloc(r->body, r->body_len + n + 1);
		if (grown == NULL)
			return MHD_NO;
		memcpy(grown + r->body_len, upload_data, n);
		r->body = grown;
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	return dispatch(r, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *req_cls;
	double seconds;
	int route;

	(void)cls;
	(void)conn;
	if (r == NULL)
		return;
	seconds = (double)(mono_ns() - r->start_ns) / 1e9;
	route = r->route != NULL ? (int)(r->route - routes) : -1;
	metrics_observe(route, r->status, seconds);
	if (log_enabled(LOG_INFO))
		log_json(LOG_INFO, "request",
			 json_pack("{s:s, s:s, s:s, s:i, s:f, s:I, s:b}", "request_id", r->id,
				   "method", r->method, "route",
				   r->route != NULL ? r->route->pattern : "unmatched", "status",
				   (int)r->status, "duration_ms", seconds * 1e3, "bytes_in",
				   (json_int_t)r->body_len, "completed",
				   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK));
	if (r->state_free != NULL)
		r->state_free(r->state);
	json_decref(r->json);
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

/* "host:port" or "[v6]:port" into a sockaddr. */
static enum err parse_listen(const char *listen, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;
	size_t hlen;

	if (colon == NULL)
		return ERR_INVALID;
	port = strtol(colon + 1, &end, 10);
	hlen = (size_t)(colon - listen);
	if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535 || hlen == 0 ||
	    hlen >= sizeof(host))
		return ERR_INVALID;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hlen - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? ERR_OK : ERR_INVALID;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? ERR_OK : ERR_INVALID;
}

enum err http_start(struct app *app, struct http_server **ret_server)
{
	struct sockaddr_storage ss;
	struct http_server *server;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (parse_listen(app->cfg.listen, &ss) != ERR_OK)
		return ERR_INVALID;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	server = calloc(1, sizeof(*server));
	if (server == NULL)
		return ERR_NOMEM;
	server->app = app;
	server->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, app, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg.http_threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_EXTERNAL_LOGGER,
		on_mhd_log, NULL, MHD_OPTION_END);
	if (server->daemon == NULL) {
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

void http_stop(struct http_server *server)
{
	if (server == NULL)
		return;
	MHD_stop_daemon(server->daemon);
	free(server);
}
