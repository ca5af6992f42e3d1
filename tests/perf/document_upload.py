#!/usr/bin/python3
"""Licence-document uploads of the cap's size (10 MiB), one at a time and
several at once (a measuring tool, not a test; issue 23).

Starts a private PostgreSQL and `hcpd serve`, signs in professionals, then
for each concurrency C uploads C documents at once, ROUNDS times, each
client its own account (an account holds 10), and reads the server's peak
resident memory: VmHWM is reset (/proc/PID/clear_refs, 5) just before each
round, so each round's peak is measured from the RSS it started at. Also
times downloads of the same documents. Prints one JSON object: per
concurrency the upload rate (MiB/s and uploads/s, all clients together),
the median and worst latency, and the peak RSS growth per concurrent
upload in MiB next to the bar (<= 2 x the cap).

    HCPD_BIN=bin/hcpd tests/perf/document_upload.py [--concurrency 1,2,4,8] [--rounds 5]
"""

import argparse
import concurrent.futures
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from conftest import Hcpd, Postgres, migrate  # noqa: E402
from privacy_helpers import Pro, bearer  # noqa: E402

MIB = 1024 * 1024
CAP = 10 * MIB


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def reset_peak(pid):
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")


def document(size):
    head = b"%PDF-1.7\n"
    return head + os.urandom(size - len(head))


def timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", default="1,2,4,8")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--size", type=int, default=CAP)
    a = ap.parse_args()
    levels = [int(c) for c in a.concurrency.split(",")]

    work = tempfile.mkdtemp(prefix="hcpd-upload-bench-")
    pg = Postgres()
    h = Hcpd(pg, work, {"HCPD_LOG_LEVEL": "warn"})
    try:
        migrate(h)
        h.start()
        pid = h.proc.pid
        data = document(a.size)
        pros = [Pro(h.api) for _ in range(max(levels))]
        uploaded = {p.id: [] for p in pros}

        def up(pro):
            r = h.api.request("POST", "/v1/me/documents", raw=data, check=False,
                              headers=dict(bearer(pro.access), **{"Content-Type":
                                                                  "application/pdf"}))
            assert r.status == 201, (r.status, r.body[:200])
            uploaded[pro.id].append(r.json["id"])

        def down(pro, doc_id):
            r = h.api.request("GET", "/v1/me/documents/" + doc_id, headers=bearer(pro.access),
                              check=False)
            assert r.status == 200 and len(r.body) == a.size

        def clear(pro):
            for doc_id in uploaded[pro.id]:
                h.api.request("DELETE", "/v1/me/documents/" + doc_id, check=False,
                              headers=bearer(pro.access))
            uploaded[pro.id] = []

        up(pros[0])  # warm-up: connections, thread stacks
        clear(pros[0])
        results = []
        for c in levels:
            clients = pros[:c]
            peaks, lat, downs, wall = [], [], [], 0.0
            with concurrent.futures.ThreadPoolExecutor(c) as ex:
                for _ in range(a.rounds):
                    base = status_kib(pid, "VmRSS")
                    reset_peak(pid)
                    t0 = time.perf_counter()
                    lat += list(ex.map(lambda p: timed(up, p), clients))
                    wall += time.perf_counter() - t0
                    peaks.append(status_kib(pid, "VmHWM") - base)
                    downs += list(ex.map(lambda p: timed(down, p, uploaded[p.id][-1]), clients))
                    for p in clients:
                        clear(p)
            n = c * a.rounds
            worst_per_upload = max(peaks) / 1024 / c
            results.append({
                "concurrency": c, "uploads": n,
                "mib_per_s": round(n * a.size / MIB / wall, 1),
                "uploads_per_s": round(n / wall, 2),
                "latency_median_s": round(statistics.median(lat), 3),
                "latency_max_s": round(max(lat), 3),
                "download_median_s": round(statistics.median(downs), 3),
                "peak_rss_growth_mib": round(max(peaks) / 1024, 1),
                "peak_rss_growth_per_upload_mib": round(worst_per_upload, 2),
                "bar_per_upload_mib": 2 * CAP / MIB,
                "within_bar": worst_per_upload <= 2 * CAP / MIB,
            })
        print(json.dumps({"size_bytes": a.size, "rounds": a.rounds, "results": results},
                         indent=1))
    finally:
        if h.proc is not None and h.proc.poll() is None:
            h.stop()
        pg.destroy()


if __name__ == "__main__":
    main()
