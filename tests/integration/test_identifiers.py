"""Blind indexes of searchable fields and duplicate licence identifiers
(issue 21 item 1, issue 18 item 2).

Each searchable field (the catalogue's "searchable" and "identifier"
fields) has a row per account in account_search_index: an HMAC-SHA-256
of the normalised value under a key derived from the master key for that
field alone. A licence identifier on two live accounts sends both to an
admin with reason duplicate_identifier.
"""

import hashlib
import hmac

from conftest import registration, valid_npi
from reviewkit import unique_email


def field_key(h, field):
    with open(h.env["HCPD_MASTER_KEY_FILE"]) as f:
        master = bytes.fromhex(f.read().strip())
    return hmac.new(master, ("hcpd blind index %s v1" % field).encode(), hashlib.sha256).digest()


def bidx(h, field, normalised):
    return hmac.new(field_key(h, field), normalised.encode(), hashlib.sha256).hexdigest()


def indexes(pg, account_id):
    rows = pg.psql("SELECT field || '=' || encode(bidx, 'hex') FROM account_search_index "
                   "WHERE account_id = '%s' ORDER BY field" % account_id)
    return dict(line.split("=") for line in rows.splitlines() if line)


def register(h, **profile):
    email = unique_email("ident")
    r = h.api.register(registration(email, **profile))
    assert r.status == 202, r.body
    return r.json["id"]


def status(pg, account_id):
    return pg.psql("SELECT status || ' ' || coalesce(status_reason, '-') FROM accounts "
                   "WHERE id = '%s'" % account_id)


def test_indexes_are_keyed_per_field_and_normalised(stack):
    pg, h = stack()
    npi = valid_npi()
    account = register(h, npi=npi, family_name="  Dupré-Müller ", license_number="ca-a 77.1")
    got = indexes(pg, account)
    assert got == {"npi": bidx(h, "npi", npi),
                   "family_name": bidx(h, "family_name", "dupre-muller"),
                   "license_number": bidx(h, "license_number", "CAA771")}
    # one key per field: the same text under two fields gives two indexes
    assert bidx(h, "npi", npi) != bidx(h, "license_number", npi)
    assert pg.psql("SELECT search_indexed FROM accounts WHERE id = '%s'" % account) == "t"


def test_someone_registering_a_doctors_npi_sends_both_to_an_admin(stack):
    """The attack: the doctor registered; someone else registers with the
    doctor's (public) NPI. Both accounts go to the admin queue, each with
    an audit row naming the other; a near miss and another country's
    licence number change nothing."""
    pg, h = stack()
    npi = valid_npi()
    doctor = register(h, npi=npi)
    assert status(pg, doctor) == "pending_verification -"
    bystander = register(h)  # another NPI
    squatter = register(h, npi=npi, family_name="Someone", given_name="Else")
    assert status(pg, squatter) == "flagged duplicate_identifier"
    assert status(pg, doctor) == "flagged duplicate_identifier"
    assert status(pg, bystander) == "pending_verification -"
    audit = pg.psql("SELECT target || ' ' || (details->>'field') || ' ' || "
                    "(details->>'other_account') FROM audit_log WHERE actor = 'system' AND "
                    "action = 'account.duplicate_identifier' ORDER BY id")
    assert audit.splitlines() == ["%s npi %s" % (squatter, doctor),
                                  "%s npi %s" % (doctor, squatter)]
    history = pg.psql("SELECT from_status || '>' || to_status || ' ' || event FROM "
                      "account_status_history WHERE account_id = '%s'" % doctor)
    assert history == "pending_verification>flagged duplicate_identifier"

    # a licence number is unique within its country and region only
    a = register(h, license_number="Z-55501", license_region="CA")
    b = register(h, license_number="z55501", license_region="NY")
    assert status(pg, a) == status(pg, b) == "pending_verification -"
    c = register(h, license_number="Z 55501", license_region="CA")
    assert status(pg, c) == "flagged duplicate_identifier"
    assert status(pg, a) == "flagged duplicate_identifier"


def test_a_rectified_identifier_is_checked_and_erasure_drops_indexes(stack):
    pg, h = stack()
    npi = valid_npi()
    first = register(h, npi=npi)
    email = unique_email("ident.rect")
    body = registration(email)
    r = h.api.register(body)
    second = r.json["id"]
    token = h.api.request("POST", "/v1/sessions", body={"email": email,
                                                          "password": body["password"]}
                          ).json["access_token"]
    auth = {"Authorization": "Bearer " + token}
    r = h.api.request("PATCH", "/v1/me", body={"profile": {"family_name": "Renamed"}},
                      headers=auth)
    assert r.status == 200 and r.json["status"] == "pending_verification"
    assert indexes(pg, second)["family_name"] == bidx(h, "family_name", "renamed")
    r = h.api.request("PATCH", "/v1/me", body={"profile": {"npi": npi}}, headers=auth)
    assert r.status == 200 and r.json["status"] == "flagged", r.body
    assert status(pg, first) == "flagged duplicate_identifier"
    assert indexes(pg, second)["npi"] == bidx(h, "npi", npi)
    r = h.api.request("DELETE", "/v1/me", body={"password": body["password"]}, headers=auth)
    assert r.status == 204
    assert indexes(pg, second) == {}


def test_accounts_from_before_the_indexes_are_indexed_at_start(stack):
    pg, h = stack()
    npi = valid_npi()
    account = register(h, npi=npi, family_name="Okonkwo")
    pg.psql("DELETE FROM account_search_index WHERE account_id = '%s'" % account)
    pg.psql("UPDATE accounts SET search_indexed = false WHERE id = '%s'" % account)
    h.stop()
    h.start()
    import time
    deadline = time.time() + 10
    while time.time() < deadline and not indexes(pg, account):
        time.sleep(0.1)
    assert indexes(pg, account) == {
        "npi": bidx(h, "npi", npi), "family_name": bidx(h, "family_name", "okonkwo"),
        "license_number": indexes(pg, account)["license_number"]}
    assert pg.psql("SELECT search_indexed FROM accounts WHERE id = '%s'" % account) == "t"
