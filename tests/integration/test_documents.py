"""Licence documents (issue 19 item 5) against the real server and database:
a professional uploads proof of a licence as the raw body of
POST /v1/me/documents, lists, fetches and deletes their own; admins see
them on the review item and fetch them through GET /v1/admin/documents/{id}
(audited); the export lists them with where to fetch each.

- the bytes round-trip exactly (PDF, JPEG, PNG; one chunk, the chunk's
  edge, several chunks, the 10 MiB cap) and are stored only sealed: a
  pg_dump holds no run of them;
- the type comes from the first bytes, and the Content-Type must agree
  (an .exe sent as application/pdf is 415);
- 11 MB is 413 before a byte is read, a chunked body is cut off at the cap,
  and the process grows by at most the cap doing either;
- nobody reaches another account's document (404), a deleted document is
  gone for admins too, erasure leaves nothing that opens, and the purge
  drops them HCPD_RETENTION_DOCUMENTS_DAYS after the review's decision;
- request_info can ask for a document, and the upload answers it."""

import json
import os
import socket
import time
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import HCPD_BIN, registration
from privacy_helpers import PASSWORD, Pro, bearer
from reviewkit import data_key, decide, item, login, make_admin, make_flagged
from test_edge import inside_a_minute

MIB = 1024 * 1024
CAP = 10 * MIB
CHUNK = 256 * 1024
UUID_PATH = "/v1/me/documents/{id}"


def pdf(size, marker=b""):
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    tail = b"\n%%EOF\n"
    return head + marker + os.urandom(size - len(head) - len(marker) - len(tail)) + tail


def jpeg(size, marker=b""):
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + marker + os.urandom(size - len(head) - len(marker) - 2) + b"\xff\xd9"


def png(size, marker=b""):
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    return head + marker + os.urandom(size - len(head) - len(marker))


def upload(api, token, data, ctype, expect=None):
    r = api.request("POST", "/v1/me/documents", raw=data,
                    headers=dict(bearer(token), **({"Content-Type": ctype} if ctype else {})))
    if expect is not None:
        assert r.status == expect, (r.status, r.body[:300])
    return r


def fetch(api, token, doc_id, admin=False, expect=200):
    path = ("/v1/admin/documents/%s" if admin else "/v1/me/documents/%s") % doc_id
    r = api.request("GET", path, headers=bearer(token),
                    template="/v1/admin/documents/{id}" if admin else UUID_PATH)
    assert r.status == expect, (r.status, r.body[:300])
    return r


def flagged_pro(h, pg):
    """A flagged professional, signed in: (account id, email, token)."""
    account_id, email = make_flagged(h, pg)
    return account_id, email, login(h, email)


def vm_hwm_kib(pid):
    """The process's peak resident set (VmHWM), KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def send_and_read(port, head, body_pieces=(), timeout=30):
    """Sends a request head and then body pieces on a raw socket, stopping
    as soon as the server answers (it may answer, and close, before the
    body is all sent); returns the reply bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        s.setblocking(False)
        reply = b""
        for piece in body_pieces:
            view = memoryview(piece)
            while view:
                try:
                    reply += s.recv(65536)
                    break  # the server answered: stop sending
                except BlockingIOError:
                    pass
                try:
                    view = view[s.send(view):]
                except BlockingIOError:
                    time.sleep(0.001)
                except (BrokenPipeError, ConnectionResetError):
                    break
            if reply:
                break
        s.setblocking(True)
        s.settimeout(timeout)
        while True:
            try:
                part = s.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            reply += part
        return reply
    finally:
        s.close()


def head(path, token=None, ctype="application/pdf", length=None, chunked=False):
    lines = ["POST %s HTTP/1.1" % path, "Host: x", "Content-Type: %s" % ctype,
             "Connection: close"]
    if token:
        lines.append("Authorization: Bearer %s" % token)
    if length is not None:
        lines.append("Content-Length: %d" % length)
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked_pieces(total, piece=256 * 1024):
    data = b"%PDF-" + b"x" * (piece - 5)
    sent = 0
    while sent < total:
        n = min(piece, total - sent)
        yield b"%x\r\n" % n + data[:n] + b"\r\n"
        sent += n
    yield b"0\r\n\r\n"


# --- round trips ---------------------------------------------------------------

def test_documents_round_trip_byte_exact(hcpd, pg):
    """Upload -> admin download -> export's link: the same bytes, for a PDF,
    a JPEG and a PNG, at one byte over a chunk, exactly a chunk, several
    chunks and the cap; each admin download is audited with the document."""
    h, api = hcpd, hcpd.api
    _, admin_id, admin = make_admin(h)
    account_id, _, token = flagged_pro(h, pg)
    files = [(pdf(3 * CHUNK + 17), "application/pdf", "pdf"),
             (jpeg(CHUNK), "image/jpeg", "jpg"),
             (png(CHUNK + 1), "image/png", "png"),
             (pdf(CAP), "application/pdf; name=licence.pdf", "pdf")]
    ids = []
    for data, ctype, ext in files:
        r = upload(api, token, data, ctype, expect=201)
        doc = r.json
        assert doc["size"] == len(data) and doc["answered_request"] is False
        assert doc["content_type"] == ctype.split(";")[0]
        assert r.headers["location"] == "/v1/me/documents/" + doc["id"]
        ids.append(doc["id"])
        got = fetch(api, admin, doc["id"], admin=True)
        assert got.body == data
        assert got.headers["content-type"] == doc["content_type"]
        assert got.headers["content-disposition"] == \
            'attachment; filename="document-%s.%s"' % (doc["id"], ext)
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
        assert got.headers["cache-control"] == "no-store"
        audited = pg.psql("SELECT actor || '|' || target || '|' || (details->>'document_id') "
                          "FROM audit_log WHERE action = 'document.view' "
                          "AND details->>'document_id' = '%s'" % doc["id"])
        assert audited == "%s|%s|%s" % (admin_id, account_id, doc["id"])
        # no file name is kept; the chunks are sealed, one per 256 KiB
        assert pg.psql("SELECT count(*) FROM document_chunks WHERE document_id = '%s'"
                       % doc["id"]) == str((len(data) + CHUNK - 1) // CHUNK)
    # the item lists them (never their content), oldest first
    listed = item(h, admin, account_id).json["documents"]
    assert [d["id"] for d in listed] == ids
    assert set(listed[0]) == {"id", "content_type", "size", "uploaded_at"}
    assert api.request("GET", "/v1/me/documents", headers=bearer(token)).json["documents"] \
        == listed
    # the export says where each is, and that gives the same bytes again
    export = api.request("GET", "/v1/me/export", headers=bearer(token)).json
    assert [d["id"] for d in export["documents"]] == ids
    for (data, _, _), d in zip(files, export["documents"]):
        assert d["download"] == "/v1/me/documents/" + d["id"]
        r = api.request("GET", d["download"], headers=bearer(token), template=UUID_PATH)
        assert r.status == 200 and r.body == data
    # the professional's own downloads are not audited as views
    assert pg.psql("SELECT count(*) FROM audit_log WHERE action = 'document.view' "
                   "AND actor = '%s'" % account_id) == "0"


def test_a_dump_holds_none_of_a_documents_bytes(hcpd, pg):
    """Stored sealed with the account's key: a pg_dump of the database holds
    no 8-byte run of a random 64-byte marker inside the document (raw or as
    hex), though it holds the sealed chunks. The chunk opens with the data
    key as documents are sealed: aad "<account>/document/<id>.<ext>/<seq>/<n>"."""
    api = hcpd.api
    account_id, _, token = flagged_pro(hcpd, pg)
    marker = os.urandom(64)
    data = png(2 * CHUNK + 100, marker=marker)
    doc = upload(api, token, data, "image/png", expect=201).json
    dump = pg.dump()
    assert "COPY public.document_chunks" in dump
    for i in range(len(marker) - 8):
        run = marker[i:i + 8]
        assert run.hex() not in dump
        assert run.decode("latin-1") not in dump
    sealed = bytes.fromhex(pg.psql("SELECT encode(sealed, 'hex') FROM document_chunks "
                                   "WHERE document_id = '%s' AND seq = 0" % doc["id"]))
    aad = ("%s/document/%s.png/0/3" % (account_id, doc["id"])).encode()
    key = data_key(hcpd, pg, account_id)
    assert AESGCM(key).decrypt(sealed[:12], sealed[12:], aad) == data[:CHUNK]


# --- types ---------------------------------------------------------------------

def test_type_is_told_from_the_bytes(hcpd, pg):
    """An .exe named .pdf and sent as application/pdf is 415; so is a
    Content-Type that does not name the file's type, or none; an empty body
    is 400. Nothing is stored."""
    api = hcpd.api
    account_id, _, token = flagged_pro(hcpd, pg)
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + os.urandom(4000)
    cases = [(exe, "application/pdf"), (exe, "application/octet-stream"),
             (b"%!PS-Adobe-3.0\n" + os.urandom(100), "application/pdf"),
             (b"<html><script>alert(1)</script>", "image/png"),
             (png(5000), "application/pdf"), (pdf(5000), "image/png"),
             (jpeg(5000), "image/png"), (pdf(5000), "text/plain"), (pdf(5000), None),
             (b"%PDF", "application/pdf")]
    for data, ctype in cases:
        r = upload(api, token, data, ctype)
        assert r.status == 415 and r.is_problem(), (data[:8], ctype, r.status)
    r = upload(api, token, b"", "application/pdf")
    assert r.status == 400 and r.is_problem()
    assert pg.psql("SELECT count(*) FROM documents WHERE account_id = '%s'"
                   % account_id) == "0"


# --- size and memory -----------------------------------------------------------

def test_over_the_cap_is_413_and_the_process_grows_by_at_most_the_cap(stack):
    """11 MB with its Content-Length is refused before a byte is read; an
    11 MB chunked body is cut off at 10 MiB with 413 and the connection
    closed. The server's peak resident memory (VmHWM) grows by next to
    nothing for the first and by at most the cap for the second - the body
    held up to the cap, and the fixed cost of a connection on top
    (libmicrohttpd's 32 KiB pool, a server thread's stack pages: measured
    up to 60 KiB) - and it still serves."""
    pg, h = stack()
    pro = Pro(h.api)
    token = pro.access
    assert h.api.request("GET", "/v1/me/documents", headers=bearer(token)).status == 200
    before = vm_hwm_kib(h.proc.pid)
    reply = send_and_read(h.port, head("/v1/me/documents", token, length=11 * 1000 * 1000))
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"application/problem+json" in reply and b"10 MiB" in reply
    assert vm_hwm_kib(h.proc.pid) - before < 1024, "refused before reading"
    # (the body was never read: true under the sanitizers as well)
    reply = send_and_read(h.port, head("/v1/me/documents", token, chunked=True),
                          chunked_pieces(11 * 1000 * 1000))
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"connection: close" in reply.lower()
    grown = vm_hwm_kib(h.proc.pid) - before
    # under AddressSanitizer (bin/san/) memory is not the release build's:
    # a byte of shadow for every 8, redzones, a quarantine of freed blocks
    if "/san/" not in HCPD_BIN:
        assert grown <= CAP // 1024 + 256, "VmHWM grew by %d KiB" % grown
    assert pg.psql("SELECT count(*) FROM documents") == "0"
    # a chunked document under the cap is taken
    reply = send_and_read(h.port, head("/v1/me/documents", token, chunked=True),
                          chunked_pieces(3 * MIB))
    assert reply.startswith(b"HTTP/1.1 201"), reply[:300]
    assert pg.psql("SELECT size_bytes FROM documents") == str(3 * MIB)


def test_the_caller_is_admitted_before_the_body_is_read(stack):
    """A raw upload's head is enough to refuse it: no token (401) or over
    the per-address limit (429) before a byte of the body is sent; and when
    HTTP_LARGE_MAX (8) documents are on their way in, a ninth gets 503."""
    pg, h = stack({"HCPD_RATE_LIMIT_PER_ADDRESS": "12"})
    inside_a_minute()  # the limit's window is the clock minute
    pro = Pro(h.api)  # a registration and a sign-in: 2 of the 12
    reply = send_and_read(h.port, head("/v1/me/documents", None, length=5 * MIB))
    assert reply.startswith(b"HTTP/1.1 401"), reply[:200]  # 3 of 12
    # eight uploads in progress, each holding its first bytes: 11 of 12
    held = []
    for _ in range(8):
        s = socket.create_connection(("127.0.0.1", h.port), timeout=10)
        s.sendall(head("/v1/me/documents", pro.access, length=2 * MIB) + b"%PDF-" + b"x" * 1000)
        held.append(s)
    time.sleep(1)  # each has its place once its head is read
    reply = send_and_read(h.port, head("/v1/me/documents", pro.access, length=2 * MIB))
    assert reply.startswith(b"HTTP/1.1 503"), reply[:200]  # 12 of 12
    assert b"retry-after: 1" in reply.lower()
    for s in held:
        s.close()
    time.sleep(0.3)
    # the limit counts uploads per address: the 13th this minute
    reply = send_and_read(h.port, head("/v1/me/documents", pro.access, length=2 * MIB))
    assert reply.startswith(b"HTTP/1.1 429"), reply[:200]
    assert pg.psql("SELECT count(*) FROM documents") == "0"


def test_a_slow_upload_must_keep_pace(stack):
    """The body's deadline starts again with each MiB received: an upload
    that sends a MiB within each deadline goes through however long it
    takes in all; one that trickles is cut without a reply."""
    pg, h = stack({"HCPD_REQUEST_DEADLINE_SECONDS": "2"})
    pro = Pro(h.api)
    data = pdf(3 * MIB)
    s = socket.create_connection(("127.0.0.1", h.port), timeout=10)
    s.sendall(head("/v1/me/documents", pro.access, length=len(data)))
    t0 = time.time()
    for i in range(0, len(data), MIB // 4):  # a MiB every 0.8 s or so
        s.sendall(data[i:i + MIB // 4])
        time.sleep(0.2)
    reply = s.recv(65536)
    s.close()
    assert time.time() - t0 > 2.2, "longer in all than the deadline"
    assert reply.startswith(b"HTTP/1.1 201"), reply[:300]
    s = socket.create_connection(("127.0.0.1", h.port), timeout=10)
    s.sendall(head("/v1/me/documents", pro.access, length=len(data)) + data[:100000])
    s.settimeout(5)
    t0 = time.time()
    try:
        cut = s.recv(65536)
    except ConnectionResetError:
        cut = b""
    s.close()
    assert cut == b"" and time.time() - t0 < 5, cut[:200]
    assert pg.psql("SELECT count(*) FROM documents") == "1"


# --- who may reach a document --------------------------------------------------

def test_no_one_reaches_another_accounts_document(hcpd, pg):
    """Professional B gets 404 for A's document, to fetch or delete it;
    A's list never shows it to B; an unknown or malformed id is 404."""
    api = hcpd.api
    _, _, token_a = flagged_pro(hcpd, pg)
    b = Pro(api)
    data = jpeg(20000)
    doc = upload(api, token_a, data, "image/jpeg", expect=201).json
    fetch(api, b.access, doc["id"], expect=404)
    r = api.request("DELETE", "/v1/me/documents/" + doc["id"], headers=bearer(b.access),
                    template=UUID_PATH)
    assert r.status == 404 and r.is_problem()
    assert b.call("GET", "/v1/me/documents", expect=200).json == {"documents": []}
    for other in (str(uuid.uuid4()), "not-a-uuid"):
        fetch(api, token_a, other, expect=404)
    assert fetch(api, token_a, doc["id"]).body == data


def test_delete_then_gone_for_admins_too(hcpd, pg):
    api = hcpd.api
    _, _, admin = make_admin(hcpd)
    account_id, _, token = flagged_pro(hcpd, pg)
    doc = upload(api, token, pdf(CHUNK * 2), "application/pdf", expect=201).json
    fetch(api, admin, doc["id"], admin=True)
    r = api.request("DELETE", "/v1/me/documents/" + doc["id"], headers=bearer(token),
                    template=UUID_PATH)
    assert r.status == 204
    fetch(api, admin, doc["id"], admin=True, expect=404)
    fetch(api, token, doc["id"], expect=404)
    assert pg.psql("SELECT count(*) FROM document_chunks WHERE document_id = '%s'"
                   % doc["id"]) == "0"
    assert item(hcpd, admin, account_id).json["documents"] == []


def test_an_account_holds_at_most_ten(hcpd, pg):
    api = hcpd.api
    pro = Pro(api)
    for _ in range(10):
        upload(api, pro.access, png(300), "image/png", expect=201)
    r = upload(api, pro.access, png(300), "image/png")
    assert r.status == 409 and r.is_problem() and "10 documents" in r.json["detail"]
    first = pro.call("GET", "/v1/me/documents", expect=200).json["documents"][0]
    pro.call("DELETE", "/v1/me/documents/" + first["id"], expect=204, template=UUID_PATH)
    upload(api, pro.access, png(300), "image/png", expect=201)


# --- erasure and retention -----------------------------------------------------

def test_erasure_leaves_no_document_that_opens(hcpd, pg):
    """Erasure deletes the documents with their chunks, and a chunk kept
    from before (a dump, a backup) no longer opens: the key is gone."""
    api = hcpd.api
    _, _, admin = make_admin(hcpd)
    pro = Pro(api)
    doc = upload(api, pro.access, pdf(CHUNK + 5), "application/pdf", expect=201).json
    before = bytes.fromhex(pg.psql("SELECT encode(sealed, 'hex') FROM document_chunks "
                                   "WHERE document_id = '%s' AND seq = 0" % doc["id"]))
    assert data_key(hcpd, pg, pro.id) is not None
    pro.call("DELETE", "/v1/me", {"password": PASSWORD}, expect=204)
    assert pg.psql("SELECT count(*) FROM documents WHERE account_id = '%s'" % pro.id) == "0"
    assert pg.psql("SELECT count(*) FROM document_chunks WHERE document_id = '%s'"
                   % doc["id"]) == "0"
    assert data_key(hcpd, pg, pro.id) is None and len(before) > CHUNK
    fetch(api, admin, doc["id"], admin=True, expect=404)


def decided_days_ago(pg, account_id, days):
    """Moves the account's decisions back in time (review_decisions is
    append-only: its triggers are set aside for this one statement)."""
    pg.psql("BEGIN; ALTER TABLE review_decisions DISABLE TRIGGER USER; "
            "UPDATE review_decisions SET decided_at = now() - make_interval(days => %d) "
            "WHERE account_id = '%s'; ALTER TABLE review_decisions ENABLE TRIGGER USER; COMMIT"
            % (days, account_id))


def test_the_purge_drops_documents_after_the_decision(stack):
    """HCPD_RETENTION_DOCUMENTS_DAYS (here 30) after an approval or
    rejection, the documents uploaded before it go, counted in the purge's
    output; not sooner, not those uploaded after it, not while the item is
    back in the queue, not under a legal hold."""
    pg, h = stack({"HCPD_RETENTION_DOCUMENTS_DAYS": "30"})
    api = h.api
    _, _, admin = make_admin(h)
    decided, held, queued = flagged_pro(h, pg), flagged_pro(h, pg), flagged_pro(h, pg)
    docs = {}
    for account_id, _, token in (decided, held, queued):
        docs[account_id] = upload(api, token, pdf(1000), "application/pdf", expect=201).json
    for account_id, _, _ in (decided, held):
        etag = item(h, admin, account_id).headers["etag"]
        assert decide(h, admin, account_id, "approve", "Seen the certificate.", etag).status \
            == 200
    etag = item(h, admin, queued[0]).headers["etag"]
    assert decide(h, admin, queued[0], "request_info", "Which board?", etag).status == 200
    later = upload(api, decided[2], png(500), "image/png", expect=201).json
    pg.psql("UPDATE accounts SET legal_hold_at = now() "
            "WHERE id = '%s'" % held[0])

    def purge():
        r = h.cli("purge", "--now")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["documents"]

    pg.psql("UPDATE documents SET uploaded_at = now() - interval '40 days' WHERE id <> '%s'"
            % later["id"])
    for account_id, _, _ in (decided, held, queued):
        decided_days_ago(pg, account_id, 29)
    assert purge() == 0
    for account_id, _, _ in (decided, held, queued):
        decided_days_ago(pg, account_id, 31)
    assert purge() == 1
    remaining = pg.psql("SELECT id FROM documents ORDER BY id").split()
    assert sorted(remaining) == sorted([later["id"], docs[held[0]]["id"],
                                        docs[queued[0]]["id"]])
    fetch(api, decided[2], later["id"])


# --- review -------------------------------------------------------------------

def test_request_info_can_ask_for_a_document_and_an_upload_answers_it(hcpd, pg):
    """A request_info with document_requested: the professional reads that
    a document is asked for; their upload answers it, exactly as a written
    answer would (the item is flagged, waiting for an admin again, its ETag
    changed), and the item shows which document answered. An upload while
    only a question is asked leaves the question open."""
    h, api = hcpd, hcpd.api
    _, _, admin = make_admin(h)
    # document_requested goes with request_info only, and must be a boolean
    account_id, _, token = flagged_pro(h, pg)
    etag = item(h, admin, account_id).headers["etag"]
    for body, field in (({"decision": "reject", "reason": "x", "document_requested": True},
                         "document_requested"),
                        ({"decision": "request_info", "reason": "x",
                          "document_requested": "yes"}, "document_requested")):
        r = api.request("POST", "/v1/admin/reviews/%s/decision" % account_id, body=body,
                        headers=dict(bearer(admin), **{"If-Match": etag}),
                        template="/v1/admin/reviews/{id}/decision")
        assert r.status == 422 and [e["field"] for e in r.json["errors"]] == [field]
    # a question only: an upload does not answer it
    r = api.request("POST", "/v1/admin/reviews/%s/decision" % account_id,
                    body={"decision": "request_info", "reason": "Which board issued it?"},
                    headers=dict(bearer(admin), **{"If-Match": etag}),
                    template="/v1/admin/reviews/{id}/decision")
    assert r.status == 200 and r.json["decision"]["document_requested"] is False
    mine = api.request("GET", "/v1/me/review", headers=bearer(token)).json
    assert mine["waiting_for_you"] and mine["document_requested"] is False
    first = upload(api, token, jpeg(4000), "image/jpeg", expect=201).json
    assert first["answered_request"] is False
    assert item(h, admin, account_id).json["waiting_for"] == "professional"
    r = api.request("POST", "/v1/me/review-response", body={"message": "The state board."},
                    headers=bearer(token))
    assert r.status == 204
    # now ask for a document
    seen = item(h, admin, account_id)
    r = api.request("POST", "/v1/admin/reviews/%s/decision" % account_id,
                    body={"decision": "request_info", "document_requested": True,
                          "reason": "Please upload your practising certificate."},
                    headers=dict(bearer(admin), **{"If-Match": seen.headers["etag"]}),
                    template="/v1/admin/reviews/{id}/decision")
    assert r.status == 200 and r.json["decision"]["document_requested"] is True
    assert r.json["waiting_for"] == "professional"
    mine = api.request("GET", "/v1/me/review", headers=bearer(token)).json
    assert mine["waiting_for_you"] and mine["document_requested"] is True
    asked = item(h, admin, account_id)
    assert asked.json["decisions"][-1]["document_requested"] is True
    data = pdf(CHUNK + 3)
    answer = upload(api, token, data, "application/pdf", expect=201).json
    assert answer["answered_request"] is True
    after = item(h, admin, account_id)
    assert after.json["status"] == "flagged" and after.json["waiting_for"] == "admin"
    assert after.headers["etag"] != asked.headers["etag"]
    assert [d["id"] for d in after.json["documents"]] == [first["id"], answer["id"]]
    response = after.json["responses"][-1]
    assert response["document_id"] == answer["id"] and response["message"] is None
    assert response["decision_id"] == asked.json["decisions"][-1]["id"]
    assert pg.psql("SELECT event FROM account_status_history WHERE account_id = '%s' "
                   "ORDER BY id DESC LIMIT 1" % account_id) == "answer"
    mine = api.request("GET", "/v1/me/review", headers=bearer(token)).json
    assert not mine["waiting_for_you"] and mine["document_requested"] is False
    # answered once: the next upload answers nothing
    assert upload(api, token, png(400), "image/png", expect=201).json["answered_request"] \
        is False
    export = api.request("GET", "/v1/me/export", headers=bearer(token)).json
    assert export["decisions"][-1]["document_requested"] is True
    assert export["review_responses"][-1]["document_id"] == answer["id"]
    assert export["review_responses"][-1]["message"] is None
    assert export["review_responses"][0]["message"] == "The state board."


def test_any_signed_in_professional_may_upload(hcpd):
    """Under review or not (here: just registered, checks pending)."""
    api = hcpd.api
    email = "docs.%s@example.org" % uuid.uuid4().hex[:8]
    assert api.register(registration(email)).status == 202
    token = login(hcpd, email)
    data = pdf(2000)
    doc = upload(api, token, data, "application/pdf", expect=201).json
    assert fetch(api, token, doc["id"]).body == data
