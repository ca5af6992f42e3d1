"""De-identified statistics: whatever fields they are grouped by, no cell
of GET /v1/admin/stats ever counts fewer than 10 professionals, and no
small group can be recovered by subtracting released figures from each
other - across every grouping there is, not only within one reply. Small
groups exist in the data; an erased account still counts by its coarse
demographics (country, profession) only; every request is audited."""

import itertools
from collections import Counter

from conftest import registration
from privacy_helpers import PASSWORD, Pro, bearer
from reviewkit import make_admin

# every non-personal field of the catalogue: what `by` may name
FIELDS = ("country", "profession", "license_region", "specialty")
MIN_CELL = 10

# (country, profession, specialty, how many); US registrations carry
# license_region CA, the others none
GROUPS = [
    ("US", "physician", "cardiology", 12),
    ("US", "dentist", "cardiology", 3),     # US = 15 and US/physician = 12 must not give it away
    ("GB", "nurse", None, 10),
    ("GB", "nurse", "oncology", 6),         # GB/nurse is 21 people, but 16 of them
    ("GB", "nurse", "pediatrics", 5),       # are in groups too small to show
    ("SG", "midwife", "obstetrics", 1),
]


def register(api, email, country, profession, specialty=None):
    body = registration(email, country=country, profession=profession)
    if specialty is None:
        del body["profile"]["specialty"]
    else:
        body["profile"]["specialty"] = specialty
    if country != "US":
        del body["profile"]["npi"], body["profile"]["license_region"]
    if (country, profession) == ("GB", "nurse"):
        body["profile"]["nmc_pin"] = "01A2345N"  # the number GB nurses give (issue 19)
    assert api.register(body).status == 202


def groupings():
    for k in range(4):
        yield from itertools.combinations(FIELDS, k)


def released(api, auth, by, replies=None):
    path = "/v1/admin/stats" + ("?by=" + ",".join(by) if by else "")
    r = api.request("GET", path, headers=auth, template="/v1/admin/stats")
    assert r.status == 200, r.body
    assert r.json["by"] == list(by) and r.json["min_cell"] == MIN_CELL
    if replies is not None:
        replies.append(r.json)
    cells = {}
    for cell in r.json["cells"]:
        key = tuple(cell[f] for f in by)
        assert set(cell) == set(by) | {"count"} and key not in cells, r.json
        cells[key] = cell["count"]
    return cells


def test_no_small_cell_shown_or_derivable_from_any_groupings(stack):
    pg, h = stack()
    api = h.api
    people = []  # each professional's full non-personal profile
    for country, profession, specialty, n in GROUPS:
        for i in range(n):
            register(api, "%s.%s.%s.%d@example.org" % (country, profession, specialty, i),
                     country, profession, specialty)
            people.append({"country": country, "profession": profession,
                           "license_region": "CA" if country == "US" else None,
                           "specialty": specialty})
    # one more physician, then erased: counted by country and profession only
    erased = Pro(api, specialty="cardiology")
    erased.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    people.append({"country": "US", "profession": "physician", "license_region": None,
                   "specialty": None})
    _, admin_id, token = make_admin(h)
    auth = bearer(token)

    replies = []
    figures = {by: released(api, auth, by, replies) for by in groupings()}

    # no cell under 10, and no small group of the data ever shows
    for by, cells in figures.items():
        assert all(n >= MIN_CELL for n in cells.values()), (by, cells)
    assert not any("SG" in key or "dentist" in key for cells in figures.values()
                   for key in cells)

    # subtraction: a figure minus the released figures that refine it is
    # 0 or at least 10, for every pair of groupings one finer than the other
    for coarse, fine in itertools.permutations(figures, 2):
        if not set(coarse) < set(fine):
            continue
        for key, n in figures[coarse].items():
            parts = sum(m for k, m in figures[fine].items()
                        if all(k[fine.index(f)] == key[coarse.index(f)] for f in coarse))
            left = n - parts
            assert left == 0 or left >= MIN_CELL, (coarse, key, n, fine, parts)
    # nor does anything say how many small groups there are
    assert all(set(reply) == {"by", "min_cell", "cells"} for reply in replies)

    # the rule: count only the finest groups (the whole non-personal
    # profile) of at least 10, and add those up for every coarser figure
    finest = Counter(tuple(p[f] for f in FIELDS) for p in people)
    kept = {k: n for k, n in finest.items() if n >= MIN_CELL}
    for by, cells in figures.items():
        expect = Counter()
        for k, n in kept.items():
            expect[tuple(k[FIELDS.index(f)] for f in by)] += n
        assert cells == dict(expect), by
    # so the 15 US professionals show as the 12 physicians, in every grouping
    assert figures[("country",)] == {("US",): 12, ("GB",): 10}
    assert figures[("country", "profession")] == {("US", "physician"): 12, ("GB", "nurse"): 10}
    assert figures[()] == {(): 22}
    # the erased physician's specialty is gone, and their group is too small
    assert figures[("specialty",)] == {("cardiology",): 12, (None,): 10}
    # the order of by changes the columns, not the figures
    swapped = released(api, auth, ("specialty", "country"))
    assert {(k[1], k[0]): n for k, n in swapped.items()} == figures[("country", "specialty")]

    # each request is in the audit log: who, which grouping, no figures
    r = api.request("GET", "/v1/admin/audit?action=stats.view&actor=" + admin_id,
                    headers=auth, template="/v1/admin/audit")
    views = r.json["items"]
    assert len(views) == len(figures) + 1
    assert [v["details"] for v in reversed(views)] == \
        [{"by": list(by)} for by in figures] + [{"by": ["specialty", "country"]}]
    assert all(v["target"] is None and v["reason"] is None and v["request_id"] for v in views)
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'stats.view'") == \
        str(len(views))
