"""Email confirmation against the real server, database and a real SMTP
server: the outbox written with the registration, the mailer thread
delivering to an aiosmtpd sink in this process (minting the token as it
sends, into a link built from HCPD_LINK_CONFIRM_EMAIL),
POST /v1/me/email/confirm, the "already registered" notice for a taken
email, back-off while the SMTP server is down, and no plaintext address or
token at rest or in the log."""

import asyncio
import email
import email.policy
import re
import subprocess
import threading
import time
import uuid

import pytest
from aiosmtpd.controller import Controller

from conftest import free_port, registration
from test_db_outage import pool_gauges, pool_idle

PASSWORD = "a long passphrase 2024"
# the token of a mailed link: in the fragment, 43 base64url characters
TOKEN_RE = re.compile(r'#token=([A-Za-z0-9_-]{43})\b')
LINK_RE = re.compile(r'(https?://\S+#token=[A-Za-z0-9_-]{43})')
CANARIES = {"given_name": "Philippa", "family_name": "Quenneville", "npi": "1245319599",
            "phone": "+14155550199", "license_number": "QZ98765"}


class Sink:
    """aiosmtpd handler that keeps every message it is given, answering
    each `hold` seconds after its data arrived (counted in `arrived`)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.hold, self.arrived = 0, 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.arrived += 1
        await asyncio.sleep(self.hold)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({"mail_from": envelope.mail_from,
                                  "rcpt_tos": list(envelope.rcpt_tos),
                                  "raw": envelope.content, "msg": parsed})
        return "250 OK"

    def received(self, rcpt, subject):
        with self.lock:
            return [m for m in self.messages
                    if m["rcpt_tos"] == [rcpt] and subject in m["msg"]["Subject"]]

    def wait_for(self, rcpt, subject, count=1, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.received(rcpt, subject)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError("no %r message for the address within %d s" % (subject, timeout))


def start_sink(port=None):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return sink, controller


@pytest.fixture
def smtp():
    sink, controller = start_sink()
    yield sink, controller.port
    controller.stop()


def unique_email(tag):
    return "%s.%s@example.org" % (tag, uuid.uuid4().hex[:10])


def register(api, address, **profile):
    r = api.register(registration(address, **profile))
    assert r.status == 202, r.body
    return r


def login(api, address):
    r = api.request("POST", "/v1/sessions", body={"email": address, "password": PASSWORD})
    assert r.status == 200, r.body
    return r.json["access_token"]


def confirm(api, access, token, expect):
    body = token if isinstance(token, dict) else {"token": token}
    r = api.request("POST", "/v1/me/email/confirm", body=body,
                    headers={"Authorization": "Bearer " + access})
    assert r.status == expect, (r.status, r.body)
    return r


def assert_invalid_token(reply):
    assert reply.is_problem()
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("token", "invalid")]


def token_of(message):
    found = TOKEN_RE.findall(message["msg"].get_content())
    assert len(set(found)) == 1, message["msg"].get_content()
    return found[0]


def link_of(message):
    found = LINK_RE.findall(message["msg"].get_content())
    assert len(set(found)) == 1, message["msg"].get_content()
    return found[0]


def test_confirmation_mail_confirm_and_already_registered(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    api = h.api
    address = "Conf.Owner.%s@Example.org" % uuid.uuid4().hex[:8]
    first = register(api, address, **CANARIES)
    account_id = first.json["id"]

    # the real message, as a mail client would read it
    [mail] = sink.wait_for(address, "Confirm your email address")
    msg = mail["msg"]
    assert mail["mail_from"] == "hcpd@localhost"
    assert msg["To"] == address and msg["From"] == "hcpd@localhost"
    assert msg["Date"] and re.match(r"^<[0-9a-f]{32}@localhost>$", msg["Message-ID"])
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert b"\r\n" in mail["raw"]
    # a link to hcpd's own page, the token in the fragment (never logged or
    # sent as Referer)
    assert link_of(mail).startswith("http://127.0.0.1:8080/account/confirm-email#token=")
    raw = mail["raw"].decode()
    for name, value in CANARIES.items():
        assert value not in raw, "%s in the confirmation message" % name
    token = token_of(mail)

    access = login(api, address)
    r = api.request("GET", "/v1/me", headers={"Authorization": "Bearer " + access})
    assert r.json["email_verified"] is False

    # another account's token is refused, and stays usable by its owner
    other = unique_email("conf.other")
    register(api, other)
    other_token = token_of(sink.wait_for(other, "Confirm your email address")[0])
    assert_invalid_token(confirm(api, access, other_token, 422))

    wrong = confirm(api, access, "A" * 43, 422)
    assert_invalid_token(wrong)
    r = confirm(api, access, token, 204)
    assert r.body == b""
    r = api.request("GET", "/v1/me", headers={"Authorization": "Bearer " + access})
    assert r.json["email_verified"] is True
    used = confirm(api, access, token, 422)
    assert_invalid_token(used)
    strip = lambda reply: {k: v for k, v in reply.json.items() if k != "request_id"}
    assert strip(used) == strip(wrong)  # one reply, whatever the reason

    confirm(api, login(api, other), other_token, 204)
    assert pg.psql("SELECT email_verified FROM accounts WHERE id = '%s'" % account_id) == "t"

    # the same address in another case: the same 202, and its owner is told
    again = register(api, address.lower())
    assert set(again.json) == set(first.json) and again.json["status"] == first.json["status"]
    assert set(again.headers) == set(first.headers)
    assert again.json["id"] != account_id
    [notice] = sink.wait_for(address, "Someone tried to register")
    assert notice["msg"]["To"] == address
    body = notice["msg"].get_content()
    assert "already has an account" in body and "/v1/sessions" in body
    assert not TOKEN_RE.search(body) and token not in body
    assert pg.psql("SELECT count(*) FROM email_tokens WHERE account_id = '%s'"
                   % account_id) == "1"
    assert pg.psql("SELECT count(*) FROM accounts WHERE id = '%s'" % again.json["id"]) == "0"
    rows = pg.psql("SELECT kind, sent_at IS NOT NULL, attempts FROM outbox "
                   "WHERE account_id = '%s' ORDER BY id" % account_id)
    assert rows.splitlines() == ["confirm_email|t|0", "already_registered|t|0"]
    assert len(sink.received(address, "Confirm your email address")) == 1

    # at rest and in the log: no address, no token
    dump = pg.dump()
    log = h.read_log()
    for name, value in (("address", address), ("token", token), ("other token", other_token),
                        ("other address", other)):
        assert value.lower() not in dump.lower(), "%s found in clear in pg_dump" % name
        assert value.lower() not in log.lower(), "%s found in the log" % name
    assert '"msg":"mail sent"' in log and '"kind":"confirm_email"' in log


def test_a_slow_mail_server_holds_no_database_connection(stack, smtp):
    """An SMTP exchange may last its whole timeout: the mailer gives its
    pooled connection back for it (a slow server must not take one from
    the API for that long), then records the mail as sent."""
    sink, port = smtp
    sink.hold = 3
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("slow.smtp")
    account_id = register(h.api, address).json["id"]
    deadline = time.time() + 10
    while sink.arrived == 0:
        assert time.time() < deadline, "no mail arrived"
        time.sleep(0.05)
    # while the server holds the exchange, nothing stays lent out (pool_idle: other
    # background work borrows a connection for a moment now and then)
    assert pool_idle(h.metrics, 2.5), pool_gauges(h.metrics)
    assert sink.received(address, "Confirm") == []
    sink.wait_for(address, "Confirm your email address")
    deadline = time.time() + 5
    while pg.psql("SELECT count(*) FROM outbox WHERE account_id = '%s' "
                  "AND sent_at IS NOT NULL" % account_id) != "1":
        assert time.time() < deadline, "the mail was not recorded as sent"
        time.sleep(0.1)


def test_registering_a_taken_address_again_and_again_is_no_mail_bomb(stack, smtp):
    """Issue 18: anyone may register someone's address as often as they like;
    its owner hears of it at most three times a day, and the replies do not
    change when the cap is reached."""
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("bombed")
    register(h.api, address)
    replies = [register(h.api, address) for _ in range(6)]
    assert {frozenset(r.json) for r in replies} == {frozenset(["id", "status"])}
    assert {frozenset(r.headers) - {"x-request-id", "date", "location"} for r in replies} == \
        {frozenset(replies[0].headers) - {"x-request-id", "date", "location"}}
    sink.wait_for(address, "Someone tried to register", count=3)
    time.sleep(2.5)  # the mailer polls every second: anything more would be here
    assert len(sink.received(address, "Someone tried to register")) == 3
    assert pg.psql("SELECT count(*) FROM outbox WHERE kind = 'already_registered'") == "3"


def test_confirm_body_and_auth_are_checked(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("conf.body")
    register(h.api, address)
    token = token_of(sink.wait_for(address, "Confirm your email address")[0])
    access = login(h.api, address)
    cases = [({}, ("token", "required")), ({"token": 5}, ("token", "type")),
             ({"token": token, "extra": 1}, ("extra", "unknown_field")),
             ({"token": "x" * 129}, ("token", "too_long"))]
    for body, error in cases:
        r = confirm(h.api, access, body, 422)
        assert error in {(e["field"], e["code"]) for e in r.json["errors"]}, (body, r.json)
    r = h.api.request("POST", "/v1/me/email/confirm", body={"token": token})
    assert r.status == 401 and r.headers["www-authenticate"] == "Bearer"
    # none of that used the token up
    confirm(h.api, access, token, 204)


def test_expired_confirmation_token_is_refused(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("conf.expired")
    account_id = register(h.api, address).json["id"]
    token = token_of(sink.wait_for(address, "Confirm your email address")[0])
    tokens = "FROM email_tokens WHERE account_id = '%s'" % account_id
    expire_in = ("UPDATE email_tokens SET expires_at = now() + interval '%%s' "
                 "WHERE account_id = '%s'" % account_id)
    verified = "SELECT email_verified FROM accounts WHERE id = '%s'" % account_id
    # the mailed token lives 24 h
    assert pg.psql("SELECT expires_at - created_at " + tokens) == "1 day"
    access = login(h.api, address)
    wrong = confirm(h.api, access, "A" * 43, 422)
    pg.psql(expire_in % "-1 second")
    expired = confirm(h.api, access, token, 422)
    assert_invalid_token(expired)
    strip = lambda reply: {k: v for k, v in reply.json.items() if k != "request_id"}
    assert strip(expired) == strip(wrong)  # nothing tells an expired token apart
    assert pg.psql(verified) == "f"
    assert pg.psql("SELECT used_at IS NULL " + tokens) == "t"
    # the same token inside its lifetime confirms: expiry was the only reason
    pg.psql(expire_in % "1 hour")
    confirm(h.api, access, token, 204)
    assert pg.psql(verified) == "t"


def test_smtp_down_backs_off_then_delivers(stack):
    port = free_port()  # nothing listens here yet
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("conf.retry")
    account_id = register(h.api, address).json["id"]
    deadline = time.time() + 10
    row = ""
    while time.time() < deadline:
        row = pg.psql("SELECT attempts, last_error, sent_at IS NULL, next_attempt_at > now() "
                      "FROM outbox WHERE account_id = '%s'" % account_id)
        if row and not row.startswith("0|"):
            break
        time.sleep(0.1)
    attempts, error, unsent, later = row.split("|")
    assert int(attempts) >= 1 and error == "CURLE_COULDNT_CONNECT" and unsent == "t", row
    sink, controller = start_sink(port)
    try:
        [mail] = sink.wait_for(address, "Confirm your email address", timeout=15)
    finally:
        controller.stop()
    assert token_of(mail)
    row = pg.psql("SELECT sent_at IS NOT NULL, last_error IS NULL FROM outbox "
                  "WHERE account_id = '%s'" % account_id)
    assert row == "t|t"
    log = h.read_log()
    assert '"msg":"mail not sent"' in log and "CURLE_COULDNT_CONNECT" in log
    assert address.lower() not in log.lower()


def test_admins_get_no_mail(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("conf.admin")
    r = h.cli("admin", "create", "--email", address, input="correct horse battery staple 9\n")
    assert r.returncode == 0, r.stderr
    admin_id = r.stdout.strip()
    assert pg.psql("SELECT count(*) FROM outbox WHERE account_id = '%s'" % admin_id) == "0"
    assert pg.psql("SELECT count(*) FROM email_tokens WHERE account_id = '%s'" % admin_id) == "0"


def test_without_smtp_the_outbox_keeps_messages(hcpd, pg, api):
    address = unique_email("conf.off")
    account_id = register(api, address).json["id"]
    assert pg.psql("SELECT kind, attempts, sent_at IS NULL FROM outbox WHERE account_id = '%s'"
                   % account_id) == "confirm_email|0|t"
    assert "mail is off" in hcpd.read_log()
    # the token is minted when the mail is sent, so none exists yet and the
    # queued row holds none
    assert pg.psql("SELECT count(*) FROM email_tokens WHERE account_id = '%s'"
                   % account_id) == "0"
    assert pg.psql("SELECT payload_enc IS NULL FROM outbox WHERE account_id = '%s'"
                   % account_id) == "t"
    # a token planted by hand (the mailed one is known only to the mailbox):
    # an expired one is refused like any other, a live one confirms
    plant = ("INSERT INTO email_tokens (token_hash, account_id, purpose, expires_at) VALUES "
             "(sha256(convert_to('%s', 'UTF8')), '%s', 'confirm_email', now() + interval '%s')")
    pg.psql(plant % ("expired-token-" + account_id, account_id, "-1 second"))
    pg.psql(plant % ("live-token-" + account_id, account_id, "1 hour"))
    access = login(api, address)
    assert_invalid_token(confirm(api, access, "expired-token-" + account_id, 422))
    confirm(api, access, "live-token-" + account_id, 204)
    assert pg.psql("SELECT email_verified FROM accounts WHERE id = '%s'" % account_id) == "t"


def test_mail_of_an_erased_account_is_given_up(stack):
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % free_port()})
    account_id = register(h.api, unique_email("conf.erased")).json["id"]
    pg.psql("UPDATE accounts SET data_key = NULL WHERE id = '%s'" % account_id)  # crypto-shred
    deadline = time.time() + 10
    row = ""
    while time.time() < deadline and row != "10|erased|t":
        time.sleep(0.2)
        row = pg.psql("SELECT attempts, last_error, sent_at IS NULL FROM outbox "
                      "WHERE account_id = '%s'" % account_id)
    assert row == "10|erased|t"
    assert '"given_up":true' in h.read_log()


def test_links_follow_their_templates_and_bad_templates_stop_start_up(stack, smtp, tmp_path):
    """Issue 20 item 2: mail carries a link from HCPD_LINK_CONFIRM_EMAIL with
    the token where the template says (here a front end's page), and a
    template that would put the token in the query string (access logs,
    Referer) or has no {token} stops start-up naming the variable."""
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port,
                   "HCPD_LINK_CONFIRM_EMAIL": "https://signup.example.org/verify#t={token}",
                   "HCPD_PUBLIC_URL": "https://hcp.example.org"})
    address = unique_email("conf.link")
    register(h.api, address)
    body = sink.wait_for(address, "Confirm your email address")[0]["msg"].get_content()
    found = re.findall(r"https://signup\.example\.org/verify#t=([A-Za-z0-9_-]{43})\s", body)
    assert len(found) == 1, body
    access = login(h.api, address)
    confirm(h.api, access, found[0], 204)
    for bad, rule in (("https://signup.example.org/verify?t={token}", "query string"),
                      ("{public_url}/account/confirm-email", "{token}")):
        env = dict(h.env, HCPD_LINK_RESET_PASSWORD=bad)
        r = subprocess.run([h.argv[0], "serve"], env=env, cwd=h.cwd, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 2 and "HCPD_LINK_RESET_PASSWORD" in r.stderr, r.stderr
        assert rule in r.stderr, r.stderr
