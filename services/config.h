/*
 * config.h - hcpd's settings, read once from the environment at start-up.
 *
 * Every setting is an HCPD_* variable with a documented default (README's
 * configuration table mirrors struct config). A bad value stops start-up
 * with a message naming the variable; nothing here is re-read later.
 */
#ifndef HCPD_CONFIG_H
#define HCPD_CONFIG_H

#include "err.h"
#include "netaddr.h"

struct config {
	const char *database_url;    /* HCPD_DATABASE_URL: libpq conninfo or URI */
	const char *keystore_url;    /* HCPD_KEYSTORE_URL: the account secrets' database */
	const char *listen;          /* HCPD_LISTEN: host:port, default 127.0.0.1:8080 */
	const char *master_key_file; /* HCPD_MASTER_KEY_FILE: 64 hex characters */
	const char *jwt_key_file;    /* HCPD_JWT_KEY_FILE: EC P-256 private key PEM */
	const char *jwt_previous;    /* HCPD_JWT_PREVIOUS_KEY_FILES: colon-separated PEMs */
	const char *jwt_issuer;      /* HCPD_JWT_ISSUER: iss of access tokens */
	const char *jwt_audience;    /* HCPD_JWT_AUDIENCE: aud of access tokens */
	int access_ttl;              /* HCPD_ACCESS_TOKEN_SECONDS: <= 900 */
	int rate_limit;              /* HCPD_RATE_LIMIT_PER_ADDRESS: a minute; 0 off */
	int refresh_days;            /* HCPD_REFRESH_TOKEN_DAYS: session lifetime */
	const char *catalogue_file;  /* HCPD_CATALOGUE_FILE: the field catalogue */
	const char *migrations_dir;  /* HCPD_MIGRATIONS_DIR: db/migrations */
	const char *log_level;       /* HCPD_LOG_LEVEL: debug|info|warn|error */
	int http_threads;            /* HCPD_HTTP_THREADS: server threads */
	int db_pool_size;            /* HCPD_DB_POOL_SIZE: PostgreSQL connections */
	int db_acquire_ms;           /* HCPD_DB_ACQUIRE_MS: wait for a free connection */
	int statement_timeout_ms;    /* HCPD_STATEMENT_TIMEOUT_MS: per SQL statement */
	int hash_threads;            /* HCPD_HASH_THREADS: argon2 threads, default cores */
	int hash_queue;              /* HCPD_HASH_QUEUE: hashes waiting before 503 */
	int argon2_memory_kib;       /* HCPD_ARGON2_MEMORY_KIB: >= 19456 */
	int argon2_iterations;       /* HCPD_ARGON2_ITERATIONS: >= 2 */
	const char *smtp_url;        /* HCPD_SMTP_URL: smtp:// or smtps://; NULL: mail off */
	const char *smtp_from;       /* HCPD_SMTP_FROM: envelope and From address */
	const char *recipients_file; /* HCPD_RECIPIENTS_FILE: non-verifier recipients */
	const char *activities_file; /* HCPD_ACTIVITIES_FILE: activities to enrol in */
	const char *public_url;      /* HCPD_PUBLIC_URL: base of links in mail */
	int purge_interval;          /* HCPD_PURGE_INTERVAL_SECONDS: retention purge period */
	int keep_pending_days;       /* HCPD_RETENTION_UNCOMPLETED_DAYS */
	int keep_evidence_days;      /* HCPD_RETENTION_EVIDENCE_DAYS: verifiers without terms */
	int keep_idem_hours;         /* HCPD_RETENTION_IDEMPOTENCY_HOURS */
	int keep_documents_days;     /* HCPD_RETENTION_DOCUMENTS_DAYS: after the review decision */
	int keep_webhooks_days;      /* HCPD_RETENTION_WEBHOOKS_DAYS: after delivery or giving up */
	int keep_rejected_days;      /* HCPD_RETENTION_REJECTED_DAYS: after the rejection */
	int keep_dormant_days;       /* HCPD_RETENTION_DORMANT_DAYS: since the last sign-in */
	const char *sender_postal;   /* HCPD_SENDER_POSTAL_ADDRESS: in all commercial mail;
					NULL: no marketing release */
	const char *admin_dir;       /* HCPD_ADMIN_DIR: the admin page's files; NULL: default */
	int admin_totp_required;     /* HCPD_ADMIN_TOTP_REQUIRED: 1, every staff member signs in
					with a second factor (enrolling first); 0, those enrolled */
	const char *registries_dir;  /* HCPD_REGISTRIES_DIR: verifier definitions */
	int verify_concurrency;      /* HCPD_VERIFY_CONCURRENCY: checks in flight; 0: none here */
	int reverify_days;           /* HCPD_REVERIFY_DAYS: re-check verified accounts this often */
	int reverify_interval;       /* HCPD_REVERIFY_INTERVAL_SECONDS: between monitoring passes */
	int digest_hours;            /* HCPD_REVIEW_DIGEST_HOURS: queue age that mails admins */
	const char *metrics_listen;  /* HCPD_METRICS_LISTEN: host:port of /metrics; NULL: off */
	struct netaddr_cidrs trusted_proxies; /* HCPD_TRUSTED_PROXIES: whose forwarding is read */
	enum netaddr_header proxy_header; /* HCPD_TRUSTED_PROXY_HEADER: which header they write */
	int max_conns_per_address;        /* HCPD_MAX_CONNECTIONS_PER_ADDRESS: 0 no cap */
	int request_deadline;             /* HCPD_REQUEST_DEADLINE_SECONDS: head, then body */
	/* mail links (links.h): templates with {public_url} and {token} */
	const char *link_confirm_email;       /* HCPD_LINK_CONFIRM_EMAIL */
	const char *link_reset_password;      /* HCPD_LINK_RESET_PASSWORD */
	const char *link_change_email;        /* HCPD_LINK_CHANGE_EMAIL */
	const char *link_cancel_email_change; /* HCPD_LINK_CANCEL_EMAIL_CHANGE */
	const char *pages_dir;     /* HCPD_PAGES_DIR: hcpd's own account pages; NULL: default */
	const char *locale_dir;    /* HCPD_LOCALE_DIR: compiled translations; NULL: default */
	const char *webhooks_file; /* HCPD_WEBHOOKS_FILE: webhook endpoints; NULL: none here */
};

/* Fills cfg from the environment. On ERR_INVALID, *ret_why names the
 * variable and the rule it broke (a static or cfg-owned string). */
enum err config_load(struct config *cfg, const char **ret_why);

#endif
