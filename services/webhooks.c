/*
 * webhooks.c - status webhooks (see webhooks.h). Owns the endpoints read
 * from HCPD_WEBHOOKS_FILE (their secrets wiped on free), the delivery
 * thread and, while a batch runs, one pooled connection. Deliveries are
 * claimed by lease and sent outside any transaction, one at a time; each
 * attempt is recorded with its outcome.
 */
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>

#include "app.h"
#include "bgthread.h"
#include "crypto.h"
#include "db.h"
#include "deliveries.h"
#include "jsonbody.h"
#include "jsontext.h"
#include "log.h"
#include "webhooks.h"

#define WEBHOOK_FILE_MAX   (64 * 1024) /* bytes of HCPD_WEBHOOKS_FILE */
#define WEBHOOK_URL_MAX    2048
#define WEBHOOK_BATCH      10
#define WEBHOOK_CONNECT_MS 5000
#define WEBHOOK_TIMEOUT_MS 15000 /* the specification suggests 15 to 30 s */
#define WEBHOOK_REPLY_MAX  4096  /* bytes of a reply read (and dropped) */
#define WEBHOOK_IDLE_MS    1000
#define WEBHOOK_LEASE_S    (WEBHOOK_BATCH * (WEBHOOK_TIMEOUT_MS / 1000) * 2)
#define WHSEC              "whsec_"

struct endpoint {
	char name[65];
	char *url;
	unsigned char secret[WEBHOOK_SECRET_MAX];
	size_t secret_len;
	char *events_json; /* the event types it asked for, a JSON array */
};

struct webhooks {
	struct endpoint endpoints[WEBHOOKS_MAX];
	size_t n;
	char *names_literal; /* text[] literal of the names, for the claim */
	char *sync_json;     /* [{"name", "events"}...], for the database */
	bool synced;         /* stored in the database by this process */
	bool db_failing;     /* logged once per outage */
	struct app *app;
	struct bgthread *thread;
	bool curl_ready;
	CURL *curl; /* the thread's: its connections stay open between deliveries */
};

/* How one attempt went. */
struct outcome {
	long http_status; /* 0: no reply */
	char error[32];   /* "" when delivered */
	int duration_ms;
};

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
	       s[0] != '-';
}

/* https://, or http:// to this machine only: the events leave in clear
 * otherwise. No credentials in the URL (they belong in the secret). */
const char *webhooks_url_rule(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	const char *rule = NULL;

	if (u == NULL)
		return "cannot be checked (out of memory)";
	if (strlen(url) > WEBHOOK_URL_MAX ||
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		rule = "is not a URL";
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		rule = "must not hold credentials";
	else if (strcmp(scheme, "https") != 0 &&
		 !(strcmp(scheme, "http") == 0 &&
		   (strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
		    strcmp(host, "[::1]") == 0)))
		rule = "must be https:// (http:// only to a loopback host)";
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return rule;
}

const char *webhooks_secret_read(const char *dir, const char *path,
				 unsigned char ret_secret[WEBHOOK_SECRET_MAX], size_t *ret_len)
{
	size_t secret_len = 0;
	char full[4096], buf[256];
	size_t len = 0;
	FILE *f;
	const char *rule = NULL;

	if (snprintf(full, sizeof(full), "%s%s%s", path[0] == '/' ? "" : dir,
		     path[0] == '/' ? "" : "/", path) >= (int)sizeof(full))
		return "names a file that cannot be read";
	f = fopen(full, "r");
	if (f == NULL)
		return "names a file that cannot be read";
	len = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f) || !feof(f))
		rule = "names a file that is not one secret";
	fclose(f);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (rule == NULL && (len <= strlen(WHSEC) || strncmp(buf, WHSEC, strlen(WHSEC)) != 0 ||
			     crypto_unbase64(buf + strlen(WHSEC), len - strlen(WHSEC),
					     (unsigned char *)full, &secret_len) != ERR_OK))
		rule = "names a file that does not hold whsec_ and base64";
	if (rule == NULL && (secret_len < WEBHOOK_SECRET_MIN || secret_len > WEBHOOK_SECRET_MAX))
		rule = "names a secret that is not 24 to 64 bytes";
	if (rule == NULL) {
		memcpy(ret_secret, full, secret_len);
		*ret_len = secret_len;
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(full, sizeof(full));
	return rule;
}

/* Checks one endpoint definition into e; the key at fault and why. */
static const char *endpoint_read(struct endpoint *e, json_t *def, const char *dir,
				 const char **ret_key)
{
	static const char *const keys[] = {"name", "url", "events", "secret_file", NULL};
	const char *bad = NULL, *key;
	json_t *events = json_object_get(def, "events"), *v;
	size_t i;

	if (!json_is_object(def))
		return "is not an object";
	if (!json_only_keys(def, keys, &bad)) {
		*ret_key = bad;
		return "is not a known key (name, url, events, secret_file)";
	}
	for (i = 0; keys[i] != NULL; i++) {
		*ret_key = keys[i];
		if (json_object_get(def, keys[i]) == NULL)
			return "is missing";
	}
	*ret_key = "name";
	if (!json_is_string(json_object_get(def, "name")) ||
	    !name_ok(json_string_value(json_object_get(def, "name"))))
		return "must be 1 to 64 of a-z, 0-9 and - (not first)";
	snprintf(e->name, sizeof(e->name), "%s", json_string_value(json_object_get(def, "name")));
	*ret_key = "url";
	if (!json_is_string(json_object_get(def, "url")))
		return "must be a string";
	if ((key = webhooks_url_rule(json_string_value(json_object_get(def, "url")))) != NULL)
		return key;
	*ret_key = "events";
	if (!json_is_array(events) || json_array_size(events) == 0)
		return "must be a non-empty array of event types";
	json_array_foreach (events, i, v) {
		bool known = false;

		for (size_t k = 0; json_is_string(v) && db_webhook_events[k] != NULL; k++)
			known = known || strcmp(json_string_value(v), db_webhook_events[k]) == 0;
		if (!known)
			return "names an event type hcpd does not send";
	}
	*ret_key = "secret_file";
	if (!json_is_string(json_object_get(def, "secret_file")))
		return "must be a string";
	if ((key = webhooks_secret_read(dir, json_string_value(json_object_get(def, "secret_file")),
					e->secret, &e->secret_len)) != NULL)
		return key;
	e->url = strdup(json_string_value(json_object_get(def, "url")));
	e->events_json = json_text_dump(events, JSON_COMPACT);
	*ret_key = NULL;
	return e->url != NULL && e->events_json != NULL ? NULL : "out of memory";
}

/* The names as a text[] literal and the endpoints as the database stores
 * them (names are [a-z0-9-]: nothing to quote). */
static enum err summaries(struct webhooks *h)
{
	json_t *list = json_array();
	size_t len = 3;

	for (size_t i = 0; i < h->n; i++)
		len += strlen(h->endpoints[i].name) + 1;
	h->names_literal = calloc(1, len);
	for (size_t i = 0; list != NULL && h->names_literal != NULL && i < h->n; i++) {
		strcat(h->names_literal, i == 0 ? "{" : ",");
		strcat(h->names_literal, h->endpoints[i].name);
		json_array_append_new(
			list, json_pack("{s:s, s:o}", "name", h->endpoints[i].name, "events",
					json_loads(h->endpoints[i].events_json, 0, NULL)));
	}
	if (h->names_literal != NULL)
		strcat(h->names_literal, h->n == 0 ? "{}" : "}");
	h->sync_json = list != NULL ? json_text_dump(list, JSON_COMPACT) : NULL;
	json_decref(list);
	return h->names_literal != NULL && h->sync_json != NULL ? ERR_OK : ERR_NOMEM;
}

enum err webhooks_load(const char *path, struct webhooks **ret_hooks, char *why, size_t why_len)
{
	static const char *const top[] = {"endpoints", NULL};
	struct webhooks *h = calloc(1, sizeof(*h));
	char *copy = strdup(path), *dir;
	const char *rule = NULL, *key = NULL;
	json_error_t jerr;
	json_t *doc = NULL, *list, *def;
	size_t i;
	enum err err = ERR_INVALID;

	if (h == NULL || copy == NULL) {
		err = ERR_NOMEM;
		rule = "out of memory";
		goto out;
	}
	dir = dirname(copy);
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	list = json_object_get(doc, "endpoints");
	if (doc == NULL)
		rule = "cannot be read as JSON";
	else if (!json_is_object(doc) || !json_only_keys(doc, top, &key) || !json_is_array(list))
		rule = "must be an object whose only key is endpoints, an array";
	else if (json_array_size(list) > WEBHOOKS_MAX)
		rule = "has more than 16 endpoints";
	json_array_foreach (list, i, def) {
		if (rule != NULL)
			break;
		rule = endpoint_read(&h->endpoints[i], def, dir, &key);
		h->n = i + 1;
		for (size_t k = 0; rule == NULL && k < i; k++)
			if (strcmp(h->endpoints[k].name, h->endpoints[i].name) == 0) {
				rule = "repeats an endpoint's name";
				key = "name";
			}
		if (rule != NULL) {
			snprintf(why, why_len, "%s: endpoints[%zu]%s%s %s", path, i,
				 key != NULL ? "." : "", key != NULL ? key : "", rule);
			rule = why;
		}
	}
	if (rule == NULL)
		err = summaries(h);
	else if (rule != why)
		snprintf(why, why_len, "%s %s", path, rule);
out:
	json_decref(doc);
	free(copy);
	if (err != ERR_OK || rule != NULL) {
		webhooks_free(h);
		return err == ERR_OK ? ERR_INVALID : err;
	}
	*ret_hooks = h;
	return ERR_OK;
}

void webhooks_free(struct webhooks *h)
{
	if (h == NULL)
		return;
	bgthread_stop(h->thread);
	curl_easy_cleanup(h->curl);
	if (h->curl_ready)
		curl_global_cleanup();
	for (size_t i = 0; i < WEBHOOKS_MAX; i++) {
		free(h->endpoints[i].url);
		free(h->endpoints[i].events_json);
	}
	free(h->names_literal);
	free(h->sync_json);
	explicit_bzero(h, sizeof(*h));
	free(h);
}

void webhooks_sign(const unsigned char *secret, size_t secret_len, const char *msg_id,
		   long long timestamp, const char *body, size_t body_len,
		   char out[WEBHOOK_SIGNATURE_MAX])
{
	char head[96];
	unsigned char mac[32];
	int n = snprintf(head, sizeof(head), "%s.%lld.", msg_id, timestamp);
	unsigned char *msg = malloc((size_t)n + body_len);

	/* a message too big to copy is signed in two steps: the same MAC */
	if (msg != NULL) {
		memcpy(msg, head, (size_t)n);
		memcpy(msg + n, body, body_len);
		crypto_hmac_sha256_keyed(secret, secret_len, msg, (size_t)n + body_len, mac);
		free(msg);
	} else {
		memset(mac, 0, sizeof(mac)); /* no signature a receiver would take */
	}
	memcpy(out, "v1,", 3);
	crypto_base64(mac, sizeof(mac), out + 3);
}

/* The body of an event, as sent and signed. malloc'd. */
static char *event_body(const char *type, const char *timestamp, json_t *data)
{
	json_t *doc =
		json_pack("{s:s, s:s, s:O}", "type", type, "timestamp", timestamp, "data", data);
	char *body = doc != NULL ? json_text_dump(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	return body;
}

static size_t reply_drop(char *ptr, size_t size, size_t nmemb, void *arg)
{
	size_t *seen = arg;

	(void)ptr;
	*seen += size * nmemb;
	return *seen > WEBHOOK_REPLY_MAX ? 0 : size * nmemb;
}

/* Called about once a second during a transfer: non-zero aborts it (the
 * process stops; h is NULL for `hcpd webhooks test`). */
static int abort_if_stopping(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			     curl_off_t ulnow)
{
	struct webhooks *h = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return h != NULL && bgthread_stopping(h->thread) ? 1 : 0;
}

/* POSTs body to e, signed now; blocks up to the timeout, or until h's
 * thread is asked to stop. On h's handle (reset: only its open
 * connections are kept), or a handle of its own when h is NULL. */
static void post(struct webhooks *h, const struct endpoint *e, const char *msg_id, const char *body,
		 struct outcome *ret)
{
	char sig[WEBHOOK_SIGNATURE_MAX], hdr[3][128];
	struct curl_slist *headers = NULL;
	long long now = (long long)time(NULL);
	struct timespec t0, t1;
	size_t seen = 0;
	CURL *curl = h != NULL ? h->curl : curl_easy_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(ret, 0, sizeof(*ret));
	webhooks_sign(e->secret, e->secret_len, msg_id, now, body, strlen(body), sig);
	snprintf(hdr[0], sizeof(hdr[0]), "webhook-id: %s", msg_id);
	snprintf(hdr[1], sizeof(hdr[1]), "webhook-timestamp: %lld", now);
	snprintf(hdr[2], sizeof(hdr[2]), "webhook-signature: %s", sig);
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	for (size_t i = 0; headers != NULL && i < 3; i++)
		headers = curl_slist_append(headers, hdr[i]);
	if (curl != NULL && headers != NULL) {
		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, e->url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "hcpd-webhooks");
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOK_CONNECT_MS);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, reply_drop);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &seen);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_if_stopping);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, h);
		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ret->http_status);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ret->duration_ms =
		(int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	if (ret->http_status >= 200 && ret->http_status < 300)
		ret->error[0] = '\0';
	else if (ret->http_status > 0)
		snprintf(ret->error, sizeof(ret->error), "http_%ld", ret->http_status);
	else
		snprintf(ret->error, sizeof(ret->error), "CURLE_%d", (int)rc);
	curl_slist_free_all(headers);
	if (h == NULL)
		curl_easy_cleanup(curl);
	explicit_bzero(sig, sizeof(sig));
}

void webhooks_post_once(const char *url, const unsigned char *secret, size_t secret_len,
			const char *msg_id, const char *body, long *ret_http_status,
			char ret_error[32])
{
	struct endpoint e = {.url = (char *)url, .secret_len = secret_len};
	struct outcome o;

	memcpy(e.secret, secret, secret_len);
	post(NULL, &e, msg_id, body, &o);
	*ret_http_status = o.http_status;
	memcpy(ret_error, o.error, sizeof(o.error));
	explicit_bzero(&e, sizeof(e));
}

static const struct endpoint *endpoint_of(const struct webhooks *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->endpoints[i].name, name) == 0)
			return &h->endpoints[i];
	return NULL;
}

/* Sends one claimed delivery and records the attempt. Returns only
 * database errors. The pooled connection *conn is given back for the
 * POST, which may last its whole timeout, and taken again after it
 * (NULL when that fails: the delivery is due again after its lease). */
static enum err deliver(struct webhooks *h, PGconn **conn, const struct webhook_row *w)
{
	const struct endpoint *e = endpoint_of(h, w->endpoint);
	json_t *data = json_pack("{s:s, s:s, s:o}", "account_id", w->account_id, "status",
				 w->status, "reasons", json_loads(w->reasons_json, 0, NULL));
	char *body = data != NULL ? event_body(w->type, w->occurred_at, data) : NULL;
	struct outcome o;
	bool given_up = false;
	enum err err;

	json_decref(data);
	if (e == NULL || body == NULL) { /* claimed by name: cannot be; memory: try later */
		free(body);
		return db_webhook_release(*conn, w->id);
	}
	db_release(h->app->db, *conn);
	*conn = NULL;
	post(h, e, w->msg_id, body, &o);
	free(body);
	err = db_acquire(h->app->db, DB_RECORD_ACQUIRE_MS, conn);
	if (err != ERR_OK)
		return err;
	if (o.error[0] != '\0' && bgthread_stopping(h->thread))
		return db_webhook_release(*conn, w->id); /* not the receiver's fault */
	err = db_webhook_attempt(*conn, w->id, o.http_status, o.error[0] != '\0' ? o.error : NULL,
				 o.duration_ms, &given_up);
	if (err == ERR_OK && o.error[0] != '\0')
		log_json(LOG_WARN, "webhook not delivered",
			 json_pack("{s:s, s:I, s:s, s:s, s:i, s:b}", "endpoint", w->endpoint,
				   "delivery", (json_int_t)w->id, "type", w->type, "error", o.error,
				   "attempts", w->attempts + 1, "given_up", given_up));
	else if (err == ERR_OK)
		log_json(LOG_INFO, "webhook delivered",
			 json_pack("{s:s, s:I, s:s}", "endpoint", w->endpoint, "delivery",
				   (json_int_t)w->id, "type", w->type));
	return err;
}

/* Stores the endpoints once, then claims one batch and sends it; rows not
 * reached before a stop are handed back. Returns the rows claimed. */
static size_t run_batch(struct webhooks *h)
{
	struct webhook_row *rows = NULL;
	PGconn *conn = NULL;
	size_t n = 0, i = 0;
	enum err err = db_acquire(h->app->db, h->app->cfg.db_acquire_ms, &conn);

	if (err == ERR_OK && !h->synced) {
		err = db_webhook_endpoints_sync(conn, h->sync_json);
		h->synced = err == ERR_OK;
	}
	if (err == ERR_OK)
		err = db_webhook_claim(conn, h->names_literal, WEBHOOK_BATCH, WEBHOOK_LEASE_S,
				       &rows, &n);
	for (; err == ERR_OK && i < n && !bgthread_stopping(h->thread); i++)
		err = deliver(h, &conn, &rows[i]);
	for (; err == ERR_OK && i < n; i++)
		err = db_webhook_release(conn, rows[i].id);
	if (err != ERR_OK && !h->db_failing)
		log_json(LOG_WARN, "webhooks: database error; retrying",
			 json_pack("{s:s}", "error", err_name(err)));
	else if (err == ERR_OK && h->db_failing)
		log_json(LOG_INFO, "webhooks: database back", NULL);
	h->db_failing = err != ERR_OK;
	webhook_rows_free(rows, n);
	db_release(h->app->db, conn);
	return err == ERR_OK ? n : 0;
}

static long webhooks_pass(void *arg)
{
	struct webhooks *h = arg;

	/* a short batch is not the end: the next rows of its accounts are
	 * due once these are delivered (in order per account) */
	return run_batch(h) > 0 ? 0 : WEBHOOK_IDLE_MS;
}

enum err webhooks_start(struct webhooks *h, struct app *app)
{
	if (h == NULL) {
		log_json(LOG_INFO,
			 "webhooks are off in this process (HCPD_WEBHOOKS_FILE is not set)", NULL);
		return ERR_OK;
	}
	h->app = app;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ERR_NOMEM;
	h->curl_ready = true;
	if ((h->curl = curl_easy_init()) == NULL ||
	    bgthread_start(webhooks_pass, h, &h->thread) != ERR_OK)
		return ERR_NOMEM;
	log_json(LOG_INFO, "webhooks are on", json_pack("{s:i}", "endpoints", (int)h->n));
	return ERR_OK;
}

void webhooks_stop(struct webhooks *h)
{
	if (h == NULL)
		return;
	bgthread_stop(h->thread);
	h->thread = NULL;
}

int webhooks_test(struct app *app, int argc, char **argv)
{
	const char *name = argv[0];
	const struct endpoint *e;
	unsigned char rnd[16];
	char msg_id[40] = "msg_", now[32];
	time_t t = time(NULL);
	struct tm tm;
	json_t *data, *out = NULL;
	char *body = NULL;
	struct outcome o;
	int rc = 2;

	(void)argc;
	if (app->webhooks == NULL) {
		fprintf(stderr, "hcpd: HCPD_WEBHOOKS_FILE is not set\n");
		return 2;
	}
	e = endpoint_of(app->webhooks, name);
	if (e == NULL) {
		fprintf(stderr, "hcpd: HCPD_WEBHOOKS_FILE has no endpoint of that name\n");
		return 2;
	}
	if (crypto_random(rnd, sizeof(rnd)) != ERR_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 2;
	crypto_hex(rnd, sizeof(rnd), msg_id + 4);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	data = json_pack("{s:s}", "endpoint", name);
	body = data != NULL ? event_body(WEBHOOK_TEST_EVENT, now, data) : NULL;
	json_decref(data);
	if (body != NULL) {
		post(NULL, e, msg_id, body, &o);
		rc = o.error[0] == '\0' ? 0 : 1;
		out = json_pack("{s:s, s:s, s:s, s:i, s:s?, s:i}", "endpoint", name, "type",
				WEBHOOK_TEST_EVENT, "webhook_id", msg_id, "http_status",
				(int)o.http_status, "error", o.error[0] != '\0' ? o.error : NULL,
				"duration_ms", o.duration_ms);
		if (out == NULL || json_dumpf(out, stdout, JSON_COMPACT) != 0 ||
		    putchar('\n') == EOF)
			rc = 2;
	}
	json_decref(out);
	free(body);
	curl_global_cleanup();
	return rc;
}
