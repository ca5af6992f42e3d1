/*
 * jwtkeys.h - ES256 access tokens (jwt.c; named apart from libjwt's <jwt.h>) and the keyring that
 * signs and checks them.
 *
 * Tokens are signed here with OpenSSL on the key parsed at load (not
 * through libjwt, which would parse the PEM again for each token), the
 * signature as JOSE's r || s with s <= n/2. libjwt 1.10 takes the
 * algorithm from the token and checks no claims, so verification never
 * trusts it alone: the header is decoded and checked here first (alg must
 * be exactly the one pinned to its kid; "none", HS*, RS* and unknown kids
 * are refused), and the signature's form (64 bytes, 0 < r < n,
 * 0 < s <= n/2: the high-s twin of a good signature is refused), then
 * libjwt checks the signature with that kid's key, then every claim is
 * checked here; a missing claim fails. A loaded keyring is read-only, so
 * any thread may use it.
 */
#ifndef HCPD_JWTKEYS_H
#define HCPD_JWTKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define JWT_TTL_MAX   900  /* access tokens live at most 15 minutes */
#define JWT_LEEWAY    30   /* seconds of clock skew allowed on iat/nbf */
#define JWT_TOKEN_MAX 4096 /* a longer token is refused before parsing */
#define JWT_ID_MAX    64

struct jwt_keyring;

struct jwt_claims {
	char sub[JWT_ID_MAX];    /* the account id */
	char role[16];           /* "professional" or "admin" */
	char jti[JWT_ID_MAX];    /* this token's id */
	char sid[JWT_ID_MAX];    /* the session it belongs to (for revocation) */
	long long iat, nbf, exp; /* seconds since the epoch */
	/* What a relying page gates on without another call (issue 20); each
	 * optional: "" or 0 is left out of the token, and a token without it
	 * verifies (tokens signed before these claims existed, admins without
	 * a profile). */
	char hcp_status[32]; /* the account's status when the token was issued */
	char profession[64]; /* non-personal catalogue fields of the profile */
	char country[8];
	long long auth_time; /* when the session signed in (kept by refreshes) */
	/* true while the account has not accepted the current privacy notice
	 * (issue 25): the claim is present only when true */
	bool notice_acceptance_required;
};

/* Loads the current signing key (EC P-256 private key, PEM) from
 * current_path, and zero or more previous keys (PEM, private or public)
 * from previous_paths, a colon-separated list (NULL or "" for none); their
 * tokens verify until they expire, new tokens use the current key. Each
 * kid is the first 16 characters of the base64url SHA-256 of the key's DER
 * SubjectPublicKeyInfo. On error why (why_len) names the file. */
enum err jwt_keyring_load(const char *current_path, const char *previous_paths,
			  struct jwt_keyring **ret_keyring, char *why, size_t why_len);

/* Accepts NULL. Wipes private keys. */
void jwt_keyring_free(struct jwt_keyring *kr);

/* Signs claims with the current key: header {"alg":"ES256","kid":...,
 * "typ":"JWT"}, payload iss, aud, sub, role, jti, sid, iat, nbf, exp and,
 * when set, hcp_status, profession, country, auth_time and
 * notice_acceptance_required (only when true) (compact JSON,
 * members sorted), signature r || s with s low. Does not block; any thread
 * may call it at once. *ret_token is malloc'd. ERR_INVALID for claims
 * jwt_verify would refuse, ERR_NOMEM when memory runs out, ERR_CRYPTO when
 * OpenSSL fails. */
enum err jwt_sign(const struct jwt_keyring *kr, const char *iss, const char *aud,
		  const struct jwt_claims *claims, char **ret_token);

/* Checks token as described above, at time now (seconds since the epoch):
 * exp > now, nbf <= now + leeway, iat <= now + leeway, exp - iat <=
 * JWT_TTL_MAX, iss and aud equal (aud may be a string or an array holding
 * it), sub/role/jti/sid non-empty strings that fit; hcp_status,
 * profession and country, when present, non-empty strings that fit, and
 * auth_time, when present, a time no later than iat. ERR_INVALID for any
 * failure (no detail: callers answer one generic 401), except ERR_NOMEM
 * when memory ran out before the token could be judged (callers answer
 * 503: the token may well be good). A token that passed is remembered
 * (by a hash of iss, aud and the token) until it expires, and the same
 * token again is answered from memory with its times checked anew; the
 * session it names is not checked here. Never logs. */
enum err jwt_verify(const struct jwt_keyring *kr, const char *iss, const char *aud,
		    const char *token, long long now, struct jwt_claims *ret_claims);

/* The public keys as a JWKS document {"keys":[{"kty":"EC","crv":"P-256",
 * "x","y","kid","alg":"ES256","use":"sig"}...]}, current key first;
 * compact JSON owned by the keyring. */
const char *jwt_jwks(const struct jwt_keyring *kr, size_t *ret_len);

#endif
