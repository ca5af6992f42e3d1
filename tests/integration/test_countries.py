"""Issue 19: the portals' countries end to end.

For each shipped country a registration built from the resolved schema's
own examples reaches the admin queue (manual_check where a manual register
applies, no_registry where none does), its review item names the register,
its link and instructions, and an admin decides it. The resolved schema,
its refusals, a wrong check digit, the queue's reason filter, and a manual
register's link with the declared number filled in (a definition of the
test's own, in a private stack).
"""

import random
import string
import urllib.parse

import pytest

from conftest import registration
from reviewkit import (PRO_PASSWORD, bearer, confirm_email, decide, item, make_admin,
                       unique_email, write_test_register)

SCHEMA = "/v1/registration/schema"

# country -> (profession, the reason its registration is flagged with,
# the manual registers the review item must name)
SHIPPED = {
    "SG": ("physician", "manual_check", ["sg-smc"]),
    "MY": ("physician", "manual_check", ["my-mmc"]),
    "IN": ("physician", "manual_check", ["in-nmc"]),
    "PH": ("nurse", "manual_check", ["ph-prc"]),
    "HK": ("physician", "manual_check", ["hk-mchk"]),
    "ID": ("physician", "manual_check", ["id-str"]),
    "TH": ("physician", "manual_check", ["th-council"]),
    "VN": ("physician", "manual_check", ["vn-moh"]),
    "AU": ("physician", "manual_check", ["au-ahpra"]),
    "BE": ("nurse", "manual_check", ["be-riziv"]),
    "DE": ("physician", "manual_check", ["de-laek"]),
    "GB": ("physician", "manual_check", ["gb-gmc"]),
    "IE": ("physician", "manual_check", ["ie-imc"]),
    "FR": ("physician", "no_registry", []),
}


def schema(api, query, status=200):
    r = api.request("GET", SCHEMA + query, template=SCHEMA)
    assert r.status == status, r.body
    return r


def own_digits(field):
    """A field's example with its digits drawn anew where its format lets
    them vary freely (code, pattern): a licence identifier on two accounts
    sends both to an admin (duplicate_identifier), so each registration
    here holds its own. Check-digit formats (npi, rpps, riziv) keep the
    example."""
    if field.get("format") not in ("code", "pattern"):
        return field["example"]
    return "".join(random.choice(string.digits) if c.isdigit() else c for c in field["example"])


def body_from(resolved, email):
    """A registration made of the resolved schema's own examples."""
    profile = {f["name"]: own_digits(f) for f in resolved["fields"] if f["required"]}
    profile.update(country=resolved["country"], profession=resolved["profession"],
                   given_name="Mei", family_name="Tan")
    return {"email": email, "password": PRO_PASSWORD, "profile": profile,
            "consents": {"licensure_verification": True}}


@pytest.fixture(scope="module")
def admin(hcpd):
    return make_admin(hcpd)[2]


@pytest.mark.parametrize("country", sorted(SHIPPED))
def test_each_country_reaches_an_admin_who_decides(hcpd, pg, admin, country):
    profession, reason, registers = SHIPPED[country]
    resolved = schema(hcpd.api, "?country=%s&profession=%s" % (country, profession)).json
    email = unique_email(country.lower())
    r = hcpd.api.register(body_from(resolved, email))
    assert r.status == 202, r.body
    account = r.json["id"]
    assert pg.psql("SELECT status || ':' || status_reason FROM accounts WHERE id = '%s'"
                   % account) == "flagged:" + reason
    # a manual register sends nothing: no job, no ledger row
    assert pg.psql("SELECT (SELECT count(*) FROM verification_jobs WHERE account_id = '%s') + "
                   "(SELECT count(*) FROM disclosures WHERE subject = '%s')"
                   % (account, account)) == "0"
    view = item(hcpd, admin, account).json
    assert [m["verifier"] for m in view["manual_checks"]] == registers
    for m in view["manual_checks"]:
        assert m["instructions"] and m["source"] and m["display_name"]
        assert m["link"] is None or m["link"].startswith(("https://", "http://"))
    confirm_email(hcpd, account, email)
    decision = "reject" if country == "FR" else "approve"
    r = decide(hcpd, admin, account, decision, "checked by hand",
               item(hcpd, admin, account).headers["etag"])
    assert r.status == 200, r.body
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % account) == \
        ("rejected" if decision == "reject" else "approved")


def test_resolved_schemas(hcpd):
    whole = schema(hcpd.api, "").json
    assert "professions" in whole and "countries" in whole  # the catalogue as before
    sg = schema(hcpd.api, "?country=SG&profession=physician").json
    fields = {f["name"]: f for f in sg["fields"]}
    assert fields["mcr_number"]["required"] is True and "npi" not in fields
    assert fields["workplace"]["required"] is False
    assert all(isinstance(f["required"], bool) and f["label"] and f["example"]
               for f in sg["fields"])
    recipients = {x["name"]: x for x in sg["recipients"]}
    assert recipients["sg-smc"]["kind"] == "manual_register"
    assert recipients["sg-smc"]["terms"] is None and recipients["sg-smc"]["abroad"] is False
    assert "us-nppes" not in recipients
    # the recipients file's, with their terms: a transfer abroad is marked
    assert recipients["example-cme-sponsor"]["abroad"] is True
    assert recipients["example-cme-sponsor"]["terms"]["recipient_country"] == "US"
    be = schema(hcpd.api, "?country=BE&profession=nurse").json
    assert {f["name"]: f["required"] for f in be["fields"]}["riziv_number"] is True
    fr = schema(hcpd.api, "?country=FR&profession=physician").json
    rpps = {f["name"]: f for f in fr["fields"]}["rpps"]
    assert rpps["required"] is True and rpps["format"] == "rpps" and rpps["source"]
    us = schema(hcpd.api, "?country=US&profession=physician").json
    nppes = {x["name"]: x for x in us["recipients"]}["us-nppes"]
    assert nppes["kind"] == "verifier" and nppes["fields"] == ["npi"]
    assert nppes["terms"]["legal_basis"] and nppes["abroad"] is False


@pytest.mark.parametrize("query,status,field", [
    ("?country=XX&profession=physician", 422, "country"),
    ("?country=SG&profession=wizard", 422, "profession"),
    ("?country=SG&profession=podiatrist", 422, "profession"),  # not registered in SG
    ("?country=SG", 400, None),
    ("?country=SG&profession=physician&lang=en", 400, None),
    ("?country=SG&country=MY&profession=physician", 400, None),
])
def test_schema_refusals(hcpd, query, status, field):
    r = schema(hcpd.api, query, status)
    assert r.is_problem()
    if field:
        assert [e["field"] for e in r.json["errors"]] == [field]


def test_a_wrong_check_digit_names_the_field(hcpd):
    resolved = schema(hcpd.api, "?country=BE&profession=nurse").json
    body = body_from(resolved, unique_email("be"))
    body["profile"]["riziv_number"] = "1234562500"  # 10 digits: RIZIV's are 11
    r = hcpd.api.register(body)
    assert r.status == 422 and r.is_problem()
    assert [(e["field"], e["code"]) for e in r.json["errors"]] == \
        [("profile.riziv_number", "invalid")]
    body["profile"].update(country="FR", rpps="10005173141", profession="physician")
    del body["profile"]["riziv_number"]
    r = hcpd.api.register(body)
    assert [(e["field"], e["code"]) for e in r.json["errors"]] == [("profile.rpps", "invalid")]


def test_the_queue_filters_by_reason_and_country(hcpd, admin):
    resolved = schema(hcpd.api, "?country=HK&profession=physician").json
    r = hcpd.api.register(body_from(resolved, unique_email("hk")))
    manual = r.json["id"]
    nz = registration(unique_email("nz"), country="NZ")
    del nz["profile"]["npi"], nz["profile"]["license_region"]
    none = hcpd.api.register(nz).json["id"]

    def ids(query):
        r = hcpd.api.request("GET", "/v1/admin/reviews" + query + "&limit=100",
                             headers=bearer(admin), template="/v1/admin/reviews")
        assert r.status == 200, r.body
        return [x["id"] for x in r.json["items"]]

    assert manual in ids("?reason=manual_check&country=HK")
    assert none not in ids("?reason=manual_check")
    assert none in ids("?reason=no_registry&country=NZ")
    assert manual not in ids("?reason=no_registry")
    r = hcpd.api.request("GET", "/v1/admin/reviews?reason=Manual-Check", headers=bearer(admin),
                         template="/v1/admin/reviews")
    assert r.status == 400 and r.is_problem()


def test_a_manual_link_carries_the_declared_number_encoded(stack, tmp_path):
    regs = tmp_path / "registries"
    regs.mkdir()
    write_test_register(regs)
    pg, h = stack({"HCPD_REGISTRIES_DIR": str(regs)})
    resolved = schema(h.api, "?country=SG&profession=physician").json
    body = body_from(resolved, unique_email("sg"))
    body["profile"]["mcr_number"] = "M 12/3.A"
    account = h.api.register(body).json["id"]
    token = make_admin(h)[2]
    check = item(h, token, account).json["manual_checks"]
    assert check == [{
        "verifier": "sg-test", "display_name": "Test register of doctors",
        "link": "https://register.example/search?number=" +
                urllib.parse.quote("M 12/3.A", safe=""),
        "instructions": "Search by number; compare the family name.",
        "compare": ["mcr_number", "family_name"], "source": ["a test definition"]}]
    assert pg.psql("SELECT status_reason FROM accounts WHERE id = '%s'" % account) == \
        "manual_check"
