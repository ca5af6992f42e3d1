"""GET /v1/admin/verifiers (issue 22 item 5): each loaded verifier's
health. In a stack whose runner checks against a stub NPPES that answers
503: the circuit opens after the definition's failures, the error rate and
check count say so, the queue shows what waits; a roster verifier has no
circuit; a professional is refused. (Who else may call it - admins and
auditors, not reviewers - test_asvs.py probes from openapi.yaml.)"""

import time

import pytest

from conftest import registration, start_stack
from pipeline_helpers import nppes_definition, registries_dir
from privacy_helpers import valid_npi
from registry_stub import RegistryStub
from reviewkit import bearer, confirm_email, login, make_admin, unique_email
import json
import os

from conftest import ROOT


@pytest.fixture(scope="module")
def hstack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("admin-verifiers")
    stub = RegistryStub()
    stub.default = {"status": 503, "body": "down"}
    with open(os.path.join(ROOT, "verifiers", "registries", "us-oig-leie.json")) as f:
        leie = json.load(f)
    regs = registries_dir(tmp, nppes_definition(attempts=1, circuit_breaker={
        "failures": 2, "open_ms": 600000}), leie)
    pg, h = start_stack(tmp, env={"HCPD_REGISTRIES_DIR": regs,
                                  "HCPD_REGISTRY_URL_US_NPPES": stub.url,
                                  "HCPD_VERIFY_CONCURRENCY": "2"})
    yield pg, h, stub
    if h.proc.poll() is None:
        h.assert_clean_exit()
    pg.destroy()
    stub.close()


def health(h, token):
    r = h.api.request("GET", "/v1/admin/verifiers", headers=bearer(token))
    assert r.status == 200, r.body
    return {v["name"]: v for v in r.json["verifiers"]}


def test_health_follows_the_registry(hstack):
    pg, h, stub = hstack
    token = make_admin(h)[2]
    before = health(h, token)
    assert before["us-nppes"]["circuit"] == "closed"
    assert before["us-nppes"]["error_rate_24h"] is None
    assert before["us-nppes"]["rate_limit"] == {"per_second": 1000, "burst": 100}
    assert before["us-oig-leie"]["circuit"] is None  # local: nothing to break
    assert before["us-oig-leie"]["roster"] is None  # not loaded yet
    assert "roster" not in before["us-nppes"]
    for i in range(3):
        email = unique_email("hv%d" % i)
        r = h.api.register(registration(email, npi=valid_npi()))
        assert r.status == 202, r.body
        confirm_email(h, r.json["id"], email)
    deadline = time.time() + 20
    while time.time() < deadline:
        now = health(h, token)["us-nppes"]
        if now["circuit"] == "open" and now["checks_24h"] >= 2:
            break
        time.sleep(0.3)
    assert now["circuit"] == "open"
    assert now["error_rate_24h"] == 1.0
    assert now["last_success"] is None
    assert now["checks_24h"] + now["queue_depth"] == 3


def test_a_professional_is_refused(hstack):
    pg, h, stub = hstack
    email = unique_email("hvpro")
    r = h.api.register(registration(email, npi=valid_npi()))
    assert r.status == 202
    confirm_email(h, r.json["id"], email)
    r = h.api.request("GET", "/v1/admin/verifiers", headers=bearer(login(h, email)))
    assert r.status == 403 and r.is_problem()
