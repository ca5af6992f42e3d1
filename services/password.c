/*
 * password.c - policy checks and argon2id. Holds no state. Plaintext
 * passwords are only read; lower-cased copies made for comparison are
 * wiped before they are freed.
 */
#include <argon2.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zxcvbn.h>

#include "crypto.h"
#include "password.h"
#include "problem.h"

/* log2(10^8): zxcvbn reports entropy in bits. */
#define MIN_ENTROPY_BITS 26.5754

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* ASCII-lower-cased copy of n bytes of s. */
static char *lower_dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	d[n] = '\0';
	return d;
}

/* Does haystack (lower-cased) contain the first n bytes of needle,
 * compared case-insensitively? Short needles (< 3 bytes) never match: a
 * family name "Ng" must not forbid every password with "ng" in it. */
static bool contains(const char *haystack, const char *needle, size_t n)
{
	char *low;
	bool found;

	if (needle == NULL || n < 3)
		return false;
	low = lower_dup(needle, n);
	if (low == NULL)
		return false;
	found = strstr(haystack, low) != NULL;
	free(low);
	return found;
}

void password_check(const char *password, const char *email, const char *const *names,
		    json_t *errors)
{
	size_t chars = utf8_chars(password);
	size_t len = strlen(password);
	const char *dict[8] = {NULL};
	size_t ndict = 0;
	char *low;

	if (chars < PASSWORD_MIN_CHARS) {
		problem_add_error(errors, "password", "too_short",
				  "use at least 15 characters; a few unrelated words work well");
		return;
	}
	if (chars > PASSWORD_MAX_CHARS) {
		problem_add_error(errors, "password", "too_long",
				  "use at most 128 characters");
		return;
	}
	low = lower_dup(password, len);
	if (low == NULL)
		return;
	if (email != NULL && contains(low, email, strcspn(email, "@")))
		problem_add_error(errors, "password", "contains_email",
				  "must not contain the local part of your email address");
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		if (contains(low, names[i], strlen(names[i]))) {
			problem_add_error(errors, "password", "contains_name",
					  "must not contain your name");
			break;
		}
	}
	/* zxcvbn also penalises the user's own words */
	for (size_t i = 0; names != NULL && names[i] != NULL && ndict < 6; i++)
		dict[ndict++] = names[i];
	dict[ndict] = NULL;
	if (ZxcvbnMatch(password, dict, NULL) < MIN_ENTROPY_BITS)
		problem_add_error(errors, "password", "too_common",
				  "too easy to guess (common words, patterns or repeats); "
				  "add more unrelated words");
	explicit_bzero(low, len);
	free(low);
}

enum err password_hash(const char *password, int memory_kib, int iterations,
		       char ret_encoded[PASSWORD_ENCODED_MAX])
{
	unsigned char salt[16];
	char encoded[PASSWORD_ENCODED_MAX];
	int rc;

	if (crypto_random(salt, sizeof(salt)) != ERR_OK)
		return ERR_CRYPTO;
	rc = argon2id_hash_encoded((uint32_t)iterations, (uint32_t)memory_kib, 1, password,
				   strlen(password), salt, sizeof(salt), 32, encoded,
				   sizeof(encoded));
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return ERR_NOMEM;
	if (rc != ARGON2_OK)
		return ERR_INTERNAL;
	memcpy(ret_encoded, encoded, sizeof(encoded));
	return ERR_OK;
}

enum err password_verify(const char *encoded, const char *password)
{
	int rc = argon2id_verify(encoded, password, strlen(password));

	if (rc == ARGON2_OK)
		return ERR_OK;
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ERR_NOMEM : ERR_INVALID;
}
