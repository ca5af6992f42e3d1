-- 0016: admins find any account and act on it (issue 21); one licence
-- identifier on two accounts (issue 18 item 2).
--
-- Search by a personal field goes through keyed blind indexes: for each
-- searchable field (family_name and the catalogue's identifier fields) an
-- HMAC-SHA-256 of the normalised value under a key of that field's own,
-- derived from the master key (services/search.c). The values stay sealed
-- in accounts.profile_enc; a row here says only "this account's <field>
-- has this keyed hash". Rows are written in the transaction that writes
-- the values (registration, rectification) and deleted by an erasure.
-- SQL cannot compute them for the accounts that exist before this
-- migration: accounts.search_indexed is false for those, and hcpd serve
-- indexes them at start-up, opening each account's values.

CREATE TABLE account_search_index (
	account_id uuid NOT NULL REFERENCES accounts (id),
	field      text NOT NULL CHECK (field ~ '^[a-z][a-z0-9_]{0,47}$'),
	bidx       bytea NOT NULL CHECK (length(bidx) = 32),
	PRIMARY KEY (account_id, field)
);
CREATE INDEX account_search_index_lookup ON account_search_index (field, bidx);

ALTER TABLE accounts ADD COLUMN search_indexed boolean NOT NULL DEFAULT false;
-- erased accounts have nothing left to index
UPDATE accounts SET search_indexed = true WHERE data_key IS NULL;
CREATE INDEX accounts_search_unindexed ON accounts (id) WHERE NOT search_indexed;
CREATE INDEX accounts_created ON accounts (created_at, id);

-- Staff roles, least privilege: admin (everything), reviewer (review
-- queue, account view, decisions), auditor (read-only: audit log, ledger,
-- statistics). A disabled staff account signs in no more and its sessions
-- are revoked in the transaction that disables it.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
	CHECK (role IN ('professional', 'admin', 'reviewer', 'auditor'));
ALTER TABLE accounts ADD COLUMN disabled_at timestamptz;
ALTER TABLE accounts ADD CONSTRAINT accounts_disabled_staff_only
	CHECK (disabled_at IS NULL OR role <> 'professional');

-- Two-factor sign-in for staff (RFC 6238 TOTP). The secret is sealed with
-- the account's data key (aad "<id>/totp_secret"); last_step is the last
-- time step a code was accepted for, so a code is good once. An
-- enrolment is unconfirmed until a first code proves the authenticator
-- holds the secret; only a confirmed one is asked for at sign-in.
CREATE TABLE staff_totp (
	account_id   uuid PRIMARY KEY REFERENCES accounts (id),
	secret_enc   bytea NOT NULL,
	confirmed_at timestamptz,
	last_step    bigint NOT NULL DEFAULT 0,
	created_at   timestamptz NOT NULL DEFAULT now()
);

-- One-time recovery codes, stored as SHA-256 (80 random bits each: a
-- slow hash adds nothing to a guess of that size).
CREATE TABLE staff_recovery_codes (
	account_id uuid NOT NULL REFERENCES accounts (id),
	code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
	used_at    timestamptz,
	PRIMARY KEY (account_id, code_hash)
);

-- A session opened by a staff member who must enrol a second factor
-- (HCPD_ADMIN_TOTP_REQUIRED) before anything else: its tokens carry the
-- role "enrolling", good for the enrolment routes only.
ALTER TABLE sessions ADD COLUMN enrolling boolean NOT NULL DEFAULT false;

-- Sessions an admin ends: every session of an account (the
-- revoke_sessions action), and a disabled staff member's.
ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check CHECK (revoked_reason IN
	('logout', 'reuse', 'password_change', 'erasure', 'password_reset',
	 'email_change_cancelled', 'admin_revoked', 'staff_disabled'));

-- The professional is told an admin suspended or reinstated their
-- account (the mailer opens the address when it sends: no payload).
INSERT INTO outbox_kinds (kind) VALUES ('account_suspended_by_admin'), ('account_reinstated');
