-- 0003: single-use email tokens (stored only as SHA-256) and the
-- notification outbox.
--
-- Outbox rows are written in the same transaction as the event they tell
-- of (a registration), and a mailer thread sends them later, so a message
-- goes out if and only if its event committed. The outbox holds no
-- plaintext: payload_enc is the whole message data (recipient address,
-- and the token for confirm_email) sealed with the account's data key, so
-- erasing the account's data key also makes its queued mail unreadable.

CREATE TABLE email_tokens (
	token_hash bytea PRIMARY KEY, -- SHA-256 of the token string; the token itself is never stored
	account_id uuid NOT NULL REFERENCES accounts (id),
	purpose    text NOT NULL CHECK (purpose IN ('confirm_email')),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	used_at    timestamptz        -- set when used; a token works once
);

CREATE INDEX email_tokens_account ON email_tokens (account_id);

CREATE TABLE outbox (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id      uuid NOT NULL REFERENCES accounts (id),
	kind            text NOT NULL CHECK (kind IN ('confirm_email', 'already_registered')),
	payload_enc     bytea NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	attempts        integer NOT NULL DEFAULT 0, -- failed sends; 10 means given up
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	sent_at         timestamptz,
	last_error      text -- an error name (CURLE_...), never message content
);

-- What the mailer claims: unsent rows not given up, by due time.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND attempts < 10;
