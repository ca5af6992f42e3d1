"""The "http_json" verifier kind end to end: the worked example
(verifiers/examples/example-board.json, copied into a private
HCPD_REGISTRIES_DIR) run by `hcpd verifier check` against a local stub
registry (registry_stub.RegistryStub: http.server in a thread on a free
loopback port, recording every request) that answers with each case file's
recorded reply (tests/verifiers/cases/http_json/*.json, the cases
tests/unit/test_http_json.c also runs).

For every case: the outcome, reason, checks and expiry printed; exactly one
request, to exactly the expected path and query, with the expected
Authorization and Accept headers; the compared-only fields (family_name,
given_name) nowhere in what the stub received; the secret nowhere in hcpd's
output. Then: an unset secret is a configuration error (exit 2) naming the
header and the variable; a missing sent field, or a value of dots alone in
the URL path, ends as an error without a request; a registry that cannot be reached is an "error" outcome (exit 0);
the example does not load by default."""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import urllib.parse

import pytest

from conftest import HCPD_BIN, ROOT, free_port
from registry_stub import RegistryStub

EXAMPLE = os.path.join(ROOT, "verifiers", "examples", "example-board.json")
EXAMPLE_REL = "verifiers/examples/example-board.json"
CASES = os.path.join(ROOT, "tests", "verifiers", "cases", "http_json")
BASE = "https://board.example.org/api/"
TOKEN = "test-token-not-a-secret"
COMPARED_ONLY = ("family_name", "given_name")


def example_cases():
    """(file name, case) for every case file that runs the example as shipped."""
    found = []
    for path in sorted(glob.glob(os.path.join(CASES, "*.json"))):
        with open(path) as f:
            c = json.load(f)
        if c["definition"] == EXAMPLE_REL:
            found.append((os.path.basename(path)[:-5], c))
    return found


@pytest.fixture(scope="module")
def registries(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("registries-http-json"))
    shutil.copy(EXAMPLE, os.path.join(path, "example-board.json"))
    return path


@pytest.fixture(scope="module")
def stub():
    s = RegistryStub(key="number")
    yield s
    s.close()


def run_check(registries, url, fields, token=TOKEN):
    """`hcpd verifier check example-board --field k=v ...` with only the
    environment it needs; returns the completed process."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HCPD_") and k != "EXAMPLE_BOARD_TOKEN"}
    env.update({"HCPD_REGISTRIES_DIR": registries, "HCPD_REGISTRY_URL_EXAMPLE_BOARD": url,
                "HCPD_LOG_LEVEL": "info"})
    if token is not None:
        env["EXAMPLE_BOARD_TOKEN"] = token
    args = [HCPD_BIN, "verifier", "check", "example-board"]
    for k, v in fields.items():
        args += ["--field", "%s=%s" % (k, v)]
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def served_bytes(reply):
    """The bytes the stub sends for a case's reply (as registry_stub does)."""
    body = reply["body"]
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


def appears(value, request):
    """Does value (as written or percent-encoded) appear anywhere in a
    recorded request: path, any header name or value, body?"""
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value),
             urllib.parse.quote(value, safe="-._~")}
    text = [request["path"], request["body"].decode("utf-8", "replace")]
    for k, v in request["headers"].items():
        text += [k, v]
    return any(f in t for f in forms for t in text)


@pytest.mark.parametrize("name,case", example_cases(), ids=[n for n, _ in example_cases()])
def test_case(registries, stub, name, case):
    fields, expect, want = case["fields"], case["expect"], case["request"]
    stub.set(fields["license_number"], {"status": case["reply"]["status"],
                                        "body": case["reply"]["body"]})
    before = stub.count()
    r = run_check(registries, stub.url, fields)
    assert r.returncode == 0, r.stderr
    assert TOKEN not in r.stdout and TOKEN not in r.stderr
    out = json.loads(r.stdout)
    assert out["verifier"] == "example-board"

    # what the board received: one request, exactly the one expected
    got = stub.requests[before:]
    assert len(got) == 1, got
    req = got[0]
    assert req["method"] == want["method"]
    assert want["url"].startswith(BASE)
    assert req["path"] == "/api/" + want["url"][len(BASE):]
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers.get("authorization") == want["headers"]["Authorization"]
    assert headers.get("authorization") == "Bearer " + TOKEN
    assert headers.get("accept") == want["headers"]["Accept"]
    assert req["body"] == b""
    for field in COMPARED_ONLY:
        value = fields[field]
        if len(value) >= 3:  # an initial ("C.") is too short to search for
            assert not appears(value, req), "%s reached the registry" % field

    # what hcpd made of the reply
    if "error" in expect:
        # not understood: this one attempt ends as an error
        assert out["outcome"] == "error"
        assert not out.get("reply_sha256")
        return
    assert out["outcome"] == expect["outcome"]
    assert out["reason"] == expect["reason"]
    assert out["checks"] == expect["checks"]
    assert (out.get("expires") or "") == expect.get("expires", "")
    if "evidence" in expect:
        assert out["evidence"] == expect["evidence"]
    assert out["reply_sha256"] == hashlib.sha256(served_bytes(case["reply"])).hexdigest()
    for value in fields.values():
        assert len(value) < 4 or value not in out["reason"]


def test_cases_cover_the_contract():
    names = {n for n, _ in example_cases()}
    for wanted in ("verified", "rule-excluded", "rule-revoked", "rule-status-missing",
                   "rule-not-active", "mismatch-family-name", "mismatch-given-name",
                   "mismatch-license-number", "mismatch-license-region", "not-found-status",
                   "not-found-empty-results", "number-leading-zeros", "number-decimal-text",
                   "accented-hyphenated-name", "truncated-json", "unexpected-status"):
        assert wanted in names


def test_unset_secret_is_a_configuration_error(registries, stub):
    before = stub.count()
    r = run_check(registries, stub.url, {"license_number": "MD-1", "license_region": "CA"},
                  token=None)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    assert "headers.Authorization" in r.stderr and "EXAMPLE_BOARD_TOKEN" in r.stderr
    assert stub.count() == before


def test_secret_with_a_newline_is_refused(registries, stub):
    before = stub.count()
    r = run_check(registries, stub.url, {"license_number": "MD-1", "license_region": "CA"},
                  token="abc\r\nX-Injected: 1")
    assert r.returncode == 2
    assert "EXAMPLE_BOARD_TOKEN" in r.stderr
    assert "X-Injected" not in r.stderr and "abc" not in r.stderr
    assert stub.count() == before


def test_missing_sent_field_sends_nothing(registries, stub):
    before = stub.count()
    r = run_check(registries, stub.url, {"license_number": "MD-004521",
                                         "family_name": "Okafor", "given_name": "Chidinma"})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["outcome"] == "error"
    assert out["reason"] == "missing license_region"
    assert stub.count() == before


def test_dot_segment_in_path_sends_nothing(stub, tmp_path):
    """Issue 18 item 10: libcurl removes a dot segment from the path, so a
    licence number ".." in {base_url}v1/licensees/{license_number} would
    ask the registry for /api/v1/ - refused before anything is sent. A
    value with any other byte reaches exactly the template's path."""
    with open(EXAMPLE) as f:
        doc = json.load(f)
    doc["http_json"]["url"] = "{base_url}v1/licensees/{license_number}?state={license_region}"
    with open(str(tmp_path / "example-board.json"), "w") as f:
        json.dump(doc, f)
    fields = {"license_region": "CA", "family_name": "Okafor", "given_name": "Chidinma"}
    for dots in ("..", ".", "..."):
        before = stub.count()
        r = run_check(str(tmp_path), stub.url, dict(fields, license_number=dots))
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["outcome"] == "error"
        assert out["reason"] == "license_number is dots alone, which a URL path cannot carry"
        assert stub.count() == before
    before = stub.count()
    r = run_check(str(tmp_path), stub.url, dict(fields, license_number="..1"))
    assert r.returncode == 0, r.stderr
    assert [q["path"] for q in stub.requests[before:]] == ["/api/v1/licensees/..1?state=CA"]


def test_unreachable_registry_is_an_error_outcome(registries):
    r = run_check(registries, "http://127.0.0.1:%d/api/" % free_port(),
                  {"license_number": "MD-004521", "license_region": "CA",
                   "family_name": "Okafor", "given_name": "Chidinma"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["outcome"] == "error"


def test_example_is_not_loaded_by_default():
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    r = subprocess.run([HCPD_BIN, "verifier", "list"], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "example-board" not in [v["name"] for v in json.loads(r.stdout)]


def test_example_is_listed_from_its_directory(registries):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    env.update({"HCPD_REGISTRIES_DIR": registries, "EXAMPLE_BOARD_TOKEN": TOKEN})
    r = subprocess.run([HCPD_BIN, "verifier", "list"], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    (v,) = json.loads(r.stdout)
    assert v["name"] == "example-board" and v["kind"] == "http_json"
    assert v["fields"] == ["license_number", "license_region"]
    assert v["compares"] == ["family_name", "given_name"]
    assert TOKEN not in r.stdout
