"""Rules the schema itself enforces (migration 0004): append-only tables
and the time an account's status last changed."""

import subprocess
import uuid

import pytest

from conftest import registration


def refused(pg, sql):
    with pytest.raises(subprocess.CalledProcessError) as e:
        pg.psql(sql)
    assert "append-only" in e.value.stderr


def test_audit_log_and_terms_are_append_only(hcpd, pg):
    pg.psql("INSERT INTO audit_log (actor, action) VALUES ('system', 'test.append')")
    refused(pg, "UPDATE audit_log SET reason = 'x'")
    refused(pg, "DELETE FROM audit_log")
    refused(pg, "TRUNCATE audit_log")
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) "
            "VALUES ('schema-test', 'accreditor', 'Schema test', 'US') ON CONFLICT DO NOTHING")
    pg.psql("INSERT INTO recipient_terms (recipient, version, purpose, allowed_fields, "
            "retention_days, onward_transfer, legal_basis, recipient_country, effective_from) "
            "VALUES ('schema-test', 'v1', 'test', '{npi}', 30, false, 'consent', 'US', now())")
    refused(pg, "UPDATE recipient_terms SET retention_days = 1 WHERE recipient = 'schema-test'")
    refused(pg, "DELETE FROM recipient_terms WHERE recipient = 'schema-test'")


def test_disclosures_are_append_only(hcpd, pg):
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) "
            "VALUES ('schema-test', 'accreditor', 'Schema test', 'US') ON CONFLICT DO NOTHING")
    pg.psql("INSERT INTO disclosures (id, subject, recipient, fields, purpose, terms_version, "
            "legal_basis, recipient_country, disclosed_at, prev_hash, row_hash) VALUES "
            "(1000000000, '%s', 'schema-test', '{npi}', 'test', 'v1', 'consent', 'US', now(), "
            "decode(repeat('00', 32), 'hex'), decode(repeat('11', 32), 'hex'))" % uuid.uuid4())
    refused(pg, "UPDATE disclosures SET fields = '{}' WHERE id = 1000000000")
    refused(pg, "DELETE FROM disclosures WHERE id = 1000000000")
    refused(pg, "TRUNCATE disclosures")


def test_status_change_time_moves_only_with_the_status(api, pg):
    r = api.register(registration("status-time@example.org"))
    assert r.status == 202
    aid = r.json["id"]
    before = pg.psql("SELECT status_changed_at FROM accounts WHERE id = '%s'" % aid)
    pg.psql("UPDATE accounts SET email_verified = true WHERE id = '%s'" % aid)
    assert pg.psql("SELECT status_changed_at FROM accounts WHERE id = '%s'" % aid) == before
    pg.psql("UPDATE accounts SET status = 'flagged' WHERE id = '%s'" % aid)
    after = pg.psql("SELECT status_changed_at > '%s'::timestamptz FROM accounts WHERE id = '%s'"
                    % (before, aid))
    assert after == "t"
