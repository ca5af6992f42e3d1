"""A local stand-in for a licensure registry: serves recorded replies and
misbehaves on demand, and remembers every request it got.

Replies are chosen by a key taken from the request (NPPES: the `number`
query parameter); each reply is a dict:
    {"status": 200, "headers": {...}, "body": <dict/list: sent as JSON |
     str: sent as it is>, "fault": None | "stall" | "drip" | "truncate" |
     "huge" | "reset", "delay": seconds}
A list of replies is served in turn (the last one repeats), so a test can
script "429, then 200". `latency` delays every reply; `times` keeps the
time of each request for rate measurements (`burst_needed()`).
`limit=(rate, burst)` makes it a rate-limited registry: a token bucket of
its own answers 429 (counted in `limited`) to any request above the limit.
"""

import json
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    # the default backlog of 5 overflows when 16 checks connect at once
    # (two workers of 8): Linux then drops the handshake, the connect waits
    # for a retransmission a second later and an attempt times out
    request_queue_size = 128


class RegistryStub:
    def __init__(self, key="number", latency=0.0, limit=None):
        self.key = key
        self.latency = latency
        self.limit = limit
        self.tokens = limit[1] if limit else 0
        self.refilled = time.monotonic()
        self.limited = 0
        self.replies = {}
        self.default = {"status": 200, "body": {"result_count": 0, "results": []}}
        self.requests = []
        self.times = []
        self.lock = threading.Lock()
        self.served = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                stub._handle(self)

            def do_POST(self):
                stub._handle(self)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/api/" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def set(self, key, reply):
        with self.lock:
            self.replies[key] = reply if isinstance(reply, list) else [reply]
            self.served[key] = 0

    def count(self, key=None):
        with self.lock:
            if key is None:
                return len(self.requests)
            return sum(1 for r in self.requests if r["key"] == key)

    def burst_needed(self, rate):
        """The least capacity of a token bucket refilled at rate a second,
        full at the first request, that would have refused none of the
        requests so far (as this stub saw them arrive): the most, over
        every run of requests i..j, of their count less what the bucket
        earns from t_i to t_j. At most a definition's burst when every
        request left on time."""
        with self.lock:
            times = sorted(self.times)
        need, best = 0.0, float("-inf")
        for j, t in enumerate(times):
            best = max(best, rate * t - j)  # the best start i <= j so far
            need = max(need, (j - rate * t) + best + 1)
        return need

    def _next(self, key):
        with self.lock:
            replies = self.replies.get(key)
            if not replies:
                return self.default
            i = self.served[key]
            self.served[key] = i + 1
            return replies[min(i, len(replies) - 1)]

    def _handle(self, h):
        url = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(url.query)
        key = query.get(self.key, [None])[0]
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            now = time.monotonic()
            self.requests.append({"method": h.command, "path": h.path, "query": query,
                                  "headers": dict(h.headers), "body": body, "key": key})
            self.times.append(now)
            over = False
            if self.limit:
                rate, burst = self.limit
                self.tokens = min(burst, self.tokens + (now - self.refilled) * rate)
                self.refilled = now
                over = self.tokens < 1
                self.tokens -= 0 if over else 1
                self.limited += over
        reply = {"status": 429, "headers": {"Retry-After": "1"}, "body": ""} if over \
            else self._next(key)
        if self.latency:
            time.sleep(self.latency)
        if reply.get("delay"):
            time.sleep(reply["delay"])
        fault = reply.get("fault")
        payload = reply.get("body", "")
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        if fault == "reset":
            # RST instead of a reply
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return
        if fault == "stall":
            time.sleep(30)
            return
        if fault == "huge":
            data = b'{"result_count": 1, "results": [' + b" " * (10 * 1024 * 1024) + b"]}"
        h.send_response(reply.get("status", 200))
        h.send_header("Content-Type", "application/json")
        for k, v in reply.get("headers", {}).items():
            h.send_header(k, v)
        if fault == "truncate":
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.connection.close()
            h.close_connection = True
            return
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if fault == "drip":
            for b in data:
                h.wfile.write(bytes([b]))
                h.wfile.flush()
                time.sleep(0.2)
            return
        h.wfile.write(data)
