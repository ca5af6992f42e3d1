"""Transport options of the HTTP verifier kinds (verifiers/net.c, issue 22
item 2), end to end through `hcpd verifier check` and libcurl, with the
fhir worked example (verifiers/examples/example-fhir-directory.json) given
a "transport" section:

- a secret request header whose value comes from the file
  HCPD_REGISTRY_SECRET_<NAME>_<HEADER> names: sent, never printed; an unset
  variable is a configuration error naming it;
- a per-verifier CA bundle (HCPD_REGISTRY_CA_<NAME>): a TLS stub whose
  certificate a CA made by this test signed is refused without it and
  trusted with it;
- mutual TLS (HCPD_REGISTRY_CERT_/KEY_<NAME>, "client_certificate": true):
  a stub that requires a client certificate of the test CA;
- OAuth2 client credentials (RFC 6749 section 4.4) against a token stub:
  HTTP Basic client authentication, the token as a Bearer header, a 401
  to it answered by fetching a new token once, and only once.
The CA, server and client certificates are made with the openssl CLI."""

import base64
import json
import os
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import HCPD_BIN, ROOT

EXAMPLE = os.path.join(ROOT, "verifiers", "examples", "example-fhir-directory.json")
CASE = os.path.join(ROOT, "tests", "verifiers", "cases", "fhir",
                    "001-annuaire-no-name-verified.json")
PREFIX = "HCPD_REGISTRY_%s_EXAMPLE_FHIR_DIRECTORY"
API_KEY = "api-key-4f1d9c-not-real"
CLIENT_ID = "hcpd-client"
CLIENT_SECRET = "client-secret-77ab-not-real"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    d = str(tmp_path_factory.mktemp("pki"))
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=hcpd test CA",
            cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"),
                      ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile",
                name + ".ext", cwd=d)
    return d


class Stub:
    """A directory (GET) and a token endpoint (POST /token) on one port,
    plain or TLS (optionally requiring a client certificate)."""

    def __init__(self, pki=None, client_ca=False, tokens_ok=None):
        self.requests, self.token_requests = [], []
        self.tokens_ok = tokens_ok  # None: no Authorization required
        self.issued = 0
        with open(CASE) as f:
            self.reply = json.dumps(json.load(f)["reply"]["body"]).encode()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                stub.requests.append({"path": self.path, "headers": dict(self.headers)})
                auth = self.headers.get("Authorization")
                if stub.tokens_ok is not None and auth not in stub.tokens_ok:
                    return self.send(401, b'{"resourceType": "OperationOutcome", "issue": '
                                          b'[{"severity": "error", "code": "login"}]}')
                self.send(200, stub.reply)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.token_requests.append({"headers": dict(self.headers), "body": body})
                stub.issued += 1
                self.send(200, json.dumps({"access_token": "tok-%d" % stub.issued,
                                           "token_type": "Bearer",
                                           "expires_in": 3600}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if pki is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server.key"))
            if client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(os.path.join(pki, "ca.pem"))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if pki is not None else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def registries(tmp_path, transport):
    with open(EXAMPLE) as f:
        doc = json.load(f)
    if transport is not None:
        doc["transport"] = transport
    d = tmp_path / "registries"
    d.mkdir()
    with open(str(d / "example-fhir-directory.json"), "w") as f:
        json.dump(doc, f)
    return str(d)


def secret_file(tmp_path, name, value):
    path = str(tmp_path / name)
    with open(path, "w") as f:
        f.write(value + "\n")
    return path


def run_check(regdir, url, extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    env.update({"HCPD_REGISTRIES_DIR": regdir, PREFIX % "URL": url + "/fhir/v2",
                "HCPD_LOG_LEVEL": "debug"})
    env.update(extra_env)
    return subprocess.run([HCPD_BIN, "verifier", "check", "example-fhir-directory",
                           "--field", "rpps=10005173140"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def outcome(r):
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_secret_header_from_a_file(tmp_path):
    stub = Stub()
    try:
        regdir = registries(tmp_path, {"secret_headers": ["ESANTE-API-KEY"]})
        key_var = PREFIX % "SECRET" + "_ESANTE_API_KEY"
        r = run_check(regdir, stub.url, {key_var: secret_file(tmp_path, "key", API_KEY)})
        assert outcome(r)["outcome"] == "verified"
        assert [q["headers"].get("ESANTE-API-KEY") for q in stub.requests] == [API_KEY]
        assert API_KEY not in r.stdout + r.stderr

        # unset: a configuration error naming the variable, nothing sent
        r = run_check(regdir, stub.url, {})
        assert r.returncode == 2 and r.stdout == ""
        assert key_var in r.stderr
        # a file of two lines is no secret, and is not quoted
        r = run_check(regdir, stub.url,
                      {key_var: secret_file(tmp_path, "bad", API_KEY + "\nX-Injected: 1")})
        assert r.returncode == 2 and "X-Injected" not in r.stderr and API_KEY not in r.stderr
        assert len(stub.requests) == 1
    finally:
        stub.close()


def test_per_verifier_ca_bundle(tmp_path, pki):
    stub = Stub(pki=pki)
    try:
        regdir = registries(tmp_path, None)
        # the system's roots do not know the test CA: no answer
        out = outcome(run_check(regdir, stub.url, {}))
        assert out["outcome"] == "error" and "failed" in out["reason"]
        assert stub.requests == []
        out = outcome(run_check(regdir, stub.url,
                                {PREFIX % "CA": os.path.join(pki, "ca.pem")}))
        assert out["outcome"] == "verified"
        assert len(stub.requests) == 1
    finally:
        stub.close()


def test_mutual_tls(tmp_path, pki):
    stub = Stub(pki=pki, client_ca=True)
    try:
        ca = {PREFIX % "CA": os.path.join(pki, "ca.pem")}
        cert = {PREFIX % "CERT": os.path.join(pki, "client.pem"),
                PREFIX % "KEY": os.path.join(pki, "client.key")}
        plain = registries(tmp_path, None)
        out = outcome(run_check(plain, stub.url, ca))  # no client certificate
        assert out["outcome"] == "error"
        assert stub.requests == []

        (tmp_path / "m").mkdir()
        mtls = registries(tmp_path / "m", {"client_certificate": True})
        r = run_check(mtls, stub.url, ca)  # declared, not given
        assert r.returncode == 2 and PREFIX % "CERT" not in r.stdout
        assert "HCPD_REGISTRY_CERT_<NAME>" in r.stderr
        out = outcome(run_check(mtls, stub.url, dict(ca, **cert)))
        assert out["outcome"] == "verified"
        assert len(stub.requests) == 1
    finally:
        stub.close()


def oauth_env(tmp_path, stub):
    return {PREFIX % "SECRET" + "_CLIENT_ID": secret_file(tmp_path, "id", CLIENT_ID),
            PREFIX % "SECRET" + "_CLIENT_SECRET": secret_file(tmp_path, "secret",
                                                               CLIENT_SECRET),
            PREFIX % "TOKEN_URL": stub.url + "/token"}


def test_oauth2_client_credentials_refreshed_once_on_401(tmp_path):
    stub = Stub(tokens_ok={"Bearer tok-2"})  # the first token issued is refused
    try:
        regdir = registries(tmp_path, {"oauth2": {"token_url": "https://auth.invalid/token",
                                                  "scope": "directory.read"}})
        r = run_check(regdir, stub.url, oauth_env(tmp_path, stub))
        assert outcome(r)["outcome"] == "verified"
        assert len(stub.token_requests) == 2
        basic = base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode()
        for t in stub.token_requests:
            assert t["headers"]["Authorization"] == "Basic " + basic
            assert t["body"] == b"grant_type=client_credentials&scope=directory.read"
        assert [q["headers"]["Authorization"] for q in stub.requests] == \
            ["Bearer tok-1", "Bearer tok-2"]
        for secret in (CLIENT_SECRET, "tok-1", "tok-2", basic):
            assert secret not in r.stdout + r.stderr

        # refused again after the refresh: no third token, the attempt ends
        stub.tokens_ok = set()
        before = len(stub.token_requests)
        out = outcome(run_check(regdir, stub.url, oauth_env(tmp_path, stub)))
        assert out["outcome"] == "error"
        assert len(stub.token_requests) - before == 2
    finally:
        stub.close()


def test_oauth2_without_a_client_secret_is_a_configuration_error(tmp_path):
    regdir = registries(tmp_path, {"oauth2": {"token_url": "https://auth.invalid/token"}})
    env = {PREFIX % "SECRET" + "_CLIENT_ID": secret_file(tmp_path, "id", CLIENT_ID)}
    r = run_check(regdir, "http://127.0.0.1:9", env)
    assert r.returncode == 2
    assert PREFIX % "SECRET" + "_CLIENT_SECRET" in r.stderr


def test_transport_is_for_http_kinds_only(tmp_path):
    with open(os.path.join(ROOT, "verifiers", "registries", "us-oig-leie.json")) as f:
        doc = json.load(f)
    doc["transport"] = {"secret_headers": ["X-Key"]}
    d = tmp_path / "r"
    d.mkdir()
    with open(str(d / "us-oig-leie.json"), "w") as f:
        json.dump(doc, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    env["HCPD_REGISTRIES_DIR"] = str(d)
    r = subprocess.run([HCPD_BIN, "verifier", "list"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    reason = json.loads(r.stderr.splitlines()[-1])["reason"]
    assert '"transport" is for the HTTP kinds only' in reason


def test_oauth2_token_cached_across_the_runners_checks(tmp_path):
    """In the runner, one token serves every check of the verifier until it
    nears its expiry (3600 s here): two registrations, two directory
    requests, one token request."""
    from conftest import registration, start_stack
    from pipeline_helpers import jobs_settled
    from reviewkit import confirm_email, unique_email

    stub = Stub(tokens_ok={"Bearer tok-1"})
    regdir = registries(tmp_path, {"oauth2": {"token_url": "https://auth.invalid/token"}})
    env = dict(oauth_env(tmp_path, stub), HCPD_REGISTRIES_DIR=regdir,
               HCPD_VERIFY_CONCURRENCY="2")
    env[PREFIX % "URL"] = stub.url + "/fhir/v2"
    pg, h = start_stack(tmp_path, env=env)
    try:
        accounts = []
        for rpps in ("10005173140", "10003461034"):
            email = unique_email("oauth")
            body = registration(email, country="FR", rpps=rpps, family_name="Lefèvre",
                                given_name="Élodie")
            for us_only in ("npi", "license_number", "license_region"):
                del body["profile"][us_only]
            r = h.api.register(body)
            assert r.status == 202, r.body
            confirm_email(h, r.json["id"], email)
            accounts.append(r.json["id"])
        for account in accounts:
            jobs_settled(pg, account)
        assert pg.psql("SELECT count(*) FROM verifications") == "2"
        assert len(stub.token_requests) == 1
        assert [q["headers"]["Authorization"] for q in stub.requests] == ["Bearer tok-1"] * 2
        assert CLIENT_SECRET not in h.read_log() and "tok-1" not in h.read_log()
        h.assert_clean_exit()
    finally:
        pg.destroy()
        stub.close()
