"""Activities and enrolment (issue 25 item 1) against the real server and
database: the enrolment preview is, field for field, what the sponsor and
the accreditor then receive at a local receiver (which checks each
release's signature as test_webhooks does) and what the ledger records;
a withdrawn enrolment releases nothing more, its pending releases are
cancelled; only the activity's own system reports completion; a bad
activities file stops start-up naming the JSON path; migration 0024
retires the standing cme_sponsor_sharing consent with a history row."""

import base64
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import HCPD_BIN, ROOT, free_port, migrate, until
from privacy_helpers import PASSWORD, Pro, bearer
from test_admin import admin_token
from test_db_outage import pool_gauges, pool_idle
from test_ledger import export
from test_webhooks import signature_ok

MODULE = "example-cme-module"
SPONSOR, ACCREDITOR = "example-cme-sponsor", "example-accreditor"
PREVIEW = "/v1/activities/%s/enrolment-preview"


class Receiver:
    """Releases POSTed to /<recipient>: each signature checked with the
    recipient's secret (set once hcpd can print it), the first `fail`
    answered 500, the rest kept; each answered `hold` seconds after it
    arrived (counted in `arrived`)."""

    def __init__(self):
        self.keys, self.fail, self.hold, self.arrived = {}, 0, 0, 0
        self.lock = threading.Lock()
        self.got, self.bad = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.arrived += 1
                time.sleep(receiver.hold)
                self.send_response(receiver.take(self.path.strip("/"), self.headers, body))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, recipient, headers, body):
        key = self.keys.get(recipient)
        with self.lock:
            if key is None or not signature_ok(key, headers, body):
                self.bad.append(recipient)
                return 401
            if self.fail > 0:
                self.fail -= 1
                return 500
            self.got.append((recipient, json.loads(body)))
            return 204

    def wait(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.got) >= count:
                    return list(self.got)
            time.sleep(0.1)
        raise AssertionError("%d of %d releases: %r" % (len(self.got), count, self.got))


def activities_file(tmp_path, port, **change):
    with open(os.path.join(ROOT, "services", "activities.json")) as f:
        doc = json.load(f)
    a = doc["activities"][0]
    a["sponsor"]["url"] = "http://127.0.0.1:%d/%s" % (port, SPONSOR)
    a["accreditors"][0]["url"] = "http://127.0.0.1:%d/%s" % (port, ACCREDITOR)
    a.update(change)
    path = os.path.join(str(tmp_path), "activities.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def world(stack, tmp_path):
    receiver = Receiver()
    pg, h = stack({"HCPD_ACTIVITIES_FILE": activities_file(tmp_path, receiver.port)})
    for name in (SPONSOR, ACCREDITOR):
        r = h.cli("activity", "secret", name)
        assert r.returncode == 0, r.stderr
        receiver.keys[name] = base64.b64decode(r.stdout.strip()[len("whsec_"):])
    return pg, h, receiver


def client(h, name="cme-platform", role="activity_system"):
    r = h.cli("client", "create", "--name", name, "--role", role)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["key"]


def complete(h, key, enrolment, activity=MODULE):
    return h.api.request("POST", "/v1/activities/%s/completions" % activity,
                         body={"enrolment": enrolment, "status": "completed"},
                         headers=bearer(key), template="/v1/activities/{id}/completions")


def enrol(pro, activity=MODULE, expect=201):
    return pro.call("POST", "/v1/me/enrolments", {"activity": activity}, expect=expect)


def ledger(pg, subject):
    return json.loads(pg.psql(
        "SELECT coalesce(json_agg(json_build_object('recipient', recipient, 'fields', fields, "
        "'purpose', purpose, 'id', id) ORDER BY id), '[]') FROM disclosures "
        "WHERE subject = '%s'" % subject))


def releases(h, admin, **query):
    """The items of GET /v1/admin/releases with query (one page)."""
    r = h.api.request("GET", "/v1/admin/releases?" + urllib.parse.urlencode(query),
                      headers=bearer(admin), template="/v1/admin/releases")
    assert r.status == 200, r.body
    return r.json["items"]


def test_the_preview_is_what_the_recipients_get_and_what_the_ledger_holds(stack, tmp_path):
    pg, h, receiver = world(stack, tmp_path)
    key = client(h)
    pro = Pro(h.api, workplace="Clinic Zeta, 9 Rue Canary, Lyon")
    no_workplace = Pro(h.api)

    r = pro.call("GET", PREVIEW % MODULE, expect=200, template=PREVIEW % "{id}")
    assert r.json["activity"] == {"id": MODULE, "kind": "cme_module",
                                  "title": "Example sponsored CME module (sample activity)"}
    preview = {p["recipient"]: p for p in r.json["recipients"]}
    assert [p["role"] for p in r.json["recipients"]] == ["sponsor", "accreditor"]
    assert preview[SPONSOR]["fields"] == ["given_name", "family_name", "email", "workplace",
                                          "license_number", "completion_status"]
    assert preview[ACCREDITOR]["fields"] == ["given_name", "family_name", "license_number",
                                             "license_region", "completion_status"]
    assert preview[SPONSOR]["when"] == "on_completion"
    assert preview[SPONSOR]["recipient_country"] == "US"
    assert preview[SPONSOR]["terms"]["purpose"] == "cme_sponsorship"
    assert preview[ACCREDITOR]["terms"]["legal_basis"] == "legal_obligation"
    # only the fields this account holds a value for
    other = no_workplace.call("GET", PREVIEW % MODULE, expect=200, template=PREVIEW % "{id}")
    assert "workplace" not in other.json["recipients"][0]["fields"]
    assert pro.call("GET", PREVIEW % "no-such-module", template=PREVIEW % "{id}").status == 404

    item = enrol(pro).json
    assert item["activity"] == MODULE and item["status"] == "enrolled"
    assert item["notice_version"] and item["enrolled_at"]
    assert enrol(pro, expect=409).json["type"] == "urn:hcpd:problem:already-enrolled"
    listed = pro.call("GET", "/v1/me/enrolments", expect=200).json["items"]
    assert [e["id"] for e in listed] == [item["id"]]

    r = complete(h, key, item["id"])
    assert r.status == 202, r.body
    assert r.json["releases"] == [
        {"recipient": SPONSOR, "role": "sponsor", "rule": "allowed"},
        {"recipient": ACCREDITOR, "role": "accreditor", "rule": "allowed"}]
    assert "Zeta" not in r.body.decode()
    got = dict(receiver.wait(2))
    assert receiver.bad == []
    rows = {row["recipient"]: row for row in ledger(pg, pro.id)}
    for name in (SPONSOR, ACCREDITOR):
        # the preview, what the recipient received and the ledger row: one list
        assert sorted(got[name]["fields"]) == sorted(preview[name]["fields"])
        assert rows[name]["fields"] == preview[name]["fields"]
        assert rows[name]["purpose"] == preview[name]["terms"]["purpose"]
        assert got[name]["disclosure_id"] == rows[name]["id"]
        assert got[name]["enrolment"] == item["id"] and got[name]["activity"] == MODULE
        assert got[name]["fields"]["completion_status"] == "completed"
        assert got[name]["type"] == "activity.completion"
    assert got[SPONSOR]["fields"]["workplace"] == "Clinic Zeta, 9 Rue Canary, Lyon"
    assert got[SPONSOR]["fields"]["email"] == pro.email
    # a second report of the same completion releases nothing more
    assert complete(h, key, item["id"]).status == 409
    time.sleep(1.5)
    assert len(receiver.got) == 2 and len(ledger(pg, pro.id)) == 2
    # each recorded as delivered at its first attempt
    assert pg.psql("SELECT count(*) FROM activity_releases WHERE delivered_at IS NOT NULL "
                   "AND attempts = 0") == "2"
    # the export (right of access) shows the enrolment and what it released
    export_doc = pro.call("GET", "/v1/me/export", expect=200).json
    assert [e["status"] for e in export_doc["enrolments"]] == ["completed"]
    assert export_doc["enrolments"][0]["recipients"][0]["fields"] == preview[SPONSOR]["fields"]
    audit = pg.psql("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log "
                    "WHERE action LIKE 'enrolment.%'")
    assert audit == "enrolment.created,enrolment.completed"


def test_a_withdrawn_enrolment_releases_nothing_more(stack, tmp_path):
    pg, h, receiver = world(stack, tmp_path)
    key = client(h)
    admin = admin_token(h)

    # withdrawn before completion: the completion is refused, nothing goes
    pro = Pro(h.api)
    first = enrol(pro).json
    assert export(h, admin, SPONSOR, "cme_sponsorship", ["given_name"],
                  [pro.id])["disclosed"] != []
    pro.call("DELETE", "/v1/me/enrolments/%s" % first["id"], expect=204,
             template="/v1/me/enrolments/{id}")
    assert pro.call("DELETE", "/v1/me/enrolments/%s" % first["id"],
                    template="/v1/me/enrolments/{id}").status == 409
    assert complete(h, key, first["id"]).status == 409
    assert export(h, admin, SPONSOR, "cme_sponsorship", ["given_name"],
                  [pro.id])["refused"] == [{"account": pro.id, "rule": "not_enrolled"}]
    items = pro.call("GET", "/v1/me/enrolments", expect=200).json["items"]
    assert items[0]["status"] == "withdrawn" and items[0]["withdrawn_at"]
    # enrolling again is a new enrolment, a new consent
    again = enrol(pro).json
    assert again["id"] != first["id"]

    # withdrawn while the releases wait for a receiver that fails: cancelled
    receiver.fail = 1000
    late = Pro(h.api)
    e = enrol(late).json
    assert complete(h, key, e["id"]).status == 202
    deadline = time.time() + 20
    while time.time() < deadline and pg.psql(
            "SELECT count(*) FROM activity_releases WHERE attempts > 0") == "0":
        time.sleep(0.2)
    assert pg.psql("SELECT count(*) FROM activity_releases WHERE attempts > 0") != "0"
    late.call("DELETE", "/v1/me/enrolments/%s" % e["id"], expect=204,
              template="/v1/me/enrolments/{id}")
    receiver.fail = 0
    pg.psql("UPDATE activity_releases SET next_attempt_at = now()")
    time.sleep(3)
    assert receiver.got == []
    assert pg.psql("SELECT string_agg(DISTINCT last_error, ',') FROM activity_releases "
                   "WHERE cancelled_at IS NOT NULL") == "withdrawn"
    cancelled = releases(h, admin, state="cancelled")
    assert {(x["account_id"], x["last_error"]) for x in cancelled} == {(late.id, "withdrawn")}
    assert len(cancelled) == 2 and all(x["ended_at"] for x in cancelled)
    # a never-enrolled account: no enrolment, no release, refused by name
    never = Pro(h.api)
    assert export(h, admin, SPONSOR, "cme_sponsorship", ["given_name"],
                  [never.id])["refused"] == [{"account": never.id, "rule": "not_enrolled"}]
    # a field the activity does not list for the sponsor: refused too
    assert export(h, admin, SPONSOR, "cme_sponsorship", ["specialty"],
                  [pro.id])["refused"] == [{"account": pro.id, "rule": "not_enrolled"}]


def test_only_the_activitys_own_system_reports_completion(stack, tmp_path):
    pg, h, receiver = world(stack, tmp_path)
    own = client(h)
    other = client(h, "other-platform")
    mailer = client(h, "mail-processor", "marketing_sender")
    pro = Pro(h.api)
    e = enrol(pro).json

    r = complete(h, other, e["id"])
    assert r.status == 403 and r.is_problem()
    assert complete(h, mailer, e["id"]).status == 403
    assert complete(h, pro.access, e["id"]).status in (401, 403)
    assert complete(h, own, "00000000-0000-4000-8000-000000000000").status == 404
    assert complete(h, own, e["id"], activity="no-such-module").status == 404
    r = h.api.request("POST", "/v1/activities/%s/completions" % MODULE,
                      body={"enrolment": e["id"], "status": "started"}, headers=bearer(own),
                      template="/v1/activities/{id}/completions")
    assert r.status == 422
    r = h.api.request("POST", "/v1/activities/%s/completions" % MODULE,
                      body={"enrolment": e["id"], "status": "completed", "score": 3},
                      headers=bearer(own), template="/v1/activities/{id}/completions")
    assert r.status == 422
    assert pg.psql("SELECT count(*) FROM disclosures") == "0"
    assert complete(h, own, e["id"]).status == 202


def test_enrolment_waits_for_the_notice_and_a_lifted_restriction(stack, tmp_path):
    pg, h, receiver = world(stack, tmp_path)
    pro = Pro(h.api)
    pro.call("POST", "/v1/me/restriction", expect=200)
    assert enrol(pro, expect=409).json["type"] == "urn:hcpd:problem:processing-restricted"
    pro.call("DELETE", "/v1/me/restriction", expect=200)
    pg.psql("UPDATE accounts SET notice_version = 'older' WHERE id = '%s'" % pro.id)
    r = enrol(pro, expect=409)
    assert r.json["type"] == "urn:hcpd:problem:notice-acceptance-required"
    assert pro.call("POST", "/v1/me/enrolments", {"activity": "no-such-module"}).status == 422
    assert pro.call("POST", "/v1/me/enrolments", {"activity": MODULE, "x": 1}).status == 422
    assert pg.psql("SELECT count(*) FROM enrolments") == "0"


def test_a_notice_changed_after_enrolment_does_not_hold_the_release(stack, tmp_path):
    """The enrolment is the consent, under the notice it records: a notice
    version published between enrolment and completion (not yet accepted)
    does not refuse the release, which would be lost for good."""
    pg, h, receiver = world(stack, tmp_path)
    key = client(h)
    pro = Pro(h.api)
    e = enrol(pro).json
    pg.psql("UPDATE accounts SET notice_version = 'older' WHERE id = '%s'" % pro.id)
    r = complete(h, key, e["id"])
    assert r.status == 202, r.body
    assert {x["recipient"]: x["rule"] for x in r.json["releases"]} == \
        {SPONSOR: "allowed", ACCREDITOR: "allowed"}
    assert sorted(rec for rec, _ in receiver.wait(2)) == [ACCREDITOR, SPONSOR]


def test_a_slow_recipient_holds_no_database_connection(stack, tmp_path):
    """The POST to a recipient may last its whole timeout: the sender gives
    its pooled connection back for it (a slow sponsor must not take one
    from the API for that long), then records the delivery."""
    pg, h, receiver = world(stack, tmp_path)
    receiver.hold = 3
    e = enrol(Pro(h.api)).json
    assert complete(h, client(h), e["id"]).status == 202
    deadline = time.time() + 10
    while receiver.arrived == 0:
        assert time.time() < deadline, "no release arrived"
        time.sleep(0.05)
    # while the receiver holds the POST, nothing stays lent out (pool_idle: other
    # background work borrows a connection for a moment now and then)
    assert pool_idle(h.metrics, 2.5), pool_gauges(h.metrics)
    assert receiver.arrived == 1 and not receiver.got
    receiver.wait(2)
    assert pg.psql("SELECT count(*) FROM activity_releases WHERE delivered_at IS NOT NULL") == "2"


def test_a_bad_activities_file_stops_start_up_naming_the_path(stack, tmp_path):
    pg, h = stack()
    with open(os.path.join(ROOT, "services", "activities.json")) as f:
        doc = json.load(f)

    def serve_with(mutate):
        d = json.loads(json.dumps(doc))
        mutate(d["activities"][0])
        path = os.path.join(str(tmp_path), "bad-activities.json")
        with open(path, "w") as f:
            json.dump(d, f)
        env = dict(h.env, HCPD_ACTIVITIES_FILE=path, HCPD_LISTEN="127.0.0.1:1")
        r = subprocess.run([HCPD_BIN, "serve"], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 2 and path in r.stderr, r.stderr
        return r.stderr

    def field(a):
        a["sponsor"]["fields"].append("npi")  # not in the sponsor's terms

    def kind(a):
        a["accreditors"][0]["recipient"] = SPONSOR  # a cme_sponsor, not an accreditor

    assert "activities[0].sponsor.fields[5]" in serve_with(field)
    assert "activities[0].accreditors[0].recipient" in serve_with(kind)
    assert "activities[0].colour" in serve_with(lambda a: a.update(colour="red"))
    assert "activities[0].sponsor.url" in serve_with(
        lambda a: a["sponsor"].update(url="http://sponsor.example/releases"))
    assert "activities[0].sponsor.recipient" in serve_with(
        lambda a: a["sponsor"].update(recipient="nobody"))


def test_migration_0024_retires_the_standing_consent(stack, tmp_path):
    old = os.path.join(str(tmp_path), "migrations")
    os.makedirs(old)
    for name in sorted(os.listdir(os.path.join(ROOT, "db", "migrations"))):
        if name < "0024":
            shutil.copy(os.path.join(ROOT, "db", "migrations", name), old)
    pg, h = stack({"HCPD_MIGRATIONS_DIR": old})
    granted, withdrawn, never = Pro(h.api), Pro(h.api), Pro(h.api)
    for pro, states in ((granted, ["true"]), (withdrawn, ["true", "false"])):
        for state in states:
            pg.psql("INSERT INTO consents (account_id, purpose, granted, source, notice_version) "
                    "VALUES ('%s', 'cme_sponsor_sharing', %s, 'self_service', 'v0')"
                    % (pro.id, state))
    shutil.copy(os.path.join(ROOT, "db", "migrations", "0024_enrolments.sql"), old)
    h.stop()
    migrate(h)
    h.start()

    def history(pro):
        pro.access, pro.refresh = pro.login()
        r = pro.call("GET", "/v1/me/consents", expect=200).json
        assert "cme_sponsor_sharing" not in r["consents"]  # no longer offered
        return [x for x in r["history"] if x["purpose"] == "cme_sponsor_sharing"]

    last = history(granted)[-1]
    assert last["granted"] is False and last["source"] == "migration"
    assert last["reason"] == "replaced by per-activity enrolment"
    assert [x["source"] for x in history(withdrawn)] == ["self_service", "self_service"]
    assert history(never) == []
    # no silent conversion into enrolments
    assert pg.psql("SELECT count(*) FROM enrolments") == "0"
    # the export still shows the history
    doc = granted.call("GET", "/v1/me/export", expect=200).json
    assert doc["consent_history"][-1]["reason"] == "replaced by per-activity enrolment"
    assert doc["enrolments"] == []
    # a change naming it: 422, named as retired
    r = granted.call("PUT", "/v1/me/consents", {"cme_sponsor_sharing": True}, expect=422)
    assert [e["code"] for e in r.json["errors"]] == ["retired"]


def test_erasure_ends_enrolments(stack, tmp_path):
    pg, h, receiver = world(stack, tmp_path)
    pro = Pro(h.api)
    enrol(pro)
    pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert pg.psql("SELECT status FROM enrolments WHERE account_id = '%s'" % pro.id) == "withdrawn"


def test_a_suspended_recipient_gets_no_release_even_one_queued(stack, tmp_path):
    pg, h, receiver = world(stack, tmp_path)
    key = client(h)
    admin = admin_token(h)
    r = h.cli("recipient", "suspend", SPONSOR, "--reason", "sent to the wrong list")
    assert r.returncode == 0, r.stderr

    # suspended at completion: the gate refuses the sponsor, the accreditor gets its release
    first = Pro(h.api)
    r = complete(h, key, enrol(first).json["id"])
    assert [x["rule"] for x in r.json["releases"]] == ["recipient_suspended", "allowed"]
    assert [name for name, _ in receiver.wait(1)] == [ACCREDITOR]

    # suspended after the release was queued: held, sent once resumed
    assert h.cli("recipient", "resume", SPONSOR).returncode == 0
    receiver.fail = 1000
    second = Pro(h.api)
    r = complete(h, key, enrol(second).json["id"])
    assert [x["rule"] for x in r.json["releases"]] == ["allowed", "allowed"]
    assert h.cli("recipient", "suspend", SPONSOR, "--reason", "again").returncode == 0
    receiver.fail = 0
    pg.psql("UPDATE activity_releases SET next_attempt_at = now()")
    got = receiver.wait(2)
    time.sleep(2)
    assert [name for name, _ in receiver.got] == [ACCREDITOR, ACCREDITOR]
    # owed, and the operator sees it
    text = h.metrics.request("GET", "/metrics").body.decode()
    assert 'hcpd_deliveries{kind="release",to="%s",state="pending"} 1' % SPONSOR in text
    assert 'to="%s"' % ACCREDITOR not in text  # both delivered
    # and so does an admin, release by release: names and ids, never a value
    held = releases(h, admin, recipient=SPONSOR, state="pending")
    assert [(x["enrolment"], x["account_id"], x["state"]) for x in held] == [
        (r.json["enrolment"], second.id, "pending")]
    row = [x for x in ledger(pg, second.id) if x["id"] == held[0]["disclosure_id"]]
    assert row[0]["recipient"] == SPONSOR and held[0]["fields"] == row[0]["fields"]
    assert "email" in held[0]["fields"]
    assert held[0]["next_attempt_at"] and held[0]["ended_at"] is None
    sent = releases(h, admin, recipient=ACCREDITOR)
    assert [(x["account_id"], x["state"]) for x in sent] == [(second.id, "delivered"),
                                                             (first.id, "delivered")]
    assert sent[0]["ended_at"] and sent[0]["next_attempt_at"] is None
    assert second.email not in json.dumps(held + sent)
    page = h.api.request("GET", "/v1/admin/releases?limit=1", headers=bearer(admin),
                         template="/v1/admin/releases").json
    newest = max(x["id"] for x in held + sent)
    assert [x["id"] for x in page["items"]] == [newest] and page["next_cursor"]
    page = h.api.request("GET", "/v1/admin/releases?cursor=" + page["next_cursor"],
                         headers=bearer(admin), template="/v1/admin/releases").json
    assert [x["id"] for x in page["items"]] == sorted(
        (x["id"] for x in held + sent if x["id"] < newest), reverse=True)
    for query in ("state=sent", "recipient=No%20Such", "colour=red", "limit=0"):
        bad = h.api.request("GET", "/v1/admin/releases?" + query, headers=bearer(admin),
                            template="/v1/admin/releases")
        assert bad.status == 400, query
    assert pg.psql("SELECT details->>'recipient' FROM audit_log WHERE action = "
                   "'releases.view' ORDER BY id LIMIT 1") == SPONSOR
    assert h.api.request("DELETE", "/v1/admin/recipients/%s/suspension" % SPONSOR,
                         headers=bearer(admin),
                         template="/v1/admin/recipients/{name}/suspension").status == 200
    pg.psql("UPDATE activity_releases SET next_attempt_at = now()")
    got = receiver.wait(3)
    assert got[-1][0] == SPONSOR and got[-1][1]["enrolment"] == r.json["enrolment"]
    until(lambda: releases(h, admin, state="pending") == [], "the release was not recorded")
    assert [x["state"] for x in releases(h, admin, recipient=SPONSOR)] == ["delivered"]
