/*
 * config.c - environment to struct config. Strings are borrowed from the
 * environment (it outlives the process's use of them); numbers are parsed
 * strictly and range-checked.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "validate.h"
#include "links.h"
#include "log.h"

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* Parses name into *ret within [min, max]; the default when unset. */
static enum err env_int(const char *name, int dflt, int min, int max, int *ret,
			const char **ret_why)
{
	static char why[160];
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0') {
		*ret = dflt;
		return ERR_OK;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		snprintf(why, sizeof(why), "%s must be an integer from %d to %d", name, min, max);
		*ret_why = why;
		return ERR_INVALID;
	}
	*ret = (int)n;
	return ERR_OK;
}

/* An envelope address: local@domain in printable ASCII, nothing a header
 * or an SMTP command would split on ("hcpd@localhost" is fine). */
static bool address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t len = strnlen(s, 255);

	if (len > 254 || at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F ||
		    strchr("<>(),;:\"\\[]", *s) != NULL)
			return false;
	return true;
}

/* The base of links hcpd puts in mail: http(s)://host[:port][/path],
 * printable ASCII, no query, fragment or trailing slash. */
static bool public_url_ok(const char *s)
{
	size_t len = strnlen(s, 201);
	size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;

	if (scheme == 0 || len > 200 || len == scheme || s[len - 1] == '/')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F ||
		    strchr("?#<>\"\\", s[i]) != NULL)
			return false;
	return true;
}

/* The settings of the HTTP edge: the metrics listener, trusted proxies,
 * connection cap and request deadline. */
static enum err load_edge(struct config *cfg, const char **ret_why)
{
	static char why[200];
	struct sockaddr_storage ss;
	const char *header = env_or("HCPD_TRUSTED_PROXY_HEADER", "x-forwarded-for");
	const char *rule, *trusted;
	enum err err;

	cfg->metrics_listen = env_or("HCPD_METRICS_LISTEN", "127.0.0.1:9464");
	if (strcmp(cfg->metrics_listen, "off") == 0)
		cfg->metrics_listen = NULL;
	if (cfg->metrics_listen != NULL &&
	    netaddr_parse_listen(cfg->metrics_listen, &ss) != ERR_OK) {
		*ret_why =
			"HCPD_METRICS_LISTEN must be host:port (IPv4), [host]:port (IPv6) or off";
		return ERR_INVALID;
	}
	/* loopback by default: a proxy on the same machine (systemd's setup)
	 * is neither one client for the limits nor capped like one */
	trusted = env_or("HCPD_TRUSTED_PROXIES", "127.0.0.1/32, ::1/128");
	if (strcmp(trusted, "none") == 0)
		trusted = "";
	if (netaddr_cidrs_parse(trusted, &cfg->trusted_proxies, &rule) != ERR_OK) {
		snprintf(why, sizeof(why),
			 "HCPD_TRUSTED_PROXIES must be comma-separated IPv4 or IPv6 CIDRs or none: "
			 "%s",
			 rule);
		*ret_why = why;
		return ERR_INVALID;
	}
	if (strcasecmp(header, "x-forwarded-for") == 0) {
		cfg->proxy_header = NETADDR_X_FORWARDED_FOR;
	} else if (strcasecmp(header, "forwarded") == 0) {
		cfg->proxy_header = NETADDR_FORWARDED;
	} else {
		*ret_why = "HCPD_TRUSTED_PROXY_HEADER must be x-forwarded-for or forwarded";
		return ERR_INVALID;
	}
	err = env_int("HCPD_MAX_CONNECTIONS_PER_ADDRESS", 64, 0, 4096, &cfg->max_conns_per_address,
		      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_REQUEST_DEADLINE_SECONDS", 10, 1, 300, &cfg->request_deadline,
			      ret_why);
	return err;
}

/* HCPD_LOCALE_DIR's default (issue 24): "locale" beside the executable,
 * where the build puts the compiled translations ($(BUILD)/locale); NULL
 * when the executable's path cannot be read (then English only). */
static const char *locale_beside_binary(void)
{
	static char dir[4096];
	ssize_t len = readlink("/proc/self/exe", dir, sizeof(dir) - sizeof("/locale"));
	char *slash;

	if (len <= 0)
		return NULL;
	dir[len] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return NULL;
	strcpy(slash, "/locale");
	return dir;
}

/* The mail link templates (links.h); by default hcpd's own pages under
 * HCPD_PUBLIC_URL, the token in the fragment. A confirmation of a new
 * address goes to the same page as the first one: both are
 * POST /v1/email-confirmations. */
static enum err load_links(struct config *cfg, const char **ret_why)
{
	static char why[200];
	const struct {
		const char *name, *dflt;
		const char **dst;
	} links[] = {
		{"HCPD_LINK_CONFIRM_EMAIL", "{public_url}/account/confirm-email#token={token}",
		 &cfg->link_confirm_email},
		{"HCPD_LINK_RESET_PASSWORD", "{public_url}/account/reset-password#token={token}",
		 &cfg->link_reset_password},
		{"HCPD_LINK_CHANGE_EMAIL", "{public_url}/account/confirm-email#token={token}",
		 &cfg->link_change_email},
		{"HCPD_LINK_CANCEL_EMAIL_CHANGE",
		 "{public_url}/account/cancel-email-change#token={token}",
		 &cfg->link_cancel_email_change},
	};

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		const char *rule;

		*links[i].dst = env_or(links[i].name, links[i].dflt);
		rule = link_template_check(*links[i].dst);
		if (rule != NULL) {
			snprintf(why, sizeof(why), "%s %s", links[i].name, rule);
			*ret_why = why;
			return ERR_INVALID;
		}
	}
	cfg->pages_dir = env_or("HCPD_PAGES_DIR", NULL);
	cfg->locale_dir = env_or("HCPD_LOCALE_DIR", NULL);
	if (cfg->locale_dir == NULL)
		cfg->locale_dir = locale_beside_binary();
	cfg->webhooks_file = env_or("HCPD_WEBHOOKS_FILE", NULL);
	return ERR_OK;
}

/* The mail settings: the SMTP server, the sender and its postal address. */
static enum err load_mail(struct config *cfg, const char **ret_why)
{
	cfg->smtp_url = env_or("HCPD_SMTP_URL", NULL);
	cfg->sender_postal = env_or("HCPD_SENDER_POSTAL_ADDRESS", NULL);
	if (cfg->sender_postal != NULL &&
	    (cfg->sender_postal[0] == '\0' || strlen(cfg->sender_postal) > 300 ||
	     !validate_utf8(cfg->sender_postal, strlen(cfg->sender_postal)) ||
	     !validate_no_controls(cfg->sender_postal))) {
		*ret_why = "HCPD_SENDER_POSTAL_ADDRESS must be 1 to 300 bytes of UTF-8 without "
			   "control characters";
		return ERR_INVALID;
	}
	cfg->smtp_from = env_or("HCPD_SMTP_FROM", "hcpd@localhost");
	if (cfg->smtp_url != NULL && strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(cfg->smtp_url, "smtps://", 8) != 0) {
		*ret_why = "HCPD_SMTP_URL must start with smtp:// or smtps://";
		return ERR_INVALID;
	}
	if (!address_ok(cfg->smtp_from)) {
		*ret_why = "HCPD_SMTP_FROM must be an email address";
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* How long what is kept is kept, and how often the purge looks. */
static enum err load_retention(struct config *cfg, const char **ret_why)
{
	enum err err = ERR_OK;

	if (err == ERR_OK)
		err = env_int("HCPD_PURGE_INTERVAL_SECONDS", 3600, 1, 86400, &cfg->purge_interval,
			      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_UNCOMPLETED_DAYS", 30, 1, 3650,
			      &cfg->keep_pending_days, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_EVIDENCE_DAYS", 365, 0, 36500,
			      &cfg->keep_evidence_days, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_IDEMPOTENCY_HOURS", 24, 1, 8760,
			      &cfg->keep_idem_hours, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_DOCUMENTS_DAYS", 90, 1, 3650,
			      &cfg->keep_documents_days, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_WEBHOOKS_DAYS", 30, 1, 3650, &cfg->keep_webhooks_days,
			      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_REJECTED_DAYS", 365, 1, 3650,
			      &cfg->keep_rejected_days, ret_why);
	/* more than the 30 days of warning a dormant account gets */
	if (err == ERR_OK)
		err = env_int("HCPD_RETENTION_DORMANT_DAYS", 1095, 60, 36500,
			      &cfg->keep_dormant_days, ret_why);
	return err;
}

enum err config_load(struct config *cfg, const char **ret_why)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	enum err err;

	if (cores < 1)
		cores = 1;
	cfg->database_url = env_or("HCPD_DATABASE_URL", NULL);
	cfg->keystore_url = env_or("HCPD_KEYSTORE_URL", cfg->database_url);
	cfg->listen = env_or("HCPD_LISTEN", "127.0.0.1:8080");
	cfg->master_key_file = env_or("HCPD_MASTER_KEY_FILE", NULL);
	cfg->jwt_key_file = env_or("HCPD_JWT_KEY_FILE", NULL);
	cfg->jwt_previous = env_or("HCPD_JWT_PREVIOUS_KEY_FILES", NULL);
	cfg->jwt_issuer = env_or("HCPD_JWT_ISSUER", "hcpd");
	cfg->jwt_audience = env_or("HCPD_JWT_AUDIENCE", "hcpd");
	cfg->catalogue_file = env_or("HCPD_CATALOGUE_FILE", "services/catalogue.json");
	cfg->migrations_dir = env_or("HCPD_MIGRATIONS_DIR", "db/migrations");
	cfg->log_level = env_or("HCPD_LOG_LEVEL", "info");
	if (log_set_level(cfg->log_level) != 0) {
		*ret_why = "HCPD_LOG_LEVEL must be debug, info, warn or error";
		return ERR_INVALID;
	}
	err = env_int("HCPD_HTTP_THREADS", (int)(cores * 4), 1, 256, &cfg->http_threads, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_DB_POOL_SIZE", (int)(cores * 4 + 2), 1, 500, &cfg->db_pool_size,
			      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_DB_ACQUIRE_MS", 2000, 1, 60000, &cfg->db_acquire_ms, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_STATEMENT_TIMEOUT_MS", 5000, 1, 600000,
			      &cfg->statement_timeout_ms, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_HASH_THREADS", (int)cores, 1, 256, &cfg->hash_threads, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_HASH_QUEUE", 64, 1, 100000, &cfg->hash_queue, ret_why);
	/* OWASP's argon2id floor: m=19 MiB, t=2, p=1. Higher is allowed. */
	if (err == ERR_OK)
		err = env_int("HCPD_ARGON2_MEMORY_KIB", 19456, 19456, 4 * 1024 * 1024,
			      &cfg->argon2_memory_kib, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_ARGON2_ITERATIONS", 2, 2, 100, &cfg->argon2_iterations,
			      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_ACCESS_TOKEN_SECONDS", 900, 60, 900, &cfg->access_ttl, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_RATE_LIMIT_PER_ADDRESS", 60, 0, 1000000, &cfg->rate_limit,
			      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_REFRESH_TOKEN_DAYS", 30, 1, 365, &cfg->refresh_days, ret_why);
	if (err == ERR_OK)
		err = load_mail(cfg, ret_why);
	cfg->admin_dir = env_or("HCPD_ADMIN_DIR", NULL);
	cfg->recipients_file = env_or("HCPD_RECIPIENTS_FILE", "services/recipients.json");
	cfg->activities_file = env_or("HCPD_ACTIVITIES_FILE", "services/activities.json");
	cfg->public_url = env_or("HCPD_PUBLIC_URL", "http://127.0.0.1:8080");
	if (err == ERR_OK && !public_url_ok(cfg->public_url)) {
		*ret_why = "HCPD_PUBLIC_URL must be an http:// or https:// URL of at most 200 "
			   "characters, without spaces, query or a trailing slash";
		err = ERR_INVALID;
	}
	if (err == ERR_OK)
		err = load_retention(cfg, ret_why);
	cfg->registries_dir = env_or("HCPD_REGISTRIES_DIR", "verifiers/registries");
	if (err == ERR_OK)
		err = env_int("HCPD_VERIFY_CONCURRENCY", 32, 0, 1024, &cfg->verify_concurrency,
			      ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_REVERIFY_DAYS", 30, 1, 3650, &cfg->reverify_days, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_REVERIFY_INTERVAL_SECONDS", 3600, 1, 86400,
			      &cfg->reverify_interval, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_REVIEW_DIGEST_HOURS", 48, 1, 8760, &cfg->digest_hours, ret_why);
	if (err == ERR_OK)
		err = env_int("HCPD_ADMIN_TOTP_REQUIRED", 0, 0, 1, &cfg->admin_totp_required,
			      ret_why);
	if (err == ERR_OK)
		err = load_edge(cfg, ret_why);
	if (err == ERR_OK)
		err = load_links(cfg, ret_why);
	return err;
}
