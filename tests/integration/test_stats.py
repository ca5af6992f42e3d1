"""De-identified statistics: whatever fields they are grouped by, no cell
of GET /v1/admin/stats ever counts fewer than 10 professionals - small
groups exist in the data and are suppressed - and an erased account still
counts by its coarse demographics (country, profession) only."""

import itertools

from conftest import registration
from privacy_helpers import PASSWORD, Pro, bearer
from test_admin import admin_token

FIELDS = ("country", "profession", "specialty")


def register(api, email, country, profession, specialty=None):
    body = registration(email, country=country, profession=profession)
    if specialty is None:
        del body["profile"]["specialty"]
    else:
        body["profile"]["specialty"] = specialty
    if country != "US":
        del body["profile"]["npi"], body["profile"]["license_region"]
    assert api.register(body).status == 202


def test_no_cell_under_10_for_any_grouping(stack):
    pg, h = stack()
    api = h.api
    groups = [("US", "physician", "cardiology", 11), ("GB", "nurse", None, 10),
              ("US", "dentist", "cardiology", 3), ("SG", "midwife", "obstetrics", 1)]
    for country, profession, specialty, n in groups:
        for i in range(n):
            register(api, "%s.%s.%d@example.org" % (country, profession, i), country,
                     profession, specialty)
    # one more physician, then erased: counted by country and profession only
    erased = Pro(api, specialty="cardiology")
    erased.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    auth = bearer(admin_token(h))

    suppressed_somewhere = False
    for k in range(len(FIELDS) + 1):
        for by in itertools.permutations(FIELDS, k):
            path = "/v1/admin/stats" + ("?by=" + ",".join(by) if by else "")
            r = api.request("GET", path, headers=auth, template="/v1/admin/stats")
            assert r.status == 200, r.body
            counts = [cell["count"] for cell in r.json["cells"]]
            assert all(c >= 10 for c in counts), (by, r.json)
            suppressed_somewhere |= r.json["suppressed_cells"] > 0
    assert suppressed_somewhere

    def cells(by):
        r = api.request("GET", "/v1/admin/stats?by=" + by, headers=auth,
                        template="/v1/admin/stats")
        return {tuple(c[f] for f in by.split(",")): c["count"] for c in r.json["cells"]}

    assert cells("country") == {("GB",): 10, ("US",): 15}  # SG (1) suppressed
    assert cells("country,profession") == {("GB", "nurse"): 10, ("US", "physician"): 12}
    # the erased physician's specialty is gone: 11 + 3 cardiologists, not 15
    assert cells("specialty") == {("cardiology",): 14, (None,): 11}
