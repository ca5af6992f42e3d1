/*
 * net.h - the one network path of every remote verifier: libcurl (multi)
 * with a connect and a total timeout, a reply cap (VERIFIER_REPLY_MAX),
 * TLS verification always on, http and https only, no redirects followed,
 * and the Retry-After of a reply read back. The runner drives many
 * transfers through one multi handle; `hcpd verifier check` drives one
 * through net_fetch(), the same code. Nothing here logs: a URL or a
 * header may carry personal values or secrets.
 *
 * A verifier's transport options (struct net_opts, issue 22) are read
 * here too, at load, from its definition's "transport" section and the
 * environment (NAME is the verifier's name upper-cased, '-' as '_'):
 *   "secret_headers": ["ESANTE-API-KEY", ...]  each header's value is the
 *       content of the file HCPD_REGISTRY_SECRET_<NAME>_<HEADER> names
 *       (HEADER upper-cased, '-' as '_'), one line, printable ASCII;
 *   HCPD_REGISTRY_CA_<NAME>: a PEM CA bundle that replaces the system's
 *       roots for this verifier (optional, any HTTP verifier);
 *   "client_certificate": true  mutual TLS: HCPD_REGISTRY_CERT_<NAME> and
 *       HCPD_REGISTRY_KEY_<NAME> name the PEM certificate and key files
 *       (they may also be set without it: both or neither);
 *   "oauth2": {"token_url": URL, "scope": "..."}  RFC 6749 section 4.4
 *       client credentials: the client id and secret from the files
 *       HCPD_REGISTRY_SECRET_<NAME>_CLIENT_ID and _CLIENT_SECRET (sent by
 *       HTTP Basic, section 2.3.1), the token URL overridable by
 *       HCPD_REGISTRY_TOKEN_URL_<NAME>; the token is cached until shortly
 *       before it expires, shared by every transfer of the verifier, and
 *       fetched again once when the registry answers 401 to it.
 * Files are read at load (a reload reads them again); what they hold is
 * wiped when the set is freed, and no message ever quotes it.
 */
#ifndef HCPD_NET_H
#define HCPD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>

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

#define NET_HEADER_NAME_MAX    64   /* bytes of a header name */
#define NET_SECRET_HEADERS_MAX 8    /* secret_headers of one definition */
#define NET_SECRET_MAX         4096 /* bytes of one secret file */

/* Is name an HTTP token (RFC 9110) of 1-NET_HEADER_NAME_MAX bytes? */
bool net_header_name_ok(const char *name);

/* Does name frame or route the request (Host, Content-Length, ...),
 * which libcurl and net.c own and no definition may set? Any case. */
bool net_header_reserved(const char *name);

/* May c appear in a header value: printable ASCII, space or tab? */
bool net_header_value_char(char c);

struct net_opts;

/* Reads v's "transport" section conf (NULL when absent) and the
 * environment into *ret_opts (NULL when v uses none of them). On
 * ERR_INVALID why names the key or the variable at fault, never a value
 * (ERR_IO: a file named cannot be read, also named). ERR_NOT_FOUND, with
 * why naming the variable, when a secret's variable is unset and the
 * section says "off_without_secrets": true (the verifier is left out:
 * a shipped definition for a register that needs the operator's own key).
 * ERR_NOMEM. */
enum err net_opts_load(const struct verifier *v, json_t *conf, struct net_opts **ret_opts,
		       char *why, size_t why_len);

/* Wipes the secrets and frees o. Accepts NULL. */
void net_opts_free(struct net_opts *o);

/* One transfer. Members are read after it is done. */
struct net_xfer {
	CURL *easy;
	CURLM *multi;             /* the handle it runs on */
	const struct verifier *v; /* whose options it uses */
	const struct verifier_request *req;
	unsigned token_gen; /* the OAuth2 token it carries; 0 none */
	bool restarted;     /* already sent again after a 401 */
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

/* Creates a transfer of req with v's timeouts and transport options and
 * adds it to multi. req must outlive the transfer (its URL and body are
 * not copied), and v too. When v uses OAuth2 and holds no valid token,
 * one is fetched first (blocking, for up to v->timeout_ms). ERR_NOMEM,
 * ERR_INVALID for a URL libcurl refuses, ERR_UPSTREAM when no token could
 * be had. */
enum err net_start(CURLM *multi, const struct verifier *v, const struct verifier_request *req,
		   void *owner, struct net_xfer **ret_xfer);

/* Records how a transfer ended, from the CURLMSG_DONE message's code.
 * Call once per CURLMSG_DONE, before reading its members. false when the
 * transfer was sent again instead (a 401 to an OAuth2 token: the token is
 * fetched anew, once, blocking for up to v->timeout_ms): wait for its
 * next CURLMSG_DONE. */
bool net_done(struct net_xfer *x, CURLcode code);

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
