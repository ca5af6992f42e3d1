"""Operations: health, readiness, metrics, migrations, database outages,
the bounded hashing queue, log hygiene and the admin CLI."""

import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import ROOT, HCPD_BIN, registration


def test_healthz_and_readyz(api):
    assert api.request("GET", "/healthz").json == {"status": "ok"}
    assert api.request("GET", "/readyz").json == {"status": "ready"}


def test_metrics(hcpd):
    api = hcpd.api
    api.request("GET", "/healthz")
    api.request("GET", "/nope")
    r = hcpd.metrics.request("GET", "/metrics")
    text = r.body.decode()
    assert r.headers["content-type"].startswith("text/plain")
    assert 'hcpd_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'hcpd_http_requests_total{method="",route="unmatched",status="404"}' in text
    assert 'hcpd_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}' in text
    for gauge in ('hcpd_db_pool_connections{state="size"}', 'hcpd_hash_queue{state="capacity"}',
                  "hcpd_db_pool_waiting", "hcpd_hash_rejected_total"):
        assert gauge in text
    assert "/nope" not in text  # labels are route patterns, never raw paths
    for name in ("process_start_time_seconds", "process_resident_memory_bytes",
                 "hcpd_http_connections_refused_total", "hcpd_http_deadline_closed_total"):
        assert "\n%s " % name in text, name
    # every metric's TYPE comes before its first sample (the text format's rule)
    typed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
        elif line and not line.startswith("#"):
            name = re.match(r"[a-z_]+", line).group(0)
            assert any(name == t or name.startswith(t + "_") for t in typed), line


def test_keystore_in_the_main_database_works_and_warns(stack):
    """HCPD_KEYSTORE_URL unset (empty): the secrets go to the main database,
    registration, sign-in and erasure work, and serve warns that erasure
    then misses older backups. The suite's own hcpd (a keystore apart)
    does not warn."""
    pg, h = stack({"HCPD_KEYSTORE_URL": ""})
    assert "HCPD_KEYSTORE_URL is not set" in h.read_log()
    body = registration("shared.keystore@example.org")
    r = h.api.register(body)
    assert r.status == 202
    keys = "SELECT count(*) FROM account_keys WHERE account_id = '%s'" % r.json["id"]
    assert pg.psql(keys) == "1"
    r = h.api.request("POST", "/v1/sessions",
                      body={"email": body["email"], "password": body["password"]})
    assert r.status == 200
    auth = {"Authorization": "Bearer " + r.json["access_token"]}
    assert h.api.request("GET", "/v1/me", headers=auth).json["email"] == body["email"]
    assert h.api.request("DELETE", "/v1/me", body={"password": body["password"]},
                         headers=auth).status == 204
    assert pg.psql(keys) == "0"


def test_readyz_waits_for_the_keystore(stack):
    pg, h = stack()
    assert "HCPD_KEYSTORE_URL is not set" not in h.read_log()
    pg.psql("ALTER TABLE account_keys RENAME TO account_keys_away", url=pg.keys_url)
    r = h.api.request("GET", "/readyz")
    assert r.status == 503 and "keystore" in r.json["detail"]
    pg.psql("ALTER TABLE account_keys_away RENAME TO account_keys", url=pg.keys_url)
    assert h.api.request("GET", "/readyz").status == 200


def test_a_registration_that_makes_no_account_leaves_no_secret(api, pg):
    def secrets():
        return int(pg.psql("SELECT count(*) FROM account_keys", url=pg.keys_url))

    body = registration("one.secret.%s@example.org" % uuid.uuid4().hex[:8])
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = secrets()
    first = api.register(body, headers=key)
    assert first.status == 202 and secrets() == before + 1
    replay = api.register(body, headers=key)  # the same id again
    twin = api.register(body)  # the email is taken: 202 with an id of no account
    assert replay.json["id"] == first.json["id"] and twin.status == 202
    assert secrets() == before + 1


def test_migrate_twice_at_once_then_again(stack):
    pg, h = stack(migrated=False)
    assert h.api.request("GET", "/readyz").status == 503  # schema not current
    procs = [subprocess.Popen([HCPD_BIN, "migrate"], env=h.env, cwd=ROOT,
                              stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    files = subprocess.run("ls db/migrations/*.sql | wc -l", shell=True, cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    assert pg.psql("SELECT count(*) FROM schema_migrations") == files
    again = h.cli("migrate")
    assert again.returncode == 0 and '"applied":0' in again.stderr
    assert h.api.request("GET", "/readyz").status == 200


def test_database_outage_gives_503_then_recovers(stack):
    pg, h = stack()
    body = registration("outage.before@example.org")
    assert h.api.register(body).status == 202
    pg.stop("immediate")
    t0 = time.time()
    r = h.api.request("GET", "/readyz")
    assert r.status == 503 and r.is_problem()
    r = h.api.register(registration("outage.during@example.org"))
    assert r.status == 503 and r.is_problem() and int(r.headers["retry-after"]) >= 1
    assert time.time() - t0 < 3, "503s while the database is down must be quick"
    pg.start()
    t1 = time.time()
    while h.api.request("GET", "/readyz").status != 200:
        assert time.time() - t1 < 5, "not ready 5 s after PostgreSQL came back"
        time.sleep(0.1)
    r = h.api.register(registration("outage.after@example.org"))
    assert r.status == 202
    # nothing acknowledged before the outage was lost
    assert pg.psql("SELECT count(*) FROM accounts") == "2"
    # the pool refills: concurrent requests all get connections again
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(
        h.api.request("GET", "/readyz").status)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replies == [200] * 8


def test_full_hash_queue_sheds_with_503(stack):
    pg, h = stack({"HCPD_HASH_THREADS": "1", "HCPD_HASH_QUEUE": "1"})
    replies = []

    def go(i):
        t0 = time.time()
        r = h.api.register(registration("flood.%d.%s@example.org" % (i, uuid.uuid4().hex[:6])))
        replies.append((r, time.time() - t0))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    # server threads are not held by hashing: health answers meanwhile
    t0 = time.time()
    assert h.api.request("GET", "/healthz").status == 200
    assert time.time() - t0 < 0.5
    for t in threads:
        t.join()
    statuses = [r.status for r, _ in replies]
    assert 202 in statuses and 503 in statuses, statuses
    for r, seconds in replies:
        if r.status == 503:
            assert r.is_problem() and r.headers["retry-after"] == "1"
            assert seconds < 1.0
    accepted = statuses.count(202)
    assert pg.psql("SELECT count(*) FROM accounts") == str(accepted)
    metrics = h.metrics.request("GET", "/metrics").body.decode()
    assert "hcpd_hash_rejected_total %d" % statuses.count(503) in metrics


def test_hashing_holds_no_server_thread(stack):
    """One HTTP thread, one hashing thread, eight registrations hashing:
    /healthz is still answered at once, because a connection waiting for
    its hash is suspended and gives the server thread back. Measured up to
    three times: a held server thread makes every /healthz wait behind the
    queued hashes (about 150 ms each) in every round; a burst of the
    parallel suite's work delays one sample of one round at most (166 ms
    once in CI)."""
    pg, h = stack({"HCPD_HTTP_THREADS": "1", "HCPD_HASH_THREADS": "1",
                   "HCPD_ARGON2_ITERATIONS": "6"})  # each hash long enough to overlap

    def round_of_eight():
        """Eight registrations at once and five /healthz while they hash:
        [(seconds, registrations done)]."""
        done = []

        def go(i):
            r = h.api.register(registration("busy.%d.%s@example.org"
                                            % (i, uuid.uuid4().hex[:6])))
            done.append(r.status)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
        t_start = time.time()
        for t in threads:
            t.start()
        time.sleep(0.15)  # the requests are in and their hashes queued
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            assert h.api.request("GET", "/healthz", check=False).status == 200
            samples.append((time.perf_counter() - t0, len(done)))
            time.sleep(0.03)
        for t in threads:
            t.join()
        hashing = time.time() - t_start
        print("healthz while hashing (seconds, registrations done):", samples,
              "; the 8 took %.2f s" % hashing)
        # the samples were taken while registrations were still hashing
        assert samples[-1][1] < 8, (samples, hashing)
        assert done == [202] * 8
        return samples

    h.api.request("GET", "/healthz")  # openapi.yaml is loaded now, not inside the timing
    seen = []
    for rounds in range(1, 4):
        seen.append(round_of_eight())
        if max(seconds for seconds, _ in seen[-1]) < 0.1:
            break
    else:
        raise AssertionError("a /healthz took 0.1 s or more in every round: %r" % seen)
    assert pg.psql("SELECT count(*) FROM accounts") == str(8 * rounds)


def test_logs_hold_no_personal_data_or_secrets(hcpd):
    canaries = {"email": "log.canary.5501@example.org", "password": "canary pass phrase 5501 x",
                "given_name": "Logcanaria", "family_name": "Fieldington",
                "npi": "1003000126", "phone": "+14155550155", "license_number": "LC5501"}
    body = registration(canaries["email"], given_name=canaries["given_name"],
                        family_name=canaries["family_name"], npi=canaries["npi"],
                        phone=canaries["phone"], license_number=canaries["license_number"])
    body["password"] = canaries["password"]
    assert hcpd.api.register(body, {"Idempotency-Key": "log-canary-key-5501"}).status == 202
    bad = dict(body, password="short")
    assert hcpd.api.register(bad).status == 422
    log = hcpd.read_log()
    assert '"route":"/v1/registrations"' in log
    for name, value in list(canaries.items()) + [("idempotency key", "log-canary-key-5501")]:
        assert value not in log, "%s leaked into the log" % name


def test_admin_create(hcpd, pg):
    email = "admin.%s@example.org" % uuid.uuid4().hex[:8]
    r = hcpd.cli("admin", "create", "--email", email, input="correct horse battery staple 9\n")
    assert r.returncode == 0, r.stderr
    account_id = r.stdout.strip()
    assert pg.psql("SELECT role FROM accounts WHERE id = '%s'" % account_id) == "admin"
    dup = hcpd.cli("admin", "create", "--email", email, input="correct horse battery staple 9\n")
    assert dup.returncode != 0 and "already exists" in dup.stderr
    weak = hcpd.cli("admin", "create", "--email", "x" + email, input="passwordpassword\n")
    assert weak.returncode != 0 and "password refused" in weak.stderr
    assert hcpd.cli("admin", "create", "--email", "nope", input="x\n").returncode != 0


def test_bad_configuration_names_the_setting(hcpd):
    env = dict(hcpd.env, HCPD_ARGON2_MEMORY_KIB="1024", HCPD_LISTEN="127.0.0.1:1")
    r = subprocess.run([HCPD_BIN, "serve"], env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "HCPD_ARGON2_MEMORY_KIB" in r.stderr
    env = dict(hcpd.env, HCPD_CATALOGUE_FILE="/nonexistent.json")
    r = subprocess.run([HCPD_BIN, "serve"], env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "nonexistent.json" in r.stderr


def test_clean_shutdown_is_quick(stack):
    pg, h = stack()
    assert h.api.register(registration("shutdown@example.org")).status == 202
    rc, seconds = h.stop()
    assert rc == 0 and seconds < 5, (rc, seconds)


def test_registrations_hashing_at_sigterm_are_answered(stack):
    """A rollout's SIGTERM while registrations hash: hcpd stops listening
    at once, finishes the hashes, sends every reply, then exits 0. None
    is cut off without an answer (its account may be stored)."""
    pg, h = stack({"HCPD_HASH_THREADS": "1", "HCPD_ARGON2_ITERATIONS": "20"})
    replies = {}

    def register(i):
        try:
            replies[i] = h.api.register(
                registration("rollout.%d.%s@example.org" % (i, uuid.uuid4().hex[:6]))).status
        except OSError as e:
            replies[i] = repr(e)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # one hashing, two queued
    h.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    with pytest.raises(ConnectionRefusedError):
        h.api.request("GET", "/healthz", timeout=5)
    for t in threads:
        t.join(timeout=30)
    rc = h.proc.wait(timeout=30)
    h.log.close()
    assert replies == {0: 202, 1: 202, 2: 202}, (replies, h.read_log()[-2000:])
    assert rc == 0
    assert pg.psql("SELECT count(*) FROM accounts") == "3"


def test_second_signal_while_stopping_is_not_fatal(stack):
    """One Ctrl-C under `make run` sends hcpd two signals: SIGINT from the
    terminal, then SIGTERM from run.sh. The second, arriving while queued
    hashes drain, must not kill hcpd by its default action."""
    pg, h = stack({"HCPD_HASH_THREADS": "1", "HCPD_ARGON2_ITERATIONS": "20"})

    def register():
        try:
            h.api.register(registration("drain.%s@example.org" % uuid.uuid4().hex[:6]))
        except OSError:
            pass  # whether it is answered is not this test's question

    worker = threading.Thread(target=register)
    worker.start()
    time.sleep(0.2)  # its hash is running: shutdown waits for it
    h.proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    h.proc.send_signal(signal.SIGTERM)
    try:
        rc = h.proc.wait(timeout=30)
    finally:
        h.log.close()
    worker.join(timeout=30)
    log = h.read_log()
    assert rc == 0, (rc, log[-2000:])  # -15: killed by SIGTERM mid-shutdown
    assert log.count('"msg":"stopping"') == 1


def test_statement_timeout_and_pool_exhaustion_give_quick_503(stack):
    pg, h = stack({"HCPD_DB_POOL_SIZE": "1", "HCPD_DB_ACQUIRE_MS": "300",
                   "HCPD_STATEMENT_TIMEOUT_MS": "800"})
    # a session that holds every write to accounts for 8 s
    locker = subprocess.Popen(["psql", pg.url, "-c",
                               "BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE; "
                               "SELECT pg_sleep(8); COMMIT;"], stdout=subprocess.DEVNULL)
    # go on only once the lock is held (a slow machine may take a while)
    deadline = time.time() + 10
    while pg.psql("SELECT count(*) FROM pg_locks WHERE relation = 'accounts'::regclass "
                  "AND mode = 'AccessExclusiveLock' AND granted") != "1":
        assert time.time() < deadline, "the locker never got its lock"
        time.sleep(0.05)
    replies = []

    def go(i):
        t0 = time.time()
        r = h.api.register(registration("locked.%d@example.org" % i))
        replies.append((r, time.time() - t0))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    locker.wait(timeout=30)
    for r, seconds in replies:
        # the statement times out (0.8 s) or no connection frees up (0.3 s):
        # both are 503 with Retry-After, well before the lock is released
        # (8 s; the four hashes before it take a while on a busy 2-core box)
        assert r.status == 503 and r.is_problem(), r.body
        assert "retry-after" in r.headers
        assert seconds < 5, seconds
    # nothing half-done, and the pool is usable again
    assert pg.psql("SELECT count(*) FROM accounts") == "0"
    assert h.api.register(registration("after.lock@example.org")).status == 202


def test_a_migration_numbered_below_applied_ones_is_still_applied(stack, tmp_path):
    """A branch's migration that lands after a later-numbered one (0006
    after 0009) is not skipped: readiness waits for it, migrate applies it."""
    import shutil
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT + "/db/migrations", migrations)
    pg, h = stack({"HCPD_MIGRATIONS_DIR": str(migrations)})
    assert h.api.request("GET", "/readyz").status == 200
    (migrations / "0006_late_branch.sql").write_text("CREATE TABLE late_branch (x int);\n")
    r = h.api.request("GET", "/readyz")
    assert r.status == 503 and "migrations" in r.json["detail"]
    again = h.cli("migrate")
    assert again.returncode == 0 and '"applied":1' in again.stderr, again.stderr
    assert h.api.request("GET", "/readyz").status == 200
    assert pg.psql("SELECT count(*) FROM late_branch") == "0"
