-- 0009: continuous monitoring - the notices it mails, and the index its
-- due scan walks.

INSERT INTO outbox_kinds (kind) VALUES
	('account_suspended'), ('licence_expiry_reminder'), ('admin_review_digest');

-- "Does this account have a check of this verifier since ...?"
CREATE INDEX verifications_recent ON verifications (account_id, verifier, checked_at);

-- Which expiry date an account was last reminded of (sealed with its
-- data key: the date is personal), and when an admin last got the digest:
-- one reminder per expiry, one digest a day.
ALTER TABLE accounts ADD COLUMN expiry_reminded_enc bytea;
ALTER TABLE accounts ADD COLUMN digest_sent_at timestamptz;
