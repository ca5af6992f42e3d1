"""One "which verifiers apply to whom" rule (issue 17): verifier_applies()
in C (a registration's jobs) and its SQL twin DB_VERIFIER_APPLIES
(db/applies.h: the re-checks `hcpd reverify --all` and `hcpd roster load`
queue) pick exactly the same professionals, on one table of cases that
tests/unit/test_registry.c also holds the C rule to.

Two roster verifiers (local: nothing leaves hcpd, no stub needed): one for
DE and AT physicians and pharmacists, one for every profession in DE. The
job runner is off, so every job queued stays to be counted."""

import json
import os
import subprocess

from conftest import HCPD_BIN, ROOT, SPEC_EXAMPLE
from pipeline_helpers import registries_dir

DEFINITION = os.path.join(ROOT, "verifiers", "registries", "us-oig-leie.json")
SAMPLE = os.path.join(ROOT, "tests", "data", "leie", "UPDATED-sample.csv")
SCOPES = {
    "applies-some": {"countries": ["DE", "AT"], "professions": ["physician", "pharmacist"]},
    "applies-all": {"countries": ["DE"]},  # no professions: every profession
}
# (country, profession) -> the verifiers that apply
TABLE = {
    ("DE", "physician"): {"applies-some", "applies-all"},
    ("AT", "pharmacist"): {"applies-some"},
    ("DE", "nurse"): {"applies-all"},
    ("AT", "nurse"): set(),
    ("CH", "physician"): set(),
    ("AT", "physician"): {"applies-some"},
    ("US", "pharmacist"): set(),
}


def load(h, name):
    r = subprocess.run([HCPD_BIN, "roster", "load", name, SAMPLE], env=h.env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["queued"]


def register(h, n, country, profession):
    body = json.loads(json.dumps(SPEC_EXAMPLE))
    body["email"] = "applies-%d@example.org" % n
    body["profile"].update(country=country, profession=profession)
    if country != "US":
        body["profile"].pop("npi")  # license_region stays: DE asks for it (issue 19)
    r = h.api.register(body)
    assert r.status == 202, r.body
    return r.json["id"]


def picked(pg, occasion):
    """{(account, verifier)} of the open jobs of occasion."""
    rows = pg.psql("SELECT account_id::text || ' ' || verifier FROM verification_jobs "
                   "WHERE occasion = '%s' AND state = 'queued'" % occasion)
    return {tuple(row.split(" ")) for row in rows.split("\n") if row}


def cancel_all(pg):
    pg.psql("UPDATE verification_jobs SET state = 'cancelled' "
            "WHERE state IN ('queued', 'running')")


def test_c_and_sql_pick_the_same_professionals(stack, tmp_path):
    with open(DEFINITION) as f:
        base = json.load(f)
    regs = registries_dir(tmp_path, *[dict(base, name=name, display_name=name, **scope)
                                      for name, scope in SCOPES.items()])
    pg, h = stack({"HCPD_REGISTRIES_DIR": regs, "HCPD_VERIFY_CONCURRENCY": "0"})
    # rosters first: a roster verifier applies to registrations once loaded
    assert load(h, "applies-some") == 0 and load(h, "applies-all") == 0
    ids = {case: register(h, n, *case) for n, case in enumerate(TABLE)}
    want = {(ids[case], v) for case, names in TABLE.items() for v in names}

    # C: each registration's jobs (verdict_jobs_for -> verifier_applies)
    assert picked(pg, "registration") == want

    # SQL: the re-checks of verified professionals
    cancel_all(pg)
    pg.psql("UPDATE accounts SET status = 'verified' WHERE role = 'professional'")
    r = h.cli("reverify", "--all")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["queued"] == len(want)
    assert picked(pg, "reverification") == want  # db_monitor_queue_due

    cancel_all(pg)
    queued = load(h, "applies-some") + load(h, "applies-all")
    assert queued == len(want)
    assert picked(pg, "roster_reload") == want  # db_roster_load
