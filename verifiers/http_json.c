/*
 * http_json.c - the "http_json" kind: any registry with an HTTP/JSON API,
 * described entirely by its definition file, so an integrator adds one
 * without C code or a rebuild. This file builds each request and judges
 * each reply from the definition's section as http_json_def.c checked
 * and parsed it at start-up (struct hj_priv in v->priv, http_json_def.h);
 * it owns only what one request or reply needs. It never sends a field
 * the definition does not list under "fields", never puts a value
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
 *              leaves. Braces are reserved for placeholders. A value of
 *              dots alone in the path (before the first '?') is never
 *              sent: the check ends as an error (see in_url_path).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compare.h"
#include "http_json_def.h"
#include "jsonbody.h"
#include "jsonptr.h"
#include "validate.h"
#include "verifier.h"

#define HJ_URL_MAX     8192  /* bytes of a built URL */
#define HJ_BODY_MAX    65536 /* bytes of a built POST body */
#define HJ_REPLY_DEPTH 64    /* nesting of a reply, checked before jansson parses it */
#define HJ_NUMBER_MAX  24    /* bytes of an integer as decimal text */

/* One mapped value of a reply's record. */
struct hj_value {
	json_t *json;     /* NULL: absent */
	const char *text; /* a string, an integer's decimal text, "true"/"false"; NULL for absent or
			     null */
	char number[HJ_NUMBER_MAX]; /* an integer's text */
};

/* ---- build_request ---- */

void hj_add_encoded(struct hj_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (hj_ascii_alnum((char)c) || c == '-' || c == '.' || c == '_' || c == '~')
			hj_buf_add(b, s, 1);
		else
			hj_buf_add(b, esc, 3);
	}
}

/*
 * Does the URL template t put {name} in the path, before its first '?'
 * (nowhere when the base URL already holds a query)?
 *
 * A value there that is dots alone would be a dot segment, or make one
 * with the template's own dots, and libcurl removes dot segments before
 * sending (RFC 3986 5.2.4): ".." would ask the registry for the parent
 * path, another resource than the template names, "." for a shorter one.
 * Encoding the dots does not help: libcurl leaves %2E alone, but it is
 * the same as "." (RFC 3986 6.2.2.2) and a registry's server may decode
 * it and resolve the segment itself; nor does CURLOPT_PATH_AS_IS, which
 * only hands "/../" to that server as it is. No licence number, name or
 * code is dots alone, so such a value is refused before anything is sent.
 * Any other value keeps a byte that is not a dot once encoded, so it can
 * never make a dot segment. In the query dots are plain data.
 */
static bool in_url_path(const char *t, const char *base, const char *name)
{
	size_t path_len = strcspn(t, "?"), len = strlen(name);

	if (strchr(base, '?') != NULL)
		return false;
	for (const char *p = strchr(t, '{'); p != NULL && (size_t)(p - t) < path_len;
	     p = strchr(p + 1, '{'))
		if (strncmp(p + 1, name, len) == 0 && p[1 + len] == '}')
			return true;
	return false;
}

void hj_fill(struct hj_buf *b, const char *t, const json_t *fields, const char *base, bool is_url)
{
	if (is_url) {
		hj_buf_add(b, base, strlen(base));
		t += 10; /* "{base_url}", checked at init */
	}
	while (*t != '\0') {
		const char *end;
		char name[HJ_NAME_MAX + 1];
		const char *value;

		if (*t != '{') {
			size_t n = strcspn(t, "{");

			hj_buf_add(b, t, n);
			t += n;
			continue;
		}
		end = strchr(t, '}'); /* checked at init */
		snprintf(name, sizeof(name), "%.*s", (int)(end - t - 1), t + 1);
		value = json_string_value(json_object_get(fields, name));
		if (is_url)
			hj_add_encoded(b, value);
		else
			hj_buf_add(b, value, strlen(value));
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

		hj_fill(&b, json_string_value(t), fields, NULL, false);
		if (b.too_big)
			*ret_too_big = true;
		/* an empty template string leaves b.s NULL */
		if (!b.too_big && !b.nomem)
			copy = json_stringn(b.s != NULL ? b.s : "", b.len);
		hj_buf_wipe(&b);
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
		if (value[strspn(value, ".")] == '\0' &&
		    in_url_path(priv->url, v->base_url, v->fields[i])) {
			snprintf(why, why_len, "%s is dots alone, which a URL path cannot carry",
				 v->fields[i]);
			goto out;
		}
	}
	hj_fill(&url, priv->url, fields, v->base_url, true);
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
	hj_buf_wipe(&url);
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
