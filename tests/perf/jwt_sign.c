/*
 * jwt_sign.c - what signing one access token costs, both ways, in one run.
 *
 *   bin/tests/perf_jwt_sign [TOKENS]
 *
 * Generates a P-256 key, loads it into a keyring and signs TOKENS tokens
 * (default 2000) with hcpd's jwt_sign() (OpenSSL on the key parsed at
 * load), and as many through libjwt 1.10 the way jwt.c signed before
 * (the private PEM handed to libjwt, which parses it again, for every
 * token), in alternating rounds of 100 so that both see the same machine.
 * Prints one JSON object: microseconds a token, each way. Single thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwtkeys.h"

#define ROUND 100

static const struct jwt_claims claims = {
	.sub = "0190f3a2-7c1e-7d2b-9a4f-3b8e6c1d2a5f",
	.role = "professional",
	.jti = "9f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f",
	.sid = "0190f3a2-7c1e-7d2b-9a4f-3b8e6c1d2a60",
	.iat = 1700000000,
	.nbf = 1700000000,
	.exp = 1700000900,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One token the way jwt.c made it before: libjwt, the PEM every time. */
static char *libjwt_sign(const char *pem, size_t pem_len, const char *kid)
{
	const struct jwt_claims *c = &claims;
	jwt_t *jwt = NULL;
	char *token = NULL;

	if (jwt_new(&jwt) == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_ES256, (const unsigned char *)pem, (int)pem_len) == 0 &&
	    jwt_add_header(jwt, "typ", "JWT") == 0 && jwt_add_header(jwt, "kid", kid) == 0 &&
	    jwt_add_grant(jwt, "iss", "hcpd") == 0 && jwt_add_grant(jwt, "aud", "hcpd") == 0 &&
	    jwt_add_grant(jwt, "sub", c->sub) == 0 && jwt_add_grant(jwt, "role", c->role) == 0 &&
	    jwt_add_grant(jwt, "jti", c->jti) == 0 && jwt_add_grant(jwt, "sid", c->sid) == 0 &&
	    jwt_add_grant_int(jwt, "iat", c->iat) == 0 &&
	    jwt_add_grant_int(jwt, "nbf", c->nbf) == 0 &&
	    jwt_add_grant_int(jwt, "exp", c->exp) == 0)
		token = jwt_encode_str(jwt);
	jwt_free(jwt);
	return token;
}

int main(int argc, char **argv)
{
	long tokens = argc > 1 ? atol(argv[1]) : 2000;
	char path[] = "/tmp/perf-jwt-XXXXXX", why[256], *pem = NULL, *t;
	double ours = 0, libjwt = 0, t0;
	struct jwt_keyring *kr = NULL;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	long pem_len, done;

	if (tokens < ROUND || key == NULL || f == NULL ||
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1 || fflush(f) != 0 ||
	    (pem_len = ftell(f)) <= 0 || (pem = malloc((size_t)pem_len)) == NULL ||
	    fseek(f, 0, SEEK_SET) != 0 || fread(pem, 1, (size_t)pem_len, f) != (size_t)pem_len ||
	    jwt_keyring_load(path, NULL, &kr, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "perf_jwt_sign: setup failed (TOKENS >= %d)\n", ROUND);
		return 1;
	}
	fclose(f);
	unlink(path);
	for (done = 0; done < tokens; done += ROUND) {
		t0 = now();
		for (int i = 0; i < ROUND; i++) {
			t = NULL;
			if (jwt_sign(kr, "hcpd", "hcpd", &claims, &t) != ERR_OK)
				abort();
			free(t);
		}
		ours += now() - t0;
		t0 = now();
		for (int i = 0; i < ROUND; i++) {
			t = libjwt_sign(pem, (size_t)pem_len, "AAAAAAAAAAAAAAAA");
			if (t == NULL)
				abort();
			free(t);
		}
		libjwt += now() - t0;
	}
	printf("{\"tokens\": %ld, \"jwt_sign_us\": %.1f, \"libjwt_pem_us\": %.1f}\n", done,
	       ours / (double)done * 1e6, libjwt / (double)done * 1e6);
	explicit_bzero(pem, (size_t)pem_len);
	free(pem);
	jwt_keyring_free(kr);
	EVP_PKEY_free(key);
	return 0;
}
