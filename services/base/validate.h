/*
 * validate.h - pure validators for single field values.
 *
 * Each returns true when the NUL-terminated value is acceptable. None of
 * them allocates, logs or keeps state, so they are safe from any thread and
 * are fuzzed directly. Field-level rules (required, max length, which format
 * applies to which field) live in the catalogue, not here.
 */
#ifndef HCPD_VALIDATE_H
#define HCPD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF), no NUL in
 * the first len bytes. */
bool validate_utf8(const char *s, size_t len);

/* No control characters and nothing that makes text display other than it
 * reads: C0 (U+0000-U+001F, CR and LF included), DEL, C1 (U+0080-U+009F),
 * the bidirectional marks, embeddings, overrides and isolates (U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069), the line and paragraph
 * separators (U+2028, U+2029) and U+FEFF. s is valid UTF-8. */
bool validate_no_controls(const char *s);

/* An address for account login: 3-254 bytes, one '@', local part 1-64 bytes
 * of printable ASCII except space, "(),:;<>[\]" and quotes; domain of dot-separated labels
 * (1-63 of [A-Za-z0-9-], not starting or ending with '-'), at least one dot,
 * last label alphabetic and >= 2 chars. No controls, no CR/LF. */
bool validate_email(const char *s);

/* E.164: '+', a non-zero first digit, 8 to 15 digits in all. */
bool validate_e164(const char *s);

/* An assigned ISO 3166-1 alpha-2 code, upper case ("US", "GB", "SG"...). */
bool validate_country(const char *s);

/* A US NPI: exactly 10 ASCII digits whose Luhn check over "80840" followed
 * by the 10 digits holds. */
bool validate_npi(const char *s);

/* A French RPPS number (Répertoire partagé des professionnels de santé):
 * exactly 11 ASCII digits, the last a Luhn check digit over all 11 (the
 * Agence du Numérique en Santé's identifier table: "11 caractères
 * numériques (le dernier étant la clé de Luhn)"). */
bool validate_rpps(const char *s);

/* A Belgian RIZIV/INAMI number: exactly 11 ASCII digits, the first (the
 * profession) not 0: "Een RIZIV-nummer bestaat uit 11 cijfers"
 * (inami.fgov.be, "Een RIZIV-nummer krijgen"). Digits 7-8 are a check of
 * the first six, modulo 97 for older numbers and 89 since RIZIV's note
 * I 2012/26 (infohos.be/nl/blog/12189), but RIZIV publishes no formula:
 * third parties disagree on whether the check is the remainder or 97
 * minus it, so it is not enforced - refusing a real doctor's number would
 * be worse than letting a typo reach the admin who checks it by hand. */
bool validate_riziv(const char *s);

/* A canonical lower-case UUID, as every id hcpd makes: 36 characters,
 * dashes at 8, 13, 18 and 23, lower-case hex elsewhere. */
bool validate_uuid(const char *s);

/* A name made for machines, such as a recipient's, a verifier's or a
 * purpose: 1 to max bytes of lower-case ASCII letters and digits, and sep
 * after the first. */
bool validate_token(const char *s, char sep, size_t max);

/* The one date check. A real calendar date "YYYY-MM-DD" (midnight UTC) or
 * time "YYYY-MM-DDTHH:MM:SSZ", every digit an ASCII digit and the year from
 * 1900 to 9999, as Unix seconds into *ret_seconds (negative before 1970).
 * False for anything else (02-30, 24:00:00, an offset, spaces). */
bool validate_timestamp(const char *s, long long *ret_seconds);

/* Just the "YYYY-MM-DD" form of validate_timestamp(). */
bool validate_date(const char *s);

/* The number of characters (code points) of a well-formed UTF-8 string. */
size_t validate_utf8_chars(const char *s);

#endif
