"""Service credentials (issue 25 item 2): admins (and `hcpd client ...`)
create, list and revoke machine clients, audited; a client calls the routes
of its role with its API key, stored only as a hash; a revoked key stops at
once; a session's token does not open a client route, nor a key a
professional's or an admin's."""

import json
import re

from privacy_helpers import Pro, bearer
from test_admin import admin_token

CLIENTS = "/v1/admin/clients"


def whoami(h, key):
    return h.api.request("GET", "/v1/client", headers=bearer(key) if key else {})


def test_clients_created_listed_revoked_and_audited(stack):
    pg, h = stack()
    admin = admin_token(h)
    r = h.api.request("POST", CLIENTS, body={"name": "mailer-co", "role": "marketing_sender"},
                      headers=bearer(admin))
    assert r.status == 201, r.body
    client, key = r.json["id"], r.json["key"]
    assert re.fullmatch(r"hcpd_%s_[A-Za-z0-9_-]{43}" % client, key)
    # only the SHA-256 of the secret is kept
    # the secret (base64url: it may hold "_" itself) is nowhere in the database
    assert key[len("hcpd_%s_" % client):] not in pg.dump()
    assert whoami(h, key).json == {"id": client, "name": "mailer-co", "role": "marketing_sender"}

    # from the command line too
    r = h.cli("client", "create", "--name", "cme-platform", "--role", "activity_system")
    assert r.returncode == 0, r.stderr
    cme = json.loads(r.stdout)
    assert whoami(h, cme["key"]).json["role"] == "activity_system"
    assert h.cli("client", "create", "--name", "x", "--role", "admin").returncode == 2
    assert h.cli("client", "create", "--name", "mailer-co", "--role",
                 "activity_system").returncode == 2  # the name is taken

    listed = h.api.request("GET", CLIENTS, headers=bearer(admin)).json["items"]
    assert [(c["name"], c["role"], c["revoked_at"]) for c in listed] == [
        ("cme-platform", "activity_system", None), ("mailer-co", "marketing_sender", None)]
    assert "key" not in json.dumps(listed)
    assert len(json.loads(h.cli("client", "list").stdout)) == 2

    # revoked: the next request fails, whichever process revoked it
    r = h.api.request("POST", "%s/%s/revoke" % (CLIENTS, client), headers=bearer(admin),
                      template="/v1/admin/clients/{id}/revoke")
    assert r.status == 200 and r.json == {"id": client, "revoked": True}
    assert whoami(h, key).status == 401
    assert h.api.request("POST", "%s/%s/revoke" % (CLIENTS, client), headers=bearer(admin),
                         template="/v1/admin/clients/{id}/revoke").status == 409
    assert h.cli("client", "revoke", cme["id"]).returncode == 0
    assert whoami(h, cme["key"]).status == 401
    assert h.cli("client", "revoke", cme["id"]).returncode == 2

    actions = pg.psql("SELECT action || ' ' || actor FROM audit_log WHERE action LIKE "
                      "'client.%' ORDER BY id").splitlines()
    assert [a.split()[0] for a in actions] == [
        "client.created", "client.created", "client.list", "client.list", "client.revoked",
        "client.revoked"]
    assert [a.split()[1] for a in actions].count("cli") == 3


def test_a_key_opens_only_its_own_routes(stack):
    pg, h = stack()
    admin = admin_token(h)
    key = h.api.request("POST", CLIENTS, body={"name": "sender", "role": "marketing_sender"},
                        headers=bearer(admin)).json["key"]
    pro = Pro(h.api)
    # no key, a wrong one, a malformed one: 401; a session's token: 403
    assert whoami(h, None).status == 401
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert whoami(h, wrong).status == 401
    assert whoami(h, "hcpd_nonsense").status == 401
    assert whoami(h, pro.access).status == 403 and whoami(h, admin).status == 403
    # a key is no session: it opens neither a professional's nor an admin's routes
    assert h.api.request("GET", "/v1/me", headers=bearer(key)).status == 401
    assert h.api.request("GET", CLIENTS, headers=bearer(key)).status == 401
    # bad input to the admin API
    for body in ({"name": "Bad Name", "role": "marketing_sender"},
                 {"name": "ok", "role": "admin"}, {"name": "ok"}):
        r = h.api.request("POST", CLIENTS, body=body, headers=bearer(admin))
        assert r.status in (400, 422) and r.is_problem(), body
    r = h.api.request("POST", CLIENTS + "/not-a-uuid/revoke", headers=bearer(admin),
                      template="/v1/admin/clients/{id}/revoke")
    assert r.status == 404
