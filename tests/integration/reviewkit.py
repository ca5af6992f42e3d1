"""Fixtures for admin review tests: admins, and flagged registrations.

The verifier pipeline is not in this tree yet, so a flagged registration is
made the way the pipeline will leave one: a real registration through the
API, then (in SQL) status 'flagged', a finished verification job and its
verification row, with evidence sealed under the account's own data key
exactly as hcpd seals it (AES-256-GCM, nonce | ciphertext | tag, aad
"<account id>/evidence", the data key unwrapped with the key derived from
the master key). Once the pipeline lands, tests can make real ones.
"""

import base64
import hashlib
import hmac
import json
import os
import time
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import registration

ADMIN_PASSWORD = "correct horse battery staple admin"
PRO_PASSWORD = "a long passphrase 2024"


def unique_email(tag):
    return "%s.%s@example.org" % (tag, uuid.uuid4().hex[:10])


def make_admin(h):
    """A new admin: (email, account id, access token)."""
    email = unique_email("admin")
    r = h.cli("admin", "create", "--email", email, input=ADMIN_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    admin_id = r.stdout.strip()
    return email, admin_id, login(h, email, ADMIN_PASSWORD)


def login(h, email, password=PRO_PASSWORD):
    r = h.api.request("POST", "/v1/sessions", body={"email": email, "password": password})
    assert r.status == 200, r.body
    return r.json["access_token"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def data_key(h, pg, account_id):
    """The account's clear data key, opened as vault_key_open() does: the
    sealed key (scheme byte 2, from h's database) under HMAC(wrap key, the
    secret from h's keystore). None when the keystore holds no secret for
    it (erased)."""
    with open(h.env["HCPD_MASTER_KEY_FILE"]) as f:
        master = bytes.fromhex(f.read().strip())
    wrap = hmac.new(master, b"hcpd data-key wrap v1", hashlib.sha256).digest()
    secret = pg.psql("SELECT encode(secret, 'hex') FROM account_keys WHERE account_id = '%s'"
                     % account_id, url=h.env["HCPD_KEYSTORE_URL"])
    sealed = bytes.fromhex(pg.psql("SELECT encode(data_key, 'hex') FROM accounts WHERE id = '%s'"
                                   % account_id, url=h.env["HCPD_DATABASE_URL"]))
    if not secret:
        return None
    assert sealed[0] == 2, "not sealed with a keystore secret"
    key = hmac.new(wrap, bytes.fromhex(secret), hashlib.sha256).digest()
    return AESGCM(key).decrypt(sealed[1:13], sealed[13:], account_id.encode())


def confirm_email(h, account_id, email, password=PRO_PASSWORD):
    """Confirms the account's email as its owner does, with POST
    /v1/me/email/confirm and the token of its confirmation mail. The mailer
    mints that token when it sends (issue 20), and only the mailbox sees it,
    so a token is stored here as the mailer stores it (its SHA-256, purpose
    confirm_email). Where a process of the stack mails, its minting
    supersedes older tokens and may take ours away first: then another is
    stored, until one works. An account is verified or approved only with a
    confirmed email (issue 18)."""
    access = login(h, email, password)
    deadline = time.time() + 20
    while True:
        token = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        h.pg.psql("INSERT INTO email_tokens (token_hash, account_id, purpose, expires_at) "
                  "VALUES (sha256(convert_to('%s', 'UTF8')), '%s', 'confirm_email', "
                  "now() + interval '1 hour')" % (token, account_id),
                  url=h.env["HCPD_DATABASE_URL"])
        r = h.api.request("POST", "/v1/me/email/confirm", body={"token": token},
                          headers=bearer(access))
        if r.status != 422 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert r.status == 204, r.body


def seal(key, account_id, what, text):
    nonce = os.urandom(12)
    aad = ("%s/%s" % (account_id, what)).encode()
    return nonce + AESGCM(key).encrypt(nonce, text.encode(), aad)


def add_verification(h, pg, account_id, verifier="us-nppes", outcome="mismatch",
                     reason="family name differs", checks=None, evidence=None):
    """A finished job and its verification row; returns the verification id."""
    checks = checks if checks is not None else {"family_name": "mismatch", "npi": "match"}
    evidence = evidence if evidence is not None else {
        "family_name": {"registration": "NG", "registry": "NGUYEN"},
        "npi": {"registration": "1234567893", "registry": "1234567893"}}
    sealed = seal(data_key(h, pg, account_id), account_id, "evidence", json.dumps(evidence))
    reply_sha = hashlib.sha256(os.urandom(16)).hexdigest()
    return int(pg.psql(
        "WITH j AS (INSERT INTO verification_jobs (account_id, verifier, occasion, state, "
        "outcome, finished_at) VALUES ('%(id)s', '%(v)s', 'registration', 'done', '%(o)s', now()) "
        "RETURNING id) INSERT INTO verifications (account_id, job_id, verifier, outcome, reason, "
        "checks, evidence_enc, reply_sha256) SELECT '%(id)s', j.id, '%(v)s', '%(o)s', '%(r)s', "
        "'%(c)s'::jsonb, decode('%(e)s', 'hex'), decode('%(s)s', 'hex') FROM j RETURNING id"
        % {"id": account_id, "v": verifier, "o": outcome, "r": reason,
           "c": json.dumps(checks), "e": sealed.hex(), "s": reply_sha}).splitlines()[0])


def make_flagged(h, pg, email=None, status="flagged", **profile):
    """A registration flagged by one mismatching verifier, its email
    confirmed (approval needs that): (account id, email)."""
    email = email or unique_email("pro")
    r = h.api.register(registration(email, **profile))
    assert r.status == 202, r.body
    account_id = r.json["id"]
    add_verification(h, pg, account_id, verifier="us-oig-leie", outcome="verified",
                     reason="not excluded", checks={}, evidence={})
    add_verification(h, pg, account_id)
    # as the pipeline leaves it: a verifier's outcome is the reason, none
    # of its own (a country no register serves was flagged no_registry)
    pg.psql("UPDATE accounts SET status = '%s', status_reason = NULL, email_verified = true "
            "WHERE id = '%s'" % (status, account_id))
    return account_id, email


def add_disclosure(pg, account_id, recipient="us-nppes"):
    """A ledger row for the subject (hash values are not a real chain:
    only for a private cluster, never the session one)."""
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) VALUES "
            "('%s', 'verifier', 'NPPES NPI Registry', 'US') ON CONFLICT DO NOTHING" % recipient)
    pg.psql("INSERT INTO disclosures (id, subject, recipient, fields, purpose, terms_version, "
            "legal_basis, recipient_country, disclosed_at, prev_hash, row_hash) SELECT "
            "coalesce(max(id), 0) + 1, '%s', '%s', ARRAY['npi', 'family_name'], "
            "'licensure_verification', '2025-01', 'consent', 'US', now(), "
            "decode(repeat('00', 32), 'hex'), decode(md5(random()::text) || md5(random()::text), "
            "'hex') FROM disclosures" % (account_id, recipient))


def item(h, token, account_id):
    r = h.api.request("GET", "/v1/admin/reviews/" + account_id, headers=bearer(token),
                      template="/v1/admin/reviews/{id}")
    assert r.status == 200, r.body
    return r


def decide(h, token, account_id, decision, reason, etag, check=True):
    headers = bearer(token)
    if etag is not None:
        headers["If-Match"] = etag
    return h.api.request("POST", "/v1/admin/reviews/%s/decision" % account_id,
                         body={"decision": decision, "reason": reason}, headers=headers,
                         template="/v1/admin/reviews/{id}/decision", check=check)


# A manual register of the tests' own: its link carries the declared MCR
# number (no shipped register documents such a link).
TEST_REGISTER = {
    "name": "sg-test", "display_name": "Test register of doctors", "kind": "manual",
    "countries": ["SG"], "professions": ["physician"], "fields": ["mcr_number"],
    "compares": ["family_name"], "base_url": "https://register.example/search",
    "manual": {"instructions": "Search by number; compare the family name.",
               "search_url": "{base_url}?number={mcr_number}"},
    "source": ["a test definition"]}


def write_test_register(directory):
    """Writes TEST_REGISTER into a registries directory (a pathlib.Path)."""
    (directory / "sg-test.json").write_text(json.dumps(TEST_REGISTER))

