"""OWASP ASVS 4.0.3 level-2 checks against the real server, one test per
requirement group; each test's name and docstring give the requirement ids.

Access control is not a hand-written list: every operation of openapi.yaml
is probed as an anonymous caller, professional A, professional B, an
admin, a reviewer and an auditor, and the expected answer is derived from the operation's `security`
and its `x-hcpd-role` extension (see the top of openapi.yaml). Routes other
engineers add are covered as soon as they are documented; an operation the
test cannot classify fails it, and so does a row of services/routes.c that
disagrees with the document.
"""

import base64
import json
import os
import re
import statistics
import time
import uuid

import pytest

import openapi_check
from conftest import ROOT, registration
from test_email import start_sink, token_of

PASSWORD = "a long passphrase 2024"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def unique(tag):
    return "%s.%s@example.org" % (tag, uuid.uuid4().hex[:10])


def bearer(token):
    return {"Authorization": "Bearer " + token}


def login(api, email, password=PASSWORD, expect=200):
    r = api.request("POST", "/v1/sessions", body={"email": email, "password": password})
    assert r.status == expect, (email, r.status, r.body)
    return r.json


def signed_up(api, tag, password=PASSWORD, **profile):
    """A new professional: (email, account id)."""
    email = unique(tag)
    body = registration(email, **profile)
    body["password"] = password
    r = api.register(body)
    assert r.status == 202, r.body
    return email, r.json["id"]


def strip_id(reply):
    return {k: v for k, v in reply.json.items() if k not in ("id", "request_id")}


def interleaved_medians(rounds, *fns):
    """The median time of each fn(i), the fns called in turn round after
    round, so that a burst of other work on the machine (the suite runs
    in parallel) falls on all of them alike."""
    times = [[] for _ in fns]
    for i in range(rounds):
        for fn, t in zip(fns, times):
            t0 = time.perf_counter()
            fn(i)
            t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def assert_similar_timing(fn_a, fn_b):
    """fn_b's median time within 0.6x-1.6x of fn_a's. Measured up to three
    times: a real difference (a step skipped for one kind) shows in every
    measurement, a burst of the parallel suite's work in one at most."""
    seen = []
    for attempt in range(3):
        t_a, t_b = interleaved_medians(7, lambda i: fn_a(7 * attempt + i),
                                       lambda i: fn_b(7 * attempt + i))
        seen.append((t_a, t_b))
        if 0.6 < t_b / t_a < 1.6:
            return
    raise AssertionError("timings differ in every measurement: %r" % seen)


def assert_indistinguishable(a, b):
    """Two replies a caller must not be able to tell apart."""
    assert a.status == b.status, (a.status, b.status)
    assert strip_id(a) == strip_id(b), (a.body, b.body)
    assert sorted(a.headers) == sorted(b.headers)


# -- V2.2.1: no account enumeration ------------------------------------------
# ASVS 4.0.3 has no requirement of its own for account enumeration: V2.2.1
# (anti-automation against credential testing) comes closest, ASVS 5.0 states
# it as V6.3.8, and the OWASP testing guide tests it as WSTG-IDNT-04.

def test_v2_2_1_registration_does_not_reveal_a_taken_email(api):
    """V2.2.1 / WSTG-IDNT-04: a registration for a taken email gets the same
    202, body shape and headers as a new one, after the same work."""
    taken, _ = signed_up(api, "asvs.taken")
    new = api.register(registration(unique("asvs.new")))
    dup = api.register(registration(taken))
    assert_indistinguishable(new, dup)
    assert dup.json["id"] != new.json["id"]
    assert_similar_timing(lambda i: api.register(registration(unique("asvs.t%d" % i))),
                          lambda i: api.register(registration(taken)))


def public_replies(api):
    """Every public GET of openapi.yaml without a path parameter, as an
    anonymous caller sees it on the public port: status, headers and body,
    less what differs on every request (request id, date)."""
    seen = {}
    for method, path, op, kind in documented_operations():
        if method != "GET" or kind != "public" or "{" in path:
            continue
        r = api.request("GET", path)
        body = r.body
        if r.headers.get("content-type", "").startswith("application/problem+json"):
            body = json.dumps(dict(r.json, request_id=None), sort_keys=True)
        headers = sorted((k, v) for k, v in r.headers.items() if k not in ("x-request-id", "date"))
        seen[path] = (r.status, headers, body)
    return seen


def test_v2_2_1_a_registration_moves_no_public_reply(api):
    """V2.2.1 / WSTG-IDNT-04, issue 18 item 4: /metrics on the public port
    showed accounts by status, which rose only when a registration made an
    account, so anyone could tell a taken address from a new one. Now the
    metrics are on their own listener (test_edge.py) and no public reply -
    /metrics (a 404 now) included - changes with a registration, new or
    for a taken email."""
    taken, _ = signed_up(api, "asvs.moves")
    assert "/metrics" in [p for _, p, _, _ in documented_operations()]
    before = public_replies(api)
    assert api.register(registration(unique("asvs.moves.new"))).status == 202
    after_new = public_replies(api)
    assert api.register(registration(taken)).status == 202
    after_taken = public_replies(api)
    assert before == after_new, [p for p in before if before[p] != after_new[p]]
    assert after_new == after_taken, [p for p in before if after_new[p] != after_taken[p]]
    r = api.request("GET", "/metrics")
    assert r.status == 404 and r.is_problem()


def test_v2_2_1_sign_in_does_not_reveal_whether_an_account_exists(api):
    """V2.2.1 / V7.4.1 / WSTG-IDNT-04: wrong password and unknown email give
    one generic 401, with the same headers and similar timing."""
    email, _ = signed_up(api, "asvs.login")

    def attempt(who, i):
        return api.request("POST", "/v1/sessions",
                           body={"email": who, "password": "not it, attempt %d" % i})

    # One address of each kind, tried as often: the throttle counts
    # failures by address whether or not it has an account, and answers a
    # locked one (known or not) at once, without a hash.
    ghost = unique("asvs.ghost")
    wrong, unknown = attempt(email, 0), attempt(ghost, 0)
    assert wrong.status == 401
    assert_indistinguishable(wrong, unknown)

    def paired(who):
        def one(i):
            r = attempt(who, i + 1)
            statuses.setdefault(i, []).append(r.status)
        return one

    statuses = {}
    assert_similar_timing(paired(email), paired(ghost))
    assert all(a == b for a, b in statuses.values()), statuses


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory):
    """A private PostgreSQL and hcpd that mail through an SMTP sink, for
    the tests that need a real confirmation token."""
    from conftest import start_stack

    sink, controller = start_sink()
    pg, h = start_stack(tmp_path_factory.mktemp("asvs-mail"),
                        {"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % controller.port,
                         "HCPD_LOG_LEVEL": "debug"})
    yield pg, h, sink
    h.assert_clean_exit()
    pg.destroy()
    controller.stop()


def confirmation_token(h, sink, email):
    return token_of(sink.wait_for(email, "Confirm")[0])


def test_v2_2_1_email_confirmation_does_not_reveal_other_accounts(mail_stack):
    """V2.2.1 / WSTG-IDNT-04: another account's live token, a used token and
    a made-up one all get the same 422 - nothing tells which exists."""
    _, h, sink = mail_stack
    a, _ = signed_up(h.api, "asvs.mail.a")
    b, _ = signed_up(h.api, "asvs.mail.b")
    token_a, token_b = confirmation_token(h, sink, a), confirmation_token(h, sink, b)
    access_a, access_b = login(h.api, a)["access_token"], login(h.api, b)["access_token"]

    def confirm(access, token):
        return h.api.request("POST", "/v1/me/email/confirm", body={"token": token},
                             headers=bearer(access))

    assert confirm(access_b, token_b).status == 204
    others = confirm(access_a, token_b)  # B's token, just used
    live = confirm(access_b, token_a)    # A's token, still live
    made_up = confirm(access_a, base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())
    assert others.status == 422
    assert_indistinguishable(others, live)
    assert_indistinguishable(others, made_up)
    assert confirm(access_a, token_a).status == 204  # A's token was not spent by B


# -- V2.1: password policy ----------------------------------------------------

def test_v2_1_1_to_v2_1_4_v2_1_7_v2_1_9_password_policy(api):
    """V2.1.1 at least 12 characters (here 15), V2.1.2 64 allowed and 128
    the most, V2.1.3 no truncation, V2.1.4 any printable Unicode including
    emoji, V2.1.7 common and breached-style passwords refused (zxcvbn),
    V2.1.9 no composition rules."""
    def codes(password):
        body = registration(unique("asvs.pw"))
        body["password"] = password
        r = api.register(body)
        if r.status == 202:
            return []
        assert r.status == 422, r.body
        return sorted(e["code"] for e in r.json["errors"] if e["field"] == "password")

    assert codes("Kq7#mZ2!vR9@xL") == ["too_short"]          # 14
    assert codes("Kq7#mZ2!vR9@xL4") == []                    # 15
    assert codes("tangerine ocelot " * 3 + "x" * 13) == []   # 64
    long_pw = ("velvet quarry lantern ocelot " * 5)[:128]
    assert codes(long_pw) == []                              # 128
    assert codes(long_pw + "z") == ["too_long"]              # 129
    assert codes("grüne äpfel 🍏 am fluss 🐟 wo") == []       # Unicode, emoji
    assert codes("lowercase words only riverbank") == []     # no composition rules
    for weak in ("passwordpassword", "qwertyuiopasdfghjkl", "aaaaaaaaaaaaaaaaaaaa",
                 "1234567890123456", "iloveyou12345678"):
        assert "too_common" in codes(weak), weak
    # no truncation: the 127-character prefix of a 128-character password fails
    email, _ = signed_up(api, "asvs.trunc", password=long_pw)
    login(api, email, long_pw)
    login(api, email, long_pw[:-1], expect=401)


def test_v2_4_1_v2_4_2_argon2id_parameters_in_the_stored_hash(api, pg):
    """V2.4.1 an approved password hash (argon2id, m >= 19456 KiB, t >= 2,
    p = 1: OWASP's minimum), V2.4.2 a random salt of at least 32 bits (here
    128) per password: the same password twice gives two salts and hashes."""
    hashes = []
    for _ in range(2):
        _, account_id = signed_up(api, "asvs.hash")
        hashes.append(pg.psql("SELECT password_hash FROM accounts WHERE id = '%s'" % account_id))
    salts = set()
    for h in hashes:
        m = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$"
                         r"([A-Za-z0-9+/]+)", h)
        assert m, h
        assert int(m.group(1)) >= 19456 and int(m.group(2)) >= 2 and int(m.group(3)) == 1, h
        salt = base64.b64decode(m.group(4) + "=" * (-len(m.group(4)) % 4))
        digest = base64.b64decode(m.group(5) + "=" * (-len(m.group(5)) % 4))
        assert len(salt) >= 16 and len(digest) >= 32, h
        salts.add(salt)
    assert len(salts) == 2 and hashes[0] != hashes[1]


# -- V3: sessions and tokens --------------------------------------------------

def test_v3_2_2_session_tokens_are_long_and_random(api):
    """V3.2.2: refresh tokens carry at least 64 bits of entropy (here 256)
    and never repeat; access tokens have a unique jti."""
    email, _ = signed_up(api, "asvs.entropy")
    pairs = [login(api, email) for _ in range(3)]
    refresh = [p["refresh_token"] for p in pairs]
    assert len(set(refresh)) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in refresh), refresh
    jtis = set()
    for p in pairs:
        payload = p["access_token"].split(".")[1]
        jtis.add(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"])
    assert len(jtis) == 3


def test_v3_3_1_v3_3_3_logout_and_password_change_revoke(api):
    """V3.3.1: sign-out invalidates the access token at once and its refresh
    token; V3.3.3: a password change ends every other session (their access
    and refresh tokens) and keeps the one that made it."""
    email, _ = signed_up(api, "asvs.revoke")
    one = login(api, email)
    assert api.request("DELETE", "/v1/sessions/current",
                       headers=bearer(one["access_token"])).status == 204
    assert api.request("GET", "/v1/me", headers=bearer(one["access_token"])).status == 401
    assert api.request("POST", "/v1/sessions/refresh",
                       body={"refresh_token": one["refresh_token"]}).status == 401

    keep, other = login(api, email), login(api, email)
    new_password = "another long passphrase 2025"
    assert api.request("PATCH", "/v1/me/password",
                       body={"current_password": PASSWORD, "new_password": new_password},
                       headers=bearer(keep["access_token"])).status == 204
    assert api.request("GET", "/v1/me", headers=bearer(other["access_token"])).status == 401
    assert api.request("POST", "/v1/sessions/refresh",
                       body={"refresh_token": other["refresh_token"]}).status == 401
    assert api.request("GET", "/v1/me", headers=bearer(keep["access_token"])).status == 200
    login(api, email, expect=401)
    login(api, email, new_password)


def test_v3_5_3_tokens_resist_tampering(api):
    """V3.5.3: access tokens are signed (ES256) and the server refuses a
    changed payload, "alg": "none", HS256 keyed with the public key, and a
    signature moved from another token."""
    email, _ = signed_up(api, "asvs.tamper")
    token = login(api, email)["access_token"]
    other = login(api, signed_up(api, "asvs.tamper2")[0])["access_token"]
    head, payload, sig = token.split(".")

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = [
        "%s.%s.%s" % (head, b64(dict(claims, role="admin")), sig),
        "%s.%s." % (b64({"alg": "none", "typ": "JWT"}), payload),
        "%s.%s.%s" % (b64({"alg": "HS256", "typ": "JWT"}), payload, sig),
        "%s.%s.%s" % (head, payload, other.split(".")[2]),
    ]
    for t in forged:
        r = api.request("GET", "/v1/me", headers=bearer(t))
        assert r.status == 401 and r.headers.get("www-authenticate") == "Bearer", t


# -- V4: access control, every route x every kind of caller -------------------

STAFF_ROLES = ("admin", "reviewer", "auditor", "enrolling")
# service clients (issue 25), by API key (security clientKey)
CLIENT_ROLES = ("marketing_sender", "activity_system")
# the role flags of services/router.h and the macros made of them
ROLE_FLAGS = {"ROUTE_ADMIN": {"admin"}, "ROUTE_REVIEWER": {"reviewer"},
              "ROUTE_AUDITOR": {"auditor"}, "ROUTE_ENROLLING": {"enrolling"},
              "ROUTE_REVIEW": {"admin", "reviewer"}, "ROUTE_RECORDS": {"admin", "auditor"},
              "ROUTE_STAFF_SELF": set(STAFF_ROLES), "ROUTE_PROFESSIONAL": {"professional"},
              "ROUTE_MARKETING_SENDER": {"marketing_sender"},
              "ROUTE_ACTIVITY_SYSTEM": {"activity_system"},
              "ROUTE_CLIENT_ROLES": set(CLIENT_ROLES)}


def classify(method, path, op, doc):
    """'public', 'signed-in' or the frozenset of roles allowed (staff roles,
    or {"professional"}), from the operation's security and x-hcpd-role (a
    role or a list of them); None when it fits none of them."""
    security = op.get("security", doc.get("security", []))
    role = op.get("x-hcpd-role")
    if security in ([], [{}]):
        return "public" if role is None else None
    if security == [{"clientKey": []}]:  # no session token is let in: 401 or 403
        roles = frozenset([role] if isinstance(role, str) else role or [])
        return roles if roles and roles <= set(CLIENT_ROLES) else None
    if security != [{"bearer": []}]:
        return None
    if role is None:
        return "signed-in"
    roles = frozenset([role] if isinstance(role, str) else role)
    if roles == {"professional"}:
        return roles
    return roles if roles and roles <= set(STAFF_ROLES) else None


def may_call(kind, who):
    """Is a caller who ("anonymous", "A", "B" or a staff role) let in?"""
    if kind == "public":
        return True
    if kind == "signed-in":
        return who != "anonymous"
    return who in kind or (who in ("A", "B") and "professional" in kind)


def documented_operations():
    doc = openapi_check.load_document()
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method], classify(method, path, item[method], doc)


def route_rows():
    """(method, pattern, flags) of every row of services/routes.c."""
    with open(os.path.join(ROOT, "services", "routes.c")) as f:
        text = f.read()
    return re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*\w+,\s*([^}]*?)\s*\}', text)


def test_v4_1_1_route_table_matches_the_document():
    """V4.1.1 / V1.4.4: the access rules the server enforces (ROUTE_AUTH,
    ROUTE_ADMIN in services/routes.c) are the ones openapi.yaml declares,
    row for row, and every operation can be classified."""
    ops = {(m, p): kind for m, p, _, kind in documented_operations()}
    unclassified = [op for op, kind in ops.items() if kind is None]
    assert not unclassified, "cannot classify (see the top of openapi.yaml): %r" % unclassified
    rows = route_rows()
    assert len(rows) >= 10, rows
    for method, pattern, flags in rows:
        assert (method, pattern) in ops, "%s %s is served but not documented" % (method, pattern)
        roles = set()
        for flag in re.findall(r"ROUTE_[A-Z_]+", flags):
            roles |= ROLE_FLAGS.get(flag, set())
        kind = frozenset(roles) if roles else "signed-in" if "ROUTE_AUTH" in flags else "public"
        assert ops[(method, pattern)] == kind, (method, pattern, flags, ops[(method, pattern)])
    assert {(m, p) for m, p, _ in rows} == set(ops), "documented but not served"


@pytest.fixture(scope="module")
def callers(hcpd):
    """Anonymous, professionals A and B, an admin, a reviewer and an
    auditor, with A's personal values to look for in the others' replies."""
    api = hcpd.api
    profile_a = {"given_name": "Aurelianne", "family_name": "Quistorpova", "npi": "1003000126",
                 "phone": "+14155550123", "license_number": "AQ77331"}
    email_a, id_a = signed_up(api, "asvs.a", **profile_a)
    email_b, _ = signed_up(api, "asvs.b")
    email_admin = unique("asvs.admin")
    r = hcpd.cli("admin", "create", "--email", email_admin, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    emails = {"A": email_a, "B": email_b, "admin": email_admin}
    for role in ("reviewer", "auditor"):
        emails[role] = unique("asvs." + role)
        r = hcpd.cli("admin", "create", "--email", emails[role], "--role", role,
                     input=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
    secrets_a = [email_a, id_a] + list(profile_a.values())
    return {"emails": emails, "secrets_a": secrets_a}


def probe(api, method, path, op, token):
    """One request to the operation with a random id for each path
    parameter and, where a JSON body is documented, a malformed one: every
    access decision comes before the body is read, so an allowed caller
    gets a 4xx about the body and no handler changes anything."""
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    headers = bearer(token) if token else {}
    raw = None
    if "application/json" in (op.get("requestBody") or {}).get("content", {}):
        raw = b"{"
        headers["Content-Type"] = "application/json"
    return api.request(method, url, raw=raw, headers=headers, template=path)


def denied(reply):
    return reply.status == 403 or (reply.status == 401 and "www-authenticate" in reply.headers)


def test_v4_1_3_v4_2_1_every_route_by_every_kind_of_caller(hcpd, callers):
    """V4.1.1 enforced on the server, V4.1.3 least privilege (admin routes
    refuse professionals with 403, signed-in routes refuse anonymous
    callers with 401), V4.1.5 failing closed, V4.2.1 no insecure direct
    object reference: B's and anonymous replies never hold A's data, also
    when A's account id is put in a path parameter."""
    api = hcpd.api
    checked = []
    for method, path, op, kind in documented_operations():
        assert kind is not None, "cannot classify %s %s" % (method, path)
        for who in ("anonymous", "A", "B", "admin", "reviewer", "auditor"):
            token = None
            if who != "anonymous":
                # a session per probe: an operation without a body (sign-out)
                # acts on it
                token = login(api, callers["emails"][who])["access_token"]
            r = probe(api, method, path, op, token)
            if not may_call(kind, who):
                expect = 401 if who == "anonymous" else 403
                assert r.status == expect and r.is_problem(), (method, path, who, r.status)
            else:
                assert not denied(r), (method, path, who, r.status, r.body)
            if who in ("anonymous", "B"):
                for secret in callers["secrets_a"]:
                    assert secret.encode() not in r.body, (method, path, who, secret)
            checked.append((method, path, who, r.status))
        if "{" in path:
            url = re.sub(r"\{[^}]+\}", callers["secrets_a"][1], path)
            token_b = login(api, callers["emails"]["B"])["access_token"]
            r = api.request(method, url, headers=bearer(token_b), template=path)
            for secret in callers["secrets_a"]:
                assert secret.encode() not in r.body, (method, url, secret)
    assert len(checked) >= 4 * 10, checked


# -- V14.4 / V8.2.1: security headers on every reply --------------------------

def test_v14_4_security_headers_on_every_reply(hcpd, callers):
    """V14.4.1 Content-Type, V14.4.2 Content-Disposition: attachment on API
    (JSON) replies, V14.4.3/V14.4.7 a Content-Security-Policy with
    frame-ancestors (and default-src 'none' unless HTML is served) plus
    X-Frame-Options, V14.4.4 nosniff, V14.4.6 Referrer-Policy, V8.2.1
    no-store unless the operation documents its own Cache-Control, V14.3.3
    no server version. Every documented operation as its rightful caller,
    and the errors every route can give. HSTS (V14.4.5) belongs to the TLS
    proxy: see README, Security."""
    api = hcpd.api
    replies = []
    for method, path, op, kind in documented_operations():
        email = callers["emails"]["admin" if isinstance(kind, frozenset) else "A"]
        token = login(api, email)["access_token"] if kind != "public" else None
        replies.append((op, probe(api, method, path, op, token)))
        if method == "GET" and "{" not in path:
            replies.append((op, api.request("GET", path, headers=bearer(token) if token else {})))
    for method, path, raw, ctype in (("GET", "/nope", None, None), ("PUT", "/healthz", None, None),
                                     ("GET", "/v1/me", None, None),
                                     ("POST", "/v1/registrations", b"{}", "text/plain"),
                                     ("POST", "/v1/registrations", b"x" * 70000,
                                      "application/json")):
        replies.append((None, api.request(method, path, raw=raw, check=False,
                                          headers={"Content-Type": ctype} if ctype else {})))
    for op, r in replies:
        h = r.headers
        ctype = h.get("content-type", "")
        what = (r.status, ctype, h)
        assert h.get("x-content-type-options") == "nosniff", what
        assert ctype or not r.body, what  # an empty 202 or 204 needs none
        assert "frame-ancestors" in h.get("content-security-policy", ""), what
        assert h.get("x-frame-options") in ("DENY", "SAMEORIGIN"), what
        assert h.get("referrer-policy") in ("no-referrer", "same-origin",
                                            "strict-origin-when-cross-origin"), what
        assert not re.search(r"\d", h.get("server", "")), what
        if ctype.startswith("text/html"):
            assert "default-src" in h["content-security-policy"], what
        else:
            assert "default-src 'none'" in h["content-security-policy"], what
        if "json" in ctype:
            assert h.get("content-disposition", "").startswith("attachment"), what
        documented = op is not None and any(
            "Cache-Control" in (resp.get("headers") or {})
            for resp in op.get("responses", {}).values())
        if not documented or r.status >= 400:
            assert h.get("cache-control") == "no-store", what


# -- V7.1.1 / V7.1.2: no secrets or personal data in the log ------------------

def test_v7_1_1_v7_1_2_no_personal_data_secrets_or_tokens_in_logs(mail_stack):
    """V7.1.1 no credentials or session tokens, V7.1.2 no personal data, in
    the log - at debug level, the most verbose: canary values in every
    personal field of the catalogue, the email, passwords (right, wrong, new,
    refused), access, refresh and confirmation tokens, an Idempotency-Key,
    and bodies that fail validation or parsing; then the whole log is
    searched for each of them (and for their URL and JSON spellings)."""
    pg, h, sink = mail_stack
    api = h.api
    doc = json.loads(api.request("GET", "/v1/registration/schema").body)
    personal = [f["name"] for f in doc["fields"] if f["personal"]]
    values = {"given_name": "Canarygivenxq", "middle_name": "Canarymiddlexq",
              "family_name": "Canaryfamilyxq", "npi": "1871956540",
              "license_number": "CANLIC9931", "license_expiry": "2031-07-19",
              "phone": "+14155550987", "postal_address": "17 Canary Wharf Lane, Springfield",
              # issue 19's national numbers and the workplace
              "rpps": "77419931207", "riziv_number": "77419955991", "big_number": "99773311551",
              "ahpra_number": "CNY0077419931", "gmc_number": "CANGMC7", "nmc_pin": "77C9931Q",
              "gphc_number": "CANGPH7", "mcr_number": "CANMCR7",
              "workplace": "Canary Clinic, 5 Canary Quay, Springfield"}
    missing = [f for f in personal if f not in values]
    assert not missing, "a personal field without a canary: %r" % missing
    email = "canary.%s@example.org" % uuid.uuid4().hex[:8]
    password, new_password = "canary pass phrase 7741 q", "canary new phrase 8852 q"
    body = registration(email, **values)
    body["password"] = password
    canaries = dict(values, email=email, password=password, new_password=new_password,
                    idempotency_key="canary-idem-key-6630", wrong="canary wrong 9963 phrase",
                    refused="canaryshort")
    assert api.register(body, {"Idempotency-Key": canaries["idempotency_key"]}).status == 202
    assert api.register(body, {"Idempotency-Key": canaries["idempotency_key"]}).status == 202
    bad = registration(email, phone=values["phone"] + "x", npi=values["npi"][:-1] + "3")
    bad["password"] = canaries["refused"]
    assert api.register(bad).status == 422
    assert api.request("POST", "/v1/registrations", check=False,
                       raw=('{"email": "%s", "password": "%s",' % (email, password)).encode(),
                       headers={"Content-Type": "application/json"}).status == 400
    login(api, email, canaries["wrong"], expect=401)
    tokens = login(api, email, password)
    canaries.update(access=tokens["access_token"], refresh=tokens["refresh_token"])
    assert api.request("GET", "/v1/me", headers=bearer(tokens["access_token"])).status == 200
    rotated = api.request("POST", "/v1/sessions/refresh",
                          body={"refresh_token": tokens["refresh_token"]}).json
    canaries.update(access2=rotated["access_token"], refresh2=rotated["refresh_token"])
    assert api.request("GET", "/v1/me", headers=bearer(tokens["access_token"][:-4] + "AAAA"),
                       check=False).status == 401
    confirm = confirmation_token(h, sink, email)
    canaries["confirm"] = confirm
    access = rotated["access_token"]
    assert api.request("POST", "/v1/me/email/confirm", body={"token": confirm},
                       headers=bearer(access)).status == 204
    assert api.request("PATCH", "/v1/me/password",
                       body={"current_password": password, "new_password": new_password},
                       headers=bearer(access)).status == 204
    assert api.request("PATCH", "/v1/me/password",
                       body={"current_password": canaries["wrong"], "new_password": "x" * 20},
                       headers=bearer(access)).status == 422
    assert api.request("DELETE", "/v1/sessions/current", headers=bearer(access)).status == 204
    log = h.read_log()
    assert '"route":"/v1/sessions/refresh"' in log and '"level":"debug"' in log
    for name, value in canaries.items():
        for spelling in {value, value.lower(), json.dumps(value)[1:-1],
                         value.replace(" ", "%20"), value.replace(" ", "+")}:
            assert spelling not in log, "%s (%r) is in the log" % (name, spelling)
    # the account id is pseudonymous, but nothing in the log names the
    # person behind it either: no email domain part, no name fragment
    assert email.split("@")[0] not in log
