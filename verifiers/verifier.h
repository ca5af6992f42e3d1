/*
 * verifier.h - the verifier interface: one const ops table per kind of
 * verifier, the definitions that instantiate them, and the set of loaded
 * verifiers that the registration path and the job runner search.
 *
 * A verifier is a definition file (verifiers/registries/<name>.json, the
 * directory HCPD_REGISTRIES_DIR) naming a kind. The kinds are built in:
 *   "nppes"      the US NPPES NPI Registry API v2.1 (nppes.c)
 *   "http_json"  any HTTP/JSON registry described by the file (http_json.c)
 *   "roster_csv" a CSV roster loaded into PostgreSQL, matched locally (roster.c)
 *   "process"    an external program, one JSON request in, one out (process.c)
 *   "manual"     a register an admin searches by hand: no job, nothing sent
 *                (manual.c, issue 19)
 *   "fhir"       a FHIR R4 practitioner directory searched by identifier
 *                (fhir.c, issue 22)
 * Each kind's ops build the request from the fields the definition lists
 * (sent) and compare a reply with the fields it lists under "compares"
 * (kept here); they never touch the network, the
 * ledger or the job tables (runner.c does), so parse_reply is a pure
 * function of its inputs and is fuzzed directly. Nothing here logs.
 */
#ifndef HCPD_VERIFIER_H
#define HCPD_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "disclosures.h" /* struct recipient_def */
#include "err.h"

#define VERIFIER_NAME_MAX   63      /* [a-z0-9][a-z0-9-]*, like recipients.name */
#define VERIFIER_FIELDS_MAX 16      /* fields one verifier may receive */
#define VERIFIER_REPLY_MAX  1048576 /* bytes of a registry reply kept: more is an error */
#define VERIFIER_REASON_MAX 128     /* bytes of an outcome's reason */

/* A check's result, as stored in verifications.outcome. */
enum outcome {
	OUTCOME_VERIFIED = 0,
	OUTCOME_MISMATCH,  /* a record exists but a compared field differs */
	OUTCOME_NOT_FOUND, /* no record */
	OUTCOME_INACTIVE,  /* the record is not active (lapsed, revoked, deactivated) */
	OUTCOME_EXCLUDED,  /* on an exclusion or sanctions list */
	OUTCOME_ERROR,     /* no answer could be had */
};

/* "verified", "mismatch", ...: static strings. */
const char *outcome_name(enum outcome outcome);

/* The outcome named s; false for any other string. */
bool outcome_parse(const char *s, enum outcome *ret_outcome);

/* How a kind reaches its registry. */
enum verifier_transport {
	TRANSPORT_HTTP,    /* build_request, net.c, parse_reply */
	TRANSPORT_PROCESS, /* build_request (body is the program's stdin), spawn.c, parse_reply */
	TRANSPORT_LOCAL,   /* check_local against PostgreSQL: nothing leaves hcpd */
	TRANSPORT_MANUAL,  /* no check runs and no job is queued: an admin searches the
			      register by hand from the review item (manual.c) */
};

/* What build_request makes. Every member is malloc'd and owned by the
 * request; verifier_request_release() frees them. */
struct verifier_request {
	char *url;      /* TRANSPORT_HTTP: the absolute URL */
	char *method;   /* "GET" or "POST"; NULL is GET */
	char **headers; /* "Name: value" lines, may hold secrets: never logged */
	size_t nheaders;
	char *body; /* POST body or the program's stdin; NULL for none */
	size_t body_len;
	/* TRANSPORT_PROCESS: the program (argv[0], an absolute path), its
	 * arguments and its extra "NAME=value" environment, NULL-terminated,
	 * borrowed from v->priv (not freed with the request) */
	char *const *argv;
	char *const *env;
};

/* Frees what a request holds (not req itself) and wipes headers and body.
 * Accepts a zeroed request. */
void verifier_request_release(struct verifier_request *req);

/* What came back, borrowed by parse_reply. */
struct verifier_reply {
	long status;      /* TRANSPORT_HTTP: the HTTP status; TRANSPORT_PROCESS: the exit status */
	const char *body; /* not NUL-terminated; at most VERIFIER_REPLY_MAX bytes */
	size_t len;
};

/* A finished check. checks and evidence are new references owned by the
 * result; verifier_result_release() drops them. */
struct verifier_result {
	enum outcome outcome;
	char reason[VERIFIER_REASON_MAX]; /* short, never a personal value */
	json_t *checks;   /* {field: "match" | "mismatch" | "absent"}: never values */
	json_t *evidence; /* {field: {"registration": v, "registry": v}}, the
			     normalised values compared: personal, sealed before it is stored */
	char expires[11]; /* the licence's expiry the registry gave, YYYY-MM-DD, or "" */
};

/* Sets outcome and reason (printf-style) and makes empty checks and
 * evidence objects. ERR_NOMEM when they cannot be made. */
enum err verifier_result_init(struct verifier_result *res, enum outcome outcome, const char *fmt,
			      ...) __attribute__((format(printf, 3, 4)));

/* Drops checks and evidence. Accepts a zeroed result. */
void verifier_result_release(struct verifier_result *res);

struct verifier;

/* One kind of verifier. The core allocates priv_size zeroed bytes of
 * private state per verifier (v->priv) before init and frees them after
 * cleanup. */
struct verifier_ops {
	const char *kind;                  /* the definition's "kind" */
	enum verifier_transport transport; /* how the runner reaches the registry */
	size_t priv_size;                  /* bytes of v->priv; 0 for none */
	/* Validates the kind's own section of the definition (the object
	 * under the key named like the kind, NULL when absent) and fills
	 * v->priv. On ERR_INVALID, why names the key at fault. May be NULL. */
	enum err (*init)(struct verifier *v, json_t *conf, char *why, size_t why_len);
	/* The request for fields ({name: string}, only names the definition
	 * lists, those the profile has). ERR_INVALID, with why (no values),
	 * when the fields cannot make one (a required field missing): the
	 * check then ends as an error without anything being sent.
	 * HTTP and PROCESS kinds. */
	enum err (*build_request)(const struct verifier *v, const json_t *fields,
				  struct verifier_request *ret_req, char *why, size_t why_len);
	/* The outcome of a reply to the request built from the same fields.
	 * Pure: bytes in, outcome out. ERR_OK with *ret_res set for any
	 * answer the registry meant (including its error envelope);
	 * ERR_UPSTREAM for a reply that cannot be understood (truncated,
	 * not JSON, an unexpected status), which the runner retries.
	 * HTTP and PROCESS kinds. */
	enum err (*parse_reply)(const struct verifier *v, const json_t *fields,
				const struct verifier_reply *reply,
				struct verifier_result *ret_res);
	/* The outcome from data held in PostgreSQL (LOCAL kinds). Blocks. */
	enum err (*check_local)(const struct verifier *v, PGconn *conn, const json_t *fields,
				struct verifier_result *ret_res);
	/* Frees what init put in v->priv. May be NULL. */
	void (*cleanup)(struct verifier *v);
};

/* One loaded definition. Strings are borrowed from doc (or, for
 * base_url, from the environment) and live as long as the set. */
struct verifier {
	const struct verifier_ops *ops;
	const char *file; /* its definition's path, for messages */
	const char *name; /* the recipient name and the jobs' verifier */
	const char *display_name;
	json_t *countries;   /* ISO 3166-1 alpha-2 codes it applies to */
	json_t *professions; /* catalogue professions; empty: every profession */
	const char *fields[VERIFIER_FIELDS_MAX]; /* exactly the fields sent to the registry */
	size_t nfields;
	const char *compares[VERIFIER_FIELDS_MAX]; /* fields compared with its reply, never sent */
	size_t ncompares;
	struct recipient_def recipient; /* its limited-use terms (HTTP and PROCESS kinds) */
	const char *base_url;           /* HCPD_REGISTRY_URL_<NAME> or the definition's */
	int connect_timeout_ms;         /* TCP and TLS set-up */
	int timeout_ms;                 /* one whole attempt */
	double rate_per_second;         /* requests a second across every hcpd process */
	int burst;                      /* requests that may go at once after a pause */
	int attempts;                   /* before the outcome is an error */
	int backoff_ms;                 /* the first retry's delay; doubled each time, jittered */
	int breaker_failures;           /* consecutive failures that open the circuit */
	int breaker_open_ms;            /* how long it stays open before one probe */
	struct net_opts *net;           /* HTTP kinds' transport options (net.h); NULL none */
	void *priv;                     /* ops->priv_size bytes, the kind's own state */
	json_t *doc;                    /* the parsed file */
};

struct verifier_set;
struct catalogue;
struct net_opts;

/* Loads every *.json file of dir (in name order) as a definition. A
 * definition is checked strictly: an unknown key, a bad value, a field
 * the catalogue lacks, terms that allow a field the verifier does not
 * receive or allow onward transfer, two files with one name all fail with
 * ERR_INVALID and why naming the file and the key. A definition whose
 * transport says "off_without_secrets" and whose secrets are unset is
 * left out (verifier_set_skipped()). A missing directory is
 * ERR_IO. An empty directory gives an empty set. Reads the environment
 * for HCPD_REGISTRY_URL_<NAME>. */
enum err verifier_set_load(const char *dir, const struct catalogue *cat,
			   struct verifier_set **ret_set, char *why, size_t why_len);

/* One definition from a parsed document (steals doc); file is used in
 * messages. For tests and fuzzers: the set it makes holds just this one. */
enum err verifier_set_from_json(json_t *doc, const char *file, const struct catalogue *cat,
				struct verifier_set **ret_set, char *why, size_t why_len);

/* Why the i-th definition verifier_set_load() left out was left out (its
 * transport secrets unset under "off_without_secrets": names the file and
 * the variable, never a value), or NULL past the last. Borrowed. */
const char *verifier_set_skipped(const struct verifier_set *set, size_t i);

/* Calls every verifier's cleanup and frees the set. Accepts NULL. */
void verifier_set_free(struct verifier_set *set);

/* The loaded verifiers in name order, borrowed from set. */
size_t verifier_set_count(const struct verifier_set *set);
const struct verifier *verifier_set_at(const struct verifier_set *set, size_t i);

/* The verifier named name, or NULL. */
const struct verifier *verifier_lookup(const struct verifier_set *set, const char *name);

/* The kind named kind (the built-in ops tables), or NULL. */
const struct verifier_ops *verifier_kind_lookup(const char *kind);

/* Is name one of the n names of a list (a definition's "fields" or
 * "compares", a terms' allowed_fields)? */
bool verifier_names_have(const char *const *names, size_t n, const char *name);

/* Does v apply to a professional of country and profession? country must
 * be one of v's countries, and profession one of v's professions unless
 * it lists none; NULL matches nothing. Its SQL twin, for the statements
 * that queue jobs for many accounts at once, is DB_VERIFIER_APPLIES
 * (db/applies.h): change both together (tests/unit/test_registry.c and
 * tests/integration/test_applies.py hold them to one table). */
bool verifier_applies(const struct verifier *v, const char *country, const char *profession);

/* The recipients the remote verifiers of set disclose to, borrowed, in
 * set order, *ret_n of them. LOCAL kinds disclose nothing and are left
 * out. */
const struct recipient_def *verifier_set_recipients(const struct verifier_set *set, size_t *ret_n);

/* What a check of profile uses: *ret_sent (a new object) holds the
 * fields v sends that profile has, *ret_local those and the fields v
 * compares. ERR_NOMEM when they cannot be made (nothing is set). */
enum err verifier_fields(const struct verifier *v, json_t *profile, json_t **ret_sent,
			 json_t **ret_local);

#endif
