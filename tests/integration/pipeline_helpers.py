"""Shared by the pipeline tests: a registries directory holding a tuned copy
of the shipped us-nppes definition, the NPPES cases as stub replies, and
waiting for an account's jobs to end."""

import glob
import json
import os
import subprocess
import time

from conftest import HCPD_BIN, ROOT

CASES = os.path.join(ROOT, "tests", "verifiers", "cases", "nppes")


def nppes_definition(**overrides):
    with open(os.path.join(ROOT, "verifiers", "registries", "us-nppes.json")) as f:
        d = json.load(f)
    # quick to fail and retry, so tests end fast; a high limit unless asked
    d.update({"timeout_ms": 2000, "connect_timeout_ms": 1000, "attempts": 3,
              "backoff_ms": 50, "rate_limit": {"per_second": 1000, "burst": 100},
              "circuit_breaker": {"failures": 1000, "open_ms": 60000}})
    d.update(overrides)
    return d


def registries_dir(tmp_path, *definitions):
    """A directory of the given definitions (dicts), for HCPD_REGISTRIES_DIR."""
    path = os.path.join(str(tmp_path), "registries")
    os.makedirs(path, exist_ok=True)
    for d in definitions:
        with open(os.path.join(path, d["name"] + ".json"), "w") as f:
            json.dump(d, f)
    return path


def cases():
    for path in sorted(glob.glob(os.path.join(CASES, "*.json"))):
        with open(path) as f:
            yield os.path.basename(path), json.load(f)


def case(name):
    with open(os.path.join(CASES, name + ".json")) as f:
        return json.load(f)


def nppes_env(stub, registries, concurrency=8):
    return {"HCPD_REGISTRIES_DIR": registries, "HCPD_REGISTRY_URL_US_NPPES": stub.url,
            "HCPD_VERIFY_CONCURRENCY": str(concurrency)}


def jobs_settled(pg, account_id, timeout=20):
    """Waits until the account has no open job; returns its status."""
    deadline = time.time() + timeout
    while True:
        open_jobs = pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id = '%s' "
                            "AND state IN ('queued', 'running')" % account_id)
        if open_jobs == "0":
            return pg.psql("SELECT status FROM accounts WHERE id = '%s'" % account_id)
        assert time.time() < deadline, "jobs of %s still open after %d s" % (account_id, timeout)
        time.sleep(0.05)


def cli(env, *args):
    """An hcpd command that needs no database (verifier list, check)."""
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([HCPD_BIN] + list(args), env=e, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
