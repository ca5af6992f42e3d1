-- 0013: every registration reaches a decision (issue 19).
--
-- The invariant: a professional's account never waits without something
-- that will move it on. Flagged and suspended accounts are review items
-- (an admin moves them); verified, approved and rejected ones are decided.
-- A pending_verification account is stuck when nothing will move it:
--   * it is not erased (an erased account waits for nothing), and
--   * it has no open job (queued or running: the runner will finish one,
--     and its verdict moves the account), and
--   * it is not the one legitimate wait: every verifier's latest job done
--     and verified, and only the owner's email confirmation missing
--     (confirming it makes the account verified, verdict_email_confirmed()).
-- "Latest job" reads as db_account_checks() (db/jobs.c) does: per
-- verifier, the newest job that was not cancelled.
--
-- The one query of it is this view: the integration tests read it after
-- every scenario (tests/integration/conftest.py) and /metrics exposes its
-- count and the age of its oldest row (db_monitor_gauges(), db/monitor.c).
-- It reads pending accounts only (the accounts_review_queue index starts
-- with status), so it stays cheap however many accounts are decided.
-- It cannot see the verifier definitions: an account to which a manual
-- register applies, whose automated checks all verified and whose email is
-- unconfirmed, passes here although hcpd sends such an account to an admin
-- at once (services/verdict.c); that is the stricter rule, not a gap in it.
-- Once landed this view is changed only by a later migration
-- (CREATE OR REPLACE VIEW).
CREATE VIEW stuck_accounts AS
SELECT a.id, a.status_changed_at
FROM accounts a
WHERE a.status = 'pending_verification'
  AND a.role = 'professional'
  AND a.erased_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM verification_jobs j
                  WHERE j.account_id = a.id AND j.state IN ('queued', 'running'))
  AND NOT (NOT a.email_verified AND coalesce(
        (SELECT bool_and(l.state = 'done' AND l.outcome = 'verified')
         FROM (SELECT DISTINCT ON (verifier) state, outcome FROM verification_jobs
               WHERE account_id = a.id AND state <> 'cancelled'
               ORDER BY verifier, id DESC) l), false));

-- Accounts stuck before this release (a country no verifier served, a
-- roster never loaded) go to the admin queue now, the way a new
-- registration with no register to ask does (status event no_registry,
-- services/base/status.c), with their history row as
-- db_account_set_status() would write it.
WITH moved AS (
	UPDATE accounts a SET status = 'flagged', status_reason = 'no_registry', updated_at = now()
	FROM stuck_accounts s WHERE a.id = s.id
	RETURNING a.id
)
INSERT INTO account_status_history (account_id, from_status, to_status, event, reason)
SELECT id, 'pending_verification', 'flagged', 'no_registry', 'no_registry' FROM moved;
