-- 0018: an admin's free-text reasons are sealed with the account's data
-- key, so erasure shreds them like every other personal value (issue 18).
--
-- A reason typed about a professional ("licence confirmed by phone with
-- Dr ...", a legal hold's subpoena reference) is personal data about them;
-- kept in clear in review_decisions.reason, audit_log.reason and
-- accounts.legal_hold_reason it outlived the account's erasure. Now each
-- is sealed (aad "<account id>/decision_reason", ".../audit_reason",
-- ".../legal_hold_reason") and the audit trail keeps who, when and what
-- in clear. audit_log.reason stays for codes (the gate's rule names).
--
-- No release has shipped: the clear reasons written before are dropped
-- rather than left readable after an erasure (they cannot be sealed in
-- SQL). The append-only triggers are set aside for that one statement.

ALTER TABLE review_decisions DROP COLUMN reason;
ALTER TABLE review_decisions ADD COLUMN reason_enc bytea;

ALTER TABLE accounts DROP COLUMN legal_hold_reason;
ALTER TABLE accounts ADD COLUMN legal_hold_reason_enc bytea;

ALTER TABLE audit_log ADD COLUMN reason_enc bytea;
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE audit_log SET reason = NULL WHERE action IN ('review.decide', 'legal_hold.set');
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
