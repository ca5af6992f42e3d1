"""Admin routes: 401 without a token, 403 for professionals; the
de-identified statistics never show a cell under 10."""

import uuid

from conftest import registration

ADMIN_PASSWORD = "correct horse battery staple admin"


def admin_token(h):
    email = "admin.%s@example.org" % uuid.uuid4().hex[:8]
    r = h.cli("admin", "create", "--email", email, input=ADMIN_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = h.api.request("POST", "/v1/sessions", body={"email": email, "password": ADMIN_PASSWORD})
    assert r.status == 200
    return r.json["access_token"]


def professional_token(h):
    email = "pro.%s@example.org" % uuid.uuid4().hex[:8]
    assert h.api.register(registration(email)).status == 202
    r = h.api.request("POST", "/v1/sessions",
                      body={"email": email, "password": "a long passphrase 2024"})
    return r.json["access_token"]


def test_admin_routes_need_an_admin(hcpd):
    r = hcpd.api.request("GET", "/v1/admin/stats?by=country")
    assert r.status == 401 and r.is_problem() and r.headers["www-authenticate"] == "Bearer"
    pro = professional_token(hcpd)
    r = hcpd.api.request("GET", "/v1/admin/stats?by=country",
                         headers={"Authorization": "Bearer " + pro})
    assert r.status == 403 and r.is_problem()
    admin = admin_token(hcpd)
    r = hcpd.api.request("GET", "/v1/admin/stats?by=country",
                         headers={"Authorization": "Bearer " + admin})
    assert r.status == 200


def test_stats_suppress_small_cells(stack):
    pg, h = stack()
    for i in range(12):
        assert h.api.register(registration("us%d@example.org" % i, specialty="cardiology")).status == 202
    for i in range(3):
        body = registration("gb%d@example.org" % i, country="GB", profession="nurse",
                            specialty="cardiology", nmc_pin="01A2345N")
        del body["profile"]["npi"], body["profile"]["license_region"]
        assert h.api.register(body).status == 202
    auth = {"Authorization": "Bearer " + admin_token(h)}
    r = h.api.request("GET", "/v1/admin/stats?by=country,profession", headers=auth,
                      template="/v1/admin/stats")
    assert r.status == 200
    assert r.json["cells"] == [{"country": "US", "profession": "physician", "count": 12}]
    assert "suppressed_cells" not in r.json and r.json["min_cell"] == 10
    # the 3 GB nurses are a group under 10: counted in no figure, so no
    # total gives them away (15 - 12 = 3)
    r = h.api.request("GET", "/v1/admin/stats?by=specialty", headers=auth,
                      template="/v1/admin/stats")
    assert r.json["cells"] == [{"specialty": "cardiology", "count": 12}]
    r = h.api.request("GET", "/v1/admin/stats", headers=auth)
    assert r.json["cells"] == [{"count": 12}]
    for bad in ("npi", "given_name", "country,country", "a,b,c,d", "nope", ","):
        r = h.api.request("GET", "/v1/admin/stats?by=" + bad, headers=auth,
                          template="/v1/admin/stats")
        assert r.status == 400 and r.is_problem(), bad
