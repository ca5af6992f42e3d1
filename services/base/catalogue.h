/*
 * catalogue.h - the field catalogue: which profile fields exist, their
 * format and length, whether each is personal (stored encrypted), and when
 * each is required, per country and profession; plus the consent purposes.
 *
 * It is data (services/catalogue.json, HCPD_CATALOGUE_FILE), validated
 * strictly at start-up and read-only afterwards, so any thread may use a
 * loaded catalogue. Handlers never name profile fields: they ask here.
 * Issue 19: each field also has a label, an example that passes its own
 * format, the source of any published format rule (check digits, a
 * pattern) and whom it is asked of ("applies"); per country, the
 * professions that may register there ("countries").
 */
#ifndef HCPD_CATALOGUE_H
#define HCPD_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"

struct catalogue;

/* Loads and validates path. On ERR_INVALID or ERR_IO, why (why_len bytes)
 * names the file and the key at fault. */
enum err catalogue_load(const char *path, struct catalogue **ret_cat, char *why, size_t why_len);

/* Accepts NULL. */
void catalogue_free(struct catalogue *cat);

/* Builds a catalogue from an already parsed document (steals doc). Used by
 * catalogue_load and by tests and fuzzers. */
enum err catalogue_from_json(json_t *doc, const char *name, struct catalogue **ret_cat, char *why,
			     size_t why_len);

/* The catalogue as served by GET /v1/registration/schema (compact JSON,
 * owned by the catalogue) and its strong ETag. */
const char *catalogue_body(const struct catalogue *cat, size_t *ret_len);
const char *catalogue_etag(const struct catalogue *cat);
const char *catalogue_version(const struct catalogue *cat);
const char *catalogue_notice_version(const struct catalogue *cat);

/* Checks a profile object. Every problem is appended to errors as
 * {field: "profile.<name>", code, message} with code one of required,
 * type, too_long, invalid, unknown_field. Valid fields are copied into
 * personal or public (both JSON objects) by the field's "personal" flag.
 * ERR_NOMEM when an error or a field could not be added: errors, personal
 * and public are then incomplete and must not be acted on. */
enum err catalogue_check_profile(const struct catalogue *cat, json_t *profile, json_t *errors,
				 json_t *personal, json_t *public);

/* Checks a consents object: known purposes only, booleans only, required
 * purposes true. Errors as above with field "consents.<purpose>";
 * ERR_NOMEM as above. */
enum err catalogue_check_consents(const struct catalogue *cat, json_t *consents, json_t *errors);

/* Checks a change of consents (PUT /v1/me/consents): known purposes and
 * booleans only; any subset, and a required purpose may be false. Errors
 * and ERR_NOMEM as catalogue_check_consents(). */
enum err catalogue_check_consent_changes(const struct catalogue *cat, json_t *consents,
					 json_t *errors);

/* Is name a catalogue field that is not personal (stored in clear, fit
 * for de-identified statistics)? */
bool catalogue_field_is_public(const struct catalogue *cat, const char *name);

/* Is name a catalogue field (personal or not)? */
bool catalogue_field_exists(const struct catalogue *cat, const char *name);

/* Does a change of field name re-run verification (the catalogue's
 * "reverify_fields": names and licence fields)? */
bool catalogue_field_reverifies(const struct catalogue *cat, const char *name);

/* The non-personal fields an erased account keeps for statistics (the
 * catalogue's "kept_after_erasure", e.g. country and profession). */
size_t catalogue_kept_count(const struct catalogue *cat);
const char *catalogue_kept_field(const struct catalogue *cat, size_t i);

/* Is purpose a catalogue consent purpose? *ret_required (may be NULL)
 * then tells whether registration requires it. */
bool catalogue_consent_known(const struct catalogue *cat, const char *purpose, bool *ret_required);

/* The current state of every consent purpose from a consent history
 * (db_consent_history(), oldest first): {purpose: granted}, false for a
 * purpose never recorded. A new reference, or NULL without memory. */
json_t *catalogue_consents_current(const struct catalogue *cat, json_t *history);

/* The consent purposes, in catalogue order. */
size_t catalogue_consent_count(const struct catalogue *cat);
const char *catalogue_consent_purpose(const struct catalogue *cat, size_t i);

/* The searchable fields (a field's "searchable": true, and every
 * "identifier": true), in catalogue order: found by an exact match of
 * their normalised value through a blind index (services/search.h).
 * catalogue_search_field() is NULL past the count. */
size_t catalogue_search_count(const struct catalogue *cat);
const char *catalogue_search_field(const struct catalogue *cat, size_t i);
bool catalogue_field_searchable(const struct catalogue *cat, const char *name);

/* Is name a licence identifier (npi, license_number, national register
 * numbers): one live account each, within the non-personal fields its
 * "unique_within" names (default: country)? */
bool catalogue_field_is_identifier(const struct catalogue *cat, const char *name);

/* {identifier field: [unique_within field names]} for every identifier,
 * a new reference (NULL without memory): what the duplicate check
 * compares (db/accounts_search.h). */
json_t *catalogue_unique_within(const struct catalogue *cat);

/* The normalised form of value of searchable field name, the text its
 * blind index is taken of, into out (out_len bytes): names and text
 * folded for case, accents and white space (fold_name()), codes for case
 * and separators (fold_code()), other formats as validated. false when
 * name is not searchable or nothing is left. Pure. */
bool catalogue_index_value(const struct catalogue *cat, const char *name, const char *value,
			   char *out, size_t out_len);

/* Is s one of the catalogue's professions? */
bool catalogue_profession_known(const struct catalogue *cat, const char *s);

/* May a professional of profession register in country: one of the
 * professions the catalogue lists for that country ("countries"), or of
 * all its professions for a country it does not list? */
bool catalogue_profession_in(const struct catalogue *cat, const char *country,
			     const char *profession);

/* The catalogue resolved for a professional of country and profession
 * (issue 19, GET /v1/registration/schema?country=&profession=): version,
 * notice_version, country, profession, the fields asked of them (a
 * field's "applies") each with label, purpose, type, format, max_length,
 * required evaluated to a boolean, personal, example, and pattern and
 * source where it has them; and the consents. *ret_doc is a new
 * reference. ERR_INVALID with *ret_bad "country" (not an ISO 3166-1
 * alpha-2 code) or "profession" (not one of the country's); ERR_NOMEM. */
enum err catalogue_resolve(const struct catalogue *cat, const char *country, const char *profession,
			   json_t **ret_doc, const char **ret_bad);

#endif
