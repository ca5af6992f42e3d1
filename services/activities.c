/*
 * activities.c - loads and validates the activities file (see
 * activities.h). Every string in the loaded activities is borrowed from
 * the parsed document the set owns. Messages name JSON paths, never
 * values.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "jsonbody.h"
#include "recipients.h"
#include "validate.h"
#include "webhooks.h"

#define ACTIVITIES_MAX 256

struct activities {
	json_t *doc;
	struct activity *list;
	size_t n;
};

/* Where a check failed: a JSON path below activities[i], and the rule. */
struct fault {
	char path[96];
	const char *rule;
};

static bool fail(struct fault *f, const char *rule, const char *fmt, const char *key, size_t j)
{
	snprintf(f->path, sizeof(f->path), fmt, key, j);
	f->rule = rule;
	return false;
}

static const struct recipient_def *recipient_of(const struct recipients *rcp, const char *name)
{
	size_t n;
	const struct recipient_def *defs = recipients_defs(rcp, &n);

	for (size_t i = 0; name != NULL && i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

static bool allowed(const struct recipient_def *d, const char *field)
{
	for (size_t i = 0; i < d->terms.nallowed; i++)
		if (strcmp(d->terms.allowed_fields[i], field) == 0)
			return true;
	return false;
}

/* The fields of one recipient: within its terms, distinct, without the
 * completion status (always sent, so never listed). */
static bool target_fields(struct activity_target *t, json_t *list, const struct recipient_def *d,
			  const char *key, struct fault *f)
{
	json_t *v;
	size_t j;

	if (!json_is_array(list) || json_array_size(list) > ACTIVITY_FIELDS_MAX)
		return fail(f, "must be an array of at most 32 field names", "%s.fields", key, 0);
	json_array_foreach (list, j, v) {
		const char *name = json_string_value(v);

		if (name == NULL || strcmp(name, ACTIVITY_COMPLETION_FIELD) == 0)
			return fail(f, "must be a field name (completion_status is always sent)",
				    "%s.fields[%zu]", key, j);
		if (!allowed(d, name))
			return fail(f, "is not in the recipient's terms' allowed_fields",
				    "%s.fields[%zu]", key, j);
		for (size_t k = 0; k < j; k++)
			if (strcmp(t->fields[k], name) == 0)
				return fail(f, "is listed twice", "%s.fields[%zu]", key, j);
		t->fields[j] = name;
	}
	t->nfields = json_array_size(list);
	return true;
}

/* One {recipient, fields, url} under key ("sponsor", "accreditors[0]"). */
static bool target_read(struct activity_target *t, json_t *def, const struct recipients *rcp,
			const char *role, const char *key, struct fault *f)
{
	static const char *const keys[] = {"recipient", "fields", "url", NULL};
	const char *kind = strcmp(role, "sponsor") == 0 ? "cme_sponsor" : "accreditor";
	const struct recipient_def *d;
	const char *bad = NULL, *rule;
	char sub[64];

	if (!json_is_object(def))
		return fail(f, "must be an object", "%s", key, 0);
	if (!json_only_keys(def, keys, &bad)) {
		snprintf(sub, sizeof(sub), "%s.%s", key, bad);
		return fail(f, "is not a known key (recipient, fields, url)", "%s", sub, 0);
	}
	t->role = role;
	t->recipient = json_text(def, "recipient", 63);
	t->def = d = recipient_of(rcp, t->recipient);
	if (d == NULL)
		return fail(f, "must name a recipient of the recipients file", "%s.recipient", key,
			    0);
	if (strcmp(d->kind, kind) != 0)
		return fail(f,
			    strcmp(role, "sponsor") == 0 ? "must name a cme_sponsor recipient"
							 : "must name an accreditor recipient",
			    "%s.recipient", key, 0);
	if (!allowed(d, ACTIVITY_COMPLETION_FIELD))
		return fail(f, "names a recipient whose terms do not allow completion_status",
			    "%s.recipient", key, 0);
	if (!target_fields(t, json_object_get(def, "fields"), d, key, f))
		return false;
	t->url = json_text(def, "url", 2048);
	if (t->url == NULL)
		return fail(f, "must be a URL", "%s.url", key, 0);
	if ((rule = webhooks_url_rule(t->url)) != NULL)
		return fail(f, rule, "%s.url", key, 0);
	return true;
}

static bool kind_ok(const char *kind)
{
	return kind != NULL && (strcmp(kind, "cme_module") == 0 || strcmp(kind, "symposium") == 0 ||
				strcmp(kind, "survey") == 0);
}

/* activities[i] into set->list[i]. */
static bool activity_read(struct activities *set, size_t i, json_t *def,
			  const struct recipients *rcp, struct fault *f)
{
	static const char *const keys[] = {"id",      "kind",        "title", "system_client",
					   "sponsor", "accreditors", NULL};
	struct activity *a = &set->list[i];
	json_t *accs = json_object_get(def, "accreditors"), *v;
	const char *bad = NULL;
	char key[48];
	size_t j;

	if (!json_is_object(def))
		return fail(f, "must be an object", "%s", "", 0);
	if (!json_only_keys(def, keys, &bad))
		return fail(f, "is not a known key", ".%s", bad, 0);
	a->id = json_text(def, "id", 63);
	if (a->id == NULL || !validate_token(a->id, '-', 63))
		return fail(f, "must be 1 to 63 of a-z, 0-9 and -", "%s", ".id", 0);
	for (j = 0; j < i; j++)
		if (strcmp(set->list[j].id, a->id) == 0)
			return fail(f, "is used twice", "%s", ".id", 0);
	a->kind = json_text(def, "kind", 32);
	if (!kind_ok(a->kind))
		return fail(f, "must be cme_module, symposium or survey", "%s", ".kind", 0);
	if ((a->title = json_text(def, "title", 200)) == NULL)
		return fail(f, "must be a string of 1 to 200 bytes", "%s", ".title", 0);
	a->system_client = json_text(def, "system_client", 63);
	if (a->system_client == NULL || !validate_token(a->system_client, '-', 63))
		return fail(f, "must name a service client (a-z, 0-9 and -)", "%s",
			    ".system_client", 0);
	if (!target_read(&a->targets[0], json_object_get(def, "sponsor"), rcp, "sponsor",
			 ".sponsor", f))
		return false;
	if (!json_is_array(accs) || json_array_size(accs) > ACTIVITY_TARGETS_MAX - 1)
		return fail(f, "must be an array of at most 8", "%s", ".accreditors", 0);
	json_array_foreach (accs, j, v) {
		snprintf(key, sizeof(key), ".accreditors[%zu]", j);
		if (!target_read(&a->targets[j + 1], v, rcp, "accreditor", key, f))
			return false;
		for (size_t k = 0; k <= j; k++)
			if (strcmp(a->targets[k].recipient, a->targets[j + 1].recipient) == 0)
				return fail(f, "names a recipient twice in this activity",
					    "%s.recipient", key, 0);
	}
	a->ntargets = json_array_size(accs) + 1;
	return true;
}

enum err activities_from_json(json_t *doc, const char *name, const struct recipients *rcp,
			      struct activities **ret_set, char *why, size_t why_len)
{
	static const char *const keys[] = {"activities", NULL};
	struct activities *set = calloc(1, sizeof(*set));
	json_t *list = json_object_get(doc, "activities"), *def;
	struct fault f = {{0}, NULL};
	const char *bad = NULL;
	enum err err = ERR_INVALID;
	size_t i;

	if (set == NULL) {
		json_decref(doc);
		return ERR_NOMEM;
	}
	set->doc = doc;
	if (!json_is_object(doc) || !json_only_keys(doc, keys, &bad) || !json_is_array(list) ||
	    json_array_size(list) > ACTIVITIES_MAX) {
		snprintf(why, why_len,
			 "%s: must be an object whose only key is \"activities\", an array of at "
			 "most %d",
			 name, ACTIVITIES_MAX);
		goto out;
	}
	set->n = json_array_size(list);
	set->list = calloc(set->n + 1, sizeof(*set->list));
	if (set->list == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	json_array_foreach (list, i, def) {
		if (!activity_read(set, i, def, rcp, &f)) {
			snprintf(why, why_len, "%s: activities[%zu]%s %s", name, i, f.path, f.rule);
			goto out;
		}
	}
	*ret_set = set;
	set = NULL;
	err = ERR_OK;
out:
	activities_free(set);
	return err;
}

enum err activities_load(const char *path, const struct recipients *rcp,
			 struct activities **ret_set, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL) {
		snprintf(why, why_len, "%s: line %d: %s", path, jerr.line, jerr.text);
		return ERR_IO;
	}
	return activities_from_json(doc, path, rcp, ret_set, why, why_len);
}

void activities_free(struct activities *set)
{
	if (set == NULL)
		return;
	json_decref(set->doc);
	free(set->list);
	free(set);
}

const struct activity *activities_find(const struct activities *set, const char *id)
{
	for (size_t i = 0; set != NULL && id != NULL && i < set->n; i++)
		if (strcmp(set->list[i].id, id) == 0)
			return &set->list[i];
	return NULL;
}

bool activities_name_recipient(const struct activities *set, const char *recipient)
{
	for (size_t i = 0; set != NULL && recipient != NULL && i < set->n; i++)
		for (size_t j = 0; j < set->list[i].ntargets; j++)
			if (strcmp(set->list[i].targets[j].recipient, recipient) == 0)
				return true;
	return false;
}
