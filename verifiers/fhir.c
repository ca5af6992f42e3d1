/*
 * fhir.c - the "fhir" kind: a FHIR R4 practitioner directory (France's
 * Annuaire Santé, HL7 US NDH / Plan-Net, the AU and NZ directories),
 * searched for a Practitioner by identifier:
 *   GET {base_url}/Practitioner?identifier={system}|{value}
 * and the searchset Bundle it answers judged here. Only the fields the
 * value template names are sent; names under "compares" stay here.
 *
 * The definition's section, under the key "fhir" (every key checked at
 * start-up, messages name the key):
 *   "system"        the identifier system the Practitioner must carry the
 *                   value under (e.g. the IDNPS "urn:oid:1.2.250.1.71.4.2.1").
 *   "value"         the identifier's value, a template of literal URL
 *                   characters and {field} placeholders of "fields"
 *                   (IDNPS is "8" then the RPPS number: "8{rpps}"). Every
 *                   field of "fields" must appear in it.
 *   "send_system"   true (the default): identifier={system}|{value};
 *                   false: identifier={value} (the Annuaire's v1 API).
 *                   The reply is matched by system either way.
 *   "revinclude_roles"  true adds _revinclude=PractitionerRole:practitioner:
 *                   the PractitionerRoles that point at the Practitioner
 *                   come back too, and names they carry (in an extension
 *                   whose value is a HumanName, the Annuaire's "nom
 *                   d'exercice") are compared like the Practitioner's own.
 *
 * The judgement, in order: an OperationOutcome reply (any status but 429
 * and 5xx, which net.c retries) or an error/fatal issue in the Bundle is
 * the registry refusing the query (error); no Practitioner entry is
 * not_found (a total above 0 without entries is not understood); no
 * Practitioner carrying the value under the system is a mismatch;
 * "active": false is inactive; qualifications that carry a status (the
 * US NDH extension base-ext-practitioner-qualification, its "status") or
 * a period (as New Zealand's HPI gives them), none of them current, are
 * inactive; then the names: an absent name
 * neither confirms nor contradicts (the Annuaire's Practitioner often has
 * none), a present one that differs is a mismatch. The latest end of a
 * current qualification is the licence's expiry.
 *
 * parse_reply is pure but for the clock (a qualification period is judged
 * against today's UTC date). Nothing here logs; no value goes into a
 * reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare.h"
#include "http_json_def.h"
#include "jsonbody.h"
#include "lint.h"
#include "validate.h"
#include "verifier.h"

#define FHIR_URL_MAX   4096 /* bytes of a built URL */
#define FHIR_VALUE_MAX 256  /* bytes of an identifier value, filled */

struct fhir_priv {
	const char *system; /* borrowed from v->doc */
	const char *value;  /* the value template, borrowed from v->doc */
	char *url;          /* the whole URL template, built at start-up */
};

/* why holds the first refusal; each is noted for lint (lint.h). */
static enum err refuse(char *why, size_t why_len, const char *rule)
{
	return lint_refuse(why, why_len, "\"fhir\": %s", rule);
}

/* An optional boolean under key into *ret (dflt when absent). */
static bool flag(json_t *conf, const char *key, bool dflt, bool *ret)
{
	json_t *b = json_object_get(conf, key);

	*ret = b == NULL ? dflt : json_is_true(b);
	return b == NULL || json_is_boolean(b);
}

/* The URL template: {base_url}, the search, the system encoded, the
 * value template as it is. hj_template_check then checks the whole. */
static enum err build_template(struct verifier *v, bool send_system, bool roles)
{
	struct fhir_priv *priv = v->priv;
	size_t n = strlen(v->base_url);
	struct hj_buf b = {.cap = HJ_TEMPLATE_MAX};

	hj_buf_add(&b, "{base_url}", 10);
	if (n == 0 || v->base_url[n - 1] != '/') /* else the base's own slash opens the path */
		hj_buf_add(&b, "/", 1);
	hj_buf_add(&b, "Practitioner?identifier=", 24);
	if (send_system) {
		hj_add_encoded(&b, priv->system);
		hj_buf_add(&b, "%7C", 3);
	}
	hj_buf_add(&b, priv->value, strlen(priv->value));
	if (roles)
		hj_buf_add(&b, "&_revinclude=PractitionerRole%3Apractitioner", 44);
	if (b.nomem || b.too_big) {
		hj_buf_wipe(&b);
		return b.nomem ? ERR_NOMEM : ERR_INVALID;
	}
	priv->url = b.s;
	return ERR_OK;
}

static enum err fhir_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {"system", "value", "send_system", "revinclude_roles",
					   NULL};
	struct fhir_priv *priv = v->priv;
	bool used[VERIFIER_FIELDS_MAX] = {false}, send_system, roles;
	const char *bad = NULL;
	enum err err = ERR_OK;

	if (!json_is_object(conf) || !json_only_keys(conf, keys, &bad))
		return refuse(why, why_len,
			      "must be an object of \"system\", \"value\", \"send_system\" and "
			      "\"revinclude_roles\" only");
	/* each key checked, so that lint names every error */
	priv->system = json_text(conf, "system", HJ_TEXT_MAX);
	priv->value = json_text(conf, "value", HJ_TEXT_MAX);
	if (priv->system == NULL)
		err = refuse(why, why_len, "\"system\" must be a non-empty string (a URI)");
	if (priv->value == NULL || strchr(priv->value, '{') == NULL)
		err = refuse(why, why_len,
			     "\"value\" must be a template holding a {field} placeholder");
	if (!flag(conf, "send_system", true, &send_system))
		err = refuse(why, why_len, "\"send_system\" must be a boolean");
	if (!flag(conf, "revinclude_roles", false, &roles))
		err = refuse(why, why_len, "\"revinclude_roles\" must be a boolean");
	if (v->nfields == 0)
		err = refuse(why, why_len, "a fhir verifier sends at least one field");
	if (err != ERR_OK)
		return err;
	err = build_template(v, send_system, roles);
	if (err == ERR_INVALID)
		return refuse(why, why_len, "\"system\" and \"value\" make too long a URL");
	if (err != ERR_OK)
		return err;
	err = hj_template_check(v, priv->url, true, "value", used, why, why_len);
	if (err != ERR_OK)
		return err;
	for (size_t i = 0; i < v->nfields; i++)
		if (!used[i])
			return refuse(why, why_len,
				      "every field in \"fields\" must be filled into \"value\"");
	return ERR_OK;
}

static enum err fhir_build_request(const struct verifier *v, const json_t *fields,
				   struct verifier_request *ret_req, char *why, size_t why_len)
{
	const struct fhir_priv *priv = v->priv;
	struct hj_buf b = {.cap = FHIR_URL_MAX};

	for (size_t i = 0; i < v->nfields; i++)
		if (json_string_value(json_object_get(fields, v->fields[i])) == NULL) {
			snprintf(why, why_len, "no %s to look up", v->fields[i]);
			return ERR_INVALID;
		}
	hj_fill(&b, priv->url, fields, v->base_url, true);
	if (b.nomem || b.too_big) {
		hj_buf_wipe(&b);
		if (!b.nomem)
			snprintf(why, why_len, "the identifier makes too long a URL");
		return b.nomem ? ERR_NOMEM : ERR_INVALID;
	}
	memset(ret_req, 0, sizeof(*ret_req));
	ret_req->url = b.s;
	return ERR_OK;
}

/* --- the reply --------------------------------------------------------- */

/* Does an OperationOutcome hold an issue of severity error or fatal? */
static bool outcome_refuses(json_t *oo)
{
	json_t *issue;
	size_t i;

	json_array_foreach (json_object_get(oo, "issue"), i, issue) {
		const char *sev = json_string_value(json_object_get(issue, "severity"));

		if (sev != NULL && (strcmp(sev, "error") == 0 || strcmp(sev, "fatal") == 0))
			return true;
	}
	return false;
}

static bool is_resource(json_t *r, const char *type)
{
	const char *t = json_string_value(json_object_get(r, "resourceType"));

	return t != NULL && strcmp(t, type) == 0;
}

/* Does the Practitioner p carry value under system? */
static bool carries(json_t *p, const char *system, const char *value)
{
	json_t *id;
	size_t i;

	json_array_foreach (json_object_get(p, "identifier"), i, id) {
		const char *s = json_string_value(json_object_get(id, "system"));
		const char *val = json_string_value(json_object_get(id, "value"));

		if (s != NULL && val != NULL && strcmp(s, system) == 0 && strcmp(val, value) == 0)
			return true;
	}
	return false;
}

/* The entries' resources of a Bundle, checked: every entry an object,
 * every resource an object with a resourceType. */
static bool entries_ok(json_t *entries)
{
	json_t *e;
	size_t i;

	if (entries != NULL && !json_is_array(entries))
		return false;
	json_array_foreach (entries, i, e) {
		json_t *r = json_object_get(e, "resource");

		if (!json_is_object(r) || !json_is_string(json_object_get(r, "resourceType")))
			return false;
	}
	return true;
}

/* Has a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD...) passed
 * today (YYYY-MM-DD)? Only as many characters as it has are compared:
 * "2024" ends with the last day of 2024. */
static bool ended(const char *end, const char *today)
{
	size_t n = strlen(end);

	return strncmp(end, today, n < 10 ? n : 10) < 0;
}

static bool begun(const char *start, const char *today)
{
	size_t n = strlen(start);

	return strncmp(start, today, n < 10 ? n : 10) <= 0;
}

/* The status of a qualification: NDH's extension
 * (.../base-ext-practitioner-qualification) holds it in its sub-extension
 * "status" as a code. NULL when it carries none. */
static const char *qualification_status(json_t *q)
{
	static const char suffix[] = "practitioner-qualification";
	json_t *ext, *sub;
	size_t i, j;

	json_array_foreach (json_object_get(q, "extension"), i, ext) {
		const char *url = json_string_value(json_object_get(ext, "url"));
		size_t n = url != NULL ? strlen(url) : 0;

		if (n < sizeof(suffix) - 1 || strcmp(url + n - (sizeof(suffix) - 1), suffix) != 0)
			continue;
		json_array_foreach (json_object_get(ext, "extension"), j, sub) {
			const char *code = json_string_value(json_object_get(sub, "valueCode"));
			const char *name = json_string_value(json_object_get(sub, "url"));

			if (code != NULL && name != NULL && strcmp(name, "status") == 0)
				return code;
		}
	}
	return NULL;
}

/* Qualifications: false when some carry a status or a period and none of
 * those is current; the latest end of a current one into expires. */
static bool qualified(json_t *p, const char *today, char expires[11])
{
	bool judged = false, current = false;
	json_t *q;
	size_t i;

	json_array_foreach (json_object_get(p, "qualification"), i, q) {
		json_t *period = json_object_get(q, "period");
		const char *status = qualification_status(q);
		const char *start = json_string_value(json_object_get(period, "start"));
		const char *end = json_string_value(json_object_get(period, "end"));

		if (status == NULL && start == NULL && end == NULL)
			continue;
		judged = true;
		if ((status != NULL && strcmp(status, "active") != 0) ||
		    (start != NULL && !begun(start, today)) || (end != NULL && ended(end, today)))
			continue;
		current = true;
		if (end != NULL && strlen(end) >= 10) {
			char date[11];

			snprintf(date, sizeof(date), "%.10s", end);
			if (validate_date(date) && strcmp(date, expires) > 0)
				memcpy(expires, date, sizeof(date));
		}
	}
	return !judged || current;
}

/* Every HumanName of the Practitioner p, and with roles those the
 * PractitionerRoles pointing at it carry in an extension, into names. */
static void gather_names(json_t *p, json_t *entries, json_t *names)
{
	const char *id = json_string_value(json_object_get(p, "id"));
	char ref[128];
	json_t *e, *n;
	size_t i, j;

	json_array_foreach (json_object_get(p, "name"), i, n)
		json_array_append(names, n);
	if (id == NULL)
		return;
	snprintf(ref, sizeof(ref), "Practitioner/%s", id);
	json_array_foreach (entries, i, e) {
		json_t *r = json_object_get(e, "resource");
		const char *to = json_string_value(
			json_object_get(json_object_get(r, "practitioner"), "reference"));
		size_t tn = to != NULL ? strlen(to) : 0, rn = strlen(ref);

		/* a reference may be relative or absolute: its tail names it */
		if (!is_resource(r, "PractitionerRole") || tn < rn ||
		    strcmp(to + tn - rn, ref) != 0 || (tn > rn && to[tn - rn - 1] != '/'))
			continue;
		json_array_foreach (json_object_get(r, "extension"), j, n)
			if (json_is_object(json_object_get(n, "valueHumanName")))
				json_array_append(names, json_object_get(n, "valueHumanName"));
	}
}

/* The names compared: registered against every name found; the first
 * found is the evidence. */
static const char *compare_one(const json_t *fields, json_t *names, bool family,
			       struct verifier_result *res, enum err *err)
{
	const char *field = family ? "family_name" : "given_name";
	const char *registered = json_string_value(json_object_get(fields, field));
	const char *seen = NULL;
	bool match = false;
	json_t *n;
	size_t i;

	if (registered == NULL)
		return NULL;
	json_array_foreach (names, i, n) {
		json_t *given = json_object_get(n, "given");
		const char *s = family ? json_string_value(json_object_get(n, "family"))
				       : json_string_value(json_array_get(given, 0));

		if (s == NULL || s[0] == '\0')
			continue;
		if (seen == NULL)
			seen = s;
		if (family ? compare_names(registered, s) : compare_given_names(registered, s))
			match = true;
	}
	if (seen != NULL && match) /* the evidence shows the name that matched */
		seen = registered;
	if (compare_record(res->checks, res->evidence, field, registered, seen, match, err))
		return NULL;
	return family ? "family name differs" : "given name differs";
}

/* Judges the Practitioner p that carries the value. */
static enum err judge(const struct verifier *v, const json_t *fields, json_t *p, json_t *entries,
		      bool roles, struct verifier_result *res)
{
	char today[11], expires[11] = "";
	json_t *active = json_object_get(p, "active"), *names = NULL;
	const char *differs, *given_differs;
	time_t now = time(NULL);
	struct tm tm;
	enum err err = ERR_OK;

	if (active != NULL && !json_is_boolean(active))
		return ERR_UPSTREAM;
	if (json_is_false(active))
		return verifier_result_init(res, OUTCOME_INACTIVE,
					    "the practitioner is not active");
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (!qualified(p, today, expires))
		return verifier_result_init(res, OUTCOME_INACTIVE, "no current qualification");
	err = verifier_result_init(res, OUTCOME_VERIFIED, "the practitioner record matches");
	if (err != ERR_OK)
		return err;
	memcpy(res->expires, expires, sizeof(expires));
	for (size_t i = 0; i < v->nfields; i++) {
		const char *s = json_string_value(json_object_get(fields, v->fields[i]));

		compare_record(res->checks, res->evidence, v->fields[i], s, s, true, &err);
	}
	names = json_array();
	if (names == NULL) {
		verifier_result_release(res);
		return ERR_NOMEM;
	}
	gather_names(p, roles ? entries : NULL, names);
	differs = compare_one(fields, names, true, res, &err);
	given_differs = compare_one(fields, names, false, res, &err);
	json_decref(names);
	if (err != ERR_OK) {
		verifier_result_release(res);
		return err;
	}
	if (differs != NULL || given_differs != NULL) {
		res->outcome = OUTCOME_MISMATCH;
		snprintf(res->reason, sizeof(res->reason), "%s",
			 differs != NULL ? differs : given_differs);
	}
	return ERR_OK;
}

/* The Bundle's Practitioners: the one carrying the value into *ret_p,
 * how many there are into *ret_n; true when an OperationOutcome entry
 * refuses the query. */
static bool scan(json_t *entries, const char *system, const char *value, json_t **ret_p,
		 size_t *ret_n)
{
	json_t *e;
	size_t i;

	*ret_p = NULL;
	*ret_n = 0;
	json_array_foreach (entries, i, e) {
		json_t *r = json_object_get(e, "resource");

		if (is_resource(r, "OperationOutcome") && outcome_refuses(r))
			return true;
		if (!is_resource(r, "Practitioner"))
			continue;
		(*ret_n)++;
		if (*ret_p == NULL && carries(r, system, value))
			*ret_p = r;
	}
	return false;
}

/* A searchset Bundle's outcome. */
static enum err judge_bundle(const struct verifier *v, const json_t *fields, json_t *doc,
			     const char *value, struct verifier_result *res)
{
	const struct fhir_priv *priv = v->priv;
	json_t *total = json_object_get(doc, "total"), *entries = json_object_get(doc, "entry");
	const char *type = json_string_value(json_object_get(doc, "type"));
	json_t *p;
	size_t n;

	if ((type != NULL && strcmp(type, "searchset") != 0) || !entries_ok(entries) ||
	    (total != NULL && (!json_is_integer(total) || json_integer_value(total) < 0)))
		return ERR_UPSTREAM;
	if (scan(entries, priv->system, value, &p, &n))
		return verifier_result_init(res, OUTCOME_ERROR, "the registry refused the query");
	if (n == 0)
		return total != NULL && json_integer_value(total) > 0
			       ? ERR_UPSTREAM
			       : verifier_result_init(res, OUTCOME_NOT_FOUND,
						      "no practitioner with that identifier");
	if (p == NULL)
		return verifier_result_init(res, OUTCOME_MISMATCH,
					    "the registry answered for another identifier");
	return judge(v, fields, p, entries, strstr(priv->url, "_revinclude") != NULL, res);
}

static enum err fhir_parse_reply(const struct verifier *v, const json_t *fields,
				 const struct verifier_reply *reply,
				 struct verifier_result *ret_res)
{
	const struct fhir_priv *priv = v->priv;
	struct hj_buf value = {.cap = FHIR_VALUE_MAX};
	json_t *doc = NULL;
	enum err err = ERR_UPSTREAM;

	for (size_t i = 0; i < v->nfields; i++)
		if (json_string_value(json_object_get(fields, v->fields[i])) == NULL)
			return ERR_UPSTREAM;
	hj_fill(&value, priv->value, fields, NULL, false);
	if (value.nomem || value.too_big || value.s == NULL)
		goto out;
	doc = json_loadb(reply->body, reply->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc))
		goto out;
	if (is_resource(doc, "OperationOutcome")) {
		if (json_array_size(json_object_get(doc, "issue")) > 0)
			err = verifier_result_init(ret_res, OUTCOME_ERROR,
						   "the registry refused the query");
		goto out;
	}
	if (reply->status == 200 && is_resource(doc, "Bundle"))
		err = judge_bundle(v, fields, doc, value.s, ret_res);
out:
	json_decref(doc);
	hj_buf_wipe(&value);
	return err;
}

static void fhir_cleanup(struct verifier *v)
{
	struct fhir_priv *priv = v->priv;

	free(priv->url);
	priv->url = NULL;
}

const struct verifier_ops verifier_fhir = {
	.kind = "fhir",
	.transport = TRANSPORT_HTTP,
	.priv_size = sizeof(struct fhir_priv), /* system, value template, URL template */
	.init = fhir_init,                     /* checks the "fhir" section, builds the URL */
	.build_request = fhir_build_request,   /* GET, the identifier and only it in the URL */
	.parse_reply = fhir_parse_reply,       /* pure but for today's date: Bundle or outcome */
	.check_local = NULL,                   /* remote */
	.cleanup = fhir_cleanup,               /* frees the URL template */
};
