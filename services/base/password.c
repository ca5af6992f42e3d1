/*
 * password.c - policy checks and argon2id. Plaintext passwords are only
 * read; the case-folded copy made for comparison is wiped before
 * returning.
 *
 * argon2id's working memory (memory_kib, 19 MiB) comes from this file's
 * allocator callbacks: its own mapping, returned to the system when the
 * hash is done - except on a thread that said password_memory_keep(true)
 * (the hashing pool's), which keeps one mapping between hashes until
 * password_memory_release(). Mapping and faulting in 19 MiB again for
 * every hash made each one about 30 % dearer; keeping it while the pool
 * is busy and releasing it when its queue runs dry gives both the speed
 * and the small idle footprint. argon2 wipes the memory before it is
 * handed back. The PHC string ($argon2id$v=19$m=,t=,p=$salt$hash) is
 * written and read here, as libargon2 does (its encoder is not public).
 */
#include <argon2.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <wchar.h>
#include <wctype.h>
#include <zxcvbn.h>

#include "crypto.h"
#include "jsonbody.h"
#include "password.h"

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
		return json_error_add(errors, "password", "too_short",
				      "use at least 15 characters; a few unrelated words work "
				      "well");
	if (chars > PASSWORD_MAX_CHARS)
		return json_error_add(errors, "password", "too_long", "use at most 128 characters");
	folded_len = fold(password, strlen(password), folded, PASSWORD_MAX_CHARS);
	if (email != NULL && contains(folded, folded_len, email, strcspn(email, "@")) &&
	    json_error_add(errors, "password", "contains_email",
			   "must not contain the local part of your email address") != ERR_OK)
		err = ERR_NOMEM;
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		if (contains(folded, folded_len, names[i], strlen(names[i]))) {
			if (json_error_add(errors, "password", "contains_name",
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
	    json_error_add(errors, "password", "too_common",
			   "too easy to guess (common words, patterns or repeats); "
			   "add more unrelated words") != ERR_OK)
		err = ERR_NOMEM;
	explicit_bzero(folded, sizeof(folded));
	return err;
}

enum err password_check_profile(const char *password, const char *email, json_t *profile,
				json_t *errors)
{
	static const char *const fields[] = {"given_name", "middle_name", "family_name"};
	const char *names[4] = {NULL};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *name = json_string_value(json_object_get(profile, fields[i]));

		if (name != NULL)
			names[n++] = name;
	}
	return password_check(password, email, names, errors);
}

#define SALT_LEN      16
#define HASH_LEN      32
#define B64_MAX_BYTES 64 /* salt or hash read from a stored string, at most */

/* The mapping a keeping thread holds between hashes. */
static _Thread_local bool memory_keep;
static _Thread_local void *kept;
static _Thread_local size_t kept_len;

void password_memory_keep(bool keep)
{
	memory_keep = keep;
	if (!keep)
		password_memory_release();
}

void password_memory_release(void)
{
	if (kept != NULL)
		munmap(kept, kept_len);
	kept = NULL;
	kept_len = 0;
}

/* argon2's allocate_cbk: *memory stays NULL on failure (argon2 then
 * returns ARGON2_MEMORY_ALLOCATION_ERROR). */
static int memory_get(uint8_t **memory, size_t bytes)
{
	void *p;

	if (kept != NULL && kept_len == bytes) {
		*memory = kept;
		kept = NULL;
		return 0;
	}
	password_memory_release();
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		*memory = NULL;
		return -1;
	}
	(void)madvise(p, bytes, MADV_HUGEPAGE); /* fewer faults, where THP allows */
	*memory = p;
	return 0;
}

/* argon2's free_cbk, called after argon2 wiped the memory. */
static void memory_put(uint8_t *memory, size_t bytes)
{
	if (memory_keep && kept == NULL) {
		kept = memory;
		kept_len = bytes;
		return;
	}
	munmap(memory, bytes);
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 without padding, as libargon2 writes it; out holds
 * (len * 4 + 2) / 3 + 1 bytes. */
static void b64_encode(const unsigned char *in, size_t len, char *out)
{
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0xffffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = b64_chars[acc >> bits & 0x3f];
		}
	}
	if (bits > 0)
		*out++ = b64_chars[acc << (6 - bits) & 0x3f];
	*out = '\0';
}

/* Decodes the n base64 characters at in into out (cap bytes): -1 for a
 * character outside the alphabet, leftover bits set, or too much. */
static int b64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *ret_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t len = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p = in[i] != '\0' ? strchr(b64_chars, in[i]) : NULL;

		if (p == NULL)
			return -1;
		acc = (acc << 6 | (uint32_t)(p - b64_chars)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == cap)
				return -1;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	*ret_len = len;
	return 0;
}

static void context_init(argon2_context *ctx, const char *password, unsigned char *salt,
			 size_t salt_len, unsigned char *out, size_t out_len, uint32_t m,
			 uint32_t t, uint32_t p)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->out = out;
	ctx->outlen = (uint32_t)out_len;
	ctx->pwd = (uint8_t *)password; /* read only: ARGON2_DEFAULT_FLAGS never clear it */
	ctx->pwdlen = (uint32_t)strlen(password);
	ctx->salt = salt;
	ctx->saltlen = (uint32_t)salt_len;
	ctx->t_cost = t;
	ctx->m_cost = m;
	ctx->lanes = p;
	ctx->threads = p;
	ctx->version = ARGON2_VERSION_13;
	ctx->allocate_cbk = memory_get;
	ctx->free_cbk = memory_put;
	ctx->flags = ARGON2_DEFAULT_FLAGS;
}

enum err password_hash(const char *password, int memory_kib, int iterations,
		       char ret_encoded[PASSWORD_ENCODED_MAX])
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char encoded[PASSWORD_ENCODED_MAX], salt64[B64_MAX_BYTES], hash64[B64_MAX_BYTES];
	argon2_context ctx;
	enum err err = ERR_CRYPTO;
	int rc, n;

	if (crypto_random(salt, sizeof(salt)) != ERR_OK)
		goto out;
	context_init(&ctx, password, salt, sizeof(salt), hash, sizeof(hash), (uint32_t)memory_kib,
		     (uint32_t)iterations, 1);
	rc = argon2_ctx(&ctx, Argon2_id);
	err = rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ERR_NOMEM : ERR_INTERNAL;
	if (rc != ARGON2_OK)
		goto out;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(hash, sizeof(hash), hash64);
	n = snprintf(encoded, sizeof(encoded), "$argon2id$v=%d$m=%d,t=%d,p=1$%s$%s",
		     ARGON2_VERSION_13, memory_kib, iterations, salt64, hash64);
	if (n < 0 || (size_t)n >= sizeof(encoded))
		goto out;
	memcpy(ret_encoded, encoded, sizeof(encoded));
	err = ERR_OK;
out:
	explicit_bzero(hash, sizeof(hash));
	return err;
}

/* Reads "<name>=<decimal>" at *p, then the separator sep; moves *p past
 * both. Digits only (no sign, no space), at most 10 of them. */
static bool read_param(const char **p, char name, char sep, uint32_t *ret)
{
	const char *s = *p;
	unsigned long long v = 0;
	int digits = 0;

	if (s[0] != name || s[1] != '=')
		return false;
	for (s += 2; *s >= '0' && *s <= '9' && digits < 11; s++, digits++)
		v = v * 10 + (unsigned long long)(*s - '0');
	if (digits == 0 || digits > 10 || v > UINT32_MAX || *s != sep)
		return false;
	*ret = (uint32_t)v;
	*p = s + 1;
	return true;
}

enum err password_verify(const char *encoded, const char *password)
{
	static const char prefix[] = "$argon2id$v=19$";
	unsigned char salt[B64_MAX_BYTES], expected[B64_MAX_BYTES], out[B64_MAX_BYTES];
	size_t salt_len, hash_len;
	uint32_t m, t, lanes;
	const char *s = encoded, *dollar;
	argon2_context ctx;
	int rc;

	/* $argon2id$v=19$m=M,t=T,p=P$SALT$HASH, as password_hash() writes it */
	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return ERR_INVALID;
	s += sizeof(prefix) - 1;
	if (!read_param(&s, 'm', ',', &m) || !read_param(&s, 't', ',', &t) ||
	    !read_param(&s, 'p', '$', &lanes))
		return ERR_INVALID;
	dollar = strchr(s, '$');
	if (dollar == NULL ||
	    b64_decode(s, (size_t)(dollar - s), salt, sizeof(salt), &salt_len) != 0 ||
	    b64_decode(dollar + 1, strlen(dollar + 1), expected, sizeof(expected), &hash_len) != 0)
		return ERR_INVALID;
	context_init(&ctx, password, salt, salt_len, out, hash_len, m, t, lanes);
	rc = argon2_verify_ctx(&ctx, (const char *)expected, Argon2_id);
	explicit_bzero(out, sizeof(out));
	if (rc == ARGON2_OK)
		return ERR_OK;
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ERR_NOMEM : ERR_INVALID;
}
