#!/usr/bin/env python3
"""Ledger rows made outside hcpd, with valid hashes (ledger_chain.py).

  ledger_fill.py fill URL N [RECIPIENT]   append N chained rows after the
                                          current head, by COPY (triggers
                                          allow INSERT), e.g. 1,000,000 for
                                          timing `hcpd ledger verify`
  ledger_fill.py rehash URL ID            recompute row ID's row_hash from its
                                          stored content (triggers off; tests
                                          use it to forge an edit that only
                                          the next row's link reveals)

URL is a libpq URI or conninfo; psql must be on PATH and the user a
superuser for rehash. Only test and benchmark data: never a real subject.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger_chain  # noqa: E402

FIELDS = [["npi", "family_name", "given_name"], ["given_name", "family_name", "specialty"],
          ["license_number", "license_region", "family_name"]]


def psql(url, sql, stdin=None):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql], input=stdin,
                          check=True, capture_output=True, text=True).stdout.strip()


def head(url):
    out = psql(url, "SELECT id, encode(row_hash, 'hex'), (extract(epoch FROM disclosed_at) "
                    "* 1000000)::bigint FROM disclosures ORDER BY id DESC LIMIT 1")
    if not out:
        return 0, ledger_chain.ZERO, int(time.time() * 1e6)
    i, h, us = out.split("|")
    return int(i), bytes.fromhex(h), int(us)


def fill(url, n, recipient):
    terms = psql(url, "SELECT version, legal_basis, recipient_country, purpose FROM "
                      "recipient_terms WHERE recipient = '%s' ORDER BY effective_from DESC "
                      "LIMIT 1" % recipient)
    if not terms:
        sys.exit("ledger_fill: recipient %s has no terms" % recipient)
    version, basis, country, purpose = terms.split("|")
    last, prev, us = head(url)
    rnd = random.Random(last)
    # one transaction; as a superuser without the per-row foreign-key
    # check of the recipient (checked once above), which is most of the
    # time COPY takes. ON_ERROR_STOP: a failed COPY rolls everything back.
    copy = subprocess.Popen(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", "BEGIN", "-c",
         "SET LOCAL synchronous_commit = off", "-c",
         "DO $$ BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN "
         "SET LOCAL session_replication_role = replica; END IF; END $$", "-c",
         "COPY disclosures (id, subject, recipient, fields, purpose, terms_version, "
         "legal_basis, recipient_country, job_id, disclosed_at, prev_hash, row_hash) "
         "FROM STDIN", "-c", "COMMIT"], stdin=subprocess.PIPE, text=True)
    # ledger_chain.encode() with its constant parts encoded once: a million
    # rows in seconds rather than a minute. The first rows are checked
    # against ledger_chain.row_hash() itself.
    item = ledger_chain._item
    head_bytes = item(ledger_chain.ENCODING)
    mid = [item(recipient.encode()) + item(str(len(f)).encode()) +
           b"".join(item(x.encode()) for x in f) + item(purpose.encode()) +
           item(version.encode()) + item(basis.encode()) + item(country.encode())
           for f in FIELDS]
    no_job = item(None)
    middle = ["\t".join([recipient, "{%s}" % ",".join(f), purpose, version, basis, country]) +
              "\t" for f in FIELDS]
    sha256 = hashlib.sha256
    second, second_text = None, ""
    lines = []
    for i in range(last + 1, last + n + 1):
        us += rnd.randint(1, 2000)
        subject = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        k = i % len(FIELDS)
        job = i if i % 2 else 0
        sid = str(i).encode()
        subj = subject.encode()
        h = sha256(b"".join((head_bytes, item(sid), item(subj.lower()), mid[k],
                             item(str(job).encode()) if job else no_job,
                             item(str(us).encode()), prev))).digest()
        if i - last <= 100:
            assert h == ledger_chain.row_hash(prev, i, subject, recipient, FIELDS[k], purpose,
                                              version, basis, country, job, us)
        if us // 1000000 != second:
            second = us // 1000000
            second_text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        lines.append("%d\t%s\t%s%s\t%s.%06d+00\t\\\\x%s\t\\\\x%s\n" % (
            i, subject, middle[k], str(job) if job else "\\N", second_text,
            us % 1000000, prev.hex(), h.hex()))
        prev = h
        if len(lines) == 10000:  # bounded memory whatever n is
            copy.stdin.write("".join(lines))
            lines = []
    copy.stdin.write("".join(lines))
    copy.stdin.close()
    if copy.wait() != 0:
        sys.exit("ledger_fill: COPY failed")
    print("appended rows %d..%d" % (last + 1, last + n))


def rehash(url, row_id):
    out = psql(url, "SELECT json_build_object('subject', subject, 'recipient', recipient, "
                    "'fields', fields, 'purpose', purpose, 'terms_version', terms_version, "
                    "'legal_basis', legal_basis, 'recipient_country', recipient_country, "
                    "'job_id', job_id, 'us', (extract(epoch FROM disclosed_at) * 1000000)::bigint,"
                    " 'prev', encode(prev_hash, 'hex')) FROM disclosures WHERE id = %d" % row_id)
    r = json.loads(out)
    h = ledger_chain.row_hash(bytes.fromhex(r["prev"]), row_id, r["subject"], r["recipient"],
                              r["fields"], r["purpose"], r["terms_version"], r["legal_basis"],
                              r["recipient_country"], r["job_id"] or 0, r["us"])
    psql(url, "BEGIN; ALTER TABLE disclosures DISABLE TRIGGER USER; "
              "UPDATE disclosures SET row_hash = '\\x%s' WHERE id = %d; "
              "ALTER TABLE disclosures ENABLE TRIGGER USER; COMMIT" % (h.hex(), row_id))


def main(argv):
    if len(argv) >= 3 and argv[0] == "fill":
        fill(argv[1], int(argv[2]), argv[3] if len(argv) > 3 else "example-accreditor")
    elif len(argv) == 3 and argv[0] == "rehash":
        rehash(argv[1], int(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
