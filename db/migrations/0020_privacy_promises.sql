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
