"""Status webhooks (issue 20 item 6) against the real server and database:
a receiver in this process checks every request's Standard Webhooks
signature with Python's own hmac (an implementation independent of
hcpd's), and sees every event once, in order per account, across an hcpd
restart and a receiver that fails then recovers; two processes never send
one event twice; nothing personal is sent; `hcpd webhooks test`; the
admins' view of the attempts; a bad HCPD_WEBHOOKS_FILE stops start-up."""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import HCPD_BIN, ROOT, Hcpd, Postgres, free_port, migrate, registration, until
from reviewkit import bearer, confirm_email, decide, item, make_admin
from test_db_outage import pool_gauges, pool_idle

PASSWORD = "a long passphrase 2024"
EVENTS = ["account.created", "account.email_verified", "account.verified", "account.flagged",
          "account.approved", "account.rejected", "account.suspended", "account.reinstated",
          "account.erased"]


def signature_ok(key, headers, body):
    """A Standard Webhooks signature: one of webhook-signature's v1 values
    is the HMAC-SHA256 of "id.timestamp.body" under key, and the timestamp
    is within five minutes."""
    msg_id, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    signed = ("%s.%s." % (msg_id, ts)).encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split()
             if s.startswith("v1,")]
    fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
    return fresh and any(hmac.compare_digest(want, g) for g in given)


class Receiver:
    """An HTTP endpoint that verifies each request's signature as the
    Standard Webhooks specification says (HMAC-SHA256 over
    "id.timestamp.body" with the base64-decoded secret, the header's
    space-separated "v1,<base64>" signatures), fails the first `fail`
    requests with 500, and keeps what it acknowledged; each answered
    `hold` seconds after it arrived."""

    def __init__(self, secret, fail=0):
        self.key = base64.b64decode(secret[len("whsec_"):])
        self.fail = fail
        self.hold = 0
        self.lock = threading.Lock()
        self.requests = []  # (msg_id, valid) of every request
        self.acked = []     # parsed bodies acknowledged, in arrival order
        self.bad = []
        self.ports = []     # the client port of every request (its connection)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as receivers do

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.ports.append(self.client_address[1])
                time.sleep(receiver.hold)
                code = receiver.take(self.headers, body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, headers, body):
        ok = signature_ok(self.key, headers, body)
        with self.lock:
            self.requests.append((headers.get("webhook-id"), ok))
            if not ok:
                self.bad.append(body)
                return 401
            if self.fail > 0:
                self.fail -= 1
                return 500
            self.acked.append(dict(json.loads(body), msg_id=headers["webhook-id"]))
            return 204

    def of(self, account_id):
        with self.lock:
            return [e for e in self.acked if e.get("data", {}).get("account_id") == account_id]

    def wait(self, account_id, count, timeout=40):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.of(account_id)) >= count:
                return self.of(account_id)
            time.sleep(0.1)
        raise AssertionError("%d of %d events within %d s: %r"
                             % (len(self.of(account_id)), count, timeout, self.of(account_id)))

    def stop(self):
        self.server.shutdown()


def hooks_file(tmp_path, port, events=None, secret=None, **extra):
    """A webhooks file with one endpoint "crm" at the port, its secret in
    crm.secret beside it (relative, as an operator would write it)."""
    secret = secret or "whsec_" + base64.b64encode(os.urandom(32)).decode()
    (tmp_path / "crm.secret").write_text(secret + "\n")
    endpoint = {"name": "crm", "url": "http://127.0.0.1:%d/hooks" % port,
                "events": events or EVENTS, "secret_file": "crm.secret"}
    endpoint.update(extra)
    path = tmp_path / "webhooks.json"
    path.write_text(json.dumps({"endpoints": [endpoint]}))
    return str(path), secret


@pytest.fixture
def world(tmp_path):
    """A PostgreSQL, a receiver and a factory of hcpd processes that send
    to it; everything stopped (and checked) after the test."""
    pg = Postgres()
    made = []
    state = {}

    def receiver(fail=0):
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        state["receiver"] = r = Receiver(secret, fail)
        state["file"], state["secret"] = hooks_file(tmp_path, r.port, secret=secret)
        return r

    def hcpd():
        h = Hcpd(pg, str(tmp_path), {"HCPD_WEBHOOKS_FILE": state["file"]})
        if not made:
            migrate(h)
        h.start()
        made.append(h)
        return h

    yield pg, receiver, hcpd, state
    for h in made:
        if h.proc.poll() is None:
            h.assert_clean_exit()
    if "receiver" in state:
        state["receiver"].stop()
    pg.destroy()


def approve(h, admin, account_id, decision="approve"):
    etag = item(h, admin, account_id).headers["etag"]
    r = decide(h, admin, account_id, decision, "Checked with the board.", etag)
    assert r.status == 200, r.body


def test_every_event_once_in_order_across_a_restart_and_a_failing_receiver(world):
    pg, receiver, hcpd, state = world
    rx = receiver(fail=2)  # the first two requests fail, then it recovers
    h = hcpd()
    email = "hooks.%s@example.org" % os.urandom(4).hex()
    r = h.api.register(registration(email, given_name="Wilhelmina", family_name="Quartermain"))
    account_id = r.json["id"]
    confirm_email(h, account_id, email)
    _, _, admin = make_admin(h)
    pg.psql("UPDATE accounts SET status = 'flagged' WHERE id = '%s'" % account_id)
    approve(h, admin, account_id)
    # hcpd stops with events still to deliver (the receiver is failing)
    rc, _ = h.stop()
    assert rc == 0
    h = hcpd()
    admin = make_admin(h)[2]
    approve(h, admin, account_id, "reject")
    pg.psql("UPDATE accounts SET status = 'suspended' WHERE id = '%s'" % account_id)
    approve(h, admin, account_id)
    access = h.api.request("POST", "/v1/sessions",
                           body={"email": email, "password": PASSWORD}).json["access_token"]
    r = h.api.request("DELETE", "/v1/me", body={"password": PASSWORD}, headers=bearer(access))
    assert r.status == 204, r.body
    got = rx.wait(account_id, 6)
    time.sleep(2)  # anything more (a repeat) would be here by now
    got = rx.of(account_id)
    assert [e["type"] for e in got] == ["account.created", "account.email_verified",
                                        "account.approved", "account.rejected",
                                        "account.reinstated", "account.erased"]
    assert [e["data"]["status"] for e in got] == ["pending_verification", "pending_verification",
                                                  "approved", "rejected", "approved", "approved"]
    assert len({e["msg_id"] for e in got}) == 6
    assert rx.bad == []
    # nothing personal: an id, a status, reason codes and a time
    for e in got:
        assert set(e) == {"type", "timestamp", "data", "msg_id"}
        assert set(e["data"]) == {"account_id", "status", "reasons"}
    raw = json.dumps(got)
    for personal in (email, "Wilhelmina", "Quartermain"):
        assert personal not in raw
    # a retried event kept its webhook-id; the failures are on record
    with rx.lock:
        first = rx.requests[0][0]
        assert [m for m, _ in rx.requests].count(first) == 3
    page = h.api.request("GET", "/v1/admin/webhooks/deliveries?endpoint=crm",
                         headers=bearer(admin))
    assert page.status == 200, page.body
    created = [d for d in page.json["items"] if d["msg_id"] == first][0]
    assert created["state"] == "delivered" and created["type"] == "account.created"
    assert [a["http_status"] for a in created["attempts"]] == [500, 500, 204]
    assert [a["error"] for a in created["attempts"]] == ["http_500", "http_500", None]
    # the secret is in no log line
    assert state["secret"][len("whsec_"):] not in h.read_log()


def test_a_slow_receiver_holds_no_database_connection(world):
    """A POST may last its whole timeout: the sender gives its pooled
    connection back for it (a slow receiver must not take one from the
    API for that long), then records the delivery."""
    pg, receiver, hcpd, _ = world
    rx = receiver()
    rx.hold = 3
    h = hcpd()
    account_id = h.api.register(registration("slow.%s@example.org" % os.urandom(4).hex())).json["id"]
    deadline = time.time() + 10
    while not rx.ports:
        assert time.time() < deadline, "no delivery arrived"
        time.sleep(0.05)
    # while the receiver holds the POST, nothing stays lent out (pool_idle: other
    # background work borrows a connection for a moment now and then)
    assert pool_idle(h.metrics, 2.5), pool_gauges(h.metrics)
    assert not rx.of(account_id)
    rx.wait(account_id, 1)
    deadline = time.time() + 5
    while pg.psql("SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL") != "1":
        assert time.time() < deadline, "the delivery was not recorded"
        time.sleep(0.1)


def deliveries(h):
    """The hcpd_deliveries gauges: {(kind, to, state): value}."""
    text = h.metrics.request("GET", "/metrics").body.decode()
    return {m[:3]: int(m[3]) for m in re.findall(
        r'^hcpd_deliveries\{kind="(\w+)",to="([^"]*)",state="(\w+)"\} (\d+)$', text, re.M)}


def test_deliveries_owed_are_in_the_metrics(world):
    """An operator sees what is owed and to whom: mail (no destination: an
    address is personal), webhook deliveries by endpoint, pending or given
    up; a delivered one is owed no more."""
    pg, receiver, hcpd, _ = world
    rx = receiver(fail=1000)
    h = hcpd()  # and no SMTP server: the confirmation mail waits
    h.api.register(registration("owed.%s@example.org" % os.urandom(4).hex()))
    until(lambda: rx.requests, "no delivery was tried", seconds=10)
    got = deliveries(h)
    assert got[("mail", "", "pending")] == 1 and got[("mail", "", "given_up")] == 0
    assert got[("webhook", "crm", "pending")] == 1
    assert got[("webhook", "crm", "given_up")] == 0
    pg.psql("UPDATE webhook_deliveries SET given_up_at = now()")
    got = deliveries(h)
    assert got[("webhook", "crm", "pending")] == 0
    assert got[("webhook", "crm", "given_up")] == 1
    pg.psql("UPDATE webhook_deliveries SET delivered_at = now(), given_up_at = NULL")
    assert ("webhook", "crm", "given_up") not in deliveries(h)


def test_one_accounts_events_follow_each_other_without_a_pause(world):
    """A batch that claims fewer rows than it could (one account's events
    go one at a time, in order) is not the end: the next is claimed at
    once, not after the idle second (20 events: 20 s before); and they go
    over the connection already open, not one connection each."""
    pg, receiver, hcpd, state = world
    rx = receiver()
    h = hcpd()
    account_id = h.api.register(registration(
        "hooks.%s@example.org" % os.urandom(4).hex())).json["id"]
    rx.wait(account_id, 1)
    pg.psql("INSERT INTO webhook_deliveries (endpoint, account_id, type, status) "
            "SELECT 'crm', '%s', 'account.verified', 'verified' "
            "FROM generate_series(1, 20)" % account_id)
    t0 = time.time()
    rx.wait(account_id, 21)
    assert time.time() - t0 < 8, time.time() - t0
    with rx.lock:
        assert len(set(rx.ports[-20:])) <= 2, rx.ports


def test_two_processes_send_each_event_once(world):
    pg, receiver, hcpd, state = world
    rx = receiver()
    a, b = hcpd(), hcpd()
    ids = [a.api.register(registration("two.%d.%s@example.org" % (i, os.urandom(3).hex())))
           .json["id"] for i in range(4)]
    ids += [b.api.register(registration("two.%d.%s@example.org" % (i, os.urandom(3).hex())))
            .json["id"] for i in range(4)]
    for account_id in ids:
        rx.wait(account_id, 1)
    time.sleep(3)
    with rx.lock:
        sent = [m for m, _ in rx.requests]
    assert len(sent) == len(set(sent)) == 8, sent


def test_webhooks_test_command_and_admin_access(world):
    pg, receiver, hcpd, state = world
    rx = receiver()
    h = hcpd()
    r = h.cli("webhooks", "test", "crm")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["http_status"] == 204 and out["type"] == "webhook.test"
    with rx.lock:
        assert rx.acked[-1]["type"] == "webhook.test" and rx.bad == []
    r = h.cli("webhooks", "test", "nobody")
    assert r.returncode == 2 and "no endpoint" in r.stderr
    rx.fail = 1
    assert h.cli("webhooks", "test", "crm").returncode == 1
    # professionals may not read the deliveries
    email = "hooks.pro.%s@example.org" % os.urandom(3).hex()
    h.api.register(registration(email))
    token = h.api.request("POST", "/v1/sessions",
                          body={"email": email, "password": PASSWORD}).json["access_token"]
    r = h.api.request("GET", "/v1/admin/webhooks/deliveries", headers=bearer(token))
    assert r.status == 403


@pytest.mark.parametrize("change, says", [
    ({"url": "http://hooks.example.org/x"}, "endpoints[0].url must be https://"),
    ({"colour": "blue"}, "endpoints[0].colour is not a known key"),
    ({"events": ["account.deleted"]}, "endpoints[0].events names an event type"),
    ({"name": "CRM"}, "endpoints[0].name must be"),
    ({"url": "https://user:pw@hooks.example.org/x"}, "must not hold credentials"),
])
def test_a_bad_webhooks_file_stops_start_up(tmp_path, change, says):
    path, secret = hooks_file(tmp_path, 9, **change)
    pg = Postgres()
    try:
        h = Hcpd(pg, str(tmp_path), {"HCPD_WEBHOOKS_FILE": path})
        r = h.cli("serve")
        assert r.returncode == 2 and says in r.stderr and path in r.stderr, r.stderr
        assert secret not in r.stderr
    finally:
        pg.destroy()


def test_a_bad_secret_stops_start_up(tmp_path):
    path, _ = hooks_file(tmp_path, 9)
    (tmp_path / "crm.secret").write_text("whsec_" + base64.b64encode(b"too short").decode())
    env = dict(os.environ, HCPD_WEBHOOKS_FILE=path)
    r = subprocess.run([HCPD_BIN, "webhooks", "test", "crm"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert "endpoints[0].secret_file names a secret that is not 24 to 64 bytes" in r.stderr
