"""Privacy rights against the real server and database (SPEC section 8,
issue 7): consents with history, one-click unsubscribe and the marketing
send-time check, export with a FHIR R4 Practitioner that validates,
rectification, restriction, legal hold and erasure by crypto-shredding.

Restriction, withdrawn consents and erasure are shown to block outbound
flows through the ledger's gate (POST /v1/admin/disclosures), end to end
from the professional's own requests."""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import urllib.parse

import jsonschema
import pytest

from pipeline_helpers import jobs_settled
from privacy_helpers import (PASSWORD, Pro, bearer, canaries, derive, disclose,
                             insert_verification, master_hex, seal_for, valid_npi)
from conftest import Hcpd
from reviewkit import data_key, decide, item, login
from test_admin import admin_token
from test_ledger import CME, export
from test_pipeline import answer, pipeline, register
from test_pipeline import stub  # noqa: F401 (the stub registry fixture)

FHIR_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fhir",
                           "practitioner.schema.json")
FHIR_VR_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fhir",
                              "verificationresult.schema.json")


def history(pro):
    return pro.call("GET", "/v1/me/consents", expect=200).json["history"]


def audit(pg, target, action):
    return pg.psql("SELECT actor || '|' || coalesce(reason, '') || '|' || details::text "
                   "FROM audit_log WHERE target = '%s' AND action = '%s' ORDER BY id"
                   % (target, action)).splitlines()


# consents ------------------------------------------------------------------

def test_consents_current_state_and_history(api):
    pro = Pro(api)
    r = pro.call("GET", "/v1/me/consents", expect=200)
    assert r.json["consents"]["licensure_verification"] is True
    assert r.json["consents"]["marketing_email"] is False
    assert set(r.json["consents"]) >= {"marketing_sms", "marketing_phone", "marketing_fax",
                                       "advertiser_contact"}
    # retired by migration 0024: enrolling in an activity replaced it
    assert "cme_sponsor_sharing" not in r.json["consents"]
    registered = r.json["history"]
    assert registered and all(h["source"] == "registration" for h in registered)

    r = pro.call("PUT", "/v1/me/consents", {"marketing_email": True, "marketing_sms": False},
                 expect=200)
    # marketing_sms was already false: only the real change is recorded
    new = r.json["history"][len(registered):]
    assert [(h["purpose"], h["granted"], h["source"]) for h in new] == \
        [("marketing_email", True, "self_service")]
    assert new[0]["notice_version"] == r.json["notice_version"]
    assert r.json["consents"]["marketing_email"] is True

    pro.call("PUT", "/v1/me/consents", {"marketing_email": True}, expect=200)
    assert len(history(pro)) == len(registered) + 1  # a no-op adds nothing
    r = pro.call("PUT", "/v1/me/consents", {"marketing_email": False}, expect=200)
    assert [(h["purpose"], h["granted"]) for h in r.json["history"][-2:]] == \
        [("marketing_email", True), ("marketing_email", False)]
    assert r.json["consents"]["marketing_email"] is False


def test_withdrawing_licensure_verification_is_recorded(api, pg):
    pro = Pro(api)
    r = pro.call("PUT", "/v1/me/consents", {"licensure_verification": False}, expect=200)
    assert r.json["consents"]["licensure_verification"] is False
    # what the disclosure gate reads: the purpose's latest row
    assert pg.psql("SELECT granted FROM consents WHERE account_id = '%s' AND purpose = "
                   "'licensure_verification' ORDER BY id DESC LIMIT 1" % pro.id) == "f"
    r = pro.call("PUT", "/v1/me/consents", {"licensure_verification": True}, expect=200)
    assert r.json["consents"]["licensure_verification"] is True


def test_consent_history_is_append_only(api, pg):
    pro = Pro(api)
    pro.call("PUT", "/v1/me/consents", {"marketing_email": True}, expect=200)
    pro.call("PUT", "/v1/me/consents", {"marketing_email": False}, expect=200)  # the opt-out
    rows = pg.psql("SELECT id, purpose, granted, source, created_at FROM consents "
                   "WHERE account_id = '%s' ORDER BY id" % pro.id)
    where = "WHERE account_id = '%s'" % pro.id
    for sql in ("UPDATE consents SET granted = true " + where,
                "UPDATE consents SET source = 'admin' " + where + " AND NOT granted",
                "DELETE FROM consents " + where,
                "DELETE FROM consents " + where + " AND purpose = 'marketing_email'",
                "TRUNCATE consents",
                "TRUNCATE consents CASCADE"):
        with pytest.raises(subprocess.CalledProcessError) as e:
            pg.psql(sql)
        assert "consents is append-only" in e.value.stderr, sql
    assert pg.psql("SELECT id, purpose, granted, source, created_at FROM consents "
                   "WHERE account_id = '%s' ORDER BY id" % pro.id) == rows
    # appending is what hcpd does, and still works
    pro.call("PUT", "/v1/me/consents", {"marketing_email": True}, expect=200)
    assert history(pro)[-1]["granted"] is True


def test_bad_consent_changes_are_422(api):
    pro = Pro(api)
    before = len(history(pro))
    for body, field, code in (({"nope": True}, "consents.nope", "unknown_field"),
                              ({"marketing_email": "yes"}, "consents.marketing_email", "type"),
                              ({"marketing_sms": None}, "consents.marketing_sms", "type")):
        r = pro.call("PUT", "/v1/me/consents", body, expect=422)
        assert r.is_problem() and [(e["field"], e["code"]) for e in r.json["errors"]] == \
            [(field, code)]
    # a bad body changes nothing, even its valid parts
    pro.call("PUT", "/v1/me/consents", {"marketing_email": True, "nope": True}, expect=422)
    assert len(history(pro)) == before
    r = api.request("PUT", "/v1/me/consents", body={"marketing_email": True})
    assert r.status == 401


# one-click unsubscribe and the send-time check ----------------------------

def marketing(hcpd, *args):
    return hcpd.cli("marketing", *args)


def unsubscribe_path(hcpd, pro, channel):
    r = marketing(hcpd, "headers", pro.id, channel)
    assert r.returncode == 0, r.stderr
    m = re.fullmatch(r"List-Unsubscribe: <(http://127\.0\.0\.1:8080(/v1/unsubscribe/"
                     r"[A-Za-z0-9_-]{43}\?channel=%s))>\nList-Unsubscribe-Post: "
                     r"List-Unsubscribe=One-Click\n" % channel, r.stdout)
    assert m, r.stdout
    return m.group(2)


def one_click(api, path, ctype="application/x-www-form-urlencoded",
              raw=b"List-Unsubscribe=One-Click"):
    return api.request("POST", path, raw=raw, headers={"Content-Type": ctype},
                       template="/v1/unsubscribe/{token}")


def test_one_click_unsubscribe_records_an_opt_out(hcpd, api, pg):
    pro = Pro(api, consents={"marketing_email": True, "marketing_sms": True})
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 0
    path = unsubscribe_path(hcpd, pro, "marketing_email")
    # stable per account and channel
    assert unsubscribe_path(hcpd, pro, "marketing_email") == path
    token = path.split("/")[-1].split("?")[0]
    # stored only as its SHA-256
    assert pg.psql("SELECT count(*) FROM unsubscribe_tokens WHERE account_id = '%s'" % pro.id) == "1"
    assert token not in pg.dump()

    r = one_click(api, path)
    assert r.status == 204 and r.body == b""
    last = history(pro)[-1]
    assert (last["purpose"], last["granted"], last["source"]) == \
        ("marketing_email", False, "unsubscribe_link")
    r = marketing(hcpd, "check", pro.id, "marketing_email")
    assert r.returncode == 1 and json.loads(r.stdout) == {"allowed": False}
    n = len(history(pro))
    assert one_click(api, path).status == 204
    assert len(history(pro)) == n  # already out: nothing more recorded

    # multipart/form-data, as RFC 8058 prefers; another channel, its own link
    sms = unsubscribe_path(hcpd, pro, "marketing_sms")
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
            b"One-Click\r\n--XyZ--\r\n")
    assert one_click(api, sms, "multipart/form-data; boundary=XyZ", body).status == 204
    assert history(pro)[-1]["purpose"] == "marketing_sms"


def test_unsubscribe_tells_nothing_about_unknown_tokens(api, pg):
    before = pg.psql("SELECT count(*) FROM consents")
    for token in ("A" * 43, "short", "B" * 60):
        r = one_click(api, "/v1/unsubscribe/%s?channel=marketing_email" % token)
        assert r.status == 204 and r.body == b""
    assert pg.psql("SELECT count(*) FROM consents") == before
    bad = [("/v1/unsubscribe/%s?channel=marketing_email" % ("A" * 43),
            "application/x-www-form-urlencoded", b"List-Unsubscribe=Maybe"),
           ("/v1/unsubscribe/%s?channel=marketing_email" % ("A" * 43), "text/plain",
            b"List-Unsubscribe=One-Click"),
           ("/v1/unsubscribe/%s" % ("A" * 43), "application/x-www-form-urlencoded",
            b"List-Unsubscribe=One-Click"),
           ("/v1/unsubscribe/%s?channel=licensure_verification" % ("A" * 43),
            "application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click")]
    for path, ctype, raw in bad:
        r = one_click(api, path, ctype, raw)
        assert r.status == 400 and r.is_problem(), (path, ctype, raw)


def link_token(hcpd, message):
    """base64url(HMAC-SHA-256(link key, message)), the link key derived
    from the master key as services/vault.c derives it."""
    key = derive(master_hex(hcpd), "hcpd unsubscribe token v1")
    mac = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


OPTIONAL = {"marketing_email": True, "marketing_sms": True, "marketing_phone": True,
            "advertiser_contact": True}


def test_an_unsubscribe_link_withdraws_only_its_own_channel(hcpd, api):
    pro = Pro(api, consents=OPTIONAL)
    path = unsubscribe_path(hcpd, pro, "marketing_email")
    token = path.split("/")[-1].split("?")[0]
    # bound to the account and the channel
    assert token == link_token(hcpd, "unsubscribe:%s:marketing_email" % pro.id)
    sms = unsubscribe_path(hcpd, pro, "marketing_sms")
    assert sms.split("/")[-1].split("?")[0] != token
    before = history(pro)

    # the email link with another marketing channel: the same 204, nothing recorded
    for channel in ("marketing_sms", "marketing_phone"):
        r = one_click(api, "/v1/unsubscribe/%s?channel=%s" % (token, channel))
        assert r.status == 204 and r.body == b""
    # and no link reaches a purpose that is not a marketing channel
    for channel in ("advertiser_contact", "cme_sponsor_sharing", "licensure_verification"):
        r = one_click(api, "/v1/unsubscribe/%s?channel=%s" % (token, channel))
        assert r.status == 400 and r.is_problem(), channel
        assert marketing(hcpd, "headers", pro.id, channel).returncode == 2, channel
        assert marketing(hcpd, "check", pro.id, channel).returncode == 2, channel
    assert history(pro) == before
    assert all(pro.call("GET", "/v1/me/consents", expect=200).json["consents"][p]
               for p in OPTIONAL)

    # its own channel, and only that one
    assert one_click(api, path).status == 204
    now = pro.call("GET", "/v1/me/consents", expect=200).json
    assert [(h["purpose"], h["granted"], h["source"]) for h in now["history"][len(before):]] == \
        [("marketing_email", False, "unsubscribe_link")]
    assert {p for p, granted in now["consents"].items() if p in OPTIONAL and not granted} == \
        {"marketing_email"}


def test_links_from_before_channel_tokens_work_for_marketing_channels_only(hcpd, api, pg):
    pro = Pro(api, consents=OPTIONAL)
    # a link of the old kind: one token per account, its hash stored then
    old = link_token(hcpd, "unsubscribe:%s" % pro.id)
    pg.psql("INSERT INTO unsubscribe_tokens (token_hash, account_id) VALUES ('\\x%s', '%s')"
            % (hashlib.sha256(old.encode()).hexdigest(), pro.id))
    assert one_click(api, "/v1/unsubscribe/%s?channel=marketing_sms" % old).status == 204
    last = history(pro)[-1]
    assert (last["purpose"], last["granted"], last["source"]) == \
        ("marketing_sms", False, "unsubscribe_link")
    n = len(history(pro))
    r = one_click(api, "/v1/unsubscribe/%s?channel=advertiser_contact" % old)
    assert r.status == 400
    assert len(history(pro)) == n
    assert pro.call("GET", "/v1/me/consents", expect=200).json["consents"][
        "advertiser_contact"] is True


def test_marketing_check_says_no_without_consent_restricted_or_erased(hcpd, api):
    pro = Pro(api)
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 1
    pro.call("PUT", "/v1/me/consents", {"marketing_email": True}, expect=200)
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 0
    assert marketing(hcpd, "check", pro.id, "marketing_fax").returncode == 1
    pro.call("POST", "/v1/me/restriction", expect=200)
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 1
    pro.call("DELETE", "/v1/me/restriction", expect=200)
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 0
    pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 1
    r = marketing(hcpd, "check", pro.id, "licensure_verification")
    assert r.returncode == 2  # not a marketing channel
    assert marketing(hcpd, "check", "not-an-id", "marketing_email").returncode == 2


# restriction ---------------------------------------------------------------

def test_restriction_set_and_lifted_with_audit(api, pg):
    pro = Pro(api)
    r = pro.call("POST", "/v1/me/restriction", expect=200)
    assert r.json == {"processing_restricted": True, "changed": True}
    assert pro.call("POST", "/v1/me/restriction", expect=200).json["changed"] is False
    # what the disclosure gate reads
    assert pg.psql("SELECT processing_restricted FROM accounts WHERE id = '%s'" % pro.id) == "t"
    r = pro.call("DELETE", "/v1/me/restriction", expect=200)
    assert r.json == {"processing_restricted": False, "changed": True}
    assert pg.psql("SELECT processing_restricted FROM accounts WHERE id = '%s'" % pro.id) == "f"
    assert [a.split("|")[0] for a in audit(pg, pro.id, "restriction.set")] == [pro.id]
    assert [a.split("|")[0] for a in audit(pg, pro.id, "restriction.lifted")] == [pro.id]
    assert pro.call("GET", "/v1/me/export", expect=200).json["account"][
        "processing_restricted"] is False
    assert api.request("POST", "/v1/me/restriction").status == 401


# export --------------------------------------------------------------------

def test_export_holds_everything_and_a_valid_fhir_practitioner(hcpd, api, pg):
    c = canaries()
    pro = Pro(api, email=c["email"], enrolled=True,
              given_name=c["given_name"], middle_name=c["middle_name"],
              family_name=c["family_name"], npi=c["npi"], phone=c["phone"],
              license_number=c["license_number"], license_expiry="2027-06-30",
              postal_address="1 Main St, Springfield")
    pro.call("PUT", "/v1/me/consents", {"marketing_email": True}, expect=200)   # opt in
    pro.call("PUT", "/v1/me/consents", {"marketing_email": False}, expect=200)  # opt out
    evidence = {"family_name": c["family_name"].upper(), "npi": c["npi"]}
    insert_verification(pg, pro.id, "us-nppes", seal_for(hcpd, pg, pro.id, "evidence", evidence))
    admin = admin_token(hcpd)
    disclose(hcpd, admin, pro.id)
    # real review decisions, through the admin API: a question, the
    # professional's answer, then an approval with an internal note
    pg.psql("UPDATE accounts SET status = 'flagged', email_verified = true WHERE id = '%s'"
            % pro.id)
    question = "Which state issued licence %s?" % c["license_number"]
    r = decide(hcpd, admin, pro.id, "request_info", question,
               item(hcpd, admin, pro.id).headers["etag"])
    assert r.status == 200, r.body
    said = "California, since 2019; my middle name is %s." % c["middle_name"]
    pro.call("POST", "/v1/me/review-response", {"message": said}, expect=204)
    r = decide(hcpd, admin, pro.id, "approve", "licence confirmed by phone; internal note #in4471#",
               item(hcpd, admin, pro.id).headers["etag"])
    assert r.status == 200, r.body

    r = pro.call("GET", "/v1/me/export", expect=200)
    assert r.headers["content-disposition"] == 'attachment; filename="hcpd-export.json"'
    doc = r.json
    assert doc["account"]["id"] == pro.id and doc["account"]["email"] == c["email"]
    assert doc["account"]["status"] == "approved"
    assert doc["profile"]["family_name"] == c["family_name"]
    assert doc["profile"]["license_number"] == c["license_number"]
    # the consent history: registration, then opt-in, then opt-out
    marketing_rows = [(h["granted"], h["source"]) for h in doc["consent_history"]
                      if h["purpose"] == "marketing_email"]
    assert marketing_rows == [(False, "registration"), (True, "self_service"),
                              (False, "self_service")]
    assert doc["consents"]["marketing_email"] is False
    [v] = doc["verifications"]
    assert v["verifier"] == "us-nppes" and v["outcome"] == "verified"
    assert v["evidence"] == evidence and v["reply_sha256"] == "ab" * 32
    assert v["checks"] == {"family_name": "match"}
    [d] = doc["disclosures"]
    assert d["recipient"] == CME[0] and d["fields"] == ["given_name"]
    assert d["purpose"] == CME[1] and d["recipient_country"] == "US"
    assert d["terms_version"] and d["legal_basis"] == "consent" and d["disclosed_at"]
    # decisions from review_decisions: what was decided, from and to which
    # status, when; the question asked, never the internal reason
    asked, approved = doc["decisions"]
    assert (asked["decision"], asked["from_status"], asked["to_status"]) == \
        ("request_info", "flagged", "flagged")
    assert asked["question"] == question and asked["decided_at"]
    assert (approved["decision"], approved["from_status"], approved["to_status"]) == \
        ("approve", "flagged", "approved")
    assert approved["question"] is None and approved["decided_at"]
    assert "#in4471#" not in r.body.decode() and "admin_id" not in approved
    # the professional's own answer, opened with their data key
    [reply] = doc["review_responses"]
    assert reply["message"] == said and reply["decision_id"] == asked["id"]
    assert reply["received_at"]

    fhir = doc["fhir_practitioner"]
    with open(FHIR_SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft6Validator.check_schema(schema)
    jsonschema.Draft6Validator(schema).validate(fhir)
    assert "contained" not in fhir  # the vendored schema does not check it
    assert fhir["resourceType"] == "Practitioner" and fhir["id"] == pro.id
    assert {"system": "http://hl7.org/fhir/sid/us-npi", "value": c["npi"]}.items() <= \
        fhir["identifier"][0].items()
    assert fhir["name"] == [{"use": "official", "family": c["family_name"],
                             "given": [c["given_name"], c["middle_name"]]}]
    assert {(t["system"], t["value"]) for t in fhir["telecom"]} == \
        {("email", c["email"]), ("phone", c["phone"])}
    npi_q, licence = fhir["qualification"]
    assert npi_q["identifier"] == [{"system": "http://hl7.org/fhir/sid/us-npi",
                                    "value": c["npi"]}]
    assert licence["identifier"] == [{"value": c["license_number"]}]
    assert licence["issuer"] == {"display": "US-CA"}
    assert licence["period"] == {"end": "2027-06-30"}
    assert licence["code"]["coding"][0]["code"] == "physician"
    # a document the schema refuses really is refused
    broken = dict(fhir, qualification=[{"identifier": [{"value": "x"}]}])  # no code
    try:
        jsonschema.Draft6Validator(schema).validate(broken)
        raise AssertionError("a qualification without code validated")
    except jsonschema.ValidationError:
        pass

    # each verification as a FHIR R4 VerificationResult (issue 22 item 6)
    with open(FHIR_VR_SCHEMA) as f:
        vr_schema = json.load(f)
    jsonschema.Draft6Validator.check_schema(vr_schema)
    [vr] = doc["fhir_verification_results"]
    jsonschema.Draft6Validator(vr_schema).validate(vr)
    assert "contained" not in vr
    assert vr["target"] == [{"reference": "Practitioner/" + pro.id}]
    assert vr["status"] == "validated"
    assert vr["validationType"]["coding"][0]["code"] == "primary"
    assert vr["lastPerformed"] == doc["verifications"][0]["checked_at"]
    assert vr["primarySource"][0]["who"]["identifier"]["value"] == "us-nppes"
    assert len(vr["nextScheduled"]) == 10  # HCPD_REVERIFY_DAYS after the check
    for value in (c["family_name"], c["npi"], c["email"]):
        assert value not in json.dumps(vr)
    try:
        jsonschema.Draft6Validator(vr_schema).validate(dict(vr, lastPerformed="yesterday"))
        raise AssertionError("a VerificationResult with a bad dateTime validated")
    except jsonschema.ValidationError:
        pass


def test_export_is_only_ever_the_caller(api):
    assert api.request("GET", "/v1/me/export").status == 401
    a, b = Pro(api), Pro(api)
    assert a.call("GET", "/v1/me/export", expect=200).json["account"]["id"] == a.id
    assert b.call("GET", "/v1/me/export", expect=200).json["account"]["id"] == b.id


# rectification -------------------------------------------------------------

def test_rectification_of_a_name_reverifies(api, pg):
    pro = Pro(api, middle_name="Jo")
    pg.psql("UPDATE accounts SET status = 'verified' WHERE id = '%s'" % pro.id)

    # a field no verifier looks at: stored, status kept
    r = pro.call("PATCH", "/v1/me", {"profile": {"specialty": "oncology"}}, expect=200)
    assert r.json["status"] == "verified" and r.json["changed"] == ["specialty"]
    assert r.json["profile"]["specialty"] == "oncology"
    [row] = audit(pg, pro.id, "account.rectified")
    assert json.loads(row.split("|", 2)[2]) == {"fields": ["specialty"], "reverify": False}

    # a name: stored, sealed, and back to pending_verification
    r = pro.call("PATCH", "/v1/me", {"profile": {"family_name": "Ngata", "middle_name": None}},
                 expect=200)
    assert r.json["status"] == "pending_verification"
    assert sorted(r.json["changed"]) == ["family_name", "middle_name"]
    me = pro.call("GET", "/v1/me", expect=200).json
    assert me["profile"]["family_name"] == "Ngata" and "middle_name" not in me["profile"]
    assert me["profile"]["specialty"] == "oncology" and me["status"] == "pending_verification"
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % pro.id) == \
        "pending_verification"
    assert json.loads(audit(pg, pro.id, "account.rectified")[-1].split("|", 2)[2])["reverify"]
    assert "Ngata" not in pg.dump()

    # the same values again: nothing changes, nothing is recorded
    r = pro.call("PATCH", "/v1/me", {"profile": {"family_name": "Ngata"}}, expect=200)
    assert r.json["changed"] == []
    assert len(audit(pg, pro.id, "account.rectified")) == 2


def test_rectification_is_validated_like_registration(api):
    pro = Pro(api)
    cases = [({"profile": {"nope": "x"}}, [("profile.nope", "unknown_field")]),
             ({"profile": {"given_name": None}}, [("profile.given_name", "required")]),
             ({"profile": {"npi": ""}}, [("profile.npi", "required")]),  # required in the US
             ({"profile": {"npi": "1234567890"}}, [("profile.npi", "invalid")]),
             ({"profile": {"country": "NZ"}}, []),  # valid: npi is optional outside the US
             ({"profile": {"phone": 5}}, [("profile.phone", "type")]),
             ({"email": "x@example.org", "profile": {}}, [("email", "unknown_field")]),
             ({"profile": "x"}, [("profile", "type")]),
             ({}, [("profile", "required")])]
    for body, errors in cases:
        r = pro.call("PATCH", "/v1/me", body)
        if not errors:
            assert r.status == 200, r.body
            continue
        assert r.status == 422 and r.is_problem(), (body, r.body)
        assert [(e["field"], e["code"]) for e in r.json["errors"]] == errors, body
    assert pro.call("GET", "/v1/me", expect=200).json["profile"]["country"] == "NZ"
    assert api.request("PATCH", "/v1/me", body={"profile": {}}).status == 401


# legal hold ----------------------------------------------------------------

def test_legal_hold_routes_are_for_admins_and_audited(hcpd, api, pg):
    pro = Pro(api)
    path = "/v1/admin/accounts/%s/legal-hold" % pro.id
    tmpl = "/v1/admin/accounts/{id}/legal-hold"
    r = api.request("POST", path, body={"reason": "x"}, template=tmpl)
    assert r.status == 401
    r = api.request("POST", path, body={"reason": "x"}, headers=bearer(pro.access),
                    template=tmpl)
    assert r.status == 403
    admin = bearer(admin_token(hcpd))
    for bad in ({"reason": ""}, {"reason": "a\nb"}, {"reason": "x" * 501}, {}, {"why": "x"}):
        r = api.request("POST", path, body=bad, headers=admin, template=tmpl)
        assert r.status == 422 and r.is_problem(), bad
    for other in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        r = api.request("POST", "/v1/admin/accounts/%s/legal-hold" % other,
                        body={"reason": "case 12"}, headers=admin, template=tmpl)
        assert r.status == 404 and r.is_problem()
    r = api.request("POST", path, body={"reason": "litigation case 2026-17"}, headers=admin,
                    template=tmpl)
    assert r.status == 200 and r.json == {"id": pro.id, "legal_hold": True}
    [row] = audit(pg, pro.id, "legal_hold.set")
    assert row.split("|")[1] == ""  # sealed: the log shows it to admins only
    r = api.request("GET", "/v1/admin/audit?action=legal_hold.set&target=" + pro.id,
                    headers=admin, template="/v1/admin/audit")
    assert [e["reason"] for e in r.json["items"]] == ["litigation case 2026-17"]
    r = api.request("DELETE", path, headers=admin, template=tmpl)
    assert r.status == 200 and r.json == {"id": pro.id, "legal_hold": False}
    r = api.request("DELETE", path, headers=admin, template=tmpl)
    assert r.status == 200
    assert len(audit(pg, pro.id, "legal_hold.lifted")) == 1  # lifting nothing records nothing


# erasure -------------------------------------------------------------------

def personal_traces(dump, values):
    """Which values appear in a dump, in clear or hex-encoded (bytea)."""
    found = []
    for name, value in values.items():
        for form in (value, value.lower(), value.encode().hex()):
            if form in dump:
                found.append(name)
                break
    return found


def test_erasure_crypto_shreds_and_keeps_only_pseudonymous_rows(hcpd, api, pg):
    c = canaries()
    pro = Pro(api, email=c["email"], enrolled=True,
              given_name=c["given_name"], middle_name=c["middle_name"],
              family_name=c["family_name"], npi=c["npi"], phone=c["phone"],
              license_number=c["license_number"], specialty="nephrology")
    pro.call("PUT", "/v1/me/consents", {"marketing_email": True}, expect=200)
    evidence = seal_for(hcpd, pg, pro.id, "evidence", {"npi": c["npi"]})
    insert_verification(pg, pro.id, "us-nppes", evidence)
    admin = bearer(admin_token(hcpd))
    disclose(hcpd, admin["Authorization"][7:], pro.id)
    marketing_headers = hcpd.cli("marketing", "headers", pro.id, "marketing_email")
    assert marketing_headers.returncode == 0
    old_access, old_refresh = pro.access, pro.refresh
    second_access, _ = pro.login()
    bidx = pg.psql("SELECT encode(email_bidx, 'hex') FROM accounts WHERE id = '%s'" % pro.id)

    before = pg.dump()
    assert personal_traces(before, c) == []
    assert bidx in before and evidence in before
    ledger = pg.psql("SELECT count(*) FROM disclosures")
    consent_rows = pg.psql("SELECT count(*) FROM consents WHERE account_id = '%s'" % pro.id)

    # the password is the proof of identity
    r = pro.call("DELETE", "/v1/me", {"password": "not the password at all 123"}, expect=422)
    assert [(e["field"], e["code"]) for e in r.json["errors"]] == [("password", "incorrect")]
    pro.call("DELETE", "/v1/me", {}, expect=422)

    # a legal hold defers it, and the professional is told why, not the admin's note
    hold = "/v1/admin/accounts/%s/legal-hold" % pro.id
    tmpl = "/v1/admin/accounts/{id}/legal-hold"
    assert api.request("POST", hold, body={"reason": "subpoena #sp4471#"}, headers=admin,
                       template=tmpl).status == 200
    r = pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=409)
    assert r.is_problem() and r.json["type"] == "urn:hcpd:problem:legal-hold"
    assert "legal hold" in r.json["detail"] and "#sp4471#" not in r.json["detail"]
    assert pg.psql("SELECT data_key IS NOT NULL FROM accounts WHERE id = '%s'" % pro.id) == "t"
    assert data_key(hcpd, pg, pro.id) is not None  # the keystore's secret stays too
    assert api.request("DELETE", hold, headers=admin, template=tmpl).status == 200

    r = pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert r.body == b""

    after = pg.dump()
    assert personal_traces(after, c) == []
    assert bidx not in after and evidence not in after
    row = pg.psql("SELECT data_key IS NULL, email_enc IS NULL, profile_enc IS NULL, "
                  "email_bidx IS NULL, password_hash = '', erased_at IS NOT NULL, "
                  "profile_public::text FROM accounts WHERE id = '%s'" % pro.id).split("|")
    assert row[:6] == ["t"] * 6
    assert json.loads(row[6]) == {"country": "US", "profession": "physician"}
    assert pg.psql("SELECT count(*) FROM sessions WHERE account_id = '%s' AND "
                   "(revoked_reason IS DISTINCT FROM 'erasure')" % pro.id) == "0"
    assert pg.psql("SELECT count(*) FROM refresh_tokens rt JOIN sessions s ON s.id = "
                   "rt.session_id WHERE s.account_id = '%s'" % pro.id) == "0"
    assert pg.psql("SELECT count(*) FROM unsubscribe_tokens WHERE account_id = '%s'"
                   % pro.id) == "0"
    # pseudonymous records stay: the ledger, consent history, the audit log
    assert pg.psql("SELECT count(*) FROM disclosures") == ledger
    assert pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % pro.id) == "1"
    assert pg.psql("SELECT count(*) FROM consents WHERE account_id = '%s'" % pro.id) == \
        consent_rows
    assert [a.split("|")[0] for a in audit(pg, pro.id, "account.erased")] == [pro.id]
    assert hcpd.cli("ledger", "verify").returncode == 0  # the chain is whole

    # sign-in and every old token fail
    pro.login(expect=401)
    for token in (old_access, second_access):
        r = api.request("GET", "/v1/me", headers=bearer(token))
        assert r.status == 401
    r = api.request("POST", "/v1/sessions/refresh", body={"refresh_token": old_refresh})
    assert r.status == 401
    # the unsubscribe link now leads nowhere, with the same reply
    path = re.search(r"<http://[^/]+(/[^>]+)>", marketing_headers.stdout).group(1)
    r = api.request("POST", path, raw=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    template="/v1/unsubscribe/{token}")
    assert r.status == 204
    # the address is free again: a new registration is a new account
    again = Pro(api, email=c["email"])
    assert again.id != pro.id
    assert again.call("GET", "/v1/me", expect=200).json["email"] == c["email"]


def test_erasure_reaches_a_dump_taken_before_it(hcpd, api, pg, tmp_path):
    """The backup half of crypto-shredding: a pg_dump taken before the
    erasure, restored and served with the same master key and the live
    keystore, no longer opens the erased account, while the accounts it
    holds that were not erased still open (the backup stays a backup)."""
    c = canaries()
    gone = Pro(api, email=c["email"], given_name=c["given_name"],
               family_name=c["family_name"], npi=c["npi"], phone=c["phone"])
    kept = Pro(api)
    assert data_key(hcpd, pg, gone.id) is not None
    before = pg.dump()
    assert personal_traces(before, c) == []  # sealed, yet it holds the sealed key
    gone.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)

    def secrets(pro):
        return pg.psql("SELECT count(*) FROM account_keys WHERE account_id = '%s'" % pro.id,
                       url=pg.keys_url)

    # the secret left the keystore, which no dump of the main database holds
    assert (secrets(gone), secrets(kept)) == ("0", "1")
    assert "account_keys" not in before

    pg.psql("CREATE DATABASE restored")
    url = pg.url.replace("dbname=hcpd", "dbname=restored")
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=before,
                   check=True, capture_output=True, text=True)
    # the dump still holds the erased account's sealed key and values
    assert pg.psql("SELECT data_key IS NOT NULL AND email_enc IS NOT NULL FROM accounts "
                   "WHERE id = '%s'" % gone.id, url=url) == "t"
    old = Hcpd(pg, str(tmp_path), {
        "HCPD_DATABASE_URL": url,
        "HCPD_MASTER_KEY_FILE": hcpd.env["HCPD_MASTER_KEY_FILE"],
        "HCPD_JWT_KEY_FILE": hcpd.env["HCPD_JWT_KEY_FILE"]}).start()
    try:
        # with the master key and the keystore, nothing opens it any more
        assert data_key(old, pg, gone.id) is None
        assert data_key(old, pg, kept.id) is not None
        r = old.api.request("POST", "/v1/sessions",
                            body={"email": gone.email, "password": PASSWORD})
        assert r.status == 401 and r.is_problem()
        # an access token from before the erasure meets nothing to open
        r = old.api.request("GET", "/v1/me", headers=bearer(gone.access))
        assert r.status == 404 and r.is_problem()
        assert not any(v in r.body.decode() for v in c.values())
        r = old.api.request("POST", "/v1/sessions",
                            body={"email": kept.email, "password": PASSWORD})
        assert r.status == 200, r.body
        r = old.api.request("GET", "/v1/me", headers=bearer(r.json["access_token"]))
        assert r.status == 200 and r.json["email"] == kept.email
    finally:
        old.assert_clean_exit()
        pg.psql("DROP DATABASE restored")


def lock_out(api, pg, pro):
    """Locks this client out of pro's email in the sign-in throttle (its
    row exists once it has failed once: the key is an HMAC of its address)."""
    api.request("POST", "/v1/sessions", body={"email": pro.email, "password": "wrong " * 4})
    bidx = pg.psql("SELECT encode(email_bidx, 'hex') FROM accounts WHERE id = '%s'" % pro.id)
    pg.psql("UPDATE login_throttle SET failures = 10, locked_until = now() + interval '1 minute' "
            "WHERE email_bidx = '\\x%s' AND client <> ''" % bidx)
    return bidx


def test_erasure_throttles_wrong_passwords(api, pg):
    pro = Pro(api)
    bidx = lock_out(api, pg, pro)
    r = pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=429)
    assert int(r.headers["retry-after"]) >= 1
    pg.psql("DELETE FROM login_throttle WHERE email_bidx = '\\x%s'" % bidx)
    pro.call("DELETE", "/v1/me", {"password": "wrong wrong wrong wrong"}, expect=422)
    assert pg.psql("SELECT failures FROM login_throttle WHERE email_bidx = '\\x%s' "
                   "AND client <> ''" % bidx) == "1"
    pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)


def test_every_password_check_gives_the_same_throttled_reply(api, pg):
    """Sign-in, password change and erasure share one throttle: locked,
    each answers the same 429 problem with Retry-After."""
    pro = Pro(api)
    lock_out(api, pg, pro)
    replies = [
        api.request("POST", "/v1/sessions", body={"email": pro.email, "password": PASSWORD},
                    check=True),
        pro.call("PATCH", "/v1/me/password",
                 {"current_password": PASSWORD, "new_password": "another long passphrase 2025"},
                 expect=429),
        pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=429),
    ]
    assert [r.status for r in replies] == [429] * 3
    for r in replies:
        assert r.is_problem() and int(r.headers["retry-after"]) >= 1
    assert len({(r.json["type"], r.json["title"], r.json["detail"]) for r in replies}) == 1
    assert replies[0].json["type"] == "urn:hcpd:problem:too-many-attempts"


# the gate: what the professional asks for stops outbound flows -------------

def test_restriction_withdrawal_and_erasure_block_flows_through_the_gate(hcpd, api, pg):
    token = admin_token(hcpd)
    pg.psql("INSERT INTO recipients (name, kind, display_name, country) VALUES "
            "('test-board', 'authority', 'Test Board', 'US') ON CONFLICT DO NOTHING")
    pg.psql("INSERT INTO recipient_terms (recipient, version, purpose, allowed_fields, "
            "retention_days, onward_transfer, legal_basis, recipient_country, effective_from) "
            "VALUES ('test-board', '1', 'licensure_verification', '{npi,family_name}', 30, "
            "false, 'consent', 'US', now() - interval '1 day') ON CONFLICT DO NOTHING")
    board = ("test-board", "licensure_verification", ["npi"])
    pro = Pro(api, enrolled=True)

    def refused(recipient, purpose, fields):
        body = export(hcpd, token, recipient, purpose, fields, [pro.id])
        return body["refused"][0]["rule"] if body["refused"] else None

    assert refused(*CME, ["given_name"]) is None and refused(*board) is None
    ledger = pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % pro.id)
    assert ledger == "2"
    # what the professional sees: the two disclosures, in the export
    doc = pro.call("GET", "/v1/me/export", expect=200).json
    assert [(d["recipient"], d["fields"]) for d in doc["disclosures"]] == \
        [(CME[0], ["given_name"]), ("test-board", ["npi"])]

    pro.call("POST", "/v1/me/restriction", expect=200)
    assert refused(*CME, ["given_name"]) == "restricted"
    assert refused(*board) == "restricted"
    pro.call("DELETE", "/v1/me/restriction", expect=200)
    assert refused(*CME, ["given_name"]) is None

    # the enrolment withdrawn: the CME sponsor gets nothing more
    enrolment = pro.call("GET", "/v1/me/enrolments", expect=200).json["items"][0]["id"]
    pro.call("DELETE", "/v1/me/enrolments/%s" % enrolment, expect=204,
             template="/v1/me/enrolments/{id}")
    assert refused(*CME, ["given_name"]) == "not_enrolled"
    pro.call("PUT", "/v1/me/consents", {"licensure_verification": False}, expect=200)
    assert refused(*board) == "no_consent"
    pro.call("PUT", "/v1/me/consents", {"licensure_verification": True}, expect=200)
    assert refused(*board) is None

    disclosed = pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % pro.id)
    pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert refused(*board) == "erased"
    # refusals are audited, never recorded as disclosures
    assert pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % pro.id) == disclosed
    rules = pg.psql("SELECT reason FROM audit_log WHERE target = '%s' AND action = "
                    "'disclosure.refused' ORDER BY id" % pro.id).splitlines()
    assert rules == ["restricted", "restricted", "not_enrolled", "no_consent", "erased"]


def test_withdrawn_consent_stops_a_real_verification_job(stack, stub, tmp_path):  # noqa: F811
    """Through the real runner and a stub registry: the job waits (runner
    off), the professional withdraws licensure_verification, then the
    runner starts and the gate refuses before anything is sent."""
    pg, h = pipeline(stack, stub, tmp_path, concurrency=0)  # jobs wait
    npi = valid_npi()
    answer(stub, npi)
    account, email, _ = register(h, npi=npi)
    r = h.api.request("PUT", "/v1/me/consents", body={"licensure_verification": False},
                      headers=bearer(login(h, email)))
    assert r.status == 200 and r.json["consents"]["licensure_verification"] is False, r.body
    assert pg.psql("SELECT state FROM verification_jobs WHERE account_id = '%s'"
                   % account) == "queued"
    h.stop()
    h.env["HCPD_VERIFY_CONCURRENCY"] = "8"
    h.start()
    jobs_settled(pg, account)
    assert stub.count() == 0  # nothing reached the registry
    assert pg.psql("SELECT state || ':' || last_error FROM verification_jobs "
                   "WHERE account_id = '%s'" % account) == "cancelled:refused:no_consent"
    assert pg.psql("SELECT count(*) FROM disclosures WHERE subject = '%s'" % account) == "0"
    assert pg.psql("SELECT actor || ':' || reason FROM audit_log WHERE action = "
                   "'disclosure.refused' AND target = '%s'" % account) == "system:no_consent"
    assert pg.psql("SELECT count(*) FROM verifications WHERE account_id = '%s'" % account) == "0"
