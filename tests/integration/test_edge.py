"""The HTTP edge (issue 18 items 4, 7, 8, 10; issue 23 item 5):

- the metrics listener (HCPD_METRICS_LISTEN) serves /metrics and /healthz,
  in `hcpd serve` and in `hcpd worker`; the public port has no /metrics;
- behind trusted proxies (HCPD_TRUSTED_PROXIES) the per-address limit
  counts the forwarded client (the rightmost untrusted hop), IPv6 by /64;
  from any other peer the forwarding headers are ignored;
- password change and erasure count against the per-address limit;
- the settings are checked at start and a bad one is named.

Slow clients (the connection cap and the deadlines) are in test_hostile.py.
Clients are told apart by the loopback address they connect from
(127.0.0.2, 127.0.0.3 ...), which Linux routes to the server like 127.0.0.1.
"""

import json
import os
import signal
import subprocess
import time
import uuid

from conftest import HCPD_BIN, ROOT, Api, registration

PASSWORD = "a long passphrase 2024"


def unique(tag):
    return "%s.%s@example.org" % (tag, uuid.uuid4().hex[:10])


def inside_a_minute():
    """The per-address window is the clock minute: start well inside one."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)


def sign_in(api, email, password=PASSWORD, headers=None):
    return api.request("POST", "/v1/sessions", body={"email": email, "password": password},
                       headers=headers)


# --- the metrics listener -----------------------------------------------------

def test_metrics_are_not_on_the_public_port(hcpd):
    """Issue 18 item 4: /metrics showed accounts by status to anyone, so a
    registration that made an account could be told from one for a taken
    address. The public port answers 404 like any unknown path; the
    metrics listener serves the gauges."""
    assert hcpd.api.register(registration(unique("edge.metrics"))).status == 202
    r = hcpd.api.request("GET", "/metrics")
    assert r.status == 404 and r.is_problem()
    assert b"hcpd_" not in r.body
    text = hcpd.metrics.request("GET", "/metrics").body.decode()
    for gauge in ("hcpd_accounts{", "hcpd_verification_jobs{", "hcpd_db_pool_connections{",
                  'hcpd_http_requests_total{method="POST",route="/v1/registrations"'):
        assert gauge in text, gauge
    # the scrapes are not requests of the API
    assert 'route="/metrics"' not in text
    assert hcpd.metrics.request("GET", "/healthz").json == {"status": "ok"}
    r = hcpd.metrics.request("GET", "/v1/registration/schema")
    assert r.status == 404 and r.is_problem()
    assert hcpd.metrics.request("POST", "/metrics").status == 405


def test_the_worker_serves_its_metrics(stack):
    """Issue 23 item 5: `hcpd worker` has a metrics listener too, with what
    it has: the verification gauges and counters, the pool, the process."""
    pg, h = stack()
    log_path = os.path.join(os.path.dirname(h.log_path), "worker.log")
    env = dict(h.env, HCPD_VERIFY_CONCURRENCY="2")
    with open(log_path, "wb") as log:
        w = subprocess.Popen([HCPD_BIN, "worker"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        port, deadline = None, time.time() + 15
        while port is None:
            assert w.poll() is None and time.time() < deadline, open(log_path).read()
            for line in open(log_path, errors="replace"):
                if '"msg":"metrics listening"' in line:
                    port = json.loads(line)["port"]
            time.sleep(0.05)
        metrics = Api(port)
        text = metrics.request("GET", "/metrics").body.decode()
        for name in ("hcpd_verification_jobs{", "hcpd_verification_oldest_queued_seconds",
                     'hcpd_verification_checks_total{verifier="us-nppes"',
                     "hcpd_db_pool_connections{", "process_start_time_seconds",
                     "process_resident_memory_bytes"):
            assert name in text, name
        # no API in a worker, so no HTTP or hashing section
        assert "hcpd_http_requests_total" not in text and "hcpd_hash_queue" not in text
        assert metrics.request("GET", "/healthz").json == {"status": "ok"}
        assert metrics.request("GET", "/v1/registration/schema").status == 404
    finally:
        w.send_signal(signal.SIGTERM)
        rc = w.wait(timeout=30)
    assert rc == 0, open(log_path).read()[-2000:]


def test_metrics_listener_off_and_bad_settings_are_named(hcpd, stack):
    pg, h = stack({"HCPD_METRICS_LISTEN": "off"})
    assert '"metrics listening"' not in h.read_log()
    bad = {
        "HCPD_METRICS_LISTEN": ["localhost:9464", "127.0.0.1", "[::1]", "9464"],
        "HCPD_TRUSTED_PROXIES": ["10.0.0.1/8", "10.0.0.0/33", "proxy.example.org",
                                 "10.0.0.0/8,", "10.0.0.0/8 192.168.0.0/16"],
        "HCPD_TRUSTED_PROXY_HEADER": ["x-real-ip"],
        "HCPD_MAX_CONNECTIONS_PER_ADDRESS": ["-1", "many"],
        "HCPD_REQUEST_DEADLINE_SECONDS": ["0", "301"],
    }
    for name, values in bad.items():
        for value in values:
            env = dict(hcpd.env, **{name: value})
            r = subprocess.run([HCPD_BIN, "serve"], env=env, cwd=ROOT, capture_output=True,
                               text=True, timeout=30)
            assert r.returncode == 2 and name in r.stderr, (name, value, r.stderr[-500:])
    # a port in use is named too
    env = dict(hcpd.env, HCPD_LISTEN="127.0.0.1:0",
               HCPD_METRICS_LISTEN="127.0.0.1:%d" % hcpd.metrics_port())
    r = subprocess.run([HCPD_BIN, "serve"], env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "HCPD_METRICS_LISTEN" in r.stderr, r.stderr[-500:]


# --- trusted proxies ---------------------------------------------------------

def attempts(api, n, xff=None):
    """n sign-ins with unknown emails (each a 401 unless limited)."""
    headers = {"X-Forwarded-For": xff} if xff is not None else None
    return [sign_in(api, unique("edge.ghost"), headers=headers).status for _ in range(n)]


def test_clients_behind_a_trusted_proxy_get_their_own_buckets(stack):
    """Issue 18 item 7: behind the ingress everyone had the proxy's bucket,
    so one client shut everyone out. From a trusted proxy (127.0.0.1 here)
    the client is the rightmost hop of X-Forwarded-For that is not itself
    trusted; an IPv6 client is counted by its /64."""
    pg, h = stack({"HCPD_RATE_LIMIT_PER_ADDRESS": "3",
                   "HCPD_TRUSTED_PROXIES": "127.0.0.1/32, 10.0.0.0/8"})
    proxy = h.api  # connects from 127.0.0.1
    inside_a_minute()
    assert attempts(proxy, 4, "203.0.113.1") == [401, 401, 401, 429]
    # another client through the same proxy is not shut out
    assert attempts(proxy, 1, "203.0.113.2") == [401]
    # writing someone else's address on the left changes nothing: the
    # proxy appended the real one on the right (a trusted hop is skipped)
    assert attempts(proxy, 1, "203.0.113.9, 203.0.113.1") == [429]
    assert attempts(proxy, 1, "203.0.113.1, 10.1.2.3") == [429]
    assert attempts(proxy, 2, "203.0.113.2:4711") == [401, 401]
    # IPv6: one /64 is one client
    assert attempts(proxy, 3, "2001:db8:1:2::1") == [401] * 3
    assert attempts(proxy, 1, "[2001:db8:1:2:ffff::9]:443") == [429]
    assert attempts(proxy, 1, "2001:db8:1:3::1") == [401]
    # a header that cannot be read counts against the proxy itself
    assert attempts(proxy, 3, "unknown") == [401] * 3
    assert attempts(proxy, 1) == [429]
    assert attempts(proxy, 1, "203.0.113.3") == [401]
    # Forwarded is not read unless HCPD_TRUSTED_PROXY_HEADER says so
    r = sign_in(proxy, unique("edge.fwd"), headers={"Forwarded": "for=203.0.113.4"})
    assert r.status == 429  # the proxy's own bucket, full


def test_forwarding_from_an_untrusted_peer_is_ignored(stack):
    """The same headers from a peer that is not a trusted proxy change
    nothing: spoofing X-Forwarded-For or Forwarded gives no fresh bucket.
    (HCPD_TRUSTED_PROXIES is loopback, 127.0.0.1 and ::1, by default.)"""
    pg, h = stack({"HCPD_RATE_LIMIT_PER_ADDRESS": "3"})
    direct = Api(h.port, source="127.0.0.2")
    inside_a_minute()
    statuses = [sign_in(direct, unique("edge.spoof"),
                        headers={"X-Forwarded-For": "198.51.100.%d" % i,
                                 "Forwarded": "for=198.51.100.%d" % i}).status
                for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    # with no trusted proxy at all, not even loopback (the default) is believed
    pg2, h2 = stack({"HCPD_RATE_LIMIT_PER_ADDRESS": "3", "HCPD_TRUSTED_PROXIES": "none"})
    inside_a_minute()
    assert [attempts(h2.api, 1, "198.51.100.%d" % i)[0] for i in range(4)] == \
        [401, 401, 401, 429]


def test_forwarded_header_when_configured(stack):
    pg, h = stack({"HCPD_RATE_LIMIT_PER_ADDRESS": "2", "HCPD_TRUSTED_PROXIES": "127.0.0.1",
                   "HCPD_TRUSTED_PROXY_HEADER": "forwarded"})
    inside_a_minute()

    def fwd(value):
        return sign_in(h.api, unique("edge.fwd"), headers={"Forwarded": value}).status

    assert [fwd("for=192.0.2.60;proto=https") for _ in range(3)] == [401, 401, 429]
    assert fwd('for="[2001:db8:cafe::17]:4711"') == 401
    assert fwd("for=192.0.2.61") == 401
    # X-Forwarded-For is not read now: the proxy's own bucket
    statuses = [sign_in(h.api, unique("edge.xff"),
                        headers={"X-Forwarded-For": "192.0.2.%d" % (70 + i)}).status
                for i in range(3)]
    assert statuses == [401, 401, 429]


# --- the hashing routes of a signed-in caller ---------------------------------

def test_password_change_and_erasure_count_against_the_address(stack):
    """Issue 18 item 10: PATCH /v1/me/password and DELETE /v1/me hash a
    password like sign-in, and now count against the per-address limit
    like it (each from its own address here, so each is shown alone)."""
    pg, h = stack({"HCPD_RATE_LIMIT_PER_ADDRESS": "3"})
    inside_a_minute()
    setup = Api(h.port, source="127.0.0.2")
    email = unique("edge.limited")
    assert setup.register(registration(email)).status == 202
    token = sign_in(setup, email).json["access_token"]
    auth = {"Authorization": "Bearer " + token}
    changer = Api(h.port, source="127.0.0.3")
    statuses = [changer.request("PATCH", "/v1/me/password", headers=auth,
                                body={"current_password": "not it, try %d" % i,
                                      "new_password": "another long passphrase 77"}).status
                for i in range(4)]
    assert statuses == [422, 422, 422, 429], statuses  # a wrong current password is a 422
    eraser = Api(h.port, source="127.0.0.4")
    statuses = [eraser.request("DELETE", "/v1/me", headers=auth,
                               body={"password": "not it, try %d" % i}).status
                for i in range(4)]
    assert statuses == [422, 422, 422, 429], statuses  # erasure's wrong password is a 422
    r = eraser.request("DELETE", "/v1/me", headers=auth, body={"password": PASSWORD})
    assert r.status == 429 and r.is_problem() and 1 <= int(r.headers["retry-after"]) <= 60
    # the account is untouched, and another address may still act for it
    assert Api(h.port, source="127.0.0.5").request("GET", "/v1/me", headers=auth).status == 200
