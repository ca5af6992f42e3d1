-- 0007: admin review. Admins' decisions, the professional's answers to a
-- request for information, the queue's index, and the review notices in
-- the outbox.
--
-- State model (services/review.c owns the rules): an account is in the
-- review queue while its status is flagged or suspended. A decision
-- approve moves it to approved, reject to rejected; request_info leaves
-- the status alone and sets review_awaiting_professional, which the
-- professional's answer clears, moving the status back to flagged (and
-- status_changed_at to the answer's time: the item waits for an admin
-- from then on). Decided items (approved, rejected) can be decided again.

ALTER TABLE accounts ADD COLUMN review_awaiting_professional boolean NOT NULL DEFAULT false;

-- The queue: one status, oldest first, id as tie-break (the cursor's order).
CREATE INDEX accounts_review_queue ON accounts (status, status_changed_at, id);

-- One row per admin decision; never updated or deleted. reason is the
-- admin's text: internal for approve and reject, the question shown to
-- the professional for request_info.
CREATE TABLE review_decisions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id  uuid NOT NULL REFERENCES accounts (id),
	admin_id    uuid NOT NULL REFERENCES accounts (id),
	decision    text NOT NULL CHECK (decision IN ('approve', 'reject', 'request_info')),
	reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
	from_status text NOT NULL,
	to_status   text NOT NULL,
	request_id  text,
	decided_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX review_decisions_account ON review_decisions (account_id, id);

CREATE TRIGGER review_decisions_append_only BEFORE UPDATE OR DELETE ON review_decisions
	FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER review_decisions_no_truncate BEFORE TRUNCATE ON review_decisions
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();

-- The professional's answers to request_info decisions. The message is
-- free text about themselves: sealed with the account's data key
-- (aad "<account id>/review_response"), so erasure makes it unreadable.
CREATE TABLE review_responses (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id  uuid NOT NULL REFERENCES accounts (id),
	decision_id bigint NOT NULL REFERENCES review_decisions (id),
	message_enc bytea NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX review_responses_account ON review_responses (account_id, id);

CREATE TRIGGER review_responses_append_only BEFORE UPDATE OR DELETE ON review_responses
	FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER review_responses_no_truncate BEFORE TRUNCATE ON review_responses
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();

-- Outbox kinds become rows of a table, so that each feature adds its own
-- with one INSERT instead of re-declaring the whole CHECK list.
CREATE TABLE outbox_kinds (
	kind text PRIMARY KEY
);

INSERT INTO outbox_kinds (kind) VALUES
	('confirm_email'), ('already_registered'),
	('review_info_requested'), ('review_approved'), ('review_rejected');

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_fkey FOREIGN KEY (kind) REFERENCES outbox_kinds (kind);
