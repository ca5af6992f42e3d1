"""Privacy notice versions (issue 25 item 5). An account registered under
the catalogue's notice version A; the operator then runs hcpd with a
catalogue whose notice version is B. Every registered professional not
erased gets one payload-less notice_changed mail (one per account and
version, even with two processes and more passes); GET /v1/me and a fresh
access token say notice_acceptance_required; the marketing audience and
CME/advertiser disclosures through the gate wait for the acceptance;
POST /v1/me/notice-acceptance accepts B (204) and refuses A (409)."""

import base64
import glob
import json
import os
import shutil
import time

from conftest import ROOT, Hcpd
from privacy_helpers import PASSWORD, Pro
from test_admin import admin_token
from test_ledger import CME, export
from test_marketing_sender import POSTAL, audience, confirmed, recipients_file, sender


def catalogue_b(tmp_path):
    """The shipped catalogue (and its translations) with a new notice version."""
    out = tmp_path / "cat"
    out.mkdir()
    for path in glob.glob(os.path.join(ROOT, "services", "catalogue.*.json")):
        shutil.copy(path, out / os.path.basename(path))
    with open(os.path.join(ROOT, "services", "catalogue.json")) as f:
        doc = json.load(f)
    old = doc["notice_version"]
    doc["notice_version"] = old + "-b"
    (out / "catalogue.json").write_text(json.dumps(doc))
    return str(out / "catalogue.json"), old, doc["notice_version"]


def claims(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def mails(pg, account_id):
    return int(pg.psql("SELECT count(*) FROM outbox WHERE account_id = '%s' AND kind = "
                       "'notice_changed' AND payload_enc IS NULL" % account_id))


def me(pro):
    return pro.call("GET", "/v1/me", expect=200).json


def test_a_new_notice_version_is_mailed_once_and_awaits_acceptance(stack, tmp_path):
    env = {"HCPD_RECIPIENTS_FILE": recipients_file(tmp_path),
           "HCPD_SENDER_POSTAL_ADDRESS": POSTAL}
    pg, h = stack(env)
    key = sender(h)
    admin = admin_token(h)
    both = {"marketing_email": True}
    pro, other = (confirmed(pg, Pro(h.api, consents=both, enrolled=True)) for _ in range(2))
    gone = Pro(h.api)
    gone.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert me(pro)["notice_acceptance_required"] is False
    assert "notice_acceptance_required" not in claims(pro.access)
    assert len(audience(h, key).json["items"]) == 2
    h.stop()

    # the operator ships notice B: two processes pass at once, then two more passes
    path, version_a, version_b = catalogue_b(tmp_path)
    env["HCPD_CATALOGUE_FILE"] = path
    procs = [Hcpd(pg, str(tmp_path), env) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        deadline = time.time() + 15
        while time.time() < deadline and (mails(pg, pro.id) == 0 or mails(pg, other.id) == 0):
            time.sleep(0.2)
        for _ in range(2):
            r = procs[0].cli("purge", "--now")
            assert r.returncode == 0, r.stderr
        assert [mails(pg, p.id) for p in (pro, other, gone)] == [1, 1, 0]
        assert int(pg.psql("SELECT count(*) FROM notice_mails WHERE version = '%s'"
                           % version_b)) == 2

        pro.api = other.api = procs[1].api
        assert me(pro)["notice_acceptance_required"] is True
        pro.access, pro.refresh = pro.login()
        assert claims(pro.access)["notice_acceptance_required"] is True
        # the flows that wait: the audience, and a CME sponsor through the gate
        r = audience(procs[1], key)
        assert r.status == 200 and r.json["items"] == [], r.body
        body = export(procs[1], admin, *CME, ["given_name"], [pro.id])
        assert body["disclosed"] == []
        assert body["refused"] == [{"account": pro.id, "rule": "notice_pending"}], body

        # a stale or malformed acceptance is refused; the current one counts
        r = pro.call("POST", "/v1/me/notice-acceptance", {"version": version_a}, expect=409)
        assert r.is_problem()
        assert pro.call("POST", "/v1/me/notice-acceptance", {"version": 3}, expect=422).is_problem()
        assert pro.call("POST", "/v1/me/notice-acceptance", {}, expect=422).is_problem()
        pro.call("POST", "/v1/me/notice-acceptance", {"version": version_b}, expect=204)
        assert pg.psql("SELECT version FROM notice_acceptances WHERE account_id = '%s'"
                       % pro.id) == version_b
        assert me(pro)["notice_acceptance_required"] is False
        pro.access, pro.refresh = pro.login()
        exported = pro.call("POST", "/v1/me/export", {"password": PASSWORD}, expect=200).json
        assert exported["account"]["notice_version"] == version_b
        assert [a["version"] for a in exported["account"]["notice_acceptances"]] == [version_b]
        assert "notice_acceptance_required" not in claims(pro.access)
        assert me(other)["notice_acceptance_required"] is True
        r = audience(procs[1], key)
        assert [i["email"] for i in r.json["items"]] == [pro.email], r.body
        body = export(procs[1], admin, *CME, ["given_name"], [pro.id])
        assert [d["account"] for d in body["disclosed"]] == [pro.id], body
        # the acceptance needs no further mail, the other account still one
        procs[0].cli("purge", "--now")
        assert [mails(pg, p.id) for p in (pro, other)] == [1, 1]
    finally:
        for p in procs:
            p.assert_clean_exit()
