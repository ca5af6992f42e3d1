"""The layout explains itself (README.md, "Layout"): the layers include
one way only, the Makefile's include paths refuse a wrong-way include, and
the route table follows openapi.yaml's order as routes.c says."""

import os
import re
import subprocess

from conftest import ROOT

LAYERS = ["services/base", "db", "verifiers", "services"]  # bottom to top
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)


def layer(path):
    for name in LAYERS:
        if path.startswith(name + "/"):
            return name
    return None


def sources():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "services", "db",
                          "verifiers"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [p for p in out.stdout.split() if p.endswith((".c", ".h"))]


def test_includes_go_down_only():
    files = sources()
    where = {}
    for p in files:
        if p.endswith(".h"):
            where.setdefault(os.path.basename(p), p)
    wrong = []
    counts = {}
    for p in files:
        with open(os.path.join(ROOT, p)) as f:
            text = f.read()
        for h in INCLUDE.findall(text):
            target = where.get(os.path.basename(h))
            assert target is not None, "%s includes %s, which is not ours" % (p, h)
            a, b = layer(p), layer(target)
            counts[(a, b)] = counts.get((a, b), 0) + 1
            if LAYERS.index(b) > LAYERS.index(a):
                wrong.append("%s -> %s" % (p, target))
    assert wrong == []
    # every layer above the base is used by the layer on top
    assert counts.get(("services", "db"), 0) > 0 and counts.get(("verifiers", "db"), 0) > 0


def make_var(name):
    out = subprocess.run(["make", "--no-print-directory", "-s", "print-" + name], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def compiles(tmp_path, flags, header):
    probe = tmp_path / "probe.c"
    probe.write_text('#include "%s"\n' % header)
    cflags = subprocess.run(["pkg-config", "--cflags", "libmicrohttpd", "libpq", "jansson",
                             "libcurl", "openssl"], capture_output=True, text=True,
                            check=True).stdout.split()
    r = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-fsyntax-only", *flags, *cflags,
                        str(probe)], cwd=ROOT, capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def test_makefile_refuses_wrong_way_includes(tmp_path):
    cases = [("INC_BASE", "accounts.h"), ("INC_BASE", "verifier.h"), ("INC_DB", "verifier.h"),
             ("INC_DB", "http.h"), ("INC_VERIFIERS", "http.h"), ("INC_VERIFIERS", "app.h")]
    for var, header in cases:
        ok, err = compiles(tmp_path, make_var(var), header)
        assert not ok and "No such file" in err, (var, header)
    # the right way compiles (a negative control for the probe itself)
    for var, header in [("INC_BASE", "err.h"), ("INC_DB", "accounts.h"),
                        ("INC_VERIFIERS", "verifier.h"), ("INC_ALL", "http.h")]:
        ok, err = compiles(tmp_path, make_var(var), header)
        assert ok, (var, header, err)


def test_route_table_follows_openapi():
    with open(os.path.join(ROOT, "openapi.yaml")) as f:
        paths = [line.strip().rstrip(":") for line in f if re.match(r"^  /", line)]
    with open(os.path.join(ROOT, "services", "routes.c")) as f:
        routes = re.findall(r'\{"[A-Z]+", "([^"]+)"', f.read())
    seen = []
    for p in routes:
        if p not in seen:
            seen.append(p)
    assert seen == paths


def test_every_folder_says_what_it_owns():
    for d in ["services", "services/base", "db", "verifiers"]:
        assert os.path.exists(os.path.join(ROOT, d, "README.md")), d
