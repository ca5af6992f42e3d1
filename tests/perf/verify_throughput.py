#!/usr/bin/python3
"""Verification throughput against a stub registry (a measuring tool, not a
test): N registrations are queued with the runner off, then one `hcpd
serve` runs them against a stub NPPES with a fixed latency while the
definition's rate limit holds. Prints one JSON object: jobs/s over the
run, the rate limit and that ratio, the most requests the stub saw in any
one-second window, the smallest burst a bucket at the limit's rate would
have needed to refuse none of them as the stub saw them (`burst_needed`:
at most the definition's burst when every request left on time; the
stub's own bucket, with --enforce N, refuses something when it is above
burst + N), and (with --enforce) how many it refused as above its own
limit.

    HCPD_BIN=bin/hcpd tests/perf/verify_throughput.py [--jobs 300]
        [--rate 50] [--burst N] [--latency 0.1] [--concurrency 32] [--enforce N]

`make bench` (tests/bench/run.py) calls measure() with --enforce 0: the
stub's own bucket has the definition's rate and burst, so any 429 it
sends is a request above the limit.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from conftest import Hcpd, Postgres, migrate, registration  # noqa: E402
from pipeline_helpers import jobs_settled, nppes_definition, registries_dir  # noqa: E402
from privacy_helpers import valid_npi  # noqa: E402
from registry_stub import RegistryStub  # noqa: E402


def measure(jobs=300, rate=50.0, latency=0.1, concurrency=32, burst=None, enforce=None,
            clients=4):
    """Runs the measurement (see the module's text); returns its dict.
    enforce: None, the stub does not limit; N (0 too), it answers 429 above
    a token bucket of the same rate and burst + N. clients: registrations
    sent at once while the jobs are queued (the runner is off then)."""
    work = tempfile.mkdtemp(prefix="hcpd-verify-bench-")
    # enforce: the registry answers 429 above the limit the definition
    # declares (its own token bucket, as it sees arrivals: network and the
    # stub's own scheduling jitter count against hcpd)
    stub = RegistryStub(latency=latency,
                        limit=(rate, (burst or 2) + enforce) if enforce is not None else None)
    regs = registries_dir(work, nppes_definition(
        rate_limit=dict({"per_second": rate}, **({"burst": burst} if burst else {})),
        timeout_ms=10000, attempts=3))
    pg = Postgres()
    env = {"HCPD_REGISTRIES_DIR": regs, "HCPD_REGISTRY_URL_US_NPPES": stub.url,
           "HCPD_VERIFY_CONCURRENCY": "0", "HCPD_LOG_LEVEL": "warn"}
    h = Hcpd(pg, work, env)
    try:
        migrate(h)
        h.start()

        def register(i):
            r = h.api.register(registration("bench%d@example.org" % i, npi=valid_npi()))
            assert r.status == 202, r.body
            return r.json["id"]

        with ThreadPoolExecutor(clients) as pool:
            ids = list(pool.map(register, range(jobs)))
        h.stop()
        h.env["HCPD_VERIFY_CONCURRENCY"] = str(concurrency)
        h.start()
        for i in ids:
            jobs_settled(pg, i, timeout=jobs / rate * 3 + 30)
        times = sorted(stub.times)
        span = times[-1] - times[0]
        # the most requests in any window of one second
        peak, j = 0, 0
        for i, t in enumerate(times):
            while times[j] < t - 1.0:
                j += 1
            peak = max(peak, i - j + 1)
        got = (len(times) - 1) / span if span > 0 else float("inf")
        return {
            "jobs": jobs, "requests": len(times), "registry_latency_s": latency,
            "concurrency": concurrency, "rate_limit_per_s": rate, "burst": burst or 2,
            "jobs_per_s": round(got, 2), "ratio_to_limit": round(got / rate, 3),
            "peak_requests_in_1s": peak,
            "burst_needed": round(stub.burst_needed(rate), 2),
            "registry_429s": stub.limited,
            "outcomes": pg.psql("SELECT string_agg(outcome || '=' || n, ',') FROM "
                                "(SELECT outcome, count(*) n FROM verifications "
                                "GROUP BY outcome) o"),
        }
    finally:
        if h.proc is not None and h.proc.poll() is None:
            h.stop()
        stub.close()
        pg.destroy()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--burst", type=int, default=None)
    ap.add_argument("--enforce", type=int, default=None, metavar="TOLERANCE",
                    help="the stub limits too, with this many requests of slack (0: none)")
    a = ap.parse_args()
    print(json.dumps(measure(a.jobs, a.rate, a.latency, a.concurrency, a.burst, a.enforce)))


if __name__ == "__main__":
    main()
