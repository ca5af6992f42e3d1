"""The shipped nl-big-register verifier (the "process" kind running
verifiers/registries/verifier-nl-big-register, issue 22 item 4) end to end:
`hcpd verifier check` spawns the program, which POSTs a ListHcpApprox4 SOAP
request to a local stub of the CIBG service answering each recorded case of
tests/verifiers/cases/nl-big-register (verified, mismatch, ended, a measure
in force, a limitation, not found, a SOAP Fault).

For every case: one POST with the SOAPAction, WebSite Ribiz and exactly the
BIG number - the family name never reaches the register; the outcome and
reason as recorded. A register that cannot be reached is an error outcome.
The manual nl-big register is gone: NL is checked by this one."""

import glob
import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import HCPD_BIN, ROOT, free_port

CASES = os.path.join(ROOT, "tests", "verifiers", "cases", "nl-big-register")
REGISTRIES = os.path.join(ROOT, "verifiers", "registries")


def cases():
    out = []
    for path in sorted(glob.glob(os.path.join(CASES, "*.json"))):
        with open(path) as f:
            out.append((os.path.basename(path)[:-5], json.load(f)))
    return out


class SoapStub:
    def __init__(self):
        self.requests, self.reply = [], None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body.decode("utf-8")})
                data = stub.reply["body"].encode("utf-8")
                self.send_response(stub.reply["status"])
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/zksrv/soap/4" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def regdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("registries-nl")
    for name in ("nl-big-register.json", "verifier-nl-big-register"):
        shutil.copy2(os.path.join(REGISTRIES, name), str(d / name))
    return str(d)


@pytest.fixture(scope="module")
def stub():
    s = SoapStub()
    yield s
    s.close()


def run_check(regdir, url, fields):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    env.update({"HCPD_REGISTRIES_DIR": regdir, "HCPD_REGISTRY_URL_NL_BIG_REGISTER": url})
    args = [HCPD_BIN, "verifier", "check", "nl-big-register"]
    for k, v in fields.items():
        args += ["--field", "%s=%s" % (k, v)]
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name,case", cases(), ids=[n for n, _ in cases()])
def test_case(regdir, stub, name, case):
    stub.reply = case["reply"]
    before = len(stub.requests)
    r = run_check(regdir, stub.url, case["fields"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    got = stub.requests[before:]
    assert len(got) == 1
    req = got[0]
    want = case["request"]  # the format `hcpd verifier test` checks too
    assert req["path"] == want["path"] == "/zksrv/soap/4"
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["soapaction"] == want["headers"]["SOAPAction"]
    assert "<ns:WebSite>Ribiz</ns:WebSite>" in want["body_contains"]
    assert all(s in req["body"] for s in want["body_contains"])
    assert case["fields"]["family_name"] in want["body_lacks"]
    assert not any(s in req["body"] for s in want["body_lacks"])
    assert (out["outcome"], out["reason"]) == (case["expect"]["outcome"],
                                               case["expect"]["reason"])
    if "checks" in case["expect"]:
        assert out["checks"] == case["expect"]["checks"]


def test_unreachable_register_is_an_error(regdir):
    r = run_check(regdir, "http://127.0.0.1:%d/zksrv/soap/4" % free_port(),
                  {"big_number": "49064114102", "family_name": "de Vries"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["outcome"] == "error"


def test_the_manual_register_is_replaced():
    assert not os.path.exists(os.path.join(REGISTRIES, "nl-big.json"))
