/*
 * crypto.c - random bytes, AES-256-GCM sealing, SHA-256, HMAC-SHA-256 and
 * the master key file, on OpenSSL 3 (see crypto.h).
 *
 * Its only state is the three OpenSSL algorithms it uses, fetched once
 * (an implicit fetch costs more than the operation on the small values
 * hcpd seals); every call builds and frees its own context from them, so
 * the functions are thread-safe. It must never log, print or return key
 * material or plaintext in a message, and it wipes every temporary that
 * held either (explicit_bzero) before returning.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"

#define KEY_HEX_LEN (2 * CRYPTO_KEY_LEN)
/* Enough to tell "64 hex + newline" from anything longer, no more. */
#define KEY_FILE_READ 100

/* OpenSSL's lengths are int: refuse anything that would not fit. */
#define CRYPTO_MAX_LEN ((size_t)INT_MAX - CRYPTO_SEAL_OVERHEAD)

static struct {
	EVP_CIPHER *gcm;
	EVP_MD *sha256;
	EVP_MAC_CTX *hmac; /* HMAC with SHA-256 chosen, no key: each call dups it */
} algs;
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

/* They are built into OpenSSL's default provider: a fetch fails only when
 * it cannot allocate, at the first use, and nothing here can go on
 * without them. */
static void algs_fetch(void)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	algs.gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	algs.hmac = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac); /* the context holds its own reference */
	if (algs.gcm == NULL || algs.sha256 == NULL || algs.hmac == NULL ||
	    EVP_MAC_CTX_set_params(algs.hmac, params) != 1)
		abort();
}

static void algs_ready(void)
{
	if (pthread_once(&algs_once, algs_fetch) != 0)
		abort();
}

enum err crypto_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1) {
			ERR_clear_error();
			return ERR_CRYPTO;
		}
		p += n;
		len -= (size_t)n;
	}
	return ERR_OK;
}

enum err crypto_master_key_load(const char *path, unsigned char ret_key[CRYPTO_KEY_LEN],
				const char **ret_why)
{
	unsigned char buf[KEY_FILE_READ];
	unsigned char key[CRYPTO_KEY_LEN];
	const char *why = NULL;
	size_t got = 0;
	enum err err;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = ERR_IO;
		why = "master key file cannot be opened";
		goto out;
	}
	/* A file may arrive in several reads; stop at EOF or a full buffer. */
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = ERR_IO;
			why = "master key file cannot be read";
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if ((got != KEY_HEX_LEN && !(got == KEY_HEX_LEN + 1 && buf[KEY_HEX_LEN] == '\n')) ||
	    crypto_unhex((const char *)buf, KEY_HEX_LEN, key) != ERR_OK) {
		err = ERR_INVALID;
		why = "master key file must hold 64 hex characters";
		goto out;
	}
	memcpy(ret_key, key, CRYPTO_KEY_LEN);
	err = ERR_OK;
out:
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(key, sizeof(key));
	if (err != ERR_OK && ret_why != NULL)
		*ret_why = why;
	return err;
}

/* HMAC-SHA-256 with a 32-byte key. With a fixed, built-in digest it fails
 * only when OpenSSL cannot allocate; the void API has no way to say so, and
 * a wrong MAC or subkey is worse than stopping, so that aborts. */
static void hmac_sha256_n(const unsigned char *key, size_t key_len, const void *msg, size_t len,
			  unsigned char ret_mac[32])
{
	EVP_MAC_CTX *ctx;
	size_t mac_len = 0;

	algs_ready();
	ctx = EVP_MAC_CTX_dup(algs.hmac);
	if (ctx == NULL || EVP_MAC_init(ctx, key, key_len, NULL) != 1 ||
	    EVP_MAC_update(ctx, msg, len) != 1 || EVP_MAC_final(ctx, ret_mac, &mac_len, 32) != 1 ||
	    mac_len != 32)
		abort();
	EVP_MAC_CTX_free(ctx); /* wipes the keyed state */
}

static void hmac_sha256(const unsigned char key[CRYPTO_KEY_LEN], const void *msg, size_t len,
			unsigned char ret_mac[32])
{
	hmac_sha256_n(key, CRYPTO_KEY_LEN, msg, len, ret_mac);
}

void crypto_derive(const unsigned char master[CRYPTO_KEY_LEN], const char *label,
		   unsigned char ret_key[CRYPTO_KEY_LEN])
{
	assert(label != NULL);
	hmac_sha256(master, label, strlen(label), ret_key);
}

void crypto_hmac_sha256(const unsigned char key[CRYPTO_KEY_LEN], const void *msg, size_t len,
			unsigned char ret_mac[32])
{
	hmac_sha256(key, msg, len, ret_mac);
}

void crypto_hmac_sha256_keyed(const unsigned char *key, size_t key_len, const void *msg, size_t len,
			      unsigned char ret_mac[32])
{
	assert(key_len > 0);
	hmac_sha256_n(key, key_len, msg, len, ret_mac);
}

void crypto_sha256(const void *msg, size_t len, unsigned char ret_digest[32])
{
	unsigned int digest_len = 0;

	/* As for HMAC: only an allocation failure can make this fail. */
	algs_ready();
	if (EVP_Digest(msg, len, ret_digest, &digest_len, algs.sha256, NULL) != 1 ||
	    digest_len != 32)
		abort();
}

/* AES-256-GCM's context for one seal (enc 1) or open (enc 0) under key
 * and nonce, the aad already taken in and n bytes of in run through into
 * out: what sealing and opening share. ERR_NOMEM, or ERR_CRYPTO (the
 * caller clears OpenSSL's error queue). */
static enum err gcm_run(int enc, const unsigned char *key, const unsigned char *nonce,
			const void *aad, size_t aad_len, const unsigned char *in, size_t n,
			unsigned char *out, EVP_CIPHER_CTX **ret_ctx)
{
	EVP_CIPHER_CTX *ctx;
	int done = 0, skip;

	algs_ready();
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return ERR_NOMEM;
	*ret_ctx = ctx;
	if (EVP_CipherInit_ex(ctx, algs.gcm, NULL, key, nonce, enc) != 1)
		return ERR_CRYPTO;
	if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &skip, aad, (int)aad_len) != 1)
		return ERR_CRYPTO;
	if (n > 0 && EVP_CipherUpdate(ctx, out, &done, in, (int)n) != 1)
		return ERR_CRYPTO;
	/* GCM is a stream mode: Update wrote everything */
	return (size_t)done == n ? ERR_OK : ERR_CRYPTO;
}

enum err crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		     const void *pt, size_t pt_len, unsigned char **ret_out, size_t *ret_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *out = NULL, *ct;
	size_t out_len;
	int n;
	enum err err = ERR_CRYPTO;

	if (pt_len > CRYPTO_MAX_LEN || aad_len > CRYPTO_MAX_LEN) {
		err = ERR_TOO_BIG;
		goto out;
	}
	out_len = pt_len + CRYPTO_SEAL_OVERHEAD;
	out = malloc(out_len);
	if (out == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	ct = out + CRYPTO_NONCE_LEN;
	/* A random 96-bit nonce per seal: safe for far more values than one
	 * key will ever seal here (NIST SP 800-38D, 2^32 invocations). */
	err = crypto_random(out, CRYPTO_NONCE_LEN);
	if (err == ERR_OK)
		err = gcm_run(1, key, out, aad, aad_len, pt, pt_len, ct, &ctx);
	if (err != ERR_OK)
		goto out;
	err = ERR_CRYPTO;
	/* Final writes nothing in a stream mode */
	if (EVP_EncryptFinal_ex(ctx, ct + pt_len, &n) != 1 || n != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG_LEN, ct + pt_len) != 1)
		goto out;
	*ret_out = out;
	*ret_len = out_len;
	out = NULL;
	err = ERR_OK;
out:
	if (err != ERR_OK)
		ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	free(out);
	return err;
}

enum err crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		     const unsigned char *in, size_t in_len, unsigned char **ret_out,
		     size_t *ret_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *out = NULL;
	unsigned char tag[CRYPTO_TAG_LEN];
	const unsigned char *ct;
	size_t ct_len = 0;
	int n;
	enum err err = ERR_CRYPTO;

	if (in_len < CRYPTO_SEAL_OVERHEAD) {
		err = ERR_INVALID;
		goto out;
	}
	if (in_len - CRYPTO_SEAL_OVERHEAD > CRYPTO_MAX_LEN || aad_len > CRYPTO_MAX_LEN) {
		err = ERR_TOO_BIG;
		goto out;
	}
	ct = in + CRYPTO_NONCE_LEN;
	ct_len = in_len - CRYPTO_SEAL_OVERHEAD;
	/* Copied: EVP_CTRL_GCM_SET_TAG takes a non-const pointer. */
	memcpy(tag, ct + ct_len, CRYPTO_TAG_LEN);
	out = malloc(ct_len + 1);
	if (out == NULL) {
		err = ERR_NOMEM;
		goto out;
	}
	err = gcm_run(0, key, in, aad, aad_len, ct, ct_len, out, &ctx);
	if (err != ERR_OK)
		goto out;
	err = ERR_CRYPTO;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN, tag) != 1)
		goto out;
	/* The tag is checked here: a wrong key, aad, nonce, ciphertext or tag
	 * all end the same way, and the unauthenticated plaintext is wiped. */
	if (EVP_DecryptFinal_ex(ctx, out + ct_len, &n) != 1 || n != 0)
		goto out;
	out[ct_len] = '\0';
	*ret_out = out;
	*ret_len = ct_len;
	out = NULL;
	err = ERR_OK;
out:
	if (err != ERR_OK)
		ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	if (out != NULL) {
		explicit_bzero(out, ct_len);
		free(out);
	}
	return err;
}

void crypto_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0F];
	}
	out[2 * len] = '\0';
}

int crypto_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum err crypto_unhex(const char *hex, size_t len, unsigned char *out)
{
	/* checked whole first, so that out is untouched on failure */
	if (len % 2 != 0)
		return ERR_INVALID;
	for (size_t i = 0; i < len; i++)
		if (crypto_hex_value(hex[i]) < 0)
			return ERR_INVALID;
	for (size_t i = 0; i < len / 2; i++)
		out[i] = (unsigned char)(crypto_hex_value(hex[2 * i]) << 4 |
					 crypto_hex_value(hex[2 * i + 1]));
	return ERR_OK;
}

size_t crypto_base64url(const unsigned char *in, size_t len, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (unsigned long)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		if (n > 1)
			out[o++] = alphabet[(v >> 6) & 63];
		if (n > 2)
			out[o++] = alphabet[v & 63];
	}
	out[o] = '\0';
	return o;
}

size_t crypto_base64(const unsigned char *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

enum err crypto_unbase64(const char *in, size_t len, unsigned char *out, size_t *ret_len)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > INT_MAX)
		return ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		bool alpha = (in[i] >= 'A' && in[i] <= 'Z') || (in[i] >= 'a' && in[i] <= 'z') ||
			     (in[i] >= '0' && in[i] <= '9') || in[i] == '+' || in[i] == '/';

		if (in[i] == '=' && i >= len - 2 && (i == len - 1 || in[len - 1] == '='))
			pad++;
		else if (!alpha || pad > 0)
			return ERR_INVALID;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad)
		return ERR_INVALID;
	*ret_len = (size_t)n - pad;
	return ERR_OK;
}

enum err crypto_uuid_v4(char ret_uuid[37])
{
	unsigned char b[16];

	if (crypto_random(b, sizeof(b)) != ERR_OK)
		return ERR_CRYPTO;
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 9562 variant */
	snprintf(ret_uuid, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return ERR_OK;
}

enum err crypto_token(char token[64], unsigned char ret_hash[32])
{
	unsigned char raw[32];

	if (crypto_random(raw, sizeof(raw)) != ERR_OK)
		return ERR_CRYPTO;
	crypto_base64url(raw, sizeof(raw), token);
	explicit_bzero(raw, sizeof(raw));
	crypto_sha256(token, strlen(token), ret_hash);
	return ERR_OK;
}
