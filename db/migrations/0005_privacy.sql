-- 0005: privacy rights - erasure, legal hold, one-click unsubscribe, and
-- the indexes the retention purge walks.
--
-- An erased account keeps its row as a pseudonymous shell: data_key,
-- email_enc, profile_enc and email_bidx are NULL (crypto-shredded), the
-- password hash is gone, profile_public holds only the catalogue's
-- coarse demographics, and erased_at says when. Consent history, ledger
-- and audit rows name it by id only and stay.

ALTER TABLE accounts ADD COLUMN erased_at timestamptz;

-- A legal hold set by an admin defers erasure and the retention purge.
-- legal_hold_reason is the admin's own note: it is in the audit log and
-- is never shown to the professional.
ALTER TABLE accounts ADD COLUMN legal_hold_at timestamptz;
ALTER TABLE accounts ADD COLUMN legal_hold_by uuid;
ALTER TABLE accounts ADD COLUMN legal_hold_reason text;

-- RFC 8058 one-click unsubscribe: the token in a List-Unsubscribe URL,
-- stored only as its SHA-256. The token itself is an HMAC of the account
-- id under a key derived from the master key, so it can be rebuilt for
-- every message without being stored.
CREATE TABLE unsubscribe_tokens (
	token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	account_id uuid NOT NULL REFERENCES accounts (id),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX unsubscribe_tokens_account ON unsubscribe_tokens (account_id);

-- What the retention purge looks for.
CREATE INDEX accounts_uncompleted ON accounts (created_at)
	WHERE status = 'pending_verification' AND NOT email_verified AND erased_at IS NULL;
CREATE INDEX email_tokens_expires ON email_tokens (expires_at);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX verifications_evidence_held ON verifications (verifier, checked_at)
	WHERE evidence_enc IS NOT NULL;
