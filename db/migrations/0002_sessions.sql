-- 0002: sessions (refresh-token families), refresh tokens stored only as
-- SHA-256, and the per-email login throttle.

CREATE TABLE sessions (
	id             uuid PRIMARY KEY, -- the family: every rotated token shares it
	account_id     uuid NOT NULL REFERENCES accounts (id),
	created_at     timestamptz NOT NULL DEFAULT now(),
	expires_at     timestamptz NOT NULL,
	revoked_at     timestamptz,
	revoked_reason text CHECK (revoked_reason IN ('logout', 'reuse', 'password_change', 'erasure'))
);

CREATE INDEX sessions_account_live ON sessions (account_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
	token_hash bytea PRIMARY KEY, -- SHA-256 of the 256-bit token; the token itself is never stored
	session_id uuid NOT NULL REFERENCES sessions (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	used_at    timestamptz        -- set when rotated; a second use revokes the family
);

CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Keyed by the email's blind index, whether or not an account exists, so a
-- lock-out says nothing about who is registered.
CREATE TABLE login_throttle (
	email_bidx   bytea PRIMARY KEY,
	failures     integer NOT NULL DEFAULT 0,
	locked_until timestamptz
);
