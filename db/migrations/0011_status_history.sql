-- 0011: the account status's history (issue 17: one status write; issue
-- 18: a refused re-check suspends with a reason). db_account_set_status()
-- (db/accounts.c), the one write of accounts.status, appends a row here in
-- the same transaction and keeps the reason of the latest change on the
-- account. Reasons are codes (e.g. monitoring_refused), never free text:
-- the rows name the account id only and survive erasure as pseudonymous
-- records, like the consent history.

ALTER TABLE accounts ADD COLUMN status_reason text;

CREATE TABLE account_status_history (
	id          bigserial PRIMARY KEY,
	account_id  uuid NOT NULL REFERENCES accounts (id),
	from_status text NOT NULL,
	to_status   text NOT NULL,
	event       text NOT NULL,
	reason      text CHECK (reason ~ '^[a-z0-9_:]{1,64}$'),
	changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_status_history_account ON account_status_history (account_id, id);

CREATE TRIGGER account_status_history_append_only BEFORE UPDATE OR DELETE
	ON account_status_history FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER account_status_history_no_truncate BEFORE TRUNCATE ON account_status_history
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();

-- The professional is told when a check may not run and the account is
-- suspended for it, with how to restore monitoring (services/mailer.c).
INSERT INTO outbox_kinds (kind) VALUES ('monitoring_refused');

-- The sign-in throttle's rows end (issue 18): each failure's time is kept,
-- and the retention purge deletes a row a day after its last failure once
-- it no longer locks (db_purge_expired).
ALTER TABLE login_throttle ADD COLUMN last_failure_at timestamptz NOT NULL DEFAULT now();
