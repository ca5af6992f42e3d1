"""SIGHUP reloads the verifier definitions without a restart (issue 22
item 5): a good directory replaces the loaded set (GET /v1/admin/verifiers
lists the new one, the runner takes it), a bad file keeps the old set and
logs why, and a check in flight when the set changes finishes under the
set it started with."""

import json
import os
import shutil
import signal
import time

import pytest

from conftest import ROOT, start_stack
from pipeline_helpers import jobs_settled, nppes_definition, registries_dir
from privacy_helpers import valid_npi
from registry_stub import RegistryStub
from reviewkit import bearer, make_admin
from test_pipeline import answer, register, licence_of

EXAMPLE = os.path.join(ROOT, "verifiers", "examples", "example-fhir-directory.json")


@pytest.fixture()
def rstack(tmp_path):
    stub = RegistryStub()
    regs = registries_dir(tmp_path, nppes_definition())
    pg, h = start_stack(tmp_path, env={"HCPD_REGISTRIES_DIR": regs,
                                       "HCPD_REGISTRY_URL_US_NPPES": stub.url,
                                       "HCPD_VERIFY_CONCURRENCY": "2"})
    yield pg, h, stub, regs
    if h.proc.poll() is None:
        h.assert_clean_exit()
    pg.destroy()
    stub.close()


def names(h, token):
    r = h.api.request("GET", "/v1/admin/verifiers", headers=bearer(token))
    assert r.status == 200, r.body
    return [v["name"] for v in r.json["verifiers"]]


def wait_log(h, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in h.read_log():
            return
        time.sleep(0.1)
    raise AssertionError("not logged: " + text)


def test_good_and_bad_reloads(rstack):
    pg, h, stub, regs = rstack
    token = make_admin(h)[2]
    assert names(h, token) == ["us-nppes"]

    shutil.copy(EXAMPLE, os.path.join(regs, "example-fhir-directory.json"))
    h.proc.send_signal(signal.SIGHUP)
    wait_log(h, "verifier definitions reloaded")
    assert names(h, token) == ["example-fhir-directory", "us-nppes"]

    with open(os.path.join(regs, "broken.json"), "w") as f:
        f.write('{"name": "broken", "kind": ')
    h.proc.send_signal(signal.SIGHUP)
    wait_log(h, "verifier reload refused")
    assert "broken.json" in h.read_log()
    assert names(h, token) == ["example-fhir-directory", "us-nppes"]  # the old set stays
    os.remove(os.path.join(regs, "broken.json"))

    # the runner works on under the set it took: a check still verifies
    npi = valid_npi()
    answer(stub, npi)
    account, _, _ = register(h, npi=npi, license_number=licence_of(npi))
    assert jobs_settled(pg, account) == "verified"


def test_a_check_in_flight_finishes_under_the_old_set(rstack):
    pg, h, stub, regs = rstack
    npi = valid_npi()
    answer(stub, npi)
    stub.replies[npi][0]["delay"] = 1.2  # the registry takes its time (timeout 2 s)
    account, _, _ = register(h, npi=npi, license_number=licence_of(npi))
    deadline = time.time() + 10
    while stub.count(npi) == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert stub.count(npi) == 1  # in flight
    # the new set changes the definition (another rate): reloaded meanwhile
    with open(os.path.join(regs, "us-nppes.json")) as f:
        d = json.load(f)
    d["rate_limit"] = {"per_second": 500, "burst": 50}
    with open(os.path.join(regs, "us-nppes.json"), "w") as f:
        json.dump(d, f)
    h.proc.send_signal(signal.SIGHUP)
    wait_log(h, "verifier definitions reloaded")
    assert jobs_settled(pg, account) == "verified"
    wait_log(h, "verification runner took the reloaded definitions")
    log = h.read_log()
    assert log.index("verification done") < log.index("took the reloaded definitions")
