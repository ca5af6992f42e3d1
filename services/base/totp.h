/*
 * totp.h - time-based one-time passwords (RFC 6238 over RFC 4226's HOTP):
 * HMAC-SHA-1, 30-second steps from the Unix epoch, 6 digits, a code
 * accepted for the step before and after the current one (clock skew),
 * each step at most once. On OpenSSL's HMAC - the primitive hcpd already
 * trusts for every other MAC - rather than a second crypto library;
 * checked against RFC 6238 Appendix B's SHA-1 vectors
 * (tests/unit/test_totp.c). Also the base32 of RFC 4648 authenticator
 * apps take the secret in, the otpauth:// URI (Google Authenticator's
 * "Key Uri Format", which the apps read from a QR code) and how a
 * sign-in decides which factor it still needs. Pure.
 */
#ifndef HCPD_TOTP_H
#define HCPD_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20 /* bytes: RFC 4226 recommends 160 bits */
#define TOTP_STEP       30 /* seconds */
#define TOTP_DIGITS     6
#define TOTP_SKEW       1  /* steps accepted either side of now */
#define TOTP_B32_MAX    64 /* base32 of a secret, with its NUL */

/* The code of counter step (the HOTP value, digits long, zero-padded)
 * into out (digits + 1 bytes). digits is 6 to 8. */
void totp_code(const unsigned char *secret, size_t len, uint64_t step, int digits, char *out);

/* The time step of now (seconds since the epoch). */
uint64_t totp_step(long long now);

/* Does code (6 digits) match secret at now, for a step later than
 * last_step (a step a code was accepted for already is refused: no
 * replay)? *ret_step is then the step it matched. Compares in constant
 * time. */
bool totp_verify(const unsigned char *secret, size_t len, long long now, const char *code,
		 uint64_t last_step, uint64_t *ret_step);

/* RFC 4648 base32 of len bytes, no padding, into out (out_len bytes);
 * false when it does not fit. */
bool totp_base32(const unsigned char *in, size_t len, char *out, size_t out_len);

/* What a sign-in still needs beyond the password, decided before and
 * apart from checking it (so the answer never says whether the password
 * was right): */
enum totp_factor {
	FACTOR_NONE,    /* a professional, or staff without a factor who need none */
	FACTOR_MISSING, /* staff with a confirmed factor and no code sent: 401 that says so */
	FACTOR_CHECK,   /* a code (or recovery code) was sent: check it after the password */
	FACTOR_ENROL,   /* staff who must enrol first (required by the setting): an enrolling
			   session, good for the enrolment routes only */
};

/* The factor of a sign-in by an account that is_staff, has a confirmed
 * factor or not (enrolled), under the setting required
 * (HCPD_ADMIN_TOTP_REQUIRED), with a code sent or not. */
enum totp_factor totp_factor(bool is_staff, bool enrolled, bool required, bool code_sent);

#endif
