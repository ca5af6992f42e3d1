"""The "fhir" verifier kind end to end: the worked example
(verifiers/examples/example-fhir-directory.json, copied into a private
HCPD_REGISTRIES_DIR) run by `hcpd verifier check` against a local stub
directory (registry_stub.RegistryStub keyed on the `identifier` query
parameter) that answers with each case file's recorded reply
(tests/verifiers/cases/fhir/*.json, the cases tests/unit/test_fhir.c also
runs) through the real libcurl path.

For every case: exactly one GET, to exactly the recorded path and query;
the compared-only names nowhere in what the stub received; the outcome,
reason, checks and expiry printed as recorded. Among them the Annuaire
Santé's Practitioner that carries no name is verified."""

import glob
import json
import os
import shutil
import subprocess
import urllib.parse

import pytest

from conftest import HCPD_BIN, ROOT
from registry_stub import RegistryStub

EXAMPLE = os.path.join(ROOT, "verifiers", "examples", "example-fhir-directory.json")
CASES = os.path.join(ROOT, "tests", "verifiers", "cases", "fhir")
COMPARED_ONLY = ("family_name", "given_name")


def cases():
    found = []
    for path in sorted(glob.glob(os.path.join(CASES, "*.json"))):
        with open(path) as f:
            found.append((os.path.basename(path)[:-5], json.load(f)))
    return found


@pytest.fixture(scope="module")
def registries(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("registries-fhir"))
    shutil.copy(EXAMPLE, os.path.join(path, "example-fhir-directory.json"))
    return path


@pytest.fixture(scope="module")
def stub():
    s = RegistryStub(key="identifier")
    yield s
    s.close()


def run_check(registries, url, fields, name="example-fhir-directory", extra_env=None):
    """`hcpd verifier check NAME --field k=v ...` with its base URL set to url."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    env.update({"HCPD_REGISTRIES_DIR": registries, "HCPD_LOG_LEVEL": "info",
                "HCPD_REGISTRY_URL_" + name.upper().replace("-", "_"): url})
    env.update(extra_env or {})
    args = [HCPD_BIN, "verifier", "check", name]
    for k, v in fields.items():
        args += ["--field", "%s=%s" % (k, v)]
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name,case", cases(), ids=[n for n, _ in cases()])
def test_case(registries, stub, name, case):
    fields, expect, want = case["fields"], case["expect"], case["request"]
    key = urllib.parse.parse_qs(urllib.parse.urlsplit(want["path"]).query)["identifier"][0]
    stub.set(key, {"status": case["reply"]["status"], "body": case["reply"]["body"]})
    before = stub.count()
    r = run_check(registries, "http://127.0.0.1:%d/fhir/v2" % stub.port, fields)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)

    got = stub.requests[before:]
    assert len(got) == 1, got
    assert got[0]["method"] == want["method"] == "GET"
    assert got[0]["path"] == want["path"]
    assert got[0]["body"] == b""
    sent = got[0]["path"] + json.dumps(got[0]["headers"])
    for field in COMPARED_ONLY:
        for form in (fields[field], urllib.parse.quote(fields[field], safe="")):
            assert form not in sent, "%s reached the directory" % field

    assert out["outcome"] == expect["outcome"]
    assert out["reason"] == expect["reason"]
    if "checks" in expect:
        assert out["checks"] == expect["checks"]
    assert (out.get("expires") or "") == expect.get("expires", "")


def test_french_practitioner_without_a_name_is_verified(registries, stub):
    """The issue's case: an RPPS number, a reply whose Practitioner has no name."""
    case = dict(cases())["001-annuaire-no-name-verified"]
    assert "name" not in case["reply"]["body"]["entry"][0]["resource"]
    key = "urn:oid:1.2.250.1.71.4.2.1|810005173140"
    stub.set(key, {"status": 200, "body": case["reply"]["body"]})
    r = run_check(registries, "http://127.0.0.1:%d/fhir/v2" % stub.port, case["fields"])
    out = json.loads(r.stdout)
    assert out["outcome"] == "verified"
    assert out["checks"]["family_name"] == "absent"


SHIPPED = os.path.join(ROOT, "verifiers", "registries", "fr-annuaire-sante.json")
KEY_VAR = "HCPD_REGISTRY_SECRET_FR_ANNUAIRE_SANTE_ESANTE_API_KEY"
API_KEY = "esante-key-0c1d-not-real"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    path = tmp_path_factory.mktemp("registries-fr")
    shutil.copy(SHIPPED, str(path / "fr-annuaire-sante.json"))
    key = path / "key"
    key.write_text(API_KEY + "\n")
    return str(path), str(key)


def run_shipped(regdir, url, fields, key=None):
    return run_check(regdir, url, fields, "fr-annuaire-sante",
                     {KEY_VAR: key} if key is not None else None)


@pytest.mark.parametrize("name,case", cases(), ids=[n for n, _ in cases()])
def test_shipped_annuaire_sante(shipped, stub, name, case):
    """The shipped fr-annuaire-sante definition: the same recorded cases,
    the API key from its secret file in ESANTE-API-KEY, never printed."""
    regdir, key = shipped
    fields, expect, want = case["fields"], case["expect"], case["request"]
    k = urllib.parse.parse_qs(urllib.parse.urlsplit(want["path"]).query)["identifier"][0]
    stub.set(k, {"status": case["reply"]["status"], "body": case["reply"]["body"]})
    before = stub.count()
    r = run_shipped(regdir, "http://127.0.0.1:%d/fhir/v2" % stub.port, fields, key)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    got = stub.requests[before:]
    assert len(got) == 1 and got[0]["path"] == want["path"]
    assert got[0]["headers"].get("ESANTE-API-KEY") == API_KEY
    assert API_KEY not in r.stdout + r.stderr
    assert (out["outcome"], out["reason"]) == (expect["outcome"], expect["reason"])


def test_shipped_annuaire_sante_is_off_without_its_key(shipped):
    regdir, _ = shipped
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    env["HCPD_REGISTRIES_DIR"] = regdir
    r = subprocess.run([HCPD_BIN, "verifier", "list"], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    assert KEY_VAR in r.stderr and "verifier off" in r.stderr


def test_a_french_physician_is_verified_by_the_nameless_reply(tmp_path, stub):
    """Issue 22's done-when: a French registration with an RPPS number,
    checked by the runner through fr-annuaire-sante against a stub whose
    Practitioner carries no name, ends verified."""
    from conftest import registration, start_stack
    from pipeline_helpers import jobs_settled
    from reviewkit import confirm_email, unique_email

    regdir = tmp_path / "registries"
    regdir.mkdir()
    with open(SHIPPED) as f:
        d = json.load(f)
    d.update({"backoff_ms": 50, "attempts": 2})
    (regdir / "fr-annuaire-sante.json").write_text(json.dumps(d))
    key = tmp_path / "key"
    key.write_text(API_KEY + "\n")
    case = dict(cases())["001-annuaire-no-name-verified"]
    stub.set("urn:oid:1.2.250.1.71.4.2.1|810005173140",
             {"status": 200, "body": case["reply"]["body"]})
    pg, h = start_stack(tmp_path, env={
        "HCPD_REGISTRIES_DIR": str(regdir), KEY_VAR: str(key), "HCPD_VERIFY_CONCURRENCY": "2",
        "HCPD_REGISTRY_URL_FR_ANNUAIRE_SANTE": "http://127.0.0.1:%d/fhir/v2" % stub.port})
    try:
        email = unique_email("fr")
        body = registration(email, country="FR", rpps="10005173140", family_name="Lefèvre",
                            given_name="Élodie")
        for us_only in ("npi", "license_number", "license_region"):
            del body["profile"][us_only]
        r = h.api.register(body)
        assert r.status == 202, r.body
        confirm_email(h, r.json["id"], email)
        assert jobs_settled(pg, r.json["id"]) == "verified"
        assert pg.psql("SELECT verifier || ':' || outcome FROM verifications "
                       "WHERE account_id = '%s'" % r.json["id"]) == \
            "fr-annuaire-sante:verified"
        assert API_KEY not in h.read_log()
        h.assert_clean_exit()
    finally:
        pg.destroy()
