"""Scale-out on one machine (issue 11): one PostgreSQL, two `hcpd serve`
API processes with their runner off (HCPD_VERIFY_CONCURRENCY=0, as the
API pods of deploy/k8s and deploy/compose.yaml run) and two `hcpd worker`
processes (runner, scheduler, mailer) against a stub NPPES registry.

- Registrations through both APIs: each check runs once (one registry
  request per NPI, one `verifications` row and one ledger row per job),
  done by the workers between them, none by an API; each confirmation
  mail is sent once, by the workers' mailers (the APIs' are off).
- The scheduler in both workers (a pass a second): an account whose last
  check is old is queued for re-verification once, not once per process.
- SIGKILL of an API in the middle of registrations: every acknowledged
  (202) registration is in the database with its job and gets verified;
  the other API keeps answering throughout.
- SIGKILL of a worker in the middle of requests: its running jobs are
  taken by the other worker once their lease (2 x timeout_ms + 5 s)
  lapses, and each request that left is in the ledger.

The processes are shared by the tests of this module; a test that kills
one gets it back (a new process) at the start of the next.
"""

import http.client
import json
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Hcpd, Postgres, migrate
from pipeline_helpers import nppes_definition, nppes_env, registries_dir
from privacy_helpers import valid_npi
from registry_stub import RegistryStub
from reviewkit import confirm_email
from test_email import start_sink
from test_pipeline import answer, register

# Per attempt, in the definition: longer than the four stalled requests of
# test_a_sigkilled_workers_jobs_... take to leave on a loaded machine (the
# suite runs in parallel, under ASan in CI), or the first has timed out
# and is no longer running when the test looks.
TIMEOUT_MS = 3000
LEASE_S = (2 * TIMEOUT_MS + 5000) / 1000  # services/runner.c: 2 x timeout_ms + LEASE_SLACK
STALL = {"status": 200, "body": "", "fault": "stall"}  # no reply for 30 s
CONFIRM = "Confirm your email address"  # the subject of the mail a registration queues


class Worker(Hcpd):
    """One `hcpd worker`: Hcpd's environment, log, stop and clean-exit
    check, started with the worker command (no HTTP)."""

    def start(self, wait_ready=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv + ["worker"], env=self.env, cwd=self.cwd,
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + self.start_seconds
        while '"verification runner started"' not in self.read_log():
            if self.proc.poll() is not None:
                raise RuntimeError("hcpd worker exited at start:\n" + self.read_log())
            assert time.time() < deadline, "hcpd worker did not start:\n" + self.read_log()
            time.sleep(0.05)
        return self


def kill(p):
    """SIGKILL: no clean-up of any kind, as when a node dies."""
    p.proc.send_signal(signal.SIGKILL)
    p.proc.wait()
    p.log.close()


def log_lines(p, offset=0):
    """The process's JSON log lines from byte offset on."""
    with open(p.log_path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def log_size(p):
    with open(p.log_path, "rb") as f:
        return len(f.read())


def in_list(ids):
    return ",".join("'%s'" % i for i in ids)


def settle(pg, accounts, timeout=30):
    """Waits until none of the accounts has an open job (jobs_settled for
    many, in one query a look); returns {account id: status}."""
    deadline = time.time() + timeout
    while pg.psql("SELECT count(*) FROM verification_jobs WHERE state IN ('queued', "
                  "'running') AND account_id IN (%s)" % in_list(accounts)) != "0":
        assert time.time() < deadline, "jobs still open after %d s" % timeout
        time.sleep(0.1)
    rows = pg.psql("SELECT id, status FROM accounts WHERE id IN (%s)" % in_list(accounts))
    return dict(r.split("|") for r in rows.splitlines())


def jobs_of(pg, accounts, occasion):
    """{job id: account id} of the accounts' jobs of one occasion."""
    rows = pg.psql("SELECT id, account_id FROM verification_jobs WHERE occasion = '%s' "
                   "AND account_id IN (%s)" % (occasion, in_list(accounts)))
    return {int(r.split("|")[0]): r.split("|")[1] for r in rows.splitlines()}


def once_each(pg, jobs):
    """Jobs that have not exactly one verifications row and one ledger row."""
    return pg.psql(
        "SELECT j.id FROM verification_jobs j WHERE j.id IN (%s) AND ("
        "(SELECT count(*) FROM verifications v WHERE v.job_id = j.id) <> 1 OR "
        "(SELECT count(*) FROM disclosures d WHERE d.job_id = j.id) <> 1)"
        % ",".join(str(j) for j in jobs))


class Cluster:
    """As deploy/k8s runs them: the APIs with runner and mailer off, the
    workers with both (and so the scheduler) on; the same settings else."""

    def __init__(self, workdir):
        self.pg = Postgres()
        self.stub = RegistryStub(latency=0.02)
        self.sink, self.smtp = start_sink()
        self.apis, self.workers = [], []
        try:
            regs = registries_dir(workdir, nppes_definition(timeout_ms=TIMEOUT_MS,
                                                            connect_timeout_ms=500))
            api_env = dict(nppes_env(self.stub, regs, concurrency=0), HCPD_SMTP_URL="")
            self.apis = [Hcpd(self.pg, workdir, api_env) for _ in range(2)]
            migrate(self.apis[0])
            worker_env = dict(api_env, HCPD_VERIFY_CONCURRENCY="8",
                              HCPD_REVERIFY_INTERVAL_SECONDS="1",
                              HCPD_SMTP_URL="smtp://127.0.0.1:%d" % self.smtp.port)
            self.workers = [Worker(self.pg, workdir, worker_env) for _ in range(2)]
            self.revive()
        except BaseException:
            self.close()
            raise

    def procs(self):
        return self.apis + self.workers

    def revive(self):
        """Every process running: a killed one is started again."""
        for p in self.procs():
            if p.proc is None or p.proc.poll() is not None:
                p.start()

    def close(self):
        try:
            for p in self.procs():
                if p.proc is not None and p.proc.poll() is None:
                    p.assert_clean_exit()
        finally:
            self.smtp.stop()
            self.stub.close()
            self.pg.destroy()


@pytest.fixture(scope="module")
def cluster_once(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("scale-out")))
    yield c
    c.close()


@pytest.fixture
def cluster(cluster_once):
    cluster_once.revive()
    return cluster_once


def register_many(c, n, npis=None):
    """n registrations alternating between the two APIs, four at a time,
    each NPI answered as verified by the stub unless given in npis.
    Returns [(account id, npi, API index, email)]."""
    def one(i):
        npi = npis[i] if npis else valid_npi()
        if not npis:
            answer(c.stub, npi)
        account, email, _ = register(c.apis[i % 2], npi=npi)
        return account, npi, i % 2, email

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(n)))


def test_each_check_runs_once_across_processes(cluster):
    c = cluster
    offsets = [log_size(p) for p in c.procs()]
    made = register_many(c, 40)
    assert sorted(api for _, _, api, _ in made) == [0] * 20 + [1] * 20  # both answered
    accounts = [a for a, _, _, _ in made]
    assert settle(c.pg, accounts) == {a: "verified" for a in accounts}
    # one registry request per NPI, one result and one ledger row per job
    for _, npi, _, _ in made:
        assert c.stub.count(npi) == 1, npi
    jobs = jobs_of(c.pg, accounts, "registration")
    assert sorted(jobs.values()) == sorted(accounts)  # one job each (one verifier)
    assert once_each(c.pg, jobs) == ""
    # the workers did every check between them, each once; the APIs none
    done = {}
    for i, p in enumerate(c.procs()):
        for line in log_lines(p, offsets[i]):
            if line["msg"] == "verification done" and line["job"] in jobs:
                done.setdefault(line["job"], []).append(i)
    assert sorted(done) == sorted(jobs)
    assert all(len(by) == 1 for by in done.values()), done
    by_process = {i for by in done.values() for i in by}
    assert by_process == {2, 3}, "both workers took part, no API did: %s" % by_process
    for api in c.apis:
        assert '"verification runner started"' not in api.read_log()
    # each registration's confirmation mail, once, from a worker's mailer
    for _, _, _, email in made:
        c.sink.wait_for(email, CONFIRM)
    time.sleep(1.5)  # a mailer polls the outbox every second: time for a second send
    for _, _, _, email in made:
        assert len(c.sink.received(email, CONFIRM)) == 1, email
    for api in c.apis:
        assert '"mail is off' in api.read_log()
    for w in c.workers:
        assert '"mail is on"' in w.read_log()


def test_scheduler_queues_each_account_once_across_processes(cluster):
    c = cluster
    made = register_many(c, 20)
    accounts = [a for a, _, _, _ in made]
    assert settle(c.pg, accounts) == {a: "verified" for a in accounts}
    offsets = [log_size(w) for w in c.workers]
    # their last checks, as far as the schedule knows, were long ago
    c.pg.psql("UPDATE verifications SET checked_at = now() - interval '40 days' "
              "WHERE account_id IN (%s)" % in_list(accounts))
    deadline = time.time() + 20
    while len(jobs_of(c.pg, accounts, "reverification")) < 20:
        assert time.time() < deadline, "not queued for re-verification"
        time.sleep(0.1)
    assert settle(c.pg, accounts) == {a: "verified" for a in accounts}
    time.sleep(3)  # several more passes by each worker (one a second)
    jobs = jobs_of(c.pg, accounts, "reverification")
    assert sorted(jobs.values()) == sorted(accounts), "queued once each"
    for _, npi, _, _ in made:
        assert c.stub.count(npi) == 2, npi  # first check + one re-check
    assert once_each(c.pg, jobs) == ""
    queued = sum(line["reverifications"] for i, w in enumerate(c.workers)
                 for line in log_lines(w, offsets[i]) if line["msg"] == "monitoring pass")
    assert queued == 20
    # both schedulers were running all along
    assert all(w.proc.poll() is None for w in c.workers)


def test_sigkill_of_an_api_loses_no_acknowledged_registration(cluster):
    c = cluster
    victim = c.apis[1]
    acked, failed, lock = [], [], threading.Lock()
    emails = {}
    killed = threading.Event()

    def client(k):
        for i in range(12):
            which = (k + i) % 2
            npi = valid_npi()
            answer(c.stub, npi)
            after = killed.is_set()
            try:
                # confirmed below, through the API that lives
                account, email, _ = register(c.apis[which], npi=npi, confirm=False)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    failed.append((which, after, type(e).__name__))
                continue
            with lock:
                acked.append((account, npi, which, after))
                emails[account] = email
                n = len(acked)
            if n == 10 and not killed.is_set():
                kill(victim)  # with other clients' requests in flight
                killed.set()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(client, range(4)))
    assert killed.is_set()
    # the other API answered every request, before and after
    assert [f for f in failed if f[0] == 0] == []
    assert len([a for a in acked if a[2] == 0]) == 24
    assert [a for a in acked if a[2] == 0 and a[3]], "requests after the kill were answered"
    # the killed one refused what came after it
    assert [f for f in failed if f[0] == 1 and f[1]]
    # every acknowledged registration is there, with its job, and is checked
    ids = [a for a, _, _, _ in acked]
    assert c.pg.psql("SELECT count(*) FROM accounts WHERE id IN (%s)" % in_list(ids)) == \
        str(len(ids))
    for a in ids:
        confirm_email(c.apis[0], a, emails[a])
    assert settle(c.pg, ids) == {a: "verified" for a in ids}
    for _, npi, _, _ in acked:
        assert c.stub.count(npi) == 1, npi
    # and nothing half-made by the killed one: no account without its job
    assert c.pg.psql("SELECT count(*) FROM accounts a WHERE a.role = 'professional' AND "
                     "NOT EXISTS (SELECT 1 FROM verification_jobs j "
                     "WHERE j.account_id = a.id)") == "0"


def test_a_sigkilled_workers_jobs_are_taken_again_after_their_lease(cluster):
    c = cluster
    npis = [valid_npi() for _ in range(4)]
    for npi in npis:
        answer(c.stub, npi)
        ok = c.stub.replies[npi][0]
        c.stub.set(npi, [STALL, ok])  # the first request hangs, the next is answered
    made = register_many(c, 4, npis)
    accounts = {a: npi for a, npi, _, _ in made}
    deadline = time.time() + 5
    while not all(c.stub.count(npi) == 1 for npi in npis):
        assert time.time() < deadline, "requests did not reach the registry"
        time.sleep(0.01)
    # kill the worker holding the first job, its requests still unanswered
    owners = dict(r.split("|") for r in c.pg.psql(
        "SELECT account_id, lease_owner FROM verification_jobs WHERE state = 'running' "
        "AND account_id IN (%s)" % in_list(accounts)).splitlines())
    assert sorted(owners) == sorted(accounts)
    pid = int(owners[made[0][0]].split(":")[1])
    victim = next(w for w in c.workers if w.proc.pid == pid)
    survivor = next(w for w in c.workers if w is not victim)
    offset = log_size(survivor)
    kill(victim)
    held = [a for a, owner in owners.items() if int(owner.split(":")[1]) == pid]
    assert all(c.stub.count(accounts[a]) == 1 for a in held), "killed before a retry"
    assert settle(c.pg, list(accounts), timeout=LEASE_S + 15) == \
        {a: "verified" for a in accounts}
    jobs = jobs_of(c.pg, list(accounts), "registration")
    done_by_survivor = {line["job"] for line in log_lines(survivor, offset)
                        if line["msg"] == "verification done"}
    for job, account in jobs.items():
        npi = accounts[account]
        times = [t for r, t in zip(c.stub.requests, c.stub.times) if r["key"] == npi]
        assert len(times) == 2, npi  # the hung request, then the one answered
        gap = times[1] - times[0]
        if account in held:
            # not before the lease lapsed, and by the other worker
            assert LEASE_S - 1 <= gap <= LEASE_S + 5, gap
            assert job in done_by_survivor
        else:
            assert gap < LEASE_S - 1, gap  # an ordinary retry after the timeout
        # one result; each request that left is on the ledger
        assert c.pg.psql("SELECT count(*) FROM verifications WHERE job_id = %d" % job) == "1"
        assert c.pg.psql("SELECT count(*) FROM disclosures WHERE job_id = %d" % job) == "2"

