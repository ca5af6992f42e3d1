"""Hostile and malformed requests: each gets a 4xx problem+json (checked
against openapi.yaml by the client) and the server stays up."""

import json
import re
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import registration

# the spec's NPI, which the cases below replace
GOOD = json.dumps(registration("bad.input@example.org", npi="1234567893")).encode()


def raw_cases():
    deep = b'{"a":' * 40 + b"1" + b"}" * 40
    return [
        ("invalid json", b'{"email": ', 400),
        ("trailing garbage", GOOD + b"xyz", 400),
        ("array body", b"[1, 2]", 400),
        ("string body", b'"hello"', 400),
        ("deep nesting", deep, 400),
        ("deep arrays", b"[" * 1000 + b"]" * 1000, 400),
        ("invalid utf-8", b'{"email": "\xc3\x28@example.org"}', 400),
        ("overlong utf-8", b'{"email": "\xc0\xafx@example.org"}', 400),
        ("raw NUL byte", b'{"email": "a\x00b@example.org"}', 400),
        ("escaped NUL", b'{"email": "a\\u0000b@example.org"}', 400),
        ("duplicate keys", b'{"email": "a@example.org", "email": "b@example.org"}', 400),
        ("empty object", b"{}", 422),
        ("wrong types", json.dumps({"email": 1, "password": [], "profile": "x",
                                    "consents": 3}).encode(), 422),
        ("unknown top-level field", json.dumps(dict(json.loads(GOOD), admin=True)).encode(),
         422),
        ("CR/LF in email", GOOD.replace(b"bad.input@example.org", b"a\\r\\nb@example.org"),
         422),
        ("bad NPI", GOOD.replace(b"1234567893", b"1234567890"), 422),
        ("bad country", GOOD.replace(b'"US"', b'"ZZ"'), 422),
        ("null profile values", json.dumps(dict(json.loads(GOOD), profile=None)).encode(), 422),
        # jansson refuses integers beyond 64 bits as malformed JSON
        ("huge number", GOOD.replace(b'"1234567893"', b"1" + b"0" * 400), 400),
    ]


@pytest.mark.parametrize("name,body,status", raw_cases(), ids=[c[0] for c in raw_cases()])
def test_malformed_bodies(api, name, body, status):
    r = api.request("POST", "/v1/registrations", raw=body,
                    headers={"Content-Type": "application/json"})
    assert r.status == status, (name, r.body)
    assert r.is_problem()
    assert api.request("GET", "/healthz").status == 200


def test_oversize_body_is_413(api):
    body = b'{"email": "' + b"a" * (70 * 1024) + b'"}'
    r = api.request("POST", "/v1/registrations", raw=body,
                    headers={"Content-Type": "application/json"})
    assert r.status == 413 and r.is_problem()


def test_oversize_chunked_body_is_413(hcpd):
    """No Content-Length: the cap applies while reading."""
    chunk = b"a" * 8192
    req = (b"POST /v1/registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    for _ in range(10):
        req += b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    req += b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", hcpd.port), timeout=10) as s:
        s.sendall(req)
        data = b""
        while True:
            part = s.recv(65536)
            if not part:
                break
            data += part
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b"application/problem+json" in data


def test_missing_body_is_400(api):
    r = api.request("POST", "/v1/registrations", headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.is_problem()


def test_wrong_content_type_is_415(api):
    r = api.request("POST", "/v1/registrations", raw=GOOD, headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.is_problem()
    r = api.request("POST", "/v1/registrations", raw=GOOD)
    assert r.status == 415 and r.is_problem()


def test_json_with_charset_is_accepted(api):
    body = json.dumps(registration("charset.ok@example.org")).encode()
    r = api.request("POST", "/v1/registrations", raw=body,
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 202


def test_wrong_method_is_405_with_allow(api):
    r = api.request("DELETE", "/v1/registrations")
    assert r.status == 405 and r.is_problem()
    assert r.headers["allow"] == "POST"


def test_unknown_path_is_404(api):
    for path in ("/nope", "/v1/registrations/../../etc/passwd", "/v1/registrations/x/y", "/v1/"):
        r = api.request("GET", path)
        assert r.status == 404 and r.is_problem(), path


def test_every_reply_has_a_request_id(api):
    # from several connections at once, so several server threads number them
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: api.request("GET", "/healthz").headers["x-request-id"],
                            range(200)))
    assert len(set(ids)) == 200
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    r = api.request("GET", "/nope")
    assert r.json["request_id"] == r.headers["x-request-id"]
