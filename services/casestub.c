/*
 * casestub.c - see casestub.h: a libmicrohttpd daemon on 127.0.0.1 with
 * one thread, answering every request with the reply set and keeping
 * each request (its method, path and query, headers and body, up to
 * CASE_STUB_BODY_MAX bytes) under a mutex.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "casestub.h"

#define CASE_STUB_BODY_MAX 1048576 /* bytes of a request body kept */

struct case_stub {
	struct MHD_Daemon *daemon;
	char origin[40];
	pthread_mutex_t lock;
	int status;
	char *body;
	json_t *requests;
};

/* One request being received. */
struct stub_req {
	json_t *headers;
	char *body;
	size_t len;
	bool too_big;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	char name[128];
	size_t i;

	(void)kind;
	for (i = 0; key[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)key[i]);
	name[i] = '\0';
	json_object_set_new(cls, name, json_string(value != NULL ? value : ""));
	return MHD_YES;
}

/* Keeps the finished request r. url is its path (libmicrohttpd has
 * split the query off). */
static void keep(struct case_stub *stub, const char *method, const char *url, struct stub_req *r)
{
	json_t *one = json_pack("{s:s, s:s, s:O, s:s%, s:b}", "method", method, "path", url,
				"headers", r->headers, "body", r->body != NULL ? r->body : "",
				r->len, "too_big", r->too_big);

	pthread_mutex_lock(&stub->lock);
	json_array_append_new(stub->requests, one);
	pthread_mutex_unlock(&stub->lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct case_stub *stub = cls;
	struct stub_req *r = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int status;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->headers = json_object();
		MHD_get_connection_values(connection, MHD_HEADER_KIND, on_header, r->headers);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		char *more = r->len + *upload_size <= CASE_STUB_BODY_MAX
				     ? realloc(r->body, r->len + *upload_size + 1)
				     : NULL;

		if (more == NULL) {
			r->too_big = true;
		} else {
			r->body = more;
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	keep(stub, method, url, r);
	pthread_mutex_lock(&stub->lock);
	status = stub->status;
	resp = MHD_create_response_from_buffer(strlen(stub->body != NULL ? stub->body : ""),
					       stub->body != NULL ? stub->body : "",
					       MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&stub->lock);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(connection, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct stub_req *r = *con_cls;

	(void)cls;
	(void)connection;
	(void)toe;
	if (r != NULL) {
		json_decref(r->headers);
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

enum err case_stub_start(struct case_stub **ret_stub)
{
	struct case_stub *stub = calloc(1, sizeof(*stub));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	const union MHD_DaemonInfo *info;

	if (stub == NULL || (stub->requests = json_array()) == NULL) {
		free(stub);
		return ERR_NOMEM;
	}
	pthread_mutex_init(&stub->lock, NULL);
	stub->status = 500;
	stub->daemon =
		MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, stub,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				 MHD_OPTION_NOTIFY_COMPLETED, on_completed, stub, MHD_OPTION_END);
	info = stub->daemon != NULL ? MHD_get_daemon_info(stub->daemon, MHD_DAEMON_INFO_BIND_PORT)
				    : NULL;
	if (info == NULL) {
		case_stub_free(stub);
		return ERR_IO;
	}
	snprintf(stub->origin, sizeof(stub->origin), "http://127.0.0.1:%u", (unsigned)info->port);
	*ret_stub = stub;
	return ERR_OK;
}

const char *case_stub_origin(const struct case_stub *stub)
{
	return stub->origin;
}

enum err case_stub_reply(struct case_stub *stub, int status, const char *body)
{
	char *copy = strdup(body);

	if (copy == NULL)
		return ERR_NOMEM;
	pthread_mutex_lock(&stub->lock);
	free(stub->body);
	stub->body = copy;
	stub->status = status;
	json_array_clear(stub->requests);
	pthread_mutex_unlock(&stub->lock);
	return ERR_OK;
}

json_t *case_stub_requests(struct case_stub *stub)
{
	json_t *copy;

	pthread_mutex_lock(&stub->lock);
	copy = json_deep_copy(stub->requests);
	pthread_mutex_unlock(&stub->lock);
	return copy;
}

void case_stub_free(struct case_stub *stub)
{
	if (stub == NULL)
		return;
	if (stub->daemon != NULL)
		MHD_stop_daemon(stub->daemon);
	pthread_mutex_destroy(&stub->lock);
	json_decref(stub->requests);
	free(stub->body);
	free(stub);
}
