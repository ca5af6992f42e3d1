/*
 * fold.h - the normalisations a blind index is taken of (services/search.c),
 * so that an exact search finds a value however it was typed: names
 * folded for case and accents, codes for case and separators. Pure; no
 * allocation.
 */
#ifndef HCPD_FOLD_H
#define HCPD_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#define FOLD_MAX 512 /* bytes of a folded value with its NUL */

/* Folds a name (valid UTF-8) into out (out_len bytes, NUL-terminated):
 * ASCII letters lower-cased; the Latin-1 and Latin Extended-A letters
 * (U+00C0-U+017F) replaced by their base letters as NFKD followed by
 * dropping the marks would (e with any accent -> e, and the letters NFKD
 * leaves alone spelled out: ss, ae, oe, o for o-slash, d for eth and
 * d-stroke, l for l-stroke, th for thorn); combining marks (U+0300-U+036F)
 * dropped, so a decomposed "e" + acute folds like the composed one; runs
 * of white space made one space, and none at either end. Other
 * characters are kept as they are (exact, case and all). false when the
 * result is empty or does not fit. */
bool fold_name(const char *in, char *out, size_t out_len);

/* Folds a code (a licence number: letters, digits, " ./-") into out:
 * ASCII letters upper-cased, spaces, dots, slashes and hyphens dropped
 * ("a-123 45" and "A12345" are one code). Other bytes kept. false when
 * the result is empty or does not fit. */
bool fold_code(const char *in, char *out, size_t out_len);

#endif
