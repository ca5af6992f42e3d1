/*
 * test_password.c - unit tests for services/base/password.c: each policy rule
 * at its boundary (lengths in characters, not bytes), the email and name
 * rules, and argon2id hashing and verification with the minimum cost the
 * configuration allows (m=19456 KiB, t=2).
 */
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "harness.h"
#include "password.h"

#define MEMORY_KIB 19456
#define ITERATIONS 2

/* password_check's errors, a new array. */
static json_t *check(const char *password, const char *email, const char *const *names)
{
	json_t *errors = json_array();

	password_check(password, email, names, errors);
	return errors;
}

/* Do the errors hold exactly the given codes (NULL-terminated list), each
 * with field "password" and a message? Frees errors. */
static int codes(json_t *errors, const char *const *want)
{
	size_t n = 0, i;
	json_t *e;
	int ok = 1;

	while (want[n] != NULL)
		n++;
	if (json_array_size(errors) != n)
		ok = 0;
	json_array_foreach (errors, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		size_t k;

		if (code == NULL || !json_is_string(json_object_get(e, "message")) ||
		    strcmp(json_string_value(json_object_get(e, "field")), "password") != 0) {
			ok = 0;
			continue;
		}
		for (k = 0; k < n && strcmp(want[k], code) != 0; k++)
			;
		if (k == n)
			ok = 0;
	}
	if (!ok) {
		char *s = json_dumps(errors, JSON_COMPACT);

		fprintf(stderr, "  unexpected errors %s\n", s ? s : "?");
		free(s);
	}
	json_decref(errors);
	return ok;
}

#define NONE(errors)       codes((errors), (const char *const[]){NULL})
#define ONLY(errors, code) codes((errors), (const char *const[]){(code), NULL})

/* Does errors hold code (possibly among others)? Frees errors. */
static int has(json_t *errors, const char *code)
{
	size_t i;
	json_t *e;
	int found = 0;

	json_array_foreach (errors, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
			found = 1;
	}
	json_decref(errors);
	return found;
}

/* A random-looking ASCII string of n characters, unlikely to be guessed. */
static char *strong(char *buf, size_t n)
{
	static const char pool[] = "q7Xv!m2Lp#Rz9$Kw4&Tb8*Hn3Jd6Fg5Ys";
	size_t k = sizeof(pool) - 1;

	for (size_t i = 0; i < n; i++)
		buf[i] = pool[(i * 7 + i / k) % k];
	buf[n] = '\0';
	return buf;
}

TEST(accepts_good_passphrase)
{
	CHECK(NONE(check("a long passphrase 2024", NULL, NULL)));
	CHECK(NONE(check("correct horse battery staple", NULL, NULL)));
}

TEST(length_bounds)
{
	char buf[PASSWORD_MAX_CHARS + 2];

	CHECK(ONLY(check(strong(buf, 14), NULL, NULL), "too_short"));
	CHECK(ONLY(check("", NULL, NULL), "too_short"));
	CHECK(NONE(check(strong(buf, 15), NULL, NULL)));
	CHECK(NONE(check(strong(buf, 128), NULL, NULL)));
	CHECK(ONLY(check(strong(buf, 129), NULL, NULL), "too_long"));
}

TEST(length_in_characters)
{
	/* 31 characters, 34 bytes */
	CHECK(NONE(check("\xc3\xa7"
			 "a va tr\xc3\xa8s bien, merci beaucoup",
			 NULL, NULL)));
	/* 14 characters but 28 bytes: still too short */
	CHECK(ONLY(check("\xc3\xa9\xc3\xa0\xc3\xa8\xc3\xb9\xc3\xa2\xc3\xaa\xc3\xae"
			 "\xc3\xb4\xc3\xbb\xc3\xa7\xc3\xab\xc3\xaf\xc3\xbc\xc3\xbf",
			 NULL, NULL),
		   "too_short"));
	/* 15 three-byte characters (45 bytes) reach the minimum */
	CHECK(!has(check("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe7\x8c\xab"
			 "\xe3\x81\xa8\xe7\x8a\xac\xe3\x81\x8c\xe9\x9b\xa8\xe3\x81\xae"
			 "\xe6\x97\xa5\xe3\x81\xab\xe8\xb5\xb0\xe3\x82\x8b\xe3\x80\x82",
			 NULL, NULL),
		   "too_short"));
}

TEST(long_multibyte_counts_characters)
{
	/* 128 two-byte characters (256 bytes) is not too long; 129 is */
	char buf[2 * 129 + 1];
	static const char *const chars[] = {"\xc3\xa9", "\xc3\xa7", "\xc3\xb8", "\xc3\xbe",
					    "\xc3\x9f", "\xc3\xb1", "\xc3\xa5", "\xc3\xa6"};

	for (int i = 0; i < 129; i++)
		memcpy(buf + 2 * i, chars[(i * 5 + i / 8) % 8], 2);
	buf[2 * 128] = '\0';
	CHECK(!has(check(buf, NULL, NULL), "too_long"));
	memcpy(buf + 2 * 128, chars[0], 2);
	buf[2 * 129] = '\0';
	CHECK(ONLY(check(buf, NULL, NULL), "too_long"));
}

TEST(too_common)
{
	CHECK(ONLY(check("passwordpassword", NULL, NULL), "too_common"));
	CHECK(ONLY(check("aaaaaaaaaaaaaaaaaaaa", NULL, NULL), "too_common"));
	CHECK(ONLY(check("123456789012345", NULL, NULL), "too_common"));
}

TEST(contains_email)
{
	CHECK(has(check("my zanzibar.q horse staple battery", "zanzibar.q@example.org", NULL),
		  "contains_email"));
	/* case-insensitive both ways */
	CHECK(has(check("my ZANZIBAR.Q horse staple battery", "zanzibar.q@example.org", NULL),
		  "contains_email"));
	CHECK(has(check("my zanzibar.q horse staple battery", "Zanzibar.Q@Example.org", NULL),
		  "contains_email"));
	/* only the local part counts */
	CHECK(NONE(check("my example.org horse staple battery", "zanzibar.q@example.org", NULL)));
	/* a local part under 3 characters never matches */
	CHECK(NONE(check("a long passphrase 2024", "as@example.org", NULL)));
}

TEST(contains_name)
{
	static const char *const names[] = {"Ana", "Ngozi", NULL};
	static const char *const ng[] = {"Ana", "Ng", NULL};
	static const char *const with_null[] = {NULL};

	CHECK(has(check("ngozi likes long walks on beaches", NULL, names), "contains_name"));
	CHECK(has(check("NGOZI likes long walks on beaches", NULL, names), "contains_name"));
	/* a two-character family name does not forbid "ng" */
	CHECK(NONE(check("a long passphrase 2024", NULL, ng)));
	CHECK(NONE(check("a long passphrase 2024", NULL, with_null)));
	CHECK(NONE(check("a long passphrase 2024", "ana.ng@example.org", ng)));
}

TEST(errors_combine)
{
	static const char *const names[] = {"Zanzibar", NULL};

	CHECK(codes(check("zanzibar zanzibar", "zanzibar@example.org", names),
		    (const char *const[]){"contains_email", "contains_name", "too_common", NULL}));
}

/* Names count from 3 characters, not bytes: "Lú" is 3 bytes, 2 characters. */
TEST(short_multibyte_name_ignored)
{
	static const char *const names[] = {"L\xc3\xba", NULL};

	CHECK(!has(check("voil\xc3\xa0 une phrase pour l\xc3\xba et moi", NULL, names),
		   "contains_name"));
}

/* Case-insensitive beyond ASCII: the name "Émilie" matches "émilie". */
TEST(non_ascii_name_case_insensitive)
{
	static const char *const names[] = {"\xc3\x89milie", NULL};

	CHECK(has(check("\xc3\xa9milie aime les longues promenades", NULL, names),
		  "contains_name"));
}

TEST(hash_format)
{
	char encoded[PASSWORD_ENCODED_MAX];
	const char prefix[] = "$argon2id$v=19$m=19456,t=2,p=1$";

	CHECK(password_hash("a long passphrase 2024", MEMORY_KIB, ITERATIONS, encoded) == ERR_OK);
	CHECK(strncmp(encoded, prefix, sizeof(prefix) - 1) == 0);
	CHECK(strlen(encoded) < PASSWORD_ENCODED_MAX);
	/* salt and hash follow as two base64 parts */
	CHECK(strchr(encoded + sizeof(prefix) - 1, '$') != NULL);
}

TEST(hash_salted_and_verifies)
{
	char a[PASSWORD_ENCODED_MAX], b[PASSWORD_ENCODED_MAX];

	CHECK(password_hash("a long passphrase 2024", MEMORY_KIB, ITERATIONS, a) == ERR_OK);
	CHECK(password_hash("a long passphrase 2024", MEMORY_KIB, ITERATIONS, b) == ERR_OK);
	CHECK(strcmp(a, b) != 0);
	CHECK(password_verify(a, "a long passphrase 2024") == ERR_OK);
	CHECK(password_verify(b, "a long passphrase 2024") == ERR_OK);
	CHECK(password_verify(a, "a long passphrase 2025") == ERR_INVALID);
	CHECK(password_verify(a, "") == ERR_INVALID);
	CHECK(password_verify("not a hash", "a long passphrase 2024") == ERR_INVALID);
	CHECK(password_verify("", "a long passphrase 2024") == ERR_INVALID);
	CHECK(password_verify("$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB",
			      "a long passphrase 2024") == ERR_INVALID);
}

TEST(verify_other_params)
{
	char encoded[PASSWORD_ENCODED_MAX];

	/* the parameters come from the encoded string, not from the caller */
	CHECK(password_hash("another long passphrase", MEMORY_KIB + 1024, ITERATIONS + 1,
			    encoded) == ERR_OK);
	CHECK(strncmp(encoded, "$argon2id$v=19$m=20480,t=3,p=1$", 31) == 0);
	CHECK(password_verify(encoded, "another long passphrase") == ERR_OK);
}

/* password.c writes and reads the PHC string itself: libargon2 must
 * agree both ways, and memory kept by a hashing thread changes nothing. */
TEST(libargon2_agrees)
{
	char ours[PASSWORD_ENCODED_MAX], theirs[PASSWORD_ENCODED_MAX];
	const unsigned char salt[16] = "0123456789abcdef";
	const char pw[] = "a long passphrase 2024";

	CHECK(password_hash(pw, MEMORY_KIB, ITERATIONS, ours) == ERR_OK);
	CHECK(argon2id_verify(ours, pw, strlen(pw)) == ARGON2_OK);
	CHECK(argon2id_verify(ours, "not it", 6) == ARGON2_VERIFY_MISMATCH);
	CHECK(argon2id_hash_encoded(ITERATIONS, MEMORY_KIB, 1, pw, strlen(pw), salt, sizeof(salt),
				    32, theirs, sizeof(theirs)) == ARGON2_OK);
	CHECK(password_verify(theirs, pw) == ERR_OK);
	CHECK(password_verify(theirs, "not it") == ERR_INVALID);
	password_memory_keep(true);
	CHECK(password_verify(theirs, pw) == ERR_OK);
	CHECK(password_verify(ours, pw) == ERR_OK); /* the kept memory, reused */
	CHECK(password_verify(ours, "not it") == ERR_INVALID);
	password_memory_keep(false);
	/* malformed numbers are refused before any hashing */
	CHECK(password_verify("$argon2id$v=19$m=+19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAA", pw) ==
	      ERR_INVALID);
	CHECK(password_verify("$argon2id$v=19$m=19456,t=2,p=1,x=1$MDEy$AAAA", pw) == ERR_INVALID);
	CHECK(password_verify("$argon2id$v=19$m=99999999999,t=2,p=1$MDEy$AAAA", pw) == ERR_INVALID);
}

int main(void)
{
	RUN(accepts_good_passphrase);
	RUN(length_bounds);
	RUN(length_in_characters);
	RUN(long_multibyte_counts_characters);
	RUN(too_common);
	RUN(contains_email);
	RUN(contains_name);
	RUN(errors_combine);
	RUN(short_multibyte_name_ignored);
	RUN(non_ascii_name_case_insensitive);
	RUN(hash_format);
	RUN(hash_salted_and_verifies);
	RUN(verify_other_params);
	RUN(libargon2_agrees);
	return harness_done();
}
