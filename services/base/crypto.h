/*
 * crypto.h - the few primitives hcpd needs, on OpenSSL: random bytes,
 * AES-256-GCM sealing, SHA-256 and HMAC-SHA-256, and the master key file.
 *
 * Sealed format: 12-byte random nonce | ciphertext | 16-byte tag. The aad
 * binds a ciphertext to its owner (an account id), so a value copied to
 * another row fails to open. Nothing here logs; keys never leave memory
 * except wrapped, and callers wipe them with explicit_bzero().
 */
#ifndef HCPD_CRYPTO_H
#define HCPD_CRYPTO_H

#include <stddef.h>

#include "err.h"

#define CRYPTO_KEY_LEN       32
#define CRYPTO_NONCE_LEN     12
#define CRYPTO_TAG_LEN       16
#define CRYPTO_SEAL_OVERHEAD (CRYPTO_NONCE_LEN + CRYPTO_TAG_LEN)

/* Fills buf with len bytes from the CSPRNG. ERR_CRYPTO if it fails. */
enum err crypto_random(void *buf, size_t len);

/* Reads a master key file: exactly 64 hex characters, optionally followed
 * by one newline. ERR_IO when unreadable, ERR_INVALID when malformed; the
 * message for a human goes to *ret_why (static string), never the key. */
enum err crypto_master_key_load(const char *path, unsigned char ret_key[CRYPTO_KEY_LEN],
				const char **ret_why);

/* Derives a purpose-specific subkey: HMAC-SHA-256(master, label). */
void crypto_derive(const unsigned char master[CRYPTO_KEY_LEN], const char *label,
		   unsigned char ret_key[CRYPTO_KEY_LEN]);

/* AES-256-GCM encrypts pt. On success *ret_out is a malloc'd buffer of
 * pt_len + CRYPTO_SEAL_OVERHEAD bytes the caller frees. */
enum err crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		     const void *pt, size_t pt_len, unsigned char **ret_out, size_t *ret_len);

/* Reverses crypto_seal. ERR_CRYPTO when the tag, key or aad do not match,
 * ERR_INVALID when in is shorter than the overhead. *ret_out is malloc'd
 * with one extra NUL byte after *ret_len bytes (handy for text). */
enum err crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		     const unsigned char *in, size_t in_len, unsigned char **ret_out,
		     size_t *ret_len);

void crypto_sha256(const void *msg, size_t len, unsigned char ret_digest[32]);
void crypto_hmac_sha256(const unsigned char key[CRYPTO_KEY_LEN], const void *msg, size_t len,
			unsigned char ret_mac[32]);

/* HMAC-SHA-256 under a key of key_len (at least 1) bytes: for keys hcpd
 * does not make itself (a webhook endpoint's secret). */
void crypto_hmac_sha256_keyed(const unsigned char *key, size_t key_len, const void *msg, size_t len,
			      unsigned char ret_mac[32]);

/* A fresh 256-bit secret token as 43 base64url characters (token holds
 * 64 bytes), and its SHA-256 - the only form in which it is stored. */
enum err crypto_token(char token[64], unsigned char ret_hash[32]);

/* A random (version 4) UUID as 36 lower-case characters and a NUL. */
enum err crypto_uuid_v4(char ret_uuid[37]);

/* Unpadded base64url of len bytes into out, which holds
 * 4 * ((len + 2) / 3) + 1 bytes. Returns the string's length. */
size_t crypto_base64url(const unsigned char *in, size_t len, char *out);

/* Padded standard base64 (RFC 4648 section 4) of len bytes into out,
 * which holds 4 * ((len + 2) / 3) + 1 bytes. Returns the string's length. */
size_t crypto_base64(const unsigned char *in, size_t len, char *out);

/* The reverse of crypto_base64(): len characters of padded standard base64
 * (nothing else: no spaces, no line breaks) into out (3 * len / 4 bytes),
 * *ret_len the bytes decoded. ERR_INVALID for anything else. */
enum err crypto_unbase64(const char *in, size_t len, unsigned char *out, size_t *ret_len);

/* Lower-case hex of len bytes into out, which holds 2 * len + 1 bytes. */
void crypto_hex(const unsigned char *in, size_t len, char *out);

/* The value (0-15) of the hex digit c, either case; -1 for any other
 * character. */
int crypto_hex_value(char c);

/* The reverse of crypto_hex, the one hex decoder: len hex digits (either
 * case) of hex into len / 2 bytes of out. ERR_INVALID, with out untouched,
 * when len is odd or any of the len characters is not a hex digit (a NUL
 * included: hex need not be NUL-terminated, len bytes are read). */
enum err crypto_unhex(const char *hex, size_t len, unsigned char *out);

#endif
