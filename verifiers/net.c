/*
 * net.c - libcurl transfers for remote verifiers (see net.h). Owns each
 * transfer's easy handle, header list and reply buffer, and each
 * verifier's transport options: its secret headers, CA bundle, client
 * certificate and key, and OAuth2 client and cached token. TLS is always
 * verified (against the system's roots or the verifier's own bundle), no
 * redirect is followed, only http and https are spoken, and a reply is
 * cut at VERIFIER_REPLY_MAX bytes. Never sets CURLOPT_VERBOSE: headers
 * carry secrets.
 */
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jsonbody.h"
#include "lint.h"
#include "net.h"

#define USER_AGENT      "hcpd/1 (licensure verification)"
#define TOKEN_REPLY_MAX 65536         /* bytes of a token endpoint's reply */
#define TOKEN_MAX       4096          /* bytes of an access token */
#define PEM_MAX         (1024 * 1024) /* bytes of a CA bundle, certificate or key */

/* A file's bytes, read whole: a PEM blob or a secret. */
struct blob {
	char *data; /* NUL-terminated; wiped before it is freed */
	size_t len;
};

struct net_opts {
	char *headers[NET_SECRET_HEADERS_MAX]; /* "Name: value", from secret files */
	size_t nheaders;
	struct blob ca, cert, key; /* PEM; data NULL when not given */
	/* OAuth2 client credentials; token_url NULL when not used */
	char *token_url;
	const char *scope; /* borrowed from the definition; NULL none */
	struct blob client_id, client_secret;
	pthread_mutex_t lock;     /* guards the token: transfers share it */
	bool has_lock;            /* lock was initialised */
	char *token;              /* "Authorization: Bearer ..."; NULL none */
	long long token_until_ms; /* CLOCK_MONOTONIC: fetch another from then */
	unsigned token_gen;       /* bumped with each token fetched; never 0 */
};

const char *net_status_name(enum net_status status)
{
	static const char *const names[] = {"ok", "timeout", "too_big", "failed"};

	return (unsigned)status < sizeof(names) / sizeof(names[0]) ? names[status] : "failed";
}

bool net_header_name_ok(const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > NET_HEADER_NAME_MAX)
		return false;
	for (const char *p = name; *p != '\0'; p++) /* RFC 9110 tchar */
		if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
			return false;
	return true;
}

bool net_header_reserved(const char *name)
{
	static const char *const reserved[] = {"host",
					       "content-length",
					       "transfer-encoding",
					       "connection",
					       "keep-alive",
					       "upgrade",
					       "te",
					       "trailer",
					       "expect",
					       "proxy-authorization",
					       "proxy-connection",
					       NULL};

	for (const char *const *r = reserved; *r != NULL; r++)
		if (strcasecmp(*r, name) == 0)
			return true;
	return false;
}

bool net_header_value_char(char c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7E);
}

static void blob_wipe(struct blob *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* The whole of the file path into b, at most max bytes. ERR_IO when it
 * cannot be read, ERR_INVALID when longer, ERR_NOMEM. */
static enum err blob_read(const char *path, size_t max, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	char *data = malloc(max + 2);
	size_t n = 0;
	enum err err = data == NULL ? ERR_NOMEM : ERR_IO;

	if (f == NULL || data == NULL)
		goto out;
	n = fread(data, 1, max + 1, f);
	if (ferror(f))
		goto out;
	err = n > max ? ERR_INVALID : ERR_OK;
out:
	if (f != NULL)
		fclose(f);
	if (err != ERR_OK && data != NULL) {
		explicit_bzero(data, max + 2);
		free(data);
		return err;
	}
	data[n] = '\0';
	b->data = data;
	b->len = n;
	return ERR_OK;
}

/* HCPD_REGISTRY_<what>_<NAME>[_<suffix>] for v, as var (NAME and suffix
 * upper-cased, '-' as '_'); its value, or NULL when unset or empty. */
static const char *env_of(const struct verifier *v, const char *what, const char *suffix,
			  char var[256])
{
	const char *val;
	size_t n = (size_t)snprintf(var, 256, "HCPD_REGISTRY_%s_%s%s%s", what, v->name,
				    suffix != NULL ? "_" : "", suffix != NULL ? suffix : "");

	for (size_t i = sizeof("HCPD_REGISTRY_") - 1; i < n && i < 255; i++)
		var[i] = var[i] == '-' ? '_' : (char)toupper((unsigned char)var[i]);
	val = getenv(var);
	return val != NULL && val[0] != '\0' ? val : NULL;
}

/* What the transport section comes to: its worst refusal so far, whose
 * message is why. Each refusal is also noted for lint (lint.h), an unset
 * secret only when it is an error (no "off_without_secrets"), so that
 * `hcpd verifier lint` names every one. */
struct verdict {
	enum err err;
	bool off; /* "off_without_secrets": an unset secret leaves v out */
	char *why;
	size_t why_len;
};

/* How bad e is: an unset secret is less than a refusal. */
static int severity(enum err e)
{
	return e == ERR_OK ? 0 : e == ERR_NOT_FOUND ? 1 : e == ERR_NOMEM ? 3 : 2;
}

/* Adds refusal e (ERR_NOT_FOUND: an unset secret), written the checks'
 * way, to vd. Returns e. */
static enum err refuse(struct verdict *vd, enum err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum err refuse(struct verdict *vd, enum err e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e != ERR_NOMEM && (e != ERR_NOT_FOUND || !vd->off))
		lint_note(msg);
	if (severity(e) > severity(vd->err)) {
		vd->err = e;
		snprintf(vd->why, vd->why_len, "%s", msg);
	}
	return e;
}

/* A secret: the file that HCPD_REGISTRY_SECRET_<NAME>_<suffix> names,
 * one line (a final newline dropped) of header-value bytes. */
static enum err secret_read(const struct verifier *v, const char *suffix, struct blob *b,
			    struct verdict *vd)
{
	char var[256];
	const char *path = env_of(v, "SECRET", suffix, var);
	enum err err;

	if (path == NULL) /* unset: the verdict decides */
		return refuse(vd, ERR_NOT_FOUND, "\"transport\": %s must name a file", var);
	err = blob_read(path, NET_SECRET_MAX, b);
	if (err == ERR_OK) {
		while (b->len > 0 && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
			b->data[--b->len] = '\0';
		for (size_t i = 0; i < b->len && err == ERR_OK; i++)
			if (!net_header_value_char(b->data[i]))
				err = ERR_INVALID;
		if (b->len == 0)
			err = ERR_INVALID;
	}
	if (err != ERR_OK)
		blob_wipe(b); /* read, but no secret */
	if (err == ERR_NOMEM)
		return refuse(vd, err, "out of memory");
	if (err != ERR_OK)
		return refuse(vd, err,
			      "\"transport\": the file %s names %s (one line of printable ASCII, "
			      "at most 4096 bytes)",
			      var,
			      err == ERR_IO ? "cannot be read" : "is not a secret of one line");
	return ERR_OK;
}

/* Is name one of list's first n items, in any case? */
static bool named_before(json_t *list, size_t n, const char *name)
{
	for (size_t j = 0; j < n; j++)
		if (strcasecmp(json_string_value(json_array_get(list, j)), name) == 0)
			return true;
	return false;
}

/* The secret headers: "Name: value" lines; each unset or unreadable
 * secret refused. */
static void secret_headers(const struct verifier *v, json_t *list, struct net_opts *o,
			   struct verdict *vd)
{
	json_t *item;
	size_t i;

	if (list != NULL && (!json_is_array(list) || json_array_size(list) == 0 ||
			     json_array_size(list) > NET_SECRET_HEADERS_MAX))
		goto bad;
	json_array_foreach (list, i, item) {
		const char *name = json_string_value(item);

		if (!net_header_name_ok(name) || net_header_reserved(name) ||
		    named_before(list, i, name))
			goto bad;
	}
	json_array_foreach (list, i, item) {
		const char *name = json_string_value(item);
		struct blob b = {0};
		char *line;

		if (secret_read(v, name, &b, vd) != ERR_OK)
			continue;
		line = malloc(strlen(name) + 2 + b.len + 1);
		if (line == NULL) {
			blob_wipe(&b);
			refuse(vd, ERR_NOMEM, "out of memory");
			return;
		}
		sprintf(line, "%s: %s", name, b.data);
		blob_wipe(&b);
		o->headers[o->nheaders++] = line;
	}
	return;
bad:
	refuse(vd, ERR_INVALID,
	       "\"transport\": \"secret_headers\" must be 1-8 distinct HTTP header names, none "
	       "that frames the request (Host, Content-Length, ...)");
}

/* A PEM file named by HCPD_REGISTRY_<what>_<NAME>, when set. */
static void pem_read(const struct verifier *v, const char *what, struct blob *b, struct verdict *vd)
{
	char var[256];
	const char *path = env_of(v, what, NULL, var);
	enum err err;

	if (path == NULL)
		return;
	err = blob_read(path, PEM_MAX, b);
	if (err == ERR_NOMEM)
		refuse(vd, err, "out of memory");
	else if (err != ERR_OK)
		refuse(vd, err, "\"transport\": the file %s names %s", var,
		       err == ERR_IO ? "cannot be read" : "is over 1 MiB");
}

/* The TLS files: a CA bundle, a client certificate and key. */
static void tls_files(const struct verifier *v, bool client, struct net_opts *o, struct verdict *vd)
{
	pem_read(v, "CA", &o->ca, vd);
	pem_read(v, "CERT", &o->cert, vd);
	pem_read(v, "KEY", &o->key, vd);
	if ((o->cert.data == NULL) != (o->key.data == NULL) || (client && o->cert.data == NULL))
		refuse(vd, ERR_INVALID,
		       "\"transport\": a client certificate needs both HCPD_REGISTRY_CERT_<NAME> "
		       "and HCPD_REGISTRY_KEY_<NAME>%s",
		       client ? " (\"client_certificate\" is true)" : "");
}

/* The OAuth2 section: token URL, scope, the client's secrets. */
static void oauth2_load(const struct verifier *v, json_t *conf, struct net_opts *o,
			struct verdict *vd)
{
	static const char *const keys[] = {"token_url", "scope", NULL};
	const char *bad = NULL, *url;
	char var[256];

	if (!json_is_object(conf) || !json_only_keys(conf, keys, &bad) ||
	    (json_object_get(conf, "scope") != NULL && json_text(conf, "scope", 1024) == NULL))
		url = NULL;
	else if ((url = env_of(v, "TOKEN_URL", NULL, var)) == NULL)
		url = json_text(conf, "token_url", 2048);
	if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
		refuse(vd, ERR_INVALID,
		       "\"transport\": \"oauth2\" must be {\"token_url\": an http(s) URL (or set "
		       "HCPD_REGISTRY_TOKEN_URL_<NAME>), \"scope\": an optional string}");
	secret_read(v, "CLIENT_ID", &o->client_id, vd);
	secret_read(v, "CLIENT_SECRET", &o->client_secret, vd);
	if (vd->err != ERR_OK)
		return;
	o->token_url = strdup(url);
	o->scope = json_text(conf, "scope", 1024);
	if (o->token_url == NULL || pthread_mutex_init(&o->lock, NULL) != 0) {
		refuse(vd, ERR_NOMEM, "out of memory");
		return;
	}
	o->has_lock = true;
}

enum err net_opts_load(const struct verifier *v, json_t *conf, struct net_opts **ret_opts,
		       char *why, size_t why_len)
{
	static const char *const keys[] = {"secret_headers", "client_certificate", "oauth2",
					   "off_without_secrets", NULL};
	json_t *client = json_object_get(conf, "client_certificate");
	json_t *off = json_object_get(conf, "off_without_secrets");
	struct verdict vd = {ERR_OK, json_is_true(off), why, why_len};
	struct net_opts *o = calloc(1, sizeof(*o));
	const char *bad = NULL;

	if (o == NULL)
		return ERR_NOMEM;
	if (conf != NULL && (!json_is_object(conf) || !json_only_keys(conf, keys, &bad) ||
			     (client != NULL && !json_is_boolean(client)) ||
			     (off != NULL && !json_is_boolean(off))))
		refuse(&vd, ERR_INVALID,
		       "\"transport\": must be an object of \"secret_headers\", "
		       "\"client_certificate\", \"off_without_secrets\" (booleans) and "
		       "\"oauth2\" only");
	/* each part on past another's refusal: lint names them all */
	secret_headers(v, json_object_get(conf, "secret_headers"), o, &vd);
	tls_files(v, json_is_true(client), o, &vd);
	if (json_object_get(conf, "oauth2") != NULL)
		oauth2_load(v, json_object_get(conf, "oauth2"), o, &vd);
	if (vd.err != ERR_OK) {
		net_opts_free(o);
		/* a secret it needs is unset: an error unless off_without_secrets */
		return vd.err == ERR_NOT_FOUND && !vd.off ? ERR_INVALID : vd.err;
	}
	if (o->nheaders == 0 && o->ca.data == NULL && o->cert.data == NULL &&
	    o->token_url == NULL) {
		net_opts_free(o); /* nothing: transfers take the defaults */
		o = NULL;
	}
	*ret_opts = o;
	return ERR_OK;
}

void net_opts_free(struct net_opts *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->nheaders; i++) {
		explicit_bzero(o->headers[i], strlen(o->headers[i]));
		free(o->headers[i]);
	}
	blob_wipe(&o->ca);
	blob_wipe(&o->cert);
	blob_wipe(&o->key);
	blob_wipe(&o->client_id);
	blob_wipe(&o->client_secret);
	if (o->token != NULL) {
		explicit_bzero(o->token, strlen(o->token));
		free(o->token);
	}
	if (o->has_lock)
		pthread_mutex_destroy(&o->lock);
	free(o->token_url);
	free(o);
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

/* Frees a header list, wiping each line first: some hold secrets. */
static void headers_free(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* Sets o's CA bundle and client certificate and key on e (none: the
 * system's roots, no certificate). The blobs are o's, not copied: o
 * outlives every transfer of its verifier. */
static bool tls_apply(CURL *e, const struct net_opts *o)
{
	struct curl_blob ca, cert, key;

	if (o == NULL)
		return true;
	if (o->ca.data != NULL) {
		ca = (struct curl_blob){o->ca.data, o->ca.len, CURL_BLOB_NOCOPY};
		/* the bundle alone is trusted: no default file or directory beside it */
		if (curl_easy_setopt(e, CURLOPT_CAINFO, NULL) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK)
			return false;
	}
	if (o->cert.data != NULL) {
		cert = (struct curl_blob){o->cert.data, o->cert.len, CURL_BLOB_NOCOPY};
		key = (struct curl_blob){o->key.data, o->key.len, CURL_BLOB_NOCOPY};
		if (curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK)
			return false;
	}
	return true;
}

/* The options every transfer of v takes: no redirects, verified TLS,
 * v's timeouts, the reply into x. */
static bool common_apply(CURL *e, const struct verifier *v, struct net_xfer *x)
{
	return curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)v->connect_timeout_ms) ==
		       CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)v->timeout_ms) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VERIFIER_REPLY_MAX) ==
		       CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
	       curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK && tls_apply(e, v->net);
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps the token a token endpoint's reply (x's body) grants, with o->lock
 * held. ERR_UPSTREAM for a reply that grants none. */
static enum err token_keep(struct net_opts *o, const struct net_xfer *x)
{
	json_t *doc = x->http_status == 200 ? json_loadb(x->body, x->len, 0, NULL) : NULL;
	const char *token = json_string_value(json_object_get(doc, "access_token"));
	const char *type = json_string_value(json_object_get(doc, "token_type"));
	json_t *expires = json_object_get(doc, "expires_in");
	long long life = json_is_integer(expires) ? json_integer_value(expires) * 1000 : 300000;
	size_t len = token != NULL ? strlen(token) : 0;
	enum err err = ERR_UPSTREAM;

	if (len == 0 || len > TOKEN_MAX || (type != NULL && strcasecmp(type, "Bearer") != 0) ||
	    life <= 0)
		goto out;
	for (size_t i = 0; i < len; i++) /* RFC 6750 b64token, no spaces */
		if (token[i] <= 0x20 || token[i] > 0x7E)
			goto out;
	err = ERR_NOMEM;
	o->token = malloc(sizeof("Authorization: Bearer ") + len);
	if (o->token == NULL)
		goto out;
	sprintf(o->token, "Authorization: Bearer %s", token);
	/* fetched again a little before it lapses: a tenth of its life, at most a minute */
	o->token_until_ms = monotonic_ms() + life - (life / 10 < 60000 ? life / 10 : 60000);
	o->token_gen = o->token_gen + 1 != 0 ? o->token_gen + 1 : 1;
	err = ERR_OK;
out:
	if (doc != NULL && token != NULL)
		explicit_bzero((char *)token, len);
	json_decref(doc);
	return err;
}

/* Fetches a token (RFC 6749 section 4.4) into o, with o->lock held.
 * Blocks for up to v->timeout_ms. ERR_UPSTREAM when none is granted. */
static enum err token_fetch(const struct verifier *v, struct net_opts *o)
{
	struct net_xfer x = {.retry_after = -1};
	CURL *e = curl_easy_init();
	char *id = e != NULL ? curl_easy_escape(e, o->client_id.data, 0) : NULL;
	char *secret = e != NULL ? curl_easy_escape(e, o->client_secret.data, 0) : NULL;
	char *scope = e != NULL && o->scope != NULL ? curl_easy_escape(e, o->scope, 0) : NULL;
	struct curl_slist *accept = curl_slist_append(NULL, "Accept: application/json");
	char body[sizeof("grant_type=client_credentials&scope=") + 3 * 1024];
	enum err err = ERR_NOMEM;

	if (e == NULL || id == NULL || secret == NULL || accept == NULL ||
	    (o->scope != NULL && scope == NULL))
		goto out;
	snprintf(body, sizeof(body), "grant_type=client_credentials%s%s",
		 scope != NULL ? "&scope=" : "", scope != NULL ? scope : "");
	err = ERR_UPSTREAM;
	/* the client authenticates with HTTP Basic, id and secret form-encoded (section 2.3.1) */
	if (!common_apply(e, v, &x) || curl_easy_setopt(e, CURLOPT_URL, o->token_url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, accept) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERNAME, id) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PASSWORD, secret) != CURLE_OK ||
	    curl_easy_perform(e) != CURLE_OK)
		goto out;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x.http_status);
	err = token_keep(o, &x);
out:
	if (id != NULL)
		explicit_bzero(id, strlen(id));
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	if (x.body != NULL)
		explicit_bzero(x.body, x.len);
	curl_free(id);
	curl_free(secret);
	curl_free(scope);
	curl_slist_free_all(accept);
	curl_easy_cleanup(e);
	free(x.body);
	return err;
}

/* x's header list: Accept, the request's, v's secret ones and, with
 * OAuth2, the current token (fetched when there is none or it lapsed). */
static enum err xfer_headers(struct net_xfer *x)
{
	struct net_opts *o = x->v->net;
	struct curl_slist *list = curl_slist_append(NULL, "Accept: application/json"), *h;
	enum err err = ERR_OK;

	for (size_t i = 0; list != NULL && i < x->req->nheaders; i++)
		list = (h = curl_slist_append(list, x->req->headers[i])) != NULL ? h : NULL;
	for (size_t i = 0; list != NULL && o != NULL && i < o->nheaders; i++)
		list = (h = curl_slist_append(list, o->headers[i])) != NULL ? h : NULL;
	if (list != NULL && o != NULL && o->token_url != NULL) {
		pthread_mutex_lock(&o->lock);
		if (o->token == NULL || monotonic_ms() >= o->token_until_ms) {
			if (o->token != NULL)
				explicit_bzero(o->token, strlen(o->token));
			free(o->token);
			o->token = NULL;
			err = token_fetch(x->v, o);
		}
		if (err == ERR_OK) {
			x->token_gen = o->token_gen;
			list = (h = curl_slist_append(list, o->token)) != NULL ? h : NULL;
		}
		pthread_mutex_unlock(&o->lock);
	}
	if (list == NULL && err == ERR_OK)
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		headers_free(list); /* a failed append leaves the list as it was */
		return err;
	}
	headers_free(x->headers);
	x->headers = list;
	return curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, list) == CURLE_OK ? ERR_OK
									       : ERR_INVALID;
}

enum err net_start(CURLM *multi, const struct verifier *v, const struct verifier_request *req,
		   void *owner, struct net_xfer **ret_xfer)
{
	struct net_xfer *x = calloc(1, sizeof(*x));
	enum err err = ERR_NOMEM;
	bool post = req->method != NULL && strcmp(req->method, "POST") == 0;

	if (x == NULL)
		return ERR_NOMEM;
	x->owner = owner;
	x->retry_after = -1;
	x->multi = multi;
	x->v = v;
	x->req = req;
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		goto out;
	err = ERR_INVALID;
	if (curl_easy_setopt(x->easy, CURLOPT_URL, req->url) != CURLE_OK ||
	    !common_apply(x->easy, v, x) ||
	    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x) != CURLE_OK)
		goto out;
	if (post && (curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS,
				      req->body != NULL ? req->body : "") != CURLE_OK ||
		     curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)req->body_len) != CURLE_OK))
		goto out;
	err = xfer_headers(x);
	if (err != ERR_OK)
		goto out;
	err = ERR_NOMEM;
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK)
		goto out;
	*ret_xfer = x;
	return ERR_OK;
out:
	x->multi = NULL; /* never added */
	net_free(NULL, x);
	return err;
}

/* After a 401 to an OAuth2 token: drops the token (unless another
 * transfer already has), fetches one and sends x again, once. */
static bool restart(struct net_xfer *x)
{
	struct net_opts *o = x->v->net;

	pthread_mutex_lock(&o->lock);
	if (o->token != NULL && o->token_gen == x->token_gen) {
		explicit_bzero(o->token, strlen(o->token));
		free(o->token);
		o->token = NULL;
	}
	pthread_mutex_unlock(&o->lock);
	x->restarted = true;
	curl_multi_remove_handle(x->multi, x->easy);
	if (xfer_headers(x) != ERR_OK || curl_multi_add_handle(x->multi, x->easy) != CURLM_OK)
		return false;
	if (x->body != NULL)
		explicit_bzero(x->body, x->len);
	x->len = 0;
	x->too_big = false;
	return true;
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

bool net_done(struct net_xfer *x, CURLcode code)
{
	struct curl_header *h = NULL;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->http_status);
	if (code == CURLE_OK && x->http_status == 401 && x->token_gen != 0 && !x->restarted &&
	    x->multi != NULL && restart(x))
		return false;
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
	return true;
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
	headers_free(x->headers);
	if (x->body != NULL)
		explicit_bzero(x->body, x->len);
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
	bool done = false;
	enum err err = ERR_NOMEM;

	if (multi == NULL)
		return ERR_NOMEM;
	err = net_start(multi, v, req, NULL, &x);
	while (err == ERR_OK && !done) {
		if (curl_multi_perform(multi, &running) != CURLM_OK ||
		    (running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK))
			err = ERR_INTERNAL;
		while (err == ERR_OK && (msg = curl_multi_info_read(multi, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				done = net_done(x, msg->data.result);
	}
	if (err == ERR_OK) {
		curl_multi_remove_handle(multi, x->easy);
		*ret_xfer = x;
		x = NULL;
	}
	net_free(multi, x);
	curl_multi_cleanup(multi);
	return err;
}
