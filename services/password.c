/*
 * password.c - policy checks and argon2id. Holds no state. Plaintext
 * passwords are only read; the case-folded copy made for comparison is
 * wiped before returning.
 */
#include <argon2.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>
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

/* Names shorter than this many characters are not matched: a family name
 * "Ng" must not forbid every password with "ng" in it. */
#define NAME_MIN_CHARS 3

/* Decodes n bytes of UTF-8 (already validated by the JSON parser) into
 * case-folded code points; returns how many, at most cap. */
static locale_t utf8;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

/* Made once for the process's life (server threads call fold at once). */
static void utf8_init(void)
{
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static size_t fold(const char *s, size_t n, wchar_t *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t len = 0;

	pthread_once(&utf8_once, utf8_init);
	while (p < end && len < cap) {
		wchar_t c = *p++;
		int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

		if (more > 0)
			c &= 0x3F >> more;
		for (; more > 0 && p < end; more--)
			c = (c << 6) | (*p++ & 0x3F);
		out[len++] = utf8 != (locale_t)0 ? (wchar_t)towlower_l((wint_t)c, utf8)
						 : (wchar_t)towlower((wint_t)c);
	}
	return len;
}

/* Does the folded password contain the first n bytes of needle, compared
 * case-insensitively (Unicode simple case folding)? */
static bool contains(const wchar_t *hay, size_t hay_len, const char *needle, size_t n)
{
	wchar_t low[PASSWORD_MAX_CHARS + 1];
	size_t len;

	if (needle == NULL)
		return false;
	len = fold(needle, n, low, PASSWORD_MAX_CHARS + 1);
	if (len < NAME_MIN_CHARS || len > hay_len)
		return false;
	for (size_t i = 0; i + len <= hay_len; i++)
		if (wmemcmp(hay + i, low, len) == 0)
			return true;
	return false;
}

enum err password_check(const char *password, const char *email, const char *const *names,
			json_t *errors)
{
	size_t chars = utf8_chars(password);
	enum err err = ERR_OK;
	const char *dict[8] = {NULL};
	size_t ndict = 0;
	wchar_t folded[PASSWORD_MAX_CHARS];
	size_t folded_len;

	if (chars < PASSWORD_MIN_CHARS)
		return problem_add_error(errors, "password", "too_short",
					 "use at least 15 characters; a few unrelated words work "
					 "well");
	if (chars > PASSWORD_MAX_CHARS)
		return problem_add_error(errors, "password", "too_long",
					 "use at most 128 characters");
	folded_len = fold(password, strlen(password), folded, PASSWORD_MAX_CHARS);
	if (email != NULL && contains(folded, folded_len, email, strcspn(email, "@")) &&
	    problem_add_error(errors, "password", "contains_email",
			      "must not contain the local part of your email address") != ERR_OK)
		err = ERR_NOMEM;
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		if (contains(folded, folded_len, names[i], strlen(names[i]))) {
			if (problem_add_error(errors, "password", "contains_name",
					      "must not contain your name") != ERR_OK)
				err = ERR_NOMEM;
			break;
		}
	}
	/* zxcvbn also penalises the user's own words */
	for (size_t i = 0; names != NULL && names[i] != NULL && ndict < 6; i++)
		dict[ndict++] = names[i];
	dict[ndict] = NULL;
	if (ZxcvbnMatch(password, dict, NULL) < MIN_ENTROPY_BITS &&
	    problem_add_error(errors, "password", "too_common",
			      "too easy to guess (common words, patterns or repeats); "
			      "add more unrelated words") != ERR_OK)
		err = ERR_NOMEM;
	explicit_bzero(folded, sizeof(folded));
	return err;
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
