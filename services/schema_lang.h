/*
 * schema_lang.h - the field catalogue in the reader's language (issue 24):
 * each field's label and purpose and each consent's description,
 * translated in files beside the catalogue, one per language, so that a
 * translator adds a language by adding files:
 *
 *   <catalogue without .json>.<lang>.json, e.g. services/catalogue.fr.json
 *   {"fields":   {"<name>": {"label": "...", "purpose": "..."}, ...},
 *    "consents": {"<purpose>": {"description": "..."}, ...}}
 *
 * <lang> is a language's POSIX name ("fr", "zh_CN"), as its .po file's.
 * A file must translate every field and consent of the catalogue and name
 * nothing else, or hcpd does not start: a shipped language never falls
 * back to English. The schema serves a language that has both this file
 * and compiled messages (i18n.h).
 */
#ifndef HCPD_SCHEMA_LANG_H
#define HCPD_SCHEMA_LANG_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct catalogue;
struct schema_langs;

/* Every translation hcpd serves: first the compiled messages in
 * locale_dir (i18n_init(): HCPD_LOCALE_DIR), then the catalogue's
 * translations beside catalogue_file (cat is that file loaded).
 * ERR_INVALID with why naming the file and the entry missing, unknown or
 * not a string; ERR_UNAVAILABLE without the C.UTF-8 locale; ERR_NOMEM.
 * No file: English only. Before any thread starts. */
enum err schema_langs_load(const char *locale_dir, const char *catalogue_file,
			   const struct catalogue *cat, struct schema_langs **ret_langs, char *why,
			   size_t why_len);

/* Frees langs and the messages (i18n_shutdown()). Accepts NULL. */
void schema_langs_free(struct schema_langs *langs);

/* The schema's languages: "en", then each translated one that i18n.h also
 * has, sorted; NULL-terminated, owned by langs. */
const char *const *schema_langs_tags(const struct schema_langs *langs);

/* The schema's language for an Accept-Language value (NULL: none), one of
 * schema_langs_tags(). */
const char *schema_langs_negotiate(const struct schema_langs *langs, const char *accept_language);

/* doc (a catalogue or one resolved, owned and changed) in lang, a tag of
 * schema_langs_tags(): fields[] label and purpose, consents[] description
 * (the consents array is copied first: it may be shared), and "languages"
 * the tags. ERR_NOMEM. */
enum err schema_langs_apply(const struct schema_langs *langs, const char *lang, json_t *doc);

/* GET /v1/registration/schema without a query in lang: the catalogue with
 * schema_langs_apply(), into *ret_doc. */
/* The ETag of schema_langs_catalogue()'s document in lang: 32 hex digits
 * of SHA-256 over the catalogue's ETag, the languages and lang, quoted. */
void schema_langs_etag(const struct schema_langs *langs, const struct catalogue *cat,
		       const char *lang, char ret_etag[35]);

enum err schema_langs_catalogue(const struct schema_langs *langs, const struct catalogue *cat,
				const char *lang, json_t **ret_doc);

#endif
