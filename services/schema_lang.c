/*
 * schema_lang.c - the catalogue's translations (schema_lang.h): loaded and
 * checked complete at start, laid over a schema document per request.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "crypto.h"
#include "i18n.h"
#include "schema_lang.h"

struct schema_langs {
	size_t n;                              /* translated languages */
	char tag[I18N_MAX_LANG][I18N_TAG_MAX]; /* their tags */
	json_t *tr[I18N_MAX_LANG];             /* their files */
	const char *tags[I18N_MAX_LANG + 2];   /* "en", the tags, NULL */
};

/* Every key of want (an array of objects named by member key_name) is in
 * have with string members m1 (and m2, when not NULL), and have names
 * nothing else. */
static bool complete(json_t *have, json_t *want, const char *key_name, const char *m1,
		     const char *m2, const char *file, char *why, size_t why_len)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(have)) {
		snprintf(why, why_len, "%s: needs an object of %s translations", file, key_name);
		return false;
	}
	json_array_foreach (want, i, v) {
		const char *name = json_string_value(json_object_get(v, key_name));
		json_t *t = json_object_get(have, name);

		if (!json_is_string(json_object_get(t, m1)) ||
		    (m2 != NULL && !json_is_string(json_object_get(t, m2)))) {
			snprintf(why, why_len, "%s: \"%s\" is not translated (%s%s%s)", file, name,
				 m1, m2 != NULL ? ", " : "", m2 != NULL ? m2 : "");
			return false;
		}
	}
	json_object_foreach (have, key, v) {
		bool known = false;
		json_t *w;

		json_array_foreach (want, i, w)
			known = known ||
				strcmp(json_string_value(json_object_get(w, key_name)), key) == 0;
		if (!known) {
			snprintf(why, why_len, "%s: \"%s\" is not in the catalogue", file, key);
			return false;
		}
	}
	return true;
}

/* One file: <stem>.<name>.json, name a language this hcpd has. */
static enum err load_one(struct schema_langs *l, const struct catalogue *cat, const char *path,
			 const char *tag, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *cdoc;
	size_t len;
	const char *body = catalogue_body(cat, &len);
	bool ok;

	if (doc == NULL) {
		snprintf(why, why_len, "%s: %s (line %d)", path, jerr.text, jerr.line);
		return ERR_INVALID;
	}
	cdoc = json_loadb(body, len, 0, NULL);
	ok = cdoc != NULL &&
	     complete(json_object_get(doc, "fields"), json_object_get(cdoc, "fields"), "name",
		      "label", "purpose", path, why, why_len) &&
	     complete(json_object_get(doc, "consents"), json_object_get(cdoc, "consents"),
		      "purpose", "description", NULL, path, why, why_len);
	json_decref(cdoc);
	if (!ok) {
		json_decref(doc);
		return cdoc == NULL ? ERR_NOMEM : ERR_INVALID;
	}
	snprintf(l->tag[l->n], I18N_TAG_MAX, "%s", tag);
	l->tr[l->n++] = doc;
	return ERR_OK;
}

enum err schema_langs_load(const char *locale_dir, const char *catalogue_file,
			   const struct catalogue *cat, struct schema_langs **ret_langs, char *why,
			   size_t why_len)
{
	struct schema_langs *l = calloc(1, sizeof(*l));
	char *copy = strdup(catalogue_file), *dir, *base, path[4096], stem[256];
	struct dirent *e;
	enum err err = i18n_init(locale_dir);
	DIR *d;

	if (err != ERR_OK) {
		snprintf(why, why_len, "the C.UTF-8 locale is missing");
		free(copy);
		free(l);
		return err;
	}
	if (l == NULL || copy == NULL) {
		free(copy);
		free(l);
		return ERR_NOMEM;
	}
	base = strrchr(copy, '/');
	dir = base != NULL ? copy : ".";
	base = base != NULL ? (*base = '\0', base + 1) : copy;
	snprintf(stem, sizeof(stem), "%.*s.", (int)strcspn(base, "."), base);
	d = opendir(dir);
	while (d != NULL && err == ERR_OK && (e = readdir(d)) != NULL && l->n < I18N_MAX_LANG) {
		size_t nlen = strlen(e->d_name), slen = strlen(stem);
		char name[I18N_TAG_MAX];
		const char *tag;

		if (nlen <= slen + 5 || strncmp(e->d_name, stem, slen) != 0 ||
		    strcmp(e->d_name + nlen - 5, ".json") != 0 || nlen - slen - 5 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(nlen - slen - 5), e->d_name + slen);
		tag = i18n_find(name);
		if (tag == NULL || strcmp(tag, I18N_DEFAULT) == 0)
			continue; /* no messages in that language: not served */
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		err = load_one(l, cat, path, tag, why, why_len);
	}
	if (d != NULL)
		closedir(d);
	free(copy);
	if (err != ERR_OK) {
		schema_langs_free(l);
		return err;
	}
	l->tags[0] = I18N_DEFAULT;
	for (size_t i = 0; i < l->n; i++)
		l->tags[i + 1] = l->tag[i];
	l->tags[l->n + 1] = NULL;
	*ret_langs = l;
	return ERR_OK;
}

void schema_langs_free(struct schema_langs *langs)
{
	i18n_shutdown();
	if (langs == NULL)
		return;
	for (size_t i = 0; i < langs->n; i++)
		json_decref(langs->tr[i]);
	free(langs);
}

const char *const *schema_langs_tags(const struct schema_langs *langs)
{
	return langs->tags;
}

const char *schema_langs_negotiate(const struct schema_langs *langs, const char *accept_language)
{
	int i = i18n_lookup(accept_language, langs->tags, langs->n + 1);

	return i >= 0 ? langs->tags[i] : I18N_DEFAULT;
}

/* Copies each member of names from tr[key] into each object of list. */
static int overlay(json_t *list, const char *key_name, json_t *tr, const char *const *names)
{
	size_t i;
	json_t *v;

	json_array_foreach (list, i, v) {
		json_t *t = json_object_get(tr, json_string_value(json_object_get(v, key_name)));

		for (const char *const *m = names; t != NULL && *m != NULL; m++)
			if (json_object_set(v, *m, json_object_get(t, *m)) != 0)
				return -1;
	}
	return 0;
}

enum err schema_langs_apply(const struct schema_langs *langs, const char *lang, json_t *doc)
{
	static const char *const field_members[] = {"label", "purpose", NULL};
	static const char *const consent_members[] = {"description", NULL};
	json_t *tags = json_array(), *tr = NULL;

	for (size_t i = 0; tags != NULL && langs->tags[i] != NULL; i++)
		if (json_array_append_new(tags, json_string(langs->tags[i])) != 0)
			break;
	for (size_t i = 0; lang != NULL && i < langs->n; i++)
		if (strcmp(langs->tag[i], lang) == 0)
			tr = langs->tr[i];
	if (tags == NULL || json_object_set_new(doc, "languages", tags) != 0)
		return ERR_NOMEM;
	if (tr == NULL)
		return ERR_OK;
	if (json_object_set_new(doc, "consents",
				json_deep_copy(json_object_get(doc, "consents"))) != 0 ||
	    overlay(json_object_get(doc, "fields"), "name", json_object_get(tr, "fields"),
		    field_members) != 0 ||
	    overlay(json_object_get(doc, "consents"), "purpose", json_object_get(tr, "consents"),
		    consent_members) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

enum err schema_langs_catalogue(const struct schema_langs *langs, const struct catalogue *cat,
				const char *lang, json_t **ret_doc)
{
	size_t len;
	const char *body = catalogue_body(cat, &len);
	json_t *doc = json_loadb(body, len, 0, NULL);
	enum err err = doc != NULL ? schema_langs_apply(langs, lang, doc) : ERR_NOMEM;

	if (err != ERR_OK) {
		json_decref(doc);
		return err;
	}
	*ret_doc = doc;
	return ERR_OK;
}

void schema_langs_etag(const struct schema_langs *langs, const struct catalogue *cat,
		       const char *lang, char ret_etag[35])
{
	char text[64 + (I18N_MAX_LANG + 2) * (I18N_TAG_MAX + 1)];
	unsigned char digest[32];
	size_t at = (size_t)snprintf(text, sizeof(text), "%s|%s", catalogue_etag(cat), lang);

	for (size_t i = 0; langs->tags[i] != NULL && at < sizeof(text); i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "|%s", langs->tags[i]);
	crypto_sha256(text, strnlen(text, sizeof(text)), digest);
	ret_etag[0] = '"';
	crypto_hex(digest, 16, ret_etag + 1);
	ret_etag[33] = '"';
	ret_etag[34] = '\0';
}
