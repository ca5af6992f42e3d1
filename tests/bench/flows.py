"""The bench's phases for the flows issue 23 item 4 asks to measure as they
land: password-reset requests, webhook deliveries, licence-document
uploads and roster loads (run.py's Bench takes them as a mixin). Each is measured against
a baseline of its own in the same run."""

import base64
import http.client
import http.server
import json
import os
import statistics
import subprocess
import threading
import time

from conftest import HCPD_BIN, ROOT, Hcpd  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def strip(r):
    """A wrk result without its functions (for the JSON file)."""
    return {k: v for k, v in r.items() if not callable(v)}


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver on a free loopback port: 204 to every POST, and
    a count of them (nothing checked: test_webhooks.py checks signatures)."""
    daemon_threads = True

    def __init__(self):
        self.received = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.received += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class Flows:
    def reset(self):
        """POST /v1/password-resets for addresses with an account and for
        addresses without one. Rates: wrk, one run each. Time: requests
        interleaved one by one on one connection (known, unknown, known
        ...: drift weighs on both alike), the two medians compared. The
        reply must not tell them apart: every reply 202, medians within
        10%."""
        known = self.register_accounts("reset", 32)
        unknown = ["nobody-%s-%d@bench.example.org" % (self.tag, i) for i in range(32)]
        runs = {}
        for what, emails in (("known", known), ("unknown", unknown)):
            runs[what] = self.wrk("reset.lua", 16, self.secs(5),
                                  [self.write_lines("reset-%s.txt" % what, emails)])
        times = {"known": [], "unknown": []}
        conn = http.client.HTTPConnection("127.0.0.1", self.h.port, timeout=10)
        statuses = set()
        for i in range(300 if self.quick else 2000):
            for what, emails in (("known", known), ("unknown", unknown)):
                body = json.dumps({"email": emails[i % len(emails)]})
                t0 = time.perf_counter()
                conn.request("POST", "/v1/password-resets", body,
                             {"Content-Type": "application/json"})
                reply = conn.getresponse()
                reply.read()
                times[what].append((time.perf_counter() - t0) * 1e3)
                statuses.add(reply.status)
        conn.close()
        p50 = {w: statistics.median(t) for w, t in times.items()}
        rate = {w: r["rate"](202) for w, r in runs.items()}
        others = sum(n for r in runs.values() for s, n in r["statuses"].items() if s != 202)
        self.facts["reset"] = {"wrk": {w: strip(r) for w, r in runs.items()},
                               "median_ms": p50, "statuses": sorted(statuses)}
        self.row("password-reset requests/s, known addresses", rate["known"], "/s",
                 rate["unknown"], "the same for unknown addresses (wrk, 16 connections)",
                 rate["known"] / rate["unknown"], "(report)")
        ratio = p50["known"] / p50["unknown"]
        self.row("password-reset median time, known/unknown", p50["known"], "ms",
                 p50["unknown"], "unknown addresses' median (ms), interleaved", ratio,
                 "0.9x-1.1x, every reply 202",
                 0.9 <= ratio <= 1.1 and statuses == {202} and others == 0)

    def webhooks(self):
        """Deliveries a second from a second hcpd that sends the events of
        HCPD_WEBHOOKS_FILE to a local receiver: rows queued in the
        database while it is stopped, then timed from its start until the
        last is delivered. Baseline: the receiver itself, driven by wrk on
        one connection (one delivery at a time, as hcpd sends them)."""
        n = 500 if self.quick else 3000
        rx = Receiver()
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        with open(os.path.join(self.work, "bench.secret"), "w") as f:
            f.write(secret + "\n")
        hooks = self.write_lines("webhooks.json", [json.dumps({"endpoints": [{
            "name": "bench", "url": "http://127.0.0.1:%d/hooks" % rx.port,
            "events": ["account.verified"], "secret_file": "bench.secret"}]})])
        h = Hcpd(self.pg, self.work, self.env(HCPD_WEBHOOKS_FILE=hooks))
        try:
            h.start()  # stores the endpoint
            deadline = time.time() + 10
            while self.pg.psql("SELECT count(*) FROM webhook_endpoints "
                               "WHERE name = 'bench'") != "1" and time.time() < deadline:
                time.sleep(0.1)
            h.stop()
            self.register_accounts("hooks", 64)
            # n events spread over 64 accounts (in order per account)
            self.pg.psql(
                "INSERT INTO webhook_deliveries (endpoint, account_id, type, status) "
                "SELECT 'bench', a.id, 'account.verified', 'verified' FROM "
                "generate_series(0, %d) g JOIN (SELECT id, row_number() OVER () - 1 AS k "
                "FROM (SELECT id FROM accounts WHERE role = 'professional' "
                "ORDER BY created_at DESC LIMIT 64) n) a ON a.k = g %% 64" % (n - 1))
            t0 = time.time()
            h.start()
            deadline = t0 + 300
            while time.time() < deadline and self.pg.psql(
                    "SELECT count(*) FROM webhook_deliveries WHERE endpoint = 'bench' "
                    "AND delivered_at IS NULL") != "0":
                time.sleep(0.05)
            took = time.time() - t0
            attempts = self.pg.psql("SELECT count(*) || ' attempts, ' || round(avg(duration_ms), 2)"
                                    " || ' ms mean, ' || max(duration_ms) || ' ms max' "
                                    "FROM webhook_attempts")
            if rx.received < n:
                raise RuntimeError("%d of %d delivered" % (rx.received, n))
            h.stop()
            body = self.write_lines("hook-body.json", [json.dumps({
                "type": "account.verified", "timestamp": "2026-12-07T00:00:00Z",
                "data": {"account_id": "00000000-0000-4000-8000-000000000000",
                         "status": "verified", "reasons": []}})])
            base = self.wrk("post.lua", 1, self.secs(5), ["/hooks", body], threads=1,
                            url="http://127.0.0.1:%d" % rx.port)
        finally:
            if h.proc is not None and h.proc.poll() is None:
                h.stop()
            rx.close()
        rate, base_rate = n / took, base["rate"](204)
        self.facts["webhooks"] = {"deliveries": n, "seconds": took, "attempts": attempts,
                                  "receiver": strip(base)}
        self.row("webhook deliveries/s (local receiver)", rate, "/s", base_rate,
                 "the receiver alone, wrk on 1 connection", rate / base_rate, "(report)")

    def documents(self):
        """tests/perf/document_upload.py: 10 MiB uploads one and four at
        once, against its own hcpd; the bar is the peak resident memory a
        concurrent upload adds (<= 2 x the cap)."""
        out = subprocess.run(
            ["/usr/bin/python3", os.path.join(ROOT, "tests", "perf", "document_upload.py"),
             "--concurrency", "1,4", "--rounds", "2" if self.quick else "4"],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, HCPD_BIN=HCPD_BIN))
        if out.returncode != 0:
            raise RuntimeError("document_upload: " + out.stderr[-500:])
        r = json.loads(out.stdout)["results"]
        self.facts["documents"] = r
        one, four = r[0], r[-1]
        self.row("document uploads, 10 MiB, %d at once" % four["concurrency"],
                 four["mib_per_s"], "MiB/s", one["mib_per_s"], "one at a time (MiB/s)",
                 four["mib_per_s"] / one["mib_per_s"], "(report)")
        self.row("document upload: peak RSS per concurrent upload",
                 four["peak_rss_growth_per_upload_mib"], "MiB", four["bar_per_upload_mib"],
                 "2 x the 10 MiB cap", four["peak_rss_growth_per_upload_mib"] /
                 four["bar_per_upload_mib"], "<= 20 MiB",
                 all(x["within_bar"] for x in r))

    def roster(self):
        """tests/perf/roster_load.py: `hcpd roster load` of an RPPS-shaped
        extract (1,000,000 lines; 100,000 --quick) against `psql \\copy` of
        the same rows, each on its own PostgreSQL (issue 22 item 3)."""
        rows = 100000 if self.quick else 1000000
        out = subprocess.run(
            ["/usr/bin/python3", os.path.join(ROOT, "tests", "perf", "roster_load.py"),
             "--rows", str(rows)],
            capture_output=True, text=True, timeout=900, env=dict(os.environ, HCPD_BIN=HCPD_BIN))
        if out.returncode != 0:
            raise RuntimeError("roster_load: " + out.stderr[-500:])
        r = json.loads(out.stdout)
        self.facts["roster"] = r
        self.row("hcpd roster load, %d lines" % rows, r["hcpd_roster_load_s"], "s",
                 r["psql_copy_s"], "psql \\copy of the same rows (s)", r["ratio"], "<= 2x",
                 r["ratio"] <= 2)
