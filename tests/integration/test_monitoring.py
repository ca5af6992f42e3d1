"""Continuous monitoring: re-verification by `hcpd reverify` and by the
scheduler, suspension into the admin queue with a message, expiry
reminders, the admins' digest, error outcomes retried at the next pass,
two schedulers queueing once, and the monitoring metrics."""

import json
import time

import pytest

from conftest import Hcpd, registration
from pipeline_helpers import case, jobs_settled, nppes_definition, nppes_env, registries_dir
from privacy_helpers import valid_npi
from registry_stub import RegistryStub
from reviewkit import bearer, login, make_admin, unique_email
from test_email import start_sink
from test_pipeline import answer, register


@pytest.fixture
def stub():
    s = RegistryStub()
    yield s
    s.close()


@pytest.fixture
def smtp():
    sink, controller = start_sink()
    yield sink, controller.port
    controller.stop()


def monitored(stack, stub, tmp_path, smtp_port=None, env=None, **definition):
    e = nppes_env(stub, registries_dir(tmp_path, nppes_definition(**definition)))
    if smtp_port:
        e["HCPD_SMTP_URL"] = "smtp://127.0.0.1:%d" % smtp_port
    e.update(env or {})
    return stack(e)


def verified(h, pg, stub, **profile):
    """A professional whose first check verified: (account id, email, npi)."""
    npi = valid_npi()
    answer(stub, npi)
    account, email, _ = register(h, npi=npi, **profile)
    assert jobs_settled(pg, account) == "verified"
    return account, email, npi


def reverify(h, how="--due"):
    r = h.cli("reverify", how)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_lapsed_licence_is_suspended_queued_for_review_and_told(stack, stub, tmp_path, smtp):
    sink, port = smtp
    pg, h = monitored(stack, stub, tmp_path, port)
    account, email, npi = verified(h, pg, stub)
    _, _, other = verified(h, pg, stub)
    # nothing is due yet: checked moments ago
    assert reverify(h)["queued"] == 0
    answer(stub, npi, "004-inactive")  # the registry's record changed
    assert reverify(h, "--all")["queued"] == 2
    assert jobs_settled(pg, account) == "suspended"
    assert pg.psql("SELECT status FROM accounts WHERE id = (SELECT id FROM accounts "
                   "WHERE id <> '%s' AND role = 'professional')" % account) == "verified"
    # the re-check went through the gate and the ledger like the first
    assert pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % account) == "2"
    assert pg.psql("SELECT occasion || ':' || outcome FROM verification_jobs WHERE "
                   "account_id = '%s' ORDER BY id DESC LIMIT 1" % account) == \
        "reverification:inactive"
    # in the admin queue, with the reason
    _, _, token = make_admin(h)
    r = h.api.request("GET", "/v1/admin/reviews?status=suspended", headers=bearer(token),
                      template="/v1/admin/reviews")
    [item] = r.json["items"]
    assert item["id"] == account
    assert any("not active" in json.dumps(reason) for reason in item["reasons"]), item
    # and the professional is told, with nothing about the licence in it
    [m] = sink.wait_for(email, "suspended")
    body = m["msg"].get_content()
    assert npi not in body and "NPPES" not in body and "inactive" not in body
    assert stub.count(other) == 2  # re-checked too, and still verified


def queue_reasons(h, token, account, status):
    r = h.api.request("GET", "/v1/admin/reviews?status=" + status, headers=bearer(token),
                      template="/v1/admin/reviews")
    [item] = [i for i in r.json["items"] if i["id"] == account]
    return item["reasons"]


@pytest.mark.parametrize("how", ["consent", "restriction"])
def test_monitoring_cannot_be_switched_off(stack, stub, tmp_path, smtp, how):
    """Issue 18 (High): withdrawing licensure_verification, or restricting
    processing, used to cancel every re-check while the account stayed
    verified as its licence lapsed. A refused re-check is no good check:
    the account is suspended into the queue (reason monitoring_refused),
    the professional is told how to restore it, and consent again (or the
    restriction lifted) checks the licence again at once: verified again
    when it still holds (consent case), flagged when it lapsed meanwhile
    (restriction case)."""
    sink, port = smtp
    pg, h = monitored(stack, stub, tmp_path, port)
    account, email, npi = verified(h, pg, stub)
    token = login(h, email)
    consent = how == "consent"
    if consent:
        r = h.api.request("PUT", "/v1/me/consents", body={"licensure_verification": False},
                          headers=bearer(token))
    else:
        r = h.api.request("POST", "/v1/me/restriction", headers=bearer(token))
        answer(stub, npi, "004-inactive")  # the licence lapses meanwhile
    assert r.status == 200, r.body
    assert reverify(h, "--all")["queued"] == 1
    assert jobs_settled(pg, account) == "suspended"
    assert stub.count(npi) == 1  # nothing was sent: the refusal holds
    assert pg.psql("SELECT state || ':' || last_error FROM verification_jobs WHERE "
                   "account_id = '%s' ORDER BY id DESC LIMIT 1" % account) == \
        ("cancelled:refused:no_consent" if consent else "cancelled:refused:restricted")
    assert h.api.request("GET", "/v1/me", headers=bearer(token)).json["status"] == "suspended"
    # through the status table, with its history
    assert pg.psql("SELECT from_status || '>' || to_status || ':' || event || ':' || reason "
                   "FROM account_status_history WHERE account_id = '%s' ORDER BY id DESC "
                   "LIMIT 1" % account) == "verified>suspended:check_refused:monitoring_refused"
    _, _, admin = make_admin(h)
    assert queue_reasons(h, admin, account, "suspended")[0] == \
        {"verifier": None, "outcome": None, "reason": "monitoring_refused"}
    [m] = sink.wait_for(email, "cannot be re-checked")
    body = m["msg"].get_content()
    assert "PUT /v1/me/consents" in body and npi not in body
    # restored: checked again at once
    if consent:
        r = h.api.request("PUT", "/v1/me/consents", body={"licensure_verification": True},
                          headers=bearer(token))
    else:
        r = h.api.request("DELETE", "/v1/me/restriction", headers=bearer(token))
    assert r.status == 200, r.body
    assert jobs_settled(pg, account) == ("verified" if consent else "flagged")
    assert stub.count(npi) == 2
    history = pg.psql("SELECT string_agg(event || ':' || coalesce(reason, ''), ',' ORDER BY id) "
                      "FROM account_status_history WHERE account_id = '%s'" % account).split(",")
    # verified when the checks passed, or when the email was confirmed after them
    assert history[0] in ("checks_passed:", "checks_passed:email_confirmed"), history
    assert history[1:] == ["check_refused:monitoring_refused", "reverify:monitoring_restored",
                           "checks_passed:" if consent else "recheck_failed:"]


def test_a_refused_first_check_goes_to_an_admin(stack, stub, tmp_path):
    """A first check that may not run leaves no registration waiting: the
    account is flagged (verification_refused) instead of pending for ever."""
    pg, h = monitored(stack, stub, tmp_path, env={"HCPD_VERIFY_CONCURRENCY": "0"})
    npi = valid_npi()
    answer(stub, npi)
    account, email, _ = register(h, npi=npi)
    r = h.api.request("POST", "/v1/me/restriction", headers=bearer(login(h, email)))
    assert r.status == 200
    h.stop()
    h.env["HCPD_VERIFY_CONCURRENCY"] = "8"
    h.start()
    assert jobs_settled(pg, account) == "flagged"
    assert stub.count(npi) == 0
    assert pg.psql("SELECT status_reason FROM accounts WHERE id = '%s'" % account) == \
        "verification_refused"


def test_the_scheduler_rechecks_after_reverify_days(stack, stub, tmp_path):
    pg, h = monitored(stack, stub, tmp_path)
    account, _, npi = verified(h, pg, stub)
    # the last check is made old: the next pass finds it due
    pg.psql("UPDATE verifications SET checked_at = now() - interval '31 days'")
    assert reverify(h) == {"queued": 1, "reminders": 0, "digests": 0}
    assert jobs_settled(pg, account) == "verified"
    assert stub.count(npi) == 2
    assert reverify(h)["queued"] == 0  # checked again: not due


def test_an_error_changes_nothing_and_is_retried_at_the_next_pass(stack, stub, tmp_path):
    pg, h = monitored(stack, stub, tmp_path, attempts=2)
    account, _, npi = verified(h, pg, stub)
    stub.set(npi, {"status": 503, "body": ""})
    assert reverify(h, "--all")["queued"] == 1
    assert jobs_settled(pg, account) == "verified"  # stays as it is
    assert pg.psql("SELECT outcome FROM verification_jobs WHERE account_id = '%s' "
                   "ORDER BY id DESC LIMIT 1" % account) == "error"
    metrics = h.metrics.request("GET", "/metrics").body.decode()
    assert 'hcpd_verification_checks_total{verifier="us-nppes",outcome="error"} 1' in metrics
    # the error is no good check: the next scheduled pass tries again
    answer(stub, npi)
    assert reverify(h)["queued"] == 1
    assert jobs_settled(pg, account) == "verified"


def test_a_licence_about_to_expire_is_rechecked_and_reminded_once(stack, stub, tmp_path, smtp):
    sink, port = smtp
    pg, h = monitored(stack, stub, tmp_path, port)
    soon = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 10 * 86400))
    later = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 200 * 86400))
    account, email, npi = verified(h, pg, stub, license_expiry=soon)
    _, far_email, _ = verified(h, pg, stub, license_expiry=later)
    assert reverify(h) == {"queued": 1, "reminders": 1, "digests": 0}
    assert jobs_settled(pg, account) == "verified"
    [m] = sink.wait_for(email, "expires soon")
    assert soon not in m["msg"].get_content() and npi not in m["msg"].get_content()
    assert reverify(h) == {"queued": 0, "reminders": 0, "digests": 0}  # once per expiry
    # what it was reminded of is kept sealed: the date is personal
    assert pg.psql("SELECT position(convert_to('%s', 'UTF8') in expiry_reminded_enc) "
                   "FROM accounts WHERE id = '%s'" % (soon, account)) == "0"
    assert soon not in pg.dump()
    time.sleep(1.5)
    assert sink.received(far_email, "expires soon") == []


def test_admins_get_a_digest_when_items_wait_too_long(stack, stub, tmp_path, smtp):
    sink, port = smtp
    pg, h = monitored(stack, stub, tmp_path, port)
    admin_email, _, _ = make_admin(h)
    npi = valid_npi()
    answer(stub, npi, last_name="SOMEONE-ELSE")
    account, _, _ = register(h, npi=npi)
    assert jobs_settled(pg, account) == "flagged"
    assert reverify(h)["digests"] == 0  # flagged just now
    pg.psql("UPDATE accounts SET status_changed_at = now() - interval '3 days' "
            "WHERE id = '%s'" % account)
    assert reverify(h)["digests"] == 1
    [m] = sink.wait_for(admin_email, "waiting for review")
    assert account not in m["msg"].get_content()
    assert reverify(h)["digests"] == 0  # at most one a day


def test_the_digest_counts_items_only_a_person_can_check(stack, stub, tmp_path, smtp):
    """Issue 19: a registration no automated register can check (here no
    register at all: this stack loads only NPPES; a manual register's
    manual_check item is flagged the same way) waits for an admin like any
    flagged item, and the digest counts it."""
    sink, port = smtp
    pg, h = monitored(stack, stub, tmp_path, port)
    admin_email, _, _ = make_admin(h)
    body = registration(unique_email("hk"), country="HK")
    del body["profile"]["npi"], body["profile"]["license_region"]
    account = h.api.register(body).json["id"]
    assert pg.psql("SELECT status || ':' || status_reason FROM accounts WHERE id = '%s'"
                   % account) == "flagged:no_registry"
    pg.psql("UPDATE accounts SET status_changed_at = now() - interval '3 days' "
            "WHERE id = '%s'" % account)
    assert reverify(h)["digests"] == 1
    sink.wait_for(admin_email, "waiting for review")


def test_two_schedulers_queue_each_account_once(stack, stub, tmp_path):
    pg, a = monitored(stack, stub, tmp_path, env={"HCPD_VERIFY_CONCURRENCY": "0"})
    accounts = []
    for _ in range(20):
        npi = valid_npi()
        answer(stub, npi)
        accounts.append(register(a, npi=npi)[0])
    # checked long ago, as far as the schedule knows
    pg.psql("INSERT INTO verification_jobs (account_id, verifier, occasion, state, outcome, "
            "finished_at) SELECT account_id, verifier, 'registration', 'done', 'verified', "
            "now() FROM verification_jobs")
    pg.psql("DELETE FROM verification_jobs WHERE state = 'queued'")
    pg.psql("INSERT INTO verifications (account_id, job_id, verifier, outcome, checked_at) "
            "SELECT account_id, id, verifier, 'verified', now() - interval '40 days' "
            "FROM verification_jobs")
    pg.psql("UPDATE accounts SET status = 'verified'")
    env = {k: v for k, v in a.env.items() if k != "HCPD_LISTEN"}
    env.update(HCPD_VERIFY_CONCURRENCY="8", HCPD_REVERIFY_INTERVAL_SECONDS="1")
    procs = [Hcpd(pg, str(tmp_path), env).start() for _ in range(2)]
    time.sleep(4)  # several passes each
    for account in accounts:
        jobs_settled(pg, account)
    assert pg.psql("SELECT count(*), count(DISTINCT account_id) FROM verification_jobs "
                   "WHERE occasion = 'reverification'") == "20|20"
    assert stub.count() == 20
    for p in procs:
        p.assert_clean_exit()


def test_monitoring_metrics(stack, stub, tmp_path):
    pg, h = monitored(stack, stub, tmp_path, env={"HCPD_VERIFY_CONCURRENCY": "0"})
    register(h)
    text = h.metrics.request("GET", "/metrics").body.decode()
    assert 'hcpd_accounts{status="pending_verification"} 1' in text
    assert 'hcpd_verification_jobs{state="queued"} 1' in text
    assert "hcpd_verification_oldest_queued_seconds" in text
    assert 'hcpd_verification_checks_total{verifier="us-nppes",outcome="verified"} 0' in text
