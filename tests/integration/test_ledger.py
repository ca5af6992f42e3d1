"""The limited-use disclosure ledger: the gate refuses every rule it has
(sending nothing and auditing once), the ledger records exactly what was
sent, rows cannot be changed, an edit behind the triggers' back is found
by `hcpd ledger verify`, and appends from two processes keep one chain."""

import json
import os
import re
import subprocess
import threading
import uuid

from conftest import HCPD_BIN, ROOT, Hcpd, registration
from test_admin import admin_token, professional_token

CME = ("example-cme-sponsor", "cme_sponsorship")
ADS = ("example-advertiser", "advertising")


CME_MODULE = "example-cme-module"  # the sample activity whose sponsor CME[0] is


def register(h, email=None, enrolled=False, **consents):
    """A new account's id; enrolled: enrolled in the sample CME module,
    under which its sponsor may receive the module's fields."""
    body = registration(email or "led.%s@example.org" % uuid.uuid4().hex[:10])
    body["consents"] = dict({"licensure_verification": True}, **consents)
    r = h.api.register(body)
    assert r.status == 202
    if enrolled:
        enrol(h, body["email"], body["password"])
    return r.json["id"]


def enrol(h, email, password, activity=CME_MODULE):
    r = h.api.request("POST", "/v1/sessions", body={"email": email, "password": password})
    assert r.status == 200, r.body
    r = h.api.request("POST", "/v1/me/enrolments", body={"activity": activity},
                      headers={"Authorization": "Bearer " + r.json["access_token"]})
    assert r.status == 201, r.body
    return r.json


def export(h, token, recipient, purpose, fields, accounts, status=200):
    r = h.api.request("POST", "/v1/admin/disclosures",
                      body={"recipient": recipient, "purpose": purpose, "fields": fields,
                            "accounts": accounts},
                      headers={"Authorization": "Bearer " + token})
    assert r.status == status, r.body
    return r.json


def ledger_rows(pg, subject):
    out = pg.psql("SELECT coalesce(json_agg(json_build_object('id', id, 'recipient', recipient, "
                  "'fields', fields, 'purpose', purpose, 'terms_version', terms_version) "
                  "ORDER BY id), '[]') FROM disclosures WHERE subject = '%s'" % subject)
    return json.loads(out)


def refusals(pg, subject):
    out = pg.psql("SELECT coalesce(json_agg(json_build_object('actor', actor, 'reason', reason, "
                  "'details', details) ORDER BY id), '[]') FROM audit_log "
                  "WHERE action = 'disclosure.refused' AND target = '%s'" % subject)
    return json.loads(out)


def verify(h):
    return h.cli("ledger", "verify")


def test_export_sends_and_records_exactly_the_allowed_fields(hcpd, pg):
    token = admin_token(hcpd)
    fields = ["given_name", "family_name", "license_number"]
    ids = [register(hcpd, enrolled=True) for _ in range(3)]
    body = export(hcpd, token, *CME, fields, ids)
    assert body["refused"] == []
    assert [d["account"] for d in body["disclosed"]] == ids
    allowed = set(pg.psql("SELECT array_to_string(allowed_fields, ',') FROM recipient_terms "
                          "WHERE recipient = 'example-cme-sponsor'").split(","))
    for d in body["disclosed"]:
        assert d["values"] == {"given_name": "Ana", "family_name": "Ng",
                               "license_number": d["values"]["license_number"]}
        assert d["values"]["license_number"].startswith("A")
        rows = ledger_rows(pg, d["account"])
        assert len(rows) == 1 and rows[0]["id"] == d["disclosure_id"]
        # what was received is what the ledger says, within the terms
        assert sorted(d["values"]) == sorted(rows[0]["fields"])
        assert set(rows[0]["fields"]) <= allowed
        assert rows[0]["purpose"] == "cme_sponsorship" and rows[0]["terms_version"]
    # no value is kept in the ledger or the audit log
    dump = pg.psql("SELECT d::text FROM disclosures d") + pg.psql("SELECT a::text FROM audit_log a")
    assert "Ana" not in dump
    assert not any(d["values"]["license_number"] in dump for d in body["disclosed"])
    r = verify(hcpd)
    assert r.returncode == 0 and "intact" in r.stdout, r.stderr


def check_refused(h, pg, token, rule, recipient, purpose, fields, subject):
    """The export is refused by rule for subject: nothing disclosed, no
    ledger row, one audit row naming the rule (and no value)."""
    before = len(ledger_rows(pg, subject)), len(refusals(pg, subject))
    body = export(h, token, recipient, purpose, fields, [subject])
    assert body["disclosed"] == [], rule
    assert body["refused"] == [{"account": subject, "rule": rule}]
    assert len(ledger_rows(pg, subject)) == before[0], rule
    audits = refusals(pg, subject)
    assert len(audits) == before[1] + 1, rule
    assert audits[-1]["reason"] == rule and audits[-1]["details"]["recipient"] == recipient
    assert "Ana" not in json.dumps(audits[-1])


def test_every_gate_rule_refuses_sends_nothing_and_audits_once(hcpd, pg):
    token = admin_token(hcpd)
    # a board that checks licences (consent licensure_verification), and
    # terms that have ended
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) VALUES "
            "('test-board', 'authority', 'Test Board', 'US'), "
            "('test-expired', 'accreditor', 'Test Expired', 'US') ON CONFLICT DO NOTHING")
    pg.psql("INSERT INTO recipient_terms (recipient, version, purpose, allowed_fields, "
            "retention_days, onward_transfer, legal_basis, recipient_country, effective_from, "
            "effective_to) VALUES "
            "('test-board', '1', 'licensure_verification', '{npi,family_name}', 30, false, "
            "'consent', 'US', now() - interval '1 day', NULL), "
            "('test-expired', '1', 'cme_accreditation', '{given_name}', 30, false, "
            "'legal_obligation', 'US', now() - interval '2 days', now() - interval '1 day') "
            "ON CONFLICT DO NOTHING")
    everyone = register(hcpd, enrolled=True, advertiser_contact=True)
    # each passes first, so each refusal below is the rule's own doing
    assert export(hcpd, token, "test-board", "licensure_verification", ["npi"],
                  [everyone])["refused"] == []
    assert export(hcpd, token, *ADS, ["email"], [everyone])["refused"] == []
    assert export(hcpd, token, *CME, ["given_name"], [everyone])["refused"] == []

    check_refused(hcpd, pg, token, "unknown_recipient", "no-such-recipient", "x", ["npi"],
                  everyone)
    check_refused(hcpd, pg, token, "terms_not_in_force", "test-expired", "cme_accreditation",
                  ["given_name"], everyone)
    check_refused(hcpd, pg, token, "purpose", CME[0], "advertising", ["given_name"], everyone)
    check_refused(hcpd, pg, token, "field_not_allowed", *CME, ["given_name", "npi"], everyone)

    no_contact = register(hcpd)
    for contact in ("email", "phone"):
        check_refused(hcpd, pg, token, "advertiser_contact", *ADS, ["profession", contact],
                      no_contact)
    # issue 18: the advertiser's terms rest on consent, so without
    # advertiser_contact it gets nothing, not even profession or country
    for fields in (["profession"], ["country"], ["profession", "country"]):
        check_refused(hcpd, pg, token, "no_consent", *ADS, fields, no_contact)
    # not enrolled in an activity the CME sponsor sponsors: nothing
    check_refused(hcpd, pg, token, "not_enrolled", *CME, ["given_name"], no_contact)

    # consents withdrawn later: the latest row counts
    withdrawn = register(hcpd, enrolled=True)
    assert export(hcpd, token, "test-board", "licensure_verification", ["npi"],
                  [withdrawn])["refused"] == []
    pg.psql("INSERT INTO consents (account_id, purpose, granted, source, notice_version) "
            "VALUES ('%s', 'licensure_verification', false, 'self_service', 'x')" % withdrawn)
    pg.psql("UPDATE enrolments SET status = 'withdrawn', withdrawn_at = now() "
            "WHERE account_id = '%s'" % withdrawn)
    check_refused(hcpd, pg, token, "no_consent", "test-board", "licensure_verification", ["npi"],
                  withdrawn)
    check_refused(hcpd, pg, token, "not_enrolled", *CME, ["given_name"], withdrawn)
    # enrolled, but a field the activity does not list for the sponsor
    check_refused(hcpd, pg, token, "not_enrolled", *CME, ["given_name", "specialty"], everyone)

    restricted = register(hcpd, enrolled=True)
    pg.psql("UPDATE accounts SET processing_restricted = true WHERE id = '%s'" % restricted)
    check_refused(hcpd, pg, token, "restricted", *CME, ["given_name"], restricted)

    erased = register(hcpd, enrolled=True)
    pg.psql("UPDATE accounts SET data_key = NULL WHERE id = '%s'" % erased)
    check_refused(hcpd, pg, token, "erased", *CME, ["given_name"], erased)

    # one request, mixed: only the account that passes gets values
    body = export(hcpd, token, *CME, ["given_name"], [everyone, restricted, erased])
    assert [d["account"] for d in body["disclosed"]] == [everyone]
    assert body["refused"] == [{"account": restricted, "rule": "restricted"},
                               {"account": erased, "rule": "erased"}]
    assert verify(hcpd).returncode == 0


def test_export_request_is_checked(hcpd, pg):
    token = admin_token(hcpd)
    auth = {"Authorization": "Bearer " + token}
    acct = str(uuid.uuid4())
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) VALUES "
            "('test-verifier', 'verifier', 'Test Verifier', 'US') ON CONFLICT DO NOTHING")
    bad = [
        ({"recipient": "test-verifier", "purpose": "licensure_verification", "fields": ["npi"],
          "accounts": [acct]}, "recipient"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": ["shoe_size"], "accounts": [acct]},
         "fields"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": [], "accounts": [acct]}, "fields"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": ["npi", "npi"], "accounts": [acct]},
         "fields"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": ["npi"], "accounts": ["nope"]},
         "accounts"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": ["npi"],
          "accounts": [str(uuid.uuid4()) for _ in range(101)]}, "accounts"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": ["npi"], "accounts": [acct, acct]},
         "accounts"),
        ({"recipient": CME[0], "fields": ["npi"], "accounts": [acct]}, "purpose"),
        ({"recipient": CME[0], "purpose": CME[1], "fields": ["npi"], "accounts": [acct],
          "extra": 1}, "extra"),
    ]
    before = pg.psql("SELECT count(*) FROM disclosures"), pg.psql("SELECT count(*) FROM audit_log")
    for body, field in bad:
        r = hcpd.api.request("POST", "/v1/admin/disclosures", body=body, headers=auth)
        assert r.status == 422 and r.is_problem(), body
        assert field in [e["field"] for e in r.json["errors"]], (body, r.json)
    after = pg.psql("SELECT count(*) FROM disclosures"), pg.psql("SELECT count(*) FROM audit_log")
    assert before == after
    r = hcpd.api.request("POST", "/v1/admin/disclosures", body=bad[1][0])
    assert r.status == 401
    r = hcpd.api.request("POST", "/v1/admin/disclosures", body=bad[1][0],
                         headers={"Authorization": "Bearer " + professional_token(hcpd)})
    assert r.status == 403


def test_disclosures_refuse_update_and_delete(hcpd, pg):
    token = admin_token(hcpd)
    acct = register(hcpd, enrolled=True)
    row = export(hcpd, token, *CME, ["given_name"], [acct])["disclosed"][0]["disclosure_id"]
    for sql in ("UPDATE disclosures SET purpose = 'x' WHERE id = %d" % row,
                "DELETE FROM disclosures WHERE id = %d" % row,
                "TRUNCATE disclosures CASCADE"):
        r = subprocess.run(["psql", pg.url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "append-only" in r.stderr, sql
    assert pg.psql("SELECT purpose FROM disclosures WHERE id = %d" % row) == CME[1]


def tamper(pg, sql):
    """Runs sql on disclosures with its user triggers off, as a superuser could."""
    pg.psql("BEGIN; ALTER TABLE disclosures DISABLE TRIGGER USER; %s; "
            "ALTER TABLE disclosures ENABLE TRIGGER USER; COMMIT" % sql)


def test_ledger_verify_finds_edits_made_behind_the_triggers(stack):
    pg, h = stack()
    token = admin_token(h)
    accts = [register(h, enrolled=True) for _ in range(2)]
    for _ in range(3):
        export(h, token, *CME, ["given_name", "license_number"], accts)
    r = verify(h)
    assert r.returncode == 0 and "intact: 6 rows" in r.stdout, r.stdout + r.stderr

    # a field name dropped from row 4
    tamper(pg, "UPDATE disclosures SET fields = '{given_name}' WHERE id = 4")
    r = verify(h)
    assert r.returncode == 1 and "row 4" in r.stderr and "content" in r.stderr, r.stderr
    tamper(pg, "UPDATE disclosures SET fields = '{given_name,license_number}' WHERE id = 4")
    assert verify(h).returncode == 0

    # a row re-hashed after its edit: the next row's link gives it away
    tamper(pg, "UPDATE disclosures SET recipient = 'example-advertiser' WHERE id = 3")
    fixed = subprocess.run(
        ["/usr/bin/python3", os.path.join(ROOT, "tests", "perf", "ledger_fill.py"), "rehash",
         pg.url, "3"], capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    r = verify(h)
    assert r.returncode == 1 and "row 4" in r.stderr and "link" in r.stderr, r.stderr

    # a row removed
    tamper(pg, "DELETE FROM disclosures WHERE id = 2")
    r = verify(h)
    assert r.returncode == 1 and "row 3" in r.stderr and "gap" in r.stderr, r.stderr


def test_two_processes_appending_at_once_keep_one_chain(stack, tmp_path):
    pg, h = stack()
    other = Hcpd(pg, str(tmp_path)).start()  # the same keys, the same database
    try:
        token = admin_token(h)
        accts = [register(h, enrolled=True) for _ in range(4)]
        errors = []

        def run(server, n):
            for _ in range(n):
                try:
                    body = export(server, token, *CME, ["given_name"], accts)
                    assert len(body["disclosed"]) == 4
                except Exception as e:  # collected: asserts in threads are lost
                    errors.append(e)

        threads = [threading.Thread(target=run, args=(server, 15))
                   for server in (h, other, h, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert pg.psql("SELECT count(*), min(id), max(id) FROM disclosures") == "240|1|240"
        r = verify(h)
        assert r.returncode == 0 and "intact: 240 rows" in r.stdout, r.stdout + r.stderr
    finally:
        other.assert_clean_exit()


def test_recipients_file_is_checked_and_terms_versions_kept(stack, tmp_path):
    pg, h = stack()
    with open(os.path.join(ROOT, "services", "recipients.json")) as f:
        doc = json.load(f)
    path = str(tmp_path / "recipients.json")

    def serve_with(d):
        with open(path, "w") as f:
            json.dump(d, f)
        env = dict(h.env, HCPD_RECIPIENTS_FILE=path, HCPD_LISTEN="127.0.0.1:1")
        return subprocess.run([HCPD_BIN, "serve"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=30)

    bad = json.loads(json.dumps(doc))
    bad["recipients"][1]["terms"]["colour"] = "red"
    r = serve_with(bad)
    assert r.returncode == 2 and path in r.stderr and "colour" in r.stderr, r.stderr
    bad = json.loads(json.dumps(doc))
    bad["recipients"][0]["terms"]["allowed_fields"].append("shoe_size")
    r = serve_with(bad)
    assert r.returncode == 2 and "allowed_fields" in r.stderr, r.stderr

    # the stored version's content changed without a new version: refused
    changed = json.loads(json.dumps(doc))
    changed["recipients"][1]["terms"]["retention_days"] += 1
    r = serve_with(changed)
    assert r.returncode == 2 and "example-cme-sponsor" in r.stderr and "bump" in r.stderr, r.stderr
    # with a new version both are kept; the new one is in force from its date
    changed["recipients"][1]["terms"]["version"] = "2099-01-01"
    changed["recipients"][1]["terms"]["effective_from"] = "2099-01-01"
    pg_env = dict(h.env, HCPD_RECIPIENTS_FILE=path)
    with open(path, "w") as f:
        json.dump(changed, f)
    h.stop()
    h.env = pg_env
    h.start()
    assert pg.psql("SELECT string_agg(version, ',' ORDER BY version) FROM recipient_terms "
                   "WHERE recipient = 'example-cme-sponsor'") == "2026-12-01,2099-01-01"


def test_recipients_are_stored_once_the_database_is_migrated(stack):
    pg, h = stack(migrated=False)
    assert h.api.request("GET", "/readyz").status == 503
    assert h.cli("migrate").returncode == 0
    assert h.api.request("GET", "/readyz").status == 200
    # the recipients file's three and the remote verifiers us-nppes and
    # nl-big-register (fr-annuaire-sante is off without its API key)
    assert pg.psql("SELECT string_agg(name || ':' || kind, ',' ORDER BY name) "
                   "FROM recipients") == ("example-accreditor:accreditor,"
                                          "example-advertiser:advertiser,"
                                          "example-cme-sponsor:cme_sponsor,"
                                          "nl-big-register:verifier,us-nppes:verifier")


def login(h, email):
    r = h.api.request("POST", "/v1/sessions",
                      body={"email": email, "password": "a long passphrase 2024"})
    assert r.status == 200
    return {"Authorization": "Bearer " + r.json["access_token"]}


def get(h, path, auth, status=200):
    r = h.api.request("GET", path, headers=auth, template=path.split("?")[0])
    assert r.status == status, r.body
    return r


def test_me_disclosures_are_own_newest_first_and_paged(hcpd, pg):
    token = admin_token(hcpd)
    email = "acct.%s@example.org" % uuid.uuid4().hex[:8]
    mine = register(hcpd, email, enrolled=True, advertiser_contact=True)
    other = register(hcpd, enrolled=True)
    export(hcpd, token, *CME, ["given_name"], [mine, other])
    export(hcpd, token, *ADS, ["profession", "email"], [mine])
    export(hcpd, token, *CME, ["given_name", "family_name"], [mine, other])
    auth = login(hcpd, email)
    want = ledger_rows(pg, mine)[::-1]  # newest first
    assert len(want) == 3

    page = get(hcpd, "/v1/me/disclosures?limit=2", auth).json
    assert [i["id"] for i in page["items"]] == [w["id"] for w in want[:2]]
    assert page["next_cursor"]
    rest = get(hcpd, "/v1/me/disclosures?limit=2&cursor=" + page["next_cursor"], auth).json
    assert [i["id"] for i in rest["items"]] == [want[2]["id"]] and rest["next_cursor"] is None
    items = page["items"] + rest["items"]
    for item, row in zip(items, want):
        assert item["recipient"] == row["recipient"] and item["fields"] == row["fields"]
        assert item["purpose"] == row["purpose"]
        assert item["terms_version"] == row["terms_version"]
        assert "subject" not in item  # the caller knows who they are; admins see it
    assert items[1]["recipient"] == "example-advertiser"
    assert items[1]["fields"] == ["profession", "email"]
    assert items[1]["legal_basis"] == "consent" and items[1]["recipient_country"] == "US"
    everything = get(hcpd, "/v1/me/disclosures", auth).json
    assert [i["id"] for i in everything["items"]] == [w["id"] for w in want]
    for bad in ("limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=0", "cursor=",
                "format=xml"):
        r = get(hcpd, "/v1/me/disclosures?" + bad, auth, status=400)
        assert r.is_problem()
    get(hcpd, "/v1/me/disclosures", {}, status=401)


FHIR_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def check_audit_event(ev, subject):
    """The FHIR R4 AuditEvent rules that matter here: required elements and
    their types (type: Coding; recorded: instant; agent 1..* each with
    requestor; source.observer; entity with what/lifecycle/detail)."""
    assert ev["resourceType"] == "AuditEvent"
    assert set(ev["type"]) >= {"system", "code"} and ev["type"]["code"] == "110106"
    assert ev["subtype"][0]["code"] == "disclose"
    assert FHIR_INSTANT.match(ev["recorded"]), ev["recorded"]
    assert ev["action"] in ("C", "R", "U", "D", "E") and ev["outcome"] in ("0", "4", "8", "12")
    assert all(isinstance(a["requestor"], bool) and a["who"] for a in ev["agent"])
    sender = [a for a in ev["agent"] if a["requestor"]]
    dest = [a for a in ev["agent"] if a["type"]["coding"][0]["code"] == "110152"]
    assert sender[0]["who"]["identifier"]["value"] == "hcpd"
    assert len(dest) == 1 and not dest[0]["requestor"]
    assert ev["source"]["observer"]
    entity = ev["entity"][0]
    assert entity["what"]["identifier"] == {"system": "urn:hcpd:account", "value": subject}
    assert entity["lifecycle"]["code"] == "11"
    assert all(set(d) == {"type", "valueString"} for d in entity["detail"])
    return dest[0]["who"]["identifier"]["value"], \
        [d["valueString"] for d in entity["detail"] if d["type"] == "field"], \
        ev["purposeOfEvent"][0]["coding"][0]["code"]


def test_me_disclosures_as_a_fhir_bundle_of_audit_events(hcpd, pg):
    token = admin_token(hcpd)
    email = "fhir.%s@example.org" % uuid.uuid4().hex[:8]
    mine = register(hcpd, email, enrolled=True)
    for fields in (["given_name"], ["given_name", "license_number"], ["family_name"]):
        export(hcpd, token, *CME, fields, [mine])
    auth = login(hcpd, email)
    want = ledger_rows(pg, mine)[::-1]
    r = get(hcpd, "/v1/me/disclosures?format=fhir&limit=2", auth)
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = r.json
    assert bundle["resourceType"] == "Bundle" and bundle["type"] in ("searchset", "collection")
    seen = []
    while True:
        for entry in bundle["entry"]:
            seen.append(check_audit_event(entry["resource"], mine))
        nxt = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not nxt:
            break
        bundle = get(hcpd, nxt[0], auth).json
    assert seen == [(row["recipient"], row["fields"], row["purpose"]) for row in want]
    assert "Ana" not in json.dumps(bundle)


def test_admin_lists_disclosures_by_recipient(hcpd, pg):
    token = admin_token(hcpd)
    auth = {"Authorization": "Bearer " + token}
    a = register(hcpd, enrolled=True, advertiser_contact=True)
    export(hcpd, token, *ADS, ["profession"], [a])
    export(hcpd, token, *CME, ["given_name"], [a])
    page = get(hcpd, "/v1/admin/disclosures?recipient=example-advertiser&limit=100", auth).json
    assert page["items"] and all(i["recipient"] == "example-advertiser" for i in page["items"])
    assert page["items"][0]["subject"] == a and page["items"][0]["job_id"] is None
    ids = [i["id"] for i in page["items"]]
    assert ids == sorted(ids, reverse=True)
    page = get(hcpd, "/v1/admin/disclosures?subject=%s&limit=1" % a, auth).json
    assert len(page["items"]) == 1 and page["items"][0]["recipient"] == CME[0]
    page = get(hcpd, "/v1/admin/disclosures?subject=%s&limit=1&cursor=%s"
               % (a, page["next_cursor"]), auth).json
    assert [i["recipient"] for i in page["items"]] == [ADS[0]] and page["next_cursor"] is None
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'disclosure.list' "
                   "AND target = '%s'" % a) == "2"
    for bad in ("subject=nope", "limit=1000", "recipient="):
        get(hcpd, "/v1/admin/disclosures?" + bad, auth, status=400)
    pro = {"Authorization": "Bearer " + professional_token(hcpd)}
    get(hcpd, "/v1/admin/disclosures", pro, status=403)
