/*
 * password.h - the password policy (NIST SP 800-63B-4) and argon2id.
 *
 * Policy: 15 to 128 characters, no composition rules; rejected when the
 * zxcvbn estimator puts it under 10^8 guesses, or when it contains the
 * email's local part or one of the professional's names (3+ characters,
 * case-insensitive). Hashing is CPU-bound and slow by design (~20 ms):
 * callers on server threads run it on the workpool.
 */
#ifndef HCPD_PASSWORD_H
#define HCPD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"

#define PASSWORD_MIN_CHARS   15
#define PASSWORD_MAX_CHARS   128
#define PASSWORD_ENCODED_MAX 160 /* PHC string, NUL included */

/* Appends {field: "password", code, message} to errors for each rule the
 * password breaks; codes: too_short, too_long, too_common, contains_email,
 * contains_name. email and names (NULL-terminated, entries may be NULL)
 * may be NULL. Never copies the password anywhere. ERR_NOMEM when an error
 * could not be appended: the password must then not be taken as good. */
enum err password_check(const char *password, const char *email, const char *const *names,
			json_t *errors);

/* password_check() with the names of profile (a JSON object of profile
 * fields: given_name, middle_name, family_name, those that are strings):
 * the one way a password is checked against its owner's own data. */
enum err password_check_profile(const char *password, const char *email, json_t *profile,
				json_t *errors);

/* argon2id with a random 16-byte salt, p=1, into a PHC string
 * ($argon2id$v=19$m=...,t=...,p=1$salt$hash). Blocks for the hash's
 * duration and allocates memory_kib KiB. */
enum err password_hash(const char *password, int memory_kib, int iterations,
		       char ret_encoded[PASSWORD_ENCODED_MAX]);

/* ERR_OK when password matches encoded, ERR_INVALID when it does not or
 * encoded is malformed. Blocks like password_hash(). */
enum err password_verify(const char *encoded, const char *password);

/* On the calling thread only: with keep, the working memory of one hash
 * (memory_kib) is kept for the next instead of being returned to the
 * system (a hashing pool's thread, while it has work); without, and on
 * every thread that never asked, each hash returns it when done. */
void password_memory_keep(bool keep);

/* Returns the memory this thread kept, if any. Never fails. */
void password_memory_release(void);

#endif
