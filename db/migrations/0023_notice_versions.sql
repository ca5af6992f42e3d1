-- 0023: privacy notice versions (issue 25 item 5). accounts.notice_version
-- now says the version the account last accepted (at registration, the
-- registration's); each acceptance is also a row here with its time, as a
-- consent is. notice_mails holds one row per account and version told of
-- a new notice: two processes, or two passes, mail it once.
INSERT INTO outbox_kinds (kind) VALUES ('notice_changed');

CREATE TABLE notice_acceptances (
	id          bigserial PRIMARY KEY,
	account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	version     text NOT NULL,
	accepted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_acceptances_account ON notice_acceptances (account_id);

CREATE TABLE notice_mails (
	account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	version    text NOT NULL,
	queued_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, version)
);
