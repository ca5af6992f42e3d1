"""The ledger's canonical row encoding and hash chain, written again in
Python from db/disclosures.h's description alone, so the format is checked by
a second implementation (tests/unit/test_ledger.c holds a vector made
here) and rows can be generated without hcpd (ledger_fill.py)."""

import hashlib
import struct

ENCODING = b"hcpd.disclosure.v1"
ZERO = bytes(32)


def _item(b):
    if b is None:
        return struct.pack(">I", 0xFFFFFFFF)
    return struct.pack(">I", len(b)) + b


def encode(row_id, subject, recipient, fields, purpose, terms_version, legal_basis,
           recipient_country, job_id, disclosed_us):
    out = [_item(ENCODING), _item(str(row_id).encode()), _item(subject.lower().encode()),
           _item(recipient.encode()), _item(str(len(fields)).encode())]
    out += [_item(f.encode()) for f in fields]
    out += [_item(purpose.encode()), _item(terms_version.encode()), _item(legal_basis.encode()),
            _item(recipient_country.encode()),
            _item(None if not job_id else str(job_id).encode()),
            _item(str(disclosed_us).encode())]
    return b"".join(out)


def row_hash(prev, *row):
    return hashlib.sha256(encode(*row) + prev).digest()


if __name__ == "__main__":
    # the vector in tests/unit/test_ledger.c
    row = (7, "565F4E4C-84EB-451E-83E9-02DE63657221", "us-nppes", ["npi", "family_name"],
           "licensure_verification", "2026-01-01", "consent", "US", 42, 1795000000123456)
    prev = bytes(range(32))
    print(encode(*row).hex())
    print(row_hash(prev, *row).hex())
    row = row[:8] + (0,) + row[9:]
    print(row_hash(prev, *row).hex())
