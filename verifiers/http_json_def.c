/*
 * http_json_def.c - the start-up half of the "http_json" kind: checks a
 * definition's "http_json" section, key by key, and fills struct hj_priv
 * (http_json_def.h) for http_json.c, where the section's format is
 * described. Owns the header lines with their ${VAR} secrets expanded,
 * which hj_cleanup wipes. A message names the key at fault and never a
 * value, a secret above all; nothing here logs or reaches the network.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "http_json_def.h"
#include "jsonbody.h"
#include "jsonptr.h"
#include "lint.h"
#include "net.h"
#include "validate.h"

static enum err section_bad(const char *kind, char *why, size_t why_len, const char *key,
			    const char *rule)
{
	return lint_refuse(why, why_len, "\"%s\": \"%s\" %s", kind, key, rule);
}

static enum err bad(char *why, size_t why_len, const char *key, const char *rule)
{
	return section_bad("http_json", why, why_len, key, rule);
}

/* bad() for a template check, which other kinds share: names v's kind. */
static enum err kind_bad(const struct verifier *v, char *why, size_t why_len, const char *key,
			 const char *rule)
{
	return section_bad(v->ops->kind, why, why_len, key, rule);
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
	return c != '\0' && (hj_ascii_alnum(c) || strchr("-._~:/?[]@!$&'()*+,;=%", c) != NULL);
}

enum err hj_template_check(const struct verifier *v, const char *t, bool is_url, const char *key,
			   bool used[VERIFIER_FIELDS_MAX], char *why, size_t why_len)
{
	const char *p = t;
	char rule[HJ_NAME_MAX + 128];

	if (is_url) {
		if (strncmp(t, "{base_url}", 10) != 0)
			return kind_bad(v, why, why_len, key, "must start with {base_url}");
		p += 10;
	}
	while (*p != '\0') {
		char name[HJ_NAME_MAX + 1];
		const char *end;
		size_t len;

		if (*p == '}')
			return kind_bad(v, why, why_len, key, "has a '}' outside a placeholder");
		if (*p != '{') {
			if (is_url && !url_char(*p))
				return kind_bad(
					v, why, why_len, key,
					"may hold only URL characters (no spaces, '#', quotes or "
					"non-ASCII) outside placeholders");
			if (is_url && *p == '%' &&
			    !(crypto_hex_value(p[1]) >= 0 && crypto_hex_value(p[2]) >= 0))
				return kind_bad(v, why, why_len, key, "has a '%' that is not %XX");
			p++;
			continue;
		}
		end = strchr(p + 1, '}');
		len = end != NULL ? (size_t)(end - p - 1) : 0;
		if (end == NULL || !ident_ok(p + 1, len))
			return kind_bad(v, why, why_len, key,
					"has a placeholder that is not {name} (lower-case letters, "
					"digits, _)");
		memcpy(name, p + 1, len); /* ident_ok: at most HJ_NAME_MAX bytes */
		name[len] = '\0';
		if (strcmp(name, "base_url") == 0)
			return kind_bad(v, why, why_len, key,
					"may hold {base_url} only at its start (url)");
		if (verifier_names_have(v->compares, v->ncompares, name)) {
			snprintf(rule, sizeof(rule),
				 "sends {%s}, a \"compares\" field: only fields listed in "
				 "\"fields\" are sent",
				 name);
			return kind_bad(v, why, why_len, key, rule);
		}
		if (!verifier_names_have(v->fields, v->nfields, name)) {
			snprintf(rule, sizeof(rule), "sends {%s}, which is not in \"fields\"",
				 name);
			return kind_bad(v, why, why_len, key, rule);
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
		return hj_template_check(v, json_string_value(t), false, "body", used, why,
					 why_len);
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

/* "Name: value" of one header into priv, ${VAR} expanded. */
static enum err header_add(struct hj_priv *priv, const char *name, json_t *value, char *why,
			   size_t why_len)
{
	const char *t = json_string_value(value);
	struct hj_buf line = {.cap = HJ_HEADER_MAX};
	char key[HJ_HEADER_NAME_MAX + sizeof("headers.")], rule[LINT_ERROR_LEN];
	enum err err = ERR_INVALID;

	snprintf(key, sizeof(key), "headers.%s", name);
	if (t == NULL || strlen(t) > HJ_TEMPLATE_MAX)
		return bad(why, why_len, key, "must be a string of at most 2048 bytes");
	hj_buf_add(&line, name, strlen(name));
	hj_buf_add(&line, ": ", 2);
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
				snprintf(rule, sizeof(rule),
					 "needs the environment variable %s, which is not set",
					 var);
				bad(why, why_len, key, rule);
				goto out;
			}
			for (const char *s = secret; *s != '\0'; s++)
				if (!net_header_value_char(*s)) {
					snprintf(
						rule, sizeof(rule),
						"\"http_json\": \"%s\": the environment variable "
						"%s holds a control or non-ASCII character (CR, LF "
						"...)",
						key, var);
					lint_refuse(why, why_len, "%s", rule);
					goto out;
				}
			hj_buf_add(&line, secret, strlen(secret));
			t = end + 1;
			continue;
		}
		if (*t == '{' || *t == '}') {
			bad(why, why_len, key,
			    "may not hold {field} placeholders or braces: fields go in url or "
			    "body");
			goto out;
		}
		if (!net_header_value_char(*t)) {
			bad(why, why_len, key, "must be printable ASCII (no CR, LF or controls)");
			goto out;
		}
		hj_buf_add(&line, t, 1);
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
	hj_buf_wipe(&line);
	return err;
}

static enum err headers_init(struct hj_priv *priv, json_t *headers, char *why, size_t why_len)
{
	char key[HJ_HEADER_NAME_MAX + sizeof("headers.")];
	bool content_type = false;
	const char *name;
	json_t *value;
	enum err err = ERR_OK, one;

	if (headers != NULL &&
	    (!json_is_object(headers) || json_object_size(headers) > HJ_HEADERS_MAX - 1))
		return bad(why, why_len, "headers", "must be an object of at most 15 headers");
	json_object_foreach (headers, name, value) {
		size_t len = strlen(name);
		bool dup = false;

		/* each header checked, so that lint names every one at fault */
		if (!net_header_name_ok(name)) {
			err = bad(why, why_len, "headers",
				  "has a name that is not an HTTP token of 1-64 bytes");
			continue;
		}
		snprintf(key, sizeof(key), "headers.%s", name);
		if (net_header_reserved(name)) {
			err = bad(why, why_len, key,
				  "may not be set: Host, Content-Length and the other headers "
				  "that frame or route the request are not the definition's");
			continue;
		}
		for (size_t i = 0; i < priv->nheaders; i++)
			dup = dup || (strncasecmp(priv->headers[i], name, len) == 0 &&
				      priv->headers[i][len] == ':');
		if (dup) {
			err = bad(why, why_len, key,
				  "names a header already given (names ignore case)");
			continue;
		}
		if (strcasecmp(name, "Content-Type") == 0)
			content_type = true;
		one = header_add(priv, name, value, why, why_len);
		if (one == ERR_NOMEM)
			return one;
		err = err != ERR_OK ? err : one;
	}
	if (err != ERR_OK)
		return err;
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
	enum err err = ERR_OK;

	if (!json_is_object(map) || json_object_size(map) == 0 ||
	    json_object_size(map) > HJ_MAP_MAX)
		return bad(why, why_len, "map",
			   "must be an object of 1 to 32 {name: JSON pointer} entries");
	json_object_foreach (map, name, pointer) {
		char key[HJ_NAME_MAX + sizeof("map.")];

		/* each entry checked, so that lint names every one at fault */
		if (!ident_ok(name, strlen(name))) {
			err = bad(why, why_len, "map",
				  "has a name that is not lower-case letters, digits and _ "
				  "(at most 63)");
			continue;
		}
		snprintf(key, sizeof(key), "map.%s", name);
		if (!pointer_ok(pointer, &priv->map_pointer[priv->nmap])) {
			err = bad(why, why_len, key,
				  "must be a JSON pointer (RFC 6901: \"\" or \"/a/0/b\", ~0 and ~1 "
				  "escapes, at most 256 bytes)");
			/* still a name, so that the rules using it are not refused too */
			priv->map_pointer[priv->nmap] = "";
		}
		priv->map_name[priv->nmap++] = name;
	}
	priv->expires = map_index(priv, "expires");
	return err;
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

/* The request half of conf: method, url, body, headers. Every field of
 * "fields" must be sent, so that what the ledger records as disclosed is
 * what goes out. */
static enum err request_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	struct hj_priv *priv = v->priv;
	bool used[VERIFIER_FIELDS_MAX] = {false};
	json_t *method = json_object_get(conf, "method"), *body = json_object_get(conf, "body");
	size_t nodes = 0;
	enum err err = ERR_OK, headers;

	if (method != NULL &&
	    !(json_is_string(method) && (strcmp(json_string_value(method), "GET") == 0 ||
					 strcmp(json_string_value(method), "POST") == 0))) {
		err = bad(why, why_len, "method", "must be GET or POST");
		method = NULL;
	}
	priv->post = method != NULL && strcmp(json_string_value(method), "POST") == 0;
	priv->url = json_string_value(json_object_get(conf, "url"));
	if (priv->url == NULL || strlen(priv->url) > HJ_TEMPLATE_MAX)
		err = bad(why, why_len, "url", "must be a string of at most 2048 bytes");
	else if (hj_template_check(v, priv->url, true, "url", used, why, why_len) != ERR_OK)
		err = ERR_INVALID;
	if (body != NULL && !json_is_null(body)) {
		if (!priv->post)
			err = bad(why, why_len, "body", "must be null or absent for GET");
		else if (!json_is_object(body) && !json_is_array(body))
			err = bad(why, why_len, "body", "must be a JSON object or array template");
		else if (body_check(v, body, 1, &nodes, used, why, why_len) != ERR_OK)
			err = ERR_INVALID;
		priv->body = body;
	} else if (priv->post) {
		err = bad(why, why_len, "body", "must be a JSON object or array template for POST");
	}
	for (size_t i = 0; err == ERR_OK && i < v->nfields; i++)
		if (!used[i]) {
			char rule[128];

			snprintf(rule, sizeof(rule),
				 "and \"body\" must send every field of \"fields\" (%s is never "
				 "sent)",
				 v->fields[i]);
			err = bad(why, why_len, "url", rule);
		}
	headers = headers_init(priv, json_object_get(conf, "headers"), why, why_len);
	return err != ERR_OK && headers != ERR_NOMEM ? err : headers;
}

/* "not_found_status": distinct statuses from 201 to 499 but 429. */
static enum err statuses_init(struct hj_priv *priv, json_t *statuses, char *why, size_t why_len)
{
	json_t *item;
	size_t i;

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
	return ERR_OK;
}

/* The reply half of conf: not_found_status, envelope, record, map,
 * rules, compare; every mapped name used. */
static enum err reply_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	struct hj_priv *priv = v->priv;
	json_t *rules = json_object_get(conf, "rules"), *item;
	const char *unused = NULL;
	size_t i;
	enum err err;

	/* every part checked, so that lint names every error */
	err = statuses_init(priv, json_object_get(conf, "not_found_status"), why, why_len);
	item = json_object_get(conf, "envelope");
	if (item != NULL && !pointer_ok(item, &priv->envelope))
		err = bad(why, why_len, "envelope", "must be a JSON pointer (RFC 6901)");
	priv->record = "";
	item = json_object_get(conf, "record");
	if (item != NULL && !pointer_ok(item, &priv->record))
		err = bad(why, why_len, "record",
			  "must be a JSON pointer (RFC 6901: \"\" or \"/results/0\")");
	if (map_init(priv, json_object_get(conf, "map"), why, why_len) != ERR_OK)
		err = ERR_INVALID;
	if (rules != NULL && (!json_is_array(rules) || json_array_size(rules) > HJ_RULES_MAX)) {
		err = bad(why, why_len, "rules", "must be an array of at most 32 rules");
		rules = NULL;
	}
	json_array_foreach (rules, i, item) {
		/* a rule refused leaves its slot: the definition is refused */
		if (rule_init(priv, i, item, why, why_len) != ERR_OK)
			err = ERR_INVALID;
		else
			priv->nrules++;
	}
	if (compare_init(v, priv, json_object_get(conf, "compare"), why, why_len) != ERR_OK)
		err = ERR_INVALID;
	if (err != ERR_OK) /* an unused name may only be one a refused rule used */
		return err;
	if (!map_all_used(priv, &unused)) {
		char key[HJ_NAME_MAX + sizeof("map.")];

		snprintf(key, sizeof(key), "map.%s", unused);
		return bad(why, why_len, key,
			   "is used by no rule and no compare (and is not \"expires\")");
	}
	return ERR_OK;
}

enum err hj_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {
		"method", "url",   "headers", "body", "not_found_status", "envelope", "record",
		"map",    "rules", "compare", NULL};
	struct hj_priv *priv = v->priv;
	const char *key;
	json_t *item;
	enum err err = ERR_OK, one;

	priv->expires = -1;
	if (!json_is_object(conf)) {
		snprintf(why, why_len, "\"http_json\": this kind needs its section, an object");
		return ERR_INVALID;
	}
	json_object_foreach (conf, key, item) {
		const char *const *k = keys;

		while (*k != NULL && strcmp(*k, key) != 0)
			k++;
		if (*k == NULL)
			err = bad(why, why_len, key, "is not a known key");
	}
	/* both halves checked, so that lint names every error */
	one = request_init(v, conf, why, why_len);
	if (one == ERR_NOMEM)
		return one;
	err = err != ERR_OK ? err : one;
	one = reply_init(v, conf, why, why_len);
	return err != ERR_OK && one != ERR_NOMEM ? err : one;
}

void hj_cleanup(struct verifier *v)
{
	struct hj_priv *priv = v->priv;

	for (size_t i = 0; i < priv->nheaders; i++) {
		explicit_bzero(priv->headers[i], strlen(priv->headers[i]));
		free(priv->headers[i]);
		priv->headers[i] = NULL;
	}
	priv->nheaders = 0;
}
