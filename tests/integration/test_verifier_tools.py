"""The integrator's tools (issue 22 item 5): `hcpd verifier lint FILE` (the
start-up checks on one file: ok, the first error naming the file and the key
and every error with its JSON path, a
JSON syntax error with its line and column, a definition off until its
secret is set) and `hcpd verifier test FILE CASES_DIR` (recorded cases, no
network, no database: every case passes; a wrong expectation fails naming
what differs; a definition that does not load fails). Neither needs
HCPD_DATABASE_URL."""

import json
import os
import shutil
import subprocess

from conftest import HCPD_BIN, ROOT

NPPES = os.path.join(ROOT, "verifiers", "registries", "us-nppes.json")
RPPS = os.path.join(ROOT, "verifiers", "registries", "fr-rpps.json")
ANNUAIRE = os.path.join(ROOT, "verifiers", "registries", "fr-annuaire-sante.json")
CASES = os.path.join(ROOT, "tests", "verifiers", "cases")


def hcpd(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    e.update(env or {})
    return subprocess.run([HCPD_BIN, "verifier"] + list(args), env=e, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def lines(r):
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_lint(tmp_path):
    r = hcpd("lint", NPPES)
    assert r.returncode == 0 and lines(r) == [{"file": NPPES, "ok": True}]
    with open(RPPS) as f:
        doc = json.load(f)
    doc["roster_csv"]["delimiter"] = "::"
    bad = tmp_path / "fr-rpps.json"
    bad.write_text(json.dumps(doc))
    r = hcpd("lint", str(bad))
    assert r.returncode == 1
    out = lines(r)[0]
    assert not out["ok"] and str(bad) in out["error"]
    assert '"roster_csv": "delimiter"' in out["error"]
    assert out["errors"] == [
        "$.roster_csv.delimiter: must be one of , ; | or a tab, \"quoting\" and "
        "\"trailing_delimiter\" booleans, \"encoding\" UTF-8, WINDOWS-1252 or ISO-8859-1, "
        "\"identifier_field\" a field name"]
    # every error, each with its JSON path, not only the first
    doc["roster_csv"]["delimiter"] = "|"
    doc["roster_csv"]["mode"] = "sometimes"
    doc["roster_csv"]["columns"]["colour"] = "Couleur"
    doc["timeout_ms"] = 5
    doc["shade"] = 1
    bad.write_text(json.dumps(doc))
    r = hcpd("lint", str(bad))
    assert r.returncode == 1
    out = lines(r)[0]
    assert out["error"] == str(bad) + ': "shade" is not a known key'
    paths = [e.split(": ")[0] for e in out["errors"]]
    assert paths == ["$.shade", "$.timeout_ms", "$.roster_csv.mode",
                     "$.roster_csv.columns.colour"], out["errors"]
    # a process definition's arguments and variables, each named
    big = tmp_path / "nl"
    big.mkdir()
    shutil.copy2(os.path.join(ROOT, "verifiers", "registries", "verifier-nl-big-register"),
                 str(big / "verifier-nl-big-register"))
    with open(os.path.join(ROOT, "verifiers", "registries", "nl-big-register.json")) as f:
        nl = json.load(f)
    nl["process"].update({"args": [1, "ok", 2], "env": ["lower", "HCPD_X"]})
    (big / "nl-big-register.json").write_text(json.dumps(nl))
    r = hcpd("lint", str(big / "nl-big-register.json"))
    assert r.returncode == 1
    assert lines(r)[0]["errors"] == [
        "$.process.args[0]: must be a string of at most 1024 bytes",
        "$.process.args[2]: must be a string of at most 1024 bytes",
        "$.process.env[0]: must be a variable name ([A-Z_][A-Z0-9_]*)",
        "$.process.env: HCPD_X: hcpd's own settings are never passed to a program"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n "kind": ')
    out = lines(hcpd("lint", str(broken)))[0]
    assert not out["ok"] and "line 2" in out["error"]
    off = lines(hcpd("lint", ANNUAIRE))[0]
    assert off["ok"] and "HCPD_REGISTRY_SECRET_FR_ANNUAIRE_SANTE_ESANTE_API_KEY" in off["off"]


def test_recorded_cases(tmp_path):
    r = hcpd("test", NPPES, os.path.join(CASES, "nppes"))
    assert r.returncode == 0, r.stdout + r.stderr
    out = lines(r)
    assert all(c["ok"] for c in out[:-1]) and out[-1] == {"passed": 14, "failed": 0}

    # a case whose expectation is wrong fails, saying what differs
    cases = tmp_path / "cases"
    shutil.copytree(os.path.join(CASES, "nppes"), str(cases))
    path = cases / "004-inactive.json"
    c = json.loads(path.read_text())
    c["expect"]["outcome"] = "verified"
    path.write_text(json.dumps(c))
    r = hcpd("test", NPPES, str(cases))
    assert r.returncode == 1
    failed = [c for c in lines(r)[:-1] if not c["ok"]]
    assert failed == [{"case": "004-inactive.json", "ok": False,
                       "why": "expect.outcome: got inactive, expected verified"}]

    # a definition that does not load runs nothing
    with open(NPPES) as f:
        doc = json.load(f)
    doc["fields"] = ["npi", "email"]
    bad = tmp_path / "us-nppes.json"
    bad.write_text(json.dumps(doc))
    r = hcpd("test", str(bad), str(cases))
    assert r.returncode == 1 and not lines(r)[0]["ok"]


def test_roster_and_process_cases(tmp_path):
    """A roster's cases read its real-format file into memory (no database);
    a process verifier's run its program against a local stub."""
    r = hcpd("test", RPPS, os.path.join(CASES, "fr-rpps"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines(r)[-1] == {"passed": 5, "failed": 0}
    cases = tmp_path / "rpps"
    shutil.copytree(os.path.join(CASES, "fr-rpps"), str(cases))
    for p in cases.iterdir():  # the roster path, from the copy
        c = json.loads(p.read_text())
        c["roster"] = os.path.join(CASES, "fr-rpps", c["roster"])
        p.write_text(json.dumps(c))
    c = json.loads((cases / "005-not-found.json").read_text())
    c["fields"]["rpps"] = "10005173140"  # listed: verified, not the not_found recorded
    (cases / "005-not-found.json").write_text(json.dumps(c))
    r = hcpd("test", RPPS, str(cases))
    assert r.returncode == 1
    assert [c for c in lines(r)[:-1] if not c["ok"]] == [
        {"case": "005-not-found.json", "ok": False,
         "why": "expect.outcome: got verified, expected not_found"}]

    big = os.path.join(ROOT, "verifiers", "registries", "nl-big-register.json")
    r = hcpd("test", big, os.path.join(CASES, "nl-big-register"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines(r)[-1] == {"passed": 8, "failed": 0}
    cases = tmp_path / "big"
    shutil.copytree(os.path.join(CASES, "nl-big-register"), str(cases))
    c = json.loads((cases / "001-verified-partner-name.json").read_text())
    c["request"]["body_lacks"] = ["49064114102"]  # the number is sent
    (cases / "001-verified-partner-name.json").write_text(json.dumps(c))
    r = hcpd("test", big, str(cases))
    assert r.returncode == 1
    assert [c["case"] for c in lines(r)[:-1] if not c["ok"]] == ["001-verified-partner-name.json"]
