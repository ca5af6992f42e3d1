/*
 * jwt.c - ES256 access tokens on libjwt 1.10 and OpenSSL 3 (see jwtkeys.h).
 *
 * Owns the keyring: each key's kid, public PEM and JWKS coordinates, the
 * current key parsed once (an EVP_PKEY) with its token header, the JWKS
 * text, and a cache of tokens already verified. Never logs, and never
 * returns key material or a token's contents in an error.
 *
 * Signing is OpenSSL's, not libjwt's: libjwt 1.10 takes the private key
 * only as PEM and parses it again for every token (about 0.8 ms), so the
 * header and claims are serialised here and signed with EVP_DigestSign on
 * the key parsed at load: EVP_DigestSignInit runs once, at load, and each
 * token signs on a fresh copy of that context (EVP_MD_CTX_copy_ex only
 * reads it, which OpenSSL 3 allows from any number of threads; an init
 * per token fetched SHA-256 and ECDSA from the provider store again under
 * its global lock: 74,000 signatures/s from 8 threads on 2 cores, 92,000
 * with the copy). The DER signature becomes JOSE's
 * r || s, 32 bytes each, with s always in its low form (s <= n/2): ECDSA
 * accepts s and n - s alike, and hcpd accepts only the low one, so each
 * token has one spelling.
 *
 * Verification: every decision about the header, the signature's form
 * and the claims is made here, before and after libjwt, which checks
 * the signature itself.
 *
 * The verified-token cache: a token that passed every check is
 * remembered by the SHA-256 of (iss, aud, token) with its claims, until
 * it expires; the same token again skips libjwt (1.3 ms: the public PEM
 * is parsed again too) and only its times are checked anew. Only tokens
 * that passed get in, so a forged token can never be answered from it,
 * and it says nothing about the session: callers still check that.
 *
 * Out of memory: libjwt 1.10 reports a failed allocation as ENOMEM in
 * most places, which becomes ERR_NOMEM here (a 503, never a 401 for a
 * token that may be good), but its decoder goes through jansson's
 * (allocfail.c explains why that one is exempt), so the
 * allocation-failure build does not fail allocations made inside
 * jwt_decode(). Signing's own allocations are all checked here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h> /* libjwt's; ours is jwtkeys.h so the names cannot clash */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "jsontext.h"
#include "jwtkeys.h"

#define KID_LEN    16
#define KEYS_MAX   16                        /* the current key and up to 15 previous ones */
#define COORD_LEN  32                        /* bytes in a P-256 coordinate */
#define SIG_LEN    64                        /* an ES256 signature, r || s */
#define SIG_DER    80                        /* a DER ECDSA-Sig-Value on P-256: at most 72 */
#define B64_LEN(n) (((n)*4 + 2) / 3)         /* base64url characters, no padding */
#define B64_BUF(n) (4 * (((n) + 2) / 3) + 1) /* what crypto_base64url() may write */
#define HEADER_MAX 128                       /* the header's base64url, with room to spare */

struct jwt_key {
	char kid[KID_LEN + 1];
	char x[B64_BUF(COORD_LEN)], y[B64_BUF(COORD_LEN)];
	char *pub_pem; /* SubjectPublicKeyInfo PEM, handed to jwt_decode */
	size_t pub_pem_len;
};

/* The verified-token cache: direct-mapped, CACHE_SLOTS entries (about
 * 200 bytes each, touched only as used), one lock per CACHE_LOCKS slots. */
#define CACHE_SLOTS   4096
#define CACHE_LOCKS   16
#define CACHE_KEY_MAX (JWT_TOKEN_MAX + 512) /* iss, aud and the token, hashed */

struct cache_entry {
	unsigned char key[32]; /* SHA-256 of iss NUL aud NUL token; all zero: empty */
	struct jwt_claims claims;
};

struct token_cache {
	pthread_mutex_t locks[CACHE_LOCKS];
	struct cache_entry slots[CACHE_SLOTS];
};

struct jwt_keyring {
	struct jwt_key keys[KEYS_MAX]; /* keys[0] is the current key */
	size_t nkeys;
	EVP_PKEY *signer;        /* the current key, parsed once; only read */
	EVP_MD_CTX *sign_init;   /* EVP_DigestSignInit(SHA-256, signer), done once; only read */
	char header[HEADER_MAX]; /* base64url of the header jwt_sign writes */
	char *jwks;
	size_t jwks_len;
	struct token_cache *cache; /* shared by every thread that verifies */
};

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(char c)
{
	const char *p = c != '\0' ? strchr(b64url_chars, c) : NULL;

	return p != NULL ? (int)(p - b64url_chars) : -1;
}

/* Decodes n base64url characters into out (3 * n / 4 bytes; NULL only
 * checks). Padding, any character outside the alphabet, a length no
 * encoder produces and non-zero leftover bits all fail with -1, so each
 * byte string has exactly one accepted spelling. */
static int b64url_decode(const char *in, size_t n, unsigned char *out, size_t *ret_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, len = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64url_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (out != NULL)
				out[len] = (unsigned char)(acc >> bits);
			len++;
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}

/* PEM_read_bio_* would prompt on the terminal for an encrypted key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* pkey's public key as SubjectPublicKeyInfo PEM, NUL-terminated. */
static char *pub_pem_text(EVP_PKEY *pkey, size_t *ret_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *text = NULL;
	long n;
	int ok;

	if (bio == NULL)
		return NULL;
	ok = PEM_write_bio_PUBKEY(bio, pkey);
	n = BIO_get_mem_data(bio, &data);
	if (ok == 1 && n > 0 && (text = malloc((size_t)n + 1)) != NULL) {
		memcpy(text, data, (size_t)n);
		text[n] = '\0';
		*ret_len = (size_t)n;
	}
	BIO_free(bio);
	return text;
}

/* A P-256 coordinate as base64url of exactly 32 big-endian bytes. */
static int coord(EVP_PKEY *pkey, const char *param, char *out)
{
	unsigned char buf[COORD_LEN];
	BIGNUM *bn = NULL;
	int ok = EVP_PKEY_get_bn_param(pkey, param, &bn) == 1 &&
		 BN_bn2binpad(bn, buf, sizeof(buf)) == (int)sizeof(buf);

	if (ok)
		crypto_base64url(buf, sizeof(buf), out);
	BN_free(bn);
	return ok ? 0 : -1;
}

/* Fills key from pkey; returns a reason on failure. */
static const char *key_fill(struct jwt_key *key, EVP_PKEY *pkey)
{
	unsigned char *der = NULL, digest[32];
	char group[32], b64[B64_BUF(32)];
	size_t group_len;
	int der_len;

	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &group_len) != 1 ||
	    strcmp(group, "prime256v1") != 0)
		return "is not an EC P-256 key";
	der_len = i2d_PUBKEY(pkey, &der);
	if (der_len <= 0)
		return "public key cannot be encoded";
	crypto_sha256(der, (size_t)der_len, digest);
	OPENSSL_free(der);
	crypto_base64url(digest, sizeof(digest), b64);
	memcpy(key->kid, b64, KID_LEN);
	key->kid[KID_LEN] = '\0';
	if (coord(pkey, OSSL_PKEY_PARAM_EC_PUB_X, key->x) != 0 ||
	    coord(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, key->y) != 0)
		return "public point cannot be read";
	key->pub_pem = pub_pem_text(pkey, &key->pub_pem_len);
	return key->pub_pem != NULL ? NULL : "public key cannot be encoded";
}

/* Reads the key at path into the next slot of kr; the current key must be
 * private, a previous one may be either. */
static enum err key_add(struct jwt_keyring *kr, const char *path, char *why, size_t why_len)
{
	int current = kr->nkeys == 0;
	struct jwt_key *key = NULL;
	const char *reason = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	enum err err = ERR_INVALID;
	size_t i;

	if (kr->nkeys == KEYS_MAX) {
		err = ERR_TOO_BIG;
		reason = "is one key too many";
		goto out;
	}
	key = &kr->keys[kr->nkeys];
	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		err = ERR_IO;
		reason = "cannot be opened";
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL && !current) {
		/* Reopen rather than rewind: BIO_reset on a file BIO has its
		 * own return convention. */
		BIO_free(bio);
		bio = BIO_new_file(path, "r");
		if (bio != NULL)
			pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	}
	if (pkey == NULL) {
		reason = current ? "holds no PEM private key" : "holds no PEM key";
		goto out;
	}
	reason = key_fill(key, pkey);
	if (reason != NULL)
		goto out;
	for (i = 0; i < kr->nkeys; i++) {
		if (strcmp(kr->keys[i].kid, key->kid) == 0) {
			err = ERR_CONFLICT;
			reason = "repeats a key already loaded";
			goto out;
		}
	}
	if (current) {
		/* kid is base64url: nothing in the header needs escaping, and
		 * its members are in the order libjwt wrote them (sorted) */
		char text[64];

		snprintf(text, sizeof(text), "{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			 key->kid);
		crypto_base64url((const unsigned char *)text, strlen(text), kr->header);
		kr->signer = pkey; /* kept: parsed once, used for every token */
		pkey = NULL;
		kr->sign_init = EVP_MD_CTX_new();
		if (kr->sign_init == NULL ||
		    EVP_DigestSignInit(kr->sign_init, NULL, EVP_sha256(), NULL, kr->signer) != 1) {
			err = ERR_CRYPTO;
			reason = "cannot sign with it";
			goto out;
		}
	}
	kr->nkeys++;
	err = ERR_OK;
out:
	if (err != ERR_OK && key != NULL) {
		free(key->pub_pem);
		memset(key, 0, sizeof(*key));
	}
	if (err != ERR_OK) {
		if (why != NULL && why_len > 0)
			snprintf(why, why_len, "JWT key %s %s", path, reason);
	}
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	return err;
}

static enum err jwks_build(struct jwt_keyring *kr)
{
	json_t *doc, *keys = json_array();
	size_t i;

	doc = json_pack("{s:o}", "keys", keys);
	for (i = 0; doc != NULL && i < kr->nkeys; i++) {
		const struct jwt_key *k = &kr->keys[i];

		if (json_array_append_new(keys,
					  json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "EC",
						    "crv", "P-256", "x", k->x, "y", k->y, "kid",
						    k->kid, "alg", "ES256", "use", "sig")) != 0)
			break;
	}
	if (doc != NULL && i == kr->nkeys)
		kr->jwks = json_text_dump(doc, JSON_COMPACT);
	json_decref(doc);
	if (kr->jwks == NULL)
		return ERR_NOMEM;
	kr->jwks_len = strlen(kr->jwks);
	return ERR_OK;
}

static enum err cache_new(struct token_cache **ret_cache)
{
	struct token_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < CACHE_LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	*ret_cache = c;
	return ERR_OK;
}

enum err jwt_keyring_load(const char *current_path, const char *previous_paths,
			  struct jwt_keyring **ret_keyring, char *why, size_t why_len)
{
	struct jwt_keyring *kr = calloc(1, sizeof(*kr));
	char *paths = NULL, *path, *save = NULL;
	enum err err = ERR_NOMEM;

	if (kr == NULL)
		goto out;
	err = key_add(kr, current_path, why, why_len);
	if (err != ERR_OK)
		goto out;
	if (previous_paths != NULL && previous_paths[0] != '\0') {
		paths = strdup(previous_paths);
		if (paths == NULL) {
			err = ERR_NOMEM;
			goto out;
		}
		for (path = strtok_r(paths, ":", &save); path != NULL;
		     path = strtok_r(NULL, ":", &save)) {
			err = key_add(kr, path, why, why_len);
			if (err != ERR_OK)
				goto out;
		}
	}
	err = jwks_build(kr);
	if (err == ERR_OK)
		err = cache_new(&kr->cache);
	if (err != ERR_OK)
		goto out;
	*ret_keyring = kr;
	kr = NULL;
out:
	if (err == ERR_NOMEM && why != NULL && why_len > 0)
		snprintf(why, why_len, "JWT keyring: out of memory");
	jwt_keyring_free(kr);
	free(paths);
	return err;
}

void jwt_keyring_free(struct jwt_keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->nkeys; i++)
		free(kr->keys[i].pub_pem);
	EVP_MD_CTX_free(kr->sign_init);
	EVP_PKEY_free(kr->signer); /* OpenSSL clears the private scalar */
	if (kr->cache != NULL) {
		for (i = 0; i < CACHE_LOCKS; i++)
			pthread_mutex_destroy(&kr->cache->locks[i]);
		explicit_bzero(kr->cache, sizeof(*kr->cache));
		free(kr->cache);
	}
	free(kr->jwks);
	free(kr);
}

/* s is a non-empty C string within size bytes. */
static int field_ok(const char *s, size_t size)
{
	return s[0] != '\0' && memchr(s, '\0', size) != NULL;
}

/* P-256's group order n and n / 2 rounded down, big-endian. */
static const unsigned char p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
	0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const unsigned char p256_half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b,
	0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

/* The one form of r || s accepted: 0 < r < n and 0 < s <= n/2 (the low
 * one of s and n - s). Big-endian numbers of equal length compare as
 * memcmp() does. */
static bool sig_canonical(const unsigned char sig[SIG_LEN])
{
	static const unsigned char zero[32];

	return memcmp(sig, zero, 32) != 0 && memcmp(sig, p256_n, 32) < 0 &&
	       memcmp(sig + 32, zero, 32) != 0 && memcmp(sig + 32, p256_half_n, 32) <= 0;
}

/* A DER ECDSA-Sig-Value as JOSE's r || s, each left-padded to 32 bytes,
 * with s replaced by n - s when it is the high one. */
static enum err sig_from_der(const unsigned char *der, size_t len, unsigned char ret_sig[SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	unsigned char *s = ret_sig + 32;
	enum err err = ERR_CRYPTO;

	if (es == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(es), ret_sig, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), s, 32) != 32)
		goto out;
	if (memcmp(s, p256_half_n, 32) > 0) {
		unsigned borrow = 0;

		for (int i = 31; i >= 0; i--) { /* s = n - s, s < n */
			unsigned d = (unsigned)p256_n[i] - s[i] - borrow;

			s[i] = (unsigned char)d;
			borrow = d >> 8 & 1;
		}
	}
	if (sig_canonical(ret_sig))
		err = ERR_OK;
out:
	ECDSA_SIG_free(es);
	return err;
}

/* The claims as compact JSON, members sorted (as libjwt wrote them). */
/* The payload's compact JSON, members sorted: the claims every token
 * has, then those an account's token has when known (issue 20: what a
 * relying page gates on without another call). NULL: out of memory. */
static char *payload_text(const char *iss, const char *aud, const struct jwt_claims *c)
{
	json_t *p =
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "iss", iss, "aud", aud, "sub",
			  c->sub, "role", c->role, "jti", c->jti, "sid", c->sid, "iat",
			  (json_int_t)c->iat, "nbf", (json_int_t)c->nbf, "exp", (json_int_t)c->exp);
	char *text = NULL;
	int failed = p == NULL;

	if (!failed && c->hcp_status[0] != '\0')
		failed = json_object_set_new(p, "hcp_status", json_string(c->hcp_status)) != 0;
	if (!failed && c->profession[0] != '\0')
		failed = json_object_set_new(p, "profession", json_string(c->profession)) != 0;
	if (!failed && c->country[0] != '\0')
		failed = json_object_set_new(p, "country", json_string(c->country)) != 0;
	if (!failed && c->auth_time > 0)
		failed = json_object_set_new(p, "auth_time", json_integer(c->auth_time)) != 0;
	if (!failed && c->notice_acceptance_required)
		failed = json_object_set_new(p, "notice_acceptance_required", json_true()) != 0;
	if (!failed)
		text = json_text_dump(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	return text;
}

enum err jwt_sign(const struct jwt_keyring *kr, const char *iss, const char *aud,
		  const struct jwt_claims *claims, char **ret_token)
{
	const struct jwt_claims *c = claims;
	unsigned char der[SIG_DER], sig[SIG_LEN];
	size_t hlen = strlen(kr->header), plen, n, der_len = sizeof(der);
	char *payload = NULL, *token = NULL;
	EVP_MD_CTX *ctx = NULL;
	enum err err = ERR_INVALID;

	/* Refuse to mint what jwt_verify would refuse. */
	if (!field_ok(c->sub, sizeof(c->sub)) || !field_ok(c->role, sizeof(c->role)) ||
	    !field_ok(c->jti, sizeof(c->jti)) || !field_ok(c->sid, sizeof(c->sid)) || c->iat < 0 ||
	    c->nbf < 0 || c->exp <= c->iat || c->exp - c->iat > JWT_TTL_MAX || c->auth_time < 0 ||
	    c->auth_time > c->iat + JWT_LEEWAY)
		goto out;
	err = ERR_NOMEM;
	payload = payload_text(iss, aud, c);
	if (payload == NULL)
		goto out;
	plen = strlen(payload);
	token = malloc(hlen + 1 + B64_BUF(plen) + 1 + B64_BUF(SIG_LEN));
	ctx = EVP_MD_CTX_new(); /* one per token: the EVP_PKEY is shared */
	if (token == NULL || ctx == NULL)
		goto out;
	memcpy(token, kr->header, hlen);
	token[hlen] = '.';
	n = hlen + 1 + crypto_base64url((const unsigned char *)payload, plen, token + hlen + 1);
	err = ERR_CRYPTO;
	if (EVP_MD_CTX_copy_ex(ctx, kr->sign_init) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)token, n) != 1)
		goto out;
	err = sig_from_der(der, der_len, sig);
	if (err != ERR_OK)
		goto out;
	token[n] = '.';
	crypto_base64url(sig, sizeof(sig), token + n + 1);
	*ret_token = token;
	token = NULL;
out:
	EVP_MD_CTX_free(ctx);
	free(token);
	free(payload);
	ERR_clear_error();
	return err;
}

/* The kid's key if header (n base64url characters) is exactly
 * {"alg":"ES256","kid":<known kid>} with at most "typ":"JWT" besides. */
static const struct jwt_key *header_check(const struct jwt_keyring *kr, const char *header,
					  size_t n)
{
	unsigned char buf[JWT_TOKEN_MAX];
	const struct jwt_key *key = NULL;
	const char *name, *kid;
	json_t *hdr = NULL, *v, *typ;
	size_t len, i;

	if (b64url_decode(header, n, buf, &len) != 0)
		goto out;
	hdr = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(hdr))
		goto out;
	/* Any other member ("crit", "jku", "x5u", "jwk" ...) asks for
	 * processing this code does not do, so it is refused. */
	json_object_foreach (hdr, name, v) {
		if (strcmp(name, "alg") != 0 && strcmp(name, "typ") != 0 &&
		    strcmp(name, "kid") != 0)
			goto out;
	}
	typ = json_object_get(hdr, "typ");
	if (!json_is_string(json_object_get(hdr, "alg")) ||
	    strcmp(json_string_value(json_object_get(hdr, "alg")), "ES256") != 0 ||
	    (typ != NULL && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0)))
		goto out;
	kid = json_string_value(json_object_get(hdr, "kid"));
	for (i = 0; kid != NULL && i < kr->nkeys; i++) {
		if (strcmp(kr->keys[i].kid, kid) == 0)
			key = &kr->keys[i];
	}
out:
	json_decref(hdr);
	return key;
}

/* Each claim_* and aud_ok returns 1 if the claim is present and right. */
static int claim_str(json_t *payload, const char *name, char *dst, size_t size)
{
	json_t *v = json_object_get(payload, name);
	size_t len = json_string_length(v);

	if (!json_is_string(v) || len == 0 || len >= size)
		return 0;
	memcpy(dst, json_string_value(v), len + 1);
	return 1;
}

static int claim_time(json_t *payload, const char *name, long long *ret)
{
	json_t *v = json_object_get(payload, name);

	/* Negative times never come from jwt_sign; refusing them also keeps
	 * exp - iat and nbf - leeway from overflowing. */
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	*ret = json_integer_value(v);
	return 1;
}

/* An optional string claim: absent ("" in dst), or one claim_str takes. */
static int claim_opt_str(json_t *payload, const char *name, char *dst, size_t size)
{
	dst[0] = '\0';
	return json_object_get(payload, name) == NULL || claim_str(payload, name, dst, size);
}

static int aud_ok(json_t *v, const char *aud)
{
	json_t *item;
	size_t i;
	int found = 0;

	if (json_is_string(v))
		return strcmp(json_string_value(v), aud) == 0;
	if (!json_is_array(v))
		return 0;
	json_array_foreach (v, i, item) {
		if (!json_is_string(item))
			return 0;
		if (strcmp(json_string_value(item), aud) == 0)
			found = 1;
	}
	return found;
}

/* An optional claim that, when present, must be true. */
static bool claim_opt_true(json_t *p, const char *name, bool *ret)
{
	json_t *v = json_object_get(p, name);

	*ret = json_is_true(v);
	return v == NULL || *ret;
}

static int claims_ok(json_t *p, const char *iss, const char *aud, long long now,
		     struct jwt_claims *c)
{
	json_t *v = json_object_get(p, "iss");

	return json_is_string(v) && strcmp(json_string_value(v), iss) == 0 &&
	       aud_ok(json_object_get(p, "aud"), aud) &&
	       claim_str(p, "sub", c->sub, sizeof(c->sub)) &&
	       claim_str(p, "role", c->role, sizeof(c->role)) &&
	       claim_str(p, "jti", c->jti, sizeof(c->jti)) &&
	       claim_str(p, "sid", c->sid, sizeof(c->sid)) && claim_time(p, "iat", &c->iat) &&
	       claim_time(p, "nbf", &c->nbf) && claim_time(p, "exp", &c->exp) && c->exp > now &&
	       c->nbf - JWT_LEEWAY <= now && c->iat - JWT_LEEWAY <= now &&
	       c->exp - c->iat <= JWT_TTL_MAX &&
	       claim_opt_str(p, "hcp_status", c->hcp_status, sizeof(c->hcp_status)) &&
	       claim_opt_str(p, "profession", c->profession, sizeof(c->profession)) &&
	       claim_opt_str(p, "country", c->country, sizeof(c->country)) &&
	       claim_opt_true(p, "notice_acceptance_required", &c->notice_acceptance_required) &&
	       (json_object_get(p, "auth_time") == NULL ||
		(claim_time(p, "auth_time", &c->auth_time) && c->auth_time <= c->iat + JWT_LEEWAY));
}

/* The cache key of token for iss and aud; false when they do not fit
 * (such a token is simply not cached). */
static bool cache_key(const char *iss, const char *aud, const char *token, size_t len,
		      unsigned char ret_key[32])
{
	char buf[CACHE_KEY_MAX];
	size_t ni = strlen(iss), na = strlen(aud);

	if (ni + na + len + 2 > sizeof(buf))
		return false;
	memcpy(buf, iss, ni + 1);
	memcpy(buf + ni + 1, aud, na + 1);
	memcpy(buf + ni + na + 2, token, len);
	crypto_sha256(buf, ni + na + 2 + len, ret_key);
	return true;
}

static size_t cache_slot(const unsigned char key[32])
{
	return ((size_t)key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16) % CACHE_SLOTS;
}

/* The claims remembered for key, if any. */
static bool cache_get(struct token_cache *cache, const unsigned char key[32],
		      struct jwt_claims *ret_claims)
{
	size_t i = cache_slot(key);
	bool hit;

	pthread_mutex_lock(&cache->locks[i % CACHE_LOCKS]);
	hit = memcmp(cache->slots[i].key, key, 32) == 0;
	if (hit)
		*ret_claims = cache->slots[i].claims;
	pthread_mutex_unlock(&cache->locks[i % CACHE_LOCKS]);
	return hit;
}

static void cache_put(struct token_cache *cache, const unsigned char key[32],
		      const struct jwt_claims *claims)
{
	size_t i = cache_slot(key);

	pthread_mutex_lock(&cache->locks[i % CACHE_LOCKS]);
	memcpy(cache->slots[i].key, key, 32);
	cache->slots[i].claims = *claims;
	pthread_mutex_unlock(&cache->locks[i % CACHE_LOCKS]);
}

/* The checks of claims_ok() that depend on the time. */
static int times_ok(const struct jwt_claims *c, long long now)
{
	return c->exp > now && c->nbf - JWT_LEEWAY <= now && c->iat - JWT_LEEWAY <= now;
}

enum err jwt_verify(const struct jwt_keyring *kr, const char *iss, const char *aud,
		    const char *token, long long now, struct jwt_claims *ret_claims)
{
	struct jwt_claims c;
	const struct jwt_key *key;
	const char *dot1, *dot2;
	size_t len = strnlen(token, JWT_TOKEN_MAX + 1);
	unsigned char ckey[32], sig[SIG_LEN];
	bool cacheable;
	jwt_t *jwt = NULL;
	unsigned char *text = NULL;
	size_t plen;
	json_t *payload = NULL;
	enum err err = ERR_INVALID;
	int rc;

	if (len > JWT_TOKEN_MAX)
		goto out;
	/* a token that passed before: only its times can have changed */
	cacheable = cache_key(iss, aud, token, len, ckey);
	if (cacheable && cache_get(kr->cache, ckey, &c)) {
		if (times_ok(&c, now)) {
			*ret_claims = c;
			err = ERR_OK;
		}
		goto out;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		goto out;
	/* Three non-empty segments in canonical base64url, so libjwt (which
	 * is more lenient) decodes exactly what was checked here; an ES256
	 * signature is always r || s, 64 bytes. */
	if (dot1 == token || dot2 == dot1 + 1 ||
	    b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), NULL, NULL) != 0 ||
	    len - (size_t)(dot2 + 1 - token) != B64_LEN(SIG_LEN) ||
	    b64url_decode(dot2 + 1, B64_LEN(SIG_LEN), sig, NULL) != 0)
		goto out;
	/* ECDSA accepts s and n - s alike: only the low one is taken, so the
	 * same claims cannot come in two spellings (nor twice in the cache) */
	if (!sig_canonical(sig))
		goto out;
	key = header_check(kr, token, (size_t)(dot1 - token));
	if (key == NULL)
		goto out;
	/* Only now may libjwt see the token: the alg it will pick from the
	 * header is ES256 and the key is the one named by kid. */
	rc = jwt_decode(&jwt, token, (const unsigned char *)key->pub_pem, (int)key->pub_pem_len);
	if (rc == ENOMEM)
		err = ERR_NOMEM; /* the token may well be good */
	if (rc != 0 || jwt_get_alg(jwt) != JWT_ALG_ES256)
		goto out;
	/* The claims are read from the signed bytes themselves, which were
	 * checked above to be canonical base64url: JSON types visible, and
	 * nothing of libjwt's re-serialisation in between. */
	err = ERR_NOMEM;
	text = malloc((size_t)(dot2 - dot1)); /* 3/4 of the segment, and more */
	if (text == NULL)
		goto out;
	err = ERR_INVALID;
	if (b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), text, &plen) != 0)
		goto out;
	payload = json_loadb((const char *)text, plen, JSON_REJECT_DUPLICATES, NULL);
	memset(&c, 0, sizeof(c));
	if (!json_is_object(payload) || !claims_ok(payload, iss, aud, now, &c))
		goto out;
	if (cacheable)
		cache_put(kr->cache, ckey, &c);
	*ret_claims = c;
	err = ERR_OK;
out:
	json_decref(payload);
	free(text);
	jwt_free(jwt);
	ERR_clear_error();
	return err;
}

const char *jwt_jwks(const struct jwt_keyring *kr, size_t *ret_len)
{
	if (ret_len != NULL)
		*ret_len = kr->jwks_len;
	return kr->jwks;
}
