"""Retention: `hcpd purge --now` and the purge thread of `hcpd serve`
erase registrations never completed, drop verification evidence past its
verifier's retention, and delete expired tokens and old idempotency keys;
ledger, audit and consent rows are never purged. Settings are checked at
start-up."""

import json
import os
import subprocess
import time

from conftest import HCPD_BIN, ROOT, registration
from privacy_helpers import Pro, bearer, disclose, insert_verification
from test_admin import admin_token


def backdate(pg, account_id, days):
    pg.psql("UPDATE accounts SET created_at = now() - make_interval(days => %d) "
            "WHERE id = '%s'" % (days, account_id))


def terms(pg, recipient, retention_days):
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) VALUES "
            "('%s', 'verifier', '%s', 'US')" % (recipient, recipient))
    pg.psql("INSERT INTO recipient_terms (recipient, version, purpose, allowed_fields, "
            "retention_days, onward_transfer, legal_basis, recipient_country, effective_from) "
            "VALUES ('%s', '1', 'licensure_verification', ARRAY['npi'], %d, false, "
            "'consent', 'US', now() - interval '5 years')" % (recipient, retention_days))


def erased(pg, account_id):
    return pg.psql("SELECT erased_at IS NOT NULL FROM accounts WHERE id = '%s'"
                   % account_id) == "t"


def test_purge_now(stack):
    pg, h = stack()
    api = h.api
    # registrations: the old ones never completed go, whatever their status (issue
    # 18: an address squatted with someone's public licence data may have been
    # flagged, or even approved before approval needed a confirmed email)
    old = Pro(api, enrolled=True)
    confirmed, squatted, held, recent = Pro(api), Pro(api), Pro(api), Pro(api)
    for pro in (old, confirmed, squatted, held):
        backdate(pg, pro.id, 31)
    pg.psql("UPDATE accounts SET email_verified = true WHERE id = '%s'" % confirmed.id)
    pg.psql("UPDATE accounts SET status = 'approved' WHERE id = '%s'" % squatted.id)
    pg.psql("UPDATE accounts SET legal_hold_at = now() "
            "WHERE id = '%s'" % held.id)
    disclose(h, admin_token(h), old.id)
    ledger = pg.psql("SELECT count(*) FROM disclosures")

    # evidence: kept as long as the verifier's terms say, 365 days without terms
    terms(pg, "short-keeper", 10)
    terms(pg, "long-keeper", 30)
    gone = [insert_verification(pg, recent.id, "short-keeper", "00" * 40, days_ago=11),
            insert_verification(pg, recent.id, "no-terms", "00" * 40, days_ago=400)]
    kept = [insert_verification(pg, recent.id, "long-keeper", "00" * 40, days_ago=11),
            insert_verification(pg, recent.id, "no-terms", "00" * 40, days_ago=100),
            insert_verification(pg, recent.id, "short-keeper", "00" * 40, days_ago=9)]

    # tokens: an expired email token, the refresh token of a signed-out session
    pg.psql("INSERT INTO email_tokens (token_hash, account_id, purpose, expires_at) VALUES "
            "(sha256('expired'), '%s', 'confirm_email', now() - interval '1 second')"
            % recent.id)
    access, _ = recent.login()
    assert api.request("DELETE", "/v1/sessions/current", headers=bearer(access)).status == 204
    # idempotency keys: one a day old goes (default 24 hours), a fresh one stays
    for key in ("purge-old", "purge-new"):
        body = registration("idem.%s@example.org" % key)
        assert api.register(body, headers={"Idempotency-Key": key}).status == 202
    pg.psql("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
            "WHERE key_hash = sha256('purge-old')")
    # sign-in throttle rows (issue 18: never purged): a failure a day old goes,
    # a fresh one and one still locking stay
    for who, last, locked in (("old", "25 hours", "NULL"), ("new", "1 hour", "NULL"),
                              ("locking", "25 hours", "now() + interval '5 minutes'")):
        pg.psql("INSERT INTO login_throttle (email_bidx, failures, locked_until, "
                "last_failure_at) VALUES (sha256('%s'), 3, %s, now() - interval '%s')"
                % (who, locked, last))

    # webhook deliveries (issue 20: never purged): done 30 days ago (the
    # default) they go with their attempts; a recent one and one still
    # being tried stay
    pg.psql("INSERT INTO webhook_endpoints (name, events) VALUES ('purge', '{account.verified}')")
    for done in ("delivered_at = now() - interval '31 days'",
                 "given_up_at = now() - interval '31 days'",
                 "delivered_at = now() - interval '29 days'", "attempts = 3"):
        pg.psql("WITH d AS (INSERT INTO webhook_deliveries (endpoint, account_id, type, status, "
                "occurred_at) VALUES ('purge', '%s', 'account.verified', 'verified', "
                "now() - interval '40 days') RETURNING id) "
                "INSERT INTO webhook_attempts (delivery_id, duration_ms) SELECT id, 1 FROM d"
                % recent.id)
        pg.psql("UPDATE webhook_deliveries SET %s WHERE id = (SELECT max(id) FROM "
                "webhook_deliveries)" % done)

    # activity releases (names of fields only): ended 31 days ago go
    pg.psql("INSERT INTO enrolments (account_id, activity, notice_version, preview) "
            "VALUES ('%s', 'example-cme-module', 'v', '[]')" % recent.id)
    for ended in ("delivered_at = now() - interval '31 days'",
                  "cancelled_at = now() - interval '31 days'",
                  "given_up_at = now() - interval '29 days'", "attempts = 1"):
        pg.psql("INSERT INTO activity_releases (enrolment_id, recipient, disclosure_id, fields, "
                "completion_status) SELECT id, 'example-cme-sponsor', 0, '{email}', "
                "'completed' FROM enrolments WHERE account_id = '%s'" % recent.id)
        pg.psql("UPDATE activity_releases SET %s WHERE id = (SELECT max(id) FROM "
                "activity_releases)" % ended)

    r = h.cli("purge", "--now")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"registrations": 2, "evidence": 2, "email_tokens": 1,
                                    "refresh_tokens": 1, "idempotency_keys": 1,
                                    "login_throttle": 1, "documents": 0,
                                    "rejected": 0, "dormancy_warnings": 0, "dormant": 0,
                                    "webhooks": 2, "releases": 2}
    assert pg.psql("SELECT count(*) || ' ' || (SELECT count(*) FROM webhook_attempts) "
                   "FROM webhook_deliveries WHERE endpoint = 'purge'") == "2 2"
    assert pg.psql("SELECT count(*) FROM activity_releases") == "2"
    assert erased(pg, old.id) and erased(pg, squatted.id)
    assert not any(erased(pg, p.id) for p in (confirmed, held, recent))
    # the purged account's secret left the keystore; the others' stay
    assert [pg.psql("SELECT count(*) FROM account_keys WHERE account_id = '%s'" % p.id,
                    url=pg.keys_url) for p in (old, confirmed, held)] == ["0", "1", "1"]
    assert pg.psql("SELECT profile_public::text FROM accounts WHERE id = '%s'" % old.id) == \
        '{"country": "US", "profession": "physician"}'
    assert pg.psql("SELECT actor FROM audit_log WHERE target = '%s' AND action = "
                   "'account.purged'" % old.id) == "system"
    old.login(expect=401)
    for vid in gone:
        assert pg.psql("SELECT evidence_enc IS NULL FROM verifications WHERE id = %s" % vid) == "t"
    for vid in kept:
        assert pg.psql("SELECT evidence_enc IS NULL FROM verifications WHERE id = %s" % vid) == "f"
    assert pg.psql("SELECT count(*) FROM idempotency_keys WHERE key_hash = sha256('purge-new')") == "1"
    assert pg.psql("SELECT count(*) FROM login_throttle WHERE email_bidx IN "
                   "(sha256('new'), sha256('locking'))") == "2"
    # never purged: the ledger, the consent history of the purged account
    assert pg.psql("SELECT count(*) FROM disclosures") == ledger
    assert int(pg.psql("SELECT count(*) FROM consents WHERE account_id = '%s'" % old.id)) > 0
    # the live session of the recent account still works
    assert recent.call("GET", "/v1/me").status == 200

    r = h.cli("purge", "--now")  # nothing left to do
    assert json.loads(r.stdout) == {"registrations": 0, "evidence": 0, "email_tokens": 0,
                                    "refresh_tokens": 0, "idempotency_keys": 0,
                                    "login_throttle": 0, "documents": 0,
                                    "rejected": 0, "dormancy_warnings": 0, "dormant": 0,
                                    "webhooks": 0, "releases": 0}
    assert h.cli("purge").returncode == 2 and h.cli("purge", "--later").returncode == 2


def test_purge_thread_runs_in_serve(stack):
    pg, h = stack({"HCPD_PURGE_INTERVAL_SECONDS": "1", "HCPD_RETENTION_UNCOMPLETED_DAYS": "2"})
    keep, old = Pro(h.api), Pro(h.api)
    backdate(pg, keep.id, 1)
    backdate(pg, old.id, 3)
    deadline = time.time() + 15
    while not erased(pg, old.id) and time.time() < deadline:
        time.sleep(0.2)
    assert erased(pg, old.id)
    assert not erased(pg, keep.id)
    assert '"msg":"retention purge"' in h.read_log()


def test_retention_settings_are_checked_at_start_up(tmp_path):
    env = dict(os.environ)
    for name, value in (("HCPD_PURGE_INTERVAL_SECONDS", "0"),
                        ("HCPD_RETENTION_UNCOMPLETED_DAYS", "x"),
                        ("HCPD_RETENTION_EVIDENCE_DAYS", "-1"),
                        ("HCPD_RETENTION_IDEMPOTENCY_HOURS", "0"),
                        ("HCPD_RETENTION_DOCUMENTS_DAYS", "0"),
                        ("HCPD_RETENTION_DOCUMENTS_DAYS", "3651"),
                        ("HCPD_PUBLIC_URL", "ftp://example.org"),
                        ("HCPD_PUBLIC_URL", "https://example.org/"),
                        ("HCPD_PUBLIC_URL", "https://example.org/?a=b")):
        bad = dict(env, **{name: value})
        r = subprocess.run([HCPD_BIN, "migrate"], env=bad, cwd=ROOT, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 2 and name in r.stderr, (name, value, r.stderr)
