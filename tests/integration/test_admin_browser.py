"""The admin page in a real headless Chromium (tests/browser/admin_review.mjs,
driven by playwright-core): sign-in, the queue, an item with its evidence
and a licence document to download, a decision, the 403 and 412 messages,
a request for a document answered by an upload; no JavaScript or console
error. The screenshots it keeps under tests/artifacts/ are named in the
test output."""

import hashlib
import os
import shutil
import subprocess

from conftest import ROOT, registration
from reviewkit import (PRO_PASSWORD, ADMIN_PASSWORD, bearer, login, make_admin, make_flagged,
                       unique_email, write_test_register)

SCRIPT = os.path.join(ROOT, "tests", "browser", "admin_review.mjs")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")


def ensure_playwright():
    """Installs the pinned npm packages (tests/package-lock.json) when one
    is missing or differs, one test process at a time (tests/npm-ci)."""
    subprocess.run([os.path.join(ROOT, "tests", "npm-ci")], check=True, capture_output=True,
                   timeout=600)


def run_script(script, h, capsys, **values):
    """Runs a browser script against h with values in its environment
    (and HCPD_URL, ARTIFACTS); prints the screenshots it names."""
    env = dict(os.environ, HCPD_URL="http://127.0.0.1:%d" % h.port, ARTIFACTS=ARTIFACTS,
               **values)
    r = subprocess.run(["node", script], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=180)
    shots = [line for line in r.stdout.splitlines() if line.startswith("screenshot: ")]
    with capsys.disabled():
        print("\n" + "\n".join(shots))
    assert r.returncode == 0, r.stdout + r.stderr


def manual_registries(tmp_path):
    """The shipped definitions and a manual register whose link carries
    the declared number (no shipped one publishes such a link)."""
    regs = tmp_path / "registries"
    shutil.copytree(os.path.join(ROOT, "verifiers", "registries"), regs)
    write_test_register(regs)
    return str(regs)


def test_admin_reviews_in_chromium(stack, capsys, tmp_path):
    ensure_playwright()
    os.makedirs(ARTIFACTS, exist_ok=True)
    pg, h = stack({"HCPD_REGISTRIES_DIR": manual_registries(tmp_path)})
    admin_email, _, _ = make_admin(h)
    _, _, other_token = make_admin(h)
    item_id, item_email = make_flagged(h, pg, given_name="Aroha", family_name="Ng")
    stale_id, pro_email = make_flagged(h, pg)
    body = registration(unique_email("sg"), country="SG", mcr_number="M 1234/5")
    del body["profile"]["npi"], body["profile"]["license_region"]
    r = h.api.register(body)
    assert r.status == 202, r.body
    manual_id = r.json["id"]
    ask_id, ask_email = make_flagged(h, pg)
    document = b"%PDF-1.7\n" + os.urandom(300 * 1024)
    r = h.api.request("POST", "/v1/me/documents", raw=document,
                      headers=dict(bearer(login(h, item_email)),
                                   **{"Content-Type": "application/pdf"}))
    assert r.status == 201, r.body
    run_script(SCRIPT, h, capsys, ADMIN_EMAIL=admin_email, ADMIN_PASSWORD=ADMIN_PASSWORD,
               PRO_EMAIL=pro_email, PRO_PASSWORD=PRO_PASSWORD, ITEM_ID=item_id,
               STALE_ITEM_ID=stale_id, OTHER_ADMIN_TOKEN=other_token, MANUAL_ITEM_ID=manual_id,
               MANUAL_REGISTER="Test register of doctors",
               MANUAL_LINK="https://register.example/search?number=M%201234%2F5",
               DOC_ID=r.json["id"], DOC_SHA256=hashlib.sha256(document).hexdigest(),
               ASK_ITEM_ID=ask_id, ASK_PRO_TOKEN=login(h, ask_email))
    # the server agrees with what the page showed
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % item_id) == "approved"
    assert pg.psql("SELECT reason_enc IS NOT NULL FROM review_decisions "
                   "WHERE account_id = '%s'" % item_id) == "t"  # the reason, sealed
    assert pg.psql("SELECT count(*) FROM review_decisions WHERE account_id = '%s'"
                   % stale_id) == "1"
    # the page's download was audited; the request asked for a document
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'document.view' "
                   "AND target = '%s'" % item_id) == "1"
    assert pg.psql("SELECT document_requested FROM review_decisions WHERE account_id = '%s'"
                   % ask_id) == "t"


CONSOLE = os.path.join(ROOT, "tests", "browser", "admin_console.mjs")


def test_admin_console_in_chromium(stack, capsys):
    """Issue 21 item 6: the console's screens (tests/browser/admin_console.mjs).
    The admin finds a professional by email and suspends the account with a
    reason; the professional's own GET /v1/me then says suspended."""
    ensure_playwright()
    os.makedirs(ARTIFACTS, exist_ok=True)
    pg, h = stack()
    admin_email, _, _ = make_admin(h)
    pro_email = unique_email("console.pro")
    r = h.api.register(registration(pro_email))
    assert r.status == 202, r.body
    pro_id = r.json["id"]
    run_script(CONSOLE, h, capsys, ADMIN_EMAIL=admin_email, ADMIN_PASSWORD=ADMIN_PASSWORD,
               PRO_EMAIL=pro_email, PRO_ID=pro_id)
    token = h.api.request("POST", "/v1/sessions", body={"email": pro_email,
                                                        "password": PRO_PASSWORD})
    me = h.api.request("GET", "/v1/me",
                       headers={"Authorization": "Bearer " + token.json["access_token"]})
    assert me.json["status"] == "suspended"
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'account.action' AND "
                   "target = '%s' AND reason_enc IS NOT NULL" % pro_id) == "1"
    assert pg.psql("SELECT count(*) FROM staff_totp WHERE confirmed_at IS NOT NULL") == "1"
