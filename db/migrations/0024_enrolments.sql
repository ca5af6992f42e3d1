-- 0024: activities and enrolment (issue 25 item 1). A professional enrols
-- in one activity (a CME module, a symposium, a survey) of
-- HCPD_ACTIVITIES_FILE; the enrolment is the consent to the disclosures
-- that activity names, to its sponsor and accreditors, of the fields its
-- preview showed. Nothing is personal here: ids, names of fields and of
-- recipients, times.
CREATE TABLE enrolments (
	id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id     uuid NOT NULL REFERENCES accounts (id),
	activity       text NOT NULL CHECK (activity ~ '^[a-z0-9-]{1,63}$'),
	status         text NOT NULL DEFAULT 'enrolled'
	               CHECK (status IN ('enrolled', 'completed', 'withdrawn')),
	notice_version text NOT NULL,
	enrolled_at    timestamptz NOT NULL DEFAULT now(),
	completed_at   timestamptz,
	withdrawn_at   timestamptz,
	-- the preview shown at enrolment: [{recipient, role, fields}], names only
	preview        jsonb NOT NULL
);
-- one enrolment in force per account and activity
CREATE UNIQUE INDEX enrolments_active ON enrolments (account_id, activity)
	WHERE status <> 'withdrawn';

-- What each recipient of an enrolment may receive: the gate reads it
-- (rule not_enrolled).
CREATE TABLE enrolment_recipients (
	enrolment_id uuid NOT NULL REFERENCES enrolments (id),
	recipient    text NOT NULL REFERENCES recipients (name),
	role         text NOT NULL CHECK (role IN ('sponsor', 'accreditor')),
	fields       text[] NOT NULL,
	PRIMARY KEY (enrolment_id, recipient)
);
CREATE INDEX enrolment_recipients_recipient ON enrolment_recipients (recipient);

-- Releases of a completion, queued in the transaction of the ledger row
-- that allowed them. Field NAMES only: the values are opened from the
-- vault at send time, so an account erased meanwhile sends nothing.
CREATE TABLE activity_releases (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	msg_id            text NOT NULL UNIQUE
	                  DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', ''),
	enrolment_id      uuid NOT NULL REFERENCES enrolments (id),
	recipient         text NOT NULL REFERENCES recipients (name),
	disclosure_id     bigint NOT NULL,
	fields            text[] NOT NULL,
	completion_status text NOT NULL,
	attempts          integer NOT NULL DEFAULT 0,
	next_attempt_at   timestamptz NOT NULL DEFAULT now(),
	delivered_at      timestamptz,
	given_up_at       timestamptz,
	cancelled_at      timestamptz,
	last_error        text -- an error name or http_NNN, never reply content
);
CREATE INDEX activity_releases_due ON activity_releases (next_attempt_at)
	WHERE delivered_at IS NULL AND given_up_at IS NULL AND cancelled_at IS NULL;

-- The standing cme_sponsor_sharing consent is retired, not converted:
-- there was no activity to enrol in. Every account whose latest row
-- grants it gets a withdrawal row by the migration, with the reason.
ALTER TABLE consents ADD COLUMN reason text;
ALTER TABLE consents DROP CONSTRAINT consents_source_check;
ALTER TABLE consents ADD CONSTRAINT consents_source_check
	CHECK (source IN ('registration', 'self_service', 'unsubscribe_link', 'admin',
	                  'migration'));
INSERT INTO consents (account_id, purpose, granted, source, notice_version, reason)
SELECT l.account_id, 'cme_sponsor_sharing', false, 'migration', l.notice_version,
       'replaced by per-activity enrolment'
FROM (SELECT DISTINCT ON (account_id) account_id, granted, notice_version
      FROM consents WHERE purpose = 'cme_sponsor_sharing'
      ORDER BY account_id, id DESC) l
WHERE l.granted;
