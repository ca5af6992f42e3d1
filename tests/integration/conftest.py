"""Integration fixtures: a throw-away PostgreSQL and the real bin/hcpd.

Each test session gets its own PostgreSQL cluster (deploy/pg.sh, Unix
socket only) and one hcpd on a free loopback port; tests that break things
(stop the database, fill the hash queue) start their own with start_stack().
Each process's metrics listener binds port 0 (any free port; Hcpd.metrics
finds it in the log), so processes started from a copy of an environment
never collide. Every reply goes through Api.request(), which checks it
against openapi.yaml.
On teardown hcpd gets SIGTERM and must exit 0 with no sanitizer report.
After every test, every cluster still up must hold no stuck account (issue
19: the view stuck_accounts of migration 0013, a professional waiting with
neither an open job nor a review item).
"""

import atexit
import http.client
import json
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time

import pytest

import openapi_check

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HCPD_BIN = os.path.abspath(os.path.join(ROOT, os.environ.get("HCPD_BIN", "bin/hcpd")))
PG_SH = os.path.join(ROOT, "deploy", "pg.sh")
# PostgreSQL's own psql, not Debian's Perl wrapper (/usr/bin/psql) that
# finds it: the suite runs psql thousands of times, and the wrapper's start
# is two thirds of each call.
PSQL = "/usr/lib/postgresql/15/bin/psql"
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")

SPEC_EXAMPLE = {
    "email": "ana@example.org",
    "password": "a long passphrase 2024",
    "profile": {
        "given_name": "Ana", "family_name": "Ng", "profession": "physician", "country": "US",
        "npi": "1234567893", "license_number": "A12345", "license_region": "CA",
        "specialty": "cardiology", "phone": "+14155550100",
    },
    "consents": {"licensure_verification": True, "marketing_email": False},
}


def valid_npi(rng=random):
    """A random 10-digit NPI with a correct Luhn check digit (prefix 80840)."""
    body = "1" + "".join(rng.choice(string.digits) for _ in range(8))
    digits = [int(c) for c in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)


def registration(email, **profile):
    """The spec's example registration with another email and profile
    changes. Its licence identifiers (npi, license_number) are new ones
    unless given: two accounts with one identifier both go to an admin
    (duplicate_identifier)."""
    body = json.loads(json.dumps(SPEC_EXAMPLE))
    body["email"] = email
    body["profile"]["npi"] = valid_npi()
    body["profile"]["license_number"] = "A%010d" % random.randrange(10 ** 10)
    body["profile"].update(profile)
    return body


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Clusters made and not yet destroyed: the invariant check reads them all.
LIVE_CLUSTERS = []

# The stuck accounts' ids, comma-separated; "" when there is none, or when
# the schema has no stuck_accounts yet (not migrated: query_to_xml runs its
# text only in the branch that needs it, so one round trip does for both).
STUCK_SQL = ("SELECT CASE WHEN to_regclass('public.stuck_accounts') IS NULL THEN '' ELSE "
             "coalesce((xpath('/row/ids/text()', query_to_xml('SELECT string_agg(id::text, "
             "'','' ORDER BY id) AS ids FROM stuck_accounts', false, true, '')))[1]::text, '') "
             "END")


# A stopped cluster with its databases made, that every test cluster is a
# copy of (pg.sh clone): one initdb per test process instead of one per
# scenario. Removed when the process exits.
TEMPLATE = []


def template_cluster():
    if not TEMPLATE:
        top = tempfile.mkdtemp(prefix="hcpd-template-")
        os.chmod(top, 0o755)
        atexit.register(shutil.rmtree, top, True)
        d = os.path.join(top, "pg")
        subprocess.run([PG_SH, "start", d], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([PG_SH, "stop", d], check=True, stdout=subprocess.DEVNULL)
        TEMPLATE.append(d)
    return TEMPLATE[0]


class Postgres:
    """A private cluster under a temp directory the postgres user can reach."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix="hcpd-test-")
        os.chmod(self.top, 0o755)
        self.dir = os.path.join(self.top, "pg")
        subprocess.run([PG_SH, "clone", template_cluster(), self.dir], check=True,
                       stdout=subprocess.DEVNULL)
        self.start()
        self.url = self.url_of("hcpd")
        self.keys_url = self.url_of("hcpd_keys")  # the keystore (HCPD_KEYSTORE_URL)
        LIVE_CLUSTERS.append(self)

    def url_of(self, db):
        return subprocess.run([PG_SH, "url", self.dir, db], check=True, capture_output=True,
                              text=True).stdout.strip()

    def start(self):
        subprocess.run([PG_SH, "start", self.dir], check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode="fast"):
        subprocess.run([PG_SH, "stop", self.dir, mode], check=True, stdout=subprocess.DEVNULL)

    def psql(self, sql, url=None):
        """Runs sql as the superuser in the hcpd database (or url's);
        returns stdout (tuples only, unaligned)."""
        return subprocess.run([PSQL, url or self.url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    def dump(self):
        """pg_dump of the hcpd database, as text."""
        cmd = ["/usr/lib/postgresql/15/bin/pg_dump", self.url]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def stuck(self):
        """The ids of the accounts the invariant finds stuck; None when the
        server cannot be reached (a test stopped it)."""
        r = subprocess.run([PSQL, self.url, "-v", "ON_ERROR_STOP=1", "-tAc", STUCK_SQL],
                           capture_output=True, text=True)
        if r.returncode != 0:
            if "could not connect" in r.stderr or "No such file" in r.stderr \
                    or "does not exist" in r.stderr or "shutting down" in r.stderr \
                    or "starting up" in r.stderr:
                return None
            raise AssertionError("invariant query failed: " + r.stderr)
        out = r.stdout.strip()
        return out.split(",") if out else []

    def assert_none_stuck(self):
        stuck = self.stuck()
        assert not stuck, "accounts stuck with no open job and no review item: %s" % stuck

    def destroy(self):
        if self in LIVE_CLUSTERS:
            LIVE_CLUSTERS.remove(self)
        self.stop("immediate")
        shutil.rmtree(self.top, ignore_errors=True)


class Api:
    """A minimal HTTP client that checks every reply against openapi.yaml.
    source: the local address to connect from (e.g. "127.0.0.2", another
    client as far as hcpd can tell)."""

    def __init__(self, port, source=None):
        self.port = port
        self.source = source

    def request(self, method, path, body=None, headers=None, raw=None, template=None,
                check=True, timeout=30):
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(self.source, 0) if self.source
                                          else None)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        if check:
            tmpl = template or path.split("?")[0]
            openapi_check.check_response(method, tmpl, reply.status,
                                         reply.headers.get("content-type", ""), payload)
            openapi_check.check_headers(method, tmpl, reply.status, reply.headers)
        return reply

    def register(self, body, headers=None):
        return self.request("POST", "/v1/registrations", body=body, headers=headers)


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    def is_problem(self):
        return (self.headers.get("content-type", "").startswith("application/problem+json")
                and self.json["status"] == self.status)


# Every hcpd log file and cluster made, for the report of a failed test.
HCPD_LOGS = []


def problems_in(path, since, marks, keep=15):
    """The last keep lines of the file at path that carry one of marks,
    if it was written to after since (epoch seconds)."""
    try:
        if os.path.getmtime(path) < since:
            return []
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    return [line[:400] for line in lines if any(m in line for m in marks)][-keep:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with the warnings and errors of the
    hcpd logs and PostgreSQL logs still around: a 500 seen only in CI
    then says why (e.g. a deadlock's DETAIL) without a second run."""
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    for path in HCPD_LOGS:
        found = problems_in(path, call.start, ('"level":"error"', '"level":"warn"'))
        if found:
            rep.sections.append(("hcpd log " + os.path.basename(path), "\n".join(found)))
    for cluster in LIVE_CLUSTERS:
        found = problems_in(os.path.join(cluster.dir, "postgres.log"), call.start,
                            ("ERROR:", "DETAIL:", "FATAL:", "PANIC:"))
        if found:
            rep.sections.append(("postgres log " + cluster.dir, "\n".join(found)))


class Hcpd:
    """One `hcpd serve` process; its stderr (JSON log lines) goes to a file.
    argv (the command before the subcommand) and cwd may be changed before
    start(), e.g. to run an installed tree; prefix runs it under another
    program (valgrind and its options)."""

    def __init__(self, pg, workdir, env=None, prefix=None):
        self.pg = pg
        self.argv = [HCPD_BIN]
        self.cwd = ROOT
        self.port = free_port()
        self.log_path = os.path.join(workdir, "hcpd-%d.log" % self.port)
        self.env = dict(os.environ)
        self.env.update({
            "HCPD_DATABASE_URL": pg.url,
            "HCPD_KEYSTORE_URL": pg.keys_url,
            "HCPD_MASTER_KEY_FILE": master_key(workdir),
            "HCPD_JWT_KEY_FILE": jwt_key(workdir),
            "HCPD_LISTEN": "127.0.0.1:%d" % self.port,
            "HCPD_METRICS_LISTEN": "127.0.0.1:0",
            "HCPD_LOG_LEVEL": os.environ.get("HCPD_TEST_LOG_LEVEL", "info"),
            # the suite sends far more than a person would; tests of the
            # limit itself set it
            "HCPD_RATE_LIMIT_PER_ADDRESS": "0",
            # no verification jobs run (they stay queued) unless a test
            # turns the runner on, with a stub registry: nothing here ever
            # reaches a real registry
            "HCPD_VERIFY_CONCURRENCY": "0",
            "HCPD_REGISTRY_URL_US_NPPES": "http://127.0.0.1:9/unreachable/",
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=23",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        })
        self.env.update(env or {})
        self.api = Api(self.port)
        self.proc = None
        self.prefix = list(prefix or [])
        HCPD_LOGS.append(self.log_path)
        self.start_seconds = 15

    def cli(self, *args, input=None):
        return subprocess.run(self.argv + list(args), env=self.env, cwd=self.cwd, input=input,
                              capture_output=True, text=True, timeout=60)

    def start(self, wait_ready=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.prefix + self.argv + ["serve"], env=self.env, cwd=self.cwd,
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + self.start_seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hcpd exited at start:\n" + self.read_log())
            try:
                r = self.api.request("GET", "/readyz" if wait_ready else "/healthz", check=False,
                                     timeout=2)
                if r.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("hcpd did not become ready:\n" + self.read_log())

    def metrics_port(self):
        """The port the metrics listener bound, from the last start's log line."""
        port = None
        for line in self.read_log().splitlines():
            if line.startswith("{") and '"msg":"metrics listening"' in line:
                port = json.loads(line)["port"]
        assert port, "no metrics listener in the log"
        return port

    @property
    def metrics(self):
        """An Api on the metrics listener (HCPD_METRICS_LISTEN): /metrics, /healthz."""
        return Api(self.metrics_port())

    def stop(self, timeout=20):
        """SIGTERM; returns (exit code, seconds taken)."""
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc, time.time() - t0

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def assert_clean_exit(self):
        rc, _ = self.stop()
        log = self.read_log()
        for mark in SANITIZER_MARKS:
            assert mark not in log, "sanitizer report in hcpd log:\n" + log[-4000:]
        assert rc == 0, "hcpd exited %d:\n%s" % (rc, log[-2000:])


def master_key(workdir):
    path = os.path.join(workdir, "master.key")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        os.chmod(path, 0o600)
    return path


def jwt_key(workdir, name="jwt-es256.pem"):
    """An EC P-256 signing key, made once per directory."""
    path = os.path.join(workdir, name)
    if not os.path.exists(path):
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", path], check=True,
                       capture_output=True)
    return path


def until(condition, what, seconds=4):
    """Polls condition() every 20 ms; fails saying what after seconds."""
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, what
        time.sleep(0.02)


def waiting_on_locks(pg):
    """How many of the cluster's sessions wait for a lock now."""
    return int(pg.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))


class HeldTransaction:
    """A psql session of its own whose transaction the test holds open
    (what a concurrent request would hold), to let go with commit()."""

    def __init__(self, pg, *statements):
        self.proc = subprocess.Popen([PSQL, pg.url, "-q", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        name = "held-%d" % self.proc.pid
        self.proc.stdin.write("BEGIN;\n" + "".join(s + ";\n" for s in statements) +
                              "SET application_name = '%s';\n" % name)
        self.proc.stdin.flush()
        until(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name "
                              "= '%s' AND state = 'idle in transaction'" % name) == "1",
              "the held transaction did not begin")

    def send(self, statement):
        """One more statement, not waited for (it may wait for a lock)."""
        self.proc.stdin.write(statement + ";\n")
        self.proc.stdin.flush()

    def commit(self):
        self.proc.stdin.write("COMMIT;\n")
        self.proc.stdin.close()
        assert self.proc.wait(timeout=10) == 0

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def migrate(hcpd):
    r = hcpd.cli("migrate")
    assert r.returncode == 0, r.stderr


def start_stack(tmp_path, env=None, migrated=True):
    """A fresh PostgreSQL and hcpd, for tests that break them."""
    pg = Postgres()
    try:
        h = Hcpd(pg, str(tmp_path), env)
        if migrated:
            migrate(h)
        h.start(wait_ready=migrated)
    except BaseException:
        # a server that would not start (some tests expect that) must not
        # leave its cluster running after the suite
        pg.destroy()
        raise
    return pg, h


@pytest.fixture(autouse=True)
def no_stuck_account():
    """Issue 19: after every scenario no account waits without a job or a
    review item, in any cluster still up."""
    yield
    for cluster in list(LIVE_CLUSTERS):
        cluster.assert_none_stuck()


@pytest.fixture(scope="session")
def pg():
    p = Postgres()
    yield p
    p.destroy()


@pytest.fixture(scope="session")
def hcpd(pg, tmp_path_factory):
    h = Hcpd(pg, str(tmp_path_factory.mktemp("hcpd")))
    migrate(h)
    h.start()
    yield h
    h.assert_clean_exit()


@pytest.fixture
def api(hcpd):
    return hcpd.api


@pytest.fixture
def stack(tmp_path):
    """A private PostgreSQL + hcpd, torn down (and checked) after the test."""
    made = []

    def make(env=None, migrated=True):
        pg, h = start_stack(tmp_path, env, migrated)
        made.append((pg, h))
        return pg, h

    yield make
    stuck = []
    for pg, h in made:
        if h.proc.poll() is None:
            h.assert_clean_exit()
        stuck += pg.stuck() or []
        pg.destroy()
    assert not stuck, "accounts stuck with no open job and no review item: %s" % stuck
