/*
 * net.c - libcurl transfers for remote verifiers (see net.h). Owns each
 * transfer's easy handle, header list and reply buffer. TLS is verified
 * against the system's roots, no redirect is followed, only http and
 * https are spoken, and a reply is cut at VERIFIER_REPLY_MAX bytes.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"

#define USER_AGENT "hcpd/1 (licensure verification)"

const char *net_status_name(enum net_status status)
{
	static const char *const names[] = {"ok", "timeout", "too_big", "failed"};

	return (unsigned)status < sizeof(names) / sizeof(names[0]) ? names[status] : "failed";
}

/* Appends a chunk of the reply; refusing it (a short count) aborts the
 * transfer once the cap would be passed. */
static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct net_xfer *x = ctx;
	size_t n = size * nmemb;

	if (x->len + n > VERIFIER_REPLY_MAX) {
		x->too_big = true;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap > 0 ? x->cap : 16384;
		char *body;

		while (cap < x->len + n + 1)
			cap *= 2;
		if (cap > VERIFIER_REPLY_MAX + 1)
			cap = VERIFIER_REPLY_MAX + 1;
		body = realloc(x->body, cap);
		if (body == NULL)
			return 0; /* ends as NET_FAILED */
		x->body = body;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

enum err net_start(CURLM *multi, const struct verifier *v, const struct verifier_request *req,
		   void *owner, struct net_xfer **ret_xfer)
{
	struct net_xfer *x = calloc(1, sizeof(*x));
	struct curl_slist *h;
	enum err err = ERR_NOMEM;
	bool post = req->method != NULL && strcmp(req->method, "POST") == 0;

	if (x == NULL)
		return ERR_NOMEM;
	x->owner = owner;
	x->retry_after = -1;
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		goto out;
	x->headers = curl_slist_append(NULL, "Accept: application/json");
	for (size_t i = 0; x->headers != NULL && i < req->nheaders; i++) {
		h = curl_slist_append(x->headers, req->headers[i]);
		if (h == NULL)
			goto out; /* x->headers is freed with x */
		x->headers = h;
	}
	if (x->headers == NULL)
		goto out;
	err = ERR_INVALID;
	if (curl_easy_setopt(x->easy, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)v->connect_timeout_ms) !=
		    CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)v->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VERIFIER_REPLY_MAX) !=
		    CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, USER_AGENT) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x) != CURLE_OK)
		goto out;
	if (post && (curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS,
				      req->body != NULL ? req->body : "") != CURLE_OK ||
		     curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)req->body_len) != CURLE_OK))
		goto out;
	err = ERR_NOMEM;
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK)
		goto out;
	*ret_xfer = x;
	return ERR_OK;
out:
	net_free(NULL, x);
	return err;
}

long net_retry_after(const char *value, long long now)
{
	char *end;
	long long n;
	time_t t;

	if (value == NULL || value[0] == '\0')
		return -1;
	if (value[0] >= '0' && value[0] <= '9') {
		n = strtoll(value, &end, 10);
		if (*end != '\0')
			return -1;
		return n > 86400 ? 86400 : (long)n;
	}
	t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	return t <= now ? 0 : (long)((long long)t - now > 86400 ? 86400 : (long long)t - now);
}

void net_done(struct net_xfer *x, CURLcode code)
{
	struct curl_header *h = NULL;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->http_status);
	if (code == CURLE_OK && x->http_status >= 100)
		x->status = NET_OK;
	else if (x->too_big || code == CURLE_FILESIZE_EXCEEDED)
		x->status = NET_TOO_BIG;
	else if (code == CURLE_OPERATION_TIMEDOUT)
		x->status = NET_TIMEOUT;
	else
		x->status = NET_FAILED;
	if (x->status == NET_OK &&
	    curl_easy_header(x->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		x->retry_after = net_retry_after(h->value, (long long)time(NULL));
	if (x->body == NULL) /* an empty reply: parsers still get a string */
		x->body = calloc(1, 1);
	if (x->body == NULL && x->status == NET_OK)
		x->status = NET_FAILED;
}

const char *net_failure(const struct net_xfer *x)
{
	if (x->status != NET_OK)
		return net_status_name(x->status);
	if (x->http_status == 429)
		return "http_429";
	if (x->http_status >= 500 || x->http_status == 408)
		return "http_5xx";
	return NULL;
}

struct net_xfer *net_of(CURL *easy)
{
	struct net_xfer *x = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	return x;
}

void net_free(CURLM *multi, struct net_xfer *x)
{
	if (x == NULL)
		return;
	if (multi != NULL && x->easy != NULL)
		curl_multi_remove_handle(multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body);
	free(x);
}

enum err net_fetch(const struct verifier *v, const struct verifier_request *req,
		   struct net_xfer **ret_xfer)
{
	CURLM *multi = curl_multi_init();
	struct net_xfer *x = NULL;
	CURLMsg *msg;
	int running = 1, left;
	enum err err = ERR_NOMEM;

	if (multi == NULL)
		return ERR_NOMEM;
	err = net_start(multi, v, req, NULL, &x);
	while (err == ERR_OK && running > 0) {
		if (curl_multi_perform(multi, &running) != CURLM_OK ||
		    (running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK))
			err = ERR_INTERNAL;
	}
	while (err == ERR_OK && (msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			net_done(x, msg->data.result);
	if (err == ERR_OK) {
		curl_multi_remove_handle(multi, x->easy);
		*ret_xfer = x;
		x = NULL;
	}
	net_free(multi, x);
	curl_multi_cleanup(multi);
	return err;
}
