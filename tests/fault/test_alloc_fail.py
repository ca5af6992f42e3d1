"""Allocation failure (issue 10): each request below is sent again and
again with its n-th allocation failed, n = 1, 2, ... until it makes fewer
than n allocations (see services/base/allocfail.h). Run by `make alloc-fail`
against the ALLOC_FAIL=1 SANITIZE=address build, never by `make test`.

For every n the reply is a success or a 503 problem+json, both as
openapi.yaml documents them, and the process stays up. A registration
leaves nothing half-done: the same request sent again unarmed, under the
same Idempotency-Key, gives 202 and an account that holds the whole
profile. At the end hcpd gets SIGTERM and must exit 0 without a
LeakSanitizer report (so no failure path leaked).
"""

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from conftest import HCPD_BIN, Hcpd, Postgres, migrate, registration  # noqa: E402

HEADER = "X-Hcpd-Alloc-Fail"
PASSWORD = "a long passphrase 2024"
MAX_N = 5000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert "allocfail" in HCPD_BIN, "run by `make alloc-fail` (HCPD_BIN=%s)" % HCPD_BIN
    pg = Postgres()
    h = Hcpd(pg, str(tmp_path_factory.mktemp("allocfail")))
    try:
        migrate(h)
        h.start()
        yield pg, h
    finally:
        if h.proc is not None:
            h.assert_clean_exit()  # LeakSanitizer runs at this exit
        pg.destroy()


def sweep(h, what, send, check=None):
    """send(n, headers) makes the request armed with n; check(n, reply)
    looks at its effects. Every reply is what the request gets without a
    failure, or 503 problem+json. Returns how many allocations the
    request made."""
    t0 = time.time()
    for n in range(1, MAX_N):
        r = send(n, {HEADER: str(n)})
        fired = r.headers.get(HEADER.lower())
        assert fired in ("fired", "missed"), (what, n, r.headers)
        assert h.proc.poll() is None, "hcpd died: %s, n=%d" % (what, n)
        assert r.status < 500 or (r.status == 503 and r.is_problem()), (what, n, r.status, r.body)
        if fired == "missed":
            assert r.status < 500, (what, n, r.status, r.body)
        if check is not None:
            check(n, r)
        if fired == "missed":
            print("%s: allocations 1..%d failed in turn, %.1f s" % (what, n - 1, time.time() - t0))
            return n - 1
    pytest.fail("%s: the failure never stopped firing" % what)


def login(api, email):
    r = api.request("POST", "/v1/sessions", body={"email": email, "password": PASSWORD})
    assert r.status == 200, (email, r.status, r.body)
    return r.json


def bearer(token):
    return {"Authorization": "Bearer " + token}


def assert_complete(api, body, account_id):
    """The account exists and holds everything the registration sent."""
    me = api.request("GET", "/v1/me",
                     headers=bearer(login(api, body["email"])["access_token"])).json
    assert me["id"] == account_id
    assert me["email"] == body["email"]
    assert me["profile"] == body["profile"], (me["profile"], body["profile"])


def test_registration(server):
    pg, h = server

    bodies = {}

    def body(n):  # the same body each time for n (registration() draws licence numbers)
        if n not in bodies:
            bodies[n] = registration("alloc.%04d@example.org" % n, given_name="Alloc%d" % n)
        return bodies[n]

    def send(n, headers):
        headers["Idempotency-Key"] = "alloc-fail-%04d" % n
        return h.api.register(body(n), headers)

    def check(n, r):
        # nothing half-done: the same request again settles it
        again = h.api.register(body(n), {"Idempotency-Key": "alloc-fail-%04d" % n})
        assert again.status == 202, (n, r.status, r.body, again.status, again.body)
        if r.status == 202:
            assert again.json["id"] == r.json["id"]
        assert_complete(h.api, body(n), again.json["id"])

    n = sweep(h, "POST /v1/registrations", send, check)
    assert int(pg.psql("SELECT count(*) FROM accounts")) == n + 1


def test_checks_fail_closed(server):
    """A request a check must refuse is refused - 422 - or answered 503,
    however memory runs out: never accepted because a failed allocation
    swallowed the error that would have refused it."""
    pg, h = server
    before = pg.psql("SELECT count(*) FROM accounts")
    weak = dict(registration("alloc.weak@example.org"), password="password1234567")
    sweep(h, "POST /v1/registrations (weak password)",
          lambda n, hd: h.api.register(weak, hd), refused)
    bad = registration("alloc.bad@example.org", npi="1234567890", country="ZZ", phone="555")
    sweep(h, "POST /v1/registrations (bad profile)",
          lambda n, hd: h.api.register(bad, hd), refused)
    assert pg.psql("SELECT count(*) FROM accounts") == before

    email = "alloc.pw@example.org"
    assert h.api.register(registration(email, given_name="Pwchange")).status == 202
    access = login(h.api, email)["access_token"]
    for new in ("short", "pwchange pwchange pwchange", "password password"):
        sweep(h, "PATCH /v1/me/password (%r)" % new, lambda n, hd: h.api.request(
            "PATCH", "/v1/me/password", body={"current_password": PASSWORD, "new_password": new},
            headers=dict(hd, **bearer(access))), refused)
    login(h.api, email)  # the password never changed
    sweep(h, "POST /v1/me/email/confirm (no token)", lambda n, hd: h.api.request(
        "POST", "/v1/me/email/confirm", body={"tok": "x"}, headers=dict(hd, **bearer(access))),
        refused)


def refused(n, r):
    assert r.status in (422, 503), (n, r.status, r.body)


def test_sessions_and_me(server):
    _, h = server
    email = "alloc.sessions@example.org"
    assert h.api.register(registration(email)).status == 202

    def tokens_work(n, r):
        """A 200 carries a token pair that works, not damaged text."""
        if r.status != 200:
            return
        assert h.api.request("GET", "/v1/me", headers=bearer(r.json["access_token"])).status \
            == 200, n
        again = h.api.request("POST", "/v1/sessions/refresh",
                              body={"refresh_token": r.json["refresh_token"]})
        assert again.status == 200, (n, again.body)

    sweep(h, "POST /v1/sessions", lambda n, hd: h.api.request(
        "POST", "/v1/sessions", body={"email": email, "password": PASSWORD}, headers=hd),
        tokens_work)

    access = login(h.api, email)["access_token"]
    sweep(h, "GET /v1/me", lambda n, hd: h.api.request(
        "GET", "/v1/me", headers=dict(hd, **bearer(access))))

    def refresh(n, hd):
        token = login(h.api, email)["refresh_token"]
        return h.api.request("POST", "/v1/sessions/refresh", body={"refresh_token": token},
                             headers=hd)

    sweep(h, "POST /v1/sessions/refresh", refresh, tokens_work)

    def logout(n, hd):
        tokens = login(h.api, email)
        r = h.api.request("DELETE", "/v1/sessions/current",
                          headers=dict(hd, **bearer(tokens["access_token"])))
        if r.status == 204:  # signed out means signed out
            assert h.api.request("GET", "/v1/me", headers=bearer(tokens["access_token"]),
                                 check=False).status == 401
        return r

    sweep(h, "DELETE /v1/sessions/current", logout)
