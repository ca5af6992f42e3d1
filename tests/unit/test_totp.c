/*
 * test_totp.c - TOTP (services/base/totp.c) against RFC 6238 Appendix B's
 * SHA-1 test vectors, the skew window and replay rule, base32 against
 * RFC 4648's vectors, and the sign-in factor decision for every case.
 */
#include "harness.h"
#include "totp.h"

/* RFC 6238 Appendix B: the SHA-1 rows (seed "12345678901234567890"). */
static const struct {
	long long time;
	const char *code;
} vectors[] = {
	{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
	{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"},
};

static const unsigned char seed[] = "12345678901234567890";

TEST(rfc6238_sha1_vectors)
{
	char out[9];

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		totp_code(seed, 20, totp_step(vectors[i].time), 8, out);
		CHECK_STREQ(out, vectors[i].code);
		/* six digits: the last six of the same value */
		totp_code(seed, 20, totp_step(vectors[i].time), 6, out);
		CHECK_STREQ(out, vectors[i].code + 2);
	}
}

TEST(window_and_replay)
{
	char now_code[7], before[7], after[7], far[7];
	long long now = 1111111111;
	uint64_t step = totp_step(now), got = 0;

	totp_code(seed, 20, step, 6, now_code);
	totp_code(seed, 20, step - 1, 6, before);
	totp_code(seed, 20, step + 1, 6, after);
	totp_code(seed, 20, step - 2, 6, far);
	CHECK(totp_verify(seed, 20, now, now_code, 0, &got) && got == step);
	CHECK(totp_verify(seed, 20, now, before, 0, &got) && got == step - 1);
	CHECK(totp_verify(seed, 20, now, after, 0, &got) && got == step + 1);
	CHECK(!totp_verify(seed, 20, now, far, 0, &got));
	/* the same step again: refused */
	CHECK(!totp_verify(seed, 20, now, now_code, step, &got));
	CHECK(!totp_verify(seed, 20, now, before, step - 1, &got));
	CHECK(totp_verify(seed, 20, now, after, step, &got) && got == step + 1);
	CHECK(!totp_verify(seed, 20, now, "12345", 0, &got));
	CHECK(!totp_verify(seed, 20, now, "12345a", 0, &got));
	CHECK(!totp_verify(seed, 20, now, NULL, 0, &got));
}

TEST(base32)
{
	char out[40];

	CHECK(totp_base32((const unsigned char *)"foobar", 6, out, sizeof(out)));
	CHECK_STREQ(out, "MZXW6YTBOI"); /* RFC 4648 10: "MZXW6YTBOI======" unpadded */
	CHECK(totp_base32((const unsigned char *)"f", 1, out, sizeof(out)));
	CHECK_STREQ(out, "MY");
	CHECK(totp_base32(seed, 20, out, sizeof(out)));
	CHECK_STREQ(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	CHECK(!totp_base32(seed, 20, out, 32));
}

TEST(factor_decision)
{
	CHECK(totp_factor(false, false, true, true) == FACTOR_NONE);
	CHECK(totp_factor(false, true, true, false) == FACTOR_NONE);
	CHECK(totp_factor(true, true, false, false) == FACTOR_MISSING);
	CHECK(totp_factor(true, true, true, false) == FACTOR_MISSING);
	CHECK(totp_factor(true, true, false, true) == FACTOR_CHECK);
	CHECK(totp_factor(true, false, false, false) == FACTOR_NONE);
	CHECK(totp_factor(true, false, false, true) == FACTOR_NONE);
	CHECK(totp_factor(true, false, true, false) == FACTOR_ENROL);
	CHECK(totp_factor(true, false, true, true) == FACTOR_ENROL);
}

int main(void)
{
	RUN(rfc6238_sha1_vectors);
	RUN(window_and_replay);
	RUN(base32);
	RUN(factor_decision);
	return harness_done();
}
