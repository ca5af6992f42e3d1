/*
 * fuzz_jwt.c - arbitrary bytes as a bearer token through jwt_verify: the
 * hand-written header check, base64url decoding, libjwt, the claim checks.
 * The keyring holds one P-256 key made at start.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jwtkeys.h"

static struct jwt_keyring *kr;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz-jwt-XXXXXX", why[256];
	EVP_PKEY *key = EVP_EC_gen("P-256");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	(void)argc;
	(void)argv;
	if (key == NULL || f == NULL || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f);
	EVP_PKEY_free(key);
	if (jwt_keyring_load(path, NULL, &kr, why, sizeof(why)) != ERR_OK)
		abort();
	unlink(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_claims claims;
	char *token = malloc(size + 1);

	if (token == NULL)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	jwt_verify(kr, "hcpd", "hcpd", token, 1700000000, &claims);
	free(token);
	return 0;
}
