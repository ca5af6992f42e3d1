/*
 * compare.h - how verifiers compare what a professional registered with
 * what a registry holds: names case-, accent-, space- and
 * hyphen-insensitively, licence numbers and codes by their letters and
 * digits. Pure functions, shared by every kind.
 */
#ifndef HCPD_COMPARE_H
#define HCPD_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"

#define COMPARE_TEXT_MAX 256 /* bytes of a normalised value, NUL included */

/* s (UTF-8) as upper-case ASCII letters and digits: Latin accents are
 * removed (É -> E, ß -> SS, Ø -> O), spaces, hyphens, apostrophes and
 * other punctuation dropped; letters outside Latin-1 and Latin
 * Extended-A are kept as they are. Truncated to fit out. */
void compare_normalise(const char *s, char out[COMPARE_TEXT_MAX]);

/* Do two family names match once normalised? An empty one never does. */
bool compare_names(const char *registered, const char *registry);

/* Do two given names match: the same once normalised, or one of them a
 * single letter (an initial) that starts the other? */
bool compare_given_names(const char *registered, const char *registry);

/* One compared field into a result: checks[field] = "match" or
 * "mismatch", and (for evidence) evidence[field] = {"registration": a,
 * "registry": b} with both values normalised. A NULL or empty registry
 * value counts as "absent" and records no evidence. Returns whether it
 * matched (absent counts as a match: nothing contradicts it). ERR_NOMEM
 * goes into *ret_err, which is left alone otherwise. */
bool compare_record(json_t *checks, json_t *evidence, const char *field, const char *registered,
		    const char *registry, bool match, enum err *ret_err);

#endif
