"""The recipient kill-switch (issue 25 item 7): `hcpd recipient suspend
NAME --reason` and POST /v1/admin/recipients/{name}/suspension stop every
flow to a recipient at once, in every process, audited with the reason
sealed; GET /v1/admin/disclosures exports who received what as CSV or
NDJSON for a breach notification."""

import csv
import io
import json
import time
import uuid

from conftest import valid_npi
from pipeline_helpers import jobs_settled
from privacy_helpers import Pro, bearer
from registry_stub import RegistryStub
from test_admin import ADMIN_PASSWORD, admin_token
from test_ledger import CME, export
from test_pipeline import answer, pipeline, register

REASON = "breach ticket 4711: wrong list sent to Dr Quillfeather"


def staff_token(h, role):
    email = "%s.%s@example.org" % (role, uuid.uuid4().hex[:8])
    r = h.cli("admin", "create", "--email", email, "--role", role, input=ADMIN_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = h.api.request("POST", "/v1/sessions", body={"email": email, "password": ADMIN_PASSWORD})
    assert r.status == 200, r.body
    return r.json["access_token"]


def suspension(h, token, name, method="POST", body=None):
    return h.api.request(method, "/v1/admin/recipients/%s/suspension" % name, body=body,
                         headers=bearer(token),
                         template="/v1/admin/recipients/{name}/suspension")


def test_a_suspended_recipient_receives_nothing_from_any_process(stack, tmp_path):
    stub = RegistryStub()
    try:
        pg, h = pipeline(stack, stub, tmp_path)
        admin = admin_token(h)
        sharer = Pro(h.api, enrolled=True)
        assert [d["account"] for d in export(h, admin, *CME, ["given_name"],
                                             [sharer.id])["disclosed"]] == [sharer.id]

        # another process (the CLI) pulls the switch; serve's gate and runner obey at once
        for name in ("us-nppes", CME[0]):
            r = h.cli("recipient", "suspend", name, "--reason", REASON)
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["suspended"] is True
        body = export(h, admin, *CME, ["given_name"], [sharer.id])
        assert body["disclosed"] == [] and body["refused"] == [
            {"account": sharer.id, "rule": "recipient_suspended"}]

        npi = valid_npi()
        answer(stub, npi)
        account, _, _ = register(h, npi=npi)
        time.sleep(2)  # the runner polls the queue far more often than that
        assert stub.count(npi) == 0
        assert pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % account) == "0"
        # the job waits for the recipient; the professional is not blamed
        assert pg.psql("SELECT state || ' ' || attempts FROM verification_jobs "
                       "WHERE account_id = '%s'" % account) == "queued 0"
        assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % account) == \
            "pending_verification"

        # resumed (through the API this time): the waiting job goes
        r = suspension(h, admin, "us-nppes", "DELETE")
        assert r.status == 200 and r.json == {"recipient": "us-nppes", "suspended": False,
                                              "suspended_at": None}
        jobs_settled(pg, account)
        assert stub.count(npi) >= 1
        assert pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s' "
                       "AND recipient = 'us-nppes'" % account) != "0"
        # the sponsor is still suspended
        assert export(h, admin, *CME, ["given_name"], [sharer.id])["disclosed"] == []
    finally:
        stub.close()


def test_suspension_is_admin_only_audited_and_its_reason_sealed(stack):
    pg, h = stack()
    admin = admin_token(h)
    auditor = staff_token(h, "auditor")
    assert suspension(h, auditor, CME[0], body={"reason": REASON}).status == 403
    assert suspension(h, admin, "no-such-recipient", body={"reason": REASON}).status == 404
    for bad in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "a\u0007b"},
                {"reason": REASON, "other": 1}):
        r = suspension(h, admin, CME[0], body=bad)
        assert r.status in (400, 422) and r.is_problem(), (bad, r.status)

    r = suspension(h, admin, CME[0], body={"reason": REASON})
    assert r.status == 200 and r.json["suspended"] is True, r.body
    since = r.json["suspended_at"]
    again = suspension(h, admin, CME[0], body={"reason": "again"})
    assert again.status == 200 and again.json["suspended_at"] == since
    # one row (the second suspension changed nothing), by the admin, the reason sealed
    assert pg.psql("SELECT count(*) || ' ' || count(*) FILTER (WHERE reason_enc IS NOT NULL "
                   "AND actor NOT IN ('cli', 'system')) FROM audit_log WHERE action = "
                   "'recipient.suspended' AND target = '%s'" % CME[0]) == "1 1"
    # the reason is nowhere in clear
    assert "Quillfeather" not in pg.dump()
    assert suspension(h, admin, CME[0], "DELETE").json["suspended"] is False
    assert suspension(h, admin, CME[0], "DELETE").status == 200
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'recipient.resumed' "
                   "AND target = '%s'" % CME[0]) == "1"
    r = h.cli("recipient", "resume", "nobody-here")
    assert r.returncode == 1
    assert h.cli("recipient", "suspend", CME[0]).returncode == 2  # the reason is required


def test_disclosures_export_as_csv_and_ndjson(stack):
    pg, h = stack()
    admin = admin_token(h)
    pros = [Pro(h.api, enrolled=True) for _ in range(3)]
    export(h, admin, *CME, ["given_name", "family_name"], [p.id for p in pros])
    base = "/v1/admin/disclosures?recipient=%s" % CME[0]
    page = h.api.request("GET", base, headers=bearer(admin)).json["items"]
    assert len(page) == 3

    r = h.api.request("GET", base + "&format=ndjson&from=2000-01-01", headers=bearer(admin))
    assert r.status == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    text = r.body.decode() if isinstance(r.body, bytes) else r.body
    assert [json.loads(line) for line in text.splitlines()] == page

    r = h.api.request("GET", base + "&format=csv&from=2000-01-01&to=2999-01-01T00:00:00Z",
                      headers=bearer(admin))
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.body.decode() if isinstance(r.body, bytes) else r.body
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(int(x["id"]), x["subject"], json.loads(x["fields"]), x["job_id"]) for x in rows] == \
        [(d["id"], d["subject"], d["fields"], "") for d in page]

    # the range filters; a bad range is a 400
    r = h.api.request("GET", base + "&format=csv&from=2999-01-01", headers=bearer(admin))
    text = r.body.decode() if isinstance(r.body, bytes) else r.body
    assert r.status == 200 and text.count("\n") == 1  # the header only
    for bad in ("from=yesterday", "to=2026-02-30", "from=2026-02-01&to=2026-01-01",
                "format=xml"):
        r = h.api.request("GET", base + "&" + bad, headers=bearer(admin))
        assert r.status == 400 and r.is_problem(), bad
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'disclosure.list' "
                   "AND details->>'format' = 'csv'") == "2"
