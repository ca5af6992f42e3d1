#!/usr/bin/python3
"""Latency at one client (a measuring tool, not a test): N registrations,
N sign-ins and N `GET /v1/me`, one at a time over loopback against a fresh
PostgreSQL and `hcpd serve`. Prints one JSON object with the median and
p99 of each, in milliseconds.

    HCPD_BIN=bin/hcpd tests/perf/latency.py [--n 100]
"""

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from conftest import Hcpd, Postgres, migrate, registration  # noqa: E402

PASSWORD = "a long passphrase 2024"


def summary(samples):
    s = sorted(samples)
    return {"median_ms": round(s[len(s) // 2] * 1000, 2),
            "p99_ms": round(s[min(len(s) - 1, int(len(s) * 0.99))] * 1000, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    a = ap.parse_args()
    pg = Postgres()
    h = Hcpd(pg, tempfile.mkdtemp(prefix="hcpd-latency-"),
             {"HCPD_LOG_LEVEL": "warn", "HCPD_VERIFY_CONCURRENCY": "0"})
    try:
        migrate(h)
        h.start()
        reg, login, me = [], [], []
        for i in range(a.n):
            email = "lat%d@example.org" % i
            t = time.perf_counter()
            assert h.api.request("POST", "/v1/registrations", body=registration(email),
                                 check=False).status == 202
            reg.append(time.perf_counter() - t)
            t = time.perf_counter()
            r = h.api.request("POST", "/v1/sessions", body={"email": email, "password": PASSWORD},
                              check=False)
            login.append(time.perf_counter() - t)
            auth = {"Authorization": "Bearer " + r.json["access_token"]}
            t = time.perf_counter()
            assert h.api.request("GET", "/v1/me", headers=auth, check=False).status == 200
            me.append(time.perf_counter() - t)
        print(json.dumps({"n": a.n, "registration": summary(reg), "login": summary(login),
                          "me": summary(me)}))
    finally:
        if h.proc is not None and h.proc.poll() is None:
            h.stop()
        pg.destroy()


if __name__ == "__main__":
    main()
