-- 0001: accounts with encrypted personal fields, consent history, and
-- idempotency keys for registration.
--
-- Personal fields never appear here in clear: email_enc and profile_enc are
-- AES-256-GCM sealed with the account's data key, itself sealed with a key
-- derived from the master key (data_key). Erasure sets data_key to NULL
-- (crypto-shredding). Email lookup goes through email_bidx, an
-- HMAC-SHA-256 of the normalised address under a derived key.

CREATE TABLE accounts (
	id               uuid PRIMARY KEY,
	role             text NOT NULL DEFAULT 'professional'
	                 CHECK (role IN ('professional', 'admin')),
	status           text NOT NULL
	                 CHECK (status IN ('pending_verification', 'verified', 'flagged',
	                                   'approved', 'rejected', 'suspended')),
	email_bidx       bytea UNIQUE,
	email_enc        bytea,
	data_key         bytea,
	profile_enc      bytea,
	-- non-personal catalogue fields (country, profession, specialty, ...)
	profile_public   jsonb NOT NULL DEFAULT '{}',
	password_hash    text NOT NULL,
	catalogue_version text NOT NULL,
	notice_version   text NOT NULL,
	email_verified   boolean NOT NULL DEFAULT false,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX accounts_status_created ON accounts (status, created_at);

-- One row per change; never updated or deleted. The current state of a
-- purpose is its latest row.
CREATE TABLE consents (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id     uuid NOT NULL REFERENCES accounts (id),
	purpose        text NOT NULL,
	granted        boolean NOT NULL,
	source         text NOT NULL
	               CHECK (source IN ('registration', 'self_service', 'unsubscribe_link', 'admin')),
	notice_version text NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX consents_account_purpose ON consents (account_id, purpose, id);

-- Registration replies by Idempotency-Key. key_hash is SHA-256 of the key,
-- request_mac an HMAC of the canonical request (never a plain hash: the
-- request holds a password). account_id is not a foreign key: a reply to a
-- duplicate email carries an id that has no account.
CREATE TABLE idempotency_keys (
	key_hash    bytea PRIMARY KEY,
	request_mac bytea NOT NULL,
	account_id  uuid NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now()
);
