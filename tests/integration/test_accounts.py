"""The admin console's accounts (issue 21 items 1-3): search through
blind indexes, the account view with its ETag, and actions through the
status table - each audited."""

import json
import time
import uuid

from conftest import registration, valid_npi
from reviewkit import (ADMIN_PASSWORD, PRO_PASSWORD, bearer, confirm_email, login,
                       make_admin, unique_email)


def pro(h, **profile):
    email = unique_email("acct")
    body = registration(email, **profile)
    r = h.api.register(body)
    assert r.status == 202, r.body
    return {"id": r.json["id"], "email": email, "profile": body["profile"]}


def search(h, token, query, expect=200):
    r = h.api.request("GET", "/v1/admin/accounts?" + query, headers=bearer(token),
                      template="/v1/admin/accounts")
    assert r.status == expect, (query, r.status, r.body)
    return r


def ids(h, token, query):
    return [i["id"] for i in search(h, token, query).json["items"]]


def view(h, token, account_id, expect=200):
    r = h.api.request("GET", "/v1/admin/accounts/" + account_id, headers=bearer(token),
                      template="/v1/admin/accounts/{id}")
    assert r.status == expect, r.body
    return r


def act(h, token, account_id, action, reason="checked by phone", etag=None):
    etag = etag or view(h, token, account_id).headers["etag"]
    return h.api.request("POST", "/v1/admin/accounts/%s/actions" % account_id,
                         body={"action": action, "reason": reason},
                         headers=dict(bearer(token), **{"If-Match": etag}),
                         template="/v1/admin/accounts/{id}/actions")


def test_each_search_parameter_finds_exactly_the_right_accounts(stack):
    pg, h = stack()
    _, _, token = make_admin(h)
    a = pro(h, family_name="Dupré", given_name="Ana", license_number="B-20001")
    b = pro(h, family_name="Dupree", country="NZ", profession="nurse", npi=None,
            license_region=None, license_number="B20002")
    c = pro(h, family_name="Okafor")
    pg.psql("UPDATE accounts SET created_at = '2020-05-01T12:00:00Z' WHERE id = '%s'" % c["id"])
    pg.psql("UPDATE accounts SET status = 'flagged', status_reason = 'x_reason' "
            "WHERE id = '%s'" % b["id"])
    # personal fields: exact after normalising, a near miss finds nothing
    assert ids(h, token, "email=" + a["email"].upper()) == [a["id"]]
    assert ids(h, token, "email=x" + a["email"]) == []
    assert ids(h, token, "family_name=%20DUPRE") == [a["id"]]
    assert ids(h, token, "family_name=dupre%CC%81") == [a["id"]]  # decomposed accent
    assert ids(h, token, "family_name=Dupr") == []
    assert ids(h, token, "family_name=dupree") == [b["id"]]
    assert ids(h, token, "npi=" + a["profile"]["npi"]) == [a["id"]]
    assert ids(h, token, "npi=" + valid_npi()) == []
    assert ids(h, token, "license_number=b20001") == [a["id"]]
    assert ids(h, token, "license_number=B2000") == []
    # clear columns
    assert ids(h, token, "status=flagged&reason=x_reason") == [b["id"]]
    assert ids(h, token, "country=NZ&profession=nurse") == [b["id"]]
    assert ids(h, token, "created_before=2020-05-02") == [c["id"]]
    assert ids(h, token, "created_after=2020-05-02&family_name=okafor") == []
    assert ids(h, token, "created_after=2020-05-01&created_before=2020-05-02") == [c["id"]]
    # no personal field unless asked
    [item] = search(h, token, "npi=" + a["profile"]["npi"]).json["items"]
    assert set(item) == {"id", "status", "status_reason", "country", "profession",
                         "email_verified", "created_at"}
    [item] = search(h, token, "npi=%s&fields=name,email" % a["profile"]["npi"]).json["items"]
    assert item["email"] == a["email"] and item["family_name"] == "Dupré"
    assert item["given_name"] == "Ana"
    for bad in ("status=nope", "country=usa", "fields=phone", "fields=name,name",
                "created_after=2020-13-01", "family_name=%20", "nope=1", "reason=A%20B",
                "limit=0", "cursor=zz", "email=a&email=b"):
        r = search(h, token, bad, expect=400)
        assert r.is_problem()


def test_searches_are_audited_without_the_values_searched(stack):
    pg, h = stack()
    _, admin, token = make_admin(h)
    a = pro(h, family_name="Quistorpova")
    search(h, token, "family_name=quistorpova&status=pending_verification&fields=email")
    row = pg.psql("SELECT actor || '|' || details::text FROM audit_log "
                  "WHERE action = 'account.search' ORDER BY id DESC LIMIT 1")
    actor, details = row.split("|", 1)
    details = json.loads(details)
    assert actor == admin
    assert details == {"searched_by": ["family_name"],
                       "filters": {"status": "pending_verification"},
                       "fields": ["email"], "found": [a["id"]]}
    assert "uistorpova" not in pg.psql("SELECT details::text FROM audit_log")


def test_paging_is_newest_first(stack):
    pg, h = stack()
    _, _, token = make_admin(h)
    made = [pro(h, profession="dentist", country="NZ", npi=None, license_region=None)["id"]
            for _ in range(3)]
    first = search(h, token, "profession=dentist&limit=2").json
    assert first["items"][0]["id"] == made[2] and first["next_cursor"]
    rest = search(h, token, "profession=dentist&limit=2&cursor=" + first["next_cursor"]).json
    assert [i["id"] for i in first["items"] + rest["items"]] == made[::-1]
    assert rest["next_cursor"] is None


def test_the_account_view_has_everything_and_is_audited(stack):
    pg, h = stack()
    _, admin, token = make_admin(h)
    a = pro(h, family_name="Ngata")
    login(h, a["email"])
    r = view(h, token, a["id"])
    body = r.json
    assert r.headers["etag"].startswith('"')
    assert body["email"] == a["email"] and body["profile"]["family_name"] == "Ngata"
    assert body["status"] == "pending_verification" and body["sessions"]["live"] == 1
    assert body["sessions"]["last_sign_in"]
    assert body["consents"]["licensure_verification"] is True
    assert body["legal_hold"] == {"held": False, "since": None, "reason": None}
    assert body["status_history"] == [] and body["documents"] == []
    assert view(h, token, a["id"]).headers["etag"] == r.headers["etag"]  # stable
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'account.view' AND "
                   "target = '%s' AND actor = '%s'" % (a["id"], admin)) == "2"
    view(h, token, str(uuid.uuid4()), expect=404)
    view(h, token, admin, expect=404)  # staff are not accounts here


def test_actions_follow_the_status_table(stack):
    pg, h = stack()
    _, admin, token = make_admin(h)
    a = pro(h)
    confirm_email(h, a["id"], a["email"])
    pro_token = login(h, a["email"])
    # If-Match is required and must be current
    r = h.api.request("POST", "/v1/admin/accounts/%s/actions" % a["id"],
                      body={"action": "suspend", "reason": "x"}, headers=bearer(token),
                      template="/v1/admin/accounts/{id}/actions")
    assert r.status == 428
    assert act(h, token, a["id"], "suspend", etag='"0000"').status == 412
    r = act(h, token, a["id"], "suspend", reason="licence reported stolen")
    assert r.status == 200 and r.json["status"] == "suspended", r.body
    me = h.api.request("GET", "/v1/me", headers=bearer(pro_token)).json
    assert me["status"] == "suspended"
    assert act(h, token, a["id"], "suspend").status == 409
    # the history says who and why; the audit row's reason is sealed
    hist = view(h, token, a["id"]).json["status_history"]
    assert hist[-1]["event"] == "suspend" and hist[-1]["actor"] == admin
    assert hist[-1]["note"] == "licence reported stolen"
    assert "stolen" not in pg.psql("SELECT coalesce(reason, '') || encode(reason_enc, 'escape') "
                                   "FROM audit_log WHERE action = 'account.action'")
    kinds = pg.psql("SELECT kind FROM outbox WHERE account_id = '%s' ORDER BY id" % a["id"])
    assert "account_suspended_by_admin" in kinds.splitlines()
    r = act(h, token, a["id"], "reinstate")
    assert r.status == 200 and r.json["status"] == "pending_verification"
    assert pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id = '%s' AND "
                   "state = 'queued' AND occasion = 'reverification'" % a["id"]) != "0"
    assert act(h, token, a["id"], "reinstate").status == 409
    assert act(h, token, a["id"], "reject").status == 409  # pending: not decided yet
    assert act(h, token, a["id"], "resend_confirmation").status == 409  # confirmed already
    r = act(h, token, a["id"], "revoke_sessions")
    assert r.status == 200 and r.json["sessions_revoked"] >= 1
    assert h.api.request("GET", "/v1/me", headers=bearer(pro_token)).status == 401
    assert act(h, token, a["id"], "reverify").json["status"] == "pending_verification"
    pg.psql("UPDATE accounts SET status = 'flagged' WHERE id = '%s'" % a["id"])
    assert act(h, token, a["id"], "reject").json["status"] == "rejected"
    assert act(h, token, a["id"], "suspend").status == 409
    actions = pg.psql("SELECT details->>'action' FROM audit_log WHERE action = "
                      "'account.action' AND target = '%s' ORDER BY id" % a["id"]).splitlines()
    assert actions == ["suspend", "reinstate", "revoke_sessions", "reverify", "reject"]
    r = act(h, token, a["id"], "explode")
    assert r.status == 422 and r.is_problem()


def test_resend_confirmation_queues_a_new_mail(stack):
    pg, h = stack()
    _, _, token = make_admin(h)
    a = pro(h)
    r = act(h, token, a["id"], "resend_confirmation")
    assert r.status == 200, r.body
    # a second confirm_email mail, its token minted when it is sent
    assert pg.psql("SELECT count(*) FROM outbox WHERE account_id = '%s' AND kind = "
                   "'confirm_email'" % a["id"]) == "2"
    confirm_email(h, a["id"], a["email"])
    assert act(h, token, a["id"], "resend_confirmation").status == 409
