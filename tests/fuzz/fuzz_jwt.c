/*
 * fuzz_jwt.c - bearer tokens through jwt_verify. The first byte picks how
 * the rest is used:
 *   even: the rest is the token itself - the hand-written header check,
 *         base64url decoding and libjwt's signature check see anything;
 *   odd:  the rest is a claims payload, signed here with the keyring's own
 *         key under a valid header, so every input passes the signature
 *         and reaches the claim checks; with s in its low form (s <= n/2)
 *         when the first byte is 1 mod 4, in its high form (n - s) when it
 *         is 3 mod 4, which ECDSA accepts and jwt_verify must not.
 * A token accepted must carry claims that are in force at the fuzzer's
 * clock, with NUL-terminated strings.
 */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "fuzz.h"
#include "jwtkeys.h"

#define NOW       1700000000LL
#define TOKEN_MAX 8192

static struct jwt_keyring *kr;
static EVP_PKEY *key;
static BIGNUM *order, *half_order; /* P-256's n and n / 2 */
static char header[128];           /* base64url of {"alg":"ES256","kid":...,"typ":"JWT"} */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz-jwt-XXXXXX", why[256], text[96];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	json_t *jwks;
	size_t len;

	(void)argc;
	(void)argv;
	{
		EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);

		order = group != NULL ? BN_dup(EC_GROUP_get0_order(group)) : NULL;
		half_order = order != NULL ? BN_dup(order) : NULL;
		if (half_order == NULL || BN_rshift1(half_order, half_order) != 1)
			abort();
		EC_GROUP_free(group);
	}
	key = EVP_EC_gen("P-256");
	if (key == NULL || f == NULL || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f);
	if (jwt_keyring_load(path, NULL, &kr, why, sizeof(why)) != ERR_OK)
		abort();
	unlink(path);
	jwks = json_loads(jwt_jwks(kr, &len), 0, NULL);
	snprintf(text, sizeof(text), "{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
		 json_string_value(
			 json_object_get(json_array_get(json_object_get(jwks, "keys"), 0), "kid")));
	json_decref(jwks);
	crypto_base64url((const unsigned char *)text, strlen(text), header);
	return 0;
}

/* header.payload.signature for payload, signed with key, s in its low
 * or high form; NULL when it does not fit. */
static char *signed_token(const uint8_t *payload, size_t len, int high)
{
	char *token = malloc(TOKEN_MAX);
	unsigned char der[80], sig[64];
	const unsigned char *p = der;
	size_t hlen = strlen(header), n, der_len = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	BIGNUM *s = NULL;

	if (token == NULL || ctx == NULL || hlen + 1 + (len + 2) / 3 * 4 + 90 > TOKEN_MAX)
		goto fail;
	memcpy(token, header, hlen);
	token[hlen] = '.';
	n = hlen + 1 + crypto_base64url(payload, len, token + hlen + 1);
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)token, n) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) != 32 || (s = BN_new()) == NULL ||
	    BN_copy(s, ECDSA_SIG_get0_s(es)) == NULL)
		goto fail;
	if ((BN_cmp(s, half_order) > 0) != (high != 0) && BN_sub(s, order, s) != 1)
		goto fail;
	if (BN_bn2binpad(s, sig + 32, 32) != 32)
		goto fail;
	token[n++] = '.';
	crypto_base64url(sig, sizeof(sig), token + n);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return token;
fail:
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	free(token);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_claims c;
	char *token;
	enum err err;

	if (size == 0)
		return 0;
	if (data[0] % 2 == 1) {
		token = signed_token(data + 1, size - 1, data[0] % 4 == 3);
	} else if ((token = malloc(size)) != NULL) {
		memcpy(token, data + 1, size - 1);
		token[size - 1] = '\0';
	}
	if (token == NULL)
		return 0;
	err = jwt_verify(kr, "hcpd", "hcpd", token, NOW, &c);
	EXPECT(err == ERR_OK || err == ERR_INVALID || err == ERR_NOMEM);
	EXPECT(err != ERR_OK || data[0] % 4 != 3); /* a high s is never accepted */
	if (err == ERR_OK) {
		EXPECT(c.exp > NOW && c.nbf <= NOW + JWT_LEEWAY && c.iat <= NOW + JWT_LEEWAY);
		EXPECT(memchr(c.sub, '\0', sizeof(c.sub)) != NULL && c.sub[0] != '\0');
		EXPECT(memchr(c.sid, '\0', sizeof(c.sid)) != NULL && c.sid[0] != '\0');
		EXPECT(memchr(c.role, '\0', sizeof(c.role)) != NULL);
	}
	free(token);
	return 0;
}
