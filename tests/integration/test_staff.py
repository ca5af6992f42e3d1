"""Staff roles and their management (issue 21 item 4): hcpd admin
create --role / list / disable and /v1/admin/admins, least privilege for
reviewers and auditors, every change audited (actor "cli" from the
command line), and a disabled admin's token stopping at once."""

import json
import time
import uuid

from reviewkit import ADMIN_PASSWORD, bearer, login, unique_email


def cli_staff(h, role="admin"):
    email = unique_email(role)
    r = h.cli("admin", "create", "--email", email, "--role", role, input=ADMIN_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return email, r.stdout.strip()


def audit_rows(pg, action, target=None):
    where = "action = '%s'" % action + (" AND target = '%s'" % target if target else "")
    return pg.psql("SELECT actor || ' ' || coalesce(target, '-') || ' ' || details::text "
                   "FROM audit_log WHERE %s ORDER BY id" % where).splitlines()


def test_cli_manages_staff_and_is_audited(hcpd, pg):
    email, reviewer = cli_staff(hcpd, "reviewer")
    [row] = audit_rows(pg, "staff.create", reviewer)
    assert row.startswith("cli %s " % reviewer) and '"role": "reviewer"' in row
    r = hcpd.cli("admin", "list")
    assert r.returncode == 0, r.stderr
    listed = {s["id"]: s for s in json.loads(r.stdout)}
    assert listed[reviewer]["email"] == email and listed[reviewer]["role"] == "reviewer"
    assert listed[reviewer]["disabled"] is False and listed[reviewer]["totp"] is False
    assert audit_rows(pg, "staff.list")[-1].startswith("cli - ")
    for bad in (("--email", "x@example.org", "--role", "root"), ("--email", "not-an-email"),
                ("--role", "admin")):
        r = hcpd.cli("admin", "create", *bad, input=ADMIN_PASSWORD + "\n")
        assert r.returncode == 2, bad
    token = login(hcpd, email, ADMIN_PASSWORD)
    assert hcpd.api.request("GET", "/v1/admin/reviews", headers=bearer(token)).status == 200
    r = hcpd.cli("admin", "disable", reviewer)
    assert r.returncode == 0, r.stderr
    [row] = audit_rows(pg, "staff.disable", reviewer)
    assert row.startswith("cli %s" % reviewer)
    # the token of a disabled account stops working (the CLI is another
    # process: within the server's 500 ms memory of a live session), and
    # it signs in no more
    time.sleep(0.6)
    r = hcpd.api.request("GET", "/v1/admin/reviews", headers=bearer(token))
    assert r.status == 401 and r.is_problem()
    r = hcpd.api.request("POST", "/v1/sessions", body={"email": email,
                                                       "password": ADMIN_PASSWORD})
    assert r.status == 401
    assert hcpd.cli("admin", "disable", reviewer).returncode == 2
    assert hcpd.cli("admin", "disable", str(uuid.uuid4())).returncode == 2


def test_admins_manage_staff_over_the_api(hcpd, pg):
    email, admin = cli_staff(hcpd)
    token = login(hcpd, email, ADMIN_PASSWORD)
    new_email = unique_email("auditor")
    r = hcpd.api.request("POST", "/v1/admin/admins", headers=bearer(token),
                         body={"email": new_email, "role": "auditor",
                               "password": ADMIN_PASSWORD})
    assert r.status == 201, r.body
    auditor = r.json["id"]
    assert r.json["role"] == "auditor" and r.headers["location"].endswith(auditor)
    [row] = audit_rows(pg, "staff.create", auditor)
    assert row.startswith("%s %s" % (admin, auditor))
    r = hcpd.api.request("POST", "/v1/admin/admins", headers=bearer(token),
                         body={"email": new_email, "role": "auditor",
                               "password": ADMIN_PASSWORD})
    assert r.status == 409 and r.is_problem()
    for body in ({"email": "x", "role": "auditor", "password": ADMIN_PASSWORD},
                 {"email": unique_email("x"), "role": "root", "password": ADMIN_PASSWORD},
                 {"email": unique_email("x"), "role": "admin", "password": "short"}):
        r = hcpd.api.request("POST", "/v1/admin/admins", headers=bearer(token), body=body)
        assert r.status == 422 and r.is_problem(), body
    items = hcpd.api.request("GET", "/v1/admin/admins", headers=bearer(token)).json["items"]
    assert {"id": auditor, "email": new_email, "role": "auditor"}.items() <= \
        [i for i in items if i["id"] == auditor][0].items()
    auditor_token = login(hcpd, new_email, ADMIN_PASSWORD)
    r = hcpd.api.request("POST", "/v1/admin/admins/%s/disable" % admin,
                         headers=bearer(token), template="/v1/admin/admins/{id}/disable")
    assert r.status == 409  # not yourself
    r = hcpd.api.request("POST", "/v1/admin/admins/%s/disable" % auditor,
                         headers=bearer(token), template="/v1/admin/admins/{id}/disable")
    assert r.status == 200 and r.json == {"id": auditor, "disabled": True}
    assert audit_rows(pg, "staff.disable", auditor)[0].startswith("%s %s" % (admin, auditor))
    r = hcpd.api.request("GET", "/v1/admin/audit", headers=bearer(auditor_token))
    assert r.status == 401


def test_reviewers_and_auditors_have_least_privilege(hcpd):
    tokens = {role: login(hcpd, cli_staff(hcpd, role)[0], ADMIN_PASSWORD)
              for role in ("reviewer", "auditor")}
    some_id = str(uuid.uuid4())
    reviewer_denied = [("GET", "/v1/admin/admins", None), ("POST", "/v1/admin/admins", {}),
                       ("POST", "/v1/admin/admins/%s/disable" % some_id, None),
                       ("POST", "/v1/admin/disclosures", {}),
                       ("GET", "/v1/admin/disclosures", None), ("GET", "/v1/admin/audit", None),
                       ("GET", "/v1/admin/stats", None)]
    for method, path, body in reviewer_denied:
        r = hcpd.api.request(method, path, body=body, headers=bearer(tokens["reviewer"]),
                             check=False)
        assert r.status == 403 and r.is_problem(), (method, path, r.status)
    for method, path in (("GET", "/v1/admin/reviews"), ("GET", "/v1/admin/reviews/" + some_id)):
        r = hcpd.api.request(method, path, headers=bearer(tokens["reviewer"]), check=False)
        assert r.status in (200, 404), (method, path, r.status)
    # an auditor reads the records and changes nothing
    for path in ("/v1/admin/audit", "/v1/admin/disclosures", "/v1/admin/stats"):
        r = hcpd.api.request("GET", path, headers=bearer(tokens["auditor"]), check=False)
        assert r.status in (200, 400), (path, r.status)
    auditor_denied = [("GET", "/v1/admin/reviews", None),
                      ("POST", "/v1/admin/reviews/%s/decision" % some_id, {}),
                      ("POST", "/v1/admin/accounts/%s/legal-hold" % some_id, {}),
                      ("DELETE", "/v1/admin/accounts/%s/legal-hold" % some_id, None),
                      ("POST", "/v1/admin/disclosures", {}),
                      ("POST", "/v1/admin/admins", {})]
    for method, path, body in auditor_denied:
        r = hcpd.api.request(method, path, body=body, headers=bearer(tokens["auditor"]),
                             check=False)
        assert r.status == 403 and r.is_problem(), (method, path, r.status)
