"""Retention of whole accounts (issue 25 item 6): rejected registrations
are erased HCPD_RETENTION_REJECTED_DAYS after their rejection; a dormant
account (no sign-in for HCPD_RETENTION_DORMANT_DAYS) is warned by one mail
30 days ahead, then erased unless it signs in or is on a legal hold; every
purge is counted in `hcpd purge --now`'s output and in /metrics. The clock
is moved forward by backdating the rows the rules read."""

import json
import subprocess
import threading

from conftest import HeldTransaction, until, waiting_on_locks
from privacy_helpers import PASSWORD, Pro
from test_retention import erased

SETTINGS = {"HCPD_RETENTION_REJECTED_DAYS": "10", "HCPD_RETENTION_DORMANT_DAYS": "100"}
# a statement may wait for a transaction the test holds while the other
# side (a password hash, a process start) takes its time on a loaded machine
LOCKED = dict(SETTINGS, HCPD_STATEMENT_TIMEOUT_MS="30000")


def purge(h):
    r = h.cli("purge", "--now")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def reject(pg, account_id, days_ago):
    pg.psql("UPDATE accounts SET status = 'rejected', email_verified = true WHERE id = '%s'"
            % account_id)
    pg.psql("INSERT INTO account_status_history (account_id, from_status, to_status, event, "
            "changed_at) VALUES ('%s', 'flagged', 'rejected', 'admin_reject', "
            "now() - make_interval(days => %d))" % (account_id, days_ago))


def idle(pg, account_id, days):
    """Moves the account's creation, sign-ins and refreshes days back."""
    shift = "make_interval(days => %d)" % days
    pg.psql("UPDATE accounts SET created_at = created_at - %s, email_verified = true "
            "WHERE id = '%s'" % (shift, account_id))
    pg.psql("UPDATE sessions SET created_at = created_at - %s WHERE account_id = '%s'"
            % (shift, account_id))
    pg.psql("UPDATE refresh_tokens rt SET created_at = rt.created_at - %s FROM sessions s "
            "WHERE s.id = rt.session_id AND s.account_id = '%s'" % (shift, account_id))


def warnings(pg, account_id):
    return int(pg.psql("SELECT count(*) FROM outbox WHERE account_id = '%s' AND kind = "
                       "'dormancy_warning' AND payload_enc IS NULL" % account_id))


def age_warning(pg, account_id, days):
    pg.psql("UPDATE accounts SET dormancy_warned_at = dormancy_warned_at - "
            "make_interval(days => %d) WHERE id = '%s'" % (days, account_id))


def test_rejected_accounts_are_erased_after_their_retention(stack):
    pg, h = stack(SETTINGS)
    old, recent, held = Pro(h.api), Pro(h.api), Pro(h.api)
    reject(pg, old.id, 11)
    reject(pg, recent.id, 9)
    reject(pg, held.id, 11)
    pg.psql("UPDATE accounts SET legal_hold_at = now() WHERE id = '%s'" % held.id)
    counts = purge(h)
    assert counts["rejected"] == 1 and counts["registrations"] == 0
    assert erased(pg, old.id)
    assert not erased(pg, recent.id) and not erased(pg, held.id)
    assert pg.psql("SELECT actor FROM audit_log WHERE target = '%s' AND action = "
                   "'account.purged_rejected'" % old.id) == "system"
    assert purge(h)["rejected"] == 0


def test_dormant_account_is_warned_then_erased(stack):
    pg, h = stack(SETTINGS)
    sleeper, waker, held, active = Pro(h.api), Pro(h.api), Pro(h.api), Pro(h.api)
    for pro in (sleeper, waker, held):
        idle(pg, pro.id, 71)  # 100 days of dormancy, warned 30 ahead
    idle(pg, active.id, 69)
    pg.psql("UPDATE accounts SET legal_hold_at = now() WHERE id = '%s'" % held.id)

    counts = purge(h)
    assert counts["dormancy_warnings"] == 2 and counts["dormant"] == 0
    assert [warnings(pg, p.id) for p in (sleeper, waker, held, active)] == [1, 1, 0, 0]
    # once: a second pass does not warn again
    assert purge(h)["dormancy_warnings"] == 0
    assert warnings(pg, sleeper.id) == 1

    # the warning is not yet 30 days old: nothing is erased
    idle(pg, sleeper.id, 29)
    age_warning(pg, sleeper.id, 29)
    assert purge(h)["dormant"] == 0 and not erased(pg, sleeper.id)

    # 30 days on: the sleeper goes, the one who signed in since stays
    idle(pg, sleeper.id, 2)
    age_warning(pg, sleeper.id, 2)
    waker.login()
    age_warning(pg, waker.id, 31)
    counts = purge(h)
    assert counts["dormant"] == 1 and counts["dormancy_warnings"] == 0
    assert erased(pg, sleeper.id)
    assert not any(erased(pg, p.id) for p in (waker, held, active))
    sleeper.login(expect=401)
    assert pg.psql("SELECT actor FROM audit_log WHERE target = '%s' AND action = "
                   "'account.purged_dormant'" % sleeper.id) == "system"
    # counted across processes (the CLI purged; serve's listener shows it)
    text = h.metrics.request("GET", "/metrics").body
    text = text.decode() if isinstance(text, bytes) else text
    assert 'hcpd_retention_purged_total{what="dormant"} 1' in text
    assert 'hcpd_retention_purged_total{what="dormancy_warnings"} 2' in text


def test_a_sign_in_while_the_purge_erases_saves_the_account(stack):
    """The purge asks which accounts are due, then erases them one at a
    time: one that signs in meanwhile stays. A sign-in's session not yet
    committed holds the account's row; the erasure waits for it, then
    asks again and finds the account active."""
    pg, h = stack(LOCKED)
    pro = Pro(h.api)
    idle(pg, pro.id, 140)
    pg.psql("UPDATE accounts SET dormancy_warned_at = now() - interval '31 days' "
            "WHERE id = '%s'" % pro.id)
    sign_in = HeldTransaction(pg, "INSERT INTO sessions (id, account_id, expires_at) VALUES "
                              "(gen_random_uuid(), '%s', now() + interval '1 day')" % pro.id)
    try:
        purging = subprocess.Popen(h.argv + ["purge", "--now"], env=h.env, cwd=h.cwd,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        until(lambda: waiting_on_locks(pg) == 1, "the erasure did not wait for the sign-in",
              seconds=20)
        sign_in.commit()
        out, err = purging.communicate(timeout=30)
    finally:
        sign_in.close()
    assert purging.returncode == 0, err
    assert json.loads(out)["dormant"] == 0
    assert not erased(pg, pro.id)
    pro.login()


def test_an_erasure_under_way_makes_a_sign_in_fail(stack):
    """The other order: the erasure holds the row when the sign-in, its
    password already checked, opens its session. The session waits, then
    finds the account erased: 401 and no session."""
    pg, h = stack(LOCKED)
    pro = Pro(h.api)
    before = pg.psql("SELECT count(*) FROM sessions WHERE account_id = '%s'" % pro.id)
    erasure = HeldTransaction(pg, "SELECT 1 FROM accounts WHERE id = '%s' FOR UPDATE" % pro.id,
                              "UPDATE accounts SET erased_at = now() WHERE id = '%s'" % pro.id)
    status = []
    try:
        t = threading.Thread(target=lambda: status.append(pro.api.request(
            "POST", "/v1/sessions", body={"email": pro.email, "password": PASSWORD}).status))
        t.start()
        until(lambda: waiting_on_locks(pg) == 1, "the sign-in did not wait for the erasure",
              seconds=20)
        erasure.commit()
        t.join(timeout=20)
    finally:
        erasure.close()
    assert status == [401]
    assert pg.psql("SELECT count(*) FROM sessions WHERE account_id = '%s'" % pro.id) == before


def test_dormancy_settings_are_checked(stack):
    pg, h = stack()
    for name, value in (("HCPD_RETENTION_DORMANT_DAYS", "30"),
                        ("HCPD_RETENTION_REJECTED_DAYS", "0")):
        h.env[name] = value
        r = h.cli("purge", "--now")
        assert r.returncode == 2 and name in r.stderr, (name, r.stderr)
        del h.env[name]
