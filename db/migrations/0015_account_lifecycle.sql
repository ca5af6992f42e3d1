-- 0015: the account lifecycle (issue 20) - password recovery, confirmation
-- and email-change links, re-sent confirmations, and status webhooks.

-- Mail tokens are minted by the mailer when it sends (services/mailer.c),
-- not when the mail is queued: a queued row holds no token, and minting
-- one supersedes the account's older unused tokens of its purpose, in one
-- statement. An email-change token is bound to the address it was mailed
-- to (target_bidx, that address's blind index): it confirms that address
-- and no later pending one.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
	CHECK (purpose IN ('confirm_email', 'password_reset', 'email_change', 'email_change_cancel'));
ALTER TABLE email_tokens ADD COLUMN target_bidx bytea;
CREATE INDEX email_tokens_live ON email_tokens (account_id, purpose) WHERE used_at IS NULL;

INSERT INTO outbox_kinds (kind) VALUES
	('password_reset'), ('password_changed'), ('email_change'), ('email_change_cancel'),
	('email_change_taken');

-- An email change waits for the new address to be confirmed: pending_*
-- hold it, sealed with the account's data key like email_enc (and under
-- the same name, so confirming copies it over as it is) and its blind
-- index. The address it replaced stays for 7 days (previous_*) so that
-- the cancel link mailed to it can give it back; meanwhile nobody else can
-- take it (registration and email change treat it as taken).
ALTER TABLE accounts ADD COLUMN pending_email_enc bytea;
ALTER TABLE accounts ADD COLUMN pending_email_bidx bytea;
ALTER TABLE accounts ADD COLUMN previous_email_enc bytea;
ALTER TABLE accounts ADD COLUMN previous_email_bidx bytea;
ALTER TABLE accounts ADD COLUMN previous_email_until timestamptz;
CREATE INDEX accounts_previous_email ON accounts (previous_email_bidx)
	WHERE previous_email_bidx IS NOT NULL;

-- A recovery revokes every session, and so does a cancelled email change
-- (whoever changed it may hold one).
ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
	CHECK (revoked_reason IN ('logout', 'reuse', 'password_change', 'erasure',
				  'password_reset', 'email_change_cancelled'));

-- Webhook endpoints as HCPD_WEBHOOKS_FILE names them (stored at start by
-- every process that has the file; the secret never leaves the file it is
-- in), so that an event is queued, in the transaction of the change it
-- tells of, for every active endpoint that wants it.
CREATE TABLE webhook_endpoints (
	name       text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
	events     text[] NOT NULL,
	active     boolean NOT NULL DEFAULT true,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per event and endpoint: what is sent (account id, status and
-- reason codes - nothing personal) and its delivery. Rows are claimed by
-- lease (next_attempt_at moved ahead, FOR UPDATE SKIP LOCKED), and a row is
-- claimable only once every earlier row of its endpoint and account is
-- delivered or given up: in order per account.
CREATE TABLE webhook_deliveries (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	msg_id          text NOT NULL UNIQUE
	                DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', ''),
	endpoint        text NOT NULL REFERENCES webhook_endpoints (name),
	account_id      uuid NOT NULL REFERENCES accounts (id),
	type            text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
	status          text NOT NULL,
	reasons         text[] NOT NULL DEFAULT '{}',
	occurred_at     timestamptz NOT NULL DEFAULT now(),
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	delivered_at    timestamptz,
	given_up_at     timestamptz,
	last_error      text -- an error name or http_NNN, never reply content
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
	WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (endpoint, account_id, id)
	WHERE delivered_at IS NULL AND given_up_at IS NULL;

-- Every attempt, for admins (GET /v1/admin/webhooks/deliveries).
CREATE TABLE webhook_attempts (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (id),
	attempted_at timestamptz NOT NULL DEFAULT now(),
	http_status  integer,
	error        text,
	duration_ms  integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
