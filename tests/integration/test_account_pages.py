"""hcpd's own account pages in a real headless Chromium (issue 20 item 2):
tests/browser/account_pages.mjs opens the confirmation and reset links read
out of real mail (an aiosmtpd sink), with HCPD_PUBLIC_URL pointing at this
hcpd, and the server is then asked whether it happened. The screenshots
kept under tests/artifacts/ are named in the test output."""

import os
import subprocess

import pytest

from conftest import Hcpd, Postgres, ROOT, migrate, registration
from test_admin_browser import ARTIFACTS, ensure_playwright
from test_email import link_of, start_sink, unique_email

SCRIPT = os.path.join(ROOT, "tests", "browser", "account_pages.mjs")
PASSWORD = "a long passphrase 2024"
NEW_PASSWORD = "a brand new passphrase 2025"


@pytest.fixture
def linked(tmp_path):
    """An hcpd whose mail links point at itself, mailing to a sink."""
    sink, controller = start_sink()
    pg = Postgres()
    h = Hcpd(pg, str(tmp_path), {"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % controller.port})
    h.env["HCPD_PUBLIC_URL"] = "http://127.0.0.1:%d" % h.port
    migrate(h)
    h.start()
    yield pg, h, sink
    h.assert_clean_exit()
    pg.destroy()
    controller.stop()


def browse(h, capsys, **env):
    full = dict(os.environ, HCPD_URL="http://127.0.0.1:%d" % h.port, ARTIFACTS=ARTIFACTS, **env)
    r = subprocess.run(["node", SCRIPT], cwd=ROOT, env=full, capture_output=True, text=True,
                       timeout=180)
    with capsys.disabled():
        print("\n" + "\n".join(l for l in r.stdout.splitlines() if l.startswith("screenshot: ")))
    assert r.returncode == 0, r.stdout + r.stderr


def test_confirm_and_reset_pages_in_chromium(linked, capsys):
    ensure_playwright()
    os.makedirs(ARTIFACTS, exist_ok=True)
    pg, h, sink = linked
    address = unique_email("pages")
    r = h.api.register(registration(address))
    assert r.status == 202
    account_id = r.json["id"]
    confirm = link_of(sink.wait_for(address, "Confirm your email address")[0])
    assert confirm.startswith("http://127.0.0.1:%d/account/confirm-email#token=" % h.port)

    browse(h, capsys, STEP="confirm", CONFIRM_LINK=confirm, EMAIL=address)
    assert pg.psql("SELECT email_verified FROM accounts WHERE id = '%s'" % account_id) == "t"

    reset = link_of(sink.wait_for(address, "Reset your password")[0])
    assert reset.startswith("http://127.0.0.1:%d/account/reset-password#token=" % h.port)
    browse(h, capsys, STEP="reset", RESET_LINK=reset, NEW_PASSWORD=NEW_PASSWORD)
    ok = h.api.request("POST", "/v1/sessions", body={"email": address, "password": NEW_PASSWORD})
    old = h.api.request("POST", "/v1/sessions", body={"email": address, "password": PASSWORD})
    assert (ok.status, old.status) == (200, 401)
    sink.wait_for(address, "Your password was changed")
    # the token never reached the server in a URL: not in the access log
    log = h.read_log()
    for link in (confirm, reset):
        assert link.split("#token=")[1] not in log
