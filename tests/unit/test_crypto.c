/*
 * test_crypto.c - unit tests for services/base/crypto.c: known-answer vectors
 * for SHA-256, HMAC-SHA-256 and AES-256-GCM, sealing round trips and every
 * way opening must fail, and the master key file parser. Temporary key
 * files are made with mkstemp() under /tmp and removed by each test.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "harness.h"

static const unsigned char key_a[CRYPTO_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

#define KEY_A_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const char aad_a[] = "account:42";
static const char aad_b[] = "account:43";
static const char msg[] = "4155550100";

/* Writes len bytes of data to a new file under /tmp; its path goes to
 * path (at least 32 bytes). Returns 0, or -1 if the file cannot be made. */
static int write_temp(char *path, const void *data, size_t len)
{
	int fd;
	ssize_t n;

	strcpy(path, "/tmp/hcpd-key-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	if (n < 0 || (size_t)n != len) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* Loads a key file holding data; the error code, and *ret_why. */
static enum err load_from(const char *data, unsigned char key[CRYPTO_KEY_LEN], const char **ret_why)
{
	char path[32];
	enum err err;

	if (write_temp(path, data, strlen(data)) != 0)
		return ERR_INTERNAL;
	err = crypto_master_key_load(path, key, ret_why);
	unlink(path);
	return err;
}

TEST(hex)
{
	const unsigned char in[] = {0x00, 0x7f, 0x80, 0xab, 0xff};
	char out[2 * sizeof(in) + 1];

	memset(out, 'x', sizeof(out));
	crypto_hex(in, sizeof(in), out);
	CHECK_STREQ(out, "007f80abff");
	crypto_hex(in, 0, out);
	CHECK_STREQ(out, "");
}

TEST(unhex)
{
	static const char nul_inside[6] = {'0', '0', '\0', '0', '1', '1'};
	unsigned char out[8], before[8];

	CHECK(crypto_hex_value('0') == 0 && crypto_hex_value('9') == 9);
	CHECK(crypto_hex_value('a') == 10 && crypto_hex_value('F') == 15);
	CHECK(crypto_hex_value('g') == -1 && crypto_hex_value('\0') == -1 &&
	      crypto_hex_value(' ') == -1 && crypto_hex_value('/') == -1 &&
	      crypto_hex_value(':') == -1 && crypto_hex_value('@') == -1 &&
	      crypto_hex_value('G') == -1 && crypto_hex_value('`') == -1 &&
	      crypto_hex_value((char)0xC3) == -1);
	/* crypto_hex's output back, and upper case too */
	CHECK(crypto_unhex("007f80abff", 10, out) == ERR_OK);
	CHECK(memcmp(out, "\x00\x7f\x80\xab\xff", 5) == 0);
	CHECK(crypto_unhex("00 7F80ABFF", 0, out) == ERR_OK); /* nothing read */
	CHECK(crypto_unhex("7F80ABFFzz", 8, out) == ERR_OK);  /* only len bytes read */
	CHECK(memcmp(out, "\x7f\x80\xab\xff", 4) == 0);
	/* refused, out untouched: odd length, a non-digit anywhere, a NUL */
	memset(out, 0x5a, sizeof(out));
	memcpy(before, out, sizeof(out));
	CHECK(crypto_unhex("abc", 3, out) == ERR_INVALID);
	CHECK(crypto_unhex("0g", 2, out) == ERR_INVALID);
	CHECK(crypto_unhex("00112g", 6, out) == ERR_INVALID);
	CHECK(crypto_unhex("0x10", 4, out) == ERR_INVALID);
	CHECK(crypto_unhex(nul_inside, sizeof(nul_inside), out) == ERR_INVALID);
	CHECK(crypto_unhex("-1", 2, out) == ERR_INVALID);
	CHECK(memcmp(out, before, sizeof(out)) == 0);
}

/* RFC 4648 section 10's test vectors, both ways; anything but padded
 * standard base64 is refused. */
TEST(base64)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const bad[] = {"Zg",   "Zg=",  "Z===",     "Zm9v\n", "Zm-v",
					  "Zm_v", "=Zm9", "Zg==Zg==", "Zm9 "};
	unsigned char out[16];
	char text[16];
	size_t len;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		CHECK(crypto_base64((const unsigned char *)plain[i], strlen(plain[i]), text) ==
		      strlen(coded[i]));
		CHECK_STREQ(text, coded[i]);
		if (i == 0)
			continue;
		CHECK(crypto_unbase64(coded[i], strlen(coded[i]), out, &len) == ERR_OK);
		CHECK(len == strlen(plain[i]) && memcmp(out, plain[i], len) == 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(crypto_unbase64(bad[i], strlen(bad[i]), out, &len) == ERR_INVALID);
	CHECK(crypto_unbase64("", 0, out, &len) == ERR_INVALID);
}

TEST(sha256_known)
{
	unsigned char d[32];
	char hex[65];

	crypto_sha256("abc", 3, d);
	crypto_hex(d, sizeof(d), hex);
	CHECK_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256("", 0, d);
	crypto_hex(d, sizeof(d), hex);
	CHECK_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(hmac_sha256_known)
{
	/* RFC 4231 test case 2 uses the 4-byte key "Jefe". HMAC pads keys
	 * shorter than the block with zeros, so "Jefe" and 28 zero bytes is
	 * the same key and must give the RFC's MAC. */
	unsigned char jefe[CRYPTO_KEY_LEN] = {'J', 'e', 'f', 'e'};
	static const char data[] = "what do ya want for nothing?";
	unsigned char mac[32];
	char hex[65];

	crypto_hmac_sha256(jefe, data, sizeof(data) - 1, mac);
	crypto_hex(mac, sizeof(mac), hex);
	CHECK_STREQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* A full 32-byte key, computed with
	 *   printf 'what do ya want for nothing?' |
	 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f */
	crypto_hmac_sha256(key_a, data, sizeof(data) - 1, mac);
	crypto_hex(mac, sizeof(mac), hex);
	CHECK_STREQ(hex, "099805f4ac310786968565c098db515cc50862b420ae31e20238312344bed36a");
}

TEST(derive)
{
	unsigned char k1[CRYPTO_KEY_LEN], k2[CRYPTO_KEY_LEN], k3[CRYPTO_KEY_LEN];
	unsigned char other[CRYPTO_KEY_LEN];
	char hex[65];

	crypto_derive(key_a, "hcpd", k1);
	crypto_derive(key_a, "hcpd", k2);
	CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
	/* Exactly HMAC-SHA-256(master, label): printf hcpd | openssl dgst
	 * -sha256 -mac HMAC -macopt hexkey:000102...1f */
	crypto_hex(k1, sizeof(k1), hex);
	CHECK_STREQ(hex, "cfd430303dbc35a44dc209ecd817a898fb9220462b0fa4dcd522da27de89728b");
	crypto_derive(key_a, "hcpd2", k3);
	CHECK(memcmp(k1, k3, sizeof(k1)) != 0);
	crypto_derive(key_a, "", k3);
	CHECK(memcmp(k1, k3, sizeof(k1)) != 0);
	memcpy(other, key_a, sizeof(other));
	other[31] ^= 1;
	crypto_derive(other, "hcpd", k3);
	CHECK(memcmp(k1, k3, sizeof(k1)) != 0);
}

TEST(random_bytes)
{
	unsigned char a[32], b[32], zero[32] = {0};

	CHECK(crypto_random(a, sizeof(a)) == ERR_OK);
	CHECK(crypto_random(b, sizeof(b)) == ERR_OK);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	CHECK(crypto_random(a, 0) == ERR_OK);
}

TEST(gcm_known_answer)
{
	/* McGrew & Viega's GCM test case 14: zero key, zero nonce, 16 zero
	 * bytes of plaintext, no aad. Checks the nonce | ct | tag layout. */
	static const unsigned char ct[16] = {0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
					     0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18};
	static const unsigned char tag[16] = {0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
					      0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19};
	unsigned char in[CRYPTO_NONCE_LEN + sizeof(ct) + sizeof(tag)] = {0};
	unsigned char zero_key[CRYPTO_KEY_LEN] = {0}, zero[16] = {0};
	unsigned char *out = NULL;
	size_t len = 0;

	memcpy(in + CRYPTO_NONCE_LEN, ct, sizeof(ct));
	memcpy(in + CRYPTO_NONCE_LEN + sizeof(ct), tag, sizeof(tag));
	CHECK(crypto_open(zero_key, NULL, 0, in, sizeof(in), &out, &len) == ERR_OK);
	CHECK(len == 16);
	CHECK(out != NULL && memcmp(out, zero, 16) == 0);
	free(out);
}

TEST(seal_open_round_trip)
{
	unsigned char *sealed = NULL, *opened = NULL;
	size_t sealed_len = 0, opened_len = 0;

	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), msg, strlen(msg), &sealed, &sealed_len) ==
	      ERR_OK);
	CHECK(sealed_len == strlen(msg) + CRYPTO_SEAL_OVERHEAD);
	CHECK(sealed != NULL &&
	      memmem(sealed, sealed_len, msg, strlen(msg)) == NULL); /* not in clear */
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_OK);
	CHECK(opened_len == strlen(msg));
	/* NUL after the plaintext, so it reads as a C string. */
	CHECK(opened != NULL && opened[opened_len] == '\0');
	CHECK_STREQ((const char *)opened, msg);
	free(sealed);
	free(opened);
}

TEST(seal_open_no_aad_binary)
{
	unsigned char pt[300];
	unsigned char *sealed = NULL, *opened = NULL;
	size_t i, sealed_len = 0, opened_len = 0;

	for (i = 0; i < sizeof(pt); i++)
		pt[i] = (unsigned char)i; /* includes NUL bytes */
	CHECK(crypto_seal(key_a, NULL, 0, pt, sizeof(pt), &sealed, &sealed_len) == ERR_OK);
	CHECK(crypto_open(key_a, NULL, 0, sealed, sealed_len, &opened, &opened_len) == ERR_OK);
	CHECK(opened_len == sizeof(pt));
	CHECK(opened != NULL && memcmp(opened, pt, sizeof(pt)) == 0 && opened[sizeof(pt)] == 0);
	free(opened);
	opened = NULL;
	/* Sealed without aad, opened with some: the aad is authenticated. */
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	CHECK(opened == NULL);
	free(sealed);
}

TEST(seal_open_empty)
{
	unsigned char *sealed = NULL, *opened = NULL;
	size_t sealed_len = 0, opened_len = 99;

	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), "", 0, &sealed, &sealed_len) == ERR_OK);
	CHECK(sealed_len == CRYPTO_SEAL_OVERHEAD);
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_OK);
	CHECK(opened_len == 0);
	CHECK(opened != NULL && opened[0] == '\0');
	free(opened);
	opened = NULL;
	/* Even with nothing to hide, the tag still binds key and aad. */
	CHECK(crypto_open(key_a, aad_b, strlen(aad_b), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	free(sealed);
	sealed = NULL;
	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), NULL, 0, &sealed, &sealed_len) == ERR_OK);
	CHECK(sealed_len == CRYPTO_SEAL_OVERHEAD);
	free(sealed);
}

TEST(seal_nonce_is_random)
{
	unsigned char *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;

	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), msg, strlen(msg), &s1, &l1) == ERR_OK);
	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), msg, strlen(msg), &s2, &l2) == ERR_OK);
	CHECK(l1 == l2);
	CHECK(s1 != NULL && s2 != NULL);
	if (s1 != NULL && s2 != NULL) {
		CHECK(memcmp(s1, s2, l1) != 0);
		CHECK(memcmp(s1, s2, CRYPTO_NONCE_LEN) != 0);
		CHECK(memcmp(s1 + CRYPTO_NONCE_LEN, s2 + CRYPTO_NONCE_LEN, l1 - CRYPTO_NONCE_LEN) !=
		      0);
	}
	free(s1);
	free(s2);
}

TEST(open_wrong_key_or_aad)
{
	unsigned char *sealed = NULL, *opened = NULL;
	unsigned char other[CRYPTO_KEY_LEN];
	size_t sealed_len = 0, opened_len = 1234;

	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), msg, strlen(msg), &sealed, &sealed_len) ==
	      ERR_OK);
	memcpy(other, key_a, sizeof(other));
	other[0] ^= 0x80;
	CHECK(crypto_open(other, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	CHECK(crypto_open(key_a, aad_b, strlen(aad_b), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a) - 1, sealed, sealed_len, &opened,
			  &opened_len) == ERR_CRYPTO);
	CHECK(crypto_open(key_a, NULL, 0, sealed, sealed_len, &opened, &opened_len) == ERR_CRYPTO);
	/* Out-parameters are untouched on failure. */
	CHECK(opened == NULL);
	CHECK(opened_len == 1234);
	free(sealed);
}

TEST(open_flipped_bits)
{
	unsigned char *sealed = NULL, *opened = NULL;
	size_t i, sealed_len = 0, opened_len = 0;
	int failures = 0;

	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), msg, strlen(msg), &sealed, &sealed_len) ==
	      ERR_OK);
	if (sealed == NULL)
		return;
	/* Every bit of nonce, ciphertext and tag in turn. */
	for (i = 0; i < sealed_len * 8; i++) {
		sealed[i / 8] ^= (unsigned char)(1u << (i % 8));
		if (crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened,
				&opened_len) != ERR_CRYPTO)
			failures++;
		sealed[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	CHECK(failures == 0);
	CHECK(opened == NULL);
	/* One bit each in nonce, ciphertext and tag, named for the log. */
	sealed[0] ^= 1;
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	sealed[0] ^= 1;
	sealed[CRYPTO_NONCE_LEN] ^= 1;
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	sealed[CRYPTO_NONCE_LEN] ^= 1;
	sealed[sealed_len - 1] ^= 0x80;
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_CRYPTO);
	sealed[sealed_len - 1] ^= 0x80;
	/* Restored: opens again. */
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, sealed_len, &opened, &opened_len) ==
	      ERR_OK);
	free(opened);
	free(sealed);
}

TEST(open_truncated)
{
	unsigned char *sealed = NULL, *opened = NULL;
	size_t n, sealed_len = 0, opened_len = 0;

	CHECK(crypto_seal(key_a, aad_a, strlen(aad_a), msg, strlen(msg), &sealed, &sealed_len) ==
	      ERR_OK);
	if (sealed == NULL)
		return;
	/* Shorter than nonce + tag: malformed, not merely unauthentic. */
	for (n = 0; n < CRYPTO_SEAL_OVERHEAD; n++)
		CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, n, &opened, &opened_len) ==
		      ERR_INVALID);
	/* Long enough but cut: the tag is then wrong. */
	for (n = CRYPTO_SEAL_OVERHEAD; n < sealed_len; n++)
		CHECK(crypto_open(key_a, aad_a, strlen(aad_a), sealed, n, &opened, &opened_len) ==
		      ERR_CRYPTO);
	CHECK(crypto_open(key_a, aad_a, strlen(aad_a), NULL, 0, &opened, &opened_len) ==
	      ERR_INVALID);
	CHECK(opened == NULL);
	free(sealed);
}

TEST(master_key_good)
{
	unsigned char key[CRYPTO_KEY_LEN];
	const char *why = NULL;

	memset(key, 0xee, sizeof(key));
	CHECK(load_from(KEY_A_HEX, key, &why) == ERR_OK);
	CHECK(memcmp(key, key_a, sizeof(key)) == 0);
	CHECK(why == NULL);
	memset(key, 0xee, sizeof(key));
	CHECK(load_from(KEY_A_HEX "\n", key, &why) == ERR_OK);
	CHECK(memcmp(key, key_a, sizeof(key)) == 0);
	/* Upper case too. */
	memset(key, 0xee, sizeof(key));
	CHECK(load_from("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n", key,
			&why) == ERR_OK);
	CHECK(memcmp(key, key_a, sizeof(key)) == 0);
	memset(key, 0, sizeof(key));
	CHECK(load_from("FFffFFffFFffFFffFFffFFffFFffFFffFFffFFffFFffFFffFFffFFffFFffFFff", key,
			&why) == ERR_OK);
	CHECK(key[0] == 0xff && key[31] == 0xff);
}

/* A malformed file: ERR_INVALID, the key untouched, and a reason that
 * does not echo the file's contents. */
static int rejects(const char *data)
{
	unsigned char key[CRYPTO_KEY_LEN];
	unsigned char before[CRYPTO_KEY_LEN];
	const char *why = NULL;
	enum err err;

	memset(key, 0x5a, sizeof(key));
	memcpy(before, key, sizeof(key));
	err = load_from(data, key, &why);
	return err == ERR_INVALID && memcmp(key, before, sizeof(key)) == 0 && why != NULL &&
	       why[0] != '\0' && strstr(why, "0001") == NULL && strstr(why, "aaaa") == NULL;
}

TEST(master_key_malformed)
{
	char buf[200];

	CHECK(rejects(""));
	CHECK(rejects("\n"));
	/* 63 and 65 hex characters, with and without a newline. */
	CHECK(rejects("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1"));
	CHECK(rejects("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n"));
	CHECK(rejects(KEY_A_HEX "0"));
	CHECK(rejects(KEY_A_HEX "0\n"));
	/* Non-hex characters. */
	CHECK(rejects("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
	CHECK(rejects("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g"));
	CHECK(rejects("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
	CHECK(rejects(" 00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
	/* Trailing garbage after the key. */
	CHECK(rejects(KEY_A_HEX "\n\n"));
	CHECK(rejects(KEY_A_HEX "\r\n"));
	CHECK(rejects(KEY_A_HEX " "));
	CHECK(rejects(KEY_A_HEX "\nextra"));
	CHECK(rejects(KEY_A_HEX KEY_A_HEX));
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	CHECK(rejects(buf));
}

TEST(master_key_nul_inside)
{
	static const char data[] = "0001020304050607\0"
				   "8090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	unsigned char key[CRYPTO_KEY_LEN] = {0};
	const char *why = NULL;
	char path[32];

	CHECK(sizeof(data) - 1 == 64);
	if (write_temp(path, data, sizeof(data) - 1) != 0) {
		CHECK(!"cannot write a temporary file");
		return;
	}
	CHECK(crypto_master_key_load(path, key, &why) == ERR_INVALID);
	unlink(path);
}

TEST(master_key_unreadable)
{
	unsigned char key[CRYPTO_KEY_LEN], before[CRYPTO_KEY_LEN];
	const char *why = NULL;
	char path[32];

	memset(key, 0x5a, sizeof(key));
	memcpy(before, key, sizeof(key));
	/* A name that was just made and removed does not exist. */
	if (write_temp(path, "x", 1) != 0) {
		CHECK(!"cannot write a temporary file");
		return;
	}
	unlink(path);
	CHECK(crypto_master_key_load(path, key, &why) == ERR_IO);
	CHECK(why != NULL);
	CHECK(memcmp(key, before, sizeof(key)) == 0);
	why = NULL;
	CHECK(crypto_master_key_load("/tmp", key, &why) == ERR_IO); /* a directory */
	CHECK(why != NULL);
	CHECK(memcmp(key, before, sizeof(key)) == 0);
}

int main(void)
{
	RUN(hex);
	RUN(unhex);
	RUN(base64);
	RUN(sha256_known);
	RUN(hmac_sha256_known);
	RUN(derive);
	RUN(random_bytes);
	RUN(gcm_known_answer);
	RUN(seal_open_round_trip);
	RUN(seal_open_no_aad_binary);
	RUN(seal_open_empty);
	RUN(seal_nonce_is_random);
	RUN(open_wrong_key_or_aad);
	RUN(open_flipped_bits);
	RUN(open_truncated);
	RUN(master_key_good);
	RUN(master_key_malformed);
	RUN(master_key_nul_inside);
	RUN(master_key_unreadable);
	return harness_done();
}
