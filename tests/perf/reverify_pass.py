#!/usr/bin/python3
"""How long a re-verification pass over N verified accounts takes against a
stub registry at a fixed rate limit (a measuring tool, not a test).

N professionals register (the runner off), are marked verified by an old
check, then `hcpd reverify --due` queues the pass and one `hcpd serve`
runs it. Prints one JSON object: seconds to queue, seconds to finish,
checks/s, the limit.

    HCPD_BIN=bin/hcpd tests/perf/reverify_pass.py [--accounts 10000] [--rate 100]
"""

import argparse
import concurrent.futures
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from conftest import Hcpd, Postgres, migrate, registration  # noqa: E402
from pipeline_helpers import nppes_definition, registries_dir  # noqa: E402
from privacy_helpers import valid_npi  # noqa: E402
from registry_stub import RegistryStub  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=10000)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--latency", type=float, default=0.05)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="hcpd-reverify-bench-")
    stub = RegistryStub(latency=a.latency)
    regs = registries_dir(work, nppes_definition(rate_limit={"per_second": a.rate},
                                                 timeout_ms=10000))
    pg = Postgres()
    h = Hcpd(pg, work, {"HCPD_REGISTRIES_DIR": regs, "HCPD_REGISTRY_URL_US_NPPES": stub.url,
                        "HCPD_VERIFY_CONCURRENCY": "0", "HCPD_LOG_LEVEL": "warn",
                        "HCPD_HASH_QUEUE": "1000"})
    try:
        migrate(h)
        h.start()

        def one(i):
            r = h.api.register(registration("rv%d@example.org" % i, npi=valid_npi()))
            assert r.status == 202, r.body

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(one, range(a.accounts)))
        h.stop()
        # every account verified by a check 40 days old: all are due
        pg.psql("UPDATE verification_jobs SET state = 'done', outcome = 'verified', "
                "finished_at = now() - interval '40 days'")
        pg.psql("INSERT INTO verifications (account_id, job_id, verifier, outcome, checked_at) "
                "SELECT account_id, id, verifier, 'verified', now() - interval '40 days' "
                "FROM verification_jobs")
        pg.psql("UPDATE accounts SET status = 'verified' WHERE role = 'professional'")
        t0 = time.time()
        r = h.cli("reverify", "--due")
        assert r.returncode == 0, r.stderr
        queued_s = time.time() - t0
        queued = json.loads(r.stdout)["queued"]
        h.env["HCPD_VERIFY_CONCURRENCY"] = "32"
        t1 = time.time()
        h.start()
        while pg.psql("SELECT count(*) FROM verification_jobs WHERE state IN "
                      "('queued', 'running')") != "0":
            time.sleep(0.5)
        run_s = time.time() - t1
        print(json.dumps({"accounts": a.accounts, "queued": queued,
                          "queue_seconds": round(queued_s, 2), "pass_seconds": round(run_s, 1),
                          "checks_per_s": round(queued / run_s, 1), "rate_limit_per_s": a.rate,
                          "registry_latency_s": a.latency}))
    finally:
        if h.proc is not None and h.proc.poll() is None:
            h.stop()
        stub.close()
        pg.destroy()


if __name__ == "__main__":
    main()
