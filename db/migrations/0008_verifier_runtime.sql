-- 0008: what the verification runner and the roster verifiers need beyond
-- the job tables of 0004: each verifier's rate-limit bucket (shared by
-- every hcpd process, so a registry's limit holds across a cluster), the
-- loaded rosters, and the licence expiry a registry reported.

-- Claims look for one verifier's due jobs.
CREATE INDEX verification_jobs_verifier_due ON verification_jobs (verifier, next_attempt_at, id)
	WHERE state IN ('queued', 'running');

-- A token bucket per verifier: tokens as of refilled_at (refilled at the
-- definition's rate, up to its burst, when a claim reads it). paused_until
-- is set from a registry's 429 Retry-After: no request goes before it.
CREATE TABLE verifier_buckets (
	verifier     text PRIMARY KEY,
	tokens       double precision NOT NULL,
	refilled_at  timestamptz NOT NULL,
	paused_until timestamptz
);

-- One row per loaded roster (a roster_csv verifier's CSV file); its
-- entries are replaced as a whole by `hcpd roster load`. The roster
-- verifier applies only once its roster is loaded.
CREATE TABLE rosters (
	name      text PRIMARY KEY,
	entries   bigint NOT NULL CHECK (entries >= 0),
	sha256    bytea NOT NULL CHECK (length(sha256) = 32),
	loaded_at timestamptz NOT NULL DEFAULT now()
);

-- A roster's rows, reduced to what matching needs. Names are stored
-- normalised (verifiers/compare.h), so matching is an equality. These are
-- the roster publisher's public records, not hcpd's professionals.
CREATE TABLE roster_entries (
	roster       text NOT NULL REFERENCES rosters (name) ON DELETE CASCADE,
	npi          text,
	family_name  text NOT NULL,
	given_name   text NOT NULL,
	state        text NOT NULL,
	listed_on    date,
	reinstated   boolean NOT NULL,
	detail       text NOT NULL -- e.g. the exclusion type: shown to admins
);

CREATE INDEX roster_entries_npi ON roster_entries (roster, npi) WHERE npi IS NOT NULL;
CREATE INDEX roster_entries_name ON roster_entries (roster, family_name, given_name, state);

-- The licence expiry a registry gave, for re-verification before it.
ALTER TABLE verifications ADD COLUMN licence_expires date;
