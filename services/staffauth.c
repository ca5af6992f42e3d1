/*
 * staffauth.c - enrolment and checks of staff members' second factor
 * (see staffauth.h). The clear secret lives in this file's stack frames
 * only, wiped before each returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admins.h"
#include "app.h"
#include "crypto.h"
#include "qrsvg.h"
#include "staffauth.h"
#include "totp.h"
#include "vault.h"

#define RECOVERY_LEN 16 /* base32 characters: 80 bits */

/* "%XX" for every byte that is not unreserved (RFC 3986). */
static void url_encode(const char *in, char *out, size_t out_len)
{
	size_t n = 0;

	for (; *in != '\0' && n + 4 < out_len; in++) {
		unsigned char c = (unsigned char)*in;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) != NULL)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, out_len - n, "%%%02X", c);
	}
	out[n] = '\0';
}

/* The enrolment reply: the secret in base32, the URI and its QR code. */
static enum err enrolment_body(const char *issuer, const char *email,
			       const unsigned char secret[TOTP_SECRET_LEN], json_t **ret_body)
{
	char b32[TOTP_B32_MAX], label[800], iss[96], uri[1200];
	char *svg = NULL;
	enum err err;

	totp_base32(secret, TOTP_SECRET_LEN, b32, sizeof(b32));
	url_encode(email, label, sizeof(label));
	url_encode(issuer, iss, sizeof(iss));
	snprintf(uri, sizeof(uri),
		 "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d", iss,
		 label, b32, iss, TOTP_DIGITS, TOTP_STEP);
	err = qrsvg_make(uri, &svg);
	if (err == ERR_OK && (*ret_body = json_pack("{s:s, s:s, s:s}", "secret", b32, "otpauth_uri",
						    uri, "qr_svg", svg)) == NULL)
		err = ERR_NOMEM;
	explicit_bzero(b32, sizeof(b32));
	explicit_bzero(uri, sizeof(uri));
	if (svg != NULL)
		explicit_bzero(svg, strlen(svg));
	free(svg);
	return err;
}

enum err staffauth_enrol(struct app *app, PGconn *conn, const char *id, json_t **ret_body)
{
	struct account_row row = {0};
	unsigned char key[CRYPTO_KEY_LEN], secret[TOTP_SECRET_LEN], *sealed = NULL;
	size_t len = 0;
	char *email = NULL;
	enum err err = db_account_get(conn, id, &row);

	if (err == ERR_OK)
		err = vault_open_profile(app, &row.sealed, key, &email, NULL);
	if (err == ERR_OK)
		err = crypto_random(secret, sizeof(secret));
	if (err == ERR_OK)
		err = vault_seal(key, id, "totp_secret", (const char *)secret, sizeof(secret),
				 &sealed, &len);
	if (err == ERR_OK)
		err = db_totp_begin(conn, id, sealed, len);
	if (err == ERR_OK)
		err = enrolment_body(app->cfg.jwt_issuer, email, secret, ret_body);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(secret, sizeof(secret));
	vault_wipe_free(email);
	free(sealed);
	account_row_release(&row);
	return err;
}

/* id's factor with its secret opened into secret (TOTP_SECRET_LEN). */
static enum err open_secret(struct app *app, PGconn *conn, const char *id, struct staff_totp *t,
			    unsigned char secret[TOTP_SECRET_LEN])
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *clear = NULL;
	size_t len = 0;
	enum err err = vault_account_key_by_id(app, conn, id, key);

	if (err == ERR_OK)
		err = db_totp_get(conn, id, t);
	if (err == ERR_OK)
		err = vault_open(key, id, "totp_secret", t->secret_enc, t->secret_len, &clear,
				 &len);
	if (err == ERR_OK && len != TOTP_SECRET_LEN)
		err = ERR_CRYPTO;
	if (err == ERR_OK)
		memcpy(secret, clear, TOTP_SECRET_LEN);
	if (clear != NULL)
		explicit_bzero(clear, len);
	free(clear);
	explicit_bzero(key, sizeof(key));
	return err;
}

/* A recovery code's stored form: SHA-256 of it upper-cased, without
 * hyphens or spaces (as typed from the list, "ABCD-EFGH-...", or not). */
static void recovery_hash(const char *code, unsigned char ret[32])
{
	char norm[64];
	size_t n = 0;

	for (; *code != '\0' && n + 1 < sizeof(norm); code++)
		if (*code != '-' && *code != ' ')
			norm[n++] = (char)(*code >= 'a' && *code <= 'z' ? *code - 32 : *code);
	crypto_sha256(norm, n, ret);
	explicit_bzero(norm, sizeof(norm));
}

/* n new recovery codes: into codes (as shown, "XXXX-XXXX-XXXX-XXXX") and
 * their hashes. */
static enum err recovery_codes(json_t *codes, unsigned char (*hashes)[32], size_t n)
{
	enum err err = ERR_OK;

	for (size_t i = 0; err == ERR_OK && i < n; i++) {
		unsigned char raw[10];
		char b32[TOTP_B32_MAX], shown[24];

		err = crypto_random(raw, sizeof(raw));
		if (err != ERR_OK)
			break;
		totp_base32(raw, sizeof(raw), b32, sizeof(b32));
		snprintf(shown, sizeof(shown), "%.4s-%.4s-%.4s-%.4s", b32, b32 + 4, b32 + 8,
			 b32 + 12);
		recovery_hash(shown, hashes[i]);
		if (json_array_append_new(codes, json_string(shown)) != 0)
			err = ERR_NOMEM;
		explicit_bzero(raw, sizeof(raw));
		explicit_bzero(b32, sizeof(b32));
		explicit_bzero(shown, sizeof(shown));
	}
	return err;
}

enum err staffauth_confirm(struct app *app, PGconn *conn, const char *id, const char *code,
			   const char *request_id, json_t **ret_body)
{
	struct staff_totp t = {0};
	unsigned char secret[TOTP_SECRET_LEN], hashes[STAFF_RECOVERY_CODES][32];
	json_t *codes = json_array();
	uint64_t step = 0;
	enum err err = codes != NULL ? open_secret(app, conn, id, &t, secret) : ERR_NOMEM;

	if (err == ERR_NOT_FOUND || (err == ERR_OK && t.confirmed))
		err = ERR_CONFLICT;
	if (err == ERR_OK &&
	    !totp_verify(secret, sizeof(secret), (long long)time(NULL), code, 0, &step))
		err = ERR_INVALID;
	if (err == ERR_OK)
		err = recovery_codes(codes, hashes, STAFF_RECOVERY_CODES);
	if (err == ERR_OK)
		err = db_totp_confirm(conn, id, (long long)step, (const unsigned char(*)[32])hashes,
				      STAFF_RECOVERY_CODES, request_id);
	if (err == ERR_OK && (*ret_body = json_pack("{s:O}", "recovery_codes", codes)) == NULL)
		err = ERR_NOMEM;
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(hashes, sizeof(hashes));
	PQfreemem(t.secret_enc);
	json_decref(codes);
	return err;
}

enum err staffauth_check(struct app *app, PGconn *conn, const char *id, const char *totp,
			 const char *recovery, bool *ret_ok)
{
	struct staff_totp t = {0};
	unsigned char secret[TOTP_SECRET_LEN], hash[32];
	uint64_t step = 0;
	enum err err;

	*ret_ok = false;
	if (recovery != NULL) {
		recovery_hash(recovery, hash);
		err = db_recovery_use(conn, id, hash);
		*ret_ok = err == ERR_OK;
		return err == ERR_NOT_FOUND ? ERR_OK : err;
	}
	err = open_secret(app, conn, id, &t, secret);
	if (err == ERR_OK && t.confirmed &&
	    totp_verify(secret, sizeof(secret), (long long)time(NULL), totp, (uint64_t)t.last_step,
			&step)) {
		/* the step is spent in the database: two sign-ins with one
		 * code at once, one wins */
		err = db_totp_use_step(conn, id, (long long)step);
		*ret_ok = err == ERR_OK;
		if (err == ERR_CONFLICT)
			err = ERR_OK;
	}
	explicit_bzero(secret, sizeof(secret));
	PQfreemem(t.secret_enc);
	return err;
}
