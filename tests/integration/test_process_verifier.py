"""The "process" verifier kind end to end: hcpd running
tests/verifiers/verifier-test (the definition in
tests/verifiers/registries-process/test-process.json) through `hcpd verifier
check`, each behaviour of the program (its mode is the family name, or its
first argument: see the program's header), the deadline and the process
group kill, the clean environment, bad definitions stopping start-up, and a
registration verified by a program through the job runner."""

import hashlib
import json
import os
import subprocess
import time

import pytest

from conftest import ROOT, registration
from pipeline_helpers import cli, jobs_settled
from reviewkit import bearer, confirm_email, login, unique_email

REGISTRIES = os.path.join(ROOT, "tests", "verifiers", "registries-process")
PROGRAM = os.path.join(ROOT, "tests", "verifiers", "verifier-test")
DEFINITION = os.path.join(REGISTRIES, "test-process.json")
FIELDS = {"npi": "1234567893", "family_name": "Ng", "license_number": "A12345"}
TIMEOUT_S = 2.0  # the definition's timeout_ms


def definition(**overrides):
    """The shipped test definition with the program as an absolute path."""
    with open(DEFINITION) as f:
        d = json.load(f)
    d["process"] = {"program": PROGRAM}
    d.update(overrides)
    return d


def write_registries(path, *definitions):
    os.makedirs(str(path), exist_ok=True)
    for d in definitions:
        with open(os.path.join(str(path), d["name"] + ".json"), "w") as f:
            json.dump(d, f)
    return str(path)


def check(registries=REGISTRIES, env=None, name="test-process", **fields):
    """`hcpd verifier check`; returns (completed process, parsed stdout or None)."""
    e = {"HCPD_REGISTRIES_DIR": registries}
    e.update(env or {})
    args = ["verifier", "check", name]
    for k, v in dict(FIELDS, **fields).items():
        if v is not None:
            args += ["--field", "%s=%s" % (k, v)]
    r = cli(e, *args)
    out = json.loads(r.stdout) if r.returncode == 0 else None
    return r, out


def request_body(fields, name="test-process", base_url=None):
    """The request hcpd writes on the program's stdin (compact JSON)."""
    return json.dumps({"version": 1, "verifier": name, "base_url": base_url, "fields": fields},
                      separators=(",", ":"))


def program_processes():
    """Live (not zombie) processes running the test program."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if any(PROGRAM.encode() == c for c in cmd) and state not in ("Z", "X"):
            found.append(int(pid))
    return found


def no_program_left(timeout=2.0):
    deadline = time.time() + timeout
    while program_processes() and time.time() < deadline:
        time.sleep(0.05)
    return program_processes() == []


# --- the definition ---------------------------------------------------------


def test_list_shows_the_process_definition():
    r = cli({"HCPD_REGISTRIES_DIR": REGISTRIES}, "verifier", "list")
    assert r.returncode == 0, r.stderr
    [v] = json.loads(r.stdout)
    assert v["name"] == "test-process" and v["kind"] == "process"
    assert v["fields"] == ["npi", "family_name", "license_number"]
    assert v["compares"] == [] and v["base_url"] is None


# --- outcomes the program gives ---------------------------------------------


def test_verified_with_checks_evidence_and_the_reply_hash():
    r, out = check()
    assert r.returncode == 0, r.stderr
    assert out["verifier"] == "test-process"
    assert out["outcome"] == "verified"
    assert out["reason"] == "the test registry has the record"
    assert out["checks"] == {"npi": "match", "family_name": "match", "license_number": "match"}
    assert out["evidence"]["family_name"] == {"registration": "Ng", "registry": "Ng"}
    assert out["expires"] is None
    # the hash is of the program's raw stdout for exactly this request
    raw = subprocess.run([PROGRAM], input=request_body(FIELDS).encode(), capture_output=True,
                         check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert out["reply_sha256"] == hashlib.sha256(raw).hexdigest()


def test_mismatch():
    r, out = check(family_name="Mismatch")
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == "mismatch" and out["reason"] == "family name differs"
    assert out["checks"]["family_name"] == "mismatch" and out["checks"]["npi"] == "match"
    assert out["evidence"]["family_name"]["registry"] == "SOMEONE ELSE"
    assert len(out["reply_sha256"]) == 64


@pytest.mark.parametrize("outcome", ["not_found", "inactive", "excluded", "error"])
def test_other_outcomes(outcome):
    r, out = check(family_name=outcome)
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == outcome
    assert out["reason"] == "the test registry says " + outcome
    assert out["checks"] == {} and out["evidence"] == {}
    # the program answered: its reply is hashed
    assert len(out["reply_sha256"]) == 64


def test_expiry_passed_on():
    r, out = check(family_name="expires")
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == "verified" and out["expires"] == "2031-12-31"


def test_the_request_the_program_gets():
    r, out = check(family_name="request")
    assert r.returncode == 0, r.stderr
    assert out["reason"] == ("version=1 verifier=test-process base_url=null "
                             "fields=family_name,license_number,npi")
    # only the fields given (and listed) are sent
    r, out = check(family_name="request", license_number=None, given_name="Ana")
    assert out["reason"].endswith("fields=family_name,npi"), out
    # a base URL from HCPD_REGISTRY_URL_<NAME> reaches it
    r, out = check(env={"HCPD_REGISTRY_URL_TEST_PROCESS": "https://registry.example/api"},
                   family_name="request")
    assert "base_url=set" in out["reason"], out


def test_program_that_ignores_its_stdin(tmp_path):
    regs = write_registries(tmp_path / "regs",
                            definition(process={"program": PROGRAM, "args": ["ignore"]}))
    r, out = check(regs)
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == "verified"


# --- what the runner retries: each ends as an error, exit 0 -----------------


@pytest.mark.parametrize("mode,why", [
    ("invalid", "bad_reply"),   # not JSON
    ("two", "bad_reply"),       # two JSON objects
    ("exit3", "bad_reply"),     # a valid reply, but exit status 3
    ("endless", "too_big"),     # output past the 1 MiB cap
    ("crash", "failed"),        # killed by a signal
])
def test_unusable_replies_are_errors(mode, why):
    t0 = time.time()
    r, out = check(family_name=mode)
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == "error", out
    assert out["reason"].startswith("registry unavailable"), out
    assert why in out["reason"], out
    assert out["checks"] == {} and out["evidence"] == {}
    assert out["reply_sha256"] is None
    assert time.time() - t0 < TIMEOUT_S + 5
    assert no_program_left()


def test_sleeper_killed_at_its_timeout():
    t0 = time.time()
    r, out = check(family_name="sleep")  # it would sleep 60 s
    took = time.time() - t0
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == "error" and "timeout" in out["reason"], out
    # one attempt: about the definition's timeout, never the sleep
    assert TIMEOUT_S - 0.1 <= took < TIMEOUT_S + 1.5, took
    assert no_program_left()


def test_background_child_killed_with_its_group():
    # the program answers and exits, but a child it started keeps its
    # stdout open: no end of output before the deadline, then the whole
    # group is killed, child included
    t0 = time.time()
    r, out = check(family_name="background")
    assert r.returncode == 0, r.stderr
    assert out["outcome"] == "error" and "timeout" in out["reason"], out
    assert time.time() - t0 < TIMEOUT_S + 1.5
    assert no_program_left()


# --- the environment ---------------------------------------------------------


def test_no_hcpd_variable_reaches_the_program():
    env = {"HCPD_SECRET_FOR_TEST": "x", "UNLISTED_API_KEY": "y"}
    r, out = check(env=env, family_name="environ")
    assert r.returncode == 0, r.stderr
    # hcpd's own settings (database URL, key files ...) are all set here
    assert out["reason"] == "hcpd=no names=LANG,PATH", out


def test_listed_variable_passed(tmp_path):
    regs = write_registries(
        tmp_path / "regs",
        definition(process={"program": PROGRAM, "env": ["VERIFIER_TEST_KEY"]}))
    r, out = check(regs, env={"VERIFIER_TEST_KEY": "k-1"}, family_name="environ")
    assert r.returncode == 0, r.stderr
    assert out["reason"] == "hcpd=no names=LANG,PATH,VERIFIER_TEST_KEY", out


# --- bad definitions stop start-up ------------------------------------------


@pytest.mark.parametrize("overrides,env,named", [
    ({"process": {"program": PROGRAM, "bogus": 1}}, {}, "bogus"),
    ({"process": {"program": "no-such-program"}}, {}, "program"),
    ({"process": {"program": "/etc/passwd"}}, {}, "program"),
    ({"process": {"program": PROGRAM, "args": "ignore"}}, {}, "args"),
    ({"process": {"program": PROGRAM, "env": ["lower-case"]}}, {}, "env"),
    ({"process": {"program": PROGRAM, "env": ["VERIFIER_TEST_UNSET"]}}, {},
     "VERIFIER_TEST_UNSET"),
    ({"process": {"program": PROGRAM, "env": ["HCPD_DATABASE_URL"]}}, {}, "HCPD_DATABASE_URL"),
    ({"compares": ["given_name"]}, {}, "compares"),
    ({"process": "verifier-test"}, {}, "must be an object"),
])
def test_bad_definition_stops_list_and_check(tmp_path, overrides, env, named):
    regs = write_registries(tmp_path / "regs", definition(**overrides))
    e = {"HCPD_REGISTRIES_DIR": regs}
    e.update(env)
    e.pop("VERIFIER_TEST_UNSET", None)
    for args in (["verifier", "list"], ["verifier", "check", "test-process", "--field",
                                         "npi=1234567893"]):
        r = cli(e, *args)
        assert r.returncode == 2, (overrides, r.stdout)
        assert "test-process.json" in r.stderr and named in r.stderr, (overrides, r.stderr)
        assert r.stdout == ""


def test_program_default_name_beside_the_definition(tmp_path):
    # no "process" section: verifier-<name> in the definition's directory
    regs = tmp_path / "regs"
    d = definition(name="test")
    del d["process"]
    write_registries(regs, d)
    r = cli({"HCPD_REGISTRIES_DIR": str(regs)}, "verifier", "list")
    assert r.returncode == 2 and "program" in r.stderr
    os.symlink(PROGRAM, str(regs / "verifier-test"))
    r, out = check(str(regs), name="test", family_name="request")
    assert r.returncode == 0, r.stderr
    assert out["reason"].startswith("version=1 verifier=test "), out


def test_bad_usage():
    r = cli({"HCPD_REGISTRIES_DIR": REGISTRIES}, "verifier", "check", "no-such-verifier")
    assert r.returncode == 2
    r = cli({"HCPD_REGISTRIES_DIR": REGISTRIES}, "verifier", "check", "test-process", "--field",
            "no-equals-sign")
    assert r.returncode == 2


# --- through the job runner --------------------------------------------------


def test_registration_verified_by_a_program(stack, tmp_path):
    regs = write_registries(tmp_path / "regs", definition())
    pg, h = stack({"HCPD_REGISTRIES_DIR": regs, "HCPD_VERIFY_CONCURRENCY": "4"})
    good = registration(unique_email("proc"))
    bad = registration(unique_email("proc"), family_name="invalid")
    slow = registration(unique_email("proc"), family_name="sleep")
    ids = {}
    for name, body in (("good", good), ("bad", bad), ("slow", slow)):
        r = h.api.register(body)
        assert r.status == 202, r.body
        ids[name] = r.json["id"]
    confirm_email(h, ids["good"], good["email"])
    assert jobs_settled(pg, ids["good"]) == "verified"
    token = login(h, good["email"])
    me = h.api.request("GET", "/v1/me", headers=bearer(token)).json
    [v] = me["verifications"]
    assert v["verifier"] == "test-process" and v["outcome"] == "verified"
    # what the program got is in the ledger: every field it receives
    d = h.api.request("GET", "/v1/me/disclosures", headers=bearer(token)).json["items"]
    assert [(x["recipient"], sorted(x["fields"])) for x in d] == [
        ("test-process", ["family_name", "license_number", "npi"])]
    # an unusable reply is retried (attempts: 2), then flagged as an error
    assert jobs_settled(pg, ids["bad"]) == "flagged"
    assert pg.psql("SELECT outcome FROM verifications WHERE account_id = '%s'"
                   % ids["bad"]) == "error"
    # the sleeper: two attempts of 2 s each, not 60 s
    assert jobs_settled(pg, ids["slow"], timeout=15) == "flagged"
    assert no_program_left()
    assert h.cli("ledger", "verify").returncode == 0
