"""Two-factor sign-in for staff (issue 21 item 5): TOTP enrolment with an
otpauth:// URI and its QR code, confirmation by a first code, one-time
recovery codes stored hashed, codes good once, sign-in saying which
factor is missing without saying whether the password was right, code
failures counted by the sign-in throttle, and HCPD_ADMIN_TOTP_REQUIRED.
RFC 6238's own test vectors are checked in tests/unit/test_totp.c."""

import base64
import hashlib
import hmac
import struct
import time
import urllib.parse

from reviewkit import ADMIN_PASSWORD, bearer, unique_email


def code_at(secret_b32, t=None, offset=0):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((t or time.time()) // 30) + offset
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def sign_in(h, email, password=ADMIN_PASSWORD, **extra):
    body = dict(email=email, password=password, **extra)
    return h.api.request("POST", "/v1/sessions", body=body)


def new_staff(h, role="admin"):
    email = unique_email(role)
    r = h.cli("admin", "create", "--email", email, "--role", role, input=ADMIN_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return email, r.stdout.strip()


def enrol(h, token):
    r = h.api.request("POST", "/v1/admin/me/totp", headers=bearer(token))
    assert r.status == 201, r.body
    return r.json


def confirm(h, token, code):
    return h.api.request("POST", "/v1/admin/me/totp/confirm", body={"code": code},
                         headers=bearer(token))


def test_enrol_confirm_and_sign_in_with_a_code(stack):
    pg, h = stack()
    email, staff_id = new_staff(h, "reviewer")
    token = sign_in(h, email).json["access_token"]
    e = enrol(h, token)
    uri = urllib.parse.urlparse(e["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    q = urllib.parse.parse_qs(uri.query)
    assert q["secret"] == [e["secret"]] and q["digits"] == ["6"] and q["period"] == ["30"]
    assert urllib.parse.unquote(uri.path) == "/hcpd:" + email
    assert e["qr_svg"].startswith("<svg") and "<path" in e["qr_svg"]
    # the secret is sealed at rest
    raw = base64.b32decode(e["secret"] + "=" * (-len(e["secret"]) % 8))
    stored = bytes.fromhex(pg.psql("SELECT encode(secret_enc, 'hex') FROM staff_totp "
                                   "WHERE account_id = '%s'" % staff_id))
    assert raw not in stored and len(stored) == 20 + 28
    # until confirmed, the password alone still signs in
    assert sign_in(h, email).status == 200
    r = confirm(h, token, "000000" if code_at(e["secret"]) != "000000" else "111111")
    assert r.status == 422 and r.is_problem()
    # a code used to confirm is spent: sign in with the next step's
    t = time.time()
    r = confirm(h, token, code_at(e["secret"], t))
    assert r.status == 200, r.body
    codes = r.json["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = pg.psql("SELECT encode(code_hash, 'hex') FROM staff_recovery_codes "
                     "WHERE account_id = '%s'" % staff_id).splitlines()
    assert sorted(stored) == sorted(hashlib.sha256(c.replace("-", "").encode()).hexdigest()
                                    for c in codes)
    assert confirm(h, token, code_at(e["secret"])).status == 409
    assert h.api.request("POST", "/v1/admin/me/totp", headers=bearer(token)).status == 409
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'staff.totp_enrolled' AND "
                   "target = '%s'" % staff_id) == "1"

    # which factor is missing, whether or not the password was right
    right, wrong = sign_in(h, email), sign_in(h, email, password="not the password at all")
    for r in (right, wrong):
        assert r.status == 401 and r.json["type"].endswith("second-factor-required"), r.body
    assert right.json["detail"] == wrong.json["detail"]
    # a code does not help a wrong password, nor a wrong code a right one
    nxt = code_at(e["secret"], t, 1)
    assert sign_in(h, email, password="not the password at all", totp=nxt).status == 401
    bad = "%06d" % ((int(nxt) + 1) % 1000000)
    r = sign_in(h, email, totp=bad)
    assert r.status == 401 and r.json["type"].endswith("unauthorized")
    r = sign_in(h, email, totp=nxt)
    assert r.status == 200, r.body
    assert sign_in(h, email, totp=nxt).status == 401  # replayed
    # recovery codes, each once, typed any way
    r = sign_in(h, email, recovery_code=codes[0].lower().replace("-", ""))
    assert r.status == 200
    assert sign_in(h, email, recovery_code=codes[0]).status == 401
    assert sign_in(h, email, totp=nxt, recovery_code=codes[1]).status == 422


def test_code_failures_count_against_the_throttle(stack):
    pg, h = stack()
    email, _ = new_staff(h)
    token = sign_in(h, email).json["access_token"]
    e = enrol(h, token)
    assert confirm(h, token, code_at(e["secret"])).status == 200
    good = code_at(e["secret"], offset=1)
    bad = "%06d" % ((int(good) + 500000) % 1000000)
    statuses = [sign_in(h, email, totp=bad).status for _ in range(12)]
    assert statuses[:9] == [401] * 9 and 429 in statuses[9:], statuses


def test_required_setting_makes_staff_enrol_first(stack):
    pg, h = stack(env={"HCPD_ADMIN_TOTP_REQUIRED": "1"})
    email, _ = new_staff(h, "auditor")
    r = sign_in(h, email)
    assert r.status == 200
    token = r.json["access_token"]
    # good for the enrolment only
    r = h.api.request("GET", "/v1/admin/audit", headers=bearer(token))
    assert r.status == 403 and r.is_problem()
    assert h.api.request("GET", "/v1/me", headers=bearer(token)).status == 401
    refreshed = h.api.request("POST", "/v1/sessions/refresh",
                              body={"refresh_token": sign_in(h, email).json["refresh_token"]})
    assert h.api.request("GET", "/v1/admin/audit",
                         headers=bearer(refreshed.json["access_token"])).status == 403
    e = enrol(h, token)
    assert confirm(h, token, code_at(e["secret"])).status == 200
    # the enrolling session has ended; a code signs in with the real role
    assert h.api.request("POST", "/v1/admin/me/totp", headers=bearer(token)).status == 401
    r = sign_in(h, email, totp=code_at(e["secret"], offset=1))
    assert r.status == 200, r.body
    assert h.api.request("GET", "/v1/admin/audit",
                         headers=bearer(r.json["access_token"])).status == 200
    # professionals are not asked for anything
    pro = unique_email("pro")
    from conftest import registration
    body = registration(pro)
    assert h.api.register(body).status == 202
    assert sign_in(h, pro, password=body["password"]).status == 200
