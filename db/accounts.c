/*
 * accounts.c - SQL for accounts. Every statement is parameterised; binary
 * values (sealed fields, hashes) go as binary parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "accounts_search.h"
#include "audit.h"
#include "db.h"
#include "deliveries.h"
#include "jobs.h"
#include "outbox.h"

enum err db_idempotency_get(PGconn *conn, const struct idem *idem, char ret_id[UUID_STR_LEN])
{
	const char *params[1] = {(const char *)idem->key_hash};
	const int lengths[1] = {32};
	const int formats[1] = {1};
	PGresult *res;
	enum err err;

	err = db_exec(conn,
		      "SELECT account_id, request_mac FROM idempotency_keys WHERE key_hash = $1", 1,
		      params, lengths, formats, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		err = ERR_NOT_FOUND;
	} else {
		size_t mac_len;
		unsigned char *mac =
			PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1), &mac_len);

		if (mac == NULL)
			err = ERR_NOMEM;
		else if (mac_len != 32 || memcmp(mac, idem->request_mac, 32) != 0)
			err = ERR_CONFLICT;
		else
			snprintf(ret_id, UUID_STR_LEN, "%s", PQgetvalue(res, 0, 0));
		PQfreemem(mac);
	}
	PQclear(res);
	return err;
}

static enum err insert_idempotency(PGconn *conn, const struct idem *idem, const char *id)
{
	const char *params[3] = {(const char *)idem->key_hash, (const char *)idem->request_mac, id};
	const int lengths[3] = {32, 32, 0};
	const int formats[3] = {1, 1, 0};

	return db_exec(conn,
		       "INSERT INTO idempotency_keys (key_hash, request_mac, account_id) "
		       "VALUES ($1, $2, $3)",
		       3, params, lengths, formats, NULL);
}

static enum err insert_consents(PGconn *conn, const struct account_new *acct)
{
	enum err err = ERR_OK;

	for (size_t i = 0; err == ERR_OK && i < acct->nconsents; i++) {
		const char *params[4] = {acct->id, acct->consents[i].purpose,
					 acct->consents[i].granted ? "t" : "f",
					 acct->notice_version};

		err = db_exec(conn,
			      "INSERT INTO consents (account_id, purpose, granted, source, "
			      "notice_version) VALUES ($1, $2, $3, 'registration', $4)",
			      4, params, NULL, NULL, NULL);
	}
	return err;
}

enum err db_registration_insert(PGconn *conn, const struct account_new *acct,
				const struct idem *idem, bool *ret_duplicate,
				char ret_id[UUID_STR_LEN])
{
	const char *params[12] = {
		acct->id,
		acct->role,
		acct->status,
		(const char *)acct->email_bidx,
		(const char *)acct->email_enc,
		(const char *)acct->data_key,
		(const char *)acct->profile_enc,
		acct->profile_public,
		acct->password_hash,
		acct->catalogue_version,
		acct->notice_version,
	};
	const int lengths[12] = {0,
				 0,
				 0,
				 (int)acct->email_bidx_len,
				 (int)acct->email_enc_len,
				 (int)acct->data_key_len,
				 (int)acct->profile_enc_len};
	const int formats[12] = {0, 0, 0, 1, 1, 1, 1};
	PGresult *res = NULL;
	enum account_status first;
	bool duplicate = false;
	int queued = 0;
	enum err err;

	err = db_begin(conn);
	if (err != ERR_OK)
		return err;
	/* first the key: a concurrent twin waits here, then finds it taken */
	if (idem != NULL) {
		err = insert_idempotency(conn, idem, acct->id);
		if (err == ERR_CONFLICT) {
			db_end(conn, err);
			return db_idempotency_get(conn, idem, ret_id);
		}
		if (err != ERR_OK)
			goto out;
	}
	err = db_exec(conn,
		      "INSERT INTO accounts (id, role, status, email_bidx, email_enc, data_key, "
		      "profile_enc, profile_public, password_hash, catalogue_version, "
		      "notice_version) SELECT $1::uuid, $2, $3, $4::bytea, $5::bytea, $6::bytea, "
		      "$7::bytea, $8::jsonb, $9, $10, $11 "
		      "WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE previous_email_bidx = $4 "
		      "AND previous_email_until > now()) "
		      "ON CONFLICT (email_bidx) DO NOTHING RETURNING id",
		      11, params, lengths, formats, &res);
	if (err != ERR_OK)
		goto out;
	duplicate = PQntuples(res) == 0;
	PQclear(res);
	if (!duplicate)
		err = insert_consents(conn, acct);
	if (err == ERR_OK && !duplicate && acct->locale != NULL)
		err = db_account_set_locale(conn, acct->id, acct->locale);
	if (err == ERR_OK && !duplicate)
		err = db_jobs_enqueue(conn, acct->id, OCCASION_REGISTRATION, acct->jobs,
				      acct->njobs, &queued);
	if (err == ERR_OK && !duplicate && queued == 0 && acct->unqueued_reason != NULL)
		err = status_parse(acct->status, &first)
			      ? db_account_set_status(conn, acct->id, first, acct->unqueued_event,
						      acct->unqueued_reason, NULL)
			      : ERR_INTERNAL;
	if (err == ERR_OK && acct->confirm && !duplicate)
		err = db_outbox_insert(conn, acct->id, OUTBOX_CONFIRM_EMAIL, NULL, 0);
	if (err == ERR_OK && !duplicate && strcmp(acct->role, "professional") == 0)
		err = db_webhook_queue(conn, acct->id, WEBHOOK_ACCOUNT_CREATED, NULL);
	if (err == ERR_OK && acct->indexes != NULL && !duplicate)
		err = db_search_index_write(conn, acct->id, acct->indexes);
	if (err == ERR_OK && acct->audit != NULL && !duplicate) {
		struct audit_entry made = *acct->audit;

		made.target = acct->id;
		err = db_audit_append(conn, &made);
	}
	if (err == ERR_OK && acct->unique_within != NULL && !duplicate)
		err = db_identifier_duplicates(conn, acct->id, acct->unique_within, NULL);
out:
	err = db_end(conn, err);
	if (err != ERR_OK)
		return err;
	*ret_duplicate = duplicate;
	snprintf(ret_id, UUID_STR_LEN, "%s", acct->id);
	return ERR_OK;
}

enum err db_sealed_read(PGresult *res, int row, int col, struct sealed_account *ret)
{
	struct sealed_account s = {0};
	enum err err;

	snprintf(s.id, sizeof(s.id), "%s", PQgetvalue(res, row, col));
	err = db_cell_bytes(res, row, col + 1, &s.data_key, &s.data_key_len);
	if (err == ERR_OK)
		err = db_cell_bytes(res, row, col + 2, &s.email_enc, &s.email_enc_len);
	if (err == ERR_OK)
		err = db_cell_bytes(res, row, col + 3, &s.profile_enc, &s.profile_enc_len);
	if (err == ERR_OK && !PQgetisnull(res, row, col + 4) &&
	    (s.profile_public = strdup(PQgetvalue(res, row, col + 4))) == NULL)
		err = ERR_NOMEM;
	if (err != ERR_OK) {
		sealed_account_release(&s);
		return err;
	}
	*ret = s;
	return ERR_OK;
}

void sealed_account_release(struct sealed_account *s)
{
	PQfreemem(s->data_key);
	PQfreemem(s->email_enc);
	PQfreemem(s->profile_enc);
	free(s->profile_public);
	explicit_bzero(s, sizeof(*s));
}

void sealed_accounts_free(struct sealed_account *accounts, size_t n)
{
	for (size_t i = 0; accounts != NULL && i < n; i++)
		sealed_account_release(&accounts[i]);
	free(accounts);
}

/* Reads an account with sql, whose first columns are ACCOUNT_COLUMNS and
 * whose one parameter is key: text, or len bytes of binary when len > 0;
 * with ret_extra, the next column's text too (malloc'd). */
static enum err account_read(PGconn *conn, const char *sql, const void *key, size_t len,
			     struct account_row *ret_row, char **ret_extra)
{
	const char *params[1] = {key};
	const int lengths[1] = {(int)len}, formats[1] = {len > 0};
	struct account_row row = {0};
	char *extra = NULL;
	PGresult *res;
	enum err err = db_exec(conn, sql, 1, params, lengths, formats, &res);

	if (err != ERR_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ERR_NOT_FOUND;
	}
	snprintf(row.status, sizeof(row.status), "%s", PQgetvalue(res, 0, 0));
	row.email_verified = PQgetvalue(res, 0, 1)[0] == 't';
	snprintf(row.password_hash, sizeof(row.password_hash), "%s", PQgetvalue(res, 0, 2));
	err = db_sealed_read(res, 0, 3, &row.sealed);
	if (PQfnumber(res, "locale") >= 0)
		snprintf(row.locale, sizeof(row.locale), "%s",
			 PQgetvalue(res, 0, PQfnumber(res, "locale")));
	if (PQfnumber(res, "notice_version") >= 0)
		snprintf(row.notice_version, sizeof(row.notice_version), "%s",
			 PQgetvalue(res, 0, PQfnumber(res, "notice_version")));
	if (err == ERR_OK && ret_extra != NULL &&
	    (extra = strdup(PQgetvalue(res, 0, 3 + SEALED_NCOLUMNS))) == NULL)
		err = ERR_NOMEM;
	PQclear(res);
	if (err != ERR_OK) {
		account_row_release(&row);
		return err;
	}
	*ret_row = row;
	if (ret_extra != NULL)
		*ret_extra = extra;
	return ERR_OK;
}

enum err db_account_get(PGconn *conn, const char *id, struct account_row *ret_row)
{
	return account_read(conn, "SELECT " ACCOUNT_COLUMNS ", locale FROM accounts WHERE id = $1",
			    id, 0, ret_row, NULL);
}

enum err db_account_get_by_email(PGconn *conn, const unsigned char *bidx, size_t len,
				 struct account_row *ret_row)
{
	return account_read(conn,
			    "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE email_bidx = $1 "
			    "AND data_key IS NOT NULL AND email_enc IS NOT NULL",
			    bidx, len, ret_row, NULL);
}

enum err db_account_get_me(PGconn *conn, const char *id, struct account_row *ret_row,
			   char **ret_verifications)
{
	/* one statement, so GET /v1/me is one round trip */
	return account_read(conn, DB_ACCOUNT_ME_SQL, id, 0, ret_row, ret_verifications);
}

enum err db_account_set_locale(PGconn *conn, const char *id, const char *locale)
{
	const char *params[2] = {id, locale};
	PGresult *res = NULL;
	enum err err = db_exec(conn, "UPDATE accounts SET locale = $2 WHERE id = $1 RETURNING id",
			       2, params, NULL, NULL, &res);

	if (err == ERR_OK && PQntuples(res) == 0)
		err = ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

void account_row_release(struct account_row *row)
{
	sealed_account_release(&row->sealed);
	explicit_bzero(row, sizeof(*row));
}

enum err db_account_lock_status(PGconn *conn, const char *id, enum account_status *ret_status)
{
	const char *params[1] = {id};
	PGresult *res;
	enum err err =
		db_exec_row(conn,
			    "SELECT status FROM accounts WHERE id = $1 AND data_key IS NOT NULL "
			    "FOR UPDATE",
			    1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (!status_parse(PQgetvalue(res, 0, 0), ret_status))
		err = ERR_DB; /* the CHECK constraint holds the names status_parse() knows */
	PQclear(res);
	return err;
}

enum err db_account_refusal_lifted(PGconn *conn, const char *id, struct account_refusal *ret)
{
	const char *params[1] = {id};
	struct account_refusal out = {0};
	PGresult *res;
	enum err err = db_exec_row(
		conn,
		"SELECT status, coalesce(profile_public->>'country', ''), "
		"coalesce(profile_public->>'profession', '') FROM accounts a "
		"WHERE id = $1 AND data_key IS NOT NULL AND NOT processing_restricted "
		"AND status IN ('suspended', 'flagged') "
		"AND status_reason IN ('monitoring_refused', 'verification_refused') "
		"AND coalesce((SELECT granted FROM consents c WHERE c.account_id = a.id "
		"AND c.purpose = 'licensure_verification' ORDER BY c.id DESC LIMIT 1), false) "
		"FOR UPDATE",
		1, params, NULL, NULL, &res);

	if (err != ERR_OK)
		return err;
	if (!status_parse(PQgetvalue(res, 0, 0), &out.status))
		err = ERR_DB;
	if (err == ERR_OK) {
		snprintf(out.country, sizeof(out.country), "%s", PQgetvalue(res, 0, 1));
		snprintf(out.profession, sizeof(out.profession), "%s", PQgetvalue(res, 0, 2));
		*ret = out;
	}
	PQclear(res);
	return err;
}

enum err db_account_set_status(PGconn *conn, const char *id, enum account_status from,
			       enum status_event event, const char *reason,
			       enum account_status *ret_to)
{
	enum account_status to;
	const char *params[5] = {id, status_name(from), NULL, status_event_name(event), reason};
	PGresult *res = NULL;
	enum err err = status_next(from, event, &to);

	if (err != ERR_OK)
		return err;
	params[2] = status_name(to);
	err = db_exec(conn,
		      "WITH moved AS (UPDATE accounts SET status = $3, status_reason = $5, "
		      "updated_at = now() WHERE id = $1 AND status = $2 RETURNING id) "
		      "INSERT INTO account_status_history (account_id, from_status, to_status, "
		      "event, reason) SELECT id, $2, $3, $4, $5 FROM moved RETURNING 1",
		      5, params, NULL, NULL, &res);
	if (err != ERR_OK)
		return err;
	if (PQntuples(res) != 1)
		err = ERR_CONFLICT;
	PQclear(res);
	/* the webhook event, in the transaction of the change it tells of */
	if (err == ERR_OK && status_announcement(from, event) != NULL)
		err = db_webhook_queue(conn, id, status_announcement(from, event), reason);
	if (err == ERR_OK && ret_to != NULL)
		*ret_to = to;
	return err;
}
