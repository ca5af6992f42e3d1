"""Issue 19: every registration reaches a decision.

A professional no register can check goes to the admin queue at once
(reason no_registry), a rectification to such a country does the same, and
the invariant (the view stuck_accounts, read after every test by
conftest.py and exposed on /metrics) finds an account that waits with
neither an open job nor a review item.
"""

from conftest import registration
from reviewkit import bearer, confirm_email, decide, item, login, make_admin, unique_email


def register(api, **profile):
    email = unique_email("decide")
    body = registration(email, **profile)
    body["profile"] = {k: v for k, v in body["profile"].items() if v is not None}
    r = api.register(body)
    assert r.status == 202, r.body
    return r.json["id"], email


def status_of(pg, account_id):
    return pg.psql("SELECT status || ':' || coalesce(status_reason, '') FROM accounts "
                   "WHERE id = '%s'" % account_id)


def test_no_register_for_the_country_goes_to_an_admin_at_once(hcpd, pg):
    account, email = register(hcpd.api, country="NZ", npi=None, license_region=None)
    # in the registration's own transaction: no job, straight to the queue
    assert status_of(pg, account) == "flagged:no_registry"
    assert pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id = '%s'"
                   % account) == "0"
    assert pg.psql("SELECT from_status || '>' || to_status || ':' || event FROM "
                   "account_status_history WHERE account_id = '%s'" % account) == \
        "pending_verification>flagged:no_registry"
    _, _, token = make_admin(hcpd)
    r = item(hcpd, token, account)
    assert {"verifier": None, "outcome": None, "reason": "no_registry"} in r.json["reasons"]
    confirm_email(hcpd, account, email)
    r = decide(hcpd, token, account, "approve", "checked the register by phone",
               item(hcpd, token, account).headers["etag"])
    assert r.status == 200, r.body
    assert status_of(pg, account) == "approved:"


def test_rectification_to_a_country_without_register_decides_again(hcpd, pg):
    account, email = register(hcpd.api)  # US: its NPPES job waits (no runner here)
    assert status_of(pg, account) == "pending_verification:"
    r = hcpd.api.request("PATCH", "/v1/me", body={"profile": {"country": "NZ"}},
                         headers=bearer(login(hcpd, email)))
    assert r.status == 200, r.body
    assert status_of(pg, account) == "flagged:no_registry"
    assert pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id = '%s' "
                   "AND state IN ('queued', 'running')" % account) == "0"


def test_the_invariant_finds_an_account_left_waiting(hcpd, pg):
    account, _ = register(hcpd.api)
    assert account not in pg.stuck()  # its job is open: it waits for a reason
    pg.psql("UPDATE verification_jobs SET state = 'cancelled', finished_at = now() "
            "WHERE account_id = '%s'" % account)
    try:
        assert account in pg.stuck()
        text = hcpd.metrics.request("GET", "/metrics").body.decode()
        gauges = dict(line.split(" ", 1) for line in text.splitlines()
                      if line.startswith("hcpd_accounts_"))
        assert int(gauges["hcpd_accounts_stuck"]) >= 1
        assert int(gauges["hcpd_accounts_oldest_pending_seconds"]) >= 0
    finally:
        # put it where an admin sees it, or every later check fails
        pg.psql("UPDATE accounts SET status = 'flagged' WHERE id = '%s'" % account)
    assert account not in pg.stuck()
