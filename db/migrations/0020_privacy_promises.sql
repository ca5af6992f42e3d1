-- 0020: the privacy notices' promises, all the way (issue 25).

-- Retention, complete (item 6). A dormant account - no sign-in and no
-- session refresh for HCPD_RETENTION_DORMANT_DAYS - is warned by mail 30
-- days ahead (dormancy_warned_at says when), then erased unless it signs in
-- meanwhile or is on a legal hold. Its activity is read from sessions and
-- refresh tokens; these indexes make that a lookup per account.
INSERT INTO outbox_kinds (kind) VALUES ('dormancy_warning');
ALTER TABLE accounts ADD COLUMN dormancy_warned_at timestamptz;
CREATE INDEX sessions_account_created ON sessions (account_id, created_at);
CREATE INDEX status_history_rejected ON account_status_history (account_id, changed_at)
	WHERE to_status = 'rejected';

-- The recipient kill-switch (item 7): a suspended recipient gets nothing
-- from any process at once - the disclosure gate reads suspended_at in the
-- transaction of every disclosure. Who and why are in audit_log
-- (recipient.suspended / recipient.resumed, the reason sealed).
ALTER TABLE recipients ADD COLUMN suspended_at timestamptz;

-- What every purge removed, summed across processes (`hcpd serve`'s
-- thread and `hcpd purge --now`) and restarts: /metrics shows it.
CREATE TABLE purge_totals (
	what  text PRIMARY KEY CHECK (what ~ '^[a-z_]{1,40}$'),
	total bigint NOT NULL DEFAULT 0 CHECK (total >= 0)
);

-- Service credentials (item 2): machine clients (the marketing sender, a
-- CME platform) call their own routes with an API key "hcpd_<id>_<secret>";
-- only the SHA-256 of the 256-bit random secret is kept (a fast hash is
-- enough for a secret no one chose; it is checked on every request). A
-- role is one purpose; revocation takes effect on the next request of
-- every process. Creation, listing and revocation are audited.
CREATE TABLE service_clients (
	id          uuid PRIMARY KEY,
	name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	role        text NOT NULL CHECK (role IN ('marketing_sender', 'activity_system')),
	secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
	created_by  text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	revoked_at  timestamptz
);

-- The marketing sender (item 3) is a processor: a recipient whose terms
-- (purpose a marketing_* channel, allowed field email) each released
-- address is disclosed under, in the ledger.
ALTER TABLE recipients DROP CONSTRAINT recipients_kind_check;
ALTER TABLE recipients ADD CONSTRAINT recipients_kind_check
	CHECK (kind IN ('verifier', 'advertiser', 'cme_sponsor', 'accreditor', 'authority',
			'processor'));
