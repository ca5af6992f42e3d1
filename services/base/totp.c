/*
 * totp.c - RFC 6238 TOTP, base32 and the sign-in factor decision (see
 * totp.h). Holds no state; secrets are borrowed and the HMAC is wiped.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "totp.h"

void totp_code(const unsigned char *secret, size_t len, uint64_t step, int digits, char *out)
{
	static const uint32_t mod[] = {1000000, 10000000, 100000000};
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	uint32_t bin;
	int off;

	for (int i = 7; i >= 0; i--, step >>= 8)
		msg[i] = (unsigned char)(step & 0xff);
	HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), mac, &mac_len);
	/* RFC 4226 5.3: dynamic truncation */
	off = mac[mac_len - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	snprintf(out, (size_t)digits + 1, "%0*u", digits, (unsigned)(bin % mod[digits - 6]));
	OPENSSL_cleanse(mac, sizeof(mac));
}

uint64_t totp_step(long long now)
{
	return now > 0 ? (uint64_t)now / TOTP_STEP : 0;
}

bool totp_verify(const unsigned char *secret, size_t len, long long now, const char *code,
		 uint64_t last_step, uint64_t *ret_step)
{
	uint64_t step = totp_step(now);
	char want[TOTP_DIGITS + 1];
	bool found = false;
	uint64_t match = 0;

	if (code == NULL || strlen(code) != TOTP_DIGITS ||
	    strspn(code, "0123456789") != TOTP_DIGITS)
		return false;
	/* every candidate is computed and compared, so the time taken does
	 * not say which step matched */
	for (uint64_t s = step - TOTP_SKEW; s <= step + TOTP_SKEW; s++) {
		totp_code(secret, len, s, TOTP_DIGITS, want);
		if (CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0 && s > last_step && !found) {
			found = true;
			match = s;
		}
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (found)
		*ret_step = match;
	return found;
}

bool totp_base32(const unsigned char *in, size_t len, char *out, size_t out_len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t n = 0, bits = 0;
	unsigned buffer = 0;

	for (size_t i = 0; i < len; i++) {
		buffer = (buffer << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			if (n + 1 >= out_len)
				return false;
			out[n++] = alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) {
		if (n + 1 >= out_len)
			return false;
		out[n++] = alphabet[(buffer << (5 - bits)) & 31];
	}
	out[n] = '\0';
	return true;
}

enum totp_factor totp_factor(bool is_staff, bool enrolled, bool required, bool code_sent)
{
	if (!is_staff)
		return FACTOR_NONE;
	if (enrolled)
		return code_sent ? FACTOR_CHECK : FACTOR_MISSING;
	return required ? FACTOR_ENROL : FACTOR_NONE;
}
