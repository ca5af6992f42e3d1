/*
 * http_json_def.h - private to the "http_json" kind: its definition
 * section as parsed at start-up (struct hj_priv, in v->priv), which
 * http_json_def.c fills and checks and http_json.c reads for every request
 * and reply, with the caps both halves hold it to and the capped buffer
 * both build strings in. Only verifiers/http_json*.c include it, and the
 * kinds that share its URL templates (manual.c, fhir.c); the section's
 * format is described at the top of http_json.c.
 */
#ifndef HCPD_HTTP_JSON_DEF_H
#define HCPD_HTTP_JSON_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "err.h"
#include "verifier.h"

#define HJ_TEMPLATE_MAX    2048 /* bytes of the url template, a header value template */
#define HJ_HEADERS_MAX     16   /* headers of one definition */
#define HJ_HEADER_NAME_MAX 64   /* bytes of a header name */
#define HJ_HEADER_MAX      4096 /* bytes of one "Name: value" line, secrets expanded */
#define HJ_ENV_NAME_MAX    64   /* bytes of a ${VAR} name */
#define HJ_BODY_DEPTH      8    /* nesting of the body template */
#define HJ_BODY_NODES      256  /* values in the body template */
#define HJ_STATUS_MAX      8    /* not_found_status entries */
#define HJ_MAP_MAX         32   /* mapped names */
#define HJ_NAME_MAX        63   /* bytes of a mapped name or a placeholder */
#define HJ_POINTER_MAX     256  /* bytes of a JSON pointer */
#define HJ_RULES_MAX       32   /* rules */
#define HJ_LIST_MAX        32   /* strings in one "in" or "not_in" */
#define HJ_TEXT_MAX        256  /* bytes of one of those strings, or of "equals" */

/* What a rule tests of its mapped value. */
enum hj_cond {
	COND_IN,      /* a string, one of the list */
	COND_NOT_IN,  /* present, and not a string of the list */
	COND_EQUALS,  /* the same JSON type and value */
	COND_MISSING, /* absent from the record */
};

/* One of "rules": the first that matches decides the outcome. */
struct hj_rule {
	size_t field; /* index into map */
	enum hj_cond cond;
	json_t *value; /* the list or the "equals" value, borrowed from the doc */
	enum outcome outcome;
	const char *reason; /* static text from the file */
};

/* How "compare" compares a mapped value with the registered one. */
enum hj_method {
	CMP_NAME,  /* compare_names */
	CMP_GIVEN, /* compare_given_names */
	CMP_CODE,  /* compare_normalise, equal and non-empty */
	CMP_EXACT, /* byte for byte */
};

/* One of "compare". */
struct hj_compare {
	size_t field; /* index into map; also the registered field's name */
	enum hj_method method;
	char differs[VERIFIER_REASON_MAX]; /* "family name differs" */
};

/* The parsed section, in v->priv: filled by hj_init, then only read,
 * by every check at once (shared between threads). */
struct hj_priv {
	bool post;                     /* POST with a body, else GET */
	const char *url;               /* the template, validated */
	json_t *body;                  /* the template, or NULL */
	char *headers[HJ_HEADERS_MAX]; /* "Name: value", secrets expanded: wiped in cleanup */
	size_t nheaders;
	int not_found[HJ_STATUS_MAX];
	size_t nnot_found;
	const char *envelope; /* NULL: none */
	const char *record;   /* "" (the whole reply) by default */
	const char *map_name[HJ_MAP_MAX];
	const char *map_pointer[HJ_MAP_MAX];
	size_t nmap;
	struct hj_rule rules[HJ_RULES_MAX];
	size_t nrules;
	struct hj_compare compares[HJ_MAP_MAX];
	size_t ncompares;
	long expires; /* the map index of "expires"; -1 none */
};

/* A growing string with a cap: more than cap bytes is an error. */
struct hj_buf {
	char *s;
	size_t len;
	size_t cap;
	bool too_big;
	bool nomem;
};

/* Appends n bytes of s. Past the cap it sets too_big, when memory runs
 * out nomem, and then adds nothing more: a caller checks both once, at
 * the end. */
static inline void hj_buf_add(struct hj_buf *b, const char *s, size_t n)
{
	char *grown;

	if (b->too_big || b->nomem)
		return;
	if (b->len + n > b->cap) {
		b->too_big = true;
		return;
	}
	grown = realloc(b->s, b->len + n + 1);
	if (grown == NULL) {
		b->nomem = true;
		return;
	}
	b->s = grown;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Wipes (it may hold a secret or a personal value) and frees b's string. */
static inline void hj_buf_wipe(struct hj_buf *b)
{
	if (b->s != NULL)
		explicit_bzero(b->s, b->len);
	free(b->s);
	b->s = NULL;
	b->len = 0;
}

/* ASCII letters and digits, whatever the locale (isalnum() is not). */
static inline bool hj_ascii_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Checks the "http_json" section conf of v strictly and fills v->priv
 * (strings borrowed from v->doc; header lines with their ${VAR} secrets
 * expanded, malloc'd). On ERR_INVALID why names the key at fault, never a
 * value; ERR_NOMEM. Either way hj_cleanup frees what it set. Reads the
 * environment. */
enum err hj_init(struct verifier *v, json_t *conf, char *why, size_t why_len);

/* Wipes and frees the header lines hj_init made. */
void hj_cleanup(struct verifier *v);

/* Checks a template t of v's (the http_json url, a header or body
 * template, a manual register's search_url): placeholders {name} of
 * fields v lists in "fields" only (never a "compares" one), and for a URL
 * (is_url: {base_url} must open it) only URL characters and %XX outside
 * them; marks each field it uses in used[]. On ERR_INVALID writes why
 * for key, naming v's kind. Pure. */
enum err hj_template_check(const struct verifier *v, const char *t, bool is_url, const char *key,
			   bool used[VERIFIER_FIELDS_MAX], char *why, size_t why_len);

/* Appends s to b percent-encoded: only RFC 3986 unreserved bytes stay.
 * The encoder hj_fill uses for values (and the fhir kind for its
 * identifier system). */
void hj_add_encoded(struct hj_buf *b, const char *s);

/* Appends t to b with its {field} placeholders filled from fields, which
 * must hold every field t names (a checked template): percent-encoded,
 * only RFC 3986 unreserved bytes left as they are, when is_url (whose
 * {base_url} opening is base); raw otherwise (JSON-escaped later). The
 * one encoder of field values into URLs. */
void hj_fill(struct hj_buf *b, const char *t, const json_t *fields, const char *base, bool is_url);

#endif
