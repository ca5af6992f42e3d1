#!/usr/bin/python3
"""How long `hcpd roster load` takes over N rows of the RPPS extract's
shape (53 '|'-separated fields with a trailing '|', CRLF, accented header
names, two lines of activity per person), against `psql \\copy` of the same
rows - the reduced entries hcpd stores - into a table shaped like
roster_entries (a measuring tool, not a test). Prints one JSON object.

    HCPD_BIN=bin/hcpd tests/perf/roster_load.py [--rows 1000000]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from conftest import HCPD_BIN, Hcpd, Postgres, migrate  # noqa: E402

SAMPLE = os.path.join(ROOT, "tests", "data", "rpps", "PS_LibreAcces_Personne_activite_sample.txt")
DEFINITION = {
    "name": "fr-rpps-bench", "display_name": "RPPS (bench)", "kind": "roster_csv",
    "countries": ["FR"], "fields": ["rpps", "family_name", "given_name"],
    "roster_csv": {"mode": "presence", "delimiter": "|", "quoting": False,
                   "trailing_delimiter": True, "identifier_field": "rpps",
                   "columns": {"identifier": "Identifiant PP", "family_name": "Nom d'exercice",
                               "given_name": "Prénom d'exercice",
                               "detail": "Libellé profession"}}}


def generate(path, copy_path, rows):
    with open(SAMPLE, encoding="utf-8") as f:
        header, template = f.readline(), f.readline().rstrip("\r\n").split("|")
    with open(path, "w", encoding="utf-8", newline="") as out, \
            open(copy_path, "w", encoding="utf-8") as cp:
        out.write(header.rstrip("\r\n") + "\r\n")
        for i in range(rows):
            person = i // 2
            t = list(template)
            t[1] = "1%010d" % person
            t[2] = "8" + t[1]
            t[7] = "NOM%07d" % person
            t[8] = "PRÉNOM%d" % (person % 977)
            out.write("|".join(t) + "\r\n")
            cp.write("fr-rpps-bench\t%s\tNOM%07d\tPRENOM%d\t\t\\N\tf\tMédecin\n"
                     % (t[1], person, person % 977))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="hcpd-roster-bench-")
    regs = os.path.join(work, "registries")
    os.mkdir(regs)
    with open(os.path.join(regs, "fr-rpps-bench.json"), "w") as f:
        json.dump(DEFINITION, f, ensure_ascii=False)
    path, copy_path = os.path.join(work, "extract.txt"), os.path.join(work, "rows.tsv")
    generate(path, copy_path, a.rows)
    pg = Postgres()
    h = Hcpd(pg, work, {"HCPD_REGISTRIES_DIR": regs, "HCPD_LOG_LEVEL": "warn"})
    try:
        migrate(h)
        t0 = time.monotonic()
        r = subprocess.run([HCPD_BIN, "roster", "load", "fr-rpps-bench", path], env=h.env,
                           capture_output=True, text=True)
        hcpd_s = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        pg.psql("CREATE TABLE bench_entries (LIKE roster_entries INCLUDING ALL)")
        t0 = time.monotonic()
        pg.psql("\\copy bench_entries (roster, npi, family_name, given_name, state, listed_on, "
                "reinstated, detail) FROM '%s'" % copy_path)
        copy_s = time.monotonic() - t0
        print(json.dumps({"rows": a.rows, "file_bytes": os.path.getsize(path),
                          "hcpd_roster_load_s": round(hcpd_s, 2),
                          "psql_copy_s": round(copy_s, 2),
                          "ratio": round(hcpd_s / copy_s, 2),
                          "hcpd": json.loads(r.stdout)}))
    finally:
        pg.destroy()


if __name__ == "__main__":
    main()
