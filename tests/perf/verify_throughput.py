#!/usr/bin/python3
"""Verification throughput against a stub registry (a measuring tool, not a
test): N registrations are queued with the runner off, then one `hcpd
serve` runs them against a stub NPPES with a fixed latency while the
definition's rate limit holds. Prints one JSON object: jobs/s over the
run, the rate limit and that ratio, the most requests the stub saw in any
one-second window, and (with --enforce) how many it refused as above its
own limit.

    HCPD_BIN=bin/hcpd tests/perf/verify_throughput.py [--jobs 300]
        [--rate 50] [--burst N] [--latency 0.1] [--concurrency 32]
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
from pipeline_helpers import jobs_settled, nppes_definition, registries_dir  # noqa: E402
from privacy_helpers import valid_npi  # noqa: E402
from registry_stub import RegistryStub  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--burst", type=int, default=None)
    ap.add_argument("--enforce", type=int, default=0, metavar="TOLERANCE",
                    help="the stub limits too, with this many requests of slack")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="hcpd-verify-bench-")
    # --enforce: the registry answers 429 above the limit the definition
    # declares (its own token bucket, as it sees arrivals: network and the
    # stub's own scheduling jitter count against hcpd)
    stub = RegistryStub(latency=a.latency,
                        limit=(a.rate, (a.burst or 2) + a.enforce) if a.enforce else None)
    regs = registries_dir(work, nppes_definition(
        rate_limit=dict({"per_second": a.rate}, **({"burst": a.burst} if a.burst else {})),
        timeout_ms=10000, attempts=3))
    pg = Postgres()
    env = {"HCPD_REGISTRIES_DIR": regs, "HCPD_REGISTRY_URL_US_NPPES": stub.url,
           "HCPD_VERIFY_CONCURRENCY": "0", "HCPD_LOG_LEVEL": "warn"}
    h = Hcpd(pg, work, env)
    try:
        migrate(h)
        h.start()
        ids = []
        for i in range(a.jobs):
            r = h.api.register(registration("bench%d@example.org" % i, npi=valid_npi()))
            assert r.status == 202, r.body
            ids.append(r.json["id"])
        h.stop()
        h.env["HCPD_VERIFY_CONCURRENCY"] = str(a.concurrency)
        h.start()
        for i in ids:
            jobs_settled(pg, i, timeout=a.jobs / a.rate * 3 + 30)
        times = sorted(stub.times)
        span = times[-1] - times[0]
        # the most requests in any window of one second
        peak, j = 0, 0
        for i, t in enumerate(times):
            while times[j] < t - 1.0:
                j += 1
            peak = max(peak, i - j + 1)
        rate = (len(times) - 1) / span if span > 0 else float("inf")
        print(json.dumps({
            "jobs": a.jobs, "requests": len(times), "registry_latency_s": a.latency,
            "concurrency": a.concurrency, "rate_limit_per_s": a.rate,
            "jobs_per_s": round(rate, 2), "ratio_to_limit": round(rate / a.rate, 3),
            "peak_requests_in_1s": peak, "registry_429s": stub.limited,
            "outcomes": pg.psql("SELECT string_agg(outcome || '=' || n, ',') FROM "
                                "(SELECT outcome, count(*) n FROM verifications "
                                "GROUP BY outcome) o"),
        }))
    finally:
        if h.proc is not None and h.proc.poll() is None:
            h.stop()
        stub.close()
        pg.destroy()


if __name__ == "__main__":
    main()
