/*
 * registry.c - the kinds of verifier, and the set of definitions loaded
 * from HCPD_REGISTRIES_DIR (see verifier.h). Owns each definition's parsed
 * document and private state. Messages name the file and the key, never a
 * value from the file.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "jsonbody.h"
#include "lint.h"
#include "net.h"
#include "terms.h"
#include "validate.h"
#include "verifier.h"

#define VERIFIERS_MAX 64
#define PATH_MAX_LEN  4096

extern const struct verifier_ops verifier_nppes;
extern const struct verifier_ops verifier_http_json;
extern const struct verifier_ops verifier_roster_csv;
extern const struct verifier_ops verifier_process;
extern const struct verifier_ops verifier_manual;
extern const struct verifier_ops verifier_fhir;

/* The built-in kinds, searched by name. */
static const struct verifier_ops *const kinds[] = {
	&verifier_nppes,
	&verifier_http_json,
	&verifier_roster_csv,
	&verifier_process,
	&verifier_manual,
	&verifier_fhir,
	NULL,
};

struct verifier_set {
	struct verifier v[VERIFIERS_MAX];
	char *files[VERIFIERS_MAX]; /* each definition's path */
	size_t n;
	struct recipient_def recipients[VERIFIERS_MAX]; /* copies of the remote ones' */
	size_t nrecipients;
	char *skipped[VERIFIERS_MAX]; /* why each definition left out was (its secrets unset) */
	size_t nskipped;
	/* each remote verifier's allowed_fields, borrowed from its doc */
	const char *allowed[VERIFIERS_MAX][VERIFIER_FIELDS_MAX * 2];
};

static const char *const outcomes[] = {"verified", "mismatch", "not_found",
				       "inactive", "excluded", "error"};

const char *outcome_name(enum outcome outcome)
{
	return (unsigned)outcome < sizeof(outcomes) / sizeof(outcomes[0]) ? outcomes[outcome]
									  : "error";
}

bool outcome_parse(const char *s, enum outcome *ret_outcome)
{
	for (size_t i = 0; s != NULL && i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (strcmp(s, outcomes[i]) == 0) {
			*ret_outcome = (enum outcome)i;
			return true;
		}
	return false;
}

void verifier_request_release(struct verifier_request *req)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		explicit_bzero(req->headers[i], strlen(req->headers[i]));
		free(req->headers[i]);
	}
	if (req->body != NULL)
		explicit_bzero(req->body, req->body_len);
	free(req->headers);
	free(req->body);
	free(req->url);
	free(req->method);
	memset(req, 0, sizeof(*req));
}

enum err verifier_result_init(struct verifier_result *res, enum outcome outcome, const char *fmt,
			      ...)
{
	va_list ap;

	memset(res, 0, sizeof(*res));
	res->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	res->checks = json_object();
	res->evidence = json_object();
	if (res->checks == NULL || res->evidence == NULL) {
		verifier_result_release(res);
		return ERR_NOMEM;
	}
	return ERR_OK;
}

void verifier_result_release(struct verifier_result *res)
{
	json_decref(res->checks);
	json_decref(res->evidence);
	res->checks = NULL;
	res->evidence = NULL;
}

const struct verifier_ops *verifier_kind_lookup(const char *kind)
{
	for (const struct verifier_ops *const *k = kinds; kind != NULL && *k != NULL; k++)
		if (strcmp((*k)->kind, kind) == 0)
			return *k;
	return NULL;
}

/* An integer under key within [min, max] into *ret, dflt when absent. */
static bool integer(json_t *obj, const char *key, int dflt, int min, int max, int *ret)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		*ret = dflt;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return false;
	*ret = (int)json_integer_value(v);
	return true;
}

/* A list of distinct catalogue field names into names (at most
 * VERIFIER_FIELDS_MAX). */
static bool field_list(json_t *list, const struct catalogue *cat, bool may_be_empty,
		       const char **names, size_t *ret_n)
{
	json_t *v;
	size_t i;

	if (list == NULL && may_be_empty) {
		*ret_n = 0;
		return true;
	}
	if (!json_is_array(list) || json_array_size(list) > VERIFIER_FIELDS_MAX ||
	    (json_array_size(list) == 0 && !may_be_empty))
		return false;
	json_array_foreach (list, i, v) {
		names[i] = json_string_value(v);
		if (names[i] == NULL || !terms_field_known(cat, names[i]))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				return false;
	}
	*ret_n = json_array_size(list);
	return true;
}

bool verifier_names_have(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* "http://..." or "https://..." without spaces or control characters. */
static bool url_ok(const char *s)
{
	if (s == NULL || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
	    strlen(s) > 2000)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F)
			return false;
	return true;
}

/* HCPD_REGISTRY_URL_<NAME>: the name upper-cased, '-' as '_'. */
static const char *url_override(const char *name)
{
	char var[sizeof("HCPD_REGISTRY_URL_") + VERIFIER_NAME_MAX];
	size_t n = (size_t)snprintf(var, sizeof(var), "HCPD_REGISTRY_URL_");
	const char *v;

	for (; *name != '\0' && n + 1 < sizeof(var); name++)
		var[n++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	var[n] = '\0';
	v = getenv(var);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The catalogue's professions or countries: an array of strings each
 * accepted by ok. */
static bool string_list(json_t *list, bool (*ok)(const void *ctx, const char *s), const void *ctx)
{
	json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) > 300)
		return false;
	json_array_foreach (list, i, v) {
		if (!json_is_string(v) || !ok(ctx, json_string_value(v)))
			return false;
	}
	return true;
}

static bool country_ok(const void *ctx, const char *s)
{
	(void)ctx;
	return validate_country(s);
}

static bool profession_ok(const void *ctx, const char *s)
{
	return catalogue_profession_known(ctx, s);
}

/* One definition being loaded: what the load_* steps read and fill, and
 * where a refusal is written. */
struct load {
	struct verifier_set *set;
	struct verifier *v; /* set->v[set->n] */
	json_t *doc;
	const char *file;
	const struct catalogue *cat;
	char *why;
	size_t why_len;
};

/* Refuses the definition with msg, written `"key" rule` (lint.h): why
 * is "FILE: msg" for the first refusal; each is noted for lint. */
static enum err refuse_msg(struct load *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum err refuse_msg(struct load *l, const char *fmt, ...)
{
	char msg[LINT_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->why[0] == '\0') /* the first refusal */
		snprintf(l->why, l->why_len, "%s: %s", l->file, msg);
	lint_note(msg);
	return ERR_INVALID;
}

/* Refuses the definition: "FILE: \"key\" rule". */
static enum err refuse(struct load *l, const char *key, const char *rule)
{
	return refuse_msg(l, "\"%s\" %s", key, rule);
}

/* name (unique in the set), display_name, kind, and no other kind's
 * section. */
static enum err load_identity(struct load *l)
{
	struct verifier *v = l->v;

	enum err err = ERR_OK;

	v->name = json_text(l->doc, "name", VERIFIER_NAME_MAX);
	if (v->name == NULL || !validate_token(v->name, '-', VERIFIER_NAME_MAX)) {
		err = refuse(l, "name", "must be lower-case letters, digits and - (at most 63)");
		v->name = "";
	}
	for (size_t i = 0; i < l->set->n; i++)
		if (strcmp(l->set->v[i].name, v->name) == 0)
			err = refuse_msg(l, "\"name\" is also the name in %s", l->set->v[i].file);
	if ((v->display_name = json_text(l->doc, "display_name", 200)) == NULL)
		err = refuse(l, "display_name", "must be a non-empty string");
	v->ops = verifier_kind_lookup(json_string_value(json_object_get(l->doc, "kind")));
	if (v->ops == NULL)
		return refuse(l, "kind",
			      "must be nppes, http_json, roster_csv, process, manual or fhir");
	/* a kind's own section: only the one named like the kind */
	for (const struct verifier_ops *const *k = kinds; *k != NULL; k++)
		if (*k != v->ops && json_object_get(l->doc, (*k)->kind) != NULL)
			err = refuse(l, (*k)->kind, "belongs to another kind");
	return err;
}

/* "source": where the register's facts (its URLs, its identifier's
 * format) are published, as an array of citations (1-2000 characters
 * each): optional, but required of a manual register, whose link and
 * instructions an admin acts on. */
static enum err load_source(struct load *l)
{
	static const char *const rule = "must be a non-empty array of citations (strings)";
	json_t *source = json_object_get(l->doc, "source"), *v;
	size_t i;

	if (source == NULL)
		return l->v->ops->transport == TRANSPORT_MANUAL ? refuse(l, "source", rule)
								: ERR_OK;
	if (!json_is_array(source) || json_array_size(source) == 0 || json_array_size(source) > 20)
		return refuse(l, "source", rule);
	json_array_foreach (source, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 2000)
			return refuse(l, "source", rule);
	}
	return ERR_OK;
}

/* Whom it applies to (countries, professions) and which fields it sends
 * and compares. */
static enum err load_scope(struct load *l)
{
	static const char *const fields_rule =
		"must be an array of distinct catalogue field names, at most 16";
	struct verifier *v = l->v;
	enum err err = ERR_OK;

	v->countries = json_object_get(l->doc, "countries");
	if (!string_list(v->countries, country_ok, NULL) || json_array_size(v->countries) == 0)
		err = refuse(l, "countries",
			     "must be a non-empty array of ISO 3166-1 alpha-2 codes");
	v->professions = json_object_get(l->doc, "professions");
	if (v->professions != NULL && !string_list(v->professions, profession_ok, l->cat))
		err = refuse(l, "professions",
			     "must be an array of catalogue professions (empty or absent: all)");
	/* a manual register's fields are those its search link carries: none
	 * where it publishes no search page */
	if (!field_list(json_object_get(l->doc, "fields"), l->cat,
			v->ops->transport == TRANSPORT_MANUAL, v->fields, &v->nfields))
		err = refuse(l, "fields", fields_rule);
	if (!field_list(json_object_get(l->doc, "compares"), l->cat, true, v->compares,
			&v->ncompares))
		return refuse(l, "compares", fields_rule);
	for (size_t i = 0; i < v->ncompares; i++)
		if (verifier_names_have(v->fields, v->nfields, v->compares[i]))
			return refuse(l, "compares", "must not repeat a field of \"fields\"");
	return err;
}

/* One refusal of the terms (terms_parse() goes on past it). */
static void refuse_term(void *ctx, const char *key, const char *rule)
{
	(void)refuse_msg(ctx, "\"terms\": \"%s\" %s", key, rule);
}

/* The limited-use terms: required of a kind that sends fields out (each
 * field it sends allowed by them), refused of a local one. */
static enum err load_terms(struct load *l)
{
	struct verifier_set *set = l->set;
	struct verifier *v = l->v;
	struct recipient_def *r = &set->recipients[set->nrecipients];
	json_t *terms = json_object_get(l->doc, "terms");
	const char *tbad, *trule;

	if (v->ops->transport == TRANSPORT_LOCAL || v->ops->transport == TRANSPORT_MANUAL)
		return terms == NULL ? ERR_OK
				     : refuse(l, "terms",
					      "must be absent: a local or manual check discloses "
					      "nothing");
	if (!json_is_object(terms) ||
	    json_array_size(json_object_get(terms, "allowed_fields")) > VERIFIER_FIELDS_MAX * 2)
		return refuse(l, "terms", "must be an object (this kind sends fields out)");
	if (!terms_parse(terms, l->cat, set->allowed[set->nrecipients], &r->terms, &tbad, &trule,
			 refuse_term, l))
		return ERR_INVALID;
	for (size_t i = 0; i < v->nfields; i++)
		if (!verifier_names_have(r->terms.allowed_fields, r->terms.nallowed, v->fields[i]))
			return refuse_msg(l, "\"fields\": \"%s\" is not in terms.allowed_fields",
					  v->fields[i]);
	r->name = v->name;
	r->kind = "verifier";
	r->display_name = v->display_name;
	r->country = r->terms.recipient_country;
	v->recipient = *r;
	set->nrecipients++;
	return ERR_OK;
}

/* An HTTP kind's transport options (secret headers, TLS files, OAuth2:
 * net.h), read from "transport" and the environment. */
static enum err load_net(struct load *l)
{
	json_t *conf = json_object_get(l->doc, "transport");
	char nwhy[512] = "";
	enum err err;

	if (l->v->ops->transport != TRANSPORT_HTTP)
		return conf == NULL ? ERR_OK : refuse(l, "transport", "is for the HTTP kinds only");
	err = net_opts_load(l->v, conf, &l->v->net, nwhy, sizeof(nwhy));
	if (err == ERR_INVALID || err == ERR_IO)
		return refuse_msg(l, "%s", nwhy);
	if (err == ERR_NOT_FOUND) /* off: said so, not an error */
		snprintf(l->why, l->why_len, "%s: %s", l->file, nwhy);
	return err;
}

/* How the registry is reached: base URL, timeouts, attempts, back-off. */
static enum err load_transport(struct load *l)
{
	static const char *const range = "must be an integer in range";
	struct verifier *v = l->v;
	enum err err = ERR_OK;
	bool timeouts;

	v->base_url = url_override(v->name);
	if (v->base_url == NULL)
		v->base_url = json_string_value(json_object_get(l->doc, "base_url"));
	if (v->ops->transport == TRANSPORT_HTTP ? !url_ok(v->base_url)
						: v->base_url != NULL && !url_ok(v->base_url))
		err = refuse(
			l, "base_url",
			"must be an http:// or https:// URL (or set HCPD_REGISTRY_URL_<NAME>)");
	timeouts = integer(l->doc, "connect_timeout_ms", 3000, 100, 60000, &v->connect_timeout_ms);
	if (!timeouts)
		err = refuse(l, "connect_timeout_ms", range);
	if (!integer(l->doc, "timeout_ms", 10000, 100, 120000, &v->timeout_ms)) {
		err = refuse(l, "timeout_ms", range);
		timeouts = false;
	}
	if (!integer(l->doc, "attempts", 4, 1, 20, &v->attempts))
		err = refuse(l, "attempts", range);
	if (!integer(l->doc, "backoff_ms", 1000, 1, 3600000, &v->backoff_ms))
		err = refuse(l, "backoff_ms", range);
	if (timeouts && v->connect_timeout_ms > v->timeout_ms)
		err = refuse(l, "connect_timeout_ms", "must not exceed timeout_ms");
	if (err != ERR_OK) /* the secrets are not read for a definition refused */
		return err;
	return load_net(l);
}

/* How much it may ask: the rate limit and the circuit breaker. A message
 * names the unknown key inside either object when there is one. */
static enum err load_limits(struct load *l)
{
	static const char *const rate_keys[] = {"per_second", "burst", NULL};
	static const char *const breaker_keys[] = {"failures", "open_ms", NULL};
	static const char *const rate_rule =
		"must be {\"per_second\": number > 0 and <= 10000, \"burst\": integer}";
	struct verifier *v = l->v;
	json_t *rate = json_object_get(l->doc, "rate_limit");
	json_t *per_second = json_object_get(rate, "per_second");
	json_t *breaker = json_object_get(l->doc, "circuit_breaker");
	const char *bad = "rate_limit";

	enum err err = ERR_OK;

	v->rate_per_second = 10;
	if (rate != NULL && (!json_is_object(rate) || !json_only_keys(rate, rate_keys, &bad))) {
		err = refuse(l, bad, rate_rule);
	} else if (rate != NULL) {
		if (!json_is_number(per_second) || json_number_value(per_second) <= 0 ||
		    json_number_value(per_second) > 10000)
			err = refuse(l, "rate_limit", rate_rule);
		v->rate_per_second = json_number_value(per_second);
		/* by default two at once: enough that a claim a few milliseconds
		 * late loses no slot, little enough that no second sees much
		 * above the rate */
		if (!integer(rate, "burst", 2, 1, 10000, &v->burst))
			err = refuse(l, "rate_limit",
				     "\"burst\" must be an integer from 1 to 10000");
	} else {
		v->burst = 2;
	}
	bad = "circuit_breaker";
	if ((breaker != NULL &&
	     (!json_is_object(breaker) || !json_only_keys(breaker, breaker_keys, &bad))) ||
	    !integer(breaker, "failures", 5, 1, 1000, &v->breaker_failures) ||
	    !integer(breaker, "open_ms", 30000, 100, 3600000, &v->breaker_open_ms))
		err = refuse(l, bad, "must be {\"failures\": 1..1000, \"open_ms\": 100..3600000}");
	return err;
}

/* The kind's private state and its own section, checked by its init. */
static enum err load_kind(struct load *l)
{
	struct verifier *v = l->v;
	char kwhy[256] = "";
	enum err err;

	if (v->ops->priv_size > 0 && (v->priv = calloc(1, v->ops->priv_size)) == NULL)
		return ERR_NOMEM;
	if (v->ops->init == NULL)
		return ERR_OK;
	err = v->ops->init(v, json_object_get(l->doc, v->ops->kind), kwhy, sizeof(kwhy));
	/* kwhy is the kind's first refusal; a kind that goes on notes the
	 * others itself (lint.h) */
	if (err == ERR_INVALID && kwhy[0] != '\0')
		return refuse_msg(l, "%s", kwhy);
	if (err != ERR_OK && l->why[0] == '\0')
		snprintf(l->why, l->why_len, "%s: %s", l->file, kwhy);
	return err;
}

/* Refuses each key of the definition that is not one of keys. */
static enum err unknown_keys(struct load *l, const char *const *keys)
{
	const char *key;
	json_t *value;
	enum err err = ERR_OK;

	json_object_foreach (l->doc, key, value) {
		const char *const *k = keys;

		while (*k != NULL && strcmp(*k, key) != 0)
			k++;
		if (*k == NULL)
			err = refuse(l, key, "is not a known key");
	}
	return err;
}

/* Fills set->v[set->n] from doc; on failure why names the file and key. */
static enum err load_one(struct verifier_set *set, json_t *doc, const char *file,
			 const struct catalogue *cat, char *why, size_t why_len)
{
	static const char *const keys[] = {
		"name",       "display_name", "kind",     "countries",  "professions",
		"fields",     "compares",     "terms",    "base_url",   "connect_timeout_ms",
		"timeout_ms", "rate_limit",   "attempts", "backoff_ms", "circuit_breaker",
		"http_json",  "roster_csv",   "process",  "nppes",      "description",
		"manual",     "source",       "fhir",     "transport",  NULL};
	struct load l = {.set = set,
			 .v = &set->v[set->n],
			 .doc = doc,
			 .file = file,
			 .cat = cat,
			 .why = why,
			 .why_len = why_len};
	static enum err (*const steps[])(struct load *) = {load_source,    load_scope,  load_terms,
							   load_transport, load_limits, load_kind};
	enum err err, step;

	memset(l.v, 0, sizeof(*l.v));
	why[0] = '\0'; /* refuse() writes the first refusal only */
	l.v->doc = doc;
	l.v->file = file;
	if (!json_is_object(doc)) {
		snprintf(why, why_len, "%s: must be a JSON object", file);
		return ERR_INVALID;
	}
	err = unknown_keys(&l, keys);
	/* every step runs, so that lint names every error; one that cannot
	 * (no kind, out of memory, off for want of its secrets) ends it */
	if ((step = load_identity(&l)) != ERR_OK && l.v->ops == NULL)
		return step;
	err = err != ERR_OK ? err : step;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i](&l);
		if (step != ERR_OK && step != ERR_INVALID)
			return step;
		err = err != ERR_OK ? err : step;
	}
	if (err != ERR_OK)
		return err;
	set->n++;
	return ERR_OK;
}

/* Frees set->v[i]'s state (not its file name). */
static void release_one(struct verifier *v)
{
	if (v->ops != NULL && v->ops->cleanup != NULL && v->priv != NULL)
		v->ops->cleanup(v);
	free(v->priv);
	net_opts_free(v->net);
	json_decref(v->doc);
	memset(v, 0, sizeof(*v));
}

/* Adds doc (stolen) as file's definition; file is copied. */
static enum err add(struct verifier_set *set, json_t *doc, const char *file,
		    const struct catalogue *cat, char *why, size_t why_len)
{
	size_t nrecipients = set->nrecipients;
	enum err err;

	if (set->n == VERIFIERS_MAX) {
		json_decref(doc);
		snprintf(why, why_len, "%s: more than %d definitions", file, VERIFIERS_MAX);
		return ERR_INVALID;
	}
	set->files[set->n] = strdup(file);
	if (set->files[set->n] == NULL) {
		json_decref(doc);
		return ERR_NOMEM;
	}
	err = load_one(set, doc, set->files[set->n], cat, why, why_len);
	if (err != ERR_OK) {
		release_one(&set->v[set->n]);
		free(set->files[set->n]);
		set->files[set->n] = NULL;
		set->nrecipients = nrecipients;
	}
	return err;
}

enum err verifier_set_from_json(json_t *doc, const char *file, const struct catalogue *cat,
				struct verifier_set **ret_set, char *why, size_t why_len)
{
	struct verifier_set *set = calloc(1, sizeof(*set));
	enum err err;

	if (set == NULL) {
		json_decref(doc);
		return ERR_NOMEM;
	}
	err = add(set, doc, file, cat, why, why_len);
	if (err != ERR_OK) {
		verifier_set_free(set);
		return err;
	}
	*ret_set = set;
	return ERR_OK;
}

static int json_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".json") == 0;
}

enum err verifier_set_load(const char *dir, const struct catalogue *cat,
			   struct verifier_set **ret_set, char *why, size_t why_len)
{
	struct verifier_set *set = calloc(1, sizeof(*set));
	struct dirent **names = NULL;
	char path[PATH_MAX_LEN];
	int n = set != NULL ? scandir(dir, &names, json_file, alphasort) : 0;
	enum err err = ERR_NOMEM;

	if (set == NULL)
		return ERR_NOMEM;
	if (n < 0) {
		snprintf(why, why_len, "%s: cannot read the directory", dir);
		free(set);
		return ERR_IO;
	}
	err = ERR_OK;
	for (int i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *doc;

		if (err == ERR_OK) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
			if (doc == NULL) {
				snprintf(why, why_len, "%s: line %d: %s", path, jerr.line,
					 jerr.text);
				err = ERR_INVALID;
			} else {
				err = add(set, doc, path, cat, why, why_len);
			}
			/* off until the operator sets its secrets: noted, not fatal */
			if (err == ERR_NOT_FOUND && set->nskipped < VERIFIERS_MAX)
				err = (set->skipped[set->nskipped++] = strdup(why)) != NULL
					      ? ERR_OK
					      : ERR_NOMEM;
		}
		free(names[i]);
	}
	free(names);
	if (err != ERR_OK) {
		verifier_set_free(set);
		return err;
	}
	*ret_set = set;
	return ERR_OK;
}

void verifier_set_free(struct verifier_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		release_one(&set->v[i]);
		free(set->files[i]);
	}
	for (size_t i = 0; i < set->nskipped; i++)
		free(set->skipped[i]);
	free(set);
}

const char *verifier_set_skipped(const struct verifier_set *set, size_t i)
{
	return set != NULL && i < set->nskipped ? set->skipped[i] : NULL;
}

size_t verifier_set_count(const struct verifier_set *set)
{
	return set != NULL ? set->n : 0;
}

const struct verifier *verifier_set_at(const struct verifier_set *set, size_t i)
{
	return set != NULL && i < set->n ? &set->v[i] : NULL;
}

const struct verifier *verifier_lookup(const struct verifier_set *set, const char *name)
{
	for (size_t i = 0; set != NULL && name != NULL && i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

static bool json_list_has(json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (list, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* The SQL twin of this rule is DB_VERIFIER_APPLIES (db/applies.h). */
bool verifier_applies(const struct verifier *v, const char *country, const char *profession)
{
	if (country == NULL || !json_list_has(v->countries, country))
		return false;
	return json_array_size(v->professions) == 0 ||
	       (profession != NULL && json_list_has(v->professions, profession));
}

const struct recipient_def *verifier_set_recipients(const struct verifier_set *set, size_t *ret_n)
{
	*ret_n = set != NULL ? set->nrecipients : 0;
	return set != NULL ? set->recipients : NULL;
}

/* Copies the string fields of profile named in names into obj. */
static bool copy_fields(json_t *obj, json_t *profile, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *value = json_object_get(profile, names[i]);

		if (json_is_string(value) && json_object_set(obj, names[i], value) != 0)
			return false;
	}
	return true;
}

enum err verifier_fields(const struct verifier *v, json_t *profile, json_t **ret_sent,
			 json_t **ret_local)
{
	json_t *sent = json_object(), *local = json_object();

	if (sent == NULL || local == NULL || !copy_fields(sent, profile, v->fields, v->nfields) ||
	    json_object_update(local, sent) != 0 ||
	    !copy_fields(local, profile, v->compares, v->ncompares)) {
		json_decref(sent);
		json_decref(local);
		return ERR_NOMEM;
	}
	*ret_sent = sent;
	*ret_local = local;
	return ERR_OK;
}
