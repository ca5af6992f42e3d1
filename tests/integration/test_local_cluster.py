"""The private PostgreSQL of `make run` and the tests (deploy/pg.sh) lets
only its owner in (issue 18, High): it was made with `--auth=trust` on a
socket every local user could reach, so any local user was superuser and
could make themselves admin or delete the keystore. Now the socket
directory is 0700 and authentication is peer, mapped to the superuser for
the cluster's owner and root only; a cluster made before is hardened at its
next start."""

import os
import stat
import subprocess
import tempfile

import pytest

from conftest import PG_SH

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switches users: needs root")


def pg(*args):
    return subprocess.run([PG_SH, *args], check=True, capture_output=True, text=True).stdout


def psql_as(user, url):
    cmd = ["psql", url, "-tAc", "SELECT current_user"]
    if user != "root":
        cmd = ["runuser", "-u", user, "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, cwd="/")


@pytest.fixture
def cluster():
    top = tempfile.mkdtemp(prefix="hcpd-pg-")
    os.chmod(top, 0o755)
    d = os.path.join(top, "pg")
    yield d
    subprocess.run([PG_SH, "stop", d, "immediate"], capture_output=True)
    subprocess.run(["rm", "-rf", top])


def only_the_owner_gets_in(d):
    url = pg("url", d).strip()
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    with open(os.path.join(d, "data", "pg_hba.conf")) as f:
        rules = [line.split() for line in f if line.strip() and not line.startswith("#")]
    assert rules == [["local", "all", "postgres", "peer", "map=hcpd"]]
    assert psql_as("root", url).stdout.strip() == "postgres"
    assert psql_as("postgres", url).stdout.strip() == "postgres"
    other = psql_as("nobody", url)
    assert other.returncode != 0 and other.stdout == "", other.stdout


def test_a_new_cluster_lets_only_its_owner_in(cluster):
    pg("start", cluster)
    only_the_owner_gets_in(cluster)


def test_a_cluster_made_before_is_hardened_at_start(cluster):
    pg("start", cluster)
    pg("stop", cluster)
    # as deploy/pg.sh made them before: trust, and a directory anyone enters
    with open(os.path.join(cluster, "data", "pg_hba.conf"), "w") as f:
        f.write("local all all trust\n")
    with open(os.path.join(cluster, "data", "postgresql.conf"), "a") as f:
        f.write("unix_socket_permissions = 0777\n")
    os.chmod(cluster, 0o755)
    url = pg("url", cluster).strip()
    subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl",
                    "-D", os.path.join(cluster, "data"), "-l",
                    os.path.join(cluster, "postgres.log"), "-w", "start"],
                   check=True, capture_output=True, cwd="/")
    assert psql_as("nobody", url).stdout.strip() == "postgres"  # the hole, reproduced
    pg("start", cluster)  # running already: hardened and reloaded
    only_the_owner_gets_in(cluster)


def test_a_clone_is_a_cluster_of_its_own_and_as_closed(cluster):
    """pg.sh clone (what the tests make their clusters with): the copy
    listens on its own socket beside the running source, holds the
    source's databases, and lets only its owner in."""
    pg("start", cluster)
    with pytest.raises(subprocess.CalledProcessError):  # a running source is refused
        pg("clone", cluster, cluster + "-copy")
    pg("stop", cluster)
    copy = cluster + "-copy"
    try:
        pg("clone", cluster, copy)
        pg("start", cluster)
        pg("start", copy)
        only_the_owner_gets_in(copy)
        for db in ("hcpd", "hcpd_keys"):
            r = psql_as("root", pg("url", copy, db).strip())
            assert r.returncode == 0 and r.stdout.strip() == "postgres", r.stderr
        assert psql_as("root", pg("url", cluster).strip()).returncode == 0
    finally:
        subprocess.run([PG_SH, "stop", copy, "immediate"], capture_output=True)
        subprocess.run(["rm", "-rf", copy])
