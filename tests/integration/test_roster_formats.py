"""roster_csv for real files (issue 22 item 3), through `hcpd roster load`
and `hcpd verifier check` against a private PostgreSQL:

- France's RPPS extract shape (tests/data/rpps/: '|' with a trailing one,
  no quoting, CRLF, the 52 accented header names, several rows per person),
  read from standard input ("-"), matched by its own number ("Identifiant
  PP" with the field rpps) in the presence mode: listed is verified, a name
  that differs is a mismatch, absent is not_found;
- a GMC LRMP-shaped file (tests/data/gmc/: ',', quoted, Windows-1252,
  "Registration Status"): converted with iconv, "Müller" stored as UTF-8,
  a status not in "in_force" is inactive;
- the same Windows-1252 file declared UTF-8 is refused naming the column,
  a byte Windows-1252 leaves undefined is refused, and neither changes
  the loaded roster.
The definitions are the shipped ones (issue 22 item 4): fr-rpps,
gb-gmc-lrmp and us-sam-exclusions, the last with a SAM.gov extract-shaped
file (tests/data/sam/): excluded by NPI, by name and state, a firm row
skipped, and not excluded otherwise."""

import hashlib
import json
import os
import shutil
import subprocess
import zipfile

import pytest

from reviewkit import bearer, make_admin
from conftest import HCPD_BIN, ROOT, start_stack

RPPS = os.path.join(ROOT, "tests", "data", "rpps", "PS_LibreAcces_Personne_activite_sample.txt")
GMC = os.path.join(ROOT, "tests", "data", "gmc", "lrmp_sample.csv")

SAM = os.path.join(ROOT, "tests", "data", "sam", "SAM_Exclusions_Public_Extract_sample.csv")
SHIPPED = ("fr-rpps", "gb-gmc-lrmp", "us-sam-exclusions")


@pytest.fixture(scope="module")
def fstack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roster-formats")
    regs = tmp / "registries"
    regs.mkdir()
    for name in SHIPPED:  # the shipped definitions, alone
        shutil.copy(os.path.join(ROOT, "verifiers", "registries", name + ".json"),
                    str(regs / (name + ".json")))
    pg, h = start_stack(tmp, env={"HCPD_REGISTRIES_DIR": str(regs)})
    yield pg, h
    if h.proc.poll() is None:
        h.assert_clean_exit()
    pg.destroy()


def load(h, name, path=None, data=None):
    """`hcpd roster load NAME -` with the file (or data) as standard input."""
    if path is not None:
        with open(path, "rb") as f:
            data = f.read()
    return subprocess.run([HCPD_BIN, "roster", "load", name, "-"], env=h.env, cwd=ROOT,
                          input=data, capture_output=True, timeout=60)


def check(h, name, **fields):
    args = ["verifier", "check", name]
    for k, v in fields.items():
        args += ["--field", "%s=%s" % (k, v)]
    r = h.cli(*args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_rpps_extract_from_standard_input(fstack):
    pg, h = fstack
    r = load(h, "fr-rpps", RPPS)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["entries"] == 4  # one person on two lines of activity
    assert pg.psql("SELECT count(DISTINCT npi) FROM roster_entries "
                   "WHERE roster = 'fr-rpps'") == "3"
    ok = check(h, "fr-rpps", rpps="10005173140", family_name="Lefèvre",
               given_name="Élodie")
    assert (ok["outcome"], ok["reason"]) == ("verified", "on the roster")
    assert ok["checks"] == {"rpps": "match", "family_name": "match", "given_name": "match"}
    hyph = check(h, "fr-rpps", rpps="10003461033", family_name="D'Angelo Nunez",
                 given_name="Jean-Baptiste")
    assert hyph["outcome"] == "verified"
    other = check(h, "fr-rpps", rpps="10003461033", family_name="Martin",
                  given_name="Jean-Baptiste")
    assert (other["outcome"], other["reason"]) == ("mismatch", "family name differs")
    absent = check(h, "fr-rpps", rpps="10000001916", family_name="Lefèvre",
                   given_name="Élodie")
    assert (absent["outcome"], absent["reason"]) == ("not_found", "not on the roster")


def test_rpps_extract_date_is_attributed(fstack, tmp_path):
    """The RPPS is reused on condition of citing "RPPS" and the extract's
    date: the load reads it from the extract's name (inside the zip), the
    check's evidence and GET /v1/admin/verifiers cite both (issue 22)."""
    pg, h = fstack
    z = str(tmp_path / "PS_LibreAcces_Personne_activite.zip")
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.write(RPPS, "PS_LibreAcces_Personne_activite_202612011732.txt")
    r = subprocess.run([HCPD_BIN, "roster", "load", "fr-rpps", z], env=h.env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["extract_date"] == "2026-12-01"
    ok = check(h, "fr-rpps", rpps="10005173140", family_name="Lefèvre", given_name="Élodie")
    assert ok["outcome"] == "verified"
    assert ok["evidence"]["attribution"] == {"source": "RPPS", "extract_date": "2026-12-01"}
    token = make_admin(h)[2]
    r = h.api.request("GET", "/v1/admin/verifiers", headers=bearer(token))
    assert r.status == 200, r.body
    got = {v["name"]: v for v in r.json["verifiers"]}
    roster = got["fr-rpps"]["roster"]
    assert (roster["entries"], roster["extract_date"], roster["attribution"]) == (
        4, "2026-12-01", "RPPS")
    assert got["gb-gmc-lrmp"]["roster"] is None or got["gb-gmc-lrmp"]["roster"]["attribution"] \
        is None
    # a name without a date (standard input here) stores none
    assert load(h, "fr-rpps", RPPS).returncode == 0
    assert check(h, "fr-rpps", rpps="10005173140", family_name="Lefèvre",
                 given_name="Élodie")["evidence"]["attribution"] == {
        "source": "RPPS", "extract_date": None}


def test_windows_1252_file_with_a_status(fstack):
    pg, h = fstack
    r = load(h, "gb-gmc-lrmp", GMC)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["entries"] == 4
    # stored as UTF-8, normalised: the u with diaeresis converted, then its accent dropped
    assert pg.psql("SELECT family_name FROM roster_entries "
                   "WHERE roster = 'gb-gmc-lrmp' AND npi = '7023456'") == "MULLER"
    ok = check(h, "gb-gmc-lrmp", gmc_number="7012345", family_name="O'Brien",
               given_name="Siobhan")
    assert ok["outcome"] == "verified"
    for number, family in (("7023456", "Müller"), ("7034567", "Ó Súilleabháin")):
        out = check(h, "gb-gmc-lrmp", gmc_number=number, family_name=family,
                    given_name="x")
        assert (out["outcome"], out["reason"]) == ("inactive", "listed, not in force")
    out = check(h, "gb-gmc-lrmp", gmc_number="7999999", family_name="Nobody", given_name="x")
    assert out["outcome"] == "not_found"


def test_wrong_encoding_is_refused_and_changes_nothing(fstack, tmp_path):
    pg, h = fstack
    assert load(h, "gb-gmc-lrmp", GMC).returncode == 0
    before = pg.psql("SELECT entries || encode(sha256, 'hex') FROM rosters "
                     "WHERE name = 'gb-gmc-lrmp'")
    with open(RPPS, "rb") as f:
        utf8 = f.read()
    # the RPPS extract is UTF-8: a Windows-1252 copy of it does not load
    # into the definition that says UTF-8 - its accented header names
    # differ already
    r = load(h, "fr-rpps", data=utf8.decode("utf-8").encode("cp1252"))
    assert r.returncode != 0
    assert "the header has no column \\\"Prénom d'exercice\\\"" in r.stderr.decode()
    # a UTF-8 header, rows in Windows-1252: the column is named, not the value
    head, rest = utf8.split(b"\r\n", 1)
    r = load(h, "fr-rpps", data=head + b"\r\n" + rest.decode("utf-8").encode("cp1252"))
    assert r.returncode != 0
    assert b"not UTF-8 text" in r.stderr and b"Nom d'exercice" in r.stderr
    assert b"LEF" not in r.stderr
    with open(GMC, "rb") as f:
        data = f.read().replace(b"Siobh\xe1n", b"Siobh\x81n")
    r = load(h, "gb-gmc-lrmp", data=data)
    assert r.returncode != 0
    assert b"not WINDOWS-1252 text" in r.stderr
    assert pg.psql("SELECT entries || encode(sha256, 'hex') FROM rosters "
                   "WHERE name = 'gb-gmc-lrmp'") == before


def test_zipped_extract(fstack, tmp_path):
    """The extract as ANS delivers it: zipped. One file inside is read;
    an archive of two is refused and changes nothing."""
    pg, h = fstack
    z = str(tmp_path / "PS_LibreAcces_Personne_activite.zip")
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.write(RPPS, "PS_LibreAcces_Personne_activite_202612070000.txt")
    r = subprocess.run([HCPD_BIN, "roster", "load", "fr-rpps", z], env=h.env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["entries"] == 4
    with open(RPPS, "rb") as f:  # the digest is of the text loaded
        assert out["sha256"] == hashlib.sha256(f.read()).hexdigest()
    two = str(tmp_path / "two.zip")
    with zipfile.ZipFile(two, "w") as f:
        f.write(RPPS, "a.txt")
        f.write(RPPS, "b.txt")
    r = subprocess.run([HCPD_BIN, "roster", "load", "fr-rpps", two], env=h.env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "exactly one file" in r.stderr
    assert check(h, "fr-rpps", rpps="10005173140", family_name="Lefèvre",
                 given_name="Élodie")["outcome"] == "verified"


def test_sam_exclusions_extract(fstack, tmp_path):
    pg, h = fstack
    z = str(tmp_path / "SAM_Exclusions_Public_Extract.ZIP")
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.write(SAM, "SAM_Exclusions_Public_Extract_V2_26341.CSV")
    r = subprocess.run([HCPD_BIN, "roster", "load", "us-sam-exclusions", z], env=h.env,
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["entries"] == 4  # the firm is skipped
    by_npi = check(h, "us-sam-exclusions", npi="1900000013", family_name="Quartermaine",
                   given_name="Aldous", license_region="IL")
    assert (by_npi["outcome"], by_npi["reason"]) == (
        "excluded", "listed since 2019-04-18 (Prohibition/Restriction)")  # Indefinite
    ended = check(h, "us-sam-exclusions", npi="1900000047", family_name="Farnsworth",
                  given_name="Hubert", license_region="MA")  # Termination Date 05/12/2020
    assert (ended["outcome"], ended["reason"]) == ("verified", "reinstated: not excluded")
    by_name = check(h, "us-sam-exclusions", npi="1234567893", family_name="Vantremont",
                    given_name="Margaret", license_region="MD")
    assert by_name["outcome"] == "excluded"
    accented = check(h, "us-sam-exclusions", npi="1234567893", family_name="Núñez Pellinore",
                     given_name="Jose", license_region="TX")
    assert accented["outcome"] == "excluded"
    clear = check(h, "us-sam-exclusions", npi="1234567893", family_name="Vantremont",
                  given_name="Margaret", license_region="VA")
    assert (clear["outcome"], clear["reason"]) == ("verified", "not on the list")
