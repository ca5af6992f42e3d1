/*
 * http_json.c - the "http_json" kind: any registry with an HTTP/JSON API,
 * described entirely by its definition file, so an integrator adds one
 * without C code or a rebuild. It owns the definition's parsed section
 * (in v->priv, strings borrowed from v->doc) and the header lines with
 * their secrets expanded, which it wipes in cleanup. It never sends a
 * field the definition does not list under "fields", never puts a value
 * (personal or secret) into a reason or a message, and never logs.
 *
 * The section, under the key "http_json" (every key checked at start-up,
 * messages name the key: "http_json": "rules[1].outcome" must be ...):
 *
 *   "method"   "GET" (the default) or "POST".
 *   "url"      a template that starts with {base_url} (replaced verbatim
 *              by the base URL, HCPD_REGISTRY_URL_<NAME> or the file's),
 *              then literal URL characters and {field} placeholders, each
 *              replaced by the professional's value percent-encoded (only
 *              RFC 3986 unreserved characters are kept). A placeholder
 *              must name a field of "fields": a "compares" field never
 *              leaves. Braces are reserved for placeholders.
 *   "headers"  {name: value}: static values, in which ${VAR} is replaced
 *              from the environment at start-up (unset or empty is an
 *              error naming the header, never the value). Names are HTTP
 *              tokens (not Host, Content-Length and other framing
 *              headers), values printable ASCII: no CR, LF or controls.
 *              A POST gets "Content-Type: application/json" unless set.
 *   "body"     null or absent for GET; for POST, a JSON object or array
 *              whose string values may hold {field} placeholders, filled
 *              with the value JSON-escaped (keys are literal).
 *   Every field of "fields" must appear in the url or the body, so what
 *   the ledger records as disclosed is exactly what is sent.
 *   "not_found_status"  HTTP statuses that mean "no record" (201-499,
 *              not 429); 200 is the only other status understood.
 *   "envelope" optional JSON pointer every understood 200 reply has
 *              (e.g. "/results"): without it the reply is not understood
 *              (ERR_UPSTREAM, retried) rather than "no record".
 *   "record"   JSON pointer to the record in the reply ("" the whole
 *              reply, the default); absent, null or an empty array ->
 *              not_found.
 *   "map"      {name: pointer relative to the record}: the values rules
 *              and compare use. A value must be a string, an integer
 *              (taken as its decimal text, never through a double), a
 *              bool or null; anything else (a fraction, an object, an
 *              array) makes the reply not understood. A mapped "expires"
 *              that is a valid YYYY-MM-DD is reported as the licence's
 *              expiry. Every mapped name must be used.
 *   "rules"    [{field, one condition, outcome, reason}], in order, the
 *              first that matches decides the outcome: "in" [strings]
 *              and "not_in" [strings] (ASCII case-insensitive; not_in
 *              matches any present value that is not one of them),
 *              "equals" a string (case-insensitive), integer, bool or
 *              null (of the same JSON type), "missing": true (the mapped
 *              value is absent). outcome: mismatch, not_found, inactive,
 *              excluded or error; reason: 1-127 bytes of static text.
 *   "compare"  {name: method}: the mapped value compared with the
 *              registered field of the same name (which must be in
 *              "fields" or "compares"): "name" (compare_names),
 *              "given_name" (compare_given_names), "code" (letters and
 *              digits, case-insensitive), "exact" (byte for byte). At
 *              least one. A field the professional did not give is not
 *              compared; a registry value that is absent neither
 *              confirms nor contradicts.
 *
 * The outcome: a matching rule's; otherwise mismatch naming the first
 * compared field that differs ("family name differs"); otherwise, when at
 * least one compared field matched, verified; when none could be
 * compared at all (every registry value absent), error: a record with
 * nothing to compare proves nothing, and is most often a map pointer that
 * does not fit the reply. Checks and evidence are filled in every case a
 * record was found, so an admin sees them beside a rule's outcome.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "compare.h"
#include "crypto.h"
#include "jsonbody.h"
#include "jsonptr.h"
#include "validate.h"
#include "verifier.h"

#define HJ_TEMPLATE_MAX    2048  /* bytes of the url template, a header value template */
#define HJ_URL_MAX         8192  /* bytes of a built URL */
#define HJ_HEADERS_MAX     16    /* headers of one definition */
#define HJ_HEADER_NAME_MAX 64    /* bytes of a header name */
#define HJ_HEADER_MAX      4096  /* bytes of one "Name: value" line, secrets expanded */
#define HJ_ENV_NAME_MAX    64    /* bytes of a ${VAR} name */
#define HJ_BODY_MAX        65536 /* bytes of a built POST body */
#define HJ_BODY_DEPTH      8     /* nesting of the body template */
#define HJ_BODY_NODES      256   /* values in the body template */
#define HJ_STATUS_MAX      8     /* not_found_status entries */
#define HJ_MAP_MAX         32    /* mapped names */
#define HJ_NAME_MAX        63    /* bytes of a mapped name or a placeholder */
#define HJ_POINTER_MAX     256   /* bytes of a JSON pointer */
#define HJ_RULES_MAX       32    /* rules */
#define HJ_LIST_MAX        32    /* strings in one "in" or "not_in" */
#define HJ_TEXT_MAX        256   /* bytes of one of those strings, or of "equals" */
#define HJ_REPLY_DEPTH     64    /* nesting of a reply, checked before jansson parses it */
#define HJ_NUMBER_MAX      24    /* bytes of an integer as decimal text */

enum hj_cond {
	COND_IN,      /* a string, one of the list */
	COND_NOT_IN,  /* present, and not a string of the list */
	COND_EQUALS,  /* the same JSON type and value */
	COND_MISSING, /* absent from the record */
};

struct hj_rule {
	size_t field; /* index into map */
	enum hj_cond cond;
	json_t *value; /* the list or the "equals" value, borrowed from the doc */
	enum outcome outcome;
	const char *reason; /* static text from the file */
};

enum hj_method {
	CMP_NAME,  /* compare_names */
	CMP_GIVEN, /* compare_given_names */
	CMP_CODE,  /* compare_normalise, equal and non-empty */
	CMP_EXACT, /* byte for byte */
};

struct hj_compare {
	size_t field; /* index into map; also the registered field's name */
	enum hj_method method;
	char differs[VERIFIER_REASON_MAX]; /* "family name differs" */
};

struct hj_priv {
	bool post;
	const char *url;               /* the template, validated */
	json_t *body;                  /* the template, or NULL */
	char *headers[HJ_HEADERS_MAX]; /* "Name: value", secrets expanded: wiped in cleanup */
	size_t nheaders;
	int not_found[HJ_STATUS_MAX];
	size_t nnot_found;
	const char *envelope; /* NULL: none */
	const char *record;
	const char *map_name[HJ_MAP_MAX];
	const char *map_pointer[HJ_MAP_MAX];
	size_t nmap;
	struct hj_rule rules[HJ_RULES_MAX];
	size_t nrules;
	struct hj_compare compares[HJ_MAP_MAX];
	size_t ncompares;
	long expires; /* the map index of "expires"; -1 none */
};

/* One mapped value of a reply's record. */
struct hj_value {
	json_t *json;     /* NULL: absent */
	const char *text; /* a string, an integer's decimal text, "true"/"false"; NULL for absent or
			     null */
	char number[HJ_NUMBER_MAX]; /* an integer's text */
};

/* A growing string with a cap: more than cap bytes is an error. */
struct hj_buf {
	char *s;
	size_t len;
	size_t cap;
	bool too_big;
	bool nomem;
};

static void buf_add(struct hj_buf *b, const char *s, size_t n)
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

static void buf_wipe(struct hj_buf *b)
{
	if (b->s != NULL)
		explicit_bzero(b->s, b->len);
	free(b->s);
	b->s = NULL;
	b->len = 0;
}

/* ---- start-up: validating the section ---- */

static enum err bad(char *why, size_t why_len, const char *key, const char *rule)
{
	snprintf(why, why_len, "\"http_json\": \"%s\" %s", key, rule);
	return ERR_INVALID;
}

/* ASCII letters and digits, whatever the locale (isalnum() is not). */
static bool ascii_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* A name for a mapped value or a placeholder: [a-z][a-z0-9_]*, at most
 * HJ_NAME_MAX bytes. */
static bool ident_ok(const char *s, size_t len)
{
	if (len == 0 || len > HJ_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!ident_char(s[i]))
			return false;
	return true;
}

/* A byte a URL template may hold as it is: RFC 3986 unreserved, reserved
 * (but '#': a fragment is never sent) and '%' (checked as %XX). */
static bool url_char(char c)
{
	return c != '\0' && (ascii_alnum(c) || strchr("-._~:/?[]@!$&'()*+,;=%", c) != NULL);
}

/* Checks a template's placeholders (and, for a URL, its literal bytes);
 * marks each field it sends in used[]. is_url: {base_url} must open it.
 * On failure writes why for key. */
static enum err template_check(const struct verifier *v, const char *t, bool is_url,
			       const char *key, bool used[VERIFIER_FIELDS_MAX], char *why,
			       size_t why_len)
{
	const char *p = t;

	if (is_url) {
		if (strncmp(t, "{base_url}", 10) != 0)
			return bad(why, why_len, key, "must start with {base_url}");
		p += 10;
	}
	while (*p != '\0') {
		char name[HJ_NAME_MAX + 1];
		const char *end;
		size_t len;

		if (*p == '}')
			return bad(why, why_len, key, "has a '}' outside a placeholder");
		if (*p != '{') {
			if (is_url && !url_char(*p))
				return bad(
					why, why_len, key,
					"may hold only URL characters (no spaces, '#', quotes or "
					"non-ASCII) outside placeholders");
			if (is_url && *p == '%' &&
			    !(crypto_hex_value(p[1]) >= 0 && crypto_hex_value(p[2]) >= 0))
				return bad(why, why_len, key, "has a '%' that is not %XX");
			p++;
			continue;
		}
		end = strchr(p + 1, '}');
		len = end != NULL ? (size_t)(end - p - 1) : 0;
		if (end == NULL || !ident_ok(p + 1, len))
			return bad(why, why_len, key,
				   "has a placeholder that is not {name} (lower-case letters, "
				   "digits, _)");
		memcpy(name, p + 1, len); /* ident_ok: at most HJ_NAME_MAX bytes */
		name[len] = '\0';
		if (strcmp(name, "base_url") == 0)
			return bad(why, why_len, key,
				   "may hold {base_url} only at its start (url)");
		if (verifier_names_have(v->compares, v->ncompares, name)) {
			snprintf(why, why_len,
				 "\"http_json\": \"%s\" sends {%s}, a \"compares\" field: only "
				 "fields listed in \"fields\" are sent",
				 key, name);
			return ERR_INVALID;
		}
		if (!verifier_names_have(v->fields, v->nfields, name)) {
			snprintf(why, why_len,
				 "\"http_json\": \"%s\" sends {%s}, which is not in \"fields\"",
				 key, name);
			return ERR_INVALID;
		}
		for (size_t i = 0; i < v->nfields; i++)
			if (strcmp(v->fields[i], name) == 0)
				used[i] = true;
		p = end + 1;
	}
	return ERR_OK;
}

/* Walks the body template: strings are templates, keys literal; depth
 * and size capped. *nodes counts values. */
static enum err body_check(const struct verifier *v, json_t *t, int depth, size_t *nodes,
			   bool used[VERIFIER_FIELDS_MAX], char *why, size_t why_len)
{
	const char *key;
	json_t *item;
	size_t i;
	enum err err = ERR_OK;

	if (++*nodes > HJ_BODY_NODES || depth > HJ_BODY_DEPTH)
		return bad(why, why_len, "body",
			   "is too large (at most 256 values, 8 levels deep)");
	if (json_is_string(t))
		return template_check(v, json_string_value(t), false, "body", used, why, why_len);
	if (json_is_real(t))
		return bad(why, why_len, "body", "may hold integers but not fractions");
	json_object_foreach (t, key, item) {
		if (strpbrk(key, "{}") != NULL)
			return bad(why, why_len, "body",
				   "has a key with a brace (keys are literal)");
		if ((err = body_check(v, item, depth + 1, nodes, used, why, why_len)) != ERR_OK)
			return err;
	}
	json_array_foreach (t, i, item) {
		if ((err = body_check(v, item, depth + 1, nodes, used, why, why_len)) != ERR_OK)
			return err;
	}
	return ERR_OK;
}

/* An HTTP token character (RFC 9110 tchar). */
static bool tchar(char c)
{
	return c != '\0' && (ascii_alnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A byte a header value may hold: printable ASCII, space or tab. */
static bool vchar(char c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7E);
}

/* Headers that frame or route the request: libcurl and net.c own them. */
static bool header_reserved(const char *name)
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

/* "Name: value" of one header into priv, ${VAR} expanded. */
static enum err header_add(struct hj_priv *priv, const char *name, json_t *value, char *why,
			   size_t why_len)
{
	const char *t = json_string_value(value);
	struct hj_buf line = {.cap = HJ_HEADER_MAX};
	char key[HJ_HEADER_NAME_MAX + sizeof("headers.")];
	enum err err = ERR_INVALID;

	snprintf(key, sizeof(key), "headers.%s", name);
	if (t == NULL || strlen(t) > HJ_TEMPLATE_MAX)
		return bad(why, why_len, key, "must be a string of at most 2048 bytes");
	buf_add(&line, name, strlen(name));
	buf_add(&line, ": ", 2);
	while (*t != '\0') {
		if (t[0] == '$' && t[1] == '{') {
			const char *end = strchr(t + 2, '}');
			size_t len = end != NULL ? (size_t)(end - t - 2) : 0;
			char var[HJ_ENV_NAME_MAX + 1];
			const char *secret;

			if (len == 0 || len > HJ_ENV_NAME_MAX ||
			    strspn(t + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len ||
			    isdigit((unsigned char)t[2])) {
				bad(why, why_len, key,
				    "has a ${...} that is not ${NAME} (upper-case letters, digits, "
				    "_)");
				goto out;
			}
			memcpy(var, t + 2, len);
			var[len] = '\0';
			secret = getenv(var);
			if (secret == NULL || secret[0] == '\0') {
				snprintf(why, why_len,
					 "\"http_json\": \"%s\" needs the environment variable %s, "
					 "which is not set",
					 key, var);
				goto out;
			}
			for (const char *s = secret; *s != '\0'; s++)
				if (!vchar(*s)) {
					snprintf(why, why_len,
						 "\"http_json\": \"%s\": the environment variable "
						 "%s "
						 "holds a control or non-ASCII character (CR, LF "
						 "...)",
						 key, var);
					goto out;
				}
			buf_add(&line, secret, strlen(secret));
			t = end + 1;
			continue;
		}
		if (*t == '{' || *t == '}') {
			bad(why, why_len, key,
			    "may not hold {field} placeholders or braces: fields go in url or "
			    "body");
			goto out;
		}
		if (!vchar(*t)) {
			bad(why, why_len, key, "must be printable ASCII (no CR, LF or controls)");
			goto out;
		}
		buf_add(&line, t, 1);
		t++;
	}
	if (line.nomem) {
		err = ERR_NOMEM;
		goto out;
	}
	if (line.too_big) {
		bad(why, why_len, key, "is longer than 4096 bytes once expanded");
		goto out;
	}
	priv->headers[priv->nheaders++] = line.s;
	line.s = NULL;
	err = ERR_OK;
out:
	buf_wipe(&line);
	return err;
}

static enum err headers_init(struct hj_priv *priv, json_t *headers, char *why, size_t why_len)
{
	char key[HJ_HEADER_NAME_MAX + sizeof("headers.")];
	bool content_type = false;
	const char *name;
	json_t *value;
	enum err err;

	if (headers != NULL &&
	    (!json_is_object(headers) || json_object_size(headers) > HJ_HEADERS_MAX - 1))
		return bad(why, why_len, "headers", "must be an object of at most 15 headers");
	json_object_foreach (headers, name, value) {
		size_t len = strlen(name);

		if (len == 0 || len > HJ_HEADER_NAME_MAX)
			return bad(why, why_len, "headers",
				   "has a name that is not an HTTP token of 1-64 bytes");
		for (size_t i = 0; i < len; i++)
			if (!tchar(name[i]))
				return bad(why, why_len, "headers",
					   "has a name that is not an HTTP token of 1-64 bytes");
		snprintf(key, sizeof(key), "headers.%s", name);
		if (header_reserved(name))
			return bad(
				why, why_len, key,
				"may not be set: Host, Content-Length and the other headers that "
				"frame or route the request are not the definition's");
		for (size_t i = 0; i < priv->nheaders; i++)
			if (strncasecmp(priv->headers[i], name, len) == 0 &&
			    priv->headers[i][len] == ':')
				return bad(why, why_len, key,
					   "names a header already given (names ignore case)");
		if (strcasecmp(name, "Content-Type") == 0)
			content_type = true;
		if ((err = header_add(priv, name, value, why, why_len)) != ERR_OK)
			return err;
	}
	if (priv->post && !content_type) {
		priv->headers[priv->nheaders] = strdup("Content-Type: application/json");
		if (priv->headers[priv->nheaders] == NULL)
			return ERR_NOMEM;
		priv->nheaders++;
	}
	return ERR_OK;
}

/* A JSON pointer under key (NULL: absent, *ret left alone). */
static bool pointer_ok(json_t *value, const char **ret)
{
	const char *s = json_string_value(value);

	if (s == NULL || strlen(s) > HJ_POINTER_MAX || !jsonptr_valid(s))
		return false;
	*ret = s;
	return true;
}

static long map_index(const struct hj_priv *priv, const char *name)
{
	for (size_t i = 0; name != NULL && i < priv->nmap; i++)
		if (strcmp(priv->map_name[i], name) == 0)
			return (long)i;
	return -1;
}

static enum err map_init(struct hj_priv *priv, json_t *map, char *why, size_t why_len)
{
	const char *name;
	json_t *pointer;

	if (!json_is_object(map) || json_object_size(map) == 0 ||
	    json_object_size(map) > HJ_MAP_MAX)
		return bad(why, why_len, "map",
			   "must be an object of 1 to 32 {name: JSON pointer} entries");
	json_object_foreach (map, name, pointer) {
		char key[HJ_NAME_MAX + sizeof("map.")];

		if (!ident_ok(name, strlen(name)))
			return bad(why, why_len, "map",
				   "has a name that is not lower-case letters, digits and _ "
				   "(at most 63)");
		snprintf(key, sizeof(key), "map.%s", name);
		if (!pointer_ok(pointer, &priv->map_pointer[priv->nmap]))
			return bad(
				why, why_len, key,
				"must be a JSON pointer (RFC 6901: \"\" or \"/a/0/b\", ~0 and ~1 "
				"escapes, at most 256 bytes)");
		priv->map_name[priv->nmap++] = name;
	}
	priv->expires = map_index(priv, "expires");
	return ERR_OK;
}

/* A list for "in" / "not_in": 1 to 32 distinct strings of at most 256
 * bytes. */
static bool list_ok(json_t *list)
{
	json_t *s;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > HJ_LIST_MAX)
		return false;
	json_array_foreach (list, i, s) {
		if (!json_is_string(s) || json_string_length(s) > HJ_TEXT_MAX)
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(json_string_value(json_array_get(list, j)),
				       json_string_value(s)) == 0)
				return false;
	}
	return true;
}

static enum err rule_init(struct hj_priv *priv, size_t n, json_t *r, char *why, size_t why_len)
{
	static const char *const keys[] = {"field",   "in",      "not_in", "equals",
					   "missing", "outcome", "reason", NULL};
	static const char *const conds[] = {"in", "not_in", "equals", "missing"};
	struct hj_rule *rule = &priv->rules[n];
	const char *reason, *bad_key = NULL;
	char key[64];
	size_t nconds = 0;
	long field;

	snprintf(key, sizeof(key), "rules[%zu]", n);
	if (!json_is_object(r))
		return bad(why, why_len, key, "must be an object");
	if (!json_only_keys(r, keys, &bad_key)) {
		snprintf(key, sizeof(key), "rules[%zu].%s", n, bad_key);
		return bad(why, why_len, key,
			   "is not a known key (field, in, not_in, equals, missing, outcome, "
			   "reason)");
	}
	snprintf(key, sizeof(key), "rules[%zu].field", n);
	field = map_index(priv, json_string_value(json_object_get(r, "field")));
	if (field < 0)
		return bad(why, why_len, key, "must be a name of \"map\"");
	rule->field = (size_t)field;
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		if (json_object_get(r, conds[i]) != NULL) {
			rule->cond = (enum hj_cond)i;
			nconds++;
		}
	if (nconds != 1) {
		snprintf(key, sizeof(key), "rules[%zu]", n);
		return bad(why, why_len, key,
			   "must have exactly one of in, not_in, equals, missing");
	}
	rule->value = json_object_get(r, conds[rule->cond]);
	snprintf(key, sizeof(key), "rules[%zu].%s", n, conds[rule->cond]);
	switch (rule->cond) {
	case COND_IN:
	case COND_NOT_IN:
		if (!list_ok(rule->value))
			return bad(why, why_len, key,
				   "must be 1 to 32 distinct strings of at most 256 bytes");
		break;
	case COND_EQUALS:
		if (json_is_real(rule->value) || json_is_object(rule->value) ||
		    json_is_array(rule->value) ||
		    (json_is_string(rule->value) && json_string_length(rule->value) > HJ_TEXT_MAX))
			return bad(why, why_len, key,
				   "must be a string (at most 256 bytes), an integer, a boolean or "
				   "null");
		break;
	case COND_MISSING:
		if (!json_is_true(rule->value))
			return bad(why, why_len, key, "must be true");
		break;
	}
	snprintf(key, sizeof(key), "rules[%zu].outcome", n);
	if (!outcome_parse(json_string_value(json_object_get(r, "outcome")), &rule->outcome) ||
	    rule->outcome == OUTCOME_VERIFIED)
		return bad(why, why_len, key,
			   "must be mismatch, not_found, inactive, excluded or error (only "
			   "\"compare\" verifies)");
	snprintf(key, sizeof(key), "rules[%zu].reason", n);
	reason = json_string_value(json_object_get(r, "reason"));
	if (reason == NULL || reason[0] == '\0' || strlen(reason) >= VERIFIER_REASON_MAX ||
	    !validate_utf8(reason, strlen(reason)) || !validate_no_controls(reason))
		return bad(why, why_len, key, "must be a text of 1 to 127 bytes without controls");
	rule->reason = reason;
	return ERR_OK;
}

static enum err compare_init(const struct verifier *v, struct hj_priv *priv, json_t *compare,
			     char *why, size_t why_len)
{
	static const char *const methods[] = {"name", "given_name", "code", "exact"};
	const char *name;
	json_t *method;

	if (!json_is_object(compare) || json_object_size(compare) == 0)
		return bad(why, why_len, "compare",
			   "must be an object of at least one {mapped name: method}: a check that "
			   "compares nothing verifies nothing");
	json_object_foreach (compare, name, method) {
		struct hj_compare *c = &priv->compares[priv->ncompares];
		long field = map_index(priv, name);
		char key[HJ_NAME_MAX + sizeof("compare.")];
		size_t m;

		if (field < 0)
			return bad(why, why_len, "compare",
				   "has a name that is not a name of \"map\"");
		snprintf(key, sizeof(key), "compare.%s", name);
		if (!verifier_names_have(v->fields, v->nfields, name) &&
		    !verifier_names_have(v->compares, v->ncompares, name))
			return bad(
				why, why_len, key,
				"must name a field of \"fields\" or \"compares\" (the registered "
				"value it is compared with)");
		for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			if (json_is_string(method) &&
			    strcmp(json_string_value(method), methods[m]) == 0)
				break;
		if (m == sizeof(methods) / sizeof(methods[0]))
			return bad(why, why_len, key, "must be name, given_name, code or exact");
		c->field = (size_t)field;
		c->method = (enum hj_method)m;
		snprintf(c->differs, sizeof(c->differs), "%s differs", name);
		for (char *s = c->differs; *s != '\0'; s++)
			if (*s == '_')
				*s = ' ';
		priv->ncompares++;
	}
	return ERR_OK;
}

/* Is every mapped name used by a rule, a compare or as "expires"? */
static bool map_all_used(const struct hj_priv *priv, const char **ret_unused)
{
	for (size_t i = 0; i < priv->nmap; i++) {
		bool used = (long)i == priv->expires;

		for (size_t j = 0; !used && j < priv->nrules; j++)
			used = priv->rules[j].field == i;
		for (size_t j = 0; !used && j < priv->ncompares; j++)
			used = priv->compares[j].field == i;
		if (!used) {
			*ret_unused = priv->map_name[i];
			return false;
		}
	}
	return true;
}

static enum err hj_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {
		"method", "url",   "headers", "body", "not_found_status", "envelope", "record",
		"map",    "rules", "compare", NULL};
	struct hj_priv *priv = v->priv;
	bool used[VERIFIER_FIELDS_MAX] = {false};
	json_t *method, *body, *statuses, *rules, *item;
	const char *bad_key = NULL, *unused = NULL;
	size_t i, nodes = 0;
	enum err err;

	priv->expires = -1;
	if (!json_is_object(conf)) {
		snprintf(why, why_len, "\"http_json\": this kind needs its section, an object");
		return ERR_INVALID;
	}
	if (!json_only_keys(conf, keys, &bad_key))
		return bad(why, why_len, bad_key, "is not a known key");
	method = json_object_get(conf, "method");
	if (method != NULL &&
	    !(json_is_string(method) && (strcmp(json_string_value(method), "GET") == 0 ||
					 strcmp(json_string_value(method), "POST") == 0)))
		return bad(why, why_len, "method", "must be GET or POST");
	priv->post = method != NULL && strcmp(json_string_value(method), "POST") == 0;
	priv->url = json_string_value(json_object_get(conf, "url"));
	if (priv->url == NULL || strlen(priv->url) > HJ_TEMPLATE_MAX)
		return bad(why, why_len, "url", "must be a string of at most 2048 bytes");
	if ((err = template_check(v, priv->url, true, "url", used, why, why_len)) != ERR_OK)
		return err;
	body = json_object_get(conf, "body");
	if (body != NULL && !json_is_null(body)) {
		if (!priv->post)
			return bad(why, why_len, "body", "must be null or absent for GET");
		if (!json_is_object(body) && !json_is_array(body))
			return bad(why, why_len, "body", "must be a JSON object or array template");
		if ((err = body_check(v, body, 1, &nodes, used, why, why_len)) != ERR_OK)
			return err;
		priv->body = body;
	} else if (priv->post) {
		return bad(why, why_len, "body",
			   "must be a JSON object or array template for POST");
	}
	for (i = 0; i < v->nfields; i++)
		if (!used[i]) {
			snprintf(why, why_len,
				 "\"http_json\": \"url\" and \"body\" must send every field of "
				 "\"fields\" (%s is never sent)",
				 v->fields[i]);
			return ERR_INVALID;
		}
	if ((err = headers_init(priv, json_object_get(conf, "headers"), why, why_len)) != ERR_OK)
		return err;
	statuses = json_object_get(conf, "not_found_status");
	if (statuses != NULL &&
	    (!json_is_array(statuses) || json_array_size(statuses) > HJ_STATUS_MAX))
		return bad(why, why_len, "not_found_status",
			   "must be an array of at most 8 HTTP statuses");
	json_array_foreach (statuses, i, item) {
		json_int_t s = json_integer_value(item);

		if (!json_is_integer(item) || s < 201 || s > 499 || s == 429)
			return bad(why, why_len, "not_found_status",
				   "must hold HTTP statuses from 201 to 499 but 429 (the runner "
				   "retries 429 and 5xx; 200 is a reply)");
		for (size_t j = 0; j < priv->nnot_found; j++)
			if (priv->not_found[j] == (int)s)
				return bad(why, why_len, "not_found_status", "repeats a status");
		priv->not_found[priv->nnot_found++] = (int)s;
	}
	item = json_object_get(conf, "envelope");
	if (item != NULL && !pointer_ok(item, &priv->envelope))
		return bad(why, why_len, "envelope", "must be a JSON pointer (RFC 6901)");
	priv->record = "";
	item = json_object_get(conf, "record");
	if (item != NULL && !pointer_ok(item, &priv->record))
		return bad(why, why_len, "record",
			   "must be a JSON pointer (RFC 6901: \"\" or \"/results/0\")");
	if ((err = map_init(priv, json_object_get(conf, "map"), why, why_len)) != ERR_OK)
		return err;
	rules = json_object_get(conf, "rules");
	if (rules != NULL && (!json_is_array(rules) || json_array_size(rules) > HJ_RULES_MAX))
		return bad(why, why_len, "rules", "must be an array of at most 32 rules");
	json_array_foreach (rules, i, item) {
		if ((err = rule_init(priv, i, item, why, why_len)) != ERR_OK)
			return err;
		priv->nrules++;
	}
	if ((err = compare_init(v, priv, json_object_get(conf, "compare"), why, why_len)) != ERR_OK)
		return err;
	if (!map_all_used(priv, &unused)) {
		char key[HJ_NAME_MAX + sizeof("map.")];

		snprintf(key, sizeof(key), "map.%s", unused);
		return bad(why, why_len, key,
			   "is used by no rule and no compare (and is not \"expires\")");
	}
	return ERR_OK;
}

static void hj_cleanup(struct verifier *v)
{
	struct hj_priv *priv = v->priv;

	for (size_t i = 0; i < priv->nheaders; i++) {
		explicit_bzero(priv->headers[i], strlen(priv->headers[i]));
		free(priv->headers[i]);
		priv->headers[i] = NULL;
	}
	priv->nheaders = 0;
}

/* ---- build_request ---- */

/* Appends s percent-encoded: only RFC 3986 unreserved bytes stay. */
static void add_encoded(struct hj_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (ascii_alnum((char)c) || c == '-' || c == '.' || c == '_' || c == '~')
			buf_add(b, s, 1);
		else
			buf_add(b, esc, 3);
	}
}

/* t with its {field} placeholders filled from fields (encoded for a URL
 * when is_url; raw otherwise, JSON-escaped later); {base_url} at the
 * start of a URL is base. */
static void fill(struct hj_buf *b, const char *t, const json_t *fields, const char *base,
		 bool is_url)
{
	if (is_url) {
		buf_add(b, base, strlen(base));
		t += 10; /* "{base_url}", checked at init */
	}
	while (*t != '\0') {
		const char *end;
		char name[HJ_NAME_MAX + 1];
		const char *value;

		if (*t != '{') {
			size_t n = strcspn(t, "{");

			buf_add(b, t, n);
			t += n;
			continue;
		}
		end = strchr(t, '}'); /* checked at init */
		snprintf(name, sizeof(name), "%.*s", (int)(end - t - 1), t + 1);
		value = json_string_value(json_object_get(fields, name));
		if (is_url)
			add_encoded(b, value);
		else
			buf_add(b, value, strlen(value));
		t = end + 1;
	}
}

/* A copy of the body template with its strings filled. */
static json_t *fill_body(json_t *t, const json_t *fields, bool *ret_too_big)
{
	json_t *copy = NULL, *item;
	const char *key;
	size_t i;

	if (json_is_string(t)) {
		struct hj_buf b = {.cap = HJ_BODY_MAX};

		fill(&b, json_string_value(t), fields, NULL, false);
		if (b.too_big)
			*ret_too_big = true;
		/* an empty template string leaves b.s NULL */
		if (!b.too_big && !b.nomem)
			copy = json_stringn(b.s != NULL ? b.s : "", b.len);
		buf_wipe(&b);
		return copy;
	}
	if (json_is_object(t)) {
		copy = json_object();
		json_object_foreach (t, key, item) {
			if (copy != NULL &&
			    json_object_set_new(copy, key, fill_body(item, fields, ret_too_big)) !=
				    0) {
				json_decref(copy);
				copy = NULL;
			}
		}
		return copy;
	}
	if (json_is_array(t)) {
		copy = json_array();
		json_array_foreach (t, i, item) {
			if (copy != NULL &&
			    json_array_append_new(copy, fill_body(item, fields, ret_too_big)) !=
				    0) {
				json_decref(copy);
				copy = NULL;
			}
		}
		return copy;
	}
	return json_copy(t); /* integer, bool, null */
}

static enum err hj_build_request(const struct verifier *v, const json_t *fields,
				 struct verifier_request *ret_req, char *why, size_t why_len)
{
	const struct hj_priv *priv = v->priv;
	struct verifier_request req = {0};
	struct hj_buf url = {.cap = HJ_URL_MAX};
	json_t *body = NULL;
	bool too_big = false;
	enum err err = ERR_INVALID;

	/* every field is sent (checked at init): each must have a value */
	for (size_t i = 0; i < v->nfields; i++) {
		const char *value = json_string_value(json_object_get(fields, v->fields[i]));

		if (value == NULL || value[0] == '\0') {
			snprintf(why, why_len, "missing %s", v->fields[i]);
			goto out;
		}
		if (!validate_utf8(value, strlen(value))) {
			snprintf(why, why_len, "%s is not valid UTF-8", v->fields[i]);
			goto out;
		}
	}
	fill(&url, priv->url, fields, v->base_url, true);
	err = ERR_NOMEM;
	if (url.nomem)
		goto out;
	if (url.too_big) {
		snprintf(why, why_len, "the URL would be longer than %d bytes", HJ_URL_MAX);
		err = ERR_INVALID;
		goto out;
	}
	req.url = url.s;
	url.s = NULL;
	req.method = strdup(priv->post ? "POST" : "GET");
	req.headers = calloc(priv->nheaders > 0 ? priv->nheaders : 1, sizeof(*req.headers));
	if (req.method == NULL || req.headers == NULL)
		goto out;
	for (; req.nheaders < priv->nheaders; req.nheaders++)
		if ((req.headers[req.nheaders] = strdup(priv->headers[req.nheaders])) == NULL)
			goto out;
	if (priv->body != NULL) {
		body = fill_body(priv->body, fields, &too_big);
		if (body != NULL && !too_big)
			req.body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (too_big || (req.body != NULL && strlen(req.body) > HJ_BODY_MAX)) {
			snprintf(why, why_len, "the body would be longer than %d bytes",
				 HJ_BODY_MAX);
			err = ERR_INVALID;
			goto out;
		}
		if (req.body == NULL)
			goto out;
		req.body_len = strlen(req.body);
	}
	*ret_req = req;
	memset(&req, 0, sizeof(req));
	err = ERR_OK;
out:
	json_decref(body);
	buf_wipe(&url);
	verifier_request_release(&req);
	return err;
}

/* ---- parse_reply: pure ---- */

/* The mapped values of record into vals; false when one is of a type no
 * rule or compare can read (a fraction, an object, an array). */
static bool read_values(const struct hj_priv *priv, json_t *record, struct hj_value *vals)
{
	for (size_t i = 0; i < priv->nmap; i++) {
		struct hj_value *val = &vals[i];
		json_t *j = jsonptr_get(record, priv->map_pointer[i]);

		val->json = j;
		val->text = NULL;
		if (j == NULL || json_is_null(j))
			continue;
		if (json_is_string(j)) {
			val->text = json_string_value(j);
		} else if (json_is_integer(j)) {
			snprintf(val->number, sizeof(val->number), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(j));
			val->text = val->number;
		} else if (json_is_boolean(j)) {
			val->text = json_is_true(j) ? "true" : "false";
		} else {
			return false;
		}
	}
	return true;
}

static bool list_has(json_t *list, const char *s)
{
	json_t *item;
	size_t i;

	json_array_foreach (list, i, item) {
		if (strcasecmp(json_string_value(item), s) == 0)
			return true;
	}
	return false;
}

static bool rule_matches(const struct hj_rule *rule, const struct hj_value *val)
{
	json_t *want = rule->value, *got = val->json;

	switch (rule->cond) {
	case COND_MISSING:
		return got == NULL;
	case COND_IN:
		return json_is_string(got) && list_has(want, json_string_value(got));
	case COND_NOT_IN:
		return got != NULL &&
		       !(json_is_string(got) && list_has(want, json_string_value(got)));
	case COND_EQUALS:
		if (json_is_string(want))
			return json_is_string(got) &&
			       strcasecmp(json_string_value(want), json_string_value(got)) == 0;
		if (json_is_integer(want))
			return json_is_integer(got) &&
			       json_integer_value(want) == json_integer_value(got);
		if (json_is_boolean(want))
			return json_is_boolean(got) && json_is_true(want) == json_is_true(got);
		return json_is_null(want) && json_is_null(got);
	}
	return false;
}

static bool code_equal(const char *a, const char *b)
{
	char na[COMPARE_TEXT_MAX], nb[COMPARE_TEXT_MAX];

	compare_normalise(a, na);
	compare_normalise(b, nb);
	return na[0] != '\0' && strcmp(na, nb) == 0;
}

static bool method_matches(enum hj_method method, const char *registered, const char *registry)
{
	switch (method) {
	case CMP_NAME:
		return compare_names(registered, registry);
	case CMP_GIVEN:
		return compare_given_names(registered, registry);
	case CMP_CODE:
		return code_equal(registered, registry);
	case CMP_EXACT:
		return strcmp(registered, registry) == 0;
	}
	return false;
}

/* Judges the record's values into res (outcome, checks, evidence). */
static enum err judge(const struct hj_priv *priv, const json_t *fields, const struct hj_value *vals,
		      struct verifier_result *res)
{
	const struct hj_rule *decided = NULL;
	const char *differs = NULL;
	size_t matched = 0;
	enum err err;

	for (size_t i = 0; decided == NULL && i < priv->nrules; i++)
		if (rule_matches(&priv->rules[i], &vals[priv->rules[i].field]))
			decided = &priv->rules[i];
	err = verifier_result_init(res, OUTCOME_VERIFIED, "the registry record matches");
	if (err != ERR_OK)
		return err;
	for (size_t i = 0; i < priv->ncompares; i++) {
		const struct hj_compare *c = &priv->compares[i];
		const char *name = priv->map_name[c->field];
		const char *registered = json_string_value(json_object_get(fields, name));
		const char *registry = vals[c->field].text;
		bool absent = registry == NULL || registry[0] == '\0';

		if (registered == NULL)
			continue; /* the professional did not give it */
		if (!compare_record(res->checks, res->evidence, name, registered, registry,
				    !absent && method_matches(c->method, registered, registry),
				    &err) &&
		    differs == NULL)
			differs = c->differs;
		if (!absent)
			matched++;
	}
	if (err != ERR_OK) {
		verifier_result_release(res);
		return err;
	}
	if (priv->expires >= 0 && json_is_string(vals[priv->expires].json) &&
	    validate_date(vals[priv->expires].text))
		snprintf(res->expires, sizeof(res->expires), "%s", vals[priv->expires].text);
	if (decided != NULL) {
		res->outcome = decided->outcome;
		snprintf(res->reason, sizeof(res->reason), "%s", decided->reason);
	} else if (differs != NULL) {
		res->outcome = OUTCOME_MISMATCH;
		snprintf(res->reason, sizeof(res->reason), "%s", differs);
	} else if (matched == 0) {
		res->outcome = OUTCOME_ERROR;
		snprintf(res->reason, sizeof(res->reason),
			 "the record holds none of the compared fields");
	}
	return ERR_OK;
}

static enum err hj_parse_reply(const struct verifier *v, const json_t *fields,
			       const struct verifier_reply *reply, struct verifier_result *ret_res)
{
	const struct hj_priv *priv = v->priv;
	struct hj_value vals[HJ_MAP_MAX];
	json_error_t jerr;
	json_t *doc = NULL, *record;
	enum err err = ERR_UPSTREAM;

	for (size_t i = 0; i < priv->nnot_found; i++)
		if (reply->status == priv->not_found[i])
			return verifier_result_init(ret_res, OUTCOME_NOT_FOUND,
						    "the registry answered it has no such record");
	if (reply->status != 200 || reply->body == NULL || reply->len == 0 ||
	    reply->len > VERIFIER_REPLY_MAX ||
	    json_nesting_exceeds(reply->body, reply->len, HJ_REPLY_DEPTH))
		return ERR_UPSTREAM;
	doc = json_loadb(reply->body, reply->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (doc == NULL) {
		err = json_error_code(&jerr) == json_error_out_of_memory ? ERR_NOMEM : ERR_UPSTREAM;
		goto out;
	}
	if (priv->envelope != NULL && jsonptr_get(doc, priv->envelope) == NULL)
		goto out;
	record = jsonptr_get(doc, priv->record);
	if (record == NULL || json_is_null(record) ||
	    (json_is_array(record) && json_array_size(record) == 0)) {
		err = verifier_result_init(ret_res, OUTCOME_NOT_FOUND,
					   "the registry reply holds no record");
		goto out;
	}
	if (!read_values(priv, record, vals))
		goto out;
	err = judge(priv, fields, vals, ret_res);
out:
	json_decref(doc);
	return err;
}

const struct verifier_ops verifier_http_json = {
	.kind = "http_json",
	.transport = TRANSPORT_HTTP,
	.priv_size = sizeof(struct hj_priv), /* the parsed section and the expanded headers */
	.init = hj_init,                     /* validates the "http_json" section strictly */
	.build_request = hj_build_request,   /* url/body from "fields" only, headers from priv */
	.parse_reply = hj_parse_reply,       /* pure: status, pointers, rules, compare */
	.check_local = NULL,                 /* remote */
	.cleanup = hj_cleanup,               /* wipes and frees the header lines */
};
