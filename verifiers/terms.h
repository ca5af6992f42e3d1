/*
 * terms.h - the limited-use terms every recipient of personal fields is
 * held to, a verifier (its definition's "terms") or another third party
 * (services/recipients.json): what is checked when a definition is
 * loaded. The gate (services/ledger.h) enforces them at each disclosure.
 */
#ifndef HCPD_TERMS_H
#define HCPD_TERMS_H

#include <stdbool.h>
#include <jansson.h>

#include "disclosures.h"

struct catalogue;

/* Takes each refusal of terms_parse(): the key at fault and its rule. */
typedef void (*terms_note_fn)(void *ctx, const char *key, const char *rule);

/* Checks one "terms" object into t: fields must have room for its
 * allowed_fields, whose names t then borrows from terms. On false,
 * *ret_bad names the first key at fault and *ret_rule what it must be
 * (static strings). With note (may be NULL: stop at the first), the
 * checks go on past a refusal and note(ctx, key, rule) takes each one
 * (`hcpd verifier lint`). Pure. */
bool terms_parse(json_t *terms, const struct catalogue *cat, const char **fields,
		 struct recipient_terms_def *t, const char **ret_bad, const char **ret_rule,
		 terms_note_fn note, void *ctx);

/* May name be disclosed: a catalogue field, or "email" (the account's
 * address, kept apart from the profile)? */
bool terms_field_known(const struct catalogue *cat, const char *name);

#endif
