"""Helpers shared by the privacy-rights tests: a signed-up professional,
unique canary values, and sealing a value the way services/vault.c does
(tests know the master key, so they can write sealed evidence)."""

import hashlib
import hmac
import json
import random
import string
import uuid


from conftest import registration, valid_npi  # noqa: F401 (tests import it from here)
from reviewkit import data_key, seal
from test_ledger import CME, CME_MODULE, export

PASSWORD = "a long passphrase 2024"


def bearer(token):
    return {"Authorization": "Bearer " + token}


def canaries():
    """Personal values unique to one test, so a dump can be searched for them."""
    tag = "".join(random.choice(string.ascii_lowercase) for _ in range(8))
    return {
        "email": "canary.%s@example.org" % tag,
        "given_name": "Zenobia" + tag.capitalize(),
        "middle_name": "Quill" + tag.capitalize(),
        "family_name": "Marchbanks" + tag.capitalize(),
        "npi": valid_npi(),
        "phone": "+1415" + "".join(random.choice(string.digits) for _ in range(7)),
        "license_number": "LN" + tag.upper(),
    }


class Pro:
    """A registered, signed-in professional."""

    def __init__(self, api, email=None, consents=None, enrolled=False, **profile):
        """enrolled: enrolled in the sample CME module (test_ledger.CME_MODULE),
        under which its sponsor may receive the module's fields."""
        self.api = api
        self.email = email or "pro.%s@example.org" % uuid.uuid4().hex[:10]
        body = registration(self.email, **profile)
        body["consents"].update(consents or {})
        r = api.register(body)
        assert r.status == 202, r.body
        self.id = r.json["id"]
        self.access, self.refresh = self.login()
        if enrolled:
            self.call("POST", "/v1/me/enrolments", {"activity": CME_MODULE}, expect=201)

    def login(self, expect=200):
        r = self.api.request("POST", "/v1/sessions",
                             body={"email": self.email, "password": PASSWORD})
        assert r.status == expect, (r.status, r.body)
        return (r.json["access_token"], r.json["refresh_token"]) if expect == 200 else (None, None)

    def call(self, method, path, body=None, expect=None, **kw):
        r = self.api.request(method, path, body=body, headers=bearer(self.access), **kw)
        if expect is not None:
            assert r.status == expect, (method, path, r.status, r.body)
        return r


def derive(master_hex, label):
    return hmac.new(bytes.fromhex(master_hex), label.encode(), hashlib.sha256).digest()


def master_hex(hcpd):
    with open(hcpd.env["HCPD_MASTER_KEY_FILE"]) as f:
        return f.read().strip()


def seal_for(hcpd, pg, account_id, what, value):
    """Seals value (JSON-serialised) with the account's data key, as
    vault_seal(key, id, what, ...) does; returns the sealed bytes as hex."""
    return seal(data_key(hcpd, pg, account_id), account_id, what, json.dumps(value)).hex()


def disclose(h, admin, account_id):
    """A real ledger row for account_id: an admin export of its given name
    to the sample CME sponsor, through the gate (the account must be
    enrolled in the sample CME module)."""
    body = export(h, admin, *CME, ["given_name"], [account_id])
    assert [d["account"] for d in body["disclosed"]] == [account_id], body


def insert_verification(pg, account_id, verifier, evidence_hex=None, days_ago=0,
                        outcome="verified"):
    job = pg.psql("INSERT INTO verification_jobs (account_id, verifier, occasion, state, outcome, "
                  "finished_at) VALUES ('%s', '%s', 'registration', 'done', '%s', now()) "
                  "RETURNING id" % (account_id, verifier, outcome)).splitlines()[0]
    evidence = "'\\x%s'" % evidence_hex if evidence_hex else "NULL"
    return pg.psql("INSERT INTO verifications (account_id, job_id, verifier, outcome, reason, "
                   "checks, evidence_enc, reply_sha256, checked_at) VALUES ('%s', %s, '%s', "
                   "'%s', 'names match', '{\"family_name\": \"match\"}', %s, '\\x%s', "
                   "now() - make_interval(days => %d)) RETURNING id"
                   % (account_id, job, verifier, outcome, evidence, "ab" * 32,
                      days_ago)).splitlines()[0]
