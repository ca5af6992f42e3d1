"""bin/hcpd itself under valgrind memcheck (issue 10): register, sign in,
GET /v1/me, refresh, sign out, a few refused requests, then SIGTERM and a
clean exit - and valgrind must report nothing: no invalid read or write,
no use of uninitialised memory, no definite leak (--error-exitcode makes
any report the exit status). Run by `make valgrind` with the plain build,
never by `make test`.

argon2id runs at its minimum parameters, which are also the defaults
(m=19456 KiB, t=2, p=1): under memcheck each hash takes a second or two,
and the scenario hashes four times (the start-up dummy, registration,
sign-in, and the refused sign-in).
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from conftest import HCPD_BIN, Hcpd, Postgres, migrate, registration  # noqa: E402

VALGRIND = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--num-callers=30"]
PASSWORD = "a long passphrase 2024"


def test_hcpd_under_valgrind(tmp_path):
    assert "/san/" not in HCPD_BIN, "valgrind needs the plain build (HCPD_BIN=%s)" % HCPD_BIN
    pg = Postgres()
    h = Hcpd(pg, str(tmp_path), {"HCPD_ARGON2_MEMORY_KIB": "19456", "HCPD_ARGON2_ITERATIONS": "2",
                                 "HCPD_HTTP_THREADS": "2", "HCPD_HASH_THREADS": "1",
                                 "HCPD_DB_POOL_SIZE": "2"}, prefix=VALGRIND)
    h.start_seconds = 180
    t0 = time.time()
    try:
        migrate(h)
        h.start()
        api = h.api
        email = "valgrind@example.org"
        body = registration(email)  # its licence number is drawn at random: sent twice as is
        r = api.register(body, {"Idempotency-Key": "valgrind-1"})
        assert r.status == 202, r.body
        assert api.register(body, {"Idempotency-Key": "valgrind-1"}).status == 202
        assert api.register(dict(registration(email), password="short")).status == 422
        tokens = api.request("POST", "/v1/sessions",
                             body={"email": email, "password": PASSWORD}, timeout=120).json
        me = api.request("GET", "/v1/me",
                         headers={"Authorization": "Bearer " + tokens["access_token"]})
        assert me.status == 200 and me.json["email"] == email
        r = api.request("POST", "/v1/sessions/refresh",
                        body={"refresh_token": tokens["refresh_token"]})
        assert r.status == 200, r.body
        assert api.request("POST", "/v1/sessions/refresh",  # reuse: the family is revoked
                           body={"refresh_token": tokens["refresh_token"]}).status == 401
        r = api.request("POST", "/v1/sessions", body={"email": email, "password": "wrong " * 4},
                        timeout=120)
        assert r.status == 401
        for path in ("/healthz", "/readyz", "/metrics", "/v1/registration/schema",
                     "/.well-known/jwks.json", "/nope"):
            api.request("GET", path)  # /metrics: a 404 on the public port
        for path in ("/metrics", "/healthz"):  # the metrics listener
            assert h.metrics.request("GET", path).status == 200
        assert api.request("GET", "/v1/me", headers={"Authorization": "Bearer x.y.z"}).status \
            == 401
        assert api.request("POST", "/v1/registrations", raw=b'{"email":',
                           headers={"Content-Type": "application/json"}).status == 400
        # sign out with a fresh session (the refreshed one was revoked by reuse)
        fresh = api.request("POST", "/v1/sessions", body={"email": email, "password": PASSWORD},
                            timeout=120).json["access_token"]
        assert api.request("DELETE", "/v1/sessions/current",
                           headers={"Authorization": "Bearer " + fresh}).status == 204
        assert api.request("GET", "/v1/me", headers={"Authorization": "Bearer " + fresh}).status \
            == 401
    finally:
        if h.proc is not None and h.proc.poll() is None:
            rc, _ = h.stop(timeout=120)
        else:
            rc = h.proc.returncode if h.proc is not None else None
        pg.destroy()
    log = h.read_log()
    reports = [line for line in log.splitlines() if re.match(r"==\d+==", line)]
    assert rc == 0 and not reports, "valgrind (exit %r):\n%s" % (rc, "\n".join(reports[:80]))
    print("valgrind scenario: %.0f s, exit %d, no reports" % (time.time() - t0, rc))
