"""A corpus of hostile requests over raw sockets. Every reply is a 4xx
problem+json from hcpd, or one of libmicrohttpd's own protocol-level 4xx
replies with the connection closed, or a closed connection; never a 5xx;
and the server answers /healthz afterwards. The bodies are sent to
/v1/registrations and, signed in, to every other operation openapi.yaml
documents with a JSON body, so new routes are covered as they are added."""

import json
import re
import socket
import uuid

import openapi_check
from conftest import registration

GOOD = json.dumps(registration("hostile@example.org")).encode()


def exchange(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
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
    for ctype in (b"text/plain", b"application/jsonx", b"application/json\r\nX-Evil: 1",
                  b"multipart/form-data; boundary=x", b"", b"application/json; charset=\xff"):
        yield "content-type %r" % ctype[:20], post(b"/v1/registrations", GOOD, ctype)
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


def classify(reply):
    if not reply:
        return "closed"
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.") else 0
    headers = head.lower()
    if status == 505 and b"x-request-id" not in headers:
        # libmicrohttpd's answer to another HTTP version (an HTTP/2
        # preface): the protocol's own reply, not a server fault
        return "libmicrohttpd"
    if status >= 500 or status == 0:
        return "BAD: status %r" % head[:40]
    if status < 400:
        return "ok"
    if b"application/problem+json" in headers:
        json.loads(body)  # a problem body must parse
        return "problem"
    if b"connection: close" in headers and b"x-request-id" not in headers:
        return "libmicrohttpd"  # protocol-level reply before hcpd saw the request
    return "BAD: 4xx without a problem body: %r" % head[:80]


def test_hostile_corpus(hcpd):
    seen, bad = {}, []
    all_cases = list(cases())
    assert len(all_cases) >= 200
    for name, data in all_cases:
        kind = classify(exchange(hcpd.port, data))
        seen[kind] = seen.get(kind, 0) + 1
        if kind.startswith("BAD"):
            bad.append((name, kind))
    assert not bad, bad[:10]
    assert hcpd.api.request("GET", "/healthz").status == 200
    print("hostile corpus: %d cases, %r" % (len(all_cases), seen))


def test_slowloris_is_cut_off(hcpd):
    """A client that sends a header byte now and then is not served forever."""
    with socket.create_connection(("127.0.0.1", hcpd.port), timeout=40) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        # libmicrohttpd's connection timeout is 30 s of silence; idle here
        s.settimeout(35)
        assert s.recv(1) == b""  # closed by the server
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
    good = {p: "x" for p in props}
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


def test_hostile_bodies_on_every_json_operation(hcpd):
    api = hcpd.api
    email = "hostile.%s@example.org" % uuid.uuid4().hex[:8]
    assert api.register(registration(email)).status == 202
    token = api.request("POST", "/v1/sessions", body={"email": email,
                                                      "password": "a long passphrase 2024"})
    auth = b"Authorization: Bearer " + token.json["access_token"].encode() + b"\r\n"
    seen, bad, total = {}, [], 0
    for method, path, props in json_operations():
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path).encode()
        for name, body in body_cases(props):
            req = (method.encode() + b" " + url + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                   b"Content-Type: application/json\r\n" + auth +
                   b"Content-Length: %d\r\n\r\n" % len(body) + body)
            kind = classify(exchange(hcpd.port, req))
            seen[kind] = seen.get(kind, 0) + 1
            total += 1
            if kind.startswith("BAD"):
                bad.append((method, path, name, kind))
    assert not bad, bad[:10]
    assert total >= 250, total
    assert hcpd.api.request("GET", "/healthz").status == 200
    # the account is untouched: its password still works
    assert api.request("POST", "/v1/sessions", body={"email": email,
                                                     "password": "a long passphrase 2024"}).status \
        == 200
    print("hostile bodies: %d cases over %d operations, %r" % (total, len(list(json_operations())),
                                                                seen))
