"""The account lifecycle of issue 20 against the real server, database and
an SMTP sink: confirmation by link without signing in and its re-sending,
password recovery, email change with its cancel link, and re-authentication
for what reveals or destroys. Every link is read from the mail itself."""

import base64
import json
import time

import pytest

import openapi_check
from conftest import registration
from test_asvs import assert_similar_timing
from test_email import start_sink, token_of, unique_email

PASSWORD = "a long passphrase 2024"


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    """One stack that mails through a sink, for the whole module."""
    from conftest import start_stack

    sink, controller = start_sink()
    pg, h = start_stack(tmp_path_factory.mktemp("lifecycle"),
                        {"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % controller.port})
    yield pg, h, sink
    h.assert_clean_exit()
    pg.destroy()
    controller.stop()


def bearer(token):
    return {"Authorization": "Bearer " + token}


def signed_up(api, tag, **profile):
    address = unique_email(tag)
    r = api.register(registration(address, **profile))
    assert r.status == 202, r.body
    return address, r.json["id"]


def login(api, address, password=PASSWORD, expect=200):
    r = api.request("POST", "/v1/sessions", body={"email": address, "password": password})
    assert r.status == expect, (r.status, r.body)
    return r.json if expect == 200 else r


def strip(reply):
    return {k: v for k, v in reply.json.items() if k != "request_id"}


def confirm_link(api, token, expect):
    r = api.request("POST", "/v1/email-confirmations", body={"token": token})
    assert r.status == expect, (r.status, r.body)
    return r


def backdate_outbox(pg, account_id, kind, seconds):
    pg.psql("UPDATE outbox SET created_at = created_at - make_interval(secs => %d) "
            "WHERE account_id = '%s' AND kind = '%s'" % (seconds, account_id, kind))


# -- confirmation by link, and again ------------------------------------------

def test_confirmation_by_link_without_signing_in(mail):
    """Item 3: the link's token is the proof; no access token. Reuse, an
    unknown and an expired token get one and the same 400."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "link.confirm")
    token = token_of(sink.wait_for(address, "Confirm your email address")[0])
    unknown = confirm_link(h.api, "A" * 43, 400)
    assert unknown.is_problem() and unknown.json["type"] == "urn:hcpd:problem:invalid-token"
    confirm_link(h.api, token, 204)
    assert pg.psql("SELECT email_verified FROM accounts WHERE id = '%s'" % account_id) == "t"
    used = confirm_link(h.api, token, 400)
    assert strip(used) == strip(unknown)
    # an expired one: another account's, aged past its 24 hours
    other, other_id = signed_up(h.api, "link.expired")
    late = token_of(sink.wait_for(other, "Confirm your email address")[0])
    pg.psql("UPDATE email_tokens SET expires_at = now() - interval '1 second' "
            "WHERE account_id = '%s'" % other_id)
    assert strip(confirm_link(h.api, late, 400)) == strip(unknown)
    assert pg.psql("SELECT email_verified FROM accounts WHERE id = '%s'" % other_id) == "f"
    # a malformed body is a 422, and tells nothing either
    r = h.api.request("POST", "/v1/email-confirmations", body={"token": 5})
    assert r.status == 422


def test_confirmation_resent_signed_in_with_limits_and_supersession(mail):
    """Item 3: POST /v1/me/email/confirmation sends it again, at most one a
    minute and five a day; the newest link supersedes the older ones."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "link.resend")
    first = token_of(sink.wait_for(address, "Confirm your email address")[0])
    access = login(h.api, address)["access_token"]

    def resend():
        return h.api.request("POST", "/v1/me/email/confirmation", headers=bearer(access))

    r = resend()  # the registration's mail went out less than a minute ago
    assert r.status == 429 and r.headers["retry-after"] == "60" and r.is_problem(), r.body
    backdate_outbox(pg, account_id, "confirm_email", 61)
    assert resend().status == 202
    second = token_of(sink.wait_for(address, "Confirm your email address", count=2)[-1])
    assert second != first
    # five a day: the registration's and four more
    for _ in range(3):
        backdate_outbox(pg, account_id, "confirm_email", 61)
        assert resend().status == 202
    backdate_outbox(pg, account_id, "confirm_email", 61)
    assert resend().status == 429
    newest = token_of(sink.wait_for(address, "Confirm your email address", count=5)[-1])
    # only the newest link works
    assert confirm_link(h.api, first, 400).json["type"] == "urn:hcpd:problem:invalid-token"
    confirm_link(h.api, newest, 204)
    r = resend()
    assert r.status == 409 and r.is_problem()


def test_confirmation_resent_by_address_reveals_nothing(mail):
    """Item 3: the unauthenticated re-send answers like the reset request:
    the same 202 and body for an unconfirmed, a confirmed and an unknown
    address; only the first gets a mail."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "link.byaddr")
    sink.wait_for(address, "Confirm your email address")
    backdate_outbox(pg, account_id, "confirm_email", 61)
    done, done_id = signed_up(h.api, "link.done")
    confirm_link(h.api, token_of(sink.wait_for(done, "Confirm your email address")[0]), 204)
    backdate_outbox(pg, done_id, "confirm_email", 61)
    ghost = unique_email("link.ghost")
    replies = [h.api.request("POST", "/v1/email-confirmations/resend", body={"email": who})
               for who in (address, done, ghost)]
    for r in replies:
        assert r.status == 202 and r.body == b""
        assert sorted(r.headers) == sorted(replies[0].headers)
    sink.wait_for(address, "Confirm your email address", count=2)
    time.sleep(2)  # the mailer polls every second: anything more would be here
    assert sink.received(ghost, "Confirm") == []
    assert len(sink.received(done, "Confirm")) == 1
    r = h.api.request("POST", "/v1/email-confirmations/resend", body={"email": "not an address"})
    assert r.status == 422


# -- password recovery -------------------------------------------------------

def reset_token(sink, address, count=1):
    return token_of(sink.wait_for(address, "Reset your password", count=count)[count - 1])


def ask_reset(api, address):
    r = api.request("POST", "/v1/password-resets", body={"email": address})
    assert r.status == 202 and r.body == b"", (r.status, r.body)
    return r


def reset(api, token, password, expect):
    r = api.request("POST", "/v1/password-resets/confirm",
                    body={"token": token, "password": password})
    assert r.status == expect, (r.status, r.body)
    return r


def test_recovery_end_to_end(mail):
    """Item 1: the mailed link sets a new password; every old session dies
    (access and refresh tokens), the address counts as confirmed, the
    sign-in throttle forgets its failures, and the owner is told."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "reset.e2e")
    phone, laptop = login(h.api, address), login(h.api, address)
    for _ in range(3):
        login(h.api, address, "not the password at all 1", expect=401)
    ask_reset(h.api, address)
    mail_ = sink.wait_for(address, "Reset your password")[0]
    body = mail_["msg"].get_content()
    assert "/account/reset-password#token=" in body and "30" in body
    token = token_of(mail_)
    new = "an entirely new passphrase 77"
    reset(h.api, token, new, 204)
    # the throttle forgot the failures before the reset: the password is new
    assert pg.psql("SELECT count(*) FROM login_throttle WHERE email_bidx = "
                   "(SELECT email_bidx FROM accounts WHERE id = '%s')" % account_id) == "0"
    for s in (phone, laptop):
        r = h.api.request("GET", "/v1/me", headers=bearer(s["access_token"]))
        assert r.status == 401, r.status
        r = h.api.request("POST", "/v1/sessions/refresh",
                          body={"refresh_token": s["refresh_token"]})
        assert r.status == 401, r.status
    login(h.api, address, PASSWORD, expect=401)
    me = h.api.request("GET", "/v1/me", headers=bearer(login(h.api, address, new)["access_token"]))
    assert me.json["email_verified"] is True
    assert pg.psql("SELECT count(*) FROM sessions WHERE account_id = '%s' AND "
                   "revoked_reason = 'password_reset'" % account_id) == "2"
    notice = sink.wait_for(address, "Your password was changed")[0]["msg"].get_content()
    assert "signed out" in notice and token not in notice
    # the link worked once
    assert reset(h.api, token, "yet another new passphrase 88", 400).json["type"] == \
        "urn:hcpd:problem:invalid-token"
    # the failure since (the old password) is this client's: a success clears it
    assert pg.psql("SELECT count(*) FROM login_throttle WHERE client <> '' AND email_bidx = "
                   "(SELECT email_bidx FROM accounts WHERE id = '%s')" % account_id) == "0"


def test_the_owner_of_an_address_wins_against_a_squatter(mail):
    """Issue 18 item 2: someone registers a doctor's address with the
    doctor's public data and their own password. The account can never be
    verified (nobody confirmed the address), and whoever reads the inbox
    takes it: the doctor, told of the registration, resets the password;
    the squatter is signed out everywhere and can no longer sign in. The
    race: the squatter moves the account to an address of theirs first -
    the doctor's inbox gets the cancel link, and the address comes back
    for the reset."""
    pg, h, sink = mail
    doctor = unique_email("owner.doctor")
    r = h.api.register(registration(doctor, given_name="Ngaio", family_name="Paratene"))
    assert r.status == 202
    account_id = r.json["id"]
    squatter = login(h.api, doctor)  # the squatter's password is the registration's
    sink.wait_for(doctor, "Confirm your email address")  # lands in the doctor's inbox
    assert me(h.api, squatter["access_token"])["email_verified"] is False

    # the squatter tries to carry the account off to an address of theirs
    theirs = unique_email("owner.squatter")
    change_email(h.api, squatter["access_token"], theirs)
    [warning] = sink.wait_for(doctor, "Your email address is being changed")
    # the doctor signs up, learns the address is registered, and takes it back
    again = h.api.register(registration(doctor))
    assert again.status == 202 and set(again.json) == set(r.json)
    sink.wait_for(doctor, "Someone tried to register with your email address")
    cancel(h.api, token_of(warning), 204)
    ask_reset(h.api, doctor)
    reset(h.api, reset_token(sink, doctor), "the doctor's own long passphrase 1", 204)

    # the squatter is out: sessions dead, password wrong, their link spent
    assert h.api.request("GET", "/v1/me", headers=bearer(squatter["access_token"])).status == 401
    r = h.api.request("POST", "/v1/sessions/refresh",
                      body={"refresh_token": squatter["refresh_token"]})
    assert r.status == 401
    login(h.api, doctor, PASSWORD, expect=401)
    pending = token_of(sink.wait_for(theirs, "Confirm your new email address")[0])
    confirm_link(h.api, pending, 400)
    # the doctor is in, with the address confirmed by the very link
    mine = me(h.api, login(h.api, doctor, "the doctor's own long passphrase 1")["access_token"])
    assert mine["id"] == account_id and mine["email"] == doctor
    assert mine["email_verified"] is True


def test_reset_tokens_expire_are_superseded_and_survive_a_refused_password(mail):
    """Item 1: a token lives 30 minutes, only the newest works, a refused
    new password does not spend it; every dead token gets one reply."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "reset.tokens")
    ask_reset(h.api, address)
    first = reset_token(sink, address)
    assert pg.psql("SELECT round(extract(epoch FROM expires_at - created_at)) FROM email_tokens "
                   "WHERE account_id = '%s' AND purpose = 'password_reset'"
                   % account_id) == "1800"
    # a second request within the minute sends nothing more
    ask_reset(h.api, address)
    backdate_outbox(pg, account_id, "password_reset", 61)
    ask_reset(h.api, address)
    second = reset_token(sink, address, count=2)
    assert len(sink.received(address, "Reset your password")) == 2
    dead = reset(h.api, first, "an entirely new passphrase 77", 400)
    unknown = reset(h.api, "B" * 43, "an entirely new passphrase 77", 400)
    assert strip(dead) == strip(unknown)
    # the policy applies, with the account's own email and names
    r = reset(h.api, second, "short", 422)
    assert ("password", "too_short") in {(e["field"], e["code"]) for e in r.json["errors"]}
    r = reset(h.api, second, "Ana Ng writes a long passphrase", 422)
    assert ("password", "contains_name") in {(e["field"], e["code"]) for e in r.json["errors"]}
    # expired
    pg.psql("UPDATE email_tokens SET expires_at = now() - interval '1 second' "
            "WHERE account_id = '%s' AND purpose = 'password_reset'" % account_id)
    assert strip(reset(h.api, second, "an entirely new passphrase 77", 400)) == strip(unknown)
    login(h.api, address)  # the password never changed


def test_a_password_changed_signed_in_is_told_to_the_owner(mail):
    """ASVS V2.2.3: PATCH /v1/me/password mails the owner, in its own words
    (someone signed in changed it; a reset's link signs everyone out)."""
    pg, h, sink = mail
    address, _ = signed_up(h.api, "changed.here")
    access = login(h.api, address)["access_token"]
    new = "a changed passphrase of mine 31"
    r = h.api.request("PATCH", "/v1/me/password", headers=bearer(access),
                      body={"current_password": PASSWORD, "new_password": new})
    assert r.status == 204, r.body
    body = sink.wait_for(address, "Your password was changed")[0]["msg"].get_content()
    assert "signed in to it" in body and "password-reset link" not in body
    assert new not in body and PASSWORD not in body


def test_reset_request_does_not_reveal_an_account(mail):
    """Item 1, WSTG-IDNT-04: a known and an unknown address get the same
    status, body and headers, and take the same time (median ratio, as
    sign-in's test measures); only the known one gets a mail."""
    pg, h, sink = mail
    address, _ = signed_up(h.api, "reset.enum")
    known, unknown = ask_reset(h.api, address), ask_reset(h.api, unique_email("reset.ghost"))
    assert known.status == unknown.status and known.body == unknown.body
    assert sorted(known.headers) == sorted(unknown.headers)
    sink.wait_for(address, "Reset your password")
    # interleaved medians, measured up to three times (test_asvs)
    assert_similar_timing(lambda i: ask_reset(h.api, address),
                          lambda i: ask_reset(h.api, unique_email("reset.t%d" % i)))


# -- email change ---------------------------------------------------------------

def change_email(api, access, address, password=PASSWORD, expect=202):
    r = api.request("PUT", "/v1/me/email", body={"email": address, "password": password},
                    headers=bearer(access))
    assert r.status == expect, (r.status, r.body)
    return r


def cancel(api, token, expect):
    r = api.request("POST", "/v1/email-changes/cancel", body={"token": token})
    assert r.status == expect, (r.status, r.body)
    return r


def me(api, access):
    r = api.request("GET", "/v1/me", headers=bearer(access))
    assert r.status == 200, r.body
    return r.json


def test_email_change_confirmed_by_the_new_address_and_cancelled_by_the_old(mail):
    """Item 4: the change takes effect only when the new address's link is
    used; blind index, sealed email and queued notices follow; the old
    address's link undoes it within 7 days (sessions revoked), and nobody
    can take the old address meanwhile."""
    pg, h, sink = mail
    old, account_id = signed_up(h.api, "change.old")
    confirm_link(h.api, token_of(sink.wait_for(old, "Confirm your email address")[0]), 204)
    access = login(h.api, old)["access_token"]
    new = unique_email("change.new")
    change_email(h.api, access, new)
    [mail_new] = sink.wait_for(new, "Confirm your new email address")
    assert "/account/confirm-email#token=" in mail_new["msg"].get_content()
    [mail_old] = sink.wait_for(old, "Your email address is being changed")
    body_old = mail_old["msg"].get_content()
    assert "/account/cancel-email-change#token=" in body_old and new not in body_old
    # nothing changed yet
    assert me(h.api, access)["email"] == old
    login(h.api, old)
    confirm_link(h.api, token_of(mail_new), 204)
    after = me(h.api, access)
    assert after["email"] == new and after["email_verified"] is True
    login(h.api, old, expect=401)
    access = login(h.api, new)["access_token"]
    # a notice queued now goes to the new address
    pg.psql("INSERT INTO outbox (account_id, kind) VALUES ('%s', 'review_approved')"
            % account_id)
    sink.wait_for(new, "Your registration was approved")
    # the old address stays taken while its cancel link works
    r = h.api.register(registration(old))
    assert r.status == 202
    assert pg.psql("SELECT count(*) FROM accounts WHERE id = '%s'" % r.json["id"]) == "0"
    # the old address takes it back, and every session ends
    cancel(h.api, token_of(mail_old), 204)
    assert h.api.request("GET", "/v1/me", headers=bearer(access)).status == 401
    access = login(h.api, old)["access_token"]
    assert me(h.api, access)["email"] == old
    login(h.api, new, expect=401)
    assert pg.psql("SELECT count(*) FROM sessions WHERE account_id = '%s' AND "
                   "revoked_reason = 'email_change_cancelled'" % account_id) != "0"
    assert cancel(h.api, token_of(mail_old), 400).json["type"] == \
        "urn:hcpd:problem:invalid-token"
    # nothing of either address in clear at rest
    dump = pg.dump()
    assert old.lower() not in dump.lower() and new.lower() not in dump.lower()


def test_email_change_to_a_taken_address_gets_the_same_reply(mail):
    """Item 4: a taken address gets the same 202; its owner is told instead
    and nothing is stored; the old address still gets its notice."""
    pg, h, sink = mail
    taken, _ = signed_up(h.api, "change.taken")
    mover, mover_id = signed_up(h.api, "change.mover")
    free = unique_email("change.free")
    access = login(h.api, mover)["access_token"]
    a = change_email(h.api, access, free)
    b = change_email(h.api, access, taken.upper())
    assert a.body == b.body == b"" and sorted(a.headers) == sorted(b.headers)
    sink.wait_for(taken, "Someone tried to move an account to your email address")
    assert pg.psql("SELECT pending_email_bidx = (SELECT email_bidx FROM accounts WHERE id = "
                   "'%s') FROM accounts WHERE id = '%s'" % (mover_id, mover_id)) == "f"
    assert len(sink.wait_for(mover, "Your email address is being changed", count=2)) == 2
    time.sleep(2)
    assert sink.received(taken, "Confirm your new email address") == []
    # its own address is refused openly: the caller knows it
    r = change_email(h.api, access, mover, expect=422)
    assert ("email", "same_as_current") in {(e["field"], e["code"]) for e in r.json["errors"]}


def test_a_newer_email_change_supersedes_the_older_link(mail):
    """Item 4: a link confirms the address it was mailed to only while that
    address is the one pending (a mail still queued for an older one is
    not sent at all: its token cannot be minted)."""
    pg, h, sink = mail
    address, _ = signed_up(h.api, "change.twice")
    access = login(h.api, address)["access_token"]
    first, second = unique_email("change.first"), unique_email("change.second")
    change_email(h.api, access, first)
    link_first = token_of(sink.wait_for(first, "Confirm your new email address")[0])
    change_email(h.api, access, second)
    link_second = token_of(sink.wait_for(second, "Confirm your new email address")[0])
    confirm_link(h.api, link_first, 400)
    confirm_link(h.api, link_second, 204)
    assert me(h.api, access)["email"] == second


# -- re-authentication ------------------------------------------------------

def test_export_erasure_and_email_change_need_the_password(mail):
    """Item 5: what reveals or destroys asks for the current password, and
    every wrong one counts against the sign-in throttle: a stolen access
    token is no faster a way to guess it than sign-in."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "reauth")
    access = login(h.api, address)["access_token"]
    auth = bearer(access)
    for method, path, body in (("POST", "/v1/me/export", {}),
                               ("DELETE", "/v1/me", {}),
                               ("PUT", "/v1/me/email", {"email": unique_email("reauth.to")})):
        r = h.api.request(method, path, body=body, headers=auth)
        assert r.status == 422, (method, path, r.status)
        assert ("password", "required") in {(e["field"], e["code"]) for e in r.json["errors"]}
    wrong = "not the password, but long 1"
    for method, path, body in (("POST", "/v1/me/export", {"password": wrong}),
                               ("DELETE", "/v1/me", {"password": wrong}),
                               ("PUT", "/v1/me/email",
                                {"email": unique_email("reauth.to"), "password": wrong})):
        r = h.api.request(method, path, body=body, headers=auth)
        assert r.status == 422, (method, path, r.status, r.body)
        assert r.json["errors"] == [{"field": "password", "code": "incorrect",
                                     "message": "the password is not correct"}]
    failures = "SELECT failures FROM login_throttle WHERE client <> '' AND email_bidx = " \
               "(SELECT email_bidx FROM accounts WHERE id = '%s')" % account_id  # this client's
    assert pg.psql(failures) == "3"
    r = h.api.request("POST", "/v1/me/export", body={"password": PASSWORD}, headers=auth)
    assert r.status == 200 and r.json["account"]["email"] == address
    assert pg.psql(failures) == ""  # a right password forgets the failures
    # ten wrong ones in a row lock sign-in and the password routes alike
    for i in range(10):
        h.api.request("POST", "/v1/me/export", body={"password": wrong + str(i)}, headers=auth)
    assert h.api.request("POST", "/v1/me/export", body={"password": PASSWORD},
                         headers=auth).status == 429
    login(h.api, address, expect=429)
    assert pg.psql("SELECT erased_at IS NULL FROM accounts WHERE id = '%s'" % account_id) == "t"


# -- what the token says ------------------------------------------------------

def claims_of(access):
    payload = access.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_token_claims_after_sign_in_and_refresh(mail):
    """Item 7: the access token carries hcp_status, profession, country
    (non-personal catalogue fields) and auth_time; a refresh brings the
    status up to date and keeps the sign-in's time."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "claims", profession="pharmacist", country="US")
    before = int(time.time())
    tokens = login(h.api, address)
    c = claims_of(tokens["access_token"])
    assert (c["hcp_status"], c["profession"], c["country"]) == \
        ("pending_verification", "pharmacist", "US")
    assert before - 1 <= c["auth_time"] <= c["iat"]
    for personal in ("given_name", "family_name", "email", "npi", "phone"):
        assert personal not in c
    pg.psql("UPDATE accounts SET status = 'verified' WHERE id = '%s'" % account_id)
    time.sleep(1.1)
    r = h.api.request("POST", "/v1/sessions/refresh",
                      body={"refresh_token": tokens["refresh_token"]})
    again = claims_of(r.json["access_token"])
    assert again["hcp_status"] == "verified" and again["auth_time"] == c["auth_time"]
    assert again["iat"] > c["iat"]
    # the documented claims are all there
    schema = openapi_check.load_document()["components"]["schemas"]["AccessTokenClaims"]
    assert set(schema["required"]) <= set(again)
    assert set(again) <= set(schema["properties"])


def test_get_export_needs_a_recent_sign_in(mail):
    """Item 5: GET /v1/me/export needs a sign-in of the last 5 minutes
    (auth_time, kept through refreshes); an older one gets RFC 9470's 401
    and the POST with the password still works."""
    pg, h, sink = mail
    address, account_id = signed_up(h.api, "export.fresh")
    tokens = login(h.api, address)
    r = h.api.request("GET", "/v1/me/export", headers=bearer(tokens["access_token"]))
    assert r.status == 200
    pg.psql("UPDATE sessions SET created_at = created_at - interval '6 minutes' "
            "WHERE account_id = '%s'" % account_id)
    old = h.api.request("POST", "/v1/sessions/refresh",
                        body={"refresh_token": tokens["refresh_token"]}).json
    r = h.api.request("GET", "/v1/me/export", headers=bearer(old["access_token"]))
    assert r.status == 401 and r.is_problem()
    assert r.json["type"] == "urn:hcpd:problem:reauthentication-required"
    assert 'error="insufficient_user_authentication"' in r.headers["www-authenticate"]
    assert "max_age=300" in r.headers["www-authenticate"]
    r = h.api.request("POST", "/v1/me/export", body={"password": PASSWORD},
                      headers=bearer(old["access_token"]))
    assert r.status == 200 and r.json["account"]["id"] == account_id
