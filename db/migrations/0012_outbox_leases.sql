-- 0012: notices carry no payload, and the mailer claims rows by lease.
--
-- A notice without a token (account suspended, review decided, expiry
-- reminder, digest ...) is queued with payload_enc NULL: the mailer reads
-- the account's sealed address when it sends, so queueing one needs no
-- key and reads no keystore inside the transaction that tells of the
-- event, and a notice queued before an email change goes to the new
-- address. Rows with a token (confirm_email) keep their sealed payload.
--
-- The mailer claims due rows by moving next_attempt_at a lease ahead, in
-- one statement, and sends outside any transaction: a process that dies
-- mid-send leaves its rows to be claimed again when the lease runs out.

ALTER TABLE outbox ALTER COLUMN payload_enc DROP NOT NULL;
