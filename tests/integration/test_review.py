"""Admin review against the real server and database: the queue (order,
paging, filters, strict query parameters), an item with its opened
profile and evidence, decisions with If-Match (428, 412, two admins at
once), request_info and the professional's answer, the notices mailed,
the audit log, and the roles every admin route requires."""

import contextlib
import re
import subprocess
import threading
import time

import pytest

from conftest import Hcpd, Postgres, migrate, registration
from reviewkit import (PRO_PASSWORD, add_disclosure, add_verification, bearer, decide,
                       item, login, make_admin, make_flagged, unique_email)
from test_email import smtp  # noqa: F401 (the SMTP sink fixture)

ADMIN_ROUTES = [
    ("GET", "/v1/admin/stats", "/v1/admin/stats", None),
    ("GET", "/v1/admin/reviews", "/v1/admin/reviews", None),
    ("GET", "/v1/admin/reviews/%s", "/v1/admin/reviews/{id}", None),
    ("POST", "/v1/admin/reviews/%s/decision", "/v1/admin/reviews/{id}/decision",
     {"decision": "approve", "reason": "looks right"}),
    ("GET", "/v1/admin/audit", "/v1/admin/audit", None),
]


@pytest.fixture(scope="module")
def admin(hcpd):
    return make_admin(hcpd)


def queue(h, token, query="", check_status=200):
    r = h.api.request("GET", "/v1/admin/reviews" + query, headers=bearer(token),
                      template="/v1/admin/reviews")
    assert r.status == check_status, r.body
    return r


def audit(h, token, query):
    r = h.api.request("GET", "/v1/admin/audit?" + query, headers=bearer(token),
                      template="/v1/admin/audit")
    assert r.status == 200, r.body
    return r.json["items"]


def test_every_admin_route_needs_an_admin(hcpd, pg, admin):
    account_id, email = make_flagged(hcpd, pg, country="NZ")
    pro = login(hcpd, email)
    for method, path, template, body in ADMIN_ROUTES:
        url = path % account_id if "%s" in path else path
        headers = {"If-Match": '"x"'}
        r = hcpd.api.request(method, url, body=body, headers=headers, template=template)
        assert r.status == 401 and r.is_problem(), (method, path, r.status)
        assert r.headers["www-authenticate"] == "Bearer"
        r = hcpd.api.request(method, url, body=body, headers=dict(headers, **bearer(pro)),
                             template=template)
        assert r.status == 403 and r.is_problem(), (method, path, r.status)
    # and nothing was decided or viewed by the professional's attempts
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % account_id) == "flagged"
    assert pg.psql("SELECT count(*) FROM audit_log WHERE target = '%s'" % account_id) == "0"


def test_queue_oldest_first_with_reasons_and_paging(hcpd, pg, admin):
    _, _, token = admin
    ids = [make_flagged(hcpd, pg, country="IE")[0] for _ in range(5)]
    # the order is status_changed_at, then id: make it explicit and tied
    for i, account_id in enumerate(ids):
        pg.psql("UPDATE accounts SET status_changed_at = '2024-01-01T00:00:00Z'::timestamptz "
                "+ interval '%d minutes' WHERE id = '%s'" % (i // 2, account_id))
    expected = sorted(ids, key=lambda a: (ids.index(a) // 2, a))
    r = queue(hcpd, token, "?country=IE")
    assert [i["id"] for i in r.json["items"]] == expected and r.json["next_cursor"] is None
    first = r.json["items"][0]
    assert first["status"] == "flagged" and first["waiting_for"] == "admin"
    assert first["country"] == "IE" and first["profession"] == "physician"
    assert first["waiting_seconds"] > 86400 * 300
    # only the latest non-verified verification per verifier is a reason
    assert first["reasons"] == [{"verifier": "us-nppes", "outcome": "mismatch",
                                 "reason": "family name differs"}]
    # pages of two, following next_cursor, give the same order
    seen, cursor = [], None
    while True:
        r = queue(hcpd, token, "?country=IE&limit=2" + ("&cursor=" + cursor if cursor else ""))
        seen += [i["id"] for i in r.json["items"]]
        assert len(r.json["items"]) <= 2
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    # a newer verification that verifies replaces the reason
    add_verification(hcpd, pg, expected[0], outcome="verified", reason="all fields match",
                     checks={"family_name": "match"})
    r = queue(hcpd, token, "?country=IE&limit=1")
    assert r.json["items"][0]["reasons"] == []


def test_queue_filters(hcpd, pg, admin):
    _, _, token = admin
    nurse, _ = make_flagged(hcpd, pg, country="SG", profession="nurse")
    doctor, _ = make_flagged(hcpd, pg, country="SG", mcr_number="M12345A")
    suspended, _ = make_flagged(hcpd, pg, country="SG", status="suspended",
                                 mcr_number="M12345A")
    ours = {nurse, doctor, suspended}  # the session's stack holds other tests' SG items too
    ids = lambda q: [i["id"] for i in queue(hcpd, token, q + "&limit=100").json["items"]  # noqa
                     if i["id"] in ours]
    assert ids("?country=SG") == [nurse, doctor]
    assert ids("?country=SG&profession=nurse") == [nurse]
    assert ids("?status=suspended&country=SG") == [suspended]
    assert ids("?country=SG&waiting_for=professional") == []
    assert ids("?country=SG&waiting_for=admin&status=flagged") == [nurse, doctor]
    assert ids("?status=approved&country=SG") == []


def test_queue_reads_are_audited_with_their_filters(hcpd, pg):
    _, admin_id, token = make_admin(hcpd)  # a fresh admin: only these reads are theirs
    for _ in range(2):
        make_flagged(hcpd, pg, country="SG", profession="nurse", given_name="Siew")
    first = queue(hcpd, token)
    r = queue(hcpd, token, "?country=SG&profession=nurse&waiting_for=admin&limit=1")
    assert r.json["next_cursor"] is not None
    queue(hcpd, token, "?country=SG&limit=1&cursor=" + r.json["next_cursor"])
    queue(hcpd, token, "?status=nope", check_status=400)  # refused: nothing read, no record
    rows = list(reversed(audit(hcpd, token, "action=review.list&actor=" + admin_id)))
    assert [x["details"] for x in rows] == [
        {"status": "flagged", "country": None, "profession": None, "waiting_for": None,
         "cursor": False, "limit": 50},
        {"status": "flagged", "country": "SG", "profession": "nurse", "waiting_for": "admin",
         "cursor": False, "limit": 1},
        {"status": "flagged", "country": "SG", "profession": None, "waiting_for": None,
         "cursor": True, "limit": 1}]
    assert rows[0]["request_id"] == first.headers["x-request-id"]
    assert rows[1]["request_id"] == r.headers["x-request-id"]
    # filters and page sizes only: no item, no personal value
    assert all(x["target"] is None and x["reason"] is None for x in rows)
    assert "Siew" not in pg.psql("SELECT string_agg(details::text, ' ') FROM audit_log "
                                 "WHERE action = 'review.list'")


@pytest.mark.parametrize("query", [
    "?status=pending_verification", "?status=verified", "?status=", "?status", "?status=FLAGGED",
    "?status=flagged&status=rejected", "?country=usa", "?country=XX", "?country=us",
    "?profession=wizard", "?waiting_for=nobody", "?limit=0", "?limit=101", "?limit=1x",
    "?limit=-1", "?limit=+5", "?cursor=zz", "?cursor=31", "?cursor=" + "31" * 80,
    "?cursor=" + "31%2f" + "61" * 36, "?cursor=3100ff", "?sort=id", "?Status=flagged",
])
def test_bad_queue_parameters_are_400(hcpd, admin, query):
    r = queue(hcpd, admin[2], query, check_status=400)
    assert r.is_problem() and r.json["detail"]


def test_bad_audit_and_item_parameters_are_400(hcpd, pg, admin):
    token = admin[2]
    for query in ("?actor=bob", "?action=Review%20View", "?target=a%20b", "?cursor=xyz",
                  "?limit=1000", "?foo=1", "?action=" + "a" * 200):
        r = hcpd.api.request("GET", "/v1/admin/audit" + query, headers=bearer(token),
                             template="/v1/admin/audit")
        assert r.status == 400 and r.is_problem(), query
    account_id, _ = make_flagged(hcpd, pg, country="NZ")
    r = hcpd.api.request("GET", "/v1/admin/reviews/%s?x=1" % account_id, headers=bearer(token),
                         template="/v1/admin/reviews/{id}")
    assert r.status == 400 and r.is_problem()
    for bad in ("not-a-uuid", account_id.upper(), "00000000-0000-4000-8000-000000000000"):
        r = hcpd.api.request("GET", "/v1/admin/reviews/" + bad, headers=bearer(token),
                             template="/v1/admin/reviews/{id}")
        assert r.status == 404 and r.is_problem(), bad


def test_item_shows_profile_evidence_and_history(hcpd, pg, admin):
    _, admin_id, token = admin
    account_id, email = make_flagged(hcpd, pg, country="NZ", given_name="Mereana",
                                     family_name="Ngata", npi="1234567893")
    r = item(hcpd, token, account_id)
    body = r.json
    assert r.headers["etag"].startswith('"') and r.headers["cache-control"] == "no-store"
    assert body["id"] == account_id and body["status"] == "flagged"
    assert body["waiting_for"] == "admin" and body["email"] == email
    assert body["profile"]["given_name"] == "Mereana" and body["profile"]["country"] == "NZ"
    assert body["profile"]["npi"] == "1234567893"
    [verified, mismatch] = body["verifications"]
    assert verified["outcome"] == "verified" and verified["evidence"] == {}
    assert mismatch["evidence"]["family_name"] == {"registration": "NG", "registry": "NGUYEN"}
    assert mismatch["checks"] == {"family_name": "mismatch", "npi": "match"}
    assert len(mismatch["reply_sha256"]) == 64 and mismatch["occasion"] == "registration"
    assert body["reasons"] == [{"verifier": "us-nppes", "outcome": "mismatch",
                                "reason": "family name differs"}]
    assert body["disclosures"] == [] and body["decisions"] == [] and body["responses"] == []
    # a second read of an unchanged item has the same ETag
    assert item(hcpd, token, account_id).headers["etag"] == r.headers["etag"]
    # each view is in the audit log, with who, what, when and the request id
    views = audit(hcpd, token, "target=%s&action=review.view" % account_id)
    assert len(views) == 2
    assert views[0]["actor"] == admin_id and views[0]["details"]["etag"] == r.headers["etag"]
    assert views[1]["request_id"] == r.headers["x-request-id"]
    # the log is append-only
    for sql in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception):
            pg.psql(sql)
    # a pending registration is not under review
    r = hcpd.api.register(registration(unique_email("pending")))
    r = hcpd.api.request("GET", "/v1/admin/reviews/" + r.json["id"], headers=bearer(token),
                         template="/v1/admin/reviews/{id}")
    assert r.status == 404


def test_etag_changes_with_verification_disclosure_decision_and_answer(stack):
    pg, h = stack()
    _, _, token = make_admin(h)
    account_id, email = make_flagged(h, pg)
    tags = [item(h, token, account_id).headers["etag"]]
    add_verification(h, pg, account_id, verifier="us-state-board", outcome="not_found",
                     reason="no licence record")
    tags.append(item(h, token, account_id).headers["etag"])
    add_disclosure(pg, account_id)
    r = item(h, token, account_id)
    tags.append(r.headers["etag"])
    assert r.json["disclosures"][0]["fields"] == ["npi", "family_name"]
    assert r.json["disclosures"][0]["recipient"] == "us-nppes"
    r = decide(h, token, account_id, "request_info", "Please send your licence number.", tags[-1])
    assert r.status == 200, r.body
    tags.append(item(h, token, account_id).headers["etag"])
    pro = login(h, email)
    r = h.api.request("POST", "/v1/me/review-response", body={"message": "It is A12345."},
                      headers=bearer(pro))
    assert r.status == 204, r.body
    tags.append(item(h, token, account_id).headers["etag"])
    assert len(set(tags)) == len(tags), tags
    # an old ETag is stale now: 412, and nothing changes
    r = decide(h, token, account_id, "approve", "fine", tags[0])
    assert r.status == 412 and r.is_problem()
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % account_id) == "flagged"


def test_decision_needs_if_match_and_a_reason(hcpd, pg, admin):
    token = admin[2]
    account_id, _ = make_flagged(hcpd, pg, country="NZ")
    etag = item(hcpd, token, account_id).headers["etag"]
    r = decide(hcpd, token, account_id, "approve", "ok", None)
    assert r.status == 428 and r.is_problem()
    for tag in ("*", "W/" + etag, etag[1:-1], '"0000"', ""):
        r = decide(hcpd, token, account_id, "approve", "ok", tag)
        assert r.status == 412 and r.is_problem(), tag
    for decision, reason, field, code in (
            ("approve", "", "reason", "required"), ("approve", " \n\t ", "reason", "required"),
            ("approve", "x" * 2001, "reason", "too_long"), ("approve", "a\x07b", "reason", "invalid"),
            ("accept", "ok", "decision", "invalid")):
        r = decide(hcpd, token, account_id, decision, reason, etag)
        assert r.status == 422, (decision, reason)
        assert [(e["field"], e["code"]) for e in r.json["errors"]] == [(field, code)]
    r = hcpd.api.request("POST", "/v1/admin/reviews/%s/decision" % account_id,
                         body={"decision": "approve", "reason": "ok", "extra": 1},
                         headers=dict(bearer(token), **{"If-Match": etag}),
                         template="/v1/admin/reviews/{id}/decision")
    assert r.status == 422 and r.json["errors"][0]["code"] == "unknown_field"
    # 2000 characters (not bytes) are fine, in a list of ETags
    r = decide(hcpd, token, account_id, "reject", "é" * 2000, '"other", ' + etag)
    assert r.status == 200, r.body
    assert r.json["status"] == "rejected" and r.json["decision"]["reason"] == "é" * 2000
    # rejecting again is a conflict, approving a rejected item is not
    etag = item(hcpd, token, account_id).headers["etag"]
    r = decide(hcpd, token, account_id, "reject", "again", etag)
    assert r.status == 409 and "already rejected" in r.json["detail"]
    r = decide(hcpd, token, account_id, "request_info", "why?", etag)
    assert r.status == 409
    r = decide(hcpd, token, account_id, "approve", "second look: the registry was wrong", etag)
    assert r.status == 200 and r.json["decision"]["from_status"] == "rejected"
    # decisions are append-only
    for sql in ("UPDATE review_decisions SET reason = 'x' WHERE account_id = '%s'",
                "DELETE FROM review_decisions WHERE account_id = '%s'"):
        with pytest.raises(Exception):
            pg.psql(sql % account_id)


@contextlib.contextmanager
def hold_row(pg, account_id):
    """Locks the account's row from another session until the block ends."""
    locker = subprocess.Popen(["psql", pg.url, "-v", "ON_ERROR_STOP=1", "-qtA"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    locker.stdin.write("BEGIN;\nSELECT 1 FROM accounts WHERE id = '%s' FOR UPDATE;\n"
                       "\\echo locked\n" % account_id)
    locker.stdin.flush()
    while locker.stdout.readline().strip() != "locked":  # the lock is held from here
        assert locker.poll() is None, "psql could not lock the row"
    try:
        yield
    finally:
        locker.communicate("COMMIT;\n", timeout=30)


def test_two_admins_deciding_one_item(hcpd, pg):
    _, first_id, first = make_admin(hcpd)
    _, second_id, second = make_admin(hcpd)
    account_id, _ = make_flagged(hcpd, pg, country="NZ")
    etag = item(hcpd, first, account_id).headers["etag"]
    assert item(hcpd, second, account_id).headers["etag"] == etag
    status = "flagged"
    for round_ in range(3):
        # both decisions apply to the item as both admins saw it
        if status == "flagged":
            one, two = "approve", "reject"
        else:
            one = two = "reject" if status == "approved" else "approve"
        replies = {}
        barrier = threading.Barrier(2)

        def run(name, token, decision):
            barrier.wait()
            replies[name] = decide(hcpd, token, account_id, decision, "round %d" % round_, etag)

        threads = [threading.Thread(target=run, args=("a", first, one)),
                   threading.Thread(target=run, args=("b", second, two))]
        # hold the row a moment, so both requests are in flight at once
        with hold_row(pg, account_id):
            for t in threads:
                t.start()
            time.sleep(0.5)
        for t in threads:
            t.join()
        statuses = sorted(r.status for r in replies.values())
        assert statuses == [200, 412], [(r.status, r.body) for r in replies.values()]
        winner = next(r for r in replies.values() if r.status == 200)
        status = pg.psql("SELECT status FROM accounts WHERE id = '%s'" % account_id)
        assert status == winner.json["status"]
        etag = item(hcpd, first, account_id).headers["etag"]
    decisions = pg.psql("SELECT count(*) FROM review_decisions WHERE account_id = '%s'"
                        % account_id)
    assert decisions == "3"
    # exactly one decision per round, by the winner, each in the audit log
    rows = audit(hcpd, first, "target=%s&action=review.decide" % account_id)
    assert len(rows) == 3 and {r["actor"] for r in rows} <= {first_id, second_id}


def test_audit_records_each_decision(hcpd, pg, admin):
    _, admin_id, token = admin
    account_id, _ = make_flagged(hcpd, pg, country="NZ")
    etag = item(hcpd, token, account_id).headers["etag"]
    r = decide(hcpd, token, account_id, "approve", "licence confirmed by phone", etag)
    assert r.status == 200
    [row] = audit(hcpd, token, "target=%s&action=review.decide" % account_id)
    assert row["actor"] == admin_id and row["reason"] == "licence confirmed by phone"
    assert row["request_id"] == r.headers["x-request-id"]
    assert row["details"]["decision"] == "approve" and row["details"]["to_status"] == "approved"
    assert row["details"]["from_status"] == "flagged" and row["details"]["etag"] == etag
    # newest first, paged
    rows = audit(hcpd, token, "target=%s" % account_id)
    assert [x["action"] for x in rows] == ["review.decide", "review.view"]
    page = audit(hcpd, token, "target=%s&limit=1" % account_id)
    assert page == rows[:1]
    r = hcpd.api.request("GET", "/v1/admin/audit?limit=1&target=" + account_id,
                         headers=bearer(token), template="/v1/admin/audit")
    r = hcpd.api.request("GET", "/v1/admin/audit?limit=1&target=%s&cursor=%s"
                         % (account_id, r.json["next_cursor"]), headers=bearer(token),
                         template="/v1/admin/audit")
    assert r.json["items"] == rows[1:] and r.json["next_cursor"] is None
    # reading the log is recorded too
    reads = audit(hcpd, token, "action=audit.view&actor=" + admin_id)
    assert reads and reads[0]["details"]["target"] == account_id


def test_request_info_answer_and_notices(stack, smtp):  # noqa: F811
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    _, _, token = make_admin(h)
    account_id, email = make_flagged(h, pg, given_name="Ihaia", family_name="Tawhiri")
    pro = login(h, email)
    r = h.api.request("GET", "/v1/me/review", headers=bearer(pro))
    assert r.json == {"status": "flagged", "waiting_for_you": False, "question": None,
                      "asked_at": None, "document_requested": False}
    r = h.api.request("POST", "/v1/me/review-response", body={"message": "hello"},
                      headers=bearer(pro))
    assert r.status == 409 and r.is_problem()

    question = "Which state issued licence A12345? Secret-canary-7731"
    etag = item(h, token, account_id).headers["etag"]
    r = decide(h, token, account_id, "request_info", question, etag)
    assert r.status == 200 and r.json["status"] == "flagged"
    assert r.json["waiting_for"] == "professional"
    [mail] = sink.wait_for(email, "Your registration needs more information")
    raw = mail["raw"].decode()
    for secret in ("Secret-canary-7731", "Ihaia", "Tawhiri", "A12345", "1234567893"):
        assert secret not in raw, secret
    assert "/v1/me/review-response" in raw
    items = queue(h, token, "?waiting_for=professional").json["items"]
    assert [i["id"] for i in items] == [account_id]
    assert queue(h, token, "?waiting_for=admin").json["items"] == []

    r = h.api.request("GET", "/v1/me/review", headers=bearer(pro))
    assert r.json["waiting_for_you"] is True and r.json["question"] == question
    for bad, code in (({"message": ""}, "required"), ({"message": "x" * 2001}, "too_long"),
                      ({"text": "hi"}, "unknown_field")):
        r = h.api.request("POST", "/v1/me/review-response", body=bad, headers=bearer(pro))
        assert r.status == 422 and r.json["errors"][0]["code"] == code
    answer = "Issued by California; my family name is Tawhiri-Ngata."
    pg.psql("UPDATE accounts SET status_changed_at = now() - interval '3 days' WHERE id = '%s'"
            % account_id)
    r = h.api.request("POST", "/v1/me/review-response", body={"message": answer},
                      headers=bearer(pro))
    assert r.status == 204
    r = h.api.request("POST", "/v1/me/review-response", body={"message": answer},
                      headers=bearer(pro))
    assert r.status == 409
    # back in the queue for an admin, waiting from the answer on
    [back] = queue(h, token, "?waiting_for=admin").json["items"]
    assert back["id"] == account_id and back["waiting_seconds"] < 60
    body = item(h, token, account_id).json
    assert body["responses"][0]["message"] == answer
    assert body["responses"][0]["decision_id"] == body["decisions"][0]["id"]
    # the answer is sealed at rest
    assert "Tawhiri-Ngata" not in pg.dump()

    r = decide(h, token, account_id, "approve", "state confirmed; internal note #in5512#",
               item(h, token, account_id).headers["etag"])
    assert r.status == 200 and r.json["waiting_for"] is None
    [mail] = sink.wait_for(email, "Your registration was approved")
    assert "#in5512#" not in mail["raw"].decode()
    assert queue(h, token).json["items"] == []
    r = h.api.request("GET", "/v1/me/review", headers=bearer(pro))
    assert r.json == {"status": "approved", "waiting_for_you": False, "question": None,
                      "asked_at": None, "document_requested": False}

    other, other_email = make_flagged(h, pg)
    r = decide(h, token, other, "reject", "no such licence; internal note #in9921#",
               item(h, token, other).headers["etag"])
    assert r.status == 200
    [mail] = sink.wait_for(other_email, "Your registration was not approved")
    assert "#in9921#" not in mail["raw"].decode()


def test_erased_account_shows_no_personal_value(stack):
    pg, h = stack()
    _, _, token = make_admin(h)
    account_id, _ = make_flagged(h, pg)
    pg.psql("UPDATE accounts SET data_key = NULL WHERE id = '%s'" % account_id)
    r = item(h, token, account_id)
    assert r.json["profile"] is None and r.json["email"] is None
    assert all(v["evidence"] is None for v in r.json["verifications"])
    r = decide(h, token, account_id, "reject", "erased", r.headers["etag"])
    assert r.status == 200
    assert pg.psql("SELECT count(*) FROM outbox WHERE account_id = '%s' AND kind LIKE 'review%%'"
                   % account_id) == "0"


def test_admins_reasons_are_sealed_and_go_with_an_erasure(stack):
    """Issue 18: an admin's words about a professional (a question, an
    internal note, a legal hold's reference) stayed in clear in
    review_decisions, audit_log and accounts after the professional was
    erased. They are sealed with the account's data key: admins read them
    while it lives, nobody after its erasure; who, when and what stay."""
    pg, h = stack()
    _, admin_id, token = make_admin(h)
    account_id, email = make_flagged(h, pg)
    question, note, hold = "Which board, #q81#?", "confirmed by phone #n81#", "subpoena #h81#"
    assert decide(h, token, account_id, "request_info", question,
                  item(h, token, account_id).headers["etag"]).status == 200
    pro = login(h, email)
    r = h.api.request("GET", "/v1/me/review", headers=bearer(pro))
    assert r.json["question"] == question
    assert decide(h, token, account_id, "approve", note,
                  item(h, token, account_id).headers["etag"]).status == 200
    path, tmpl = "/v1/admin/accounts/%s/legal-hold" % account_id, \
        "/v1/admin/accounts/{id}/legal-hold"
    assert h.api.request("POST", path, body={"reason": hold}, headers=bearer(token),
                         template=tmpl).status == 200
    assert h.api.request("DELETE", path, headers=bearer(token), template=tmpl).status == 200
    # admins read them...
    assert [d["reason"] for d in item(h, token, account_id).json["decisions"]] == [question, note]
    reasons = [(e["action"], e["reason"]) for e in audit(h, token, "target=" + account_id)
               if e["action"] in ("review.decide", "legal_hold.set")]
    assert sorted(reasons) == sorted([("review.decide", question), ("review.decide", note),
                                      ("legal_hold.set", hold)])
    # ...but they are nowhere in clear
    for text in (question, note, hold):
        assert text not in pg.dump() and text.encode().hex() not in pg.dump()

    r = h.api.request("DELETE", "/v1/me", body={"password": PRO_PASSWORD}, headers=bearer(pro))
    assert r.status == 204, r.body
    # after the erasure nobody can: the trail keeps who, when and what
    r = item(h, token, account_id)
    assert [(d["decision"], d["reason"], d["admin_id"]) for d in r.json["decisions"]] == \
        [("request_info", None, admin_id), ("approve", None, admin_id)]
    rows = [(e["actor"], e["action"], e["reason"]) for e in audit(h, token, "target=" + account_id)
            if e["action"] in ("review.decide", "legal_hold.set", "legal_hold.lifted")]
    assert sorted(rows) == sorted([(admin_id, "review.decide", None)] * 2 +
                                  [(admin_id, "legal_hold.set", None),
                                   (admin_id, "legal_hold.lifted", None)])
    for text in (question, note, hold):
        assert text not in pg.dump()


def test_admin_page_is_served_strictly(hcpd):
    api = hcpd.api
    r = index = api.request("GET", "/admin/")
    assert r.status == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "connect-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert b"<script src=\"/admin/admin.js\"" in r.body and b"<script>" not in r.body
    assert b"<style" not in r.body and b" style=" not in r.body
    assert not re.search(rb"\son[a-z]+\s*=", r.body)
    for name, ctype in (("admin.js", "text/javascript; charset=utf-8"),
                        ("admin.css", "text/css; charset=utf-8"),
                        ("favicon.svg", "image/svg+xml"),
                        ("index.html", "text/html; charset=utf-8")):
        r = api.request("GET", "/admin/" + name, template="/admin/{file}")
        assert r.status == 200 and r.headers["content-type"] == ctype, name
        assert r.headers["content-security-policy"] == csp
        assert "set-cookie" not in r.headers
    for bad in ("/admin/../README.md", "/admin/%2e%2e%2fREADME.md", "/admin/nope.js",
                "/admin/admin.js/x", "/admin/.admin.js", "/admin/ADMIN.JS"):
        r = api.request("GET", bad, check=False)
        assert r.status == 404, bad
    bare = api.request("GET", "/admin")
    assert bare.status == 200 and bare.body == index.body


def test_a_set_admin_dir_must_hold_the_page(tmp_path):
    """A set but incomplete HCPD_ADMIN_DIR stops start-up, naming it and the file."""
    partial = tmp_path / "admin"
    partial.mkdir()
    (partial / "index.html").write_text("<!doctype html><title>x</title>")
    pg = Postgres()
    try:
        h = Hcpd(pg, str(tmp_path), {"HCPD_ADMIN_DIR": str(partial)})
        migrate(h)
        with pytest.raises(RuntimeError) as e:
            h.start()
        assert "HCPD_ADMIN_DIR" in str(e.value) and "admin.css" in str(e.value)
        h.log.close()
    finally:
        pg.destroy()
