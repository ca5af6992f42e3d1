"""The marketing sender's API (issue 25 item 3): a service client of role
marketing_sender asks POST /v1/marketing/audience for a channel and gets
only the addresses that may receive it now (consent on that channel, not
restricted, not erased, address confirmed), each with the
List-Unsubscribe / List-Unsubscribe-Post values it must carry; each
release is a ledger disclosure under the processor's terms; nothing is
released without HCPD_SENDER_POSTAL_ADDRESS, nor to a suspended sender."""

import hashlib
import hmac
import json
import os

from conftest import ROOT
from privacy_helpers import PASSWORD, Pro, bearer
from test_admin import admin_token
from test_privacy import one_click, unsubscribe_path

POSTAL = "Example Health Media, 1 Main Street, Springfield, US"
PROCESSOR = {
    "name": "mail-processor", "kind": "processor",
    "display_name": "Example Mail Processor (sample)", "country": "US",
    "terms": {"version": "2026-12-07", "purpose": "marketing_email",
              "allowed_fields": ["email"], "retention_days": 30, "onward_transfer": False,
              "legal_basis": "consent", "recipient_country": "US",
              "effective_from": "2026-01-01", "effective_to": None}}


def recipients_file(tmp_path):
    with open(os.path.join(ROOT, "services", "recipients.json")) as f:
        doc = json.load(f)
    doc["recipients"].append(PROCESSOR)
    path = os.path.join(str(tmp_path), "recipients.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def sender(h, role="marketing_sender", name="mail-processor"):
    r = h.cli("client", "create", "--name", name, "--role", role)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["key"]


def audience(h, key, **body):
    return h.api.request("POST", "/v1/marketing/audience", body=dict({"channel":
                                                                      "marketing_email"}, **body),
                         headers=bearer(key))


def confirmed(pg, pro):
    pg.psql("UPDATE accounts SET email_verified = true WHERE id = '%s'" % pro.id)
    return pro


def test_the_audience_holds_only_who_may_receive_now(stack, tmp_path):
    pg, h = stack({"HCPD_RECIPIENTS_FILE": recipients_file(tmp_path),
                   "HCPD_SENDER_POSTAL_ADDRESS": POSTAL})
    key = sender(h)
    yes = [confirmed(pg, Pro(h.api, consents={"marketing_email": True})) for _ in range(2)]
    never = confirmed(pg, Pro(h.api, consents={"marketing_email": False}))
    unconfirmed = Pro(h.api, consents={"marketing_email": True})
    sms_only = confirmed(pg, Pro(h.api, consents={"marketing_sms": True}))
    restricted, erased, opted_out = (confirmed(pg, Pro(h.api, consents={"marketing_email": True}))
                                     for _ in range(3))
    restricted.call("POST", "/v1/me/restriction", expect=200)
    erased.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert one_click(h.api, unsubscribe_path(h, opted_out, "marketing_email")).status == 204

    r = audience(h, key)
    assert r.status == 200, r.body
    assert r.json["postal_address"] == POSTAL and r.json["next_cursor"] is None
    got = {i["email"]: i for i in r.json["items"]}
    assert sorted(got) == sorted(p.email for p in yes)
    for pro in yes:
        item = got[pro.email]
        assert item["list_unsubscribe"] == "<http://127.0.0.1:8080%s>" % unsubscribe_path(
            h, pro, "marketing_email")
        assert item["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
        # the release is a disclosure of email to the processor under its terms
        assert pg.psql("SELECT recipient || ' ' || array_to_string(fields, ',') || ' ' || "
                       "purpose || ' ' || terms_version FROM disclosures WHERE id = %d"
                       % item["disclosure_id"]) == \
            "mail-processor email marketing_email 2026-12-07"
    assert pg.psql("SELECT count(*) FROM disclosures WHERE subject IN ('%s')" % "','".join(
        p.id for p in (never, unconfirmed, sms_only, restricted, erased, opted_out))) == "0"

    # a page at a time
    first = audience(h, key, limit=1).json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = audience(h, key, limit=1, cursor=first["next_cursor"]).json
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert {first["items"][0]["email"], second["items"][0]["email"]} == set(got)

    # the kill-switch stops the releases at once
    assert h.cli("recipient", "suspend", "mail-processor", "--reason", "test").returncode == 0
    assert audience(h, key).json["items"] == []
    # bad input, and a client of another role
    for body in ({"channel": "cme_sponsor_sharing"}, {"channel": "marketing_email", "limit": 0},
                 {"channel": "marketing_email", "cursor": "x"}):
        r = h.api.request("POST", "/v1/marketing/audience", body=body, headers=bearer(key))
        assert r.status in (400, 422) and r.is_problem(), body
    assert audience(h, sender(h, "activity_system", "cme-platform")).status == 403
    assert audience(h, admin_token(h)).status == 403


def test_no_release_without_a_postal_address(stack, tmp_path):
    pg, h = stack({"HCPD_RECIPIENTS_FILE": recipients_file(tmp_path)})
    key = sender(h)
    confirmed(pg, Pro(h.api, consents={"marketing_email": True}))
    r = audience(h, key)
    assert r.status == 409 and r.is_problem()
    assert pg.psql("SELECT count(*) FROM disclosures") == "0"


def test_the_suppression_list_is_keyed_hashes_of_the_opted_out(stack, tmp_path):
    pg, h = stack({"HCPD_RECIPIENTS_FILE": recipients_file(tmp_path)})
    key = sender(h)
    declined = Pro(h.api, email="Declined.%s@Example.org" % os.urandom(4).hex(),
                   consents={"marketing_email": False})
    unsubscribed = Pro(h.api, consents={"marketing_email": True})
    assert one_click(h.api, unsubscribe_path(h, unsubscribed, "marketing_email")).status == 204
    still_in = Pro(h.api, consents={"marketing_email": True})
    sms_only = Pro(h.api, consents={"marketing_sms": True})
    # the spec's example registration declines marketing_email: a record too
    sms_only_declined = pg.psql("SELECT count(*) FROM consents WHERE account_id = '%s' AND "
                                "purpose = 'marketing_email' AND NOT granted" % sms_only.id)
    path = "/v1/marketing/suppression?channel=marketing_email"
    r = h.api.request("GET", path, headers=bearer(key))
    assert r.status == 200, r.body
    body = r.json
    mac = bytes.fromhex(body["key"])

    def hashed(email):
        return hmac.new(mac, email.lower().encode(), hashlib.sha256).hexdigest()

    # a third party applies it to its own list: hash, compare, drop
    out = [declined, unsubscribed] + ([sms_only] if sms_only_declined == "1" else [])
    assert sorted(body["hashes"]) == sorted(hashed(p.email) for p in out)
    assert hashed(still_in.email) not in body["hashes"]
    assert body["next_cursor"] is None
    # another client has another key: its hashes do not link with these
    other = h.api.request("GET", path, headers=bearer(sender(h, name="other-sender"))).json
    assert other["key"] != body["key"] and not set(other["hashes"]) & set(body["hashes"])
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'marketing.suppression'") == "2"
    r = h.api.request("GET", "/v1/marketing/suppression?channel=advertiser_contact",
                      headers=bearer(key))
    assert r.status == 400


def test_a_bad_postal_address_stops_start_up(stack):
    pg, h = stack()
    for bad in ("x" * 301, "line one\nline two"):  # empty is unset, like every setting
        h.env["HCPD_SENDER_POSTAL_ADDRESS"] = bad
        r = h.cli("purge", "--now")
        assert r.returncode == 2 and "HCPD_SENDER_POSTAL_ADDRESS" in r.stderr, (bad, r.stderr)
