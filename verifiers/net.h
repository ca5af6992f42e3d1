/*
 * net.h - the one network path of every remote verifier: libcurl (multi)
 * with a connect and a total timeout, a reply cap (VERIFIER_REPLY_MAX),
 * TLS verification always on, http and https only, no redirects followed,
 * and the Retry-After of a reply read back. The runner drives many
 * transfers through one multi handle; `hcpd verifier check` drives one
 * through net_fetch(), the same code. Nothing here logs: a URL or a
 * header may carry personal values or secrets.
 */
#ifndef HCPD_NET_H
#define HCPD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>

#include "err.h"
#include "verifier.h"

enum net_status {
	NET_OK = 0,  /* a complete HTTP reply (of any status) */
	NET_TIMEOUT, /* connect or total timeout */
	NET_TOO_BIG, /* the reply exceeded VERIFIER_REPLY_MAX */
	NET_FAILED,  /* could not connect, reset, TLS or protocol error */
};

/* "ok", "timeout", "too_big", "failed": static strings, for last_error. */
const char *net_status_name(enum net_status status);

/* One transfer. Members are read after it is done. */
struct net_xfer {
	CURL *easy;
	struct curl_slist *headers;
	enum net_status status;
	long http_status;
	char *body; /* the reply, NUL-terminated; len bytes before the NUL */
	size_t len;
	size_t cap;
	bool too_big;
	long retry_after; /* seconds the reply's Retry-After asked for; -1 none */
	void *owner;      /* the caller's, for finding its job again */
};

/* Creates a transfer of req with v's timeouts and adds it to multi.
 * req must outlive the transfer (its URL and body are not copied).
 * ERR_NOMEM, or ERR_INVALID for a URL libcurl refuses. */
enum err net_start(CURLM *multi, const struct verifier *v, const struct verifier_request *req,
		   void *owner, struct net_xfer **ret_xfer);

/* Records how a transfer ended, from the CURLMSG_DONE message's code.
 * Call once, before reading its members. */
void net_done(struct net_xfer *x, CURLcode code);

/* Why a done transfer is not an answer to parse: its net_status_name(),
 * "http_429", or "http_5xx" (5xx and 408) - each worth a retry - or NULL
 * when it is a reply for the verifier to judge. */
const char *net_failure(const struct net_xfer *x);

/* Removes x from multi and frees it (its body too). Accepts NULL. */
void net_free(CURLM *multi, struct net_xfer *x);

/* The transfer that easy belongs to (CURLOPT_PRIVATE). */
struct net_xfer *net_of(CURL *easy);

/* One transfer, start to end, on a multi handle of its own. *ret_xfer is
 * done; free it with net_free(NULL, x). Blocks for up to v->timeout_ms. */
enum err net_fetch(const struct verifier *v, const struct verifier_request *req,
		   struct net_xfer **ret_xfer);

/* The delay a Retry-After value asks for, in seconds: delta-seconds or an
 * HTTP-date (then relative to now). -1 when value is neither. Pure. */
long net_retry_after(const char *value, long long now);

#endif
