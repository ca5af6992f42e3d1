"""deploy/run.sh, what `make run` runs once hcpd is built: a private
PostgreSQL under var/pg, keys under var/, migrate, serve; Ctrl-C stops hcpd
and then PostgreSQL.

run.sh works in the tree it lives in (var/ beside deploy/), so it runs here
in a copy of the tree: deploy/ copied, the hcpd under test as bin/hcpd,
db/, services/ and verifiers/ linked. HCPD_LISTEN (which run.sh respects)
gives it a free port; no database or key is passed in, so it makes its own.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import HCPD_BIN, ROOT, SANITIZER_MARKS, Api, free_port



def tree_copy():
    """A throw-away copy of the repository tree the postgres user can enter."""
    top = tempfile.mkdtemp(prefix="hcpd-run-")
    os.chmod(top, 0o755)
    shutil.copytree(os.path.join(ROOT, "deploy"), os.path.join(top, "deploy"))
    os.mkdir(os.path.join(top, "bin"))
    shutil.copy2(HCPD_BIN, os.path.join(top, "bin", "hcpd"))
    for name in ("db", "services", "verifiers"):
        os.symlink(os.path.join(ROOT, name), os.path.join(top, name))
    return top


def children(pid):
    """Process ids of pid's children."""
    found = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, task)) as f:
            found += [int(c) for c in f.read().split()]
    return found


def alive(pid, name):
    """Is pid still a running (not zombie) process named name? (/proc/PID/stat
    is readable whoever owns the process.)"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    comm, rest = stat.split("(", 1)[1].rsplit(")", 1)
    return comm == name and rest.split()[0] != "Z"


@pytest.mark.parametrize("signalled", ["run.sh alone", "the process group"])
def test_run_sh_serves_then_ctrl_c_stops_hcpd_and_postgres(signalled):
    top = tree_copy()
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("HCPD_DATABASE_URL", "HCPD_JWT_KEY_FILE", "HCPD_MASTER_KEY_FILE")}
    env.update({"HCPD_LISTEN": "127.0.0.1:%d" % port,
                "HCPD_METRICS_LISTEN": "127.0.0.1:%d" % metrics_port,
                # as in conftest: no verification job reaches a registry
                "HCPD_VERIFY_CONCURRENCY": "0",
                "HCPD_REGISTRY_URL_US_NPPES": "http://127.0.0.1:9/unreachable/"})
    out_path = os.path.join(top, "run.out")
    data = os.path.join(top, "var", "pg", "data")
    with open(out_path, "wb") as out:
        # its own process group, as a terminal gives a foreground job, and
        # Ctrl-C's default action: a suite started in the background of a
        # non-interactive shell inherits SIGINT ignored, and bash cannot
        # trap a signal that was ignored when it started
        run = subprocess.Popen(["bash", os.path.join(top, "deploy", "run.sh")], cwd="/", env=env,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        api = Api(port)
        deadline = time.time() + 90
        ready = None
        while time.time() < deadline and run.poll() is None:
            try:
                ready = api.request("GET", "/readyz", timeout=2)
                if ready.status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        log = open(out_path, "rb").read().decode("utf-8", "replace")
        assert ready is not None and ready.status == 200, log[-3000:]
        assert ready.json == {"status": "ready"}
        assert "hcpd is starting." in log and "http://127.0.0.1:%d/" % port in log
        # the metrics are on their own listener, which run.sh names
        assert "http://127.0.0.1:%d/metrics" % metrics_port in log
        assert Api(metrics_port).request("GET", "/metrics").status == 200
        # the keys it made live under var/, readable by their owner only
        for key in ("jwt-es256.pem", "master.key"):
            assert os.stat(os.path.join(top, "var", key)).st_mode & 0o777 == 0o600, key
        [hcpd_pid] = [c for c in children(run.pid) if alive(c, "hcpd")]
        with open(os.path.join(data, "postmaster.pid")) as f:
            postmaster = int(f.readline())
        assert alive(postmaster, "postgres")

        if signalled == "run.sh alone":
            os.kill(run.pid, signal.SIGINT)
        else:
            os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        rc = run.wait(timeout=30)
        log = open(out_path, "rb").read().decode("utf-8", "replace")
        assert rc == 130, (rc, log[-3000:])
        assert not alive(hcpd_pid, "hcpd"), "hcpd still runs after Ctrl-C"
        # hcpd began an orderly stop (a second signal, run.sh's SIGTERM after
        # the terminal's SIGINT, must not kill it first)
        assert '"msg":"stopping"' in log, log[-3000:]
        assert not os.path.exists(os.path.join(data, "postmaster.pid")), log[-3000:]
        assert not alive(postmaster, "postgres"), "PostgreSQL still runs after Ctrl-C"
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "the port still accepts"
        for mark in SANITIZER_MARKS:
            assert mark not in log, log[-4000:]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run([os.path.join(top, "deploy", "pg.sh"), "stop",
                            os.path.join(top, "var", "pg"), "immediate"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(top, ignore_errors=True)
