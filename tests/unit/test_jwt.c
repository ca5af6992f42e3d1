/*
 * test_jwt.c - unit tests for services/jwt.c: signing round trips, the
 * JWKS, key rotation, keyring load errors, and a list of forged or
 * damaged tokens that must each fail with ERR_INVALID.
 *
 * Keys are generated here with OpenSSL and written to mkstemp() files
 * under /tmp, removed at the end. Forged tokens are built by hand (any
 * header, any payload, signed with ECDSA or HMAC or not at all), so the
 * checks in jwt_verify are tested without libjwt's help; and the tokens
 * jwt_sign makes are checked with OpenSSL directly, not only with
 * jwt_verify (which uses libjwt): their form (r || s, 32 bytes each, s
 * low) and their signature.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "harness.h"
#include "jwtkeys.h"

#define NOW 1700000000LL

static const char ISS[] = "https://hcpd.example";
static const char AUD[] = "hcpd-api";

/* a and b are loaded P-256 keys, c is a P-256 key never loaded. */
static EVP_PKEY *key_a, *key_b, *key_c, *key_p384, *key_rsa;
static char path_a[32], path_a_pub[32], path_a_trad[32], path_b[32], path_p384[32], path_rsa[32];
static char path_enc[32], path_junk[32];
static char kid_a[17], kid_b[17];
static struct jwt_keyring *kr_a;   /* a */
static struct jwt_keyring *kr_b;   /* b */
static struct jwt_keyring *kr_ba;  /* b current, a previous (public key file) */
static BIGNUM *order, *half_order; /* P-256's n and n / 2 rounded down, from OpenSSL */

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* malloc'd base64url of len bytes, no padding. */
static char *b64url(const void *in, size_t len)
{
	char *out = malloc(4 * (len / 3 + 1) + 1);
	int i, n;

	if (out == NULL)
		abort();
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=')
			out[i] = '\0';
	}
	out[n] = '\0';
	return out;
}

/* Decodes base64url s into out (up to size bytes); the length, or -1. */
static int b64url_dec(const char *s, unsigned char *out, size_t size)
{
	char buf[512];
	unsigned char tmp[512];
	size_t i, n = strlen(s);
	int pad = (int)((4 - n % 4) % 4), len;

	if (n + 3 >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(buf + n, '=', (size_t)pad);
	len = EVP_DecodeBlock(tmp, (unsigned char *)buf, (int)n + pad);
	if (len < 0 || (size_t)(len - pad) > size)
		return -1;
	memcpy(out, tmp, (size_t)(len - pad));
	return len - pad;
}

/* In r || s, s replaced by n - s when it is above n / 2 (flip: always). */
static void s_flip(unsigned char rs[64], int always)
{
	BIGNUM *s = BN_bin2bn(rs + 32, 32, NULL);

	if (s == NULL)
		abort();
	if ((always || BN_cmp(s, half_order) > 0) &&
	    (BN_sub(s, order, s) != 1 || BN_bn2binpad(s, rs + 32, 32) != 32))
		abort();
	BN_free(s);
}

static void s_to_low(unsigned char rs[64])
{
	s_flip(rs, 0);
}

/* malloc'd a + "." + b + "." + c. */
static char *join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
	char *out = malloc(n);

	if (out == NULL)
		abort();
	snprintf(out, n, "%s.%s.%s", a, b, c);
	return out;
}

/* A token with the given header and payload JSON texts, signed with key
 * (ES256, r || s as JOSE wants, s in its low form as jwt_verify requires)
 * or, for key NULL, with signature sig. */
static char *craft(const char *header, const char *payload, EVP_PKEY *key, const char *sig)
{
	char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
	char *input = join3(h, p, ""), *s = NULL, *token;
	unsigned char der[128], rs[64];
	const unsigned char *dp = der;
	size_t der_len = sizeof(der);
	EVP_MD_CTX *ctx;
	ECDSA_SIG *esig;

	input[strlen(input) - 1] = '\0'; /* "h.p." to "h.p" */
	if (key != NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
		    EVP_DigestSign(ctx, der, &der_len, (unsigned char *)input, strlen(input)) != 1)
			abort();
		EVP_MD_CTX_free(ctx);
		esig = d2i_ECDSA_SIG(NULL, &dp, (long)der_len);
		if (esig == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(esig), rs, 32) != 32 ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(esig), rs + 32, 32) != 32)
			abort();
		ECDSA_SIG_free(esig);
		s_to_low(rs);
		s = b64url(rs, sizeof(rs));
		sig = s;
	}
	token = join3(h, p, sig);
	free(h);
	free(p);
	free(input);
	free(s);
	return token;
}

/* A header naming kid_a, the way jwt_sign writes it. */
static char *good_header(void)
{
	char *h = malloc(100);

	if (h == NULL)
		abort();
	snprintf(h, 100, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid_a);
	return h;
}

/* A payload every check accepts. */
static json_t *good_payload(void)
{
	json_t *p =
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "iss", ISS, "aud", AUD, "sub",
			  "acct-1", "role", "professional", "jti", "tok-1", "sid", "sess-1", "iat",
			  (json_int_t)NOW, "nbf", (json_int_t)NOW, "exp", (json_int_t)(NOW + 600));

	if (p == NULL)
		abort();
	return p;
}

/* good_payload with claim name set to v (stolen), or removed for NULL. */
static json_t *payload_with(const char *name, json_t *v)
{
	json_t *p = good_payload();

	if (v != NULL)
		json_object_set_new(p, name, v);
	else
		json_object_del(p, name);
	return p;
}

/* A good header and payload p (stolen), signed with key a. */
static char *token_with(json_t *p)
{
	char *h = good_header(), *body = json_dumps(p, JSON_COMPACT), *t;

	t = craft(h, body, key_a, NULL);
	free(h);
	free(body);
	json_decref(p);
	return t;
}

/* A header text (with %s for kid_a) and a good payload, signed with key. */
static char *token_header(const char *fmt, EVP_PKEY *key, const char *sig)
{
	char h[256], *body, *t;
	json_t *p = good_payload();

	snprintf(h, sizeof(h), fmt, kid_a);
	body = json_dumps(p, JSON_COMPACT);
	t = craft(h, body, key, sig);
	free(body);
	json_decref(p);
	return t;
}

static enum err verify_a(const char *token)
{
	struct jwt_claims c;

	return jwt_verify(kr_a, ISS, AUD, token, NOW, &c);
}

/* Frees tok after checking kr_a refuses it. */
#define CHECK_REJECTED(tok)                                                                        \
	do {                                                                                       \
		char *rejected_tok = (tok);                                                        \
		CHECK(verify_a(rejected_tok) == ERR_INVALID);                                      \
		free(rejected_tok);                                                                \
	} while (0)

#define CHECK_ACCEPTED(tok)                                                                        \
	do {                                                                                       \
		char *accepted_tok = (tok);                                                        \
		CHECK(verify_a(accepted_tok) == ERR_OK);                                           \
		free(accepted_tok);                                                                \
	} while (0)

/* kid as jwt.h defines it, computed independently of jwt.c. */
static void kid_of(EVP_PKEY *key, char kid[17])
{
	unsigned char *der = NULL, d[32];
	int n = i2d_PUBKEY(key, &der);
	char *b;

	if (n <= 0)
		abort();
	crypto_sha256(der, (size_t)n, d);
	OPENSSL_free(der);
	b = b64url(d, sizeof(d));
	memcpy(kid, b, 16);
	kid[16] = '\0';
	free(b);
}

enum pem_form { PEM_PUBLIC, PEM_PKCS8, PEM_TRADITIONAL, PEM_ENCRYPTED };

/* Writes key as PEM in the given form to a new file under /tmp. */
static void write_key(EVP_PKEY *key, enum pem_form form, char path[32])
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int fd, ok = 0;

	if (bio == NULL)
		abort();
	if (form == PEM_PUBLIC)
		ok = PEM_write_bio_PUBKEY(bio, key);
	else if (form == PEM_PKCS8)
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	else if (form == PEM_TRADITIONAL)
		ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
	else if (form == PEM_ENCRYPTED)
		ok = PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(), (unsigned char *)"pw", 2,
					      NULL, NULL);
	if (ok != 1)
		abort();
	n = BIO_get_mem_data(bio, &data);
	strcpy(path, "/tmp/hcpd-jwt-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, (size_t)n) != n)
		abort();
	close(fd);
	BIO_free(bio);
}

static struct jwt_keyring *load(const char *current, const char *previous)
{
	struct jwt_keyring *kr = NULL;
	char why[256] = "";

	if (jwt_keyring_load(current, previous, &kr, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "  load %s: %s\n", current, why);
		abort();
	}
	return kr;
}

static void setup(void)
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	int fd;

	order = group != NULL ? BN_dup(EC_GROUP_get0_order(group)) : NULL;
	half_order = order != NULL ? BN_dup(order) : NULL;
	if (half_order == NULL || BN_rshift1(half_order, half_order) != 1)
		abort();
	EC_GROUP_free(group);
	key_a = EVP_EC_gen("P-256");
	key_b = EVP_EC_gen("P-256");
	key_c = EVP_EC_gen("P-256");
	key_p384 = EVP_EC_gen("P-384");
	key_rsa = EVP_RSA_gen(2048);
	if (!key_a || !key_b || !key_c || !key_p384 || !key_rsa)
		abort();
	write_key(key_a, PEM_PKCS8, path_a);
	write_key(key_a, PEM_PUBLIC, path_a_pub);
	write_key(key_a, PEM_TRADITIONAL, path_a_trad);
	write_key(key_a, PEM_ENCRYPTED, path_enc);
	write_key(key_b, PEM_PKCS8, path_b);
	write_key(key_p384, PEM_PKCS8, path_p384);
	write_key(key_rsa, PEM_PKCS8, path_rsa);
	strcpy(path_junk, "/tmp/hcpd-jwt-XXXXXX");
	fd = mkstemp(path_junk);
	if (fd < 0 || write(fd, "not a key\n", 10) != 10)
		abort();
	close(fd);
	kid_of(key_a, kid_a);
	kid_of(key_b, kid_b);
	kr_a = load(path_a, NULL);
	kr_b = load(path_b, "");
	kr_ba = load(path_b, path_a_pub);
}

static void teardown(void)
{
	jwt_keyring_free(kr_a);
	jwt_keyring_free(kr_b);
	jwt_keyring_free(kr_ba);
	unlink(path_a);
	unlink(path_a_pub);
	unlink(path_a_trad);
	unlink(path_enc);
	unlink(path_b);
	unlink(path_p384);
	unlink(path_rsa);
	unlink(path_junk);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_c);
	EVP_PKEY_free(key_p384);
	EVP_PKEY_free(key_rsa);
	BN_free(order);
	BN_free(half_order);
}

static const struct jwt_claims sample = {
	.sub = "0190f3a2-7c1e-7d2b-9a4f-3b8e6c1d2a5f",
	.role = "professional",
	.jti = "jti-123",
	.sid = "sess-456",
	.iat = NOW,
	.nbf = NOW,
	.exp = NOW + JWT_TTL_MAX,
};

/* Signs sample with kr; aborts if it cannot. */
static char *sign_sample(const struct jwt_keyring *kr)
{
	char *t = NULL;

	if (jwt_sign(kr, ISS, AUD, &sample, &t) != ERR_OK)
		abort();
	return t;
}

/* The JSON in base64url segment seg (n characters) of a token. */
static json_t *segment_json(const char *seg, size_t n)
{
	char buf[1024];
	unsigned char out[1024];
	int len;

	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, seg, n);
	buf[n] = '\0';
	len = b64url_dec(buf, out, sizeof(out));
	return len < 0 ? NULL : json_loadb((char *)out, (size_t)len, 0, NULL);
}

TEST(sign_verify_round_trip)
{
	struct jwt_claims c;
	char *t = sign_sample(kr_a), *dot1, *dot2;
	json_t *h, *p;

	memset(&c, 0, sizeof(c));
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW, &c) == ERR_OK);
	CHECK_STREQ(c.sub, sample.sub);
	CHECK_STREQ(c.role, sample.role);
	CHECK_STREQ(c.jti, sample.jti);
	CHECK_STREQ(c.sid, sample.sid);
	CHECK(c.iat == sample.iat && c.nbf == sample.nbf && c.exp == sample.exp);
	/* Exactly the header and payload jwt.h promises. */
	dot1 = strchr(t, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	CHECK(dot2 != NULL && strchr(dot2 + 1, '.') == NULL);
	if (dot2 == NULL) {
		free(t);
		return;
	}
	h = segment_json(t, (size_t)(dot1 - t));
	p = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	CHECK(json_object_size(h) == 3);
	CHECK_STREQ(json_string_value(json_object_get(h, "alg")), "ES256");
	CHECK_STREQ(json_string_value(json_object_get(h, "typ")), "JWT");
	CHECK_STREQ(json_string_value(json_object_get(h, "kid")), kid_a);
	CHECK(json_object_size(p) == 9);
	CHECK_STREQ(json_string_value(json_object_get(p, "iss")), ISS);
	CHECK_STREQ(json_string_value(json_object_get(p, "aud")), AUD);
	CHECK(json_integer_value(json_object_get(p, "exp")) == NOW + JWT_TTL_MAX);
	json_decref(h);
	json_decref(p);
	/* The same token at other times, and for another iss or aud. */
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW + JWT_TTL_MAX - 1, &c) == ERR_OK);
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW + JWT_TTL_MAX, &c) == ERR_INVALID);
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW - JWT_LEEWAY, &c) == ERR_OK);
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW - JWT_LEEWAY - 1, &c) == ERR_INVALID);
	CHECK(jwt_verify(kr_a, "https://other.example", AUD, t, NOW, &c) == ERR_INVALID);
	CHECK(jwt_verify(kr_a, ISS, "other-api", t, NOW, &c) == ERR_INVALID);
	free(t);
}

/* Issue 20 item 7: what a relying page gates on travels in the token,
 * and comes back out of it; each is optional, but well-formed. */
TEST(relying_page_claims)
{
	struct jwt_claims c = sample, out;
	char *t = NULL, *dot1, *dot2;
	json_t *p;

	snprintf(c.hcp_status, sizeof(c.hcp_status), "verified");
	snprintf(c.profession, sizeof(c.profession), "physician");
	snprintf(c.country, sizeof(c.country), "US");
	c.auth_time = NOW - 3600;
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_OK);
	if (t == NULL)
		return;
	memset(&out, 0, sizeof(out));
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW, &out) == ERR_OK);
	CHECK_STREQ(out.hcp_status, "verified");
	CHECK_STREQ(out.profession, "physician");
	CHECK_STREQ(out.country, "US");
	CHECK(out.auth_time == NOW - 3600);
	dot1 = strchr(t, '.');
	dot2 = strchr(dot1 + 1, '.');
	p = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	CHECK(json_object_size(p) == 13);
	CHECK(json_integer_value(json_object_get(p, "auth_time")) == NOW - 3600);
	json_decref(p);
	free(t);
	/* a sign-in after the token was issued cannot be */
	c.auth_time = NOW + JWT_LEEWAY + 1;
	t = (char *)"untouched";
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_INVALID);
	/* forged ones */
	CHECK_ACCEPTED(token_with(payload_with("hcp_status", json_string("approved"))));
	CHECK_REJECTED(token_with(payload_with("hcp_status", json_string(""))));
	CHECK_REJECTED(token_with(payload_with("hcp_status", json_integer(1))));
	CHECK_REJECTED(token_with(payload_with("country", json_string("United States"))));
	CHECK_REJECTED(token_with(payload_with("profession", json_null())));
	CHECK_ACCEPTED(token_with(payload_with("auth_time", json_integer(NOW - 60))));
	CHECK_REJECTED(token_with(payload_with("auth_time", json_string("1700000000"))));
	CHECK_REJECTED(token_with(payload_with("auth_time", json_integer(-5))));
	CHECK_REJECTED(token_with(payload_with("auth_time", json_integer(NOW + JWT_LEEWAY + 1))));
}

/* Issue 25 item 5: notice_acceptance_required travels only when true. */
TEST(notice_acceptance_claim)
{
	struct jwt_claims c = sample, out;
	char *t = NULL;

	c.notice_acceptance_required = true;
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_OK);
	memset(&out, 0, sizeof(out));
	CHECK(t != NULL && jwt_verify(kr_a, ISS, AUD, t, NOW, &out) == ERR_OK);
	CHECK(out.notice_acceptance_required);
	free(t);
	c.notice_acceptance_required = false;
	t = NULL;
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_OK);
	memset(&out, 0, sizeof(out));
	CHECK(t != NULL && jwt_verify(kr_a, ISS, AUD, t, NOW, &out) == ERR_OK);
	CHECK(!out.notice_acceptance_required);
	free(t);
	CHECK_ACCEPTED(token_with(payload_with("notice_acceptance_required", json_true())));
	CHECK_REJECTED(token_with(payload_with("notice_acceptance_required", json_false())));
	CHECK_REJECTED(token_with(payload_with("notice_acceptance_required", json_string("yes"))));
}

/* The 64 bytes of token's signature into rs; false when it has not
 * exactly 64. */
static bool sig_of(const char *token, unsigned char rs[64])
{
	const char *dot = strrchr(token, '.');
	unsigned char buf[128];

	if (dot == NULL || b64url_dec(dot + 1, buf, sizeof(buf)) != 64)
		return false;
	memcpy(rs, buf, 64);
	return true;
}

/* malloc'd token with its signature replaced by rs. */
static char *with_sig(const char *token, const unsigned char rs[64])
{
	size_t head = (size_t)(strrchr(token, '.') - token);
	char *s = b64url(rs, 64), *t = malloc(head + strlen(s) + 2);

	if (t == NULL)
		abort();
	sprintf(t, "%.*s.%s", (int)head, token, s);
	free(s);
	return t;
}

/* true when token's r || s signs its "header.payload" under key, as
 * OpenSSL alone sees it (no libjwt, no jwt.c). */
static bool openssl_verifies(const char *token, EVP_PKEY *key)
{
	unsigned char rs[64], *der = NULL;
	size_t head = (size_t)(strrchr(token, '.') - token);
	ECDSA_SIG *es;
	EVP_MD_CTX *ctx;
	BIGNUM *r, *s;
	int der_len;
	bool ok;

	if (!sig_of(token, rs))
		return false;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(rs, 32, NULL);
	s = BN_bin2bn(rs + 32, 32, NULL);
	ctx = EVP_MD_CTX_new();
	if (es == NULL || r == NULL || s == NULL || ctx == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		abort();
	der_len = i2d_ECDSA_SIG(es, &der); /* es owns r and s */
	ok = der_len > 0 && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, der, (size_t)der_len, (const unsigned char *)token, head) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* true when s (bytes 32..63 of rs) is at most n / 2 and r and s are
 * not zero. */
static bool sig_low(const unsigned char rs[64])
{
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	bool low = r != NULL && s != NULL && !BN_is_zero(r) && !BN_is_zero(s) &&
		   BN_cmp(s, half_order) <= 0;

	BN_free(r);
	BN_free(s);
	return low;
}

TEST(signatures_are_fixed_width_and_low)
{
	/* r or s below 2^248 (first byte zero: the DER integer is shorter
	 * than 32 bytes) comes once in about 256 signatures, s above n / 2
	 * once in 2 before it is made low: sign until both short forms were
	 * seen, checking every token. */
	bool short_r = false, short_s = false, all_low = true, all_verify = true;
	unsigned char rs[64];
	int i;

	for (i = 0; i < 20000 && !(short_r && short_s); i++) {
		struct jwt_claims c = sample;
		char *t = NULL;

		snprintf(c.jti, sizeof(c.jti), "jti-%d", i);
		if (jwt_sign(kr_a, ISS, AUD, &c, &t) != ERR_OK || !sig_of(t, rs)) {
			CHECK(!"signed, with a 64-byte signature");
			free(t);
			break;
		}
		all_low = all_low && sig_low(rs);
		all_verify = all_verify && openssl_verifies(t, key_a);
		if ((rs[0] == 0 && !short_r) || (rs[32] == 0 && !short_s)) {
			struct jwt_claims got;

			CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW, &got) == ERR_OK);
			CHECK_STREQ(got.jti, c.jti);
			short_r = short_r || rs[0] == 0;
			short_s = short_s || rs[32] == 0;
		}
		free(t);
	}
	CHECK(short_r && short_s);
	CHECK(all_low);
	CHECK(all_verify);
}

TEST(high_s_refused)
{
	char *good = sign_sample(kr_a), *t;
	unsigned char rs[64], bad[64];
	struct jwt_claims c;

	CHECK(sig_of(good, rs) && sig_low(rs));
	/* n - s: as good a signature to ECDSA (OpenSSL accepts it), the
	 * same claims spelt a second way; jwt_verify refuses it. */
	memcpy(bad, rs, 64);
	s_flip(bad, 1);
	t = with_sig(good, bad);
	CHECK(!sig_low(bad) && openssl_verifies(t, key_a));
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW, &c) == ERR_INVALID);
	free(t);
	CHECK(jwt_verify(kr_a, ISS, AUD, good, NOW, &c) == ERR_OK);
	/* r or s zero, r at or above n, s at n / 2 + 1 or at n. */
	for (int k = 0; k < 6; k++) {
		memcpy(bad, rs, 64);
		if (k == 0)
			memset(bad, 0, 32);
		else if (k == 1)
			memset(bad + 32, 0, 32);
		else if (k == 2)
			BN_bn2binpad(order, bad, 32);
		else if (k == 3)
			memset(bad, 0xff, 32);
		else if (k == 4)
			BN_bn2binpad(order, bad + 32, 32);
		else {
			BIGNUM *s = BN_dup(half_order);

			if (s == NULL || BN_add_word(s, 1) != 1)
				abort();
			BN_bn2binpad(s, bad + 32, 32);
			BN_free(s);
		}
		CHECK_REJECTED(with_sig(good, bad));
	}
	free(good);
}

struct signer_run {
	int signed_ok, verified;
};

static void *sign_many(void *arg)
{
	struct signer_run *run = arg;

	for (int i = 0; i < 200; i++) {
		char *t = NULL;

		if (jwt_sign(kr_a, ISS, AUD, &sample, &t) == ERR_OK) {
			run->signed_ok++;
			run->verified += openssl_verifies(t, key_a);
		}
		free(t);
	}
	return NULL;
}

TEST(signing_from_many_threads)
{
	/* One keyring, one EVP_PKEY, signing from several threads at once
	 * (the HTTP server's): every signature good. */
	pthread_t th[4];
	struct signer_run runs[4];
	int i;

	memset(runs, 0, sizeof(runs));
	for (i = 0; i < 4; i++)
		if (pthread_create(&th[i], NULL, sign_many, &runs[i]) != 0)
			abort();
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(runs[i].signed_ok == 200 && runs[i].verified == 200);
	}
}

TEST(verify_failure_leaves_claims)
{
	struct jwt_claims c, before;
	char *t = sign_sample(kr_a);

	memset(&c, 0x5a, sizeof(c));
	before = c;
	CHECK(jwt_verify(kr_a, ISS, AUD, t, NOW + 100000, &c) == ERR_INVALID);
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);
	CHECK(jwt_verify(kr_a, ISS, AUD, "x", NOW, &c) == ERR_INVALID);
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);
	free(t);
}

TEST(sign_refuses_bad_claims)
{
	struct jwt_claims c = sample;
	char *t = (char *)"untouched";

	c.sub[0] = '\0';
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_INVALID);
	c = sample;
	memset(c.jti, 'j', sizeof(c.jti)); /* not terminated */
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_INVALID);
	c = sample;
	c.exp = c.iat + JWT_TTL_MAX + 1;
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_INVALID);
	c.exp = c.iat;
	CHECK(jwt_sign(kr_a, ISS, AUD, &c, &t) == ERR_INVALID);
	CHECK_STREQ(t, "untouched");
}

TEST(jwks)
{
	size_t len = 0, i;
	const char *text = jwt_jwks(kr_ba, &len);
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *keys, *k;
	EVP_PKEY *expect[2] = {key_b, key_a};
	const char *kids[2] = {kid_b, kid_a};

	CHECK(text != NULL && len == strlen(text));
	CHECK(strchr(text, ' ') == NULL && strchr(text, '\n') == NULL); /* compact */
	keys = json_object_get(doc, "keys");
	CHECK(json_object_size(doc) == 1 && json_array_size(keys) == 2);
	json_array_foreach (keys, i, k) {
		unsigned char x[64], y[64], want[32];
		BIGNUM *bn = NULL;

		if (i >= 2)
			break;
		CHECK(json_object_size(k) == 7);
		CHECK_STREQ(json_string_value(json_object_get(k, "kty")), "EC");
		CHECK_STREQ(json_string_value(json_object_get(k, "crv")), "P-256");
		CHECK_STREQ(json_string_value(json_object_get(k, "alg")), "ES256");
		CHECK_STREQ(json_string_value(json_object_get(k, "use")), "sig");
		CHECK_STREQ(json_string_value(json_object_get(k, "kid")), kids[i]);
		CHECK(strlen(json_string_value(json_object_get(k, "x"))) == 43);
		CHECK(b64url_dec(json_string_value(json_object_get(k, "x")), x, sizeof(x)) == 32);
		CHECK(b64url_dec(json_string_value(json_object_get(k, "y")), y, sizeof(y)) == 32);
		CHECK(EVP_PKEY_get_bn_param(expect[i], OSSL_PKEY_PARAM_EC_PUB_X, &bn) == 1 &&
		      BN_bn2binpad(bn, want, 32) == 32 && memcmp(x, want, 32) == 0);
		BN_free(bn);
		bn = NULL;
		CHECK(EVP_PKEY_get_bn_param(expect[i], OSSL_PKEY_PARAM_EC_PUB_Y, &bn) == 1 &&
		      BN_bn2binpad(bn, want, 32) == 32 && memcmp(y, want, 32) == 0);
		BN_free(bn);
	}
	json_decref(doc);
	/* One key, one entry. */
	doc = json_loads(jwt_jwks(kr_a, NULL), 0, NULL);
	CHECK(json_array_size(json_object_get(doc, "keys")) == 1);
	json_decref(doc);
}

TEST(rotation)
{
	struct jwt_claims c;
	char *old = sign_sample(kr_a), *cur = sign_sample(kr_ba), *b = sign_sample(kr_b);
	json_t *h;

	/* Signed by a before the rotation: still good with b current. */
	CHECK(jwt_verify(kr_ba, ISS, AUD, old, NOW, &c) == ERR_OK);
	CHECK_STREQ(c.sub, sample.sub);
	/* New tokens use b, and a keyring with only a does not know them. */
	h = segment_json(cur, (size_t)(strchr(cur, '.') - cur));
	CHECK_STREQ(json_string_value(json_object_get(h, "kid")), kid_b);
	json_decref(h);
	CHECK(jwt_verify(kr_ba, ISS, AUD, cur, NOW, &c) == ERR_OK);
	CHECK(jwt_verify(kr_ba, ISS, AUD, b, NOW, &c) == ERR_OK);
	CHECK(jwt_verify(kr_a, ISS, AUD, cur, NOW, &c) == ERR_INVALID);
	/* Once a is dropped its tokens stop verifying. */
	CHECK(jwt_verify(kr_b, ISS, AUD, old, NOW, &c) == ERR_INVALID);
	free(old);
	free(cur);
	free(b);
}

TEST(unknown_key)
{
	char h[100];
	json_t *p = good_payload();
	char *body = json_dumps(p, JSON_COMPACT);

	CHECK_REJECTED(sign_sample(kr_b));
	/* Key c is not in the keyring, whichever kid it claims. */
	CHECK_REJECTED(craft("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", body, key_c, NULL));
	snprintf(h, sizeof(h), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid_a);
	CHECK_REJECTED(craft(h, body, key_c, NULL));
	/* Key b's signature under a's kid. */
	CHECK_REJECTED(craft(h, body, key_b, NULL));
	/* The control: the same token signed with a is accepted. */
	CHECK_ACCEPTED(craft(h, body, key_a, NULL));
	free(body);
	json_decref(p);
}

static enum err load_err(const char *current, const char *previous, char *why, size_t why_len)
{
	struct jwt_keyring *kr = (struct jwt_keyring *)&kr; /* must stay untouched */
	enum err err = jwt_keyring_load(current, previous, &kr, why, why_len);

	CHECK(kr == (struct jwt_keyring *)&kr);
	return err;
}

TEST(keyring_load_errors)
{
	char why[256], prev[80];
	struct jwt_keyring *kr = NULL;

	why[0] = '\0';
	CHECK(load_err(path_p384, NULL, why, sizeof(why)) != ERR_OK);
	CHECK(strstr(why, path_p384) != NULL);
	CHECK(load_err(path_rsa, NULL, why, sizeof(why)) != ERR_OK);
	CHECK(strstr(why, path_rsa) != NULL);
	CHECK(load_err(path_junk, NULL, why, sizeof(why)) != ERR_OK);
	CHECK(load_err("/nonexistent/hcpd-jwt.pem", NULL, why, sizeof(why)) == ERR_IO);
	/* The current key must be private. */
	CHECK(load_err(path_a_pub, NULL, why, sizeof(why)) != ERR_OK);
	/* Previous keys must be P-256 too, and exist. */
	CHECK(load_err(path_a, path_p384, why, sizeof(why)) != ERR_OK);
	CHECK(strstr(why, path_p384) != NULL);
	CHECK(load_err(path_a, path_rsa, NULL, 0) != ERR_OK);
	snprintf(prev, sizeof(prev), "%s:/nonexistent/x.pem", path_b);
	CHECK(load_err(path_a, prev, why, sizeof(why)) == ERR_IO);
	/* The same key twice, as private or public PEM. */
	CHECK(load_err(path_a, path_a, why, sizeof(why)) == ERR_CONFLICT);
	CHECK(load_err(path_a, path_a_pub, why, sizeof(why)) == ERR_CONFLICT);
	snprintf(prev, sizeof(prev), "%s:%s", path_b, path_b);
	CHECK(load_err(path_a, prev, why, sizeof(why)) == ERR_CONFLICT);
	snprintf(prev, sizeof(prev), "%s:%s", path_b, path_a_pub);
	CHECK(load_err(path_a, prev, why, sizeof(why)) == ERR_CONFLICT);
	/* An encrypted key fails at once rather than prompting for a
	 * passphrase on the terminal. */
	CHECK(load_err(path_enc, NULL, why, sizeof(why)) == ERR_INVALID);
	/* A previous key may be private; the current key may be in the
	 * traditional "EC PRIVATE KEY" form, and its kid does not change. */
	CHECK(jwt_keyring_load(path_a_trad, path_b, &kr, why, sizeof(why)) == ERR_OK);
	if (kr != NULL) {
		json_t *doc = json_loads(jwt_jwks(kr, NULL), 0, NULL);
		json_t *keys = json_object_get(doc, "keys");

		CHECK_STREQ(json_string_value(json_object_get(json_array_get(keys, 0), "kid")),
			    kid_a);
		CHECK_STREQ(json_string_value(json_object_get(json_array_get(keys, 1), "kid")),
			    kid_b);
		json_decref(doc);
	}
	jwt_keyring_free(kr);
	jwt_keyring_free(NULL);
}

TEST(crafted_control)
{
	/* Proves craft() makes tokens jwt_verify accepts, so each rejection
	 * below is down to the one thing changed. */
	json_t *p;

	CHECK_ACCEPTED(token_with(good_payload()));
	CHECK_ACCEPTED(token_header("{\"alg\":\"ES256\",\"kid\":\"%s\"}", key_a, NULL));
	CHECK_ACCEPTED(token_header("{\"kid\":\"%s\",\"alg\":\"ES256\"}", key_a, NULL));
	p = payload_with("aud", json_pack("[s,s]", "other-api", AUD));
	CHECK_ACCEPTED(token_with(p));
	CHECK_ACCEPTED(token_with(payload_with("iat", json_integer(NOW + JWT_LEEWAY))));
	CHECK_ACCEPTED(token_with(payload_with("nbf", json_integer(NOW + JWT_LEEWAY))));
	/* Unknown payload claims are ignored. */
	CHECK_ACCEPTED(token_with(payload_with("extra", json_string("x"))));
	p = payload_with("sub", json_string("0123456789012345678901234567890123456789012345678901"
					    "23456789012")); /* 63 characters */
	CHECK_ACCEPTED(token_with(p));
}

/* A token with header fmt, signed HS256 with key a's public PEM text as
 * the secret: the classic algorithm-confusion forgery. */
static char *hs256_token(const char *fmt)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *t = token_header(fmt, NULL, ""), *pem, *s, *out;
	unsigned char mac[32];
	unsigned int mac_len = 0;
	long n;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, key_a) != 1)
		abort();
	n = BIO_get_mem_data(bio, &pem);
	*strrchr(t, '.') = '\0'; /* "h.p." to "h.p" */
	if (HMAC(EVP_sha256(), pem, (int)n, (unsigned char *)t, strlen(t), mac, &mac_len) == NULL)
		abort();
	s = b64url(mac, mac_len);
	out = join3(t, s, "");
	out[strlen(out) - 1] = '\0'; /* "h.p.s." to "h.p.s" */
	free(s);
	free(t);
	BIO_free(bio);
	return out;
}

TEST(forged_headers)
{
	char sig[400];

	/* alg "none" with an empty signature, with and without a kid. */
	CHECK_REJECTED(token_header("{\"alg\":\"none\",\"typ\":\"JWT\"}", NULL, ""));
	CHECK_REJECTED(token_header("{\"alg\":\"none\",\"kid\":\"%s\"}", NULL, ""));
	CHECK_REJECTED(token_header("{\"alg\":\"none\",\"kid\":\"%s\"}", key_a, NULL));
	/* HS256 keyed with the public key's PEM text: plain libjwt 1.10
	 * accepts this when handed the public key, as jwt_verify does. */
	CHECK_REJECTED(hs256_token("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}"));
	CHECK_REJECTED(hs256_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
	/* Other algorithms, or ES256 spelt another way. */
	CHECK_REJECTED(
		token_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", key_a, NULL));
	memset(sig, 'A', 342); /* a 256-byte RSA-sized signature */
	sig[342] = '\0';
	CHECK_REJECTED(token_header("{\"alg\":\"RS256\",\"kid\":\"%s\"}", NULL, sig));
	CHECK_REJECTED(token_header("{\"alg\":\"ES384\",\"kid\":\"%s\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"es256\",\"kid\":\"%s\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":[\"ES256\"],\"kid\":\"%s\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"typ\":\"JWT\",\"kid\":\"%s\"}", key_a, NULL));
	/* Duplicate members: whichever one a parser keeps, refused. */
	CHECK_REJECTED(
		token_header("{\"alg\":\"ES256\",\"alg\":\"none\",\"kid\":\"%s\"}", key_a, NULL));
	CHECK_REJECTED(
		token_header("{\"alg\":\"none\",\"alg\":\"ES256\",\"kid\":\"%s\"}", key_a, NULL));
	/* kid unknown, missing, not a string. */
	CHECK_REJECTED(
		token_header("{\"alg\":\"ES256\",\"kid\":\"AAAAAAAAAAAAAAAA\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":\"\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":123}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":null}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":[\"%s\"]}", key_a, NULL));
	/* typ other than "JWT". */
	CHECK_REJECTED(
		token_header("{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"typ\":1,\"kid\":\"%s\"}", key_a, NULL));
	/* Members asking for processing jwt.c does not do. */
	CHECK_REJECTED(
		token_header("{\"alg\":\"ES256\",\"kid\":\"%s\",\"crit\":[\"exp\"]}", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":\"%s\",\"jku\":\"https://x/\"}",
				    key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":\"%s\",\"x5u\":\"https://x/\"}",
				    key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":\"%s\",\"jwk\":{}}", key_a, NULL));
	/* Headers that are not a JSON object. */
	CHECK_REJECTED(token_header("not json", key_a, NULL));
	CHECK_REJECTED(token_header("[\"ES256\",\"%s\"]", key_a, NULL));
	CHECK_REJECTED(token_header("\"ES256\"", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":\"%s\"} x", key_a, NULL));
	CHECK_REJECTED(token_header("{\"alg\":\"ES256\",\"kid\":\"%s\"", key_a, NULL));
}

TEST(forged_claims)
{
	static const char *const required[] = {"iss", "aud", "sub", "role", "jti",
					       "sid", "iat", "nbf", "exp"};
	json_t *p;
	size_t i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		CHECK_REJECTED(token_with(payload_with(required[i], NULL)));
	/* Times. */
	p = payload_with("exp", json_integer(NOW - 1));
	json_object_set_new(p, "iat", json_integer(NOW - 600));
	json_object_set_new(p, "nbf", json_integer(NOW - 600));
	CHECK_REJECTED(token_with(p));
	CHECK_REJECTED(token_with(payload_with("exp", json_integer(NOW))));
	p = payload_with("nbf", json_integer(NOW + 3600));
	CHECK_REJECTED(token_with(p));
	CHECK_REJECTED(token_with(payload_with("nbf", json_integer(NOW + JWT_LEEWAY + 1))));
	CHECK_REJECTED(token_with(payload_with("iat", json_integer(NOW + JWT_LEEWAY + 1))));
	CHECK_REJECTED(token_with(payload_with("exp", json_integer(NOW + JWT_TTL_MAX + 1))));
	CHECK_REJECTED(token_with(payload_with("iat", json_integer(-1))));
	/* Times of the wrong JSON type. */
	CHECK_REJECTED(token_with(payload_with("exp", json_string("1700000600"))));
	CHECK_REJECTED(token_with(payload_with("exp", json_real((double)NOW + 600))));
	CHECK_REJECTED(token_with(payload_with("iat", json_string("1700000000"))));
	CHECK_REJECTED(token_with(payload_with("nbf", json_true())));
	CHECK_REJECTED(token_with(payload_with("exp", json_null())));
	/* iss and aud. */
	CHECK_REJECTED(token_with(payload_with("iss", json_string("https://evil.example"))));
	CHECK_REJECTED(token_with(payload_with("iss", json_pack("[s]", ISS))));
	CHECK_REJECTED(token_with(payload_with("aud", json_string("other-api"))));
	CHECK_REJECTED(token_with(payload_with("aud", json_pack("[s]", "other-api"))));
	CHECK_REJECTED(token_with(payload_with("aud", json_pack("[s,i]", AUD, 1))));
	CHECK_REJECTED(token_with(payload_with("aud", json_array())));
	CHECK_REJECTED(token_with(payload_with("aud", json_integer(1))));
	/* Identifiers: empty, too long, not strings. */
	CHECK_REJECTED(token_with(payload_with("sub", json_string(""))));
	p = payload_with("sub", json_string("0123456789012345678901234567890123456789012345678901"
					    "234567890123")); /* 64 characters */
	CHECK_REJECTED(token_with(p));
	CHECK_REJECTED(token_with(payload_with("role", json_string("professional1234"))));
	CHECK_REJECTED(token_with(payload_with("jti", json_integer(7))));
	CHECK_REJECTED(token_with(payload_with("sid", json_null())));
	/* A payload that is not an object. */
	{
		char *h = good_header();

		CHECK_REJECTED(craft(h, "[1,2]", key_a, NULL));
		CHECK_REJECTED(craft(h, "not json", key_a, NULL));
		free(h);
	}
}

/* c, one place further along the base64url alphabet's pairs: the lowest
 * of its six bits flipped. */
static char flip(char c)
{
	return b64url_chars[(strchr(b64url_chars, c) - b64url_chars) ^ 1];
}

TEST(damaged_tokens)
{
	char *good = token_with(good_payload()), *t, *dot1, *dot2, *big;
	size_t len = strlen(good), i;

	dot1 = strchr(good, '.');
	dot2 = strchr(dot1 + 1, '.');
	/* A bit flipped at either end of the signature, in the payload, in
	 * the header. */
	t = strdup(good);
	t[dot2 - good + 1] = flip(t[dot2 - good + 1]);
	CHECK_REJECTED(t);
	t = strdup(good);
	t[len - 10] = flip(t[len - 10]);
	CHECK_REJECTED(t);
	t = strdup(good);
	t[dot1 - good + 20] = flip(t[dot1 - good + 20]);
	CHECK_REJECTED(t);
	t = strdup(good);
	t[10] = flip(t[10]);
	CHECK_REJECTED(t);
	/* Segments: four, two, one, empty ones. */
	t = malloc(len + 6);
	sprintf(t, "%s.AAAA", good);
	CHECK_REJECTED(t);
	t = strndup(good, (size_t)(dot2 - good));
	CHECK_REJECTED(t);
	t = strndup(good, (size_t)(dot1 - good));
	CHECK_REJECTED(t);
	CHECK_REJECTED(strdup(""));
	CHECK_REJECTED(strdup(".."));
	CHECK_REJECTED(strdup("..."));
	t = strndup(good, (size_t)(dot2 - good + 1)); /* empty signature */
	CHECK_REJECTED(t);
	t = malloc(len + 1);
	sprintf(t, "%.*s.%s", (int)(dot1 - good), good, dot2); /* empty payload */
	CHECK_REJECTED(t);
	CHECK_REJECTED(strdup(dot1)); /* empty header */
	/* Characters outside base64url, and padding. */
	for (i = 0; i < 5; i++) {
		static const char bad[] = "+/* =";
		size_t at[3] = {5, (size_t)(dot1 - good) + 5, len - 5};
		size_t j;

		for (j = 0; j < 3; j++) {
			t = strdup(good);
			t[at[j]] = bad[i];
			CHECK_REJECTED(t);
		}
	}
	t = malloc(len + 3);
	sprintf(t, "%.*s=%s", (int)(dot1 - good), good, dot1);
	CHECK_REJECTED(t);
	t = malloc(len + 3);
	sprintf(t, "%s==", good);
	CHECK_REJECTED(t);
	/* A signature a little too long or too short. */
	t = malloc(len + 3);
	sprintf(t, "%sAA", good);
	CHECK_REJECTED(t);
	t = strndup(good, len - 3);
	CHECK_REJECTED(t);
	/* A valid header padded with JSON whitespace: 2 KiB is accepted, so
	 * an 8 KiB one fails on the length cap alone. */
	big = malloc(9000);
	for (i = 0; i < 2; i++) {
		size_t pad = i == 0 ? 2048 : 8192;
		json_t *p = good_payload();
		char *body = json_dumps(p, JSON_COMPACT);

		memset(big, ' ', pad);
		snprintf(big + pad, 9000 - pad, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid_a);
		t = craft(big, body, key_a, NULL);
		CHECK(verify_a(t) == (i == 0 ? ERR_OK : ERR_INVALID));
		CHECK(i == 0 || strlen(t) > JWT_TOKEN_MAX);
		free(t);
		free(body);
		json_decref(p);
	}
	free(big);
	free(good);
}

int main(void)
{
	setup();
	RUN(sign_verify_round_trip);
	RUN(relying_page_claims);
	RUN(notice_acceptance_claim);
	RUN(signatures_are_fixed_width_and_low);
	RUN(high_s_refused);
	RUN(signing_from_many_threads);
	RUN(verify_failure_leaves_claims);
	RUN(sign_refuses_bad_claims);
	RUN(jwks);
	RUN(rotation);
	RUN(unknown_key);
	RUN(keyring_load_errors);
	RUN(crafted_control);
	RUN(forged_headers);
	RUN(forged_claims);
	RUN(damaged_tokens);
	teardown();
	return harness_done();
}
