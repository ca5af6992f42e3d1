"""deploy/: the container image, Compose, Kubernetes and systemd files,
checked offline (no Docker engine and no cluster here or in CI).

- Image: the build stage's commands run on exactly the files the build
  context holds (.dockerignore applied); the runtime packages are the ones
  the built binary links; the installed tree serves from a read-only root
  (a private mount namespace with every mount read-only), with keys made by
  deploy/secrets.sh and the database reached through a libpq service file,
  as in Compose; the HEALTHCHECK command tells serving from stopped.
- Compose: `docker compose config` (or Debian's docker-compose) validates
  the file; the wiring between services, secrets and the image is checked.
- Kubernetes: every object against the Kubernetes / CloudNativePG schemas
  (tests/k8s-validate.mjs), a negative control proving the validator
  rejects typos, and the references between objects and the sizing rules
  of deploy/SCALING.md.
- systemd: `systemd-analyze verify` and the offline security score.
"""

import copy
import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from conftest import HCPD_BIN, ROOT, Hcpd, registration

DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "k8s")
DOCKERFILE = os.path.join(DEPLOY, "Dockerfile")
COMPOSE = os.path.join(DEPLOY, "compose.yaml")
UNIT = os.path.join(DEPLOY, "hcpd.service")
SECRETS_SH = os.path.join(DEPLOY, "secrets.sh")

ARGON2_KIB = 19456          # SPEC: argon2id m (KiB), the minimum and the default
IDLE_RSS_BAR = 40 * 10**6   # SPEC: resident memory when idle, bytes
CONN_BUFFER = 64 * 1024     # services/http.c: MHD_OPTION_CONNECTION_MEMORY_LIMIT


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(cmd, **kw)


# ---------------------------------------------------------------- Dockerfile

def dockerfile_stages():
    """[(stage name or None, [(INSTRUCTION, args)])], continuations joined."""
    stages, logical = [], ""
    for line in open(DOCKERFILE).read().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        logical += line.rstrip()[:-1] + " " if line.rstrip().endswith("\\") else line
        if line.rstrip().endswith("\\"):
            continue
        instr, _, args = logical.strip().partition(" ")
        logical = ""
        instr = instr.upper()
        if instr == "FROM":
            m = re.search(r"\bAS\s+(\S+)", args, re.I)
            stages.append((m.group(1) if m else None, []))
        if stages:
            stages[-1][1].append((instr, args.strip()))
    return stages


def flags_and_words(args):
    """A COPY/RUN argument string split into its --flags and the rest."""
    words = shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        k, _, v = words.pop(0)[2:].partition("=")
        flags.setdefault(k, []).append(v)
    return flags, words


def image_env(stage):
    env = {}
    for instr, args in stage:
        if instr == "ENV":
            for word in shlex.split(args):
                k, _, v = word.partition("=")
                env[k] = v
    return env


def dockerignore_patterns():
    pats = []
    for line in open(os.path.join(ROOT, ".dockerignore")):
        line = line.strip()
        if line and not line.startswith("#"):
            neg = line.startswith("!")
            pat = line[1:] if neg else line
            rx = re.escape(pat.strip("/")).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
            pats.append((re.compile(rx.replace(r"\?", "[^/]") + "$"), neg))
    return pats


def in_context(rel, pats):
    """Docker's rule: the last pattern matching the path or a parent wins."""
    parts = rel.split("/")
    keep = True
    for rx, neg in pats:
        if any(rx.match("/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            keep = neg
    return keep


def context_files():
    pats = dockerignore_patterns()
    out = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d != ".git"]
        for f in files:
            rel = os.path.relpath(os.path.join(top, f), ROOT)
            if in_context(rel, pats):
                out.append(rel)
    return sorted(out)


def test_dockerfile_sources_are_in_the_build_context():
    files = context_files()
    assert "Makefile" in files and "services/catalogue.json" in files
    for secretish in (r"\.pem$", r"\.key$", r"^var/", r"^deploy/secrets/", r"^bin/"):
        assert not [f for f in files if re.search(secretish, f)], secretish
    stages = dockerfile_stages()
    names = {name for name, _ in stages}
    checked = 0
    for _, stage in stages:
        for instr, args in stage:
            flags, words = flags_and_words(args)
            if instr in ("COPY", "ADD"):
                srcs = words[:-1]
                if "from" in flags:
                    assert flags["from"][0] in names, args
                    continue
            elif instr == "RUN":
                srcs = [m.split("source=")[1].split(",")[0] for m in flags.get("mount", [])
                        if "type=bind" in m and "from=" not in m]
            else:
                continue
            for src in srcs:
                src = src.strip("/")
                ok = src in ("", ".") or any(f == src or f.startswith(src + "/") for f in files)
                assert ok, "%s %s: %s is not in the build context" % (instr, args, src)
                checked += 1
    assert checked >= 3


def test_dockerfile_runtime_stage_is_hardened():
    stages = dockerfile_stages()
    assert len(stages) == 2 and stages[0][0] == "build"
    runtime = stages[1][1]
    instrs = dict(runtime)
    base = re.search(r"(?m)^ARG DEBIAN_IMAGE=(\S+)$", open(DOCKERFILE).read()).group(1)
    assert base.startswith("debian:bookworm")
    assert stages[0][1][0][1].startswith("${DEBIAN_IMAGE}") and instrs["FROM"] == "${DEBIAN_IMAGE}"
    user = instrs["USER"].split(":")[0]
    assert user.isdigit() and int(user) != 0, "a numeric non-root USER"
    assert "/healthz" in instrs["HEALTHCHECK"]
    env = image_env(runtime)
    for key in ("HCPD_JWT_KEY_FILE", "HCPD_MASTER_KEY_FILE"):
        assert env[key].startswith("/run/secrets/"), key
    # the runtime stage installs deps.sh's runtime group, nothing else
    assert [a for i, a in runtime if i == "RUN" and "deps.sh runtime" in a]
    assert not [a for i, a in runtime if i == "RUN" and "apt-get install" in a]


@pytest.fixture(scope="module")
def image_tree(tmp_path_factory):
    """The build stage run on a copy of the build context: its RUN lines,
    with DESTDIR=/out pointed at a temporary directory. Returns the tree
    the runtime stage copies (the /out of the image build)."""
    top = tmp_path_factory.mktemp("image")
    os.chmod(top, 0o755)
    ctx, out = os.path.join(top, "src"), os.path.join(top, "out")
    for rel in context_files():
        os.makedirs(os.path.dirname(os.path.join(ctx, rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(ctx, rel))
    build = dockerfile_stages()[0][1]
    # a clean environment, as in `docker build` (no SANITIZE from make test)
    env = {"PATH": os.environ["PATH"], "HOME": str(top), "LC_ALL": "C.UTF-8"}
    runs = [a for i, a in build if i == "RUN"]
    assert any("DESTDIR=/out" in a for a in runs)
    for cmd in runs:
        r = run(["sh", "-c", cmd.replace("DESTDIR=/out", "DESTDIR=" + out)], cwd=ctx, env=env)
        assert r.returncode == 0, "build stage RUN %s:\n%s%s" % (cmd, r.stdout, r.stderr[-3000:])
    os.chmod(out, 0o755)
    return out


def test_image_runtime_packages_are_what_the_binary_links(image_tree):
    binary = os.path.join(image_tree, "usr/local/bin/hcpd")
    needed = re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", binary]).stdout)
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", run(["ldd", binary]).stdout, re.M))
    linked = set()
    for soname in needed:
        path = paths[soname]
        for p in (path, os.path.realpath(path), re.sub(r"^/usr", "", os.path.realpath(path))):
            r = run(["dpkg", "-S", p])
            if r.returncode == 0:
                linked.add(r.stdout.split(":")[0])
                break
        else:
            pytest.fail("no Debian package ships %s (%s)" % (soname, path))
    runtime = run([os.path.join(DEPLOY, "deps.sh"), "--print", "runtime"]).stdout.split()
    # libc6 is in every Debian image; the rest must be listed, and no more
    assert {p for p in runtime if p.startswith("lib")} == linked - {"libc6"}
    healthcheck = dict(dockerfile_stages()[1][1])["HEALTHCHECK"]
    assert "curl" in healthcheck and "curl" in runtime


def test_image_env_paths_exist_in_the_tree(image_tree):
    runtime = dict(dockerfile_stages()[1][1])
    env = image_env(dockerfile_stages()[1][1])
    entry = json.loads(runtime["ENTRYPOINT"])[0]
    assert os.access(image_tree + entry, os.X_OK), entry
    assert os.path.isdir(image_tree + runtime["WORKDIR"])
    assert os.path.isfile(image_tree + env["HCPD_CATALOGUE_FILE"])
    assert os.path.isdir(image_tree + env["HCPD_MIGRATIONS_DIR"])
    migrations = sorted(os.listdir(os.path.join(ROOT, "db/migrations")))
    assert sorted(os.listdir(image_tree + env["HCPD_MIGRATIONS_DIR"])) == migrations
    # the shipped verifier definitions, all of them, where the image says
    shipped = sorted(f for f in os.listdir(os.path.join(ROOT, "verifiers/registries"))
                     if f.endswith(".json"))
    assert shipped
    installed = image_tree + env["HCPD_REGISTRIES_DIR"]
    assert sorted(f for f in os.listdir(installed) if f.endswith(".json")) == shipped
    # and they load from the installed tree with the defaults (WORKDIR-relative)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HCPD_")}
    r = run([image_tree + entry, "verifier", "list"], cwd=image_tree + runtime["WORKDIR"],
            env=clean)
    assert r.returncode == 0, r.stderr
    # all but those off until their secrets are set (fr-annuaire-sante's key)
    keyed = []
    for f in shipped:
        with open(os.path.join(ROOT, "verifiers/registries", f)) as d:
            if json.load(d).get("transport", {}).get("off_without_secrets"):
                keyed.append(f)
    assert sorted(v["name"] + ".json" for v in json.loads(r.stdout)) == \
        [f for f in shipped if f not in keyed]
    assert all(f[:-5].upper().replace("-", "_") in r.stderr for f in keyed)


# Every mount of a private namespace read-only, then prove nothing is
# writable where a process could write by accident, then exec hcpd.
READ_ONLY_ROOT = r"""
awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r mp; do
	mount -o remount,bind,ro "$(printf '%b' "$mp")" 2>/dev/null || true
done
for d in "$PWD" /tmp / "$(dirname "$1")"; do
	if touch "$d/.hcpd-rw-probe" 2>/dev/null; then
		rm -f "$d/.hcpd-rw-probe"; echo "still writable: $d" >&2; exit 97
	fi
done
exec "$@"
"""


def test_image_serves_from_a_read_only_root(image_tree, pg, tmp_path):
    if os.geteuid() != 0 or run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("needs root and mount namespaces (unshare -m)")
    secrets = str(tmp_path / "secrets")
    r = run([SECRETS_SH, "compose", secrets])
    assert r.returncode == 0, r.stderr
    # Compose's service file, pointed at the test cluster's socket
    service = open(os.path.join(secrets, "pg_service.conf")).read()
    assert re.findall(r"(?m)^\[(\w+)\]$", service) == ["hcpd", "hcpd_keys"]
    socket_dir = re.search(r"host=(\S+)", pg.url).group(1)
    service = re.sub(r"(?m)^host=.*$", "host=" + socket_dir, service)
    service = re.sub(r"(?m)^user=.*$", "user=postgres", service)
    with open(os.path.join(secrets, "pg_service.conf"), "w") as f:
        f.write(service)
    runtime = dockerfile_stages()[1][1]
    env = {
        "HCPD_DATABASE_URL": "service=hcpd",
        "HCPD_KEYSTORE_URL": "service=hcpd_keys",
        "PGSERVICEFILE": os.path.join(secrets, "pg_service.conf"),
        "HCPD_JWT_KEY_FILE": os.path.join(secrets, "jwt-es256.pem"),
        "HCPD_MASTER_KEY_FILE": os.path.join(secrets, "master.key"),
    }
    h = Hcpd(pg, str(tmp_path), env)
    for k in ("HCPD_CATALOGUE_FILE", "HCPD_MIGRATIONS_DIR", "HCPD_REGISTRIES_DIR"):
        h.env.pop(k, None)  # the defaults, relative to WORKDIR (the image sets the same)
    h.argv = ["unshare", "-m", "--", "sh", "-c", READ_ONLY_ROOT, "sh",
              image_tree + json.loads(dict(runtime)["ENTRYPOINT"])[0]]
    h.cwd = image_tree + dict(runtime)["WORKDIR"]
    r = h.cli("migrate")
    assert r.returncode == 0, r.stderr
    h.start()
    try:
        reply = h.api.register(registration("readonly-root@example.org"))
        assert reply.status == 202, reply.body
        healthcheck = re.split(r"\s+CMD\s+", dict(runtime)["HEALTHCHECK"], maxsplit=1)[1]
        probe_env = {"PATH": os.environ["PATH"], "HCPD_LISTEN": "0.0.0.0:%d" % h.port}
        assert run(["sh", "-c", healthcheck], env=probe_env).returncode == 0
    finally:
        h.assert_clean_exit()
    assert run(["sh", "-c", healthcheck], env=probe_env).returncode != 0


# ------------------------------------------------------------------- Compose

def compose_cli():
    if shutil.which("docker") and run(["docker", "compose", "version"]).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_validates():
    cli = compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    r = run(cli + ["-f", COMPOSE, "config", "-q"])
    assert r.returncode == 0, r.stdout + r.stderr


def test_compose_validator_rejects_a_typo(tmp_path):
    cli = compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    bad = tmp_path / "compose.yaml"
    bad.write_text(open(COMPOSE).read().replace("read_only:", "read_onyl:"))
    assert run(cli + ["-f", str(bad), "config", "-q"]).returncode != 0


def test_compose_wiring(tmp_path):
    c = yaml.safe_load(open(COMPOSE))
    s = c["services"]
    assert {"db", "keys", "migrate", "api", "worker"} <= set(s)
    for db in ("db", "keys"):
        assert s[db]["image"].startswith("postgres:15")
        assert "healthcheck" in s[db]
        assert s[db]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    # the keystore apart: its own server and volume, backed up apart
    assert s["keys"]["environment"]["POSTGRES_DB"] == "hcpd_keys"
    assert s["keys"]["volumes"] != s["db"]["volumes"]
    assert s["migrate"]["command"] == ["migrate"] and s["migrate"]["restart"] == "no"
    assert s["api"]["command"] == ["serve"] and s["worker"]["command"] == ["worker"]
    for name in ("migrate", "api", "worker"):
        deps = s[name]["depends_on"]
        assert deps["db"]["condition"] == deps["keys"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        deps = s[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
    api_port = s["api"]["environment"]["HCPD_LISTEN"].rsplit(":", 1)[1]
    assert s["api"]["ports"] == ["127.0.0.1:8080:%s" % api_port]
    assert "/healthz" in " ".join(s["api"]["healthcheck"]["test"])
    assert ":%s/" % api_port in " ".join(s["api"]["healthcheck"]["test"])
    # secrets: files secrets.sh makes, mounted where the settings point
    made = tmp_path / "secrets"
    assert run([SECRETS_SH, "compose", str(made)]).returncode == 0
    files = {k: os.path.basename(v["file"]) for k, v in c["secrets"].items()}
    assert sorted(files.values()) == sorted(os.listdir(made))
    assert all(v["file"].startswith("./secrets/") for v in c["secrets"].values())
    for name in ("migrate", "api", "worker"):
        svc = s[name]
        assert svc["read_only"] is True and svc["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in svc["security_opt"], name
        assert any(t.startswith("/tmp") for t in svc["tmpfs"]), name
        mounted = {m["target"] for m in svc["secrets"]}
        env = svc["environment"]
        assert env["PGSERVICEFILE"] in mounted, name
        assert env["HCPD_DATABASE_URL"] == "service=hcpd"
        assert env["HCPD_KEYSTORE_URL"] == "service=hcpd_keys"
    for key in ("HCPD_JWT_KEY_FILE", "HCPD_MASTER_KEY_FILE"):
        assert s["api"]["environment"][key] in {m["target"] for m in s["api"]["secrets"]}
    assert s["worker"]["environment"]["HCPD_MASTER_KEY_FILE"] in \
        {m["target"] for m in s["worker"]["secrets"]}
    # the API runs no checks and sends no mail (so the scheduler is off
    # too); the worker does both, with the same settings otherwise
    api_env, worker_env = s["api"]["environment"], s["worker"]["environment"]
    assert api_env["HCPD_VERIFY_CONCURRENCY"] == "0"
    assert api_env["HCPD_SMTP_URL"] == ""
    assert worker_env.get("HCPD_VERIFY_CONCURRENCY", "32") not in ("0", "")
    assert worker_env["HCPD_SMTP_URL"] == "${HCPD_SMTP_URL:-}"
    differs = {k for k in set(api_env) | set(worker_env) if api_env.get(k) != worker_env.get(k)}
    assert differs == {"HCPD_VERIFY_CONCURRENCY", "HCPD_SMTP_URL"}
    assert run(["git", "-C", ROOT, "check-ignore", "-q", "deploy/secrets/x"]).returncode == 0


# ---------------------------------------------------------------- Kubernetes

def k8s_docs():
    docs = []
    for f in sorted(os.listdir(K8S)):
        if f.endswith(".yaml") and f != "kustomization.yaml":
            for i, d in enumerate(yaml.safe_load_all(open(os.path.join(K8S, f)))):
                if d is not None:
                    docs.append({"source": "deploy/k8s/%s#%d" % (f, i), "doc": d})
    return docs


def k8s_validate(docs, tmp_path):
    r = run([os.path.join(ROOT, "tests", "npm-ci")])
    assert r.returncode == 0, r.stderr
    path = tmp_path / "docs.json"
    path.write_text(json.dumps(docs))
    return run(["node", os.path.join(ROOT, "tests", "k8s-validate.mjs"), str(path)])


def test_yaml_lint():
    r = run(["yamllint", "-s", "-f", "parsable", "-d",
             "{extends: default, rules: {line-length: {max: 100}, document-start: disable}}",
             DEPLOY])
    assert r.returncode == 0, r.stdout + r.stderr


def test_k8s_manifests_match_the_schemas(tmp_path):
    docs = k8s_docs()
    r = k8s_validate(docs, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "%d objects, 0 problems" % len(docs) in r.stdout


def test_k8s_validator_rejects_bad_manifests(tmp_path):
    """The negative control: each mistake is reported against its object."""
    docs = {d["doc"]["kind"]: d for d in reversed(k8s_docs())}
    bad = []

    def mutate(kind, label, change):
        d = copy.deepcopy(docs[kind])
        d["source"] = label
        change(d["doc"])
        bad.append(d)

    mutate("Deployment", "typo", lambda d: d["spec"]["template"]["spec"]["containers"][0]
           .__setitem__("readinesProbe", {}))
    mutate("Deployment", "type", lambda d: d["spec"].__setitem__("replicas", "two"))
    mutate("Cluster", "cnpg-typo", lambda d: d["spec"].__setitem__("instancez", 3))
    mutate("Cluster", "cnpg-enum", lambda d: d["spec"]["postgresql"]["synchronous"]
           .__setitem__("method", "sometimes"))
    mutate("HorizontalPodAutoscaler", "hpa-required", lambda d: d["spec"].pop("maxReplicas"))
    bad.append({"source": "unknown-kind", "doc": {"apiVersion": "example.org/v1", "kind": "X"}})
    r = k8s_validate(bad, tmp_path)
    assert r.returncode == 1
    for d in bad:
        assert re.search(r"(?m)^%s: " % re.escape(d["source"]), r.stdout), d["source"] + r.stdout


def test_kustomization_lists_every_manifest():
    k = yaml.safe_load(open(os.path.join(K8S, "kustomization.yaml")))
    files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml") and f != "kustomization.yaml")
    assert sorted(k["resources"]) == files
    assert [i["name"] for i in k["images"]] == ["hcpd"]
    if shutil.which("kubectl"):  # not in Debian's bookworm; used when present
        r = run(["kubectl", "kustomize", K8S])
        assert r.returncode == 0, r.stderr
        assert len([d for d in yaml.safe_load_all(r.stdout) if d]) == len(k8s_docs())


def quantity(q):
    """Kubernetes quantity -> float (CPUs, or bytes)."""
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in sorted(units.items(), key=lambda x: -len(x[0])):
        if q.endswith(u):
            return float(q[:-len(u)]) * f
    return float(q)


def objects():
    out = {}
    for d in k8s_docs():
        doc = d["doc"]
        out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def container_env(c, config):
    env = dict(config)
    env.update({e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env", [])})
    return env


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def test_k8s_wiring_and_security():
    o = objects()
    config = o[("ConfigMap", "hcpd-config")]["data"]
    clusters = {n: d for (k, n), d in o.items() if k == "Cluster"}
    assert set(clusters) == {"hcpd-db", "hcpd-keystore"}
    cluster, cname = clusters["hcpd-db"], "hcpd-db"
    dockerfile_user = int(dict(dockerfile_stages()[1][1])["USER"].split(":")[0])
    assert not [k for k in o if k[0] == "Secret"], "secrets are referenced, never defined"
    pods = {}
    for kind, name in o:
        if kind in ("Deployment", "Job"):
            pods[name] = o[(kind, name)]["spec"]["template"]
    assert set(pods) == {"hcpd-api", "hcpd-worker", "hcpd-migrate"}
    args = {n: p["spec"]["containers"][0]["args"] for n, p in pods.items()}
    assert args == {"hcpd-api": ["serve"], "hcpd-worker": ["worker"], "hcpd-migrate": ["migrate"]}
    # the database: through the operator's read-write service, its secrets
    url = dict(kv.split("=", 1) for kv in config["HCPD_DATABASE_URL"].split())
    assert url["host"] == cname + "-rw"
    assert url["dbname"] == cluster["spec"]["bootstrap"]["initdb"]["database"]
    assert url["user"] == cluster["spec"]["bootstrap"]["initdb"]["owner"]
    assert url["sslmode"] == "verify-full"
    # the keystore: a cluster of its own (backed up apart), the same owner
    # and password (PGPASSWORD), its own CA
    keystore = clusters["hcpd-keystore"]["spec"]
    keys_url = dict(kv.split("=", 1) for kv in config["HCPD_KEYSTORE_URL"].split())
    assert keys_url["host"] == "hcpd-keystore-rw"
    assert keys_url["dbname"] == keystore["bootstrap"]["initdb"]["database"]
    assert keys_url["user"] == keystore["bootstrap"]["initdb"]["owner"] == url["user"]
    assert keystore["bootstrap"]["initdb"]["secret"]["name"] == cname + "-app"
    assert keys_url["sslmode"] == "verify-full"
    for name, pod in pods.items():
        spec = pod["spec"]
        assert spec["automountServiceAccountToken"] is False, name
        sc = spec["securityContext"]
        assert sc["runAsNonRoot"] and sc["runAsUser"] == dockerfile_user, name
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in spec["containers"]:
            csc = c["securityContext"]
            assert csc["readOnlyRootFilesystem"] and not csc["allowPrivilegeEscalation"], name
            assert csc["capabilities"]["drop"] == ["ALL"], name
            assert c["image"] == "hcpd", name
            env = container_env(c, config)
            assert env["PGPASSWORD"]["secretKeyRef"]["name"] == cname + "-app", name
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            vols = {v["name"]: v for v in spec["volumes"]}
            for u, cluster_name in ((url, cname), (keys_url, "hcpd-keystore")):
                ca_dir = os.path.dirname(u["sslrootcert"])
                assert vols[mounts[ca_dir]]["secret"]["secretName"] == cluster_name + "-ca", name
            for key in ("HCPD_JWT_KEY_FILE", "HCPD_MASTER_KEY_FILE"):
                if key in env:
                    vol = vols[mounts[os.path.dirname(env[key])]]["secret"]
                    assert vol["secretName"] == "hcpd-keys", name
                    items = [i["path"] for i in vol.get("items", [])]
                    assert not items or os.path.basename(env[key]) in items, name
    # the metrics listener: its own port in every serving pod, announced to
    # Prometheus, never the Service's or the Ingress's
    metrics_port = int(config["HCPD_METRICS_LISTEN"].rsplit(":", 1)[1])
    for name in ("hcpd-api", "hcpd-worker"):
        pod = pods[name]
        c = pod["spec"]["containers"][0]
        assert {"name": "metrics", "containerPort": metrics_port, "protocol": "TCP"} in c["ports"]
        notes = pod["metadata"]["annotations"]
        assert notes["prometheus.io/scrape"] == "true", name
        assert notes["prometheus.io/port"] == str(metrics_port), name
        assert notes["prometheus.io/path"] == "/metrics", name
    assert pods["hcpd-worker"]["spec"]["containers"][0]["livenessProbe"]["httpGet"] == \
        {"path": "/healthz", "port": "metrics"}
    assert [p["targetPort"] for p in o[("Service", "hcpd-api")]["spec"]["ports"]] == ["http"]
    # the API: probes on its port, Service, HPA, PDBs
    api = pods["hcpd-api"]
    c = api["spec"]["containers"][0]
    env = container_env(c, config)
    port = c["ports"][0]
    assert port["name"] == "http" and port["containerPort"] == int(env["HCPD_LISTEN"].split(":")[1])
    # the forwarded client is believed from private addresses only (the
    # ingress controller's pods: the network policy lets nothing else in)
    trusted = [c.strip() for c in env["HCPD_TRUSTED_PROXIES"].split(",")]
    assert trusted and all(ipaddress.ip_network(c).is_private for c in trusted), trusted
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    svc = o[("Service", "hcpd-api")]
    assert selects(svc["spec"]["selector"], api["metadata"]["labels"])
    hpa = o[("HorizontalPodAutoscaler", "hcpd-api")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "hcpd-api"
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    for name in ("hcpd-api", "hcpd-worker"):
        pdb = o[("PodDisruptionBudget", name)]["spec"]
        assert selects(pdb["selector"]["matchLabels"], pods[name]["metadata"]["labels"])
    # the split: API pods run no checks (so no scheduler) and send no mail;
    # workers keep the runner's default and the configured relay
    wenv = container_env(pods["hcpd-worker"]["spec"]["containers"][0], config)
    assert env["HCPD_VERIFY_CONCURRENCY"] == "0"
    assert env["HCPD_SMTP_URL"] == ""
    assert wenv.get("HCPD_VERIFY_CONCURRENCY", "32") not in ("0", "")
    assert wenv["HCPD_SMTP_URL"].startswith(("smtp://", "smtps://"))
    smtp_port = int(wenv["HCPD_SMTP_URL"].rsplit(":", 1)[1])
    # registry credentials: one optional Secret, for every process that
    # loads the definitions (API and workers)
    for name in ("hcpd-api", "hcpd-worker"):
        refs = [e["secretRef"] for e in pods[name]["spec"]["containers"][0]["envFrom"]
                if "secretRef" in e]
        assert refs == [{"name": "hcpd-registry-credentials", "optional": True}], name
    # links in mail go to the public host the Ingress serves
    ingress_host = o[("Ingress", "hcpd")]["spec"]["rules"][0]["host"]
    assert config["HCPD_PUBLIC_URL"] == "https://" + ingress_host
    # network: a default deny plus one policy per pod kind; API ingress on its port only
    policies = [d for (k, _), d in o.items() if k == "NetworkPolicy"]
    internet = {}
    for name, pod in pods.items():
        mine = [p for p in policies if selects(p["spec"]["podSelector"]["matchLabels"],
                                               pod["metadata"]["labels"])]
        assert len(mine) == 2, name
        assert all(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in mine), name
        egress = [r for p in mine for r in p["spec"].get("egress", [])]
        db = [r for r in egress if any(t.get("podSelector", {}).get("matchLabels") ==
                                       {"cnpg.io/cluster": cname} for t in r["to"])]
        assert db and db[0]["ports"] == [{"port": 5432, "protocol": "TCP"}], name
        dns = [r for r in egress if all(t.get("podSelector", {}).get("matchLabels") ==
                                        {"k8s-app": "kube-dns"} for t in r["to"])]
        assert dns and {p["port"] for r in dns for p in r["ports"]} == {53}, name
        others = [r for r in egress if r not in db and r not in dns]
        # anything else goes to public addresses only: never the pod network,
        # private ranges or the cloud metadata address
        for r in others:
            for t in r["to"]:
                assert t["ipBlock"]["cidr"] == "0.0.0.0/0", name
                for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                "169.254.0.0/16"):
                    assert private in t["ipBlock"]["except"], (name, private)
        internet[name] = {p["port"] for r in others for p in r["ports"]}
        ingress = [r for p in mine for r in p["spec"].get("ingress", [])]
        opened = {(p["port"], f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
                  for r in ingress for p in r["ports"] for f in r["from"]}
        # every rule names who may come in: the API's port is the ingress
        # controller's alone (its X-Forwarded-For is believed), the metrics
        # port the monitoring namespace's (and never published)
        assert all(r.get("from") for r in ingress), name
        if name == "hcpd-api":
            assert opened == {(port["containerPort"], "ingress-nginx"),
                              (metrics_port, "monitoring")}, opened
        elif name == "hcpd-worker":
            assert opened == {(metrics_port, "monitoring")}, opened
        else:
            assert ingress == [], name
    # registries (443) and the relay from workers only; API and migration:
    # PostgreSQL and DNS and nothing else
    assert internet == {"hcpd-api": set(), "hcpd-migrate": set(),
                        "hcpd-worker": {443, 587, 465}}
    assert smtp_port in internet["hcpd-worker"]
    # CloudNativePG: three instances, one synchronous standby, PostgreSQL 15
    for c in clusters.values():
        assert c["spec"]["instances"] == 3
        sync = c["spec"]["postgresql"].get("synchronous")
        if sync:
            assert sync["number"] >= 1 and sync["dataDurability"] == "required"
        else:
            assert c["spec"]["minSyncReplicas"] >= 1
        assert c["spec"]["imageName"].endswith(":15")


def test_k8s_sizing_follows_scaling_md():
    """The arithmetic of deploy/SCALING.md, on the manifests' numbers."""
    o = objects()
    config = o[("ConfigMap", "hcpd-config")]["data"]
    api = o[("Deployment", "hcpd-api")]["spec"]["template"]["spec"]["containers"][0]
    env = container_env(api, config)
    res = api["resources"]
    threads = int(env["HCPD_HASH_THREADS"])
    # one hash thread per CPU the pod may use, and a guaranteed CPU for each
    assert threads == quantity(res["limits"]["cpu"]) == quantity(res["requests"]["cpu"])
    # memory: idle bar + argon2 per hash thread + buffers of 256 busy connections
    peak = IDLE_RSS_BAR + threads * ARGON2_KIB * 1024 + 256 * CONN_BUFFER
    assert quantity(res["limits"]["memory"]) >= peak
    assert quantity(res["limits"]["memory"]) <= 2 * peak, "sized, not guessed high"
    # connections: every pod's pool at the autoscaler's maximum fits the server
    hpa = o[("HorizontalPodAutoscaler", "hcpd-api")]["spec"]
    worker = o[("Deployment", "hcpd-worker")]["spec"]
    wenv = container_env(worker["template"]["spec"]["containers"][0], config)
    conns = (hpa["maxReplicas"] * int(env["HCPD_DB_POOL_SIZE"]) +
             worker["replicas"] * int(wenv["HCPD_DB_POOL_SIZE"]) + 1)
    cluster = o[("Cluster", "hcpd-db")]
    max_conn = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    assert conns <= max_conn - 20, "room for the operator, superusers and admin sessions"
    assert int(env["HCPD_DB_POOL_SIZE"]) >= threads + 2


# ------------------------------------------------------------------- systemd

def test_systemd_unit_verifies(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    unit = open(UNIT).read()
    assert re.search(r"(?m)^ExecStart=/usr/local/bin/hcpd serve$", unit)
    assert re.search(r"(?m)^WorkingDirectory=/usr/local/share/hcpd$", unit)
    # verify checks that the executable exists: point it at the built one
    path = tmp_path / "hcpd.service"
    path.write_text(unit.replace("/usr/local/bin/hcpd", os.path.abspath(HCPD_BIN)))
    r = run(["systemd-analyze", "verify", str(path)])
    assert r.returncode == 0 and (r.stdout + r.stderr).strip() == "", r.stdout + r.stderr
    r = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", "--threshold=15",
             str(path)])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    for key in ("NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes",
                "SystemCallFilter=@system-service"):
        assert key in unit


def test_systemd_unit_paths_are_what_make_install_makes(image_tree):
    """The unit's binary, working directory and defaults in the tree that
    `make install` (prefix=/usr/local, as in the image) produces."""
    unit = open(UNIT).read()
    for m in re.finditer(r"(?m)^(?:ExecStart|ExecStartPre)=(\S+)", unit):
        assert os.access(image_tree + m.group(1), os.X_OK), m.group(0)
    wd = re.search(r"(?m)^WorkingDirectory=(\S+)", unit).group(1)
    assert os.path.isfile(os.path.join(image_tree + wd, "services/catalogue.json"))
    assert os.path.isdir(os.path.join(image_tree + wd, "db/migrations"))


def test_secrets_sh_never_overwrites(tmp_path):
    key = tmp_path / "master.key"
    r = run([SECRETS_SH, "master", str(key)])
    assert r.returncode == 0 and r.stdout.startswith("generated ")
    first = key.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", first)
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    r = run([SECRETS_SH, "master", str(key)])
    assert r.returncode == 0 and r.stdout == "" and key.read_text() == first
