"""A corpus of hostile requests over raw sockets. Every case is judged
exactly: by default a 4xx problem+json from hcpd (with its request id);
the few cases that hcpd serves are listed in SERVED with their status and
their reply is checked against openapi.yaml; the protocol errors that
libmicrohttpd answers itself, before hcpd sees the request, are pinned in
PROTOCOL to their exact status (or to a closed connection). Anything else
fails, and the server must answer /healthz afterwards. The bodies are sent
to /v1/registrations and, signed in (as an admin for admin routes), to
every other operation openapi.yaml documents with a JSON body, so new
routes are covered as they are added."""

import json
import re
import socket
import threading
import time
import uuid

import openapi_check
from conftest import registration

GOOD = json.dumps(registration("hostile@example.org")).encode()


def exchange(port, data, timeout=5, source=None):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0) if source else None) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close while we still send
        out = b""
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                out += part
        except (socket.timeout, ConnectionResetError):
            pass
    return out


def post(path, body, ctype=b"application/json", extra=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: " +
            ctype + b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)


NAME_FIELDS = ("given_name", "middle_name", "family_name")
NAME_TRICKS = (("RLO", "Ana\u202eNg"), ("RLM", "Ana\u200fNg"), ("LRI", "Ana\u2066Ng"),
               ("C1 NEL", "Ana\u0085Ng"), ("C1 CSI", "Ana\u009bNg"))

# What is expected of a case: ("problem", None) any 4xx problem+json from
# hcpd, ("problem", N) that status; ("served", N) hcpd serves it with status
# N and a reply that matches openapi.yaml; ("protocol", N) libmicrohttpd's
# own reply N (no request id, no problem body), ("protocol", None) no reply
# at all within the client's timeout.
ANY_PROBLEM = ("problem", None)

CORPUS_EXPECTED = {
    # optional profile fields given as null or "" are treated as absent (the
    # email is taken by then, which is the same 202 as a new account)
    "profile.license_number=None": ("served", 202),
    "profile.license_number=''": ("served", 202),
    "profile.specialty=None": ("served", 202),
    "profile.specialty=''": ("served", 202),
    "profile.phone=None": ("served", 202),
    "profile.phone=''": ("served", 202),
    # the CR LF in our bytes only starts another header, X-Evil, ignored
    "content-type json then CRLF and a header": ("served", 202),
    # a media-type parameter hcpd does not use; the body itself is UTF-8
    "content-type json with a non-UTF-8 charset": ("served", 202),
    # within libmicrohttpd's header memory
    "8 KiB header value": ("served", 200),
    # libmicrohttpd accepts bare LF line ends (RFC 9112 2.2 lets a recipient
    # do so); /healthz reads no header
    "bare LF injection": ("served", 200),
    "100 KiB of headers": ("protocol", 431),
    "bad chunk size": ("protocol", 400),
    "negative content-length": ("protocol", 400),
    "HTTP/0.9": ("protocol", 400),
    "HTTP/2 preface": ("protocol", 505),
    "huge chunk": ("protocol", None),
    "lying content-length": ("protocol", None),  # the server waits for the promised bytes
    "garbage request line": ("protocol", None),
}
CORPUS_EXPECTED.update({"profile.%s with %s" % (f, label): ("problem", 422)
                        for f in NAME_FIELDS for label, _ in NAME_TRICKS})

# (method, path template, case) of the body cases with another expectation.
BODIES_EXPECTED = {
    ("PATCH", "/v1/me", "profile={}"): ("served", 200),  # an empty rectification changes nothing
}


def cases():
    # bodies: every truncation, wrong types per field, giant and deep values
    for n in range(0, len(GOOD), 7):
        yield "truncated at %d" % n, post(b"/v1/registrations", GOOD[:n])
    doc = json.loads(GOOD)
    for field in ("email", "password", "profile", "consents"):
        for value in (None, 1, 1.5, True, [], {}, "", "x" * 70000, [[[[[]]]]]):
            body = json.dumps(dict(doc, **{field: value})).encode()
            yield "%s=%r" % (field, value)[:40], post(b"/v1/registrations", body)
    for field in doc["profile"]:
        for value in (None, 7, [], {}, "", "\u202e", "a\x7fb", "\ud800" if False else "é" * 300):
            body = dict(doc)
            body["profile"] = dict(doc["profile"], **{field: value})
            yield "profile.%s=%r" % (field, value)[:40], post(b"/v1/registrations",
                                                            json.dumps(body).encode())
    for raw in (b"\xff\xfe", b"\x00" * 10, b"{" * 5000, b"[" * 100000, b'{"a":' * 2000,
                b'{"email":"\xc0\x80"}', b'{"email":"a\\ud800"}', b"null", b"1e999999",
                b'{"a":1,"a":1}', b"\r\n\r\n", b'{"email": "a@b.c"}' * 1000):
        yield "raw %r" % raw[:12], post(b"/v1/registrations", raw)
    for label, ctype in (("text/plain", b"text/plain"), ("jsonx", b"application/jsonx"),
                         ("json then CRLF and a header", b"application/json\r\nX-Evil: 1"),
                         ("multipart", b"multipart/form-data; boundary=x"), ("empty", b""),
                         ("json with a non-UTF-8 charset", b"application/json; charset=\xff")):
        yield "content-type " + label, post(b"/v1/registrations", GOOD, ctype)
    # names carrying bidi controls or C1 controls (made 422 on purpose: they
    # disguise a name on an admin's screen)
    for field in NAME_FIELDS:
        for label, value in NAME_TRICKS:
            body = dict(doc)
            body["profile"] = dict(doc["profile"], **{field: value})
            yield "profile.%s with %s" % (field, label), post(b"/v1/registrations",
                                                              json.dumps(body).encode())
    # paths and methods
    for path in (b"/../../etc/passwd", b"/v1/registrations/..%2f..%2fetc", b"/%00", b"/v1/me%0d%0a",
                 b"/" + b"a" * 8000, b"/v1/registrations?x=" + b"y" * 4000, b"//v1//me",
                 b"/v1/admin/stats?by=" + b"a," * 500, b"/.well-known/../metrics", b"*"):
        for method in (b"GET", b"POST", b"DELETE", b"PATCH", b"OPTIONS", b"BREW"):
            yield "%s %r" % (method.decode(), path[:30]), (
                method + b" " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    # headers: oversized, CR/LF injection, bad chunking, bad auth
    yield "8 KiB header value", (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 8192 +
                                 b"\r\nConnection: close\r\n\r\n")
    yield "100 KiB of headers", (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                                 b"X-A: aaaaaaaaaaaaaaaa\r\n" * 6000 + b"Connection: close\r\n\r\n")
    yield "bare LF injection", b"GET /healthz HTTP/1.1\nHost: x\nX-A: b\rX-B: c\nConnection: close\n\n"
    yield "bad chunk size", post(b"/v1/registrations", b"", extra=b"Transfer-Encoding: chunked\r\n") \
        .replace(b"Content-Length: 0\r\n", b"") + b"zz\r\nab\r\n0\r\n\r\n"
    yield "huge chunk", (b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"ffffffffffffffff\r\nab\r\n0\r\n\r\n")
    yield "lying content-length", post(b"/v1/registrations", GOOD)[:-50]
    yield "negative content-length", (b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\n"
                                      b"Content-Length: -5\r\nConnection: close\r\n\r\n")
    yield "two content-lengths", (b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Length: 2\r\nContent-Length: 9\r\n"
                                  b"Content-Type: application/json\r\nConnection: close\r\n\r\n{}")
    for auth in (b"Bearer", b"Bearer ", b"Bearer " + b"a" * 20000, b"Bearer a.b.c.d.e",
                 b"Basic Og==", b"Bearer \x00", b"bearer eyJ9.eyJ9.eyJ9"):
        yield "auth %r" % auth[:16], (b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                                      auth + b"\r\nConnection: close\r\n\r\n")
    yield "garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64
    yield "HTTP/0.9", b"GET /healthz\r\n\r\n"
    yield "HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def parse(reply):
    """(status, lower-cased header dict, body) of a raw reply; status 0 when
    it is not HTTP/1.x."""
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    words = lines[0].split(b" ")
    if not lines[0].startswith(b"HTTP/1.") or len(words) < 2 or not words[1].isdigit():
        return 0, {}, body
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return int(words[1]), headers, body


def judge(reply, expected, method, template):
    """None when the reply is what expected says, else why not. method and
    template (the openapi.yaml path) are those of the request."""
    kind, want = expected
    if not reply:
        return None if expected == ("protocol", None) else "closed without a reply"
    status, headers, body = parse(reply)
    if status == 0:
        return "not an HTTP reply: %r" % reply[:40]
    if kind == "protocol":
        if want is None:
            return "expected no reply, got %d" % status
        if status != want or "x-request-id" in headers:
            return "expected libmicrohttpd's own %d, got %d (request id %r)" % (
                want, status, headers.get("x-request-id"))
        return None
    if "x-request-id" not in headers:
        return "%d without a request id: not from hcpd" % status
    if kind == "served":
        if status != want:
            return "expected %d, got %d: %r" % (want, status, body[:200])
        try:
            openapi_check.check_response(method, template, status,
                                         headers.get("content-type", ""), body)
        except AssertionError as e:
            return str(e)[:300]
        return None
    if not 400 <= status < 500 or (want is not None and status != want):
        return "expected a %s problem, got %d: %r" % (want or "4xx", status, body[:200])
    if not headers.get("content-type", "").startswith("application/problem+json"):
        return "%d without a problem body" % status
    try:
        doc = json.loads(body)
    except ValueError:
        return "%d problem body is not JSON: %r" % (status, body[:80])
    if doc.get("status") != status:
        return "problem body says status %r, the reply %d" % (doc.get("status"), status)
    return None


def request_target(data):
    """(method, path without the query) of a raw request ("" for garbage)."""
    parts = data.split(b"\n", 1)[0].split(b" ") + [b"", b""]
    return parts[0].decode("latin-1"), parts[1].split(b"?")[0].decode("latin-1")


def count(seen, reply):
    kind = "closed" if not reply else str(parse(reply)[0])
    seen[kind] = seen.get(kind, 0) + 1


def test_hostile_corpus(hcpd):
    seen, bad = {}, []
    all_cases = list(cases())
    names = [name for name, _ in all_cases]
    assert len(all_cases) >= 200
    # every pinned case exists, once: a renamed case cannot drop its pin
    assert [n for n in CORPUS_EXPECTED if names.count(n) != 1] == []
    for name, data in all_cases:
        reply = exchange(hcpd.port, data)
        count(seen, reply)
        why = judge(reply, CORPUS_EXPECTED.get(name, ANY_PROBLEM), *request_target(data))
        if why is not None:
            bad.append((name, why))
    assert not bad, bad[:10]
    assert hcpd.api.request("GET", "/healthz").status == 200
    print("hostile corpus: %d cases, by status %r" % (len(all_cases), seen))


SLOW_CAP = 8       # HCPD_MAX_CONNECTIONS_PER_ADDRESS of the slow-client stack
SLOW_DEADLINE = 2  # HCPD_REQUEST_DEADLINE_SECONDS of the slow-client stack


class Slow(threading.Thread):
    """A slow client from 127.0.0.2: the request line, then one header line
    (or, with body, one body byte) every 0.4 s until the server closes."""

    def __init__(self, port, body=False):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                             source_address=("127.0.0.2", 0))
        self.body = body
        self.reply = b""
        self.closed_after = None

    def run(self):
        t0 = time.time()
        try:
            if self.body:
                self.sock.sendall(b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Type: application/json\r\n"
                                  b"Content-Length: 1000\r\n\r\n")
            else:
                self.sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            self.sock.settimeout(0.4)
            for i in range(100):
                self.sock.sendall(b"{" if self.body else b"X-Slow-%d: a\r\n" % i)
                try:
                    part = self.sock.recv(4096)
                except socket.timeout:
                    continue
                self.reply += part
                if not part:
                    break
        except OSError:
            pass  # reset by the server
        self.closed_after = time.time() - t0
        self.sock.close()


def test_slow_clients_are_capped_and_cut_while_others_are_served(stack):
    """Issue 18 item 8: 4,100 half-open requests from one address, a
    header line every 15 s, kept /healthz from answering (libmicrohttpd's
    timeout counts silence only). Now an address holds at most
    HCPD_MAX_CONNECTIONS_PER_ADDRESS connections, the rest are refused at
    once; a head (or a body) not in by HCPD_REQUEST_DEADLINE_SECONDS is
    cut however steadily it trickles; and everyone else is served
    meanwhile."""
    pg, h = stack({"HCPD_MAX_CONNECTIONS_PER_ADDRESS": str(SLOW_CAP),
                   "HCPD_REQUEST_DEADLINE_SECONDS": str(SLOW_DEADLINE),
                   "HCPD_HTTP_THREADS": "2"})
    slow = [Slow(h.port, body=(i == 0)) for i in range(SLOW_CAP)]
    t0 = time.time()
    for c in slow:
        c.start()
    time.sleep(0.5)
    # beyond the cap: closed without a reply (the accept policy refuses it)
    extra = exchange(h.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     source="127.0.0.2")
    assert extra == b"", extra[:100]
    # another client is served at once, on a connection of its own
    for _ in range(3):
        t1 = time.perf_counter()
        assert h.api.request("GET", "/healthz").status == 200
        assert h.api.request("GET", "/v1/registration/schema").status == 200
        assert time.perf_counter() - t1 < 0.5
    for c in slow:
        c.join(timeout=SLOW_DEADLINE + 5)
    took = time.time() - t0
    # every slow client was cut at its deadline (reaped every 0.25 s), and
    # none got a reply
    assert all(c.closed_after is not None for c in slow), [c.closed_after for c in slow]
    assert max(c.closed_after for c in slow) < SLOW_DEADLINE + 1.5, \
        [round(c.closed_after, 2) for c in slow]
    assert min(c.closed_after for c in slow) > SLOW_DEADLINE - 0.5
    assert all(c.reply == b"" for c in slow), [c.reply[:60] for c in slow]
    # the address is welcome again once its connections are gone
    again = exchange(h.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     source="127.0.0.2")
    assert again.startswith(b"HTTP/1.1 200 "), again[:100]
    text = h.metrics.request("GET", "/metrics").body.decode()
    assert "hcpd_http_connections_refused_total 1\n" in text
    assert "hcpd_http_deadline_closed_total %d\n" % SLOW_CAP in text
    print("slow clients: %d cut after %.2f-%.2f s (deadline %d s); all done in %.1f s" % (
        SLOW_CAP, min(c.closed_after for c in slow), max(c.closed_after for c in slow),
        SLOW_DEADLINE, took))


def test_an_idle_head_is_cut_at_the_deadline(hcpd):
    """The default deadline (10 s) on the suite's server: a head that stops
    coming is closed then, not after 30 s of silence."""
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", hcpd.port), timeout=20) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        assert s.recv(1) == b""  # closed by the server
    assert 9.5 < time.time() - t0 < 12, time.time() - t0
    assert hcpd.api.request("GET", "/healthz").status == 200


def json_operations():
    """(method, path template, property names) of every documented
    operation that takes a JSON body."""
    doc = openapi_check.load_document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {}) if isinstance(op, dict) \
                else {}
            if "application/json" not in content:
                continue
            schema = content["application/json"].get("schema", {})
            while "$ref" in schema:
                node = doc
                for part in schema["$ref"][2:].split("/"):
                    node = node[part]
                schema = node
            yield method.upper(), path, sorted(schema.get("properties", {}))


def body_cases(props):
    """Hostile bodies for an operation whose body has these properties."""
    # a locale must name a shipped language (issue 24): "en" always is one
    good = {p: "en" if p == "locale" else "x" for p in props}
    text = json.dumps(good).encode()
    for n in range(0, len(text), 3):
        yield "truncated at %d" % n, text[:n]
    for raw in (b"", b"\xff\xfe{}", b'{"a":"\x00"}', b'{"a":"\\u0000"}', b"[" * 5000, b"{" * 40,
                b'{"a":1,"a":2}', b"[]", b'"str"', b"null", b"{}" * 2, b"x" * 70000,
                b'{"a":"' + b"\xc3\x28" + b'"}', b'{"\xed\xa0\x80":1}'):
        yield "raw %r" % raw[:12], raw
    for p in props:
        for value in (None, 1, -1e308, True, [], {}, [[[[[[]]]]]], "", "\u202e", "a\r\nb",
                      "x" * 70000, "é" * 2000):
            yield "%s=%r" % (p, value)[:40], json.dumps(dict(good, **{p: value})).encode()
    yield "unknown key", json.dumps(dict(good, extra="x")).encode()
    yield "key of 100 KiB", json.dumps({"k" * 100000: 1}).encode()


def sign_in(api, email, password):
    r = api.request("POST", "/v1/sessions", body={"email": email, "password": password})
    assert r.status == 200, r.body
    return b"Authorization: Bearer " + r.json["access_token"].encode() + b"\r\n"


def test_hostile_bodies_on_every_json_operation(hcpd):
    api = hcpd.api
    email = "hostile.%s@example.org" % uuid.uuid4().hex[:8]
    assert api.register(registration(email)).status == 202
    auth = sign_in(api, email, "a long passphrase 2024")
    # admin routes get an admin's token, so their bodies reach validation
    admin = "hostile.admin.%s@example.org" % uuid.uuid4().hex[:8]
    r = hcpd.cli("admin", "create", "--email", admin, input="correct horse battery staple 9\n")
    assert r.returncode == 0, r.stderr
    admin_auth = sign_in(api, admin, "correct horse battery staple 9")
    seen, bad, used, total = {}, [], set(), 0
    for method, path, props in json_operations():
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path).encode()
        who = admin_auth if path.startswith("/v1/admin/") else auth
        for name, body in body_cases(props):
            req = (method.encode() + b" " + url + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                   b"Content-Type: application/json\r\n" + who +
                   b"Content-Length: %d\r\n\r\n" % len(body) + body)
            reply = exchange(hcpd.port, req)
            count(seen, reply)
            key = (method, path, name)
            used.add(key)
            why = judge(reply, BODIES_EXPECTED.get(key, ANY_PROBLEM), method, path)
            total += 1
            if why is not None:
                bad.append((method, path, name, why))
    assert not bad, bad[:10]
    assert set(BODIES_EXPECTED) <= used  # every pinned case still exists
    assert total >= 250, total
    assert hcpd.api.request("GET", "/healthz").status == 200
    # the account is untouched: its password still works
    assert api.request("POST", "/v1/sessions", body={"email": email,
                                                     "password": "a long passphrase 2024"}).status \
        == 200
    print("hostile bodies: %d cases over %d operations, by status %r" % (
        total, len(list(json_operations())), seen))


def chunked(body):
    return b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


def test_content_length_with_transfer_encoding_is_refused_and_closed(hcpd):
    """Issue 18 (request smuggling): a request with both Content-Length and
    Transfer-Encoding is framed differently by different parsers, so a
    proxy and hcpd could disagree on where the next request starts. It is
    refused with a 400 and the connection closed, whatever follows it."""
    for te in (b"chunked", b"CHUNKED", b"gzip, chunked"):
        head = (b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 4\r\n"
                b"Transfer-Encoding: " + te + b"\r\n\r\n")
        reply = exchange(hcpd.port, head + chunked(GOOD) +
                         b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 400 "), (te, reply[:200])
        assert reply.count(b"HTTP/1.1 ") == 1, (te, reply)  # nothing after it was served
    # either alone is served as usual
    reply = exchange(hcpd.port, b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + chunked(b"{}"))
    assert reply.startswith(b"HTTP/1.1 422 "), reply[:200]
