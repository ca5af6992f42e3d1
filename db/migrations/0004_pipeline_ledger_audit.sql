-- 0004: the tables that the verification pipeline, the limited-use
-- disclosure ledger, the audit log and admin review share.
--
-- Personal values never appear here in clear: disclosures hold field
-- names only, verification evidence is sealed with the account's data key
-- (evidence_enc), and audit rows name targets by id. disclosures and
-- audit_log are append-only: a trigger refuses UPDATE, DELETE and
-- TRUNCATE, and disclosures are hash-chained besides.

-- Restriction of processing: while set, nothing about the account leaves
-- hcpd and no marketing is sent; it is only stored.
ALTER TABLE accounts ADD COLUMN processing_restricted boolean NOT NULL DEFAULT false;

-- When the status last changed: how long an item has waited for review.
ALTER TABLE accounts ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now();

CREATE FUNCTION hcpd_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status IS DISTINCT FROM OLD.status THEN
		NEW.status_changed_at := now();
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER accounts_status_changed BEFORE UPDATE OF status ON accounts
	FOR EACH ROW EXECUTE FUNCTION hcpd_status_changed();

CREATE FUNCTION hcpd_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END $$;

-- Third parties that may receive personal fields. Verifier recipients are
-- written from their definitions (verifiers/registries/*.json) at start-up,
-- the others from the recipients file.
CREATE TABLE recipients (
	name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	kind         text NOT NULL
	             CHECK (kind IN ('verifier', 'advertiser', 'cme_sponsor', 'accreditor', 'authority')),
	display_name text NOT NULL,
	country      text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	created_at   timestamptz NOT NULL DEFAULT now()
);

-- Limited-use terms, versioned. A version once stored is never changed
-- (new terms are a new version), so every ledger row can name the exact
-- terms it was disclosed under.
CREATE TABLE recipient_terms (
	recipient         text NOT NULL REFERENCES recipients (name),
	version           text NOT NULL,
	purpose           text NOT NULL,
	allowed_fields    text[] NOT NULL,
	retention_days    integer NOT NULL CHECK (retention_days >= 0),
	onward_transfer   boolean NOT NULL,
	legal_basis       text NOT NULL,
	recipient_country text NOT NULL CHECK (recipient_country ~ '^[A-Z]{2}$'),
	effective_from    timestamptz NOT NULL,
	effective_to      timestamptz CHECK (effective_to IS NULL OR effective_to > effective_from),
	recorded_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (recipient, version)
);

CREATE TRIGGER recipient_terms_append_only BEFORE UPDATE OR DELETE ON recipient_terms
	FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER recipient_terms_no_truncate BEFORE TRUNCATE ON recipient_terms
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();

-- The ledger: one row per disclosure of an account's fields to a
-- recipient. id is given in chain order under the append lock (1, 2, ...);
-- row_hash is the SHA-256 of the row's canonical content and prev_hash
-- (the row_hash of id - 1; 32 zero bytes for id 1). subject is not a
-- foreign key: rows outlive erasure as pseudonymous records.
CREATE TABLE disclosures (
	id                bigint PRIMARY KEY CHECK (id > 0),
	subject           uuid NOT NULL,
	recipient         text NOT NULL REFERENCES recipients (name),
	fields            text[] NOT NULL,
	purpose           text NOT NULL,
	terms_version     text NOT NULL,
	legal_basis       text NOT NULL,
	recipient_country text NOT NULL,
	job_id            bigint,
	disclosed_at      timestamptz NOT NULL,
	prev_hash         bytea NOT NULL CHECK (length(prev_hash) = 32),
	row_hash          bytea NOT NULL CHECK (length(row_hash) = 32)
);

CREATE INDEX disclosures_subject ON disclosures (subject, id);
CREATE INDEX disclosures_recipient ON disclosures (recipient, id);

CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON disclosures
	FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER disclosures_no_truncate BEFORE TRUNCATE ON disclosures
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();

-- Every admin action (profile views included) and every refusal of the
-- disclosure gate. actor is an admin's account id or 'system'; details
-- never hold a personal value.
CREATE TABLE audit_log (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	actor      text NOT NULL,
	action     text NOT NULL,
	target     text,
	reason     text,
	request_id text,
	details    jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_target ON audit_log (target, id);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();

-- One job per (account, applicable verifier) and occasion. Workers claim
-- due jobs FOR UPDATE SKIP LOCKED and hold them by lease; a job whose
-- worker died is due again once lease_until has passed. At most one open
-- job per (account, verifier), so queuing twice queues once.
CREATE TABLE verification_jobs (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id      uuid NOT NULL REFERENCES accounts (id),
	verifier        text NOT NULL,
	occasion        text NOT NULL
	                CHECK (occasion IN ('registration', 'rectification', 'reverification',
	                                    'roster_reload', 'review_response')),
	state           text NOT NULL DEFAULT 'queued'
	                CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	lease_owner     text,
	lease_until     timestamptz,
	outcome         text CHECK (outcome IN ('verified', 'mismatch', 'not_found', 'inactive',
	                                        'excluded', 'error')),
	last_error      text, -- an error name, never registry content
	created_at      timestamptz NOT NULL DEFAULT now(),
	finished_at     timestamptz
);

CREATE INDEX verification_jobs_due ON verification_jobs (next_attempt_at)
	WHERE state IN ('queued', 'running');
CREATE UNIQUE INDEX verification_jobs_open ON verification_jobs (account_id, verifier)
	WHERE state IN ('queued', 'running');
CREATE INDEX verification_jobs_account ON verification_jobs (account_id, id);

-- The outcome of each finished check, at most one per job. reason is a
-- short text without personal values ("family name differs", "registry
-- unavailable"); checks holds per-field results without values
-- ({"family_name": "match"}); evidence_enc the normalised compared values,
-- sealed with the account's data key, NULL once past retention or erased;
-- reply_sha256 the SHA-256 of the raw registry reply.
CREATE TABLE verifications (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id   uuid NOT NULL REFERENCES accounts (id),
	job_id       bigint NOT NULL UNIQUE REFERENCES verification_jobs (id),
	verifier     text NOT NULL,
	outcome      text NOT NULL
	             CHECK (outcome IN ('verified', 'mismatch', 'not_found', 'inactive', 'excluded',
	                                'error')),
	reason       text,
	checks       jsonb NOT NULL DEFAULT '{}',
	evidence_enc bytea,
	reply_sha256 bytea CHECK (reply_sha256 IS NULL OR length(reply_sha256) = 32),
	checked_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX verifications_account ON verifications (account_id, verifier, id);
